//! Pacing: a plugin declares how fast its mall lets one credential go ([`Pacing`]: so many
//! requests per period, with a burst); the host holds each `send` until the credential's
//! limiter lets it through, so a conforming plugin never meets the mall's 429 in normal work.
//! The wait is the host's time: it is not counted against the plugin's CPU limit. One limiter
//! serves every shop and call that uses the same credential of the same mall ([`Paces`]).
//!
//! The limit holds in **any** window, as a mall counts: at most `requests` requests in any
//! period, and at most `burst` in any `burst / requests` of it. (A token bucket, which lets a
//! full burst go after a quiet spell and then one request per period/requests, let three
//! requests into one second of a mall that allows two.) Each request reserves the first instant
//! both hold, so requests waiting together take turns. The host keeps [`MARGIN_PERCENT`] below
//! the declared rate: a request let go exactly on time can reach the mall a little early
//! (scheduling, the network), and a mall that counts to the millisecond would refuse it.
//!
//! Several processes on one database (PostgreSQL, several machines) share a credential's pace
//! through a [`PaceLedger`]: after its own limiter, each request is recorded in the database
//! (the database's clock, under a lock per credential) and waits while the credential's window
//! is full, so two processes together keep the mall's rate, not twice it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::connector::Pacing;

/// How far below a declared rate the host keeps, in percent.
pub const MARGIN_PERCENT: u32 = 10;

/// Requests of a credential recorded where every process sees them (the database).
pub trait PaceLedger: Send + Sync {
    /// Records a request for `key` when fewer than `requests` were recorded in the last
    /// `window` (`Ok(None)`: it may go); else says how long until one leaves the window.
    fn take<'a>(
        &'a self,
        key: &'a str,
        requests: u32,
        window: Duration,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Option<Duration>, String>> + Send + 'a>>;
}

/// One credential's limiter.
pub struct Pacer {
    pacing: Pacing,
    /// Where the credential's requests are shared with other processes, and its key there.
    ledger: Option<(Arc<dyn PaceLedger>, String)>,
    /// The period, the margin added.
    window: Duration,
    /// The instants reserved by the latest requests (at most `requests` kept).
    sent: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    /// A limiter letting `pacing.requests` through in any `pacing.per_millis`, `pacing.burst`
    /// at once.
    pub fn new(pacing: Pacing) -> Pacer {
        let window = Duration::from_millis(u64::from(pacing.per_millis.max(1)))
            * (100 + MARGIN_PERCENT)
            / 100;
        Pacer {
            pacing,
            ledger: None,
            window,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// Shares the pace with every process that records `key` in `ledger`.
    pub fn shared(mut self, ledger: Arc<dyn PaceLedger>, key: &str) -> Pacer {
        self.ledger = Some((ledger, key.to_string()));
        self
    }

    /// Reserves the next instant a request may go at, from `now`: the first at which the
    /// window holds fewer than `requests` and its burst part fewer than `burst`.
    pub fn reserve(&self, now: Instant) -> Instant {
        let requests = self.pacing.requests.max(1) as usize;
        let burst = (self.pacing.burst.max(1) as usize).min(requests);
        let burst_window = self.window * burst as u32 / requests as u32;
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        let mut at = now;
        if sent.len() >= requests {
            at = at.max(sent[sent.len() - requests] + self.window);
        }
        if sent.len() >= burst {
            at = at.max(sent[sent.len() - burst] + burst_window);
        }
        sent.push_back(at);
        while sent.len() > requests {
            sent.pop_front();
        }
        at
    }

    /// Waits until the next request may go: this process's turn, then — shared — until the
    /// ledger has room. A ledger that cannot be read is logged and the local pace kept.
    pub async fn wait(&self) {
        let at = self.reserve(Instant::now());
        tokio::time::sleep_until(at).await;
        let Some((ledger, key)) = &self.ledger else {
            return;
        };
        let requests = self.pacing.requests.max(1);
        loop {
            match ledger.take(key, requests, self.window).await {
                Ok(None) => return,
                Ok(Some(wait)) => tokio::time::sleep(wait.max(Duration::from_millis(5))).await,
                Err(e) => {
                    tracing::warn!(
                        "the shared pace of {key} cannot be read (kept here alone): {e}"
                    );
                    return;
                }
            }
        }
    }

    /// The pace it keeps.
    pub fn pacing(&self) -> Pacing {
        self.pacing
    }
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("pacing", &self.pacing)
            .field("shared", &self.ledger.as_ref().map(|(_, k)| k))
            .finish()
    }
}

/// The limiters of a host, one per (mall, credential), shared through a ledger when there is
/// one.
#[derive(Default)]
pub struct Paces {
    pacers: Mutex<HashMap<String, Arc<Pacer>>>,
    ledger: Option<Arc<dyn PaceLedger>>,
}

impl std::fmt::Debug for Paces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paces")
            .field("shared", &self.ledger.is_some())
            .finish()
    }
}

impl Paces {
    /// Limiters that share their paces through `ledger`.
    pub fn shared(ledger: Arc<dyn PaceLedger>) -> Paces {
        Paces {
            pacers: Mutex::default(),
            ledger: Some(ledger),
        }
    }

    /// The limiter of `key` (a mall and a credential's fingerprint) at `pacing`; a changed
    /// pacing (a new plugin version) gets a new limiter.
    pub fn pacer(&self, key: &str, pacing: Pacing) -> Arc<Pacer> {
        let mut map = self.pacers.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(p) if p.pacing() == pacing => p.clone(),
            _ => {
                let pacer = Pacer::new(pacing);
                let pacer = match &self.ledger {
                    Some(l) => pacer.shared(l.clone(), key),
                    None => pacer,
                };
                let p = Arc::new(pacer);
                map.insert(key.to_string(), p.clone());
                p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of `times` fall in the window of length `w` starting at each of them.
    fn most_in_any_window(times: &[Instant], w: Duration) -> usize {
        times
            .iter()
            .map(|&start| {
                times
                    .iter()
                    .filter(|&&t| t >= start && t < start + w)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn two_a_second_hold_in_any_second_even_after_a_quiet_spell() {
        let pacer = Pacer::new(Pacing {
            requests: 2,
            per_millis: 1000,
            burst: 2,
        });
        let t0 = Instant::now();
        // A quiet spell, then requests arriving together and one by one.
        let mut times = Vec::new();
        for (i, arrive) in [0u64, 0, 0, 0, 600, 3000, 3000, 3100, 3100, 3100]
            .into_iter()
            .enumerate()
        {
            let at = pacer.reserve(t0 + Duration::from_millis(arrive));
            assert!(
                at >= t0 + Duration::from_millis(arrive),
                "request {i} never goes early"
            );
            times.push(at);
        }
        assert_eq!(
            most_in_any_window(&times, Duration::from_millis(1000)),
            2,
            "{:?}",
            times.iter().map(|t| *t - t0).collect::<Vec<_>>()
        );
        // The first two went at once: the burst.
        assert_eq!(times[0], times[1]);
    }

    #[test]
    fn a_burst_goes_at_once_and_the_rest_keeps_both_limits() {
        let pacer = Pacer::new(Pacing {
            requests: 20,
            per_millis: 1000,
            burst: 2,
        });
        let t0 = Instant::now();
        let times: Vec<Instant> = (0..45).map(|_| pacer.reserve(t0)).collect();
        assert_eq!(times[0], times[1], "the burst goes at once");
        assert!(times[2] > times[1], "the third waits its turn");
        assert!(most_in_any_window(&times, Duration::from_millis(1000)) <= 20);
        assert!(most_in_any_window(&times, Duration::from_millis(100)) <= 2);
        // And it is not slower than it must be: 45 requests at 20 a second (10 % margin).
        assert!(
            times[44] - t0 <= Duration::from_millis(2500),
            "{:?}",
            times[44] - t0
        );
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
