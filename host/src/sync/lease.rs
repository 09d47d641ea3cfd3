//! A job's lease while it runs: claimed in the database before the job starts (refused, naming
//! the holder, when another process runs the same shop's job), renewed by a heartbeat every
//! third of its length, released with the run's outcome in `job_runs` when the job ends. A
//! process that dies stops renewing; its lease expires and the next process takes over — at
//! once when the dead process ran on this machine (its pid is gone), else when the lease ends.
//!
//! A holder is `host:pid:nonce#run`: every run has its own, so two runs in one process (the
//! scheduler and a manual run) exclude each other too.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::SyncError;
use crate::store::{RunOutcome, Store};

/// This process's name in leases, runs and push claims: `host:pid:nonce`.
pub fn holder_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let host = host_name();
        let nonce = Utc::now().timestamp_subsec_nanos() ^ std::process::id().rotate_left(16);
        format!("{host}:{}:{nonce:08x}", std::process::id())
    })
}

/// This machine's name, read once.
fn host_name() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "host".into())
    })
}

/// Whether `holder` (a lease's or a push claim's) was a process of this machine that no
/// longer runs.
pub(crate) fn process_gone(holder: &str) -> bool {
    let mut parts = holder.split(':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    host == host_name()
        && pid != std::process::id()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// When a lease (or a push claim) of length `lease` taken now ends.
pub(crate) fn until(lease: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::TimeDelta::from_std(lease).unwrap_or(chrono::TimeDelta::seconds(60))
}

/// A held job; [`JobLease::finish`] ends it.
pub(crate) struct JobLease {
    store: Store,
    shop: String,
    job: &'static str,
    holder: String,
    run_id: i64,
    lost: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl JobLease {
    /// The run's id in `job_runs`.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// Claims `(shop, job)` for this process, or says who holds it.
    pub(crate) async fn acquire(
        store: &Store,
        shop: &str,
        job: &'static str,
        lease: Duration,
    ) -> Result<JobLease, SyncError> {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let holder = format!("{}#{}", holder_id(), RUNS.fetch_add(1, Ordering::SeqCst));
        let store_err = |source| SyncError::Store {
            shop: shop.into(),
            source,
        };
        let mut claimed = store
            .acquire_job(shop, job, &holder, Utc::now(), until(lease))
            .await
            .map_err(store_err)?;
        if let Err(h) = &claimed
            && process_gone(&h.holder)
        {
            tracing::warn!(
                shop = %shop,
                "the {job} lease of {} belongs to a process that is gone; taking over",
                h.holder
            );
            store
                .expire_job(shop, job, &h.holder)
                .await
                .map_err(store_err)?;
            claimed = store
                .acquire_job(shop, job, &holder, Utc::now(), until(lease))
                .await
                .map_err(store_err)?;
        }
        let run_id = claimed.map_err(|h| SyncError::Busy {
            shop: shop.into(),
            job,
            holder: h.holder,
            until: h.until,
        })?;
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = {
            let (store, shop, holder, lost) = (
                store.clone(),
                shop.to_string(),
                holder.clone(),
                lost.clone(),
            );
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    crate::crash_point!("lease:renew");
                    match store.renew_job(&shop, job, &holder, until(lease)).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::error!(
                                shop = %shop,
                                "the {job} lease was taken over by another process; this run \
                                 stops at its next step"
                            );
                            lost.store(true, Ordering::SeqCst);
                            return;
                        }
                        Err(e) => tracing::warn!(shop = %shop, "renewing the {job} lease: {e}"),
                    }
                }
            })
        };
        Ok(JobLease {
            store: store.clone(),
            shop: shop.into(),
            job,
            holder,
            run_id,
            lost,
            heartbeat,
        })
    }

    /// An error when the lease was lost (another process took the job over after this one
    /// stalled past its lease): the run must not go on.
    pub(crate) fn check(&self) -> Result<(), SyncError> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(SyncError::LeaseLost {
                shop: self.shop.clone(),
                job: self.job,
            });
        }
        Ok(())
    }

    /// Ends the run: its outcome goes to `job_runs` and the lease is released.
    pub(crate) async fn finish<T>(
        self,
        result: &Result<T, SyncError>,
        summarize: impl Fn(&T) -> (RunOutcome, String),
    ) {
        self.heartbeat.abort();
        let (outcome, summary, error) = match result {
            Ok(r) => {
                let (o, s) = summarize(r);
                (o, s, None)
            }
            Err(e) => (RunOutcome::Failed, String::new(), Some(e.to_string())),
        };
        if let Err(e) = self
            .store
            .finish_job(
                self.run_id,
                &self.shop,
                self.job,
                &self.holder,
                Utc::now(),
                outcome,
                &summary,
                error.as_deref(),
            )
            .await
        {
            tracing::warn!(
                shop = %self.shop,
                "recording the end of the {} run: {e} (its lease expires on its own)",
                self.job
            );
        }
    }
}

impl Drop for JobLease {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}
