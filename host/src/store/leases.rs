//! Job leases: a (shop, job) run is claimed in the database before it starts, so a CLI command
//! and any number of `serve` processes on one database never run the same shop's job at once.
//! A lease lasts a short while and the holder renews it while it works; a process that dies
//! leaves a lease that expires, and the next process takes the job over. Every run is recorded
//! in `job_runs`. Lease times are wall-clock UTC (the machine's, not a test's manual clock).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError};
use crate::time::{from_db, to_db};

/// Runs kept per (shop, job) in `job_runs`; older ones are dropped as new ones end.
pub const KEEP_RUNS: i64 = 1_000;

/// Who holds a job now, when another process asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The holding process (`host:pid:nonce`).
    pub holder: String,
    /// Its lease's end, unless renewed.
    pub until: DateTime<Utc>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Everything done.
    Ok,
    /// Done, but some orders or shipments failed.
    Partial,
    /// The run failed.
    Failed,
}

impl RunOutcome {
    /// A run that did its work: `Partial` when some of it failed, else `Ok`.
    pub fn done(some_failed: bool) -> RunOutcome {
        if some_failed {
            RunOutcome::Partial
        } else {
            RunOutcome::Ok
        }
    }

    fn id(self) -> &'static str {
        match self {
            RunOutcome::Ok => "ok",
            RunOutcome::Partial => "partial",
            RunOutcome::Failed => "failed",
        }
    }
}

/// A recorded run (`job_runs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRun {
    /// Row id.
    pub id: i64,
    /// Shop.
    pub shop: String,
    /// Job (`fetch`, `export`).
    pub job: String,
    /// The process that ran it.
    pub holder: String,
    /// Start.
    pub started_at: String,
    /// End, if it ended (a crashed run has none).
    pub ended_at: Option<String>,
    /// `ok`, `partial`, `failed`.
    pub outcome: Option<String>,
    /// Counts, in words.
    pub summary: Option<String>,
    /// The error, if it failed.
    pub error: Option<String>,
}

impl Store {
    /// Claims `(shop, job)` for `holder` until `until`, and records the run's start: the run's
    /// id, or who holds the job now. A lease past its end is taken over.
    pub async fn acquire_job(
        &self,
        shop: &str,
        job: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Result<i64, Holder>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO job_runs (shop_id, job, holder, started_at) VALUES ($1, $2, $3, $4)
             RETURNING id",
        )
        .bind(shop)
        .bind(job)
        .bind(holder)
        .bind(to_db(now))
        .fetch_one(&mut *tx)
        .await?;
        let claimed = sqlx::query(
            "INSERT INTO job_leases (shop_id, job, holder, run_id, lease_until)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (shop_id, job) DO UPDATE
                SET holder = excluded.holder, run_id = excluded.run_id,
                    lease_until = excluded.lease_until
                WHERE job_leases.lease_until < $6 OR job_leases.holder = excluded.holder",
        )
        .bind(shop)
        .bind(job)
        .bind(holder)
        .bind(run_id)
        .bind(to_db(until))
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 1 {
            tx.commit().await?;
            return Ok(Ok(run_id));
        }
        let row = sqlx::query(
            "SELECT holder, lease_until FROM job_leases WHERE shop_id = $1 AND job = $2",
        )
        .bind(shop)
        .bind(job)
        .fetch_one(&mut *tx)
        .await?;
        tx.rollback().await?;
        let until_s: String = row.try_get("lease_until")?;
        Ok(Err(Holder {
            holder: row.try_get("holder")?,
            until: from_db(&until_s).unwrap_or(now),
        }))
    }

    /// Ends `holder`'s lease on `(shop, job)` now (its process is known to be gone), so the
    /// next claim takes the job over at once; `false` when it no longer holds it.
    pub async fn expire_job(
        &self,
        shop: &str,
        job: &str,
        holder: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE job_leases SET lease_until = '' WHERE shop_id = $1 AND job = $2 AND holder = $3",
        )
        .bind(shop)
        .bind(job)
        .bind(holder)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Extends a lease `holder` holds; `false` when it no longer holds it.
    pub async fn renew_job(
        &self,
        shop: &str,
        job: &str,
        holder: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE job_leases SET lease_until = $1 WHERE shop_id = $2 AND job = $3 AND holder = $4",
        )
        .bind(to_db(until))
        .bind(shop)
        .bind(job)
        .bind(holder)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Ends a run: records its outcome and releases the lease (if `holder` still holds it).
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_job(
        &self,
        run_id: i64,
        shop: &str,
        job: &str,
        holder: &str,
        now: DateTime<Utc>,
        outcome: RunOutcome,
        summary: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE job_runs SET ended_at = $1, outcome = $2, summary = $3, error = $4 WHERE id = $5",
        )
        .bind(to_db(now))
        .bind(outcome.id())
        .bind(summary)
        .bind(error)
        .bind(run_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM job_leases WHERE shop_id = $1 AND job = $2 AND holder = $3")
            .bind(shop)
            .bind(job)
            .bind(holder)
            .execute(&mut *tx)
            .await?;
        // The record stays bounded: the newest KEEP_RUNS runs of each (shop, job).
        sqlx::query(
            "DELETE FROM job_runs WHERE shop_id = $1 AND job = $2 AND id <= (
                SELECT id FROM job_runs WHERE shop_id = $3 AND job = $4
                ORDER BY id DESC LIMIT 1 OFFSET $5)",
        )
        .bind(shop)
        .bind(job)
        .bind(shop)
        .bind(job)
        .bind(KEEP_RUNS)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts `(shop, job, interval)` jobs in the shared schedule, due at `now`. One already
    /// there keeps its due time — unless that is further ahead than its interval (the interval
    /// was shortened, or the clock had moved), when it is due now.
    pub async fn schedule_jobs(
        &self,
        jobs: &[(String, String, std::time::Duration)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (shop, job, every) in jobs {
            let limit = now + chrono::TimeDelta::from_std(*every).unwrap_or(chrono::TimeDelta::MAX);
            sqlx::query(
                "INSERT INTO job_schedule (shop_id, job, next_due) VALUES ($1, $2, $3)
                 ON CONFLICT (shop_id, job) DO UPDATE SET next_due = excluded.next_due
                 WHERE job_schedule.next_due > $4",
            )
            .bind(shop)
            .bind(job)
            .bind(to_db(now))
            .bind(to_db(limit))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The jobs due later than `after`, with their due times: where a due time set by a clock
    /// that has since moved back is found.
    pub async fn jobs_due_after(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError> {
        let rows =
            sqlx::query("SELECT shop_id, job, next_due FROM job_schedule WHERE next_due > $1")
                .bind(to_db(after))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let due: String = r.try_get("next_due")?;
                Ok((
                    r.try_get("shop_id")?,
                    r.try_get("job")?,
                    from_db(&due).unwrap_or(after),
                ))
            })
            .collect()
    }

    /// Claims up to `limit` jobs due at `now`, oldest due first, among those `knows` accepts
    /// (the shops of this process's configuration): each claimed one is next due at
    /// `now + hold`, so no other process claims it before then — and if the claimer dies, it
    /// comes due again then (give the job's lease period). The run then sets its real next turn
    /// with [`Store::reschedule_job`]. On PostgreSQL, rows another process is claiming are
    /// skipped, not waited for.
    pub async fn claim_due_jobs(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        hold: chrono::TimeDelta,
        knows: &(dyn Fn(&str, &str) -> bool + Sync),
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let lock = match self.backend {
            super::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        // Read a little more than asked: rows of shops this process does not run are passed over.
        let rows = sqlx::query(&format!(
            "SELECT shop_id, job FROM job_schedule WHERE next_due <= $1
             ORDER BY next_due, shop_id, job LIMIT $2{lock}"
        ))
        .bind(to_db(now))
        .bind(i64::try_from(limit.saturating_mul(4).max(16)).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::new();
        for r in rows {
            if claimed.len() >= limit {
                break;
            }
            let shop: String = r.try_get("shop_id")?;
            let job: String = r.try_get("job")?;
            if !knows(&shop, &job) {
                continue;
            }
            let won = sqlx::query(
                "UPDATE job_schedule SET next_due = $1
                 WHERE shop_id = $2 AND job = $3 AND next_due <= $4",
            )
            .bind(to_db(now + hold))
            .bind(&shop)
            .bind(&job)
            .bind(to_db(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if won == 1 {
                claimed.push((shop, job));
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// One run, by id.
    pub async fn job_run(&self, id: i64) -> Result<Option<JobRun>, StoreError> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM job_runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_run).transpose()
    }

    /// The newest `limit` runs of one job of a shop, newest first.
    pub async fn job_runs_of(
        &self,
        shop: &str,
        job: &str,
        limit: u32,
    ) -> Result<Vec<JobRun>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM job_runs WHERE shop_id = $1 AND job = $2
                 ORDER BY id DESC LIMIT $3"
        ))
        .bind(shop)
        .bind(job)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_run).collect()
    }

    /// When `(shop, job)` is next due in the shared schedule, if it is scheduled.
    pub async fn job_next_due(
        &self,
        shop: &str,
        job: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let due: Option<String> =
            sqlx::query_scalar("SELECT next_due FROM job_schedule WHERE shop_id = $1 AND job = $2")
                .bind(shop)
                .bind(job)
                .fetch_optional(&self.pool)
                .await?;
        Ok(due.as_deref().and_then(from_db))
    }

    /// Sets when `(shop, job)` is next due (after a run: its interval from now).
    pub async fn reschedule_job(
        &self,
        shop: &str,
        job: &str,
        next_due: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE job_schedule SET next_due = $1 WHERE shop_id = $2 AND job = $3")
            .bind(to_db(next_due))
            .bind(shop)
            .bind(job)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The last `limit` runs of a shop's jobs (all shops when `shop` is `None`), newest first.
    pub async fn job_runs(
        &self,
        shop: Option<&str>,
        limit: u32,
    ) -> Result<Vec<JobRun>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM job_runs WHERE ($1 IS NULL OR shop_id = $2)
                 ORDER BY id DESC LIMIT $3"
        ))
        .bind(shop)
        .bind(shop)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_run).collect()
    }
}

/// The columns [`job_run`] reads.
const RUN_COLUMNS: &str = "id, shop_id, job, holder, started_at, ended_at, outcome, summary, error";

fn job_run(r: &sqlx::any::AnyRow) -> Result<JobRun, StoreError> {
    Ok(JobRun {
        id: r.try_get("id")?,
        shop: r.try_get("shop_id")?,
        job: r.try_get("job")?,
        holder: r.try_get("holder")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        outcome: r.try_get("outcome")?,
        summary: r.try_get("summary")?,
        error: r.try_get("error")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    async fn store() -> (Store, crate::store::testing::TestStore) {
        let t = crate::store::testing::fresh().await;
        (t.store.clone(), t)
    }

    #[tokio::test]
    async fn a_held_job_is_refused_naming_the_holder_and_taken_over_once_expired() {
        let (s, _d) = store().await;
        let t0 = Utc::now();
        let lease = |t: DateTime<Utc>| t + TimeDelta::seconds(30);
        let a = s
            .acquire_job("shop", "export", "A", t0, lease(t0))
            .await
            .unwrap();
        let run_a = a.expect("A gets it");
        let b = s
            .acquire_job("shop", "export", "B", t0, lease(t0))
            .await
            .unwrap();
        assert_eq!(b.unwrap_err().holder, "A");
        // Another job of the shop, or the same job of another shop, is free.
        assert!(
            s.acquire_job("shop", "fetch", "B", t0, lease(t0))
                .await
                .unwrap()
                .is_ok()
        );
        assert!(
            s.acquire_job("other", "export", "B", t0, lease(t0))
                .await
                .unwrap()
                .is_ok()
        );
        // A renews; B is still refused until the lease has passed.
        assert!(
            s.renew_job("shop", "export", "A", lease(t0 + TimeDelta::seconds(20)))
                .await
                .unwrap()
        );
        let t1 = t0 + TimeDelta::seconds(40);
        assert!(
            s.acquire_job("shop", "export", "B", t1, lease(t1))
                .await
                .unwrap()
                .is_err()
        );
        // A dies: after its lease, B takes over, and A can no longer renew.
        let t2 = t0 + TimeDelta::seconds(60);
        assert!(
            s.acquire_job("shop", "export", "B", t2, lease(t2))
                .await
                .unwrap()
                .is_ok()
        );
        assert!(!s.renew_job("shop", "export", "A", lease(t2)).await.unwrap());
        // A's late finish records its run but does not release B's lease.
        s.finish_job(run_a, "shop", "export", "A", t2, RunOutcome::Ok, "", None)
            .await
            .unwrap();
        assert!(
            s.acquire_job("shop", "export", "C", t2, lease(t2))
                .await
                .unwrap()
                .is_err()
        );
        let runs = s.job_runs(Some("shop"), 10).await.unwrap();
        assert!(
            runs.iter()
                .any(|r| r.id == run_a && r.outcome.as_deref() == Some("ok"))
        );
    }

    #[tokio::test]
    async fn a_due_job_is_claimed_once_and_comes_due_again_a_lease_after_its_claimer_died() {
        let (s, _d) = store().await;
        let t0 = Utc::now();
        let jobs = vec![
            ("a".to_string(), "fetch".to_string()),
            ("b".to_string(), "fetch".to_string()),
            ("elsewhere".to_string(), "fetch".to_string()),
        ];
        let jobs: Vec<_> = jobs
            .into_iter()
            .map(|(s, j)| (s, j, std::time::Duration::from_secs(900)))
            .collect();
        s.schedule_jobs(&jobs, t0).await.unwrap();
        s.schedule_jobs(&jobs, t0 + TimeDelta::hours(5))
            .await
            .unwrap(); // kept as they were
        let hold = TimeDelta::seconds(30);
        let mine = |shop: &str, _: &str| shop != "elsewhere";
        // Two processes ask at once: each job goes to one of them; a shop not configured here
        // is left for the process that has it.
        let first = s.claim_due_jobs(t0, 10, hold, &mine).await.unwrap();
        let second = s.claim_due_jobs(t0, 10, hold, &mine).await.unwrap();
        assert_eq!(first.len(), 2, "{first:?}");
        assert!(second.is_empty(), "{second:?}");
        // `a` ran and is next due in an hour; `b`'s claimer died mid-run.
        s.reschedule_job("a", "fetch", t0 + TimeDelta::hours(1))
            .await
            .unwrap();
        let later = t0 + TimeDelta::seconds(31);
        let taken_over = s.claim_due_jobs(later, 10, hold, &mine).await.unwrap();
        assert_eq!(taken_over, vec![("b".to_string(), "fetch".to_string())]);
        // One job at a time when one worker is idle.
        let t2 = t0 + TimeDelta::hours(2);
        assert_eq!(s.claim_due_jobs(t2, 1, hold, &mine).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn the_record_of_runs_stays_bounded() {
        let (s, _d) = store().await;
        let t = Utc::now();
        let mut ids = Vec::new();
        for _ in 0..(KEEP_RUNS + 25) {
            let id = s
                .acquire_job("shop", "fetch", "A", t, t + TimeDelta::seconds(30))
                .await
                .unwrap()
                .unwrap();
            s.finish_job(id, "shop", "fetch", "A", t, RunOutcome::Ok, "", None)
                .await
                .unwrap();
            ids.push(id);
        }
        let kept = s.job_runs(Some("shop"), 5_000).await.unwrap();
        assert_eq!(kept.len() as i64, KEEP_RUNS);
        let mut kept_ids: Vec<i64> = kept.iter().map(|r| r.id).collect();
        kept_ids.sort();
        assert_eq!(
            kept_ids,
            ids[ids.len() - KEEP_RUNS as usize..].to_vec(),
            "the newest are kept, the oldest dropped"
        );
    }

    #[tokio::test]
    async fn a_due_time_further_ahead_than_its_interval_is_brought_back_at_start() {
        let (s, _d) = store().await;
        let t0 = Utc::now();
        let hourly = vec![(
            "a".to_string(),
            "fetch".to_string(),
            std::time::Duration::from_secs(3600),
        )];
        s.schedule_jobs(&hourly, t0).await.unwrap();
        // A run an hour ahead (an hourly job), then a restart with a one-minute interval.
        s.reschedule_job("a", "fetch", t0 + TimeDelta::hours(1))
            .await
            .unwrap();
        let minutely = vec![(
            "a".to_string(),
            "fetch".to_string(),
            std::time::Duration::from_secs(60),
        )];
        s.schedule_jobs(&minutely, t0).await.unwrap();
        assert_eq!(
            s.job_next_due("a", "fetch")
                .await
                .unwrap()
                .map(|t| t.timestamp()),
            Some(t0.timestamp()),
            "due now, not in an hour"
        );
        // Within its interval, a due time stays.
        s.reschedule_job("a", "fetch", t0 + TimeDelta::seconds(30))
            .await
            .unwrap();
        s.schedule_jobs(&minutely, t0).await.unwrap();
        assert_eq!(
            s.job_next_due("a", "fetch")
                .await
                .unwrap()
                .map(|t| t.timestamp()),
            Some((t0 + TimeDelta::seconds(30)).timestamp())
        );
        let far = s.jobs_due_after(t0 + TimeDelta::seconds(10)).await.unwrap();
        assert_eq!(far.len(), 1, "{far:?}");
    }
}
