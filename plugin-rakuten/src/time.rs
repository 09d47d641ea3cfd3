//! Time on Rakuten's wire: `yyyy-MM-ddTHH:mm:ss+0900` for instants, `yyyy-MM-dd` (JST) for
//! dates. The host speaks UTC seconds and calendar-date records; the conversions are
//! `connector_kit::v0_2_0::time`'s, the formats are Rakuten's.

use connector_kit::v0_2_0::time::{self, Offset};
use connector_kit::v0_2_0::types::Date;

/// Parses `yyyy-MM-ddTHH:mm:ss+0900` (or with `+09:00`) into UTC seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    time::parse_instant(s)
}

/// Formats UTC seconds as the API wants them: JST, `+0900`.
pub fn format_instant(secs: i64) -> String {
    time::format_instant(secs, Offset::Compact)
}

/// Parses a `yyyy-MM-dd` date.
pub fn parse_date(s: &str) -> Option<Date> {
    time::parse_date(s, "%Y-%m-%d")
}

/// Formats a date as `yyyy-MM-dd`.
pub fn format_date(d: &Date) -> String {
    time::format_date(d, "-")
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
    }

    #[test]
    fn dates() {
        let d = parse_date("2026-12-02").unwrap();
        assert_eq!(format_date(&d), "2026-12-02");
        assert!(parse_date("2026/12/02").is_none());
    }
}
