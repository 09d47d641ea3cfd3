//! What one plugin call may use, and how exceeding it is reported: CPU time (an epoch deadline
//! checked every [`CHECK_EVERY`] against the time the call spent outside host calls), wall time
//! (a timeout around the whole call, host calls included), linear memory, tables and instances
//! (a store limiter), HTTP requests and response sizes, and the size of what a call returns.

use std::time::Duration;

use crate::capabilities::HttpLimits;
pub use crate::config::LimitsSpec;

/// How often, in epoch ticks, a running call's CPU time is checked (and the call yields).
pub(crate) const CHECK_EVERY: u64 = 5;
/// One epoch tick.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits applied to every call of a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    /// Most linear memory one instance may grow to, in bytes.
    pub memory_bytes: usize,
    /// Most time a call may spend running WebAssembly (host calls not counted).
    pub cpu_time: Duration,
    /// Longest a call may take in all, host calls included.
    pub call_timeout: Duration,
    /// HTTP limits.
    pub http: HttpLimits,
    /// Largest value a call may return, in bytes (strings and lists counted).
    pub max_return_bytes: usize,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            memory_bytes: 64 * 1024 * 1024,
            cpu_time: Duration::from_secs(10),
            call_timeout: Duration::from_secs(120),
            http: HttpLimits::default(),
            max_return_bytes: 16 * 1024 * 1024,
        }
    }
}

const MIB: u64 = 1024 * 1024;

impl From<PluginLimits> for LimitsSpec {
    /// Every limit spelled out (memory and sizes in whole MiB).
    fn from(l: PluginLimits) -> LimitsSpec {
        let mib = |bytes: u64| Some(bytes / MIB);
        LimitsSpec {
            memory_mib: mib(l.memory_bytes as u64),
            cpu_ms: u64::try_from(l.cpu_time.as_millis()).ok(),
            call_timeout_secs: Some(l.call_timeout.as_secs()),
            max_requests_per_call: Some(l.http.max_requests_per_call),
            max_response_mib: mib(l.http.max_response_bytes),
            max_return_mib: mib(l.max_return_bytes as u64),
        }
    }
}

impl PluginLimits {
    /// These limits with what `spec` names in their place.
    pub fn with_spec(&self, spec: &LimitsSpec) -> PluginLimits {
        let base = *self;
        let mib = |m: u64| usize::try_from(m.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
        PluginLimits {
            memory_bytes: spec.memory_mib.map_or(base.memory_bytes, mib),
            cpu_time: spec.cpu_ms.map_or(base.cpu_time, Duration::from_millis),
            call_timeout: spec
                .call_timeout_secs
                .map_or(base.call_timeout, Duration::from_secs),
            http: HttpLimits {
                max_requests_per_call: spec
                    .max_requests_per_call
                    .unwrap_or(base.http.max_requests_per_call),
                max_response_bytes: spec
                    .max_response_mib
                    .map_or(base.http.max_response_bytes, |m| {
                        m.saturating_mul(1024 * 1024)
                    }),
                request_timeout: base.http.request_timeout,
            },
            max_return_bytes: spec.max_return_mib.map_or(base.max_return_bytes, mib),
        }
    }
}

/// How a [`LimitExceeded::Timeout`] begins, for telling it apart in a call's error.
pub(crate) const CALL_TIMEOUT_WORDS: &str = "call timeout of ";

/// A limit a call ran into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitExceeded {
    /// CPU time.
    #[error("CPU time limit of {} ms exceeded", .0.as_millis())]
    Cpu(Duration),
    /// Wall time.
    #[error("call timeout of {} s exceeded (host calls included)", .0.as_secs_f64())]
    Timeout(Duration),
    /// Memory.
    #[error("memory limit of {} MiB exceeded", .0 / (1024 * 1024))]
    Memory(usize),
    /// Return size.
    #[error("returned about {got} bytes, more than the limit of {limit} bytes")]
    Return {
        /// Bytes returned (approximately).
        got: usize,
        /// The limit.
        limit: usize,
    },
}

/// Says what stopped a call, in words an operator can act on.
pub(crate) fn describe(e: &wasmtime::Error, limits: &PluginLimits) -> String {
    if let Some(l) = e.downcast_ref::<LimitExceeded>() {
        return l.to_string();
    }
    // The cause chain on one line, without wasmtime's wasm backtrace (frames of the plugin's
    // code, noise to an operator), at most 500 characters.
    let full = e
        .chain()
        .map(|c| c.to_string())
        .filter(|c| !c.contains("wasm backtrace:"))
        .collect::<Vec<_>>()
        .join(": ");
    let text: String = full
        .split("wasm backtrace:")
        .next()
        .unwrap_or(&full)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(500)
        .collect();
    if text.contains("forcing trap when growing memory") || text.contains("memory maximum size") {
        return format!("{}: {text}", LimitExceeded::Memory(limits.memory_bytes));
    }
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        return format!("trapped: {trap} ({text})");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_above_the_ceilings_or_of_zero_are_refused_naming_them() {
        let huge = LimitsSpec {
            memory_mib: Some(2048),
            ..LimitsSpec::default()
        };
        let e = huge.check().unwrap_err();
        assert!(
            e.contains("memory_mib = 2048") && e.contains("512 MiB"),
            "{e}"
        );
        let forever = LimitsSpec {
            cpu_ms: Some(u64::MAX),
            ..LimitsSpec::default()
        };
        assert!(forever.check().unwrap_err().contains("cpu_ms"));
        let none = LimitsSpec {
            call_timeout_secs: Some(0),
            ..LimitsSpec::default()
        };
        assert!(none.check().is_err());
        assert!(
            LimitsSpec::from(PluginLimits::default()).check().is_ok(),
            "defaults fit"
        );
    }

    #[test]
    fn a_manifest_overrides_only_what_it_names() {
        let base = PluginLimits::default();
        let spec = LimitsSpec {
            memory_mib: Some(8),
            cpu_ms: Some(250),
            ..LimitsSpec::default()
        };
        let l = base.with_spec(&spec);
        assert_eq!(l.memory_bytes, 8 * 1024 * 1024);
        assert_eq!(l.cpu_time, Duration::from_millis(250));
        assert_eq!(l.call_timeout, base.call_timeout);
        assert_eq!(l.http, base.http);
    }

    #[test]
    fn the_defaults_spelled_out_resolve_to_the_defaults() {
        let base = PluginLimits::default();
        assert_eq!(base.with_spec(&LimitsSpec::from(base)), base);
        // And they win over another base: every key is written.
        let other = LimitsSpec {
            memory_mib: Some(1),
            cpu_ms: Some(1),
            call_timeout_secs: Some(1),
            max_requests_per_call: Some(1),
            max_response_mib: Some(1),
            max_return_mib: Some(1),
        };
        let other = base.with_spec(&other);
        assert_eq!(
            other.with_spec(&LimitsSpec::from(base)).memory_bytes,
            base.memory_bytes
        );
        assert_eq!(
            other.with_spec(&LimitsSpec::from(base)).cpu_time,
            base.cpu_time
        );
    }

    #[test]
    fn limits_read_as_sentences() {
        assert_eq!(
            LimitExceeded::Memory(64 * 1024 * 1024).to_string(),
            "memory limit of 64 MiB exceeded"
        );
        assert_eq!(
            LimitExceeded::Cpu(Duration::from_millis(1500)).to_string(),
            "CPU time limit of 1500 ms exceeded"
        );
    }
}
