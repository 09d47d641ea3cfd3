//! The limits a plugin's calls run within, as text gives them: a manifest's `[limits]` and the
//! config's `[plugin_ceilings]` (same keys), and the host's hard ceilings no manifest may pass.
//! The runtime turns them into the limits it enforces (`runtime::PluginLimits`).

use serde::{Deserialize, Serialize};

/// Limits as a manifest's `[limits]` table gives them; missing keys keep the defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Memory, MiB.
    pub memory_mib: Option<u64>,
    /// CPU time per call, milliseconds.
    pub cpu_ms: Option<u64>,
    /// Wall time per call, seconds.
    pub call_timeout_secs: Option<u64>,
    /// HTTP requests per call.
    pub max_requests_per_call: Option<u32>,
    /// HTTP response body, MiB.
    pub max_response_mib: Option<u64>,
    /// Returned value, MiB.
    pub max_return_mib: Option<u64>,
}

/// The most a manifest may ask for, per limit (key, unit, ceiling): the host's own bounds, so a
/// plugin cannot take the machine by asking. A manifest above one is refused at install and
/// load, naming the limit and its ceiling.
pub const CEILINGS: [(&str, &str, u64); 6] = [
    ("memory_mib", "MiB", 512),
    ("cpu_ms", "ms", 120_000),
    ("call_timeout_secs", "s", 600),
    ("max_requests_per_call", "requests", 10_000),
    ("max_response_mib", "MiB", 256),
    ("max_return_mib", "MiB", 256),
];

impl LimitsSpec {
    fn values(&self) -> [Option<u64>; 6] {
        [
            self.memory_mib,
            self.cpu_ms,
            self.call_timeout_secs,
            self.max_requests_per_call.map(u64::from),
            self.max_response_mib,
            self.max_return_mib,
        ]
    }

    /// Refuses a limit of 0 or above the host's hard ceiling ([`CEILINGS`]), naming both.
    pub fn check(&self) -> Result<(), String> {
        self.check_within(&[None; 6], "the host's ceiling")
    }

    /// Refuses a limit of 0, above `ceilings` (a config's `[plugin_ceilings]`, where set) or
    /// above the hard ceilings, naming the limit and the ceiling.
    pub fn check_within_config(&self, ceilings: &LimitsSpec) -> Result<(), String> {
        self.check_within(&ceilings.values(), "the ceiling in [plugin_ceilings]")
    }

    fn check_within(&self, lower: &[Option<u64>; 6], whose: &str) -> Result<(), String> {
        for (((key, unit, hard), value), own) in CEILINGS.iter().zip(self.values()).zip(lower) {
            let (ceiling, whose) = match own {
                Some(c) if c < hard => (*c, whose),
                _ => (*hard, "the host's ceiling"),
            };
            match value {
                Some(0) => return Err(format!("[limits] {key} = 0 leaves the plugin nothing")),
                Some(v) if v > ceiling => {
                    return Err(format!(
                        "[limits] {key} = {v} is above {whose} of {ceiling} {unit}; ask for at \
                         most {ceiling}"
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
