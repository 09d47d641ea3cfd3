//! Time: instants are stored in UTC; the mall's and the merchant's calendar is JST (Asia/Tokyo,
//! UTC+9, no daylight saving). The [`Clock`] is injected so tests can move time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// Japan Standard Time.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// The JST calendar date of an instant.
pub fn jst_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&jst()).date_naive()
}

/// The first instant of a JST date.
pub fn jst_day_start(d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    jst()
        .from_local_datetime(&naive)
        .single()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// The last second of a JST date.
pub fn jst_day_end(d: NaiveDate) -> DateTime<Utc> {
    jst_day_start(d) + chrono::Duration::seconds(86_399)
}

/// Formats an instant for storage: `YYYY-MM-DDTHH:MM:SSZ`, sortable as text.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads an instant written by [`to_db`].
pub fn from_db(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Formats an instant for people: JST, e.g. `2026-11-28 10:15 JST`.
pub fn display_jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst())
        .format("%Y-%m-%d %H:%M JST")
        .to_string()
}

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved; for tests and reproducible runs.
#[derive(Debug)]
pub struct ManualClock {
    secs: AtomicI64,
}

impl ManualClock {
    /// A clock showing `t`.
    pub fn new(t: DateTime<Utc>) -> Arc<ManualClock> {
        Arc::new(ManualClock {
            secs: AtomicI64::new(t.timestamp()),
        })
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        self.secs.fetch_add(by.num_seconds(), Ordering::SeqCst);
    }

    /// The instant shown, as UTC seconds.
    pub fn now_secs(&self) -> i64 {
        self.secs.load(Ordering::SeqCst)
    }

    /// Sets the clock.
    pub fn set(&self, t: DateTime<Utc>) {
        self.secs.store(t.timestamp(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.secs.load(Ordering::SeqCst), 0).unwrap_or_default()
    }
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock, shared.
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jst_dates_turn_at_15_utc() {
        let before = Utc.with_ymd_and_hms(2026, 11, 28, 14, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 28, 15, 0, 0).unwrap();
        assert_eq!(
            jst_date(before),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
        assert_eq!(
            jst_date(after),
            NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
        );
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(jst_day_start(d), after);
        assert_eq!(jst_day_end(d), after + chrono::Duration::seconds(86_399));
    }

    #[test]
    fn db_format_round_trips_and_sorts() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(to_db(t), "2026-01-02T03:04:05Z");
        assert_eq!(from_db(&to_db(t)), Some(t));
        assert!(to_db(t) < to_db(t + chrono::Duration::seconds(1)));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
        let c = ManualClock::new(t);
        assert_eq!(c.now(), t);
        c.advance(chrono::Duration::minutes(10));
        assert_eq!(c.now(), t + chrono::Duration::minutes(10));
    }
}
