//! Time on a Japanese mall's wire: instants in JST with an offset (`+09:00` or `+0900`), dates
//! and local date-times in JST. The host speaks UTC seconds and calendar-date records.
//!
//! ```
//! use connector_kit::time::{Offset, format_instant, parse_instant};
//! let secs = parse_instant("2026-11-28T10:15:00+0900").unwrap();
//! assert_eq!(format_instant(secs, Offset::Colon), "2026-11-28T10:15:00+09:00");
//! ```

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone};

use super::types::Date;

/// Japan Standard Time (no daylight saving).
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// How an instant's offset is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    /// `+09:00` (RFC 3339).
    Colon,
    /// `+0900`.
    Compact,
}

/// Parses an instant with an offset (`+09:00`, `+0900` or `Z`) into UTC seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .map(|t| t.timestamp())
}

/// Formats UTC seconds in JST with the offset written as `offset` says. Out of range: the year
/// 0, which a mall refuses clearly, rather than a panic.
pub fn format_instant(secs: i64, offset: Offset) -> String {
    let tz = match offset {
        Offset::Colon => "+09:00",
        Offset::Compact => "+0900",
    };
    match jst().timestamp_opt(secs, 0).single() {
        Some(t) => format!("{}{tz}", t.format("%Y-%m-%dT%H:%M:%S")),
        None => format!("0000-01-01T00:00:00{tz}"),
    }
}

/// Parses a JST local date-time in `format` (e.g. `%Y/%m/%d %H:%M:%S`, `%Y%m%d%H%M%S`) into UTC
/// seconds.
pub fn parse_local(s: &str, format: &str) -> Option<i64> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, format).ok()?;
    jst()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp())
}

/// Formats UTC seconds as a JST local date-time in `format`.
pub fn format_local(secs: i64, format: &str) -> String {
    jst()
        .timestamp_opt(secs, 0)
        .single()
        .map(|t| t.format(format).to_string())
        .unwrap_or_default()
}

/// Parses a date in `format` (e.g. `%Y-%m-%d`, `%Y/%m/%d`, `%Y%m%d`).
pub fn parse_date(s: &str, format: &str) -> Option<Date> {
    date_of(NaiveDate::parse_from_str(s, format).ok()?)
}

/// A calendar date as the contract's record.
pub fn date_of(d: NaiveDate) -> Option<Date> {
    Some(Date {
        year: u16::try_from(d.year()).ok()?,
        month: u8::try_from(d.month()).ok()?,
        day: u8::try_from(d.day()).ok()?,
    })
}

/// Formats a date as `YYYY-MM-DD` with `sep` between the parts (`-`, `/`, or none).
pub fn format_date(d: &Date, sep: &str) -> String {
    format!("{:04}{sep}{:02}{sep}{:02}", d.year, d.month, d.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_through_jst_in_both_offset_forms() {
        let secs = parse_instant("2026-11-28T10:15:00+09:00").unwrap();
        assert_eq!(secs, 1_795_828_500);
        assert_eq!(
            format_instant(secs, Offset::Colon),
            "2026-11-28T10:15:00+09:00"
        );
        assert_eq!(
            format_instant(secs, Offset::Compact),
            "2026-11-28T10:15:00+0900"
        );
        assert_eq!(parse_instant("2026-11-28T10:15:00+0900"), Some(secs));
        assert_eq!(parse_instant("2026-11-28T01:15:00Z"), Some(secs));
        assert_eq!(parse_instant("2026-02-30T10:15:00+0900"), None);
        assert_eq!(parse_instant("2026-11-28 10:15"), None);
    }

    #[test]
    fn local_times_and_dates_are_jst() {
        assert_eq!(
            parse_local("2026/11/28 10:15:00", "%Y/%m/%d %H:%M:%S"),
            parse_instant("2026-11-28T10:15:00+09:00")
        );
        assert_eq!(
            format_local(1_795_828_500, "%Y%m%d%H%M%S"),
            "20261128101500"
        );
        let d = parse_date("2026-12-01", "%Y-%m-%d").unwrap();
        assert_eq!((d.year, d.month, d.day), (2026, 12, 1));
        assert_eq!(format_date(&d, "-"), "2026-12-01");
        assert_eq!(format_date(&d, ""), "20261201");
        assert!(parse_date("2026-13-01", "%Y-%m-%d").is_none());
        assert!(parse_date("2026/12/01", "%Y-%m-%d").is_none());
    }
}
