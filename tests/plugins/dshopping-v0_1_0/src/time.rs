//! Time on d Shopping's wire: ISO 8601 with a `+09:00` offset for instants, `YYYY-MM-DD` (JST) for
//! dates. The host speaks UTC seconds and calendar-date records.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use crate::bindings::mallhost::connector::types::Date;

/// Japan Standard Time (no daylight saving).
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// Parses an ISO 8601 instant with offset into UTC seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp())
}

/// Formats UTC seconds the way the API wants them: JST with offset.
pub fn format_instant(secs: i64) -> String {
    match jst().timestamp_opt(secs, 0).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S+09:00").to_string(),
        // Out of chrono's range: clamp to something the API rejects clearly rather than panic.
        None => "0000-01-01T00:00:00+09:00".to_string(),
    }
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<Date> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    date_from_naive(d)
}

/// Parses a `YYYY/MM/DD` date (the CSV's form).
pub fn parse_slash_date(s: &str) -> Option<Date> {
    let d = NaiveDate::parse_from_str(s, "%Y/%m/%d").ok()?;
    date_from_naive(d)
}

fn date_from_naive(d: NaiveDate) -> Option<Date> {
    use chrono::Datelike;
    Some(Date {
        year: u16::try_from(d.year()).ok()?,
        month: u8::try_from(d.month()).ok()?,
        day: u8::try_from(d.day()).ok()?,
    })
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// Parses the CSV's `YYYY/MM/DD HH:MM:SS` (JST) into UTC seconds.
pub fn parse_slash_datetime(s: &str) -> Option<i64> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y/%m/%d %H:%M:%S").ok()?;
    jst()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp())
}
