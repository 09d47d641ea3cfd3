//! Automatic fetch (自動取得) and export (自動書き出し) for `mallhost serve`: one loop per shop
//! and job, on the shop's interval. A job never runs twice at once (its loop waits for a run to
//! end before the next tick, and a lock guards runs started from elsewhere); a failed run is
//! logged and counted, and the next tick tries again. Each fetch asks for the shop's whole
//! `fetch_days` window, so consecutive windows overlap and an order at a boundary is never
//! missed (the unique key makes the overlap harmless).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Duration as Days;
use serde::Serialize;

use super::{ExportOptions, Syncer};
use crate::config::{ShopConfig, SyncPolicy};
use crate::runtime::Runtime;
use crate::store::Store;
use crate::time::{SharedClock, jst_date};

/// An automatic job.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
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
}

/// Runs the shops' automatic jobs until stopped.
pub struct Scheduler {
    shared: Arc<Shared>,
    shops: Vec<ShopConfig>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: tokio::sync::Mutex<tokio::task::JoinSet<()>>,
}

impl Scheduler {
    /// Starts a loop for every automatic job of `shops` (in the current tokio runtime).
    pub fn start(
        store: Store,
        runtime: Arc<Runtime>,
        clock: SharedClock,
        policy: SyncPolicy,
        shops: Vec<ShopConfig>,
    ) -> Scheduler {
        let mut stats = BTreeMap::new();
        let mut loops = Vec::new();
        for shop in shops.iter().filter(|s| s.order_api) {
            for (job, every) in [
                (Job::Fetch, shop.auto_fetch),
                (Job::Export, shop.auto_export),
            ] {
                if let Some(every) = every {
                    stats.insert((shop.id.clone(), job), Arc::new(JobStats::default()));
                    loops.push((shop.clone(), job, every));
                }
            }
        }
        let shared = Arc::new(Shared {
            store,
            runtime,
            clock,
            policy,
            stats,
        });
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for (shop, job, every) in loops {
            let shared = shared.clone();
            let mut stop_rx = stop_rx.clone();
            tasks.spawn(async move {
                tracing::info!("shop {}: {job} every {:?}", shop.id, every);
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = stop_rx.changed() => break,
                    }
                    if *stop_rx.borrow() {
                        break;
                    }
                    run_job(&shared, &shop, job).await;
                }
            });
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
            Some(s) => run_job(&self.shared, s, job).await,
            None => false,
        }
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

/// One run of a job, unless one is going; returns whether it ran.
async fn run_job(shared: &Shared, shop: &ShopConfig, job: Job) -> bool {
    let Some(stats) = shared.stats.get(&(shop.id.clone(), job)).cloned() else {
        return false;
    };
    let Ok(_guard) = stats.lock.try_lock() else {
        stats.skipped_busy.fetch_add(1, Ordering::SeqCst);
        tracing::info!(
            "shop {}: {job} skipped, the previous run is still going",
            shop.id
        );
        return false;
    };
    let now_running = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    stats.max_in_flight.fetch_max(now_running, Ordering::SeqCst);
    let syncer = Syncer::new(
        &shared.store,
        &shared.runtime,
        shared.clock.clone(),
        shared.policy.clone(),
    );
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
        tracing::info!("shop {}: {job} skipped: {e}", shop.id);
        return false;
    }
    stats.runs.fetch_add(1, Ordering::SeqCst);
    match result {
        Ok(summary) => tracing::info!("shop {}: {job}: {summary}", shop.id),
        Err(e) => {
            stats.failures.fetch_add(1, Ordering::SeqCst);
            tracing::warn!("shop {}: {job} failed (retried next time): {e}", shop.id);
            if let Ok(mut last) = stats.last_error.lock() {
                *last = Some(e.to_string());
            }
        }
    }
    true
}
