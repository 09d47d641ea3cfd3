//! Where log lines go: standard error, through [`SafeStderr`], which escapes the control
//! characters a line could carry from outside (an order number, a mall's message, a plugin's
//! words): a value cannot end a log line early and forge the next one, nor move the operator's
//! terminal. The line's own final line break stays, and — when colours are on — the colour
//! sequences the formatter writes (`ESC [ digits ; m`), which can do nothing else.

use std::io::Write;

/// Standard error, with control characters escaped.
pub struct SafeStderr {
    /// Whether the formatter writes colour sequences (a terminal).
    pub colours: bool,
}

impl Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stderr()
            .lock()
            .write_all(&escape(buf, self.colours))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().lock().flush()
    }
}

/// Whether `rest` (after an ESC) is a colour sequence: `[`, digits and `;`, then `m`.
fn colour_sequence(rest: &[u8]) -> Option<usize> {
    let body = rest.strip_prefix(b"[")?;
    let end = body
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b';'))?;
    (body[end] == b'm').then_some(end + 2)
}

/// `buf` with every control character escaped as `\u{..}` (a final line break kept, and colour
/// sequences when `colours`). C1 controls (U+0080..U+009F) are escaped too.
pub fn escape(buf: &[u8], colours: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(buf.len());
    let mut i = 0;
    while i < buf.len() {
        let b = buf[i];
        let last = i + 1 == buf.len();
        if b == 0x1b
            && colours
            && let Some(n) = colour_sequence(&buf[i + 1..])
        {
            out.extend_from_slice(&buf[i..i + 1 + n]);
            i += 1 + n;
            continue;
        }
        if b == b'\n' && last {
            out.push(b);
        } else if b < 0x20 || b == 0x7f {
            out.extend_from_slice(format!("\\u{{{b:x}}}").as_bytes());
        } else if b == 0xc2 && buf.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n)) {
            out.extend_from_slice(format!("\\u{{{:x}}}", buf[i + 1]).as_bytes());
            i += 1;
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn a_forged_line_and_terminal_codes_are_escaped() {
        let line = b"WARN order=X1\n2026-12-06 INFO forged\x1b[2J\x07\r\xc2\x9b done\n";
        let out = String::from_utf8(escape(line, false)).unwrap();
        assert_eq!(
            out,
            "WARN order=X1\\u{a}2026-12-06 INFO forged\\u{1b}[2J\\u{7}\\u{d}\\u{9b} done\n"
        );
    }

    #[test]
    fn colours_stay_when_on_and_nothing_else_does() {
        let line = b"\x1b[2m2026\x1b[0m \x1b[33mWARN\x1b[0m x\x1b[2J\n";
        let out = String::from_utf8(escape(line, true)).unwrap();
        assert_eq!(out, "\x1b[2m2026\x1b[0m \x1b[33mWARN\x1b[0m x\\u{1b}[2J\n");
        assert!(
            !String::from_utf8(escape(line, false))
                .unwrap()
                .contains('\x1b')
        );
        // Japanese text passes as it is.
        assert_eq!(
            escape("受注 ¥1,000\n".as_bytes(), false),
            "受注 ¥1,000\n".as_bytes()
        );
    }
}
