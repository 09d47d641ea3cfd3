//! Pacing: a plugin declares how fast its mall lets one credential go ([`Pacing`]: so many
//! requests per period, with a burst); the host holds each `send` until the credential's
//! limiter lets it through, so a conforming plugin never meets the mall's 429 in normal work.
//! The wait is the host's time: it is not counted against the plugin's CPU limit. One limiter
//! serves every shop and call that uses the same credential of the same mall ([`Paces`]).
//! The limiter is `governor`'s (GCRA). The host keeps [`MARGIN_PERCENT`] below the declared
//! rate: a request let go exactly on time can reach the mall a little early (scheduling, the
//! network), and a mall that counts to the millisecond would refuse it.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::connector::Pacing;

/// How far below a declared rate the host keeps, in percent.
pub const MARGIN_PERCENT: u32 = 10;

/// One credential's limiter.
#[derive(Debug)]
pub struct Pacer {
    limiter: DefaultDirectRateLimiter,
    pacing: Pacing,
}

impl Pacer {
    /// A limiter letting `pacing.requests` through per `pacing.per_millis`, `pacing.burst` at
    /// once.
    pub fn new(pacing: Pacing) -> Pacer {
        let requests = pacing.requests.max(1);
        let period = Duration::from_millis(u64::from(pacing.per_millis.max(1))) / requests
            * (100 + MARGIN_PERCENT)
            / 100;
        let burst = NonZeroU32::new(pacing.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Pacer {
            limiter: RateLimiter::direct(quota),
            pacing,
        }
    }

    /// Waits until the next request may go.
    pub async fn wait(&self) {
        self.limiter.until_ready().await;
    }

    /// The pace it keeps.
    pub fn pacing(&self) -> Pacing {
        self.pacing
    }
}

/// The limiters of a host, one per (mall, credential).
#[derive(Debug, Default)]
pub struct Paces {
    pacers: Mutex<HashMap<String, Arc<Pacer>>>,
}

impl Paces {
    /// The limiter of `key` (a mall and a credential's fingerprint) at `pacing`; a changed
    /// pacing (a new plugin version) gets a new limiter.
    pub fn pacer(&self, key: &str, pacing: Pacing) -> Arc<Pacer> {
        let mut map = self.pacers.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(p) if p.pacing() == pacing => p.clone(),
            _ => {
                let p = Arc::new(Pacer::new(pacing));
                map.insert(key.to_string(), p.clone());
                p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_goes_at_once_and_the_rest_waits_its_turn() {
        let pacer = Pacer::new(Pacing {
            requests: 20,
            per_millis: 1000,
            burst: 2,
        });
        // The burst: no wait. Then each request waits about 50 ms for its turn; the number of
        // turns is what is checked (the limiter's own state), not how long the machine took.
        pacer.wait().await;
        pacer.wait().await;
        assert!(pacer.limiter.check().is_err(), "the burst is spent");
        pacer.wait().await;
        assert!(pacer.limiter.check().is_err(), "each turn is used once");
    }

    #[test]
    fn one_limiter_per_credential_shared_by_its_shops() {
        let paces = Paces::default();
        let p = Pacing {
            requests: 1,
            per_millis: 1000,
            burst: 1,
        };
        let a = paces.pacer("mall-a/abc", p);
        let b = paces.pacer("mall-a/abc", p);
        let other = paces.pacer("mall-a/def", p);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &other));
        let faster = paces.pacer("mall-a/abc", Pacing { requests: 2, ..p });
        assert!(!Arc::ptr_eq(&a, &faster), "a new pacing, a new limiter");
    }
}
