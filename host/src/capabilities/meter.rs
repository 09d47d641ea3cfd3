//! Measures one plugin call for its CPU limit: wall time since the call started, less the time
//! spent in host calls (HTTP, logging), which is the host's time, not the guest's. Every
//! capability that waits on the host's behalf adds its time here; the runtime's epoch check
//! compares the rest with the call's CPU limit.

use std::time::{Duration, Instant};

/// Measures one call: wall time since it started, and the part spent in host calls.
#[derive(Debug, Clone)]
pub struct CallMeter {
    started: Instant,
    in_host: Duration,
    /// The CPU-time limit of the call.
    pub cpu_limit: Duration,
    /// The call's wall-time limit, once the runtime has set it.
    pub wall: Option<Duration>,
}

impl CallMeter {
    /// A meter started now.
    pub fn new(cpu_limit: Duration) -> CallMeter {
        CallMeter {
            started: Instant::now(),
            in_host: Duration::ZERO,
            cpu_limit,
            wall: None,
        }
    }

    /// Adds time spent in a host call.
    pub fn add_host_time(&mut self, d: Duration) {
        self.in_host += d;
    }

    /// Time spent in host calls (HTTP, logging, signing; pacing waits included).
    pub fn host_time(&self) -> Duration {
        self.in_host
    }

    /// Wall time left of the call (none set: its CPU limit's worth, less the guest's time).
    pub fn wall_left(&self) -> Duration {
        match self.wall {
            Some(w) => w.saturating_sub(self.started.elapsed()),
            None => self.cpu_limit.saturating_sub(self.guest_time()),
        }
    }

    /// Time spent outside host calls.
    pub fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.in_host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_time_is_left_out_of_guest_time() {
        // No sleeping: host time larger than the elapsed time leaves no guest time, and host
        // time is subtracted exactly from whatever elapsed.
        let mut m = CallMeter::new(Duration::from_secs(1));
        m.add_host_time(Duration::from_secs(3600));
        assert_eq!(m.guest_time(), Duration::ZERO);
        let fresh = CallMeter::new(Duration::from_secs(1));
        let mut charged = fresh.clone();
        charged.add_host_time(Duration::from_millis(5));
        let (a, b) = (fresh.guest_time(), charged.guest_time());
        assert!(b + Duration::from_millis(5) >= a, "{a:?} vs {b:?}");
        assert!(
            b <= a,
            "host time must not count as guest time: {a:?} vs {b:?}"
        );
    }
}
