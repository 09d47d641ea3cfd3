//! How results are printed: readable text for people, or JSON (`--json`) for tools. The shared
//! pieces are here (the format, JSON, yen, widths); each group of commands has its file: `sync`
//! (fetch, take, export), `orders` (list and detail), `files` (imports and what they left),
//! `admin` (serve, plugins, status, accounts, runs, shops, db copy).

mod admin;
mod files;
mod orders;
mod sync;

pub use admin::*;
pub use files::*;
pub use orders::*;
pub use sync::*;

use serde::Serialize;

/// Text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

fn json<T: Serialize + ?Sized>(v: &T) -> anyhow::Result<()> {
    // JSON escapes every control character itself.
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// A value from outside (a mall, a plugin, a file) as one line of a terminal: every control
/// character escaped (`\u{1b}`, `\n`), so an order number, a buyer's note or a product name
/// cannot move the cursor, ring the bell, rewrite a line or forge one.
pub fn safe(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Writes text to standard output with every control character but the line breaks escaped:
/// the one way text output leaves (values that reach it unescaped still cannot drive the
/// terminal).
pub fn emit(text: &str) {
    use std::io::Write as _;
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(cleaned.as_bytes());
}

/// Prints `v` as JSON, or the text `text` makes of it.
fn print_or_json<T: Serialize + ?Sized>(
    v: &T,
    f: Format,
    text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    match f {
        Format::Json => json(v),
        Format::Text => {
            emit(&text());
            Ok(())
        }
    }
}

/// Lists up to ten items of a list, then how many more.
fn some(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 10 {
        s.push_str(&format!(" … and {} more", items.len() - 10));
    }
    s
}

fn yen(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}¥{out}", if v < 0 { "-" } else { "" })
}

/// Display width on a terminal: East Asian wide characters take two columns.
fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Pads to `w` columns (left-aligned), counting wide characters as two.
pub fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_twice() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("出荷待ち"), 8);
        assert_eq!(width(pad("保留", 6).as_str()), 6);
        assert_eq!(pad("toolong", 3), "toolong");
    }

    #[test]
    fn yen_has_thousands_separators() {
        assert_eq!(yen(0), "¥0");
        assert_eq!(yen(7050), "¥7,050");
        assert_eq!(yen(1234567), "¥1,234,567");
        assert_eq!(yen(-100), "-¥100");
    }
}
