//! Scrubbing: the host holds a shop's secrets and puts them on the plugin's requests; a mall
//! that echoes what it got (a request id, a debugging endpoint, an error quoting a header) would
//! hand them back to the plugin, which could then send them anywhere its shop allows, or write
//! them into an error the host logs and stores. So every response of a shop's call is scrubbed
//! before the plugin reads it, and every text of such a call the host logs or keeps (the
//! plugin's log lines, its errors, its output) is scrubbed again: each secret the host holds for
//! the shop — raw, percent-encoded, in base64 at each of the three alignments a longer base64
//! text can hold it at — becomes [`MASK`].
//!
//! ```
//! use mallhost::capabilities::scrub::Scrubber;
//! let s = Scrubber::new(["hunter2-pass"]);
//! assert_eq!(s.text("x-request-id: P001:hunter2-pass"), "x-request-id: P001:********");
//! // base64 of the header a Basic scheme sent, at any alignment
//! let echoed = "UDAwMTpodW50ZXIyLXBhc3M="; // base64("P001:hunter2-pass")
//! assert!(!s.text(echoed).contains("aHVudGVyMi1wYXNz") && s.text(echoed).contains("********"));
//! ```

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// What a secret becomes.
pub const MASK: &str = "********";

/// Secrets shorter than this many bytes are not searched for (they would mask ordinary text);
/// no mall issues one.
pub const MIN_SECRET: usize = 4;

/// The forms of one shop's secrets, searched for in one pass.
#[derive(Clone, Default)]
pub struct Scrubber {
    finder: Option<AhoCorasick>,
    forms: usize,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrubber")
            .field("forms", &self.forms)
            .finish()
    }
}

impl Scrubber {
    /// A scrubber of `secrets` (and their encoded forms).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Scrubber {
        let mut needles: Vec<String> = Vec::new();
        for secret in secrets {
            if secret.len() < MIN_SECRET {
                continue;
            }
            needles.extend(forms(secret));
        }
        needles.retain(|n| n.len() >= MIN_SECRET);
        needles.sort();
        needles.dedup();
        let forms = needles.len();
        let finder = (!needles.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&needles)
                    .ok()
            })
            .flatten();
        Scrubber { finder, forms }
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.finder.is_none()
    }

    /// Whether `data` holds a secret.
    pub fn finds(&self, data: &[u8]) -> bool {
        self.finder.as_ref().is_some_and(|f| f.is_match(data))
    }

    /// `data` with every secret masked.
    pub fn bytes(&self, data: Vec<u8>) -> Vec<u8> {
        match &self.finder {
            Some(f) if f.is_match(&data) => {
                let masks = vec![MASK.as_bytes(); self.forms];
                f.replace_all_bytes(&data, &masks)
            }
            _ => data,
        }
    }

    /// `text` with every secret masked.
    pub fn text(&self, text: &str) -> String {
        match &self.finder {
            Some(f) if f.is_match(text) => {
                let masks = vec![MASK; self.forms];
                f.replace_all(text, &masks)
            }
            _ => text.to_string(),
        }
    }
}

/// The forms a secret can come back in: itself; percent-encoded (upper- and lower-case hex,
/// `+` for spaces as forms do); base64 (standard and URL-safe) at each alignment, without the
/// characters that depend on the bytes around it.
fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    let pct = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
    out.push(pct.to_ascii_lowercase());
    out.push(pct.replace("%20", "+"));
    out.push(pct);
    out.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    for offset in 0..3usize {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(secret.as_bytes());
        for engine in [&STANDARD, &URL_SAFE] {
            let encoded = engine.encode(&bytes);
            // The first group holds the bytes before the secret when it is offset; the last
            // one the bytes after it unless the secret ends a group.
            let start = if offset == 0 { 0 } else { 4 };
            let end = if bytes.len() % 3 == 0 {
                encoded.len()
            } else {
                encoded.len().saturating_sub(4)
            };
            if start < end && end - start >= 8 {
                out.push(encoded[start..end].to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn raw_percent_and_base64_forms_are_masked() {
        let s = Scrubber::new(["p@ss word/Δ9"]);
        for echoed in [
            "p@ss word/Δ9".to_string(),
            utf8_percent_encode("p@ss word/Δ9", NON_ALPHANUMERIC).to_string(),
            url::form_urlencoded::byte_serialize("p@ss word/Δ9".as_bytes()).collect(),
            b64("p@ss word/Δ9"),
            b64("A:p@ss word/Δ9"),
            b64("AB:p@ss word/Δ9:tail"),
            b64("ABC:p@ss word/Δ9"),
            URL_SAFE.encode("xx:p@ss word/Δ9"),
        ] {
            let out = s.text(&format!("echo {echoed} end"));
            assert!(out.contains(MASK), "{echoed} -> {out}");
            assert!(!out.contains(&echoed), "{echoed} -> {out}");
        }
    }

    #[test]
    fn text_without_secrets_is_unchanged_and_short_secrets_are_skipped() {
        let s = Scrubber::new(["abc", "long-secret"]);
        assert_eq!(s.text("abc abc"), "abc abc");
        assert_eq!(s.bytes(b"nothing here".to_vec()), b"nothing here");
        assert_eq!(s.bytes(b"[long-secret]".to_vec()), b"[********]");
        assert!(Scrubber::new(["ab"]).is_empty());
        assert!(Scrubber::default().is_empty());
    }

    #[test]
    fn the_secret_is_not_in_its_debug() {
        let s = Scrubber::new(["hunter2-pass"]);
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(s.finds(b"..hunter2-pass.."));
    }
}
