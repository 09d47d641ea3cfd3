//! What each sync operation did, as the CLI prints it, the console shows it and `job_runs`
//! records it: [`FetchReport`] (with its take and status sync), [`TakeReport`],
//! [`StatesReport`], [`ExportReport`]; and [`Summarized`], the log lines about each order's
//! problem, of which one run writes a few and then one line with the count.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Exclusion, Ingested};
use crate::connector::Window;
use crate::store::RunOutcome;

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
    /// `fetch-orders` calls: the mall's answers (HTTP), the plugin's paging and mapping (a
    /// 0.1.0 plugin's second, mapping call included), and the results crossing into the host;
    /// retries and rate-limit waits included.
    pub fetch_ms: u64,
    /// Conversion tables, holds and the database writes.
    pub store_ms: u64,
    /// Takes on the mall and their bookkeeping.
    pub take_ms: u64,
    /// Status sync.
    pub states_ms: u64,
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
    /// Held unpaid, paid on the mall now: released to the shop's status.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paid: Vec<crate::model::OrderNote>,
    /// Held on the mall now (its words): held here too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<crate::model::OrderNote>,
    /// The mall lifted its hold: released to the shop's status.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub released: Vec<crate::model::OrderNote>,
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
                "{} sent, {} confirmed on the mall, {} refused, {} not delivered, {} outcome \
                 unknown, {} left out",
                self.pushed.len(),
                self.confirmed.len(),
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
    /// Sent before with the answer lost, and found on the mall by a lookup: not sent again.
    pub confirmed: Vec<ExportLine>,
    /// Refused by the mall, with its reason.
    pub rejected: Vec<crate::model::OrderNote>,
    /// Not delivered (retried next time), with the error.
    pub failed: Vec<crate::model::OrderNote>,
    /// Sent, but the answer was lost (timeout, broken or unreadable answer): the mall may have
    /// applied it. The next export looks it up on the mall (when the mall says its orders'
    /// states) and sends it again only if the mall does not have it.
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

/// Per-order lines a run writes to the log before it only counts them: a plugin that fails
/// 100,000 orders in one page makes the host write this many lines, and one more.
pub const ORDER_LINES_PER_RUN: usize = 20;

/// The log lines of one kind about single orders in one run: the first
/// [`ORDER_LINES_PER_RUN`] each on a line, then one line with how many more (written when
/// dropped). The run's report keeps every one.
pub struct Summarized<'a> {
    shop: &'a str,
    what: &'static str,
    seen: usize,
}

impl<'a> Summarized<'a> {
    /// Lines about orders of `shop` that were `what` (e.g. "not stored").
    pub fn new(shop: &'a str, what: &'static str) -> Summarized<'a> {
        Summarized {
            shop,
            what,
            seen: 0,
        }
    }

    /// Warns about one order, while the run's lines allow.
    pub fn warn(&mut self, order: &str, why: &dyn std::fmt::Display) {
        self.seen += 1;
        if self.seen <= ORDER_LINES_PER_RUN {
            let order = crate::capabilities::log::plugin_text(order, 200);
            tracing::warn!(shop = %self.shop, order = %order, "{}: {why}", self.what);
        }
    }
}

impl Drop for Summarized<'_> {
    fn drop(&mut self) {
        if self.seen > ORDER_LINES_PER_RUN {
            tracing::warn!(
                shop = %self.shop,
                "{} more orders {} in this run (the first {ORDER_LINES_PER_RUN} are above; the \
                 run's report lists every one)",
                self.seen - ORDER_LINES_PER_RUN,
                self.what
            );
        }
    }
}
