//! Time on d Shopping's wire: ISO 8601 with a `+09:00` offset for instants, `YYYY-MM-DD` (JST) for
//! dates, and the mini-app CSV's `YYYY/MM/DD` forms. The host speaks UTC seconds and calendar-date
//! records; the conversions are `connector_kit::time`'s, the formats are d Shopping's.

use connector_kit::time::{self, Offset};
use connector_kit::types::Date;

/// Parses an ISO 8601 instant with offset into UTC seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    time::parse_instant(s)
}

/// Formats UTC seconds the way the API wants them: JST with offset.
pub fn format_instant(secs: i64) -> String {
    time::format_instant(secs, Offset::Colon)
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<Date> {
    time::parse_date(s, "%Y-%m-%d")
}

/// Parses a `YYYY/MM/DD` date (the CSV's form).
pub fn parse_slash_date(s: &str) -> Option<Date> {
    time::parse_date(s, "%Y/%m/%d")
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: &Date) -> String {
    time::format_date(d, "-")
}

/// Parses the CSV's `YYYY/MM/DD HH:MM:SS` (JST) into UTC seconds.
pub fn parse_slash_datetime(s: &str) -> Option<i64> {
    time::parse_local(s, "%Y/%m/%d %H:%M:%S")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d_shoppings_forms_read_and_write() {
        let secs = parse_instant("2026-11-28T10:15:00+09:00").unwrap();
        assert_eq!(format_instant(secs), "2026-11-28T10:15:00+09:00");
        let d = parse_date("2026-12-01").unwrap();
        assert_eq!(format_date(&d), "2026-12-01");
        assert!(parse_date("2026/12/01").is_none());
        assert_eq!(parse_slash_date("2026/12/01").map(|d| d.day), Some(1));
        assert_eq!(
            parse_slash_datetime("2026/11/28 10:15:00"),
            parse_instant("2026-11-28T10:15:00+09:00")
        );
    }
}
