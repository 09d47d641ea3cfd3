//! Retrying mall calls: a `rate-limited` answer waits the mall's `Retry-After` and carries on
//! where it was; a `transient` fault is retried with doubling backoff a bounded number of times;
//! anything else is final. Every wait of one run (a fetch with its takes and status sync, an
//! export) comes out of one [`RunWaits`]: `sync.max_wait_per_run_secs` is what the run may wait
//! in all, not per call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::SyncPolicy;
use crate::connector::ConnectorError;
use crate::runtime::CallError;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Wait(Duration),
    GiveUp,
}

/// What one run has waited, in all its calls, against `sync.max_wait_per_run_secs`.
#[derive(Debug, Default)]
pub(crate) struct RunWaits {
    waited_ns: AtomicU64,
}

impl RunWaits {
    /// Takes `d` out of the run's allowance, or says no (and takes nothing) when it would pass
    /// `limit`.
    fn take(&self, d: Duration, limit: Duration) -> bool {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let (d, limit) = (ns(d), ns(limit));
        self.waited_ns
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                let total = w.saturating_add(d);
                (total <= limit).then_some(total)
            })
            .is_ok()
    }

    /// What the run has waited so far.
    pub(crate) fn waited(&self) -> Duration {
        Duration::from_nanos(self.waited_ns.load(Ordering::SeqCst))
    }
}

/// Counts waits and attempts of one operation against the policy; its waits come out of its
/// run's allowance.
#[derive(Debug)]
pub(crate) struct Budget<'a> {
    policy: &'a SyncPolicy,
    run: &'a RunWaits,
    rate_waits: u32,
    transient: u32,
}

impl<'a> Budget<'a> {
    pub(crate) fn new(policy: &'a SyncPolicy, run: &'a RunWaits) -> Self {
        Budget {
            policy,
            run,
            rate_waits: 0,
            transient: 0,
        }
    }

    fn next(&mut self, e: &ConnectorError) -> Next {
        match e {
            ConnectorError::RateLimited { retry_after_ms } => {
                if self.rate_waits >= self.policy.rate_limit_waits {
                    return Next::GiveUp;
                }
                self.rate_waits += 1;
                Next::Wait(
                    Duration::from_millis(u64::from(*retry_after_ms))
                        .min(self.policy.max_retry_after),
                )
            }
            ConnectorError::Transient { .. } => {
                if self.transient >= self.policy.transient_retries {
                    return Next::GiveUp;
                }
                let wait = self
                    .policy
                    .backoff
                    .saturating_mul(1 << self.transient.min(16));
                self.transient += 1;
                Next::Wait(wait)
            }
            _ => Next::GiveUp,
        }
    }

    /// Sleeps before the next attempt if `e` is worth retrying; `false` when it is not.
    pub(crate) async fn wait_for(&mut self, e: &ConnectorError) -> bool {
        match self.next(e) {
            Next::GiveUp => false,
            Next::Wait(d) if !self.run.take(d, self.policy.max_wait_per_run) => {
                tracing::warn!(
                    "{e}; giving up: waiting {:.1} s more would pass the {} s this run may wait \
                     in all (sync.max_wait_per_run_secs; {:.1} s waited)",
                    d.as_secs_f64(),
                    self.policy.max_wait_per_run.as_secs(),
                    self.run.waited().as_secs_f64()
                );
                false
            }
            Next::Wait(d) => {
                tracing::info!("{e}; retrying in {:.1} s", d.as_secs_f64());
                tokio::time::sleep(d).await;
                true
            }
        }
    }
}

/// Runs `f` until it succeeds or fails for good under `policy`, waiting out of `run`.
pub(crate) async fn with_retry<T, F, Fut>(
    policy: &SyncPolicy,
    run: &RunWaits,
    mut f: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    let mut budget = Budget::new(policy, run);
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => match e.connector_error() {
                Some(ce) if ce.is_retryable() && budget.wait_for(ce).await => continue,
                _ => return Err(e),
            },
        }
    }
}

/// Why one item of a batch has no success.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ItemError {
    /// The connector's final error for this item.
    #[error(transparent)]
    Connector(ConnectorError),
    /// The whole call failed (plugin fault).
    #[error(transparent)]
    Call(CallError),
    /// The plugin's answer had no result for this item.
    #[error("the plugin returned no result for this order")]
    NoResult,
}

impl ItemError {
    /// Whether the item may have reached the mall without its answer reaching the host: a
    /// transient fault (timeout, broken or unreadable answer, 5xx), a plugin call that failed
    /// as a whole, or no result for it. Not a rate limit or a host refusal (nothing was sent).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ItemError::Connector(e) => matches!(e, ConnectorError::Transient { .. }),
            ItemError::Call(_) | ItemError::NoResult => true,
        }
    }

    /// Whether the item was not delivered to the mall (as opposed to refused by it).
    pub fn undelivered(&self) -> bool {
        match self {
            ItemError::Connector(e) => {
                e.is_retryable() || matches!(e, ConnectorError::HostRefused { .. })
            }
            ItemError::Call(_) | ItemError::NoResult => true,
        }
    }
}

/// Whether a batch call's items whose outcome is unknown (a transient fault: the mall may have
/// applied them) are sent again in the same run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Sent again: a repeat is harmless (a take, a question).
    Resend,
    /// Left unknown for the next run to look up first (a push: the mall may have accepted it).
    Keep,
}

/// Runs a per-order batch call until every item has a final result: items that failed with a
/// retryable error are sent again (only those), after the wait the error asks for (out of
/// `run`) — except, with [`Unknown::Keep`], those whose outcome is unknown.
pub(crate) async fn batch_with_retry<I, O, F, Fut>(
    policy: &SyncPolicy,
    run: &RunWaits,
    unknown: Unknown,
    items: Vec<I>,
    key: impl Fn(&I) -> &str,
    mut call: F,
) -> Vec<(I, Result<O, ItemError>)>
where
    I: Clone,
    F: FnMut(Vec<I>) -> Fut,
    Fut: Future<Output = Result<Vec<(String, Result<O, ConnectorError>)>, CallError>>,
{
    let mut budget = Budget::new(policy, run);
    let mut remaining = items;
    let mut finished = Vec::with_capacity(remaining.len());
    while !remaining.is_empty() {
        let results = match call(remaining.clone()).await {
            Ok(r) => r,
            Err(e) => {
                finished.extend(
                    remaining
                        .drain(..)
                        .map(|i| (i, Err(ItemError::Call(e.clone())))),
                );
                break;
            }
        };
        let mut by_key: HashMap<String, Result<O, ConnectorError>> = HashMap::new();
        for (k, r) in results {
            by_key.entry(k).or_insert(r);
        }
        let mut retry = Vec::new();
        let mut wait_on: Option<ConnectorError> = None;
        for item in remaining.drain(..) {
            match by_key.remove(key(&item)) {
                None => finished.push((item, Err(ItemError::NoResult))),
                Some(Ok(v)) => finished.push((item, Ok(v))),
                Some(Err(e))
                    if e.is_retryable()
                        && !(unknown == Unknown::Keep
                            && matches!(e, ConnectorError::Transient { .. })) =>
                {
                    // A rate limit dominates a transient fault: waiting the mall's time serves both.
                    if wait_on.is_none() || matches!(e, ConnectorError::RateLimited { .. }) {
                        wait_on = Some(e);
                    }
                    retry.push(item);
                }
                Some(Err(e)) => finished.push((item, Err(ItemError::Connector(e)))),
            }
        }
        if let Some(e) = wait_on
            && !budget.wait_for(&e).await
        {
            finished.extend(
                retry
                    .drain(..)
                    .map(|i| (i, Err(ItemError::Connector(e.clone())))),
            );
        }
        remaining = retry;
    }
    finished
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use super::*;

    fn policy() -> SyncPolicy {
        SyncPolicy {
            transient_retries: 2,
            backoff: Duration::from_millis(1),
            rate_limit_waits: 3,
            max_retry_after: Duration::from_millis(5),
            ..SyncPolicy::default()
        }
    }

    fn fault(error: ConnectorError) -> CallError {
        CallError::Connector {
            plugin: "p@1".into(),
            call: "fetch-orders",
            error,
        }
    }

    /// Runs `with_retry` over a fixed sequence of answers; returns the result and the calls made.
    async fn retried(answers: Vec<Result<u32, ConnectorError>>) -> (Result<u32, CallError>, usize) {
        let calls = Cell::new(0);
        let r = with_retry(&policy(), &RunWaits::default(), || {
            let i = calls.get();
            calls.set(i + 1);
            let answer = answers.get(i).cloned().unwrap_or(Ok(99)).map_err(fault);
            async move { answer }
        })
        .await;
        (r, calls.get())
    }

    #[tokio::test]
    async fn transient_faults_are_retried_a_bounded_number_of_times() {
        let down = || {
            Err(ConnectorError::Transient {
                message: "503".into(),
            })
        };
        let (r, calls) = retried(vec![down(), down(), down(), down()]).await;
        assert!(r.is_err());
        assert_eq!(calls, 3, "one try and two retries");
    }

    #[tokio::test]
    async fn rate_limits_wait_and_carry_on() {
        let limited = || {
            Err(ConnectorError::RateLimited {
                retry_after_ms: 1000,
            })
        };
        let (r, calls) = retried(vec![limited(), limited(), Ok(7)]).await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls, 3);
    }

    #[test]
    fn backoff_doubles_and_the_malls_retry_after_is_honoured_up_to_the_cap() {
        let p = SyncPolicy {
            transient_retries: 4,
            backoff: Duration::from_millis(100),
            rate_limit_waits: 3,
            max_retry_after: Duration::from_secs(5),
            ..SyncPolicy::default()
        };
        let run = RunWaits::default();
        let mut b = Budget::new(&p, &run);
        let down = ConnectorError::Transient {
            message: "503".into(),
        };
        let waits: Vec<Next> = (0..5).map(|_| b.next(&down)).collect();
        let ms = |m| Next::Wait(Duration::from_millis(m));
        assert_eq!(
            waits,
            vec![ms(100), ms(200), ms(400), ms(800), Next::GiveUp]
        );
        let limited = |s: u32| ConnectorError::RateLimited {
            retry_after_ms: s * 1000,
        };
        let mut b = Budget::new(&p, &run);
        assert_eq!(b.next(&limited(2)), Next::Wait(Duration::from_secs(2)));
        assert_eq!(b.next(&limited(3)), Next::Wait(Duration::from_secs(3)));
        assert_eq!(
            b.next(&limited(3600)),
            Next::Wait(Duration::from_secs(5)),
            "capped at max_retry_after"
        );
        assert_eq!(b.next(&limited(1)), Next::GiveUp, "rate_limit_waits spent");
    }

    #[tokio::test]
    async fn final_errors_are_not_retried() {
        let (r, calls) = retried(vec![Err(ConnectorError::Auth {
            message: "no".into(),
        })])
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn batches_resend_only_the_retryable_items() {
        let sent: RefCell<Vec<Vec<String>>> = RefCell::default();
        let items: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let out = batch_with_retry(
            &policy(),
            &RunWaits::default(),
            Unknown::Resend,
            items,
            |s| s.as_str(),
            |batch: Vec<String>| {
                sent.borrow_mut().push(batch.clone());
                let round = sent.borrow().len();
                let results = batch
                    .iter()
                    .map(|k| {
                        let r = match (k.as_str(), round) {
                            ("b", 1) => Err(ConnectorError::RateLimited {
                                retry_after_ms: 1000,
                            }),
                            ("c", _) => Err(ConnectorError::Remote {
                                code: "X".into(),
                                message: "no".into(),
                            }),
                            ("d", _) => Err(ConnectorError::Transient {
                                message: "down".into(),
                            }),
                            _ => Ok(round),
                        };
                        (k.clone(), r)
                    })
                    .collect();
                std::future::ready(Ok(results))
            },
        )
        .await;
        let sent = sent.borrow();
        assert_eq!(sent[0].len(), 4);
        assert_eq!(sent[1], vec!["b".to_string(), "d".to_string()]);
        let get = |k: &str| {
            out.iter()
                .find(|(i, _)| i == k)
                .map(|(_, r)| r.clone())
                .unwrap()
        };
        assert_eq!(get("a").unwrap(), 1);
        assert_eq!(get("b").unwrap(), 2);
        let c = get("c").unwrap_err();
        assert!(c.to_string().contains("X") && !c.undelivered(), "{c}");
        let d = get("d").unwrap_err();
        assert!(
            d.to_string().contains("down") && d.undelivered(),
            "d failed for good after its retries"
        );
        assert_eq!(out.len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_allowance_is_the_runs_in_all_not_each_calls() {
        let p = SyncPolicy {
            rate_limit_waits: 100,
            max_retry_after: Duration::from_secs(10),
            max_wait_per_run: Duration::from_secs(5),
            ..SyncPolicy::default()
        };
        let run = RunWaits::default();
        let limited = || {
            fault(ConnectorError::RateLimited {
                retry_after_ms: 2000,
            })
        };
        // Three calls of one run (pages), each limited once for 2 s then answered: the third's
        // wait would take the run past 5 s, so it gives up.
        let mut results = Vec::new();
        for _ in 0..3 {
            let calls = Cell::new(0);
            let r = with_retry(&p, &run, || {
                calls.set(calls.get() + 1);
                let answer = if calls.get() == 1 {
                    Err(limited())
                } else {
                    Ok(())
                };
                async move { answer }
            })
            .await;
            results.push(r.is_ok());
        }
        assert_eq!(results, vec![true, true, false]);
        assert_eq!(run.waited(), Duration::from_secs(4));
    }
}
