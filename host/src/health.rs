//! Health: how every shop's automatic jobs stand, read from `job_runs` and `job_schedule` (every
//! process's runs, kept across restarts, not one process's memory), and whether its credentials
//! still work. `GET /healthz`, `GET /metrics`, `mallhost status` and the alerts all read it.
//!
//! The verdicts are pure functions over the runs ([`judge_job`], [`judge_shop`]), each rule with
//! its test: a job is **stale** when its last success is older than [`STALE_AFTER`] intervals
//! (or, never having succeeded, when it has been due that long); its **failures in a row** are
//! its newest ended runs that failed; it is **dated ahead** when its last success or its due time
//! lies further ahead of now than it can (a clock moved, and the job may not run for a long
//! time). A shop is healthy when no job is stale, dated ahead or has failed
//! [`UNHEALTHY_FAILURES`] times in a row, and no credential has expired.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::capabilities::credentials::{CredentialState, state_of};
use crate::config::Config;
use crate::store::{JobRun, Store, StoreError};
use crate::time::from_db;

/// Failures in a row that make a job (and its shop) unhealthy.
pub const UNHEALTHY_FAILURES: u32 = 3;

/// How many intervals without a success make a job stale.
pub const STALE_AFTER: i32 = 3;

/// How far ahead of now a success may be dated before it says the clock moved (hosts on one
/// database read slightly different clocks).
pub const CLOCK_TOLERANCE: TimeDelta = TimeDelta::minutes(1);

/// Runs read per job to judge it.
const RUNS_READ: u32 = 50;

/// One automatic job of a shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobHealth {
    /// `fetch` or `export`.
    pub job: String,
    /// Its interval, in seconds.
    pub every_secs: u64,
    /// The newest run that ended, if any.
    pub last_run: Option<JobRun>,
    /// When the newest successful (`ok` or `partial`) run ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Newest ended runs that failed, in a row.
    pub failures_in_row: u32,
    /// A run is going now.
    pub running: bool,
    /// No success for [`STALE_AFTER`] intervals.
    pub stale: bool,
    /// When it is next due (from the shared schedule), if scheduled.
    pub next_due: Option<DateTime<Utc>>,
    /// Its last success or its due time lies ahead of this machine's clock by more than a job
    /// can explain: a clock moved, and the job is not to be trusted to run on time.
    pub clock_moved: bool,
}

/// A credential with an expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialHealth {
    /// The credential's key (e.g. `license_key`).
    pub key: String,
    /// The day it stops working.
    pub expires: NaiveDate,
    /// Days left (negative once expired).
    pub days_left: i64,
    /// Expired.
    pub expired: bool,
    /// Expires within the warning period.
    pub expires_soon: bool,
}

/// One shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopHealth {
    /// Shop id.
    pub shop: String,
    /// Its mall.
    pub mall: String,
    /// Its automatic jobs.
    pub jobs: Vec<JobHealth>,
    /// Its credentials that expire.
    pub credentials: Vec<CredentialHealth>,
    /// No stale job and no expired credential.
    pub healthy: bool,
    /// What is wrong, in words (empty when healthy and nothing is near).
    pub problems: Vec<String>,
}

/// Judges one job from its runs (newest first), its interval and its next due time.
pub fn judge_job(
    job: &str,
    runs: &[JobRun],
    every: Duration,
    next_due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> JobHealth {
    let ended: Vec<&JobRun> = runs.iter().filter(|r| r.ended_at.is_some()).collect();
    let last_success_at = ended
        .iter()
        .find(|r| matches!(r.outcome.as_deref(), Some("ok" | "partial")))
        .and_then(|r| r.ended_at.as_deref().and_then(from_db));
    let failures_in_row = ended
        .iter()
        .take_while(|r| r.outcome.as_deref() == Some("failed"))
        .count() as u32;
    let interval = TimeDelta::from_std(every).unwrap_or(TimeDelta::hours(1));
    let window = interval * STALE_AFTER;
    let clock_moved = last_success_at.is_some_and(|at| at > now + CLOCK_TOLERANCE)
        || next_due.is_some_and(|due| due > now + interval + CLOCK_TOLERANCE);
    let stale = match last_success_at {
        Some(at) => now - at > window,
        // Never succeeded: stale once its first run, or its due time, is that far back.
        None => {
            let first = runs
                .iter()
                .filter_map(|r| from_db(&r.started_at))
                .min()
                .or(next_due);
            first.is_some_and(|t| now - t > window)
        }
    };
    JobHealth {
        job: job.to_string(),
        every_secs: every.as_secs(),
        last_run: ended.first().map(|r| (*r).clone()),
        last_success_at,
        failures_in_row,
        running: runs.first().is_some_and(|r| r.ended_at.is_none())
            && runs
                .first()
                .and_then(|r| from_db(&r.started_at))
                .is_some_and(|t| now - t < window),
        stale,
        next_due,
        clock_moved,
    }
}

/// Judges a shop from its jobs and credentials.
pub fn judge_shop(
    shop: &str,
    mall: &str,
    jobs: Vec<JobHealth>,
    credentials: Vec<CredentialHealth>,
) -> ShopHealth {
    let mut problems = Vec::new();
    for j in &jobs {
        if j.stale {
            problems.push(match j.last_success_at {
                Some(at) => format!(
                    "{} is stale: last success {at}, more than {STALE_AFTER} intervals ago",
                    j.job
                ),
                None => format!("{} is stale: it has never succeeded", j.job),
            });
        }
        if j.clock_moved {
            problems.push(format!(
                "{} is dated ahead of this machine's clock (last success {}, next due {}): a \
                 clock moved; check the time of every host on the database",
                j.job,
                j.last_success_at
                    .map_or_else(|| "never".to_string(), |t| t.to_string()),
                j.next_due
                    .map_or_else(|| "unscheduled".to_string(), |t| t.to_string()),
            ));
        }
        if j.failures_in_row > 0 {
            let error = j
                .last_run
                .as_ref()
                .and_then(|r| r.error.clone())
                .unwrap_or_default();
            problems.push(format!(
                "{} failed {} time(s) in a row: {error}",
                j.job, j.failures_in_row
            ));
        }
    }
    for c in &credentials {
        if c.expired {
            problems.push(format!("{} expired on {}", c.key, c.expires));
        } else if c.expires_soon {
            problems.push(format!(
                "{} expires on {} ({} days left)",
                c.key, c.expires, c.days_left
            ));
        }
    }
    ShopHealth {
        shop: shop.to_string(),
        mall: mall.to_string(),
        healthy: !jobs
            .iter()
            .any(|j| j.stale || j.clock_moved || j.failures_in_row >= UNHEALTHY_FAILURES)
            && !credentials.iter().any(|c| c.expired),
        jobs,
        credentials,
        problems,
    }
}

/// Every configured shop's health now.
pub async fn shops(
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<ShopHealth>, StoreError> {
    let mut out = Vec::new();
    for shop in config.shops.iter().filter(|s| s.order_api) {
        let mut jobs = Vec::new();
        for (job, every) in [("fetch", shop.auto_fetch), ("export", shop.auto_export)] {
            let Some(every) = every else { continue };
            let runs = store.job_runs_of(&shop.id, job, RUNS_READ).await?;
            let next_due = store.job_next_due(&shop.id, job).await?;
            jobs.push(judge_job(job, &runs, every, next_due, now));
        }
        let credentials = shop
            .expiries
            .iter()
            .map(|(key, on)| {
                let state = state_of(Some(*on), today);
                CredentialHealth {
                    key: key.clone(),
                    expires: *on,
                    days_left: (*on - today).num_days(),
                    expired: matches!(state, CredentialState::Expired { .. }),
                    expires_soon: matches!(state, CredentialState::ExpiresSoon { .. }),
                }
            })
            .collect();
        out.push(judge_shop(&shop.id, &shop.mall, jobs, credentials));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: i64, started: DateTime<Utc>, secs: i64, outcome: Option<&str>) -> JobRun {
        JobRun {
            id,
            shop: "s".into(),
            job: "fetch".into(),
            holder: "h".into(),
            started_at: crate::time::to_db(started),
            ended_at: outcome.map(|_| crate::time::to_db(started + TimeDelta::seconds(secs))),
            outcome: outcome.map(str::to_string),
            summary: None,
            error: (outcome == Some("failed")).then(|| "mall down".to_string()),
        }
    }

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0).unwrap()
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn a_job_is_stale_once_its_last_success_is_three_intervals_old() {
        let runs = [run(1, t(0), 10, Some("ok"))];
        assert!(!judge_job("fetch", &runs, MIN, None, t(3)).stale);
        assert!(judge_job("fetch", &runs, MIN, None, t(4)).stale);
    }

    #[test]
    fn a_partial_run_is_a_success_and_a_failure_counts_in_a_row() {
        let runs = [
            run(4, t(3), 5, Some("failed")),
            run(3, t(2), 5, Some("failed")),
            run(2, t(1), 5, Some("partial")),
            run(1, t(0), 5, Some("failed")),
        ];
        let j = judge_job("fetch", &runs, MIN, None, t(4));
        assert_eq!(j.failures_in_row, 2);
        assert_eq!(j.last_success_at, Some(t(1) + TimeDelta::seconds(5)));
        assert!(!j.stale);
    }

    #[test]
    fn a_run_going_now_or_killed_is_not_a_failure() {
        let runs = [run(2, t(5), 0, None), run(1, t(0), 5, Some("ok"))];
        let j = judge_job("fetch", &runs, MIN, None, t(2));
        assert_eq!(j.failures_in_row, 0);
        assert!(j.running);
    }

    #[test]
    fn a_job_that_never_succeeded_is_stale_once_due_that_long() {
        let failing = [run(1, t(0), 5, Some("failed"))];
        assert!(!judge_job("fetch", &failing, MIN, None, t(2)).stale);
        assert!(judge_job("fetch", &failing, MIN, None, t(4)).stale);
        // Never run at all: stale when the schedule has waited three intervals for a process.
        assert!(!judge_job("fetch", &[], MIN, Some(t(0)), t(2)).stale);
        assert!(judge_job("fetch", &[], MIN, Some(t(0)), t(4)).stale);
        assert!(!judge_job("fetch", &[], MIN, None, t(100)).stale);
    }

    #[test]
    fn a_shop_is_unhealthy_when_a_job_is_stale_or_a_credential_expired() {
        let fresh = judge_job("fetch", &[run(1, t(0), 5, Some("ok"))], MIN, None, t(1));
        let stale = judge_job("fetch", &[run(1, t(0), 5, Some("ok"))], MIN, None, t(9));
        let cred = |days: i64, expired: bool| CredentialHealth {
            key: "license_key".into(),
            expires: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            days_left: days,
            expired,
            expires_soon: !expired && days <= 14,
        };
        assert!(judge_shop("s", "m", vec![fresh.clone()], vec![cred(30, false)]).healthy);
        let soon = judge_shop("s", "m", vec![fresh.clone()], vec![cred(5, false)]);
        assert!(
            soon.healthy && soon.problems[0].contains("5 days left"),
            "{soon:?}"
        );
        assert!(!judge_shop("s", "m", vec![fresh], vec![cred(-1, true)]).healthy);
        let s = judge_shop("s", "m", vec![stale], vec![]);
        assert!(!s.healthy && s.problems[0].contains("stale"), "{s:?}");
    }

    #[test]
    fn three_failures_in_a_row_make_a_fresh_job_unhealthy() {
        // Newest first: three failed runs after a success a minute ago (not stale yet).
        let runs = |n: i64| {
            let mut v: Vec<JobRun> = (0..n)
                .map(|i| run(10 - i, t(-i), 1, Some("failed")))
                .collect();
            v.push(run(1, t(-n - 1), 1, Some("ok")));
            v
        };
        let two = judge_job("fetch", &runs(2), MIN * 10, None, t(1));
        assert!(!two.stale && two.failures_in_row == 2, "{two:?}");
        assert!(judge_shop("s", "m", vec![two], vec![]).healthy);
        let three = judge_job("fetch", &runs(3), MIN * 10, None, t(1));
        assert!(!three.stale && three.failures_in_row == 3, "{three:?}");
        let shop = judge_shop("s", "m", vec![three], vec![]);
        assert!(!shop.healthy, "{shop:?}");
        assert!(
            shop.problems[0].contains("failed 3 time(s) in a row"),
            "{shop:?}"
        );
    }

    #[test]
    fn a_success_or_a_due_time_dated_ahead_of_the_clock_is_not_healthy() {
        let every = Duration::from_secs(300);
        // The last run ended a day ahead of now (a clock that jumped, then came back).
        let runs = vec![run(2, t(24 * 60), 5, Some("ok"))];
        let j = judge_job("fetch", &runs, every, Some(t(24 * 60 + 5)), t(0));
        assert!(j.clock_moved && !j.stale, "{j:?}");
        let shop = judge_shop("s", "m", vec![j], vec![]);
        assert!(!shop.healthy);
        assert!(
            shop.problems[0].contains("ahead of this machine's clock"),
            "{:?}",
            shop.problems
        );
        // A due time within its interval and a success in the past are fine.
        let runs = vec![run(2, t(-3), 5, Some("ok"))];
        let j = judge_job("fetch", &runs, every, Some(t(4)), t(0));
        assert!(!j.clock_moved, "{j:?}");
    }
}
