//! Time on Rakuten's wire: `yyyy-MM-ddTHH:mm:ss+0900` for instants, `yyyy-MM-dd` (JST) for
//! dates. The host speaks UTC seconds and calendar-date records.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use crate::bindings::mallhost::connector::types::Date;

/// Japan Standard Time (no daylight saving).
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// Parses `yyyy-MM-ddTHH:mm:ss+0900` (or with `+09:00`) into UTC seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.timestamp())
}

/// Formats UTC seconds as the API wants them: JST, `+0900`.
pub fn format_instant(secs: i64) -> String {
    match jst().timestamp_opt(secs, 0).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S+0900").to_string(),
        // Out of chrono's range: something the API rejects clearly rather than a panic.
        None => "0000-01-01T00:00:00+0900".to_string(),
    }
}

/// Parses a `yyyy-MM-dd` date.
pub fn parse_date(s: &str) -> Option<Date> {
    use chrono::Datelike;
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(Date {
        year: u16::try_from(d.year()).ok()?,
        month: u8::try_from(d.month()).ok()?,
        day: u8::try_from(d.day()).ok()?,
    })
}

/// Formats a date as `yyyy-MM-dd`.
pub fn format_date(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_and_written_with_a_colonless_offset() {
        let t = parse_instant("2026-11-28T10:15:00+0900").unwrap();
        assert_eq!(t, 1_795_828_500);
        assert_eq!(format_instant(t), "2026-11-28T10:15:00+0900");
        assert_eq!(parse_instant("2026-11-28T10:15:00+09:00"), Some(t));
        assert_eq!(parse_instant("2026-02-30T10:15:00+0900"), None);
        assert_eq!(parse_instant("2026-11-28 10:15"), None);
    }

    #[test]
    fn dates() {
        let d = parse_date("2026-12-02").unwrap();
        assert_eq!((d.year, d.month, d.day), (2026, 12, 2));
        assert_eq!(format_date(&d), "2026-12-02");
        assert!(parse_date("2026/12/02").is_none());
    }
}
