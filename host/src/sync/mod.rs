//! The order flow between a shop's mall and the database:
//!
//! 1. **fetch**: page through the mall's new orders (the plugin holds back test orders and
//!    orders younger than the mall's hold time), map each, apply the shop's conversion tables,
//!    store each page in one transaction (unique by shop + mall order number);
//! 2. **take**: only after the commit, acknowledge the stored orders on the mall; a take that
//!    fails stays pending and is retried by the next run;
//! 3. **export**: push the shipments of orders meeting the export rules ([`export`]) and record
//!    every result.
//!
//! Rate limits and transient faults are retried by [`retry`] under the configured policy. Every
//! mapped order, fetched or imported, goes through [`ingest`].

pub mod export;
pub mod import;
pub mod ingest;
mod lease;
mod retry;
pub mod scheduler;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::config::{ShopConfig, SyncPolicy};
use crate::connector::{Fetched, MallState, RawOrder, SkipReason, TakeOutcome, Window};
use crate::model::{OrderNote, OrderStatus, TakeState};
use crate::runtime::{CallError, Runtime};
use crate::store::{PushClaim, PushOutcome, PushRecord, RunOutcome, Store, StoreError};
use crate::time::{SharedClock, jst_date, jst_day_end, jst_day_start};
use lease::JobLease;

pub use export::{Eligible, Exclusion};
pub use ingest::{Ingested, UnknownLabel, convert};
pub use lease::holder_id;

/// How many orders one take or push call carries (the plugin batches further for its mall).
const CALL_CHUNK: usize = 500;

/// Why a sync operation failed as a whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// A plugin call failed for good.
    #[error("shop {shop:?}: {source}")]
    Call {
        /// Shop.
        shop: String,
        /// The failure (names the plugin, its version and the call).
        source: CallError,
    },
    /// The database failed.
    #[error("shop {shop:?}: {source}")]
    Store {
        /// Shop.
        shop: String,
        /// The failure.
        source: StoreError,
    },
    /// The request makes no sense (e.g. a reversed date range).
    #[error("shop {shop:?}: {message}")]
    Invalid {
        /// Shop.
        shop: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Another process runs this shop's job now.
    #[error(
        "shop {shop:?}: a {job} is running in another process ({holder}) until {until} at the \
         latest; run again when it has ended"
    )]
    Busy {
        /// Shop.
        shop: String,
        /// The job (`fetch`, `export`).
        job: &'static str,
        /// The process holding it.
        holder: String,
        /// Its lease's end, unless renewed.
        until: chrono::DateTime<chrono::Utc>,
    },
    /// This run's lease was taken over by another process (this one stalled past its lease).
    #[error(
        "shop {shop:?}: the {job} lease was taken over by another process after this one \
         stalled; this run stopped, the other carries on"
    )]
    LeaseLost {
        /// Shop.
        shop: String,
        /// The job.
        job: &'static str,
    },
}

/// What a fetch did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FetchReport {
    /// Shop.
    pub shop: String,
    /// `mall@version` of the plugin used.
    pub plugin: String,
    /// The window asked for.
    pub window: Option<Window>,
    /// Pages read.
    pub pages: u32,
    /// Orders the mall returned as new.
    pub fetched: usize,
    /// What was stored.
    #[serde(flatten)]
    pub ingested: Ingested,
    /// Left out: from the test environment.
    pub skipped_test: Vec<String>,
    /// Left out for now: too recent (fetched by a later run).
    pub skipped_too_recent: Vec<String>,
    /// Left out for another reason the plugin gives (e.g. under the mall's review).
    pub skipped_other: Vec<crate::model::OrderNote>,
    /// Could not be mapped, with the error naming the field; left on the mall untaken.
    pub invalid: Vec<crate::model::OrderNote>,
    /// The take that followed.
    pub take: TakeReport,
    /// The status sync that followed.
    pub states: StatesReport,
    /// Where the time went.
    pub timings: Timings,
}

/// Where a fetch's time went, in milliseconds (wall time of each phase, waits included).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    /// `fetch-orders` calls: the mall's answers (HTTP), the plugin's paging and mapping, and
    /// the results crossing into the host; retries and rate-limit waits included.
    pub fetch_ms: u64,
    /// Records mapped in a second call (0.1.0 plugins).
    pub map_ms: u64,
    /// Conversion tables, holds and the database writes.
    pub store_ms: u64,
    /// Takes on the mall and their bookkeeping.
    pub take_ms: u64,
    /// Status sync.
    pub states_ms: u64,
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What a status sync did: the mall's word on the orders the host holds open.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatesReport {
    /// Orders asked about.
    pub checked: usize,
    /// Cancelled on the mall: now キャンセル here, never pushed.
    pub cancelled: Vec<crate::model::OrderNote>,
    /// Shipped on the mall (elsewhere): now 出荷済み here.
    pub shipped_elsewhere: Vec<crate::model::OrderNote>,
    /// Why the mall could not be asked (the orders stay as they are; the next run asks again).
    pub error: Option<String>,
    /// Orders the mall gave no state for, with the error.
    pub failed: Vec<crate::model::OrderNote>,
}

/// What a take did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TakeReport {
    /// Orders that were pending.
    pub attempted: usize,
    /// Taken now.
    pub taken: Vec<String>,
    /// The mall had them taken already.
    pub already_taken: Vec<String>,
    /// Cancelled on the mall (now キャンセル here), with the mall's words.
    pub cancelled: Vec<crate::model::OrderNote>,
    /// Still pending, with the error.
    pub failed: Vec<crate::model::OrderNote>,
}

impl TakeReport {
    /// Adds another take's results (a later page's, the pending ones').
    pub fn absorb(&mut self, other: TakeReport) {
        self.attempted += other.attempted;
        self.taken.extend(other.taken);
        self.already_taken.extend(other.already_taken);
        self.cancelled.extend(other.cancelled);
        self.failed.extend(other.failed);
    }

    /// Whether some orders stayed pending.
    pub fn has_failures(&self) -> bool {
        !self.failed.is_empty()
    }

    /// The run's outcome and counts, for `job_runs`.
    pub fn outcome(&self) -> (RunOutcome, String) {
        (
            RunOutcome::done(self.has_failures()),
            format!(
                "{} taken, {} already taken, {} cancelled, {} still pending",
                self.taken.len(),
                self.already_taken.len(),
                self.cancelled.len(),
                self.failed.len()
            ),
        )
    }
}

impl FetchReport {
    /// Whether some orders could not be stored or taken, or statuses not synced.
    pub fn has_failures(&self) -> bool {
        !self.invalid.is_empty()
            || !self.ingested.store_failed.is_empty()
            || self.take.has_failures()
            || self.states.error.is_some()
            || !self.states.failed.is_empty()
    }

    /// The run's outcome and counts, for `job_runs`.
    pub fn outcome(&self) -> (RunOutcome, String) {
        (
            RunOutcome::done(self.has_failures()),
            format!(
                "{} page(s), {} stored, {} invalid; {}",
                self.pages,
                self.ingested.stored.len(),
                self.invalid.len(),
                self.take.outcome().1
            ),
        )
    }
}

impl ExportReport {
    /// Whether some shipments were refused, not delivered, or of unknown outcome.
    pub fn has_failures(&self) -> bool {
        !self.rejected.is_empty() || !self.failed.is_empty() || !self.unknown.is_empty()
    }

    /// The run's outcome and counts, for `job_runs`.
    pub fn outcome(&self) -> (RunOutcome, String) {
        (
            RunOutcome::done(self.has_failures()),
            format!(
                "{} sent, {} refused, {} not delivered, {} outcome unknown, {} left out",
                self.pushed.len(),
                self.rejected.len(),
                self.failed.len(),
                self.unknown.len(),
                self.excluded.len()
            ),
        )
    }
}

/// An order an export left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// The order.
    pub mall_order_number: String,
    /// The rule it failed.
    #[serde(flatten)]
    pub reason: Exclusion,
    /// The reason in words, with the fix.
    pub message: String,
}

/// One order's line in an export report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportLine {
    /// The order.
    pub mall_order_number: String,
    /// The carrier id sent.
    pub carrier_id: String,
    /// The tracking number sent (the first delivery's).
    pub tracking_number: String,
    /// Deliveries sent (more than one when the mall ships per delivery).
    pub deliveries: usize,
}

/// What an export did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportReport {
    /// Shop.
    pub shop: String,
    /// Period start.
    pub from: Option<DateTime<Utc>>,
    /// Period end.
    pub to: Option<DateTime<Utc>>,
    /// Nothing was sent.
    pub dry_run: bool,
    /// Sent and accepted (or, in a dry run, to be sent).
    pub pushed: Vec<ExportLine>,
    /// Refused by the mall, with its reason.
    pub rejected: Vec<crate::model::OrderNote>,
    /// Not delivered (retried next time), with the error.
    pub failed: Vec<crate::model::OrderNote>,
    /// Sent, but the answer was lost (timeout, broken or unreadable answer): the mall may have
    /// applied it. The next export sends it again (an identical push is harmless).
    pub unknown: Vec<crate::model::OrderNote>,
    /// Left out by the rules, with the reason.
    pub excluded: Vec<Excluded>,
}

/// How an export runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Only report what would be sent.
    pub dry_run: bool,
    /// Send again what the mall refused before, even with unchanged data.
    pub retry_rejected: bool,
}

impl ExportOptions {
    /// A dry run.
    pub const DRY_RUN: ExportOptions = ExportOptions {
        dry_run: true,
        retry_rejected: false,
    };
    /// A real export.
    pub const SEND: ExportOptions = ExportOptions {
        dry_run: false,
        retry_rejected: false,
    };
}

/// Runs the flow for shops.
pub struct Syncer<'a> {
    store: &'a Store,
    runtime: &'a Runtime,
    clock: SharedClock,
    policy: SyncPolicy,
    /// Told the run's id once its lease is held (see [`Syncer::on_start`]).
    started: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<i64>>>,
}

impl<'a> Syncer<'a> {
    /// A syncer over a database and a runtime.
    pub fn new(
        store: &'a Store,
        runtime: &'a Runtime,
        clock: SharedClock,
        policy: SyncPolicy,
    ) -> Self {
        Syncer {
            store,
            runtime,
            clock,
            policy,
            started: std::sync::Mutex::new(None),
        }
    }

    /// Sends the run's id (`job_runs.id`) to `tx` as soon as the run holds its lease, so a
    /// caller can hand the id back before the run ends. A run refused as busy sends nothing
    /// (the sender is dropped).
    pub fn on_start(self, tx: tokio::sync::oneshot::Sender<i64>) -> Self {
        if let Ok(mut s) = self.started.lock() {
            *s = Some(tx);
        }
        self
    }

    fn started(&self, lease: &JobLease) {
        if let Some(tx) = self.started.lock().ok().and_then(|mut s| s.take()) {
            let _ = tx.send(lease.run_id());
        }
    }

    /// The window of a fetch by the shop's [7] setting: from the start of the JST day
    /// `fetch_days` days ago until now.
    pub fn days_window(&self, shop: &ShopConfig) -> Window {
        let now = self.clock.now();
        let first = jst_date(now) - Duration::days(i64::from(shop.fetch_days));
        Window {
            start: jst_day_start(first),
            end: now,
        }
    }

    /// The window of a fetch by JST dates (both included), clipped to now.
    pub fn range_window(
        &self,
        shop: &ShopConfig,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Window, SyncError> {
        let now = self.clock.now();
        let today = jst_date(now);
        let invalid = |message: String| SyncError::Invalid {
            shop: shop.id.clone(),
            message,
        };
        if from > to {
            return Err(invalid(format!(
                "the date range is reversed ({from} is after {to}); swap --from and --to"
            )));
        }
        if from > today {
            return Err(invalid(format!(
                "the date range starts in the future ({from}; today is {today} JST)"
            )));
        }
        Ok(Window {
            start: jst_day_start(from),
            end: jst_day_end(to).min(now),
        })
    }

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
        let mut cursor: Option<String> = None;
        let mut attempted: std::collections::HashSet<String> = std::collections::HashSet::new();
        loop {
            lease.check()?;
            let started = std::time::Instant::now();
            let page = retry::with_retry(&self.policy, async || {
                connector.fetch_orders(window, cursor.clone()).await
            })
            .await
            .map_err(call_err)?;
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
            // Records still to map (contracts that map in a second call) are mapped here, moved
            // out of the page; mapped orders keep their place.
            let mut raws: Vec<RawOrder> = Vec::new();
            let mut slots = Vec::with_capacity(page.orders.len());
            for fetched in page.orders {
                match fetched {
                    Fetched::Raw(r) => {
                        slots.push((r.mall_order_number.clone(), None));
                        raws.push(r);
                    }
                    Fetched::Mapped {
                        mall_order_number,
                        order,
                    } => slots.push((mall_order_number, Some(order))),
                }
            }
            let started = std::time::Instant::now();
            let mut mapped_raws = map_isolated(&connector, &raws).await.into_iter();
            report.timings.map_ms += ms(started.elapsed());
            let started = std::time::Instant::now();
            let mut orders = Vec::with_capacity(slots.len());
            for (number, mapped) in slots {
                let result = match mapped {
                    None => mapped_raws.next().unwrap_or_else(|| {
                        Err(CallError::Fault {
                            plugin: report.plugin.clone(),
                            call: "map-orders",
                            message: "no result".into(),
                        })
                    }),
                    Some(order) => order.map(|o| *o).map_err(|error| CallError::Connector {
                        plugin: report.plugin.clone(),
                        call: "fetch-orders",
                        error,
                    }),
                };
                match result {
                    Ok(o) => orders.push(o),
                    Err(e) => {
                        tracing::warn!(shop = %shop.id, order = %number, "not stored: {e}");
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
            // Take as you go: this page's new orders, right after their commit, so an
            // interrupted fetch leaves nothing untaken that it stored.
            let started = std::time::Instant::now();
            let page_take = self.take_list(shop, &done.stored).await?;
            attempted.extend(done.stored.iter().cloned());
            report.take.absorb(page_take);
            report.timings.take_ms += ms(started.elapsed());
            report.ingested.extend(done);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
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
        let rest = self.take_list(shop, &pending).await?;
        report.take.absorb(rest);
        report.timings.take_ms += ms(started.elapsed());
        let started = std::time::Instant::now();
        report.states = self.sync_states(shop).await?;
        report.timings.states_ms = ms(started.elapsed());
        Ok(report)
    }

    /// Asks the mall for the state of every order the host holds open (taken, not shipped, not
    /// cancelled): one cancelled there becomes キャンセル here, with a history row, and is never
    /// pushed; one shipped there (elsewhere) becomes 出荷済み. A mall without status sync is not
    /// asked. A failed question is reported and asked again next run.
    pub async fn sync_states(&self, shop: &ShopConfig) -> Result<StatesReport, SyncError> {
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
        let open = self.store.open_orders(&shop.id).await.map_err(store_err)?;
        report.checked = open.len();
        for chunk in open.chunks(CALL_CHUNK) {
            let results =
                match retry::with_retry(&self.policy, async || connector.order_states(chunk).await)
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(
                            shop = %shop.id,
                            "status sync failed (asked again next run): {e}"
                        );
                        report.error = Some(e.to_string());
                        break;
                    }
                };
            let now = self.clock.now();
            for (n, state) in results {
                let (status, event, list) = match state {
                    Err(e) => {
                        report.failed.push(OrderNote::new(n, e.to_string()));
                        continue;
                    }
                    Ok(s) => match s.state {
                        MallState::Cancelled => (
                            OrderStatus::Cancelled,
                            "cancelled_on_mall",
                            (&mut report.cancelled, s.message),
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
                    tracing::warn!(shop = %shop.id, order = %n, "{detail}");
                    list.0.push(OrderNote::new(n, list.1));
                }
            }
        }
        Ok(report)
    }

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
                self.take_list(shop, &pending).await
            }
            .await;
        lease.finish(&result, TakeReport::outcome).await;
        result
    }

    /// Takes these orders on the mall and records each outcome.
    async fn take_list(
        &self,
        shop: &ShopConfig,
        pending: &[String],
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
        for chunk in pending.chunks(CALL_CHUNK) {
            let results = retry::batch_with_retry(
                &self.policy,
                chunk.to_vec(),
                |s| s.as_str(),
                |batch: Vec<String>| {
                    let c = &connector;
                    async move { c.take_orders(&batch).await }
                },
            )
            .await;
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
                        tracing::warn!(
                            shop = %shop.id,
                            order = %n,
                            "cancelled on the mall: {m}"
                        );
                        report.cancelled.push(OrderNote::new(n, m));
                    }
                    Err(e) => {
                        tracing::warn!(shop = %shop.id, order = %n, "stays pending: {e}");
                        report.failed.push(OrderNote::new(n, e));
                    }
                }
            }
        }
        Ok(report)
    }

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
        for chunk in eligible.chunks(CALL_CHUNK) {
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
            let results = retry::batch_with_retry(
                &self.policy,
                claimed,
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
            for ((e, push_id), r) in results {
                let n = e.shipment.mall_order_number.clone();
                // Refused is only what the mall said of this order in a well-formed answer; not
                // sent (rate limit, refusal by the host) is failed; sent without a readable
                // answer is unknown. Failed and unknown are sent again by the next export.
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
                    // An accepted shipment is shipped (出荷済み) here as on the mall.
                    status_after: (outcome == PushOutcome::Ok).then_some(OrderStatus::Shipped),
                };
                self.store
                    .settle_push(push_id, &record, self.clock.now())
                    .await
                    .map_err(store_err)?;
                let note = || OrderNote::new(n.clone(), error.unwrap_or_default());
                match outcome {
                    PushOutcome::Ok => report.pushed.push(line(&e)),
                    PushOutcome::Rejected => report.rejected.push(note()),
                    PushOutcome::Failed | PushOutcome::Sending => report.failed.push(note()),
                    PushOutcome::Unknown => report.unknown.push(note()),
                }
            }
        }
        Ok(report)
    }
}

/// Maps a page of records in one `map-orders` call; when that call fails as a whole (a trap, a
/// limit, a malformed return), maps each record on its own, so a record that breaks the plugin
/// fails alone — reported with the plugin's error, left untaken, retried next run — and the
/// rest of the page is stored.
async fn map_isolated(
    connector: &crate::runtime::ShopConnector<'_>,
    raws: &[crate::connector::RawOrder],
) -> Vec<Result<crate::model::Order, CallError>> {
    if raws.is_empty() {
        return Vec::new();
    }
    match connector.map_orders(raws).await {
        Ok(mapped) => mapped,
        Err(batch) => {
            tracing::warn!(
                "{batch}; mapping the page's {} orders one by one",
                raws.len()
            );
            let mut out = Vec::with_capacity(raws.len());
            for raw in raws {
                out.push(connector.map_order(raw).await);
            }
            out
        }
    }
}
