//! The export run: the shipments of orders meeting the export rules ([`super::export::judge`])
//! pushed to the mall through the outbox — each claimed and committed before it is sent, its
//! outcome settled after — and every result recorded.

use chrono::NaiveDate;

use super::export::{self, Eligible, Exclusion};
use super::lease::{self, JobLease};
use super::report::{Excluded, ExportLine, ExportOptions, ExportReport};
use super::retry::{self, RunWaits};
use super::{CALL_CHUNK, SyncError, Syncer};
use crate::config::ShopConfig;
use crate::connector::{ConnectorError, MallState};
use crate::model::{OrderNote, OrderStatus};
use crate::store::{PushClaim, PushOutcome, PushRecord};
use crate::time::{jst_date, jst_day_end, jst_day_start};

impl Syncer<'_> {
    /// Exports shipments of orders last updated inside `[from, to]` (JST dates, both included)
    /// that meet the export rules, and every shipment not delivered before or whose outcome is
    /// unknown; a dry run only reports what it would send. Runs under the shop's `export`
    /// lease (a dry run needs none), each push claimed in the outbox before it is sent.
    pub async fn export(
        &self,
        shop: &ShopConfig,
        from: NaiveDate,
        to: NaiveDate,
        options: ExportOptions,
    ) -> Result<ExportReport, SyncError> {
        if options.dry_run {
            return self.export_held(shop, from, to, options, None).await;
        }
        let lease = JobLease::acquire(self.store, &shop.id, "export", self.policy.lease).await?;
        self.started(&lease);
        let result = self
            .export_held(shop, from, to, options, Some(&lease))
            .await;
        lease.finish(&result, ExportReport::outcome).await;
        result
    }

    async fn export_held(
        &self,
        shop: &ShopConfig,
        from: NaiveDate,
        to: NaiveDate,
        options: ExportOptions,
        lease: Option<&JobLease>,
    ) -> Result<ExportReport, SyncError> {
        let ExportOptions {
            dry_run,
            retry_rejected,
        } = options;
        let store_err = |source| SyncError::Store {
            shop: shop.id.clone(),
            source,
        };
        if from > to {
            return Err(SyncError::Invalid {
                shop: shop.id.clone(),
                message: format!(
                    "the export period is reversed ({from} is after {to}); swap --from and --to"
                ),
            });
        }
        let (start, end) = (jst_day_start(from), jst_day_end(to));
        let today = jst_date(self.clock.now());
        let connector = self.runtime.connector(shop);
        let capabilities = connector.capabilities().map_err(|source| SyncError::Call {
            shop: shop.id.clone(),
            source,
        })?;
        if !dry_run {
            // Pushes a stopped export left in flight: their outcome is unknown; sent again.
            let stale = self
                .store
                .settle_stale_pushes(&shop.id, chrono::Utc::now(), lease::process_gone)
                .await
                .map_err(store_err)?;
            if !stale.is_empty() {
                tracing::warn!(
                    shop = %shop.id,
                    "{} push(es) of a stopped export have an unknown outcome; sending them \
                     again: {}",
                    stale.len(),
                    stale.join(", ")
                );
            }
        }
        let rules = export::Rules {
            retry_rejected,
            shipping_per_delivery: capabilities.shipping_per_delivery,
            max_parcels: capabilities.max_parcels,
            one_carrier_per_order: capabilities.one_carrier_per_order,
        };
        let candidates = self
            .store
            .export_candidates(&shop.id, start, end)
            .await
            .map_err(store_err)?;
        let mut report = ExportReport {
            shop: shop.id.clone(),
            from: Some(start),
            to: Some(end),
            dry_run,
            ..ExportReport::default()
        };
        let mut eligible = Vec::new();
        for c in &candidates {
            match export::judge(c, today, &shop.carrier_ids, rules) {
                Ok(e) => eligible.push(e),
                Err(x) => report.excluded.push(Excluded {
                    mall_order_number: c.mall_order_number.clone(),
                    message: x.to_string(),
                    reason: x,
                }),
            }
        }
        let line = |e: &Eligible| {
            let parcel = e.shipment.first_parcel();
            ExportLine {
                mall_order_number: e.shipment.mall_order_number.clone(),
                carrier_id: parcel.map(|p| p.carrier_id.clone()).unwrap_or_default(),
                tracking_number: parcel
                    .map(|p| p.tracking_number.clone())
                    .unwrap_or_default(),
                deliveries: e.shipment.deliveries.len(),
            }
        };
        if dry_run {
            report.pushed = eligible.iter().map(line).collect();
            return Ok(report);
        }
        let run = RunWaits::default();
        // Calls are sized to the plugin's wall: after a call that ran out of time, the next
        // ones carry half as many shipments, so a slow mall still gets through the list.
        let declared = connector.batch().map(|b| b.push).unwrap_or_default();
        let mut size = crate::connector::BatchSizes::of(declared, CALL_CHUNK);
        let mut rest: &[Eligible] = &eligible;
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            rest = tail;
            if let Some(l) = lease {
                l.check()?;
            }
            // The outbox: claim, commit, then send; an order another export sends now, or whose
            // data was accepted meanwhile, is not claimed.
            let claims: Vec<PushClaim<'_>> = chunk
                .iter()
                .map(|e| {
                    let parcel = e.shipment.first_parcel();
                    PushClaim {
                        order_id: e.order_id,
                        carrier: &e.carrier,
                        carrier_id: parcel.map_or("", |p| p.carrier_id.as_str()),
                        tracking_number: parcel.map_or("", |p| p.tracking_number.as_str()),
                        ship_date: e.shipment.shipped_date,
                        data_key: &e.data_key,
                    }
                })
                .collect();
            let ids = self
                .store
                .claim_pushes(
                    &claims,
                    lease::holder_id(),
                    chrono::Utc::now(),
                    lease::until(self.policy.lease),
                )
                .await
                .map_err(store_err)?;
            // Each claimed shipment goes on with its outbox row.
            crate::crash_point!("export:claimed-before-send");
            let mut claimed: Vec<(Eligible, i64)> = Vec::with_capacity(chunk.len());
            for (e, id) in chunk.iter().zip(ids) {
                match id {
                    Some(id) => claimed.push((e.clone(), id)),
                    None => report.excluded.push(Excluded {
                        mall_order_number: e.shipment.mall_order_number.clone(),
                        message: Exclusion::ClaimedElsewhere.to_string(),
                        reason: Exclusion::ClaimedElsewhere,
                    }),
                }
            }
            // On a mall that says its orders' states, a push is never sent again blind: a resend
            // after a lost answer (an earlier export's, or this one's) is looked up first, and
            // one the mall has is settled, not sent twice. Elsewhere a repeat is sent again.
            let ask_first = capabilities.status_sync;
            let mut to_send = if ask_first {
                self.look_up_resends(shop, &connector, &run, claimed, &mut report, &line)
                    .await?
            } else {
                claimed
            };
            let unknown = if ask_first {
                retry::Unknown::Keep
            } else {
                retry::Unknown::Resend
            };
            let mut budget = retry::Budget::new(&self.policy, &run);
            while !to_send.is_empty() {
                let results = retry::batch_with_retry(
                    &self.policy,
                    &run,
                    unknown,
                    std::mem::take(&mut to_send),
                    |(e, _): &(Eligible, i64)| e.shipment.mall_order_number.as_str(),
                    |batch: Vec<(Eligible, i64)>| {
                        let c = &connector;
                        async move {
                            let shipments: Vec<_> =
                                batch.iter().map(|(e, _)| e.shipment.clone()).collect();
                            c.push_shipments(&shipments).await
                        }
                    },
                )
                .await;
                crate::crash_point!("export:sent-before-settle");
                if results.iter().any(
                    |(_, r)| matches!(r, Err(retry::ItemError::Call(c)) if c.is_call_timeout()),
                ) {
                    size = (size / 2).max(1);
                    tracing::warn!(
                        shop = %shop.id,
                        "a push call ran out of time; the next calls carry {size} shipments"
                    );
                }
                let mut lost = Vec::new();
                for ((e, push_id), r) in results {
                    if ask_first
                        && let Err(err) = &r
                        && err.outcome_unknown()
                    {
                        lost.push((e, push_id, err.to_string()));
                        continue;
                    }
                    self.settle(shop, &e, push_id, r, &mut report, &line)
                        .await?;
                }
                if lost.is_empty() {
                    break;
                }
                // Lost answers: after a backoff, looked up and sent again only if the mall lacks
                // them — while the run's retries and waits last; then their outcome is unknown.
                let why = ConnectorError::Transient {
                    message: lost[0].2.clone(),
                };
                if !budget.wait_for(&why).await {
                    for (e, push_id, err) in lost {
                        let r = Err(retry::ItemError::Connector(ConnectorError::Transient {
                            message: err,
                        }));
                        self.settle(shop, &e, push_id, r, &mut report, &line)
                            .await?;
                    }
                    break;
                }
                let again = lost
                    .into_iter()
                    .map(|(e, push_id, _)| {
                        (
                            Eligible {
                                after_unknown: true,
                                ..e
                            },
                            push_id,
                        )
                    })
                    .collect();
                to_send = self
                    .look_up_resends(shop, &connector, &run, again, &mut report, &line)
                    .await?;
            }
        }
        Ok(report)
    }

    /// The claimed shipments that resend data whose answer was lost, asked on the mall first:
    /// one the mall reports shipped is settled as accepted ("confirmed by lookup") and not sent;
    /// one it reports new or open goes on to be sent; one it cannot be asked about now is
    /// settled as not delivered (looked up again by the next export). The rest go on as they are.
    async fn look_up_resends(
        &self,
        shop: &ShopConfig,
        connector: &crate::runtime::ShopConnector<'_>,
        run: &RunWaits,
        claimed: Vec<(Eligible, i64)>,
        report: &mut ExportReport,
        line: &impl Fn(&Eligible) -> ExportLine,
    ) -> Result<Vec<(Eligible, i64)>, SyncError> {
        let (ask, mut send): (Vec<_>, Vec<_>) =
            claimed.into_iter().partition(|(e, _)| e.after_unknown);
        if ask.is_empty() {
            return Ok(send);
        }
        let store_err = |source| SyncError::Store {
            shop: shop.id.clone(),
            source,
        };
        let states = retry::batch_with_retry(
            &self.policy,
            run,
            retry::Unknown::Resend,
            ask,
            |(e, _): &(Eligible, i64)| e.shipment.mall_order_number.as_str(),
            |batch: Vec<(Eligible, i64)>| {
                let numbers: Vec<String> = batch
                    .iter()
                    .map(|(e, _)| e.shipment.mall_order_number.clone())
                    .collect();
                async move { connector.order_states(&numbers).await }
            },
        )
        .await;
        for ((e, push_id), state) in states {
            let n = e.shipment.mall_order_number.clone();
            let parcel = e.shipment.first_parcel();
            let mut record = PushRecord {
                order_id: e.order_id,
                carrier_id: parcel.map_or("", |p| p.carrier_id.as_str()),
                tracking_number: parcel.map_or("", |p| p.tracking_number.as_str()),
                outcome: PushOutcome::Ok,
                error: None,
                note: None,
                status_after: None,
            };
            let why;
            let note;
            match state {
                Ok(s) if s.state == MallState::Shipped => {
                    note = format!(
                        "confirmed by lookup after a lost answer; the mall says: {}",
                        s.message
                    );
                    record.note = Some(&note);
                    record.status_after = Some(OrderStatus::Shipped);
                    tracing::info!(shop = %shop.id, order = %n, "not sent again: {note}");
                    report.confirmed.push(line(&e));
                }
                Ok(_) => {
                    send.push((e, push_id));
                    continue;
                }
                Err(err) => {
                    why = format!(
                        "its last answer was lost and the mall cannot be asked whether it has                          it ({err}); not sent again until it can"
                    );
                    record.outcome = PushOutcome::Failed;
                    record.error = Some(&why);
                    report.failed.push(OrderNote::new(n.clone(), why.clone()));
                }
            }
            self.store
                .settle_push(push_id, &record, self.clock.now())
                .await
                .map_err(store_err)?;
        }
        Ok(send)
    }

    /// Records a push's result in the outbox and the report. Refused is only what the mall said
    /// of this order in a well-formed answer; not sent (rate limit, refusal by the host) is
    /// failed; sent without a readable answer is unknown. Failed and unknown go again with the
    /// next export (an unknown one looked up first where the mall can be asked).
    async fn settle(
        &self,
        shop: &ShopConfig,
        e: &Eligible,
        push_id: i64,
        r: Result<(), retry::ItemError>,
        report: &mut ExportReport,
        line: &impl Fn(&Eligible) -> ExportLine,
    ) -> Result<(), SyncError> {
        let n = e.shipment.mall_order_number.clone();
        let (outcome, error) = match &r {
            Ok(()) => (PushOutcome::Ok, None),
            Err(e) if e.outcome_unknown() => (PushOutcome::Unknown, Some(e.to_string())),
            Err(e) if e.undelivered() => (PushOutcome::Failed, Some(e.to_string())),
            Err(e) => (PushOutcome::Rejected, Some(e.to_string())),
        };
        let error = error.as_deref();
        let parcel = e.shipment.first_parcel();
        let record = PushRecord {
            order_id: e.order_id,
            carrier_id: parcel.map_or("", |p| p.carrier_id.as_str()),
            tracking_number: parcel.map_or("", |p| p.tracking_number.as_str()),
            outcome,
            error,
            note: None,
            // An accepted shipment is shipped (出荷済み) here as on the mall.
            status_after: (outcome == PushOutcome::Ok).then_some(OrderStatus::Shipped),
        };
        self.store
            .settle_push(push_id, &record, self.clock.now())
            .await
            .map_err(|source| SyncError::Store {
                shop: shop.id.clone(),
                source,
            })?;
        let note = || OrderNote::new(n.clone(), error.unwrap_or_default());
        match outcome {
            PushOutcome::Ok => report.pushed.push(line(e)),
            PushOutcome::Rejected => report.rejected.push(note()),
            PushOutcome::Failed | PushOutcome::Sending => report.failed.push(note()),
            PushOutcome::Unknown => report.unknown.push(note()),
        }
        Ok(())
    }
}
