//! CSV files merchants bring: the product master ([`products`]), shipping data in bulk
//! ([`shipments`]) and d払い mini-app orders ([`orders`]); and the CSV the host writes for
//! people ([`written`]: cells that cannot run as formulas). This module reads them: the
//! encoding (UTF-8 with or without BOM, or Shift_JIS/CP932, detected or chosen), the header,
//! and rows with their line numbers. A row with an error is reported with its line and reason;
//! the other rows are imported; a file that is not a CSV of the expected kind imports nothing.

pub mod orders;
pub mod products;
pub mod shipments;
pub mod written;

use serde::Serialize;

/// The file's character encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Detect: a BOM or valid UTF-8 is UTF-8, anything else Shift_JIS.
    #[default]
    Auto,
    /// UTF-8 (a BOM is dropped).
    Utf8,
    /// Shift_JIS as Windows writes it (CP932).
    ShiftJis,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "auto" => Ok(Encoding::Auto),
            "utf8" => Ok(Encoding::Utf8),
            "shiftjis" | "sjis" | "cp932" | "windows31j" => Ok(Encoding::ShiftJis),
            _ => Err(format!(
                "unknown encoding {s:?}; use auto, utf-8 or shift_jis"
            )),
        }
    }
}

/// Why a file cannot be imported at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Binary content.
    #[error("{path} is not a text file (it holds NUL bytes); nothing was imported")]
    NotText {
        /// The file.
        path: String,
    },
    /// Bytes invalid in the chosen or detected encoding.
    #[error(
        "{path} is not valid {encoding} (first bad byte near offset {offset}); choose the encoding with --encoding; nothing was imported"
    )]
    Encoding {
        /// The file.
        path: String,
        /// The encoding tried.
        encoding: &'static str,
        /// Where.
        offset: usize,
    },
    /// The header lacks required columns.
    #[error(
        "{path} is not {kind}: column(s) {missing} missing from the header (found: {found}); nothing was imported"
    )]
    Header {
        /// The file.
        path: String,
        /// What kind of file was expected.
        kind: &'static str,
        /// Missing columns.
        missing: String,
        /// The header that was found.
        found: String,
    },
    /// Empty file.
    #[error("{path} is empty; nothing was imported")]
    Empty {
        /// The file.
        path: String,
    },
    /// A quoted value never closes: everything after it would be read as one value.
    #[error(
        "{path}: the quote (\") opened on line {line} is never closed, so every line after it \
         would be read into one value; close it (a quote inside a quoted value is written \"\"); \
         nothing was imported"
    )]
    UnclosedQuote {
        /// The file.
        path: String,
        /// Where the quote opens.
        line: usize,
    },
    /// UTF-8 with some lines in another encoding (e.g. rows pasted from a Shift_JIS file).
    #[error(
        "{path} is UTF-8 except line(s) {lines}, which are in another encoding (Shift_JIS?); \
         save the whole file in one encoding; nothing was imported"
    )]
    MixedEncoding {
        /// The file.
        path: String,
        /// The lines that are not UTF-8 (the first ten).
        lines: String,
    },
}

/// Why an import failed as a whole (nothing, or only what the report says, was imported).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file.
    #[error(transparent)]
    File(#[from] CsvError),
    /// The database.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The plugin cannot read the file's records.
    #[error("{0}")]
    Plugin(String),
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Line in the file (1 is the header).
    pub line: usize,
    /// The row's key (order number, item code), when it has one.
    pub key: Option<String>,
    /// The column at fault (as the file's header names it), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What is wrong and how to fix it.
    pub reason: String,
}

/// A decoded file.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// What it was: `UTF-8`, `UTF-8 (BOM)` or `Shift_JIS`.
    pub encoding: &'static str,
}

/// The line where a quoted value opens and never closes (RFC 4180: a quote opens a value only
/// at its start; `""` inside is a quote), if one does.
pub fn unclosed_quote(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let (mut quoted, mut field_start, mut line, mut opened) = (false, true, 1, 0);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if quoted {
            if c == b'"' {
                if b.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                quoted = false;
            } else if c == b'\n' {
                line += 1;
            }
        } else {
            match c {
                b'"' if field_start => {
                    quoted = true;
                    opened = line;
                }
                b',' => {
                    field_start = true;
                    i += 1;
                    continue;
                }
                b'\n' => {
                    line += 1;
                    field_start = true;
                    i += 1;
                    continue;
                }
                b'\r' => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            field_start = false;
        }
        i += 1;
    }
    quoted.then_some(opened)
}

/// UTF-16 with a byte-order mark (what some spreadsheet exports write), decoded.
fn utf16(bytes: &[u8]) -> Option<Decoded> {
    let (enc, label) = match bytes {
        [0xFF, 0xFE, ..] => (encoding_rs::UTF_16LE, "UTF-16LE"),
        [0xFE, 0xFF, ..] => (encoding_rs::UTF_16BE, "UTF-16BE"),
        _ => return None,
    };
    let (text, _, had_errors) = enc.decode(bytes);
    (!had_errors).then(|| Decoded {
        text: text.into_owned(),
        encoding: label,
    })
}

/// Lines that are not valid UTF-8 in a file whose other non-ASCII lines are: a mixed file.
fn mixed_lines(bytes: &[u8]) -> Option<Vec<usize>> {
    let mut utf8_lines = 0;
    let mut bad = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_ascii() {
            continue;
        }
        if std::str::from_utf8(line).is_ok() {
            utf8_lines += 1;
        } else {
            bad.push(i + 1);
        }
    }
    (utf8_lines > 0 && !bad.is_empty()).then_some(bad)
}

/// Decodes a file's bytes.
pub fn decode(path: &str, bytes: &[u8], encoding: Encoding) -> Result<Decoded, CsvError> {
    if encoding == Encoding::Auto
        && let Some(d) = utf16(bytes)
    {
        return Ok(d);
    }
    if bytes.contains(&0) {
        return Err(CsvError::NotText { path: path.into() });
    }
    let utf8 = |b: &[u8], label: &'static str| match std::str::from_utf8(b) {
        Ok(t) => Ok(Decoded {
            text: t.to_string(),
            encoding: label,
        }),
        Err(e) => Err(CsvError::Encoding {
            path: path.into(),
            encoding: "UTF-8",
            offset: e.valid_up_to(),
        }),
    };
    let sjis = |b: &[u8]| {
        let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(b);
        if had_errors {
            // Find roughly where: the first replacement character's byte offset is not kept by
            // encoding_rs, so report the decoded prefix length as a hint.
            let offset = text.find('\u{fffd}').unwrap_or(0);
            return Err(CsvError::Encoding {
                path: path.into(),
                encoding: "Shift_JIS",
                offset,
            });
        }
        Ok(Decoded {
            text: text.into_owned(),
            encoding: "Shift_JIS",
        })
    };
    let bom = b"\xEF\xBB\xBF";
    match encoding {
        Encoding::Utf8 => utf8(bytes.strip_prefix(bom).unwrap_or(bytes), "UTF-8"),
        Encoding::ShiftJis => sjis(bytes),
        Encoding::Auto => {
            if let Some(rest) = bytes.strip_prefix(bom) {
                utf8(rest, "UTF-8 (BOM)")
            } else if std::str::from_utf8(bytes).is_ok() {
                utf8(bytes, "UTF-8")
            } else if let Some(lines) = mixed_lines(bytes) {
                // Decided on the whole file: mostly UTF-8 is not Shift_JIS with mojibake.
                let shown: Vec<String> = lines.iter().take(10).map(usize::to_string).collect();
                Err(CsvError::MixedEncoding {
                    path: path.into(),
                    lines: shown.join(", "),
                })
            } else {
                sjis(bytes)
            }
        }
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Line in the file.
    pub line: usize,
    /// Cells, trimmed.
    pub cells: Vec<String>,
}

/// A parsed file: header and rows; rows that cannot be read are errors already.
#[derive(Debug, Clone)]
pub struct Table {
    /// Header cells, trimmed.
    pub header: Vec<String>,
    /// Rows with as many cells as the header.
    pub rows: Vec<Row>,
    /// Rows that could not be read.
    pub errors: Vec<RowError>,
}

impl Table {
    /// Parses CSV text (first line the header); an unclosed quote refuses the whole file.
    pub fn parse(path: &str, text: &str) -> Result<Table, CsvError> {
        if let Some(line) = unclosed_quote(text) {
            return Err(CsvError::UnclosedQuote {
                path: path.into(),
                line,
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
            Err(_) => return Err(CsvError::Empty { path: path.into() }),
        };
        if header.iter().all(String::is_empty) {
            return Err(CsvError::Empty { path: path.into() });
        }
        // Line numbers from byte offsets (the reader's own line count is off with CRLF).
        let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
        // A record's position may sit on the line break before it: skip to its first byte.
        let line_at = |byte: u64| {
            let b = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
            let start = text
                .get(b..)
                .and_then(|t| t.find(|c| c != '\r' && c != '\n'))
                .map_or(b, |o| b + o);
            newlines.partition_point(|&nl| nl < start) + 1
        };
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        for (i, rec) in reader.records().enumerate() {
            match rec {
                Err(e) => errors.push(RowError {
                    line: e.position().map_or(i + 2, |p| line_at(p.byte())),
                    key: None,
                    column: None,
                    reason: format!("cannot be read as CSV: {e}"),
                }),
                Ok(r) => {
                    let line = r.position().map_or(i + 2, |p| line_at(p.byte()));
                    if r.iter().all(|c| c.trim().is_empty()) {
                        continue; // blank line
                    }
                    if r.len() != header.len() {
                        errors.push(RowError {
                            line,
                            key: r.get(0).map(str::to_string),
                            column: None,
                            reason: format!(
                                "has {} fields, the header {} (a comma inside a value needs quotes; numbers take no thousands separators)",
                                r.len(),
                                header.len()
                            ),
                        });
                        continue;
                    }
                    rows.push(Row {
                        line,
                        cells: r.iter().map(|c| c.trim().to_string()).collect(),
                    });
                }
            }
        }
        Ok(Table {
            header,
            rows,
            errors,
        })
    }

    /// Finds each wanted column by any of its accepted names; errors with the missing ones.
    pub fn columns<const N: usize>(
        &self,
        path: &str,
        kind: &'static str,
        wanted: [(&[&str], bool); N],
    ) -> Result<[Option<usize>; N], CsvError> {
        let mut out = [None; N];
        let mut missing = Vec::new();
        for (i, (names, required)) in wanted.iter().enumerate() {
            out[i] = self
                .header
                .iter()
                .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
            if out[i].is_none() && *required {
                missing.push(names.join(" or "));
            }
        }
        if !missing.is_empty() {
            return Err(CsvError::Header {
                path: path.into(),
                kind,
                missing: missing.join(", "),
                found: self.header.join(","),
            });
        }
        Ok(out)
    }
}

/// Reads a file into a table.
pub fn read(path: &std::path::Path, encoding: Encoding) -> Result<(Table, &'static str), CsvError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| CsvError::Io {
        path: shown.clone(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(CsvError::Empty { path: shown });
    }
    let d = decode(&shown, &bytes, encoding)?;
    Ok((Table::parse(&shown, &d.text)?, d.encoding))
}

/// Reports progress of a long import: rows done, rows in all.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Reads a `YYYY-MM-DD` or `YYYY/MM/DD` date.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_quote_refuses_the_file_naming_its_line() {
        let mut text = String::from("item_code,name\nA,\"good, quoted\"\nB,\"say \"\"hi\"\"\"\n");
        text.push_str("C,\"multi\nline\"\nD,\"never closed\n");
        for i in 0..1000 {
            text.push_str(&format!("X{i},name {i}\n"));
        }
        match Table::parse("p.csv", &text) {
            Err(CsvError::UnclosedQuote { line, .. }) => assert_eq!(line, 6),
            other => panic!("{other:?}"),
        }
        assert_eq!(unclosed_quote("a,b\n1,\"x\"\"\"\n"), None);
        assert_eq!(
            unclosed_quote("a,b\n1,x\"y\n"),
            None,
            "a quote inside a value is text"
        );
    }

    #[test]
    fn a_utf8_file_with_shift_jis_rows_is_refused_naming_them() {
        let mut bytes = "item_code,name\nA,緑茶\n".as_bytes().to_vec();
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("B,紅茶\n");
        bytes.extend_from_slice(&sjis);
        bytes.extend_from_slice("C,ほうじ茶\n".as_bytes());
        match decode("p.csv", &bytes, Encoding::Auto) {
            Err(CsvError::MixedEncoding { lines, .. }) => assert_eq!(lines, "3"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn utf16_with_a_bom_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "item_code,name\nA,緑茶\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode("p.csv", &bytes, Encoding::Auto).unwrap();
        assert_eq!(
            (d.text.as_str(), d.encoding),
            ("item_code,name\nA,緑茶\n", "UTF-16LE")
        );
    }

    #[test]
    fn detects_utf8_bom_and_shift_jis() {
        let text = "商品管理番号,商品名\nmatcha,宇治抹茶\n";
        let d = decode("f", text.as_bytes(), Encoding::Auto).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (text, "UTF-8"));
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let d = decode("f", &bom, Encoding::Auto).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (text, "UTF-8 (BOM)"));
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        let d = decode("f", &sjis, Encoding::Auto).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (text, "Shift_JIS"));
        // Chosen explicitly, the wrong encoding is an error, not mojibake.
        assert!(matches!(
            decode("f", &sjis, Encoding::Utf8),
            Err(CsvError::Encoding { .. })
        ));
        // CP932 extensions (①, NEC special characters) decode.
        let (cp932, _, _) = encoding_rs::SHIFT_JIS.encode("①髙");
        assert_eq!(decode("f", &cp932, Encoding::ShiftJis).unwrap().text, "①髙");
    }

    #[test]
    fn line_numbers_hold_with_crlf_and_quoted_newlines() {
        let t = Table::parse("f", "a,b,c\r\n1,2,3\r\n\"x\r\ny\",5,6\r\n,8,9\r\n").unwrap();
        let lines: Vec<usize> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn binary_files_are_refused() {
        assert!(matches!(
            decode("f", b"PK\x03\x04\x00\x00", Encoding::Auto),
            Err(CsvError::NotText { .. })
        ));
    }

    #[test]
    fn rows_keep_their_line_numbers_and_bad_rows_are_reported() {
        let t = Table::parse("f", "a,b\n1,2\n\n3\n\"4,5\",6\n").unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 5);
        assert_eq!(t.rows[1].cells, vec!["4,5", "6"]);
        assert_eq!(t.errors.len(), 1);
        assert_eq!(t.errors[0].line, 4);
        let e = t
            .columns(
                "f",
                "a product master",
                [(&["a"], true), (&["z", "zz"], true)],
            )
            .unwrap_err();
        assert!(e.to_string().contains("z or zz"), "{e}");
    }

    #[test]
    fn encodings_are_named_as_people_write_them() {
        assert_eq!("Shift_JIS".parse::<Encoding>(), Ok(Encoding::ShiftJis));
        assert_eq!("cp932".parse::<Encoding>(), Ok(Encoding::ShiftJis));
        assert_eq!("UTF-8".parse::<Encoding>(), Ok(Encoding::Utf8));
        assert!("latin1".parse::<Encoding>().is_err());
    }
}
