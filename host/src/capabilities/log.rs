//! The log capability: a plugin's lines go to the host's `tracing` log, tagged with the plugin
//! (`mall@version`) and the shop, cut to a bounded length so a plugin cannot flood the log.

/// Longest message kept, in bytes; the rest is cut.
pub const MAX_MESSAGE: usize = 2048;

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

/// Where a plugin's log lines go, and how they are tagged.
#[derive(Debug, Clone)]
pub struct LogCapability {
    plugin: String,
    shop: String,
}

impl LogCapability {
    /// Tags lines with the plugin label and the shop id (empty for none).
    pub fn new(plugin: impl Into<String>, shop: impl Into<String>) -> LogCapability {
        LogCapability {
            plugin: plugin.into(),
            shop: shop.into(),
        }
    }

    /// Writes one line.
    pub fn log(&self, level: Level, message: &str) {
        let message = truncate(message, MAX_MESSAGE);
        let (plugin, shop) = (&self.plugin, &self.shop);
        match level {
            Level::Debug => tracing::debug!(target: "mallhost::plugin", plugin, shop, "{message}"),
            Level::Info => tracing::info!(target: "mallhost::plugin", plugin, shop, "{message}"),
            Level::Warn => tracing::warn!(target: "mallhost::plugin", plugin, shop, "{message}"),
            Level::Error => tracing::error!(target: "mallhost::plugin", plugin, shop, "{message}"),
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("abc", 10), "abc");
        // 受 is three bytes: cutting at 4 keeps one character.
        assert_eq!(truncate("受注確認", 4), "受");
        assert_eq!(truncate(&"x".repeat(5000), MAX_MESSAGE).len(), MAX_MESSAGE);
    }
}
