//! `[sync]`: how the host retries mall calls, how long a job's lease lasts, how many workers
//! a `serve` process runs; and intervals as people write them (`90s`, `15m`, `1h`).

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

/// How the host retries mall calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPolicy {
    /// Attempts after a transient fault before it is reported.
    pub transient_retries: u32,
    /// First backoff after a transient fault; doubles each attempt.
    pub backoff: Duration,
    /// Most rate-limit waits in one operation before it gives up.
    pub rate_limit_waits: u32,
    /// Longest single wait a mall's `Retry-After` may impose.
    pub max_retry_after: Duration,
    /// Most time one operation may spend waiting (rate limits and backoff together).
    pub max_wait_per_run: Duration,
    /// How long a job's lease lasts before another process may take the job over; the holder
    /// renews it every third of that while it works.
    pub lease: Duration,
    /// How many automatic jobs one `serve` process runs at once (its workers); the rest wait
    /// their turn in the schedule.
    pub workers: u32,
    /// Most pages one fetch reads; a run that reaches it stops, saying so (a plugin whose
    /// cursor never ends cannot page forever), and the next run carries on.
    pub max_pages_per_run: u32,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            transient_retries: 3,
            backoff: Duration::from_millis(500),
            rate_limit_waits: 200,
            max_retry_after: Duration::from_secs(120),
            max_wait_per_run: Duration::from_secs(900),
            lease: Duration::from_secs(60),
            workers: 8,
            max_pages_per_run: 2_000,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSync {
    transient_retries: Option<u32>,
    backoff_ms: Option<u64>,
    rate_limit_waits: Option<u32>,
    max_retry_after_secs: Option<u64>,
    max_wait_per_run_secs: Option<u64>,
    lease_secs: Option<u64>,
    workers: Option<u32>,
    max_pages_per_run: Option<u32>,
}

/// `[sync]` with every value inside its range, the range named in the error.
pub(super) fn sync_policy(raw: &RawSync) -> Result<SyncPolicy, ConfigError> {
    fn ranged<T: PartialOrd + Copy + std::fmt::Display>(
        key: &'static str,
        value: Option<T>,
        default: T,
        min: T,
        max: T,
        unit: &str,
    ) -> Result<T, ConfigError> {
        match value {
            None => Ok(default),
            Some(v) if v >= min && v <= max => Ok(v),
            Some(v) => Err(ConfigError::Global {
                key,
                problem: format!("is {v}{unit}, outside {min}..={max}{unit}"),
                fix: format!("give a value from {min} to {max} (default {default})"),
            }),
        }
    }
    let d = SyncPolicy::default();
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Ok(SyncPolicy {
        transient_retries: ranged(
            "sync.transient_retries",
            raw.transient_retries,
            d.transient_retries,
            0,
            20,
            "",
        )?,
        backoff: Duration::from_millis(ranged(
            "sync.backoff_ms",
            raw.backoff_ms,
            ms(d.backoff),
            1,
            60_000,
            " ms",
        )?),
        rate_limit_waits: ranged(
            "sync.rate_limit_waits",
            raw.rate_limit_waits,
            d.rate_limit_waits,
            0,
            10_000,
            "",
        )?,
        max_retry_after: Duration::from_secs(ranged(
            "sync.max_retry_after_secs",
            raw.max_retry_after_secs,
            d.max_retry_after.as_secs(),
            1,
            600,
            " s",
        )?),
        max_wait_per_run: Duration::from_secs(ranged(
            "sync.max_wait_per_run_secs",
            raw.max_wait_per_run_secs,
            d.max_wait_per_run.as_secs(),
            1,
            86_400,
            " s",
        )?),
        lease: Duration::from_secs(ranged(
            "sync.lease_secs",
            raw.lease_secs,
            d.lease.as_secs(),
            2,
            3_600,
            " s",
        )?),
        workers: ranged("sync.workers", raw.workers, d.workers, 1, 256, "")?,
        max_pages_per_run: ranged(
            "sync.max_pages_per_run",
            raw.max_pages_per_run,
            d.max_pages_per_run,
            1,
            1_000_000,
            " pages",
        )?,
    })
}

/// Shortest interval of an automatic job.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Longest interval of an automatic job.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Reads an interval like `90s`, `15m`, `1h`.
pub fn parse_interval(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let secs = match unit.trim() {
        "ms" => return Some(Duration::from_millis(n)),
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}
