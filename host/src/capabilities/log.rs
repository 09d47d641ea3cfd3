//! The log capability: a plugin's lines go to the host's `tracing` log, tagged with the plugin
//! (`mall@version`) and the shop. A line is cut to a bounded length with its control characters
//! escaped (a newline cannot forge a host log line, an escape sequence cannot drive the
//! operator's terminal), and each call has a log budget: past it, one line says so and the rest
//! is dropped, so a plugin cannot flood the log.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Longest message kept, in bytes; the rest is cut.
pub const MAX_MESSAGE: usize = 2048;
/// Most lines one call may log.
pub const MAX_LINES_PER_CALL: u64 = 1_000;
/// Most bytes one call may log.
pub const MAX_BYTES_PER_CALL: u64 = 256 * 1024;

/// Severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warning.
    Warn,
    /// Error.
    Error,
}

/// Where a plugin's log lines go, and how they are tagged; one per call.
#[derive(Debug)]
pub struct LogCapability {
    plugin: String,
    shop: String,
    lines: AtomicU64,
    bytes: AtomicU64,
    spent: AtomicBool,
    scrubber: std::sync::Arc<super::scrub::Scrubber>,
}

impl LogCapability {
    /// Tags lines with the plugin label and the shop id (empty for none).
    pub fn new(plugin: impl Into<String>, shop: impl Into<String>) -> LogCapability {
        LogCapability {
            plugin: plugin.into(),
            shop: shop.into(),
            lines: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            spent: AtomicBool::new(false),
            scrubber: Default::default(),
        }
    }

    /// Masks the shop's secrets in every line (see [`super::scrub`]).
    pub fn scrubbing(mut self, scrubber: std::sync::Arc<super::scrub::Scrubber>) -> LogCapability {
        self.scrubber = scrubber;
        self
    }

    /// Writes one line, if the call's budget allows; returns whether it was written.
    pub fn log(&self, level: Level, message: &str) -> bool {
        // The budget first: a line past it costs a count, not a scrub (a flood of dropped
        // lines must not spend the call's CPU time in the host).
        let lines = self.lines.fetch_add(1, Ordering::SeqCst) + 1;
        let spent =
            lines > MAX_LINES_PER_CALL || self.bytes.load(Ordering::SeqCst) > MAX_BYTES_PER_CALL;
        let message = if spent {
            String::new()
        } else {
            plugin_text(&self.scrubber.text(message), MAX_MESSAGE)
        };
        let bytes =
            self.bytes.fetch_add(message.len() as u64, Ordering::SeqCst) + message.len() as u64;
        let (plugin, shop) = (&self.plugin, &self.shop);
        if spent || bytes > MAX_BYTES_PER_CALL {
            if !self.spent.swap(true, Ordering::SeqCst) {
                tracing::warn!(
                    target: "mallhost::plugin",
                    plugin,
                    shop,
                    "log budget of this call spent ({MAX_LINES_PER_CALL} lines or \
                     {MAX_BYTES_PER_CALL} bytes); its further lines are dropped"
                );
            }
            return false;
        }
        match level {
            Level::Debug => tracing::debug!(target: "mallhost::plugin", plugin, shop, "{message}"),
            Level::Info => tracing::info!(target: "mallhost::plugin", plugin, shop, "{message}"),
            Level::Warn => tracing::warn!(target: "mallhost::plugin", plugin, shop, "{message}"),
            Level::Error => tracing::error!(target: "mallhost::plugin", plugin, shop, "{message}"),
        }
        true
    }
}

/// Text from a plugin as the host keeps, logs and prints it: control characters (newlines,
/// ANSI escapes, NUL) escaped, so it cannot forge a log line or drive a terminal, and at most
/// `max` bytes, the cut marked with how much was dropped.
pub fn plugin_text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 32);
    for (i, c) in s.char_indices() {
        if out.len() >= max {
            out.push_str(&format!(" … [{} more bytes cut]", s.len() - i));
            return out;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_logs_within_its_budget_then_says_so_once() {
        let log = LogCapability::new("hostile@6.6.6", "s1");
        let written = (0..5_000)
            .filter(|i| log.log(Level::Info, &format!("line {i}")))
            .count() as u64;
        assert_eq!(written, MAX_LINES_PER_CALL);
        let big = LogCapability::new("hostile@6.6.6", "s1");
        let line = "x".repeat(MAX_MESSAGE * 4);
        let written = (0..1_000).filter(|_| big.log(Level::Info, &line)).count() as u64;
        assert!(
            written * MAX_MESSAGE as u64 <= MAX_BYTES_PER_CALL + MAX_MESSAGE as u64 * 2,
            "{written}"
        );
        assert!(big.spent.load(Ordering::SeqCst));
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("abc", 10), "abc");
        // 受 is three bytes: cutting at 4 keeps one character.
        assert_eq!(truncate("受注確認", 4), "受");
        assert_eq!(truncate(&"x".repeat(5000), MAX_MESSAGE).len(), MAX_MESSAGE);
    }
}
