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
//! Rate limits and transient faults are retried by `retry` under the configured policy. Every
//! mapped order, fetched or imported, goes through [`ingest`].
//!
//! One file per step: `fetch`, `take`, `states` (the status sync), `push` (the export run;
//! its rules are [`export`]), [`import`] (orders from a mall's file), `report` (what each did),
//! `lease` (one run per shop and job across processes), [`scheduler`] (`serve`'s automatic
//! jobs). This file holds the [`Syncer`] they hang on and the windows it fetches.

pub mod export;
mod fetch;
pub mod import;
pub mod ingest;
mod lease;
mod push;
mod report;
mod retry;
pub mod scheduler;
mod states;
mod take;

use chrono::{Duration, NaiveDate};

use crate::config::{ShopConfig, SyncPolicy};
use crate::connector::Window;
use crate::runtime::{CallError, Runtime};
use crate::store::{Store, StoreError};
use crate::time::{SharedClock, jst_date, jst_day_end, jst_day_start};
use lease::JobLease;

pub use export::{Eligible, Exclusion};
pub use ingest::{Ingested, UnknownLabel, convert};
pub use lease::holder_id;
pub use report::{
    Excluded, ExportLine, ExportOptions, ExportReport, FetchReport, StatesReport, TakeReport,
    Timings,
};

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

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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
}
