//! What one plugin call may use, and how exceeding it is reported: CPU time (an epoch deadline
//! checked every [`CHECK_EVERY`] against the time the call spent outside host calls), wall time
//! (a timeout around the whole call, host calls included), linear memory, tables and instances
//! (a store limiter), HTTP requests and response sizes, and the size of what a call returns.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::capabilities::http::HttpLimits;

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

/// Limits as a manifest's `[limits]` table gives them; missing keys keep the defaults.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
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

impl LimitsSpec {
    /// The limits, defaults filled in.
    pub fn resolve(&self, base: PluginLimits) -> PluginLimits {
        let mib = |m: u64| usize::try_from(m.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
        PluginLimits {
            memory_bytes: self.memory_mib.map_or(base.memory_bytes, mib),
            cpu_time: self.cpu_ms.map_or(base.cpu_time, Duration::from_millis),
            call_timeout: self
                .call_timeout_secs
                .map_or(base.call_timeout, Duration::from_secs),
            http: HttpLimits {
                max_requests_per_call: self
                    .max_requests_per_call
                    .unwrap_or(base.http.max_requests_per_call),
                max_response_bytes: self
                    .max_response_mib
                    .map_or(base.http.max_response_bytes, |m| {
                        m.saturating_mul(1024 * 1024)
                    }),
                request_timeout: base.http.request_timeout,
            },
            max_return_bytes: self.max_return_mib.map_or(base.max_return_bytes, mib),
        }
    }
}

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

/// Measures one call: wall time since it started, and the part spent in host calls.
#[derive(Debug, Clone)]
pub struct CallMeter {
    started: Instant,
    in_host: Duration,
    /// The CPU-time limit of the call.
    pub cpu_limit: Duration,
}

impl CallMeter {
    /// A meter started now.
    pub fn new(cpu_limit: Duration) -> CallMeter {
        CallMeter {
            started: Instant::now(),
            in_host: Duration::ZERO,
            cpu_limit,
        }
    }

    /// Adds time spent in a host call.
    pub fn add_host_time(&mut self, d: Duration) {
        self.in_host += d;
    }

    /// Time spent outside host calls.
    pub fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.in_host)
    }
}

/// Says what stopped a call, in words an operator can act on.
pub(crate) fn describe(e: &wasmtime::Error, limits: &PluginLimits) -> String {
    if let Some(l) = e.downcast_ref::<LimitExceeded>() {
        return l.to_string();
    }
    let text = format!("{e:#}");
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
    fn a_manifest_overrides_only_what_it_names() {
        let base = PluginLimits::default();
        let spec = LimitsSpec {
            memory_mib: Some(8),
            cpu_ms: Some(250),
            ..LimitsSpec::default()
        };
        let l = spec.resolve(base);
        assert_eq!(l.memory_bytes, 8 * 1024 * 1024);
        assert_eq!(l.cpu_time, Duration::from_millis(250));
        assert_eq!(l.call_timeout, base.call_timeout);
        assert_eq!(l.http, base.http);
    }

    #[test]
    fn guest_time_leaves_out_host_calls() {
        let mut m = CallMeter::new(Duration::from_secs(1));
        std::thread::sleep(Duration::from_millis(30));
        m.add_host_time(Duration::from_millis(25));
        let g = m.guest_time();
        assert!(
            g >= Duration::from_millis(4) && g < Duration::from_millis(25),
            "{g:?}"
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
