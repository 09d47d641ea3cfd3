//! The clock capability: plugins read "now" from the host's [`Clock`](crate::time::Clock), both
//! through the contract's `now` import and through WASI's wall clock, so tests that move the
//! host's clock move the plugin's too.

use std::time::Duration;

use crate::time::SharedClock;

/// The `now` import: UTC seconds.
pub fn now(clock: &SharedClock) -> i64 {
    clock.now().timestamp()
}

/// WASI's wall clock, backed by the host's clock.
pub(crate) struct WasiWallClock(pub SharedClock);

impl wasmtime_wasi::HostWallClock for WasiWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.0.now().timestamp()).unwrap_or(0))
    }
}

/// WASI's monotonic clock, backed by the host's clock (nanoseconds since the epoch).
pub(crate) struct WasiMonotonicClock(pub SharedClock);

impl wasmtime_wasi::HostMonotonicClock for WasiMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        u64::try_from(self.0.now().timestamp())
            .unwrap_or(0)
            .saturating_mul(1_000_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ManualClock;
    use wasmtime_wasi::HostWallClock;

    #[test]
    fn wasi_wall_clock_follows_the_host_clock() {
        let t = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let c = ManualClock::new(t);
        let shared: SharedClock = c.clone();
        assert_eq!(now(&shared), 1_800_000_000);
        let wasi = WasiWallClock(shared);
        c.advance(chrono::Duration::seconds(5));
        assert_eq!(wasi.now(), Duration::from_secs(1_800_000_005));
    }
}
