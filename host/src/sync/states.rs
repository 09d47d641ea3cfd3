//! The status sync: the mall's word on every order the host holds open. One cancelled there
//! becomes キャンセル here (and is never pushed), one shipped elsewhere becomes 出荷済み. Each
//! order's answer is waited out on its own: a rate limit the plugin reports per order is waited
//! out and only those orders asked again, as takes and pushes are.

use std::collections::HashSet;

use super::report::{StatesReport, Summarized};
use super::retry::{self, RunWaits};
use super::{CALL_CHUNK, SyncError, Syncer};
use crate::config::ShopConfig;
use crate::connector::MallState;
use crate::model::{OrderNote, OrderStatus, PaymentState};

impl Syncer<'_> {
    /// Asks the mall for the state of every order the host holds open (taken, not shipped, not
    /// cancelled): one cancelled there becomes キャンセル here, with a history row, and is never
    /// pushed; one shipped there (elsewhere) becomes 出荷済み. A mall without status sync is not
    /// asked. A failed question is reported and asked again next run.
    pub async fn sync_states(&self, shop: &ShopConfig) -> Result<StatesReport, SyncError> {
        self.sync_states_in(shop, &RunWaits::default(), &HashSet::new())
            .await
    }

    /// [`Self::sync_states`] as part of a run (its waits out of `run`), leaving out `skip` (the
    /// orders the run has just taken: the mall just said they are new).
    pub(super) async fn sync_states_in(
        &self,
        shop: &ShopConfig,
        run: &RunWaits,
        skip: &HashSet<String>,
    ) -> Result<StatesReport, SyncError> {
        let store_err = |source| SyncError::Store {
            shop: shop.id.clone(),
            source,
        };
        let connector = self.runtime.connector(shop);
        let mut report = StatesReport::default();
        let supported = connector
            .capabilities()
            .map_err(|source| SyncError::Call {
                shop: shop.id.clone(),
                source,
            })?
            .status_sync;
        if !supported {
            return Ok(report);
        }
        let open: Vec<String> = self
            .store
            .open_orders(&shop.id)
            .await
            .map_err(store_err)?
            .into_iter()
            .filter(|n| !skip.contains(n))
            .collect();
        report.checked = open.len();
        let mut changed = Summarized::new(&shop.id, "changed on the mall");
        // The orders whose payment or hold the mall may change: asked of the database once.
        let awaiting = self
            .store
            .awaiting_mall(&shop.id)
            .await
            .map_err(store_err)?;
        let declared = connector.batch().map(|b| b.states).unwrap_or_default();
        for chunk in open.chunks(crate::connector::BatchSizes::of(declared, CALL_CHUNK)) {
            let results = retry::batch_with_retry(
                &self.policy,
                run,
                retry::Unknown::Resend,
                chunk.to_vec(),
                |s| s.as_str(),
                |batch: Vec<String>| {
                    let c = &connector;
                    async move { c.order_states(&batch).await }
                },
            )
            .await;
            // A call that failed as a whole failed for every order of it: one error for the run.
            if let Some(whole) = results.iter().find_map(|(_, r)| match r {
                Err(retry::ItemError::Call(e)) => Some(e.to_string()),
                _ => None,
            }) {
                tracing::warn!(
                    shop = %shop.id,
                    "status sync failed (asked again next run): {whole}"
                );
                report.error = Some(whole);
                break;
            }
            let now = self.clock.now();
            for (n, state) in results {
                // The mall's status as it is now, with the plugin's words, whatever follows.
                if let Ok(s) = &state
                    && !s.mall_status.is_empty()
                {
                    self.store
                        .set_mall_status(&shop.id, &n, &s.mall_status, &s.message)
                        .await
                        .map_err(store_err)?;
                }
                if let Ok(s) = &state {
                    self.payment_and_hold(shop, &n, s, &awaiting, &mut changed, &mut report)
                        .await
                        .map_err(store_err)?;
                }
                let (status, event, list) = match state {
                    Err(e) => {
                        report.failed.push(OrderNote::new(n, e.to_string()));
                        continue;
                    }
                    Ok(s) => match s.state {
                        MallState::Cancelled => (
                            OrderStatus::Cancelled,
                            "cancelled_on_mall",
                            (
                                &mut report.cancelled,
                                match s.cancel_reason {
                                    Some(r) => format!("{} (理由: {r})", s.message),
                                    None => s.message,
                                },
                            ),
                        ),
                        MallState::Shipped => (
                            OrderStatus::Shipped,
                            "shipped_on_mall",
                            (&mut report.shipped_elsewhere, s.message),
                        ),
                        MallState::New | MallState::Open => continue,
                    },
                };
                let detail = format!("the mall says: {}", list.1);
                if self
                    .store
                    .record_mall_state(&shop.id, &n, status, event, &detail, now)
                    .await
                    .map_err(store_err)?
                {
                    changed.warn(&n, &detail);
                    list.0.push(OrderNote::new(n, list.1));
                }
            }
        }
        Ok(report)
    }

    /// What the mall says of an open order's payment and hold: paid, an order held unpaid is
    /// released; held there, it is held here; its hold lifted, the hold the mall set is lifted
    /// here. Only an order whose state changed costs a write (`awaiting` says which may).
    async fn payment_and_hold(
        &self,
        shop: &ShopConfig,
        n: &str,
        s: &crate::connector::OrderState,
        awaiting: &crate::store::AwaitingMall,
        changed: &mut Summarized<'_>,
        report: &mut StatesReport,
    ) -> Result<(), crate::store::StoreError> {
        let now = self.clock.now();
        let paid = matches!(
            s.payment,
            Some(PaymentState::Paid | PaymentState::OnDelivery)
        );
        if paid
            && awaiting.unpaid.contains(n)
            && self
                .store
                .record_paid(&shop.id, n, shop.stored_status, now)
                .await?
        {
            changed.warn(n, &"paid on the mall: released from hold");
            report.paid.push(OrderNote::new(n, "paid on the mall"));
        }
        match &s.hold {
            Some(words)
                if !awaiting.mall_held.contains(n)
                    && self.store.record_mall_hold(&shop.id, n, words, now).await? =>
            {
                changed.warn(n, &format!("held on the mall: {words}"));
                report.held.push(OrderNote::new(n, words.clone()));
            }
            None if awaiting.mall_held.contains(n)
                && self
                    .store
                    .lift_mall_hold(&shop.id, n, shop.stored_status, now)
                    .await? =>
            {
                changed.warn(n, &"the mall lifted its hold: released");
                report
                    .released
                    .push(OrderNote::new(n, "the mall lifted its hold"));
            }
            _ => {}
        }
        Ok(())
    }
}
