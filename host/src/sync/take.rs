//! The take: acknowledging stored orders on the mall (受注確認待ち → 出荷指示待ち), only after
//! their commit, each outcome recorded; a take that fails stays pending for the next run.

use super::lease::JobLease;
use super::report::{Summarized, TakeReport};
use super::retry::{self, RunWaits};
use super::{CALL_CHUNK, SyncError, Syncer};
use crate::config::ShopConfig;
use crate::connector::TakeOutcome;
use crate::model::OrderNote;

impl Syncer<'_> {
    /// Takes every order of the shop still pending on the mall, under the shop's `fetch` lease.
    pub async fn take_pending(&self, shop: &ShopConfig) -> Result<TakeReport, SyncError> {
        let lease = JobLease::acquire(self.store, &shop.id, "fetch", self.policy.lease).await?;
        self.started(&lease);
        let result =
            async {
                let pending = self.store.pending_takes(&shop.id).await.map_err(|source| {
                    SyncError::Store {
                        shop: shop.id.clone(),
                        source,
                    }
                })?;
                self.take_list(shop, &pending, &RunWaits::default()).await
            }
            .await;
        lease.finish(&result, TakeReport::outcome).await;
        result
    }

    /// Takes these orders on the mall and records each outcome.
    pub(super) async fn take_list(
        &self,
        shop: &ShopConfig,
        pending: &[String],
        run: &RunWaits,
    ) -> Result<TakeReport, SyncError> {
        let store_err = |source| SyncError::Store {
            shop: shop.id.clone(),
            source,
        };
        let mut report = TakeReport {
            attempted: pending.len(),
            ..TakeReport::default()
        };
        let connector = self.runtime.connector(shop);
        let mut cancelled = Summarized::new(&shop.id, "cancelled on the mall");
        let mut pending_lines = Summarized::new(&shop.id, "stay pending");
        let declared = connector.batch().map(|b| b.take).unwrap_or_default();
        for chunk in pending.chunks(crate::connector::BatchSizes::of(declared, CALL_CHUNK)) {
            let results = retry::batch_with_retry(
                &self.policy,
                run,
                retry::Unknown::Resend,
                chunk.to_vec(),
                |s| s.as_str(),
                |batch: Vec<String>| {
                    let c = &connector;
                    async move { c.take_orders(&batch).await }
                },
            )
            .await;
            crate::crash_point!("take:taken-before-record");
            let now = self.clock.now();
            let records: Vec<(String, Result<TakeOutcome, String>)> = results
                .into_iter()
                .map(|(n, r)| (n, r.map_err(|e| e.to_string())))
                .collect();
            self.store
                .record_takes(&shop.id, &records, now)
                .await
                .map_err(store_err)?;
            for (n, r) in records {
                match r {
                    Ok(TakeOutcome::Taken) => report.taken.push(n),
                    Ok(TakeOutcome::AlreadyTaken) => report.already_taken.push(n),
                    Ok(TakeOutcome::Cancelled(m)) => {
                        cancelled.warn(&n, &m);
                        report.cancelled.push(OrderNote::new(n, m));
                    }
                    Err(e) => {
                        pending_lines.warn(&n, &e);
                        report.failed.push(OrderNote::new(n, e));
                    }
                }
            }
        }
        Ok(report)
    }
}
