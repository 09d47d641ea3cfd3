//! The fetch: page through the mall's new orders in a window, store each page in one
//! transaction through [`super::ingest`] and take its orders right after the commit (take as
//! you go), then take whatever is still pending and sync the mall's states.

use std::collections::HashSet;

use super::lease::JobLease;
use super::report::FetchReport;
use super::report::Summarized;
use super::retry::{self, RunWaits};
use super::{SyncError, Syncer, ingest, ms};
use crate::config::ShopConfig;
use crate::connector::{SkipReason, Window};
use crate::model::{OrderNote, TakeState};
use crate::runtime::CallError;

impl Syncer<'_> {
    /// Fetches new orders in `window`, stores each page and takes its orders right after the
    /// page's commit, then takes any still pending and syncs statuses. Runs under the shop's
    /// `fetch` lease: refused, naming the holder, while another process fetches or takes.
    pub async fn fetch(&self, shop: &ShopConfig, window: Window) -> Result<FetchReport, SyncError> {
        let lease = JobLease::acquire(self.store, &shop.id, "fetch", self.policy.lease).await?;
        self.started(&lease);
        let result = self.fetch_held(shop, window, &lease).await;
        lease.finish(&result, FetchReport::outcome).await;
        result
    }

    async fn fetch_held(
        &self,
        shop: &ShopConfig,
        window: Window,
        lease: &JobLease,
    ) -> Result<FetchReport, SyncError> {
        let call_err = |source| SyncError::Call {
            shop: shop.id.clone(),
            source,
        };
        let store_err = |source| SyncError::Store {
            shop: shop.id.clone(),
            source,
        };
        let connector = self.runtime.connector(shop);
        let mut report = FetchReport {
            shop: shop.id.clone(),
            plugin: connector.plugin_label().map_err(call_err)?,
            window: Some(window),
            ..FetchReport::default()
        };
        let per_delivery = connector
            .capabilities()
            .map_err(call_err)?
            .shipping_per_delivery;
        let run = RunWaits::default();
        let mut cursor: Option<String> = None;
        let mut cursors_seen: HashSet<String> = HashSet::new();
        let mut attempted: HashSet<String> = HashSet::new();
        let mut not_stored = Summarized::new(&shop.id, "not stored");
        loop {
            lease.check()?;
            let started = std::time::Instant::now();
            let page = retry::with_retry(&self.policy, &run, async || {
                connector.fetch_orders(window, cursor.clone()).await
            })
            .await
            .map_err(call_err)?;
            // The page may have taken a while: a run whose lease was taken over meanwhile
            // stores nothing more.
            lease.check()?;
            report.timings.fetch_ms += ms(started.elapsed());
            report.pages += 1;
            report.fetched += page.orders.len();
            for (n, reason) in page.skipped {
                match reason {
                    SkipReason::TestOrder => report.skipped_test.push(n),
                    SkipReason::TooRecent => report.skipped_too_recent.push(n),
                    SkipReason::Other { code, message } => report
                        .skipped_other
                        .push(OrderNote::new(n, format!("{code}: {message}"))),
                }
            }
            let started = std::time::Instant::now();
            let mut orders = Vec::with_capacity(page.orders.len());
            for (number, result) in page.orders {
                match result {
                    Ok(o) => orders.push(o),
                    Err(e) => {
                        not_stored.warn(&number, &e);
                        report.invalid.push(OrderNote::new(number, e.to_string()));
                    }
                }
            }
            let prepared = ingest::prepare(shop, per_delivery, orders);
            report
                .skipped_test
                .extend(prepared.test_orders.iter().cloned());
            let done = ingest::ingest(
                self.store,
                shop,
                prepared,
                TakeState::Pending,
                self.clock.now(),
            )
            .await
            .map_err(store_err)?;
            tracing::info!(
                shop = %shop.id,
                "page {} — {} new, {} already stored",
                report.pages,
                done.stored.len(),
                done.already_stored.len()
            );
            report.timings.store_ms += ms(started.elapsed());
            crate::crash_point!("fetch:stored-before-take");
            // Take as you go: this page's new orders, right after their commit, so an
            // interrupted fetch leaves nothing untaken that it stored.
            let started = std::time::Instant::now();
            let page_take = self.take_list(shop, &done.stored, &run).await?;
            attempted.extend(done.stored.iter().cloned());
            report.take.absorb(page_take);
            report.timings.take_ms += ms(started.elapsed());
            report.ingested.extend(done);
            cursor = page.next_cursor;
            let Some(next) = &cursor else {
                break;
            };
            // A plugin that pages forever ends the run, with the reason; what it stored so far
            // stays stored and taken.
            let stop = if !cursors_seen.insert(next.clone()) {
                Some(format!(
                    "page {} handed back a cursor an earlier page of this run gave \
                     ({:.80?}): paging would never end; the plugin's paging is broken",
                    report.pages, next
                ))
            } else if report.pages >= self.policy.max_pages_per_run {
                Some(format!(
                    "read {} pages, the most one run reads (`sync.max_pages_per_run`); the next \
                     run carries on",
                    report.pages
                ))
            } else {
                None
            };
            if let Some(reason) = stop {
                return Err(call_err(CallError::Fault {
                    plugin: report.plugin.clone(),
                    call: "fetch-orders",
                    message: format!(
                        "the fetch stopped: {reason} ({} orders stored so far are kept)",
                        report.ingested.stored.len()
                    ),
                }));
            }
        }
        drop(not_stored);
        // Then what is still pending from earlier runs (or re-listed by the mall).
        lease.check()?;
        let started = std::time::Instant::now();
        let pending: Vec<String> = self
            .store
            .pending_takes(&shop.id)
            .await
            .map_err(store_err)?
            .into_iter()
            .filter(|n| !attempted.contains(n))
            .collect();
        let rest = self.take_list(shop, &pending, &run).await?;
        report.take.absorb(rest);
        report.timings.take_ms += ms(started.elapsed());
        let started = std::time::Instant::now();
        // The orders this run just took are new on the mall: asking their state again would
        // spend the mall's requests on what the take just said.
        report.states = self.sync_states_in(shop, &run, &attempted).await?;
        report.timings.states_ms = ms(started.elapsed());
        Ok(report)
    }
}
