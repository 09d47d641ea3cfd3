//! Automatic fetch (自動取得) and export (自動書き出し) for `mallhost serve`, on each shop's
//! interval, shared by every `serve` process on the database.
//!
//! When each (shop, job) is next due lives in the database (`job_schedule`). One dispatcher
//! task per process claims due jobs — a claim moves the job's next due time on, so only one
//! process wins it — as many as it has idle workers, and hands them to a fixed set of worker
//! tasks (`[sync] workers`): a thousand shops cost a thousand rows, not a thousand tasks. A
//! run then holds the job's lease (`sync::lease`), so a job never runs twice at once, even
//! started by hand; a process that dies leaves a lease that expires and a schedule that comes
//! due again, and another process takes the job over. A failed run is logged and counted, and
//! the job's next turn tries again. Each fetch asks for the shop's whole `fetch_days` window,
//! so consecutive windows overlap and an order at a boundary is never missed (the unique key
//! makes the overlap harmless).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration as Days, Utc};
use serde::Serialize;

use super::{ExportOptions, Syncer};
use crate::config::{ShopConfig, SyncPolicy};
use crate::runtime::Runtime;
use crate::store::Store;
use crate::time::{SharedClock, jst_date};

/// An automatic job.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// Fetch, store, take.
    Fetch,
    /// Export shipments.
    Export,
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Job::Fetch => "auto fetch",
            Job::Export => "auto export",
        })
    }
}

/// Counters of one shop's job.
#[derive(Debug, Default)]
pub struct JobStats {
    /// Runs finished.
    pub runs: AtomicU64,
    /// Runs that failed.
    pub failures: AtomicU64,
    /// Triggers skipped because a run was still going.
    pub skipped_busy: AtomicU64,
    /// Runs going now.
    pub in_flight: AtomicU32,
    /// The most runs that were ever going at once.
    pub max_in_flight: AtomicU32,
    /// The last failure's message.
    pub last_error: Mutex<Option<String>>,
    lock: tokio::sync::Mutex<()>,
}

/// A snapshot of [`JobStats`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSnapshot {
    /// Shop.
    pub shop: String,
    /// Job.
    pub job: Job,
    /// Runs finished.
    pub runs: u64,
    /// Runs that failed.
    pub failures: u64,
    /// Triggers skipped while busy.
    pub skipped_busy: u64,
    /// Most runs at once (1 when the rule holds).
    pub max_in_flight: u32,
    /// Last failure.
    pub last_error: Option<String>,
}

struct Shared {
    store: Store,
    runtime: Arc<Runtime>,
    clock: SharedClock,
    policy: SyncPolicy,
    stats: BTreeMap<(String, Job), Arc<JobStats>>,
    /// Each automatic job's interval.
    every: BTreeMap<(String, Job), std::time::Duration>,
    shops: BTreeMap<String, ShopConfig>,
    /// Workers without a job now.
    idle: AtomicU32,
    /// Rung by a worker that finished: the dispatcher looks for due jobs at once.
    finished: tokio::sync::Notify,
    /// Dispatcher rounds that claimed jobs, and the jobs they claimed (overhead figures).
    rounds: AtomicU64,
}

/// How often the dispatcher looks for due jobs (less often when every interval is longer).
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Runs the shops' automatic jobs until stopped.
pub struct Scheduler {
    shared: Arc<Shared>,
    shops: Vec<ShopConfig>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: tokio::sync::Mutex<tokio::task::JoinSet<()>>,
}

impl Scheduler {
    /// Starts the dispatcher and `policy.workers` workers for the automatic jobs of `shops` (in
    /// the current tokio runtime).
    pub fn start(
        store: Store,
        runtime: Arc<Runtime>,
        clock: SharedClock,
        policy: SyncPolicy,
        shops: Vec<ShopConfig>,
    ) -> Scheduler {
        let mut stats = BTreeMap::new();
        let mut every = BTreeMap::new();
        for shop in shops.iter().filter(|s| s.order_api) {
            for (job, interval) in [
                (Job::Fetch, shop.auto_fetch),
                (Job::Export, shop.auto_export),
            ] {
                if let Some(interval) = interval {
                    tracing::info!(shop = %shop.id, "{job} every {interval:?}");
                    stats.insert((shop.id.clone(), job), Arc::new(JobStats::default()));
                    every.insert((shop.id.clone(), job), interval);
                }
            }
        }
        let workers = policy.workers.max(1);
        let shared = Arc::new(Shared {
            store,
            runtime,
            clock,
            policy,
            stats,
            every,
            shops: shops.iter().map(|s| (s.id.clone(), s.clone())).collect(),
            idle: AtomicU32::new(workers),
            rounds: AtomicU64::new(0),
            finished: tokio::sync::Notify::new(),
        });
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        if !shared.every.is_empty() {
            let (tx, rx) = tokio::sync::mpsc::channel::<(String, Job)>(workers as usize);
            let rx = Arc::new(tokio::sync::Mutex::new(rx));
            for _ in 0..workers {
                let (shared, rx, stop) = (shared.clone(), rx.clone(), stop_rx.clone());
                tasks.spawn(async move {
                    loop {
                        let next = rx.lock().await.recv().await;
                        let Some((shop, job)) = next else { break };
                        // Claimed but not started when `serve` stops: the job comes due again.
                        if *stop.borrow() {
                            continue;
                        }
                        if let Some(s) = shared.shops.get(&shop) {
                            // A run that happened sets the job's next turn an interval on; one
                            // refused as busy keeps the claim's, a lease period on.
                            if run_job(&shared, s, job, None).await
                                && let Some(every) = shared.every.get(&(shop.clone(), job))
                            {
                                let next = chrono::Utc::now()
                                    + chrono::TimeDelta::from_std(*every)
                                        .unwrap_or(chrono::TimeDelta::hours(1));
                                if let Err(e) =
                                    shared.store.reschedule_job(&shop, job_id(job), next).await
                                {
                                    tracing::warn!(shop = %shop, "cannot set the next {job}: {e}");
                                }
                            }
                        }
                        shared.idle.fetch_add(1, Ordering::SeqCst);
                        shared.finished.notify_one();
                    }
                });
            }
            tasks.spawn(dispatch(shared.clone(), tx, stop_rx));
        }
        Scheduler {
            shared,
            shops,
            stop,
            tasks: tokio::sync::Mutex::new(tasks),
        }
    }

    /// Runs a job of a shop now, unless it is already running (then `false`).
    pub async fn run_now(&self, shop: &str, job: Job) -> bool {
        match self.shops.iter().find(|s| s.id == shop) {
            Some(s) => run_job(&self.shared, s, job, None).await,
            None => false,
        }
    }

    /// Starts a job of a shop in the background and returns its run's id (`job_runs.id`) as
    /// soon as the run holds its lease; the run goes on after this returns. Refused, saying
    /// why, for a shop or job that is not scheduled here or a run that is going.
    pub async fn start_now(&self, shop: &str, job: Job) -> Result<i64, String> {
        let Some(s) = self.shops.iter().find(|s| s.id == shop).cloned() else {
            return Err(format!("no shop {shop:?} in this host's configuration"));
        };
        if !self.shared.stats.contains_key(&(s.id.clone(), job)) {
            return Err(format!(
                "shop {shop:?} has no {job} (switch it on in the config)"
            ));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let shared = self.shared.clone();
        tokio::spawn(async move {
            run_job(&shared, &s, job, Some(tx)).await;
        });
        match tokio::time::timeout(std::time::Duration::from_secs(30), rx).await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(_)) => Err(format!(
                "not started: a run of {shop}'s {job} is going (here or in another process)"
            )),
            Err(_) => Err("not started within 30 s (the database is slow to answer)".into()),
        }
    }

    /// Dispatcher rounds that found due jobs so far.
    pub fn rounds(&self) -> u64 {
        self.shared.rounds.load(Ordering::SeqCst)
    }

    /// The counters of every job.
    pub fn stats(&self) -> Vec<JobSnapshot> {
        self.shared
            .stats
            .iter()
            .map(|((shop, job), s)| JobSnapshot {
                shop: shop.clone(),
                job: *job,
                runs: s.runs.load(Ordering::SeqCst),
                failures: s.failures.load(Ordering::SeqCst),
                skipped_busy: s.skipped_busy.load(Ordering::SeqCst),
                max_in_flight: s.max_in_flight.load(Ordering::SeqCst),
                last_error: s.last_error.lock().map(|e| e.clone()).unwrap_or(None),
            })
            .collect()
    }

    /// Stops the loops; runs in progress finish first.
    pub async fn shutdown(&self) -> Vec<JobSnapshot> {
        let _ = self.stop.send(true);
        let mut tasks = self.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
        self.stats()
    }
}

/// How often the dispatcher looks for due times set by a clock that moved.
const CLOCK_CHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// Makes due now every job of this process whose due time is further ahead of `now` than its
/// interval (a run under a clock that jumped ahead, then came back).
async fn pull_back_due_times(shared: &Shared, shortest: std::time::Duration, now: DateTime<Utc>) {
    let after = now + chrono::TimeDelta::from_std(shortest).unwrap_or(chrono::TimeDelta::MAX);
    let far = match shared.store.jobs_due_after(after).await {
        Ok(far) => far,
        Err(e) => {
            tracing::warn!("cannot read the job schedule (tried again): {e}");
            return;
        }
    };
    for (shop, job, due) in far {
        let Some(every) = job_from_id(&job).and_then(|j| shared.every.get(&(shop.clone(), j)))
        else {
            continue;
        };
        let limit = now + chrono::TimeDelta::from_std(*every).unwrap_or(chrono::TimeDelta::MAX);
        if due > limit {
            tracing::warn!(
                shop = %shop,
                "the {job} job was due at {due}, further ahead than its interval: the clock \
                 had moved; it is due now"
            );
            if let Err(e) = shared.store.reschedule_job(&shop, &job, now).await {
                tracing::warn!("cannot write the job schedule (tried again): {e}");
            }
        }
    }
}

/// The dispatcher: puts this process's jobs in the shared schedule, then, until stopped,
/// claims due jobs for its idle workers.
async fn dispatch(
    shared: Arc<Shared>,
    workers: tokio::sync::mpsc::Sender<(String, Job)>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let jobs: Vec<(String, String, std::time::Duration)> = shared
        .every
        .iter()
        .map(|((shop, job), every)| (shop.clone(), job_id(*job).to_string(), *every))
        .collect();
    let mut clock_checked = std::time::Instant::now();
    let shortest = shared.every.values().min().copied().unwrap_or(POLL);
    let mut tick = tokio::time::interval(POLL.min(shortest));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut scheduled = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shared.finished.notified() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        // Schedule and lease times are the machine's wall clock, like leases.
        let now = chrono::Utc::now();
        if !scheduled {
            match shared.store.schedule_jobs(&jobs, now).await {
                Ok(()) => scheduled = true,
                Err(e) => {
                    tracing::warn!("cannot write the job schedule (tried again): {e}");
                    continue;
                }
            }
        }
        // A due time further ahead than its job's interval was set by a clock that has since
        // moved back: the job is due now, not a day later.
        if clock_checked.elapsed() >= CLOCK_CHECK {
            clock_checked = std::time::Instant::now();
            pull_back_due_times(&shared, shortest, now).await;
        }
        let idle = shared.idle.load(Ordering::SeqCst) as usize;
        if idle == 0 {
            continue;
        }
        let knows = |shop: &str, job: &str| {
            job_from_id(job).is_some_and(|job| shared.every.contains_key(&(shop.to_string(), job)))
        };
        // Held for a lease period: if this process dies before the run ends, the job comes due
        // again then, and another process takes it over.
        let hold = chrono::TimeDelta::from_std(shared.policy.lease)
            .unwrap_or(chrono::TimeDelta::seconds(60));
        let due = match shared.store.claim_due_jobs(now, idle, hold, &knows).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!("cannot read the job schedule (tried again): {e}");
                continue;
            }
        };
        if !due.is_empty() {
            shared.rounds.fetch_add(1, Ordering::SeqCst);
        }
        for (shop, job) in due {
            let Some(job) = job_from_id(&job) else {
                continue;
            };
            shared.idle.fetch_sub(1, Ordering::SeqCst);
            if workers.send((shop, job)).await.is_err() {
                return;
            }
        }
    }
}

fn job_id(job: Job) -> &'static str {
    match job {
        Job::Fetch => "fetch",
        Job::Export => "export",
    }
}

fn job_from_id(id: &str) -> Option<Job> {
    match id {
        "fetch" => Some(Job::Fetch),
        "export" => Some(Job::Export),
        _ => None,
    }
}

/// One run of a job, unless one is going; returns whether it ran.
async fn run_job(
    shared: &Shared,
    shop: &ShopConfig,
    job: Job,
    started: Option<tokio::sync::oneshot::Sender<i64>>,
) -> bool {
    let Some(stats) = shared.stats.get(&(shop.id.clone(), job)).cloned() else {
        return false;
    };
    let Ok(_guard) = stats.lock.try_lock() else {
        stats.skipped_busy.fetch_add(1, Ordering::SeqCst);
        tracing::info!(shop = %shop.id, "{job} skipped, the previous run is still going");
        return false;
    };
    let now_running = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    stats.max_in_flight.fetch_max(now_running, Ordering::SeqCst);
    let mut syncer = Syncer::new(
        &shared.store,
        &shared.runtime,
        shared.clock.clone(),
        shared.policy.clone(),
    );
    if let Some(tx) = started {
        syncer = syncer.on_start(tx);
    }
    let result = match job {
        Job::Fetch => syncer
            .fetch(shop, syncer.days_window(shop))
            .await
            .map(|r| r.outcome().1),
        Job::Export => {
            // Yesterday and today (JST), so a run just after midnight misses nothing.
            let today = jst_date(shared.clock.now());
            let from = today - Days::days(1);
            syncer
                .export(shop, from, today, ExportOptions::SEND)
                .await
                .map(|r| r.outcome().1)
        }
    };
    stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    if let Err(e @ super::SyncError::Busy { .. }) = &result {
        // Another process (or a manual run) has it: not a failure, and not a run here.
        stats.skipped_busy.fetch_add(1, Ordering::SeqCst);
        tracing::info!(shop = %shop.id, "{job} skipped: {e}");
        return false;
    }
    stats.runs.fetch_add(1, Ordering::SeqCst);
    match result {
        Ok(summary) => tracing::info!(shop = %shop.id, "{job}: {summary}"),
        Err(e) => {
            stats.failures.fetch_add(1, Ordering::SeqCst);
            tracing::warn!(shop = %shop.id, "{job} failed (retried next time): {e}");
            if let Ok(mut last) = stats.last_error.lock() {
                *last = Some(e.to_string());
            }
        }
    }
    true
}
