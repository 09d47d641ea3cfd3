//! Text as the carriers' label software takes it: CP932 bytes, and within them only JIS X 0208
//! (B2クラウド refuses NEC and IBM extensions such as ① and 髙, and anything CP932 lacks, such
//! as 𠮷 or an emoji). Characters outside it are replaced through a table the shop can extend
//! (`[shops.labels] replace`), each replacement listed; a character with no replacement is
//! named, and its row stopped. Lengths are counted in CP932 bytes (全角 = 2), as the formats'
//! limits are.

use std::collections::BTreeMap;

/// Replacements every shop starts with (a shop's own table is laid over them).
pub const DEFAULT_REPLACEMENTS: &[(char, &str)] = &[
    ('𠮷', "吉"),
    ('髙', "高"),
    ('﨑', "崎"),
    ('德', "徳"),
    ('①', "1"),
    ('②', "2"),
    ('③', "3"),
    ('④', "4"),
    ('⑤', "5"),
    ('Ⅰ', "I"),
    ('Ⅱ', "II"),
    ('Ⅲ', "III"),
    ('㈱', "(株)"),
    ('㈲', "(有)"),
    ('№', "No."),
    ('〜', "～"),
    ('−', "－"),
    ('‐', "－"),
    ('\u{00A0}', " "),
];

/// A character replaced on its way into a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// What the order says.
    pub from: char,
    /// What the file gets.
    pub to: String,
}

/// A text made fit for a label file, or the characters that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fitted {
    /// The text as it goes into the file.
    pub text: String,
    /// Characters replaced (each once, in order of appearance).
    pub replaced: Vec<Replaced>,
    /// Characters with no replacement (each once): the row cannot be written.
    pub refused: Vec<char>,
}

/// The replacement table of one shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitter {
    table: BTreeMap<char, String>,
}

impl Default for Fitter {
    fn default() -> Self {
        Fitter::new(&BTreeMap::new())
    }
}

impl Fitter {
    /// The default table with the shop's own entries laid over it.
    pub fn new(shop: &BTreeMap<char, String>) -> Fitter {
        let mut table: BTreeMap<char, String> = DEFAULT_REPLACEMENTS
            .iter()
            .map(|(c, s)| (*c, (*s).to_string()))
            .collect();
        table.extend(shop.iter().map(|(c, s)| (*c, s.clone())));
        Fitter { table }
    }

    /// Fits `text`: every character in JIS X 0208 (or ASCII, or half-width katakana) kept,
    /// the others replaced through the table, or refused.
    pub fn fit(&self, text: &str) -> Fitted {
        let mut out = Fitted::default();
        for c in text.chars() {
            if c == '\r' || c == '\n' || c == '\t' {
                out.text.push(' ');
                continue;
            }
            if in_jis_x_0208(c) {
                out.text.push(c);
                continue;
            }
            match self.table.get(&c) {
                Some(to) if to.chars().all(in_jis_x_0208) => {
                    out.text.push_str(to);
                    if !out.replaced.iter().any(|r| r.from == c) {
                        out.replaced.push(Replaced {
                            from: c,
                            to: to.clone(),
                        });
                    }
                }
                _ => {
                    if !out.refused.contains(&c) {
                        out.refused.push(c);
                    }
                }
            }
        }
        out
    }
}

/// Whether `c` is printable ASCII, half-width katakana (JIS X 0201) or in JIS X 0208 (rows
/// 1–8 and 16–84: Shift_JIS lead bytes 0x81–0x84 and 0x88–0x9F, 0xE0–0xEA), as CP932 writes it.
pub fn in_jis_x_0208(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_control();
    }
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(s);
    if unmappable {
        return false;
    }
    match *bytes {
        [b] => (0xA1..=0xDF).contains(&b),
        [lead, _] => matches!(lead, 0x81..=0x84 | 0x88..=0x9F | 0xE0..=0xEA),
        _ => false,
    }
}

/// The text's length in CP932 bytes (全角 2, 半角 1); a character CP932 lacks counts 2.
pub fn cp932_len(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
            if unmappable { 2 } else { bytes.len() }
        })
        .sum()
}

/// The text in CP932 (every character already fitted).
pub fn to_cp932(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

/// A label file: the header (when the format has one) and the rows, CRLF, every field quoted,
/// in CP932 (every field already fitted).
pub fn cp932_csv(header: Option<&[&str]>, rows: &[Vec<String>]) -> Vec<u8> {
    let mut text = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let quoted: Vec<String> = cells
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        text.push_str(&quoted.join(","));
        text.push_str("\r\n");
    };
    if let Some(h) = header {
        line(&mut h.iter().copied());
    }
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
    to_cp932(&text)
}

/// Full-width ASCII (Ａ１－) as half-width, and full-width spaces as spaces: how headers and
/// numbers typed or re-saved by people are read back.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '−' | '‐' | '―' => '-',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jis_x_0208_is_kept_and_the_extensions_are_not() {
        for c in ['山', '田', 'ア', 'ｱ', 'A', '〒', '～', '－', '様', '々'] {
            assert!(in_jis_x_0208(c), "{c} is JIS X 0208 or ASCII/kana");
        }
        // NEC row 13, IBM extensions, outside CP932, emoji.
        for c in ['①', '髙', '﨑', '𠮷', '😀', '\u{00A0}', '\u{7}'] {
            assert!(!in_jis_x_0208(c), "{c:?} is outside JIS X 0208");
        }
    }

    #[test]
    fn replacements_are_listed_once_and_unknowns_refused() {
        let mut shop = BTreeMap::new();
        shop.insert('😀', String::new());
        let f = Fitter::new(&shop).fit("髙橋 𠮷田 髙 ① 😀 🎁");
        assert_eq!(f.text, "高橋 吉田 高 1  ");
        assert_eq!(
            f.replaced.iter().map(|r| r.from).collect::<Vec<_>>(),
            vec!['髙', '𠮷', '①', '😀']
        );
        assert_eq!(f.refused, vec!['🎁']);
    }

    #[test]
    fn a_replacement_outside_jis_is_no_replacement() {
        let mut shop = BTreeMap::new();
        shop.insert('🎁', "①".to_string());
        assert_eq!(Fitter::new(&shop).fit("🎁").refused, vec!['🎁']);
    }

    #[test]
    fn lengths_are_cp932_bytes() {
        assert_eq!(cp932_len("ABC"), 3);
        assert_eq!(cp932_len("山田"), 4);
        assert_eq!(cp932_len("ｱｲ"), 2);
        assert_eq!(to_cp932("山"), vec![0x8E, 0x52]);
    }

    #[test]
    fn full_width_is_read_half_width() {
        assert_eq!(half_width("検索キー１"), "検索キー1");
        assert_eq!(half_width("０９０－１２３４"), "090-1234");
    }
}
