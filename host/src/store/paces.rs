//! A mall's pace shared by every process on one PostgreSQL database: each request of a
//! credential recorded in `pace_requests` at the database's own clock (machines' clocks differ),
//! under a transaction lock per credential, and refused while the credential's window is full.
//! On SQLite (one machine) there is nothing to share: every request may go.

use std::time::Duration;

use sqlx::Row;

use super::{Backend, Store, StoreError};

impl Store {
    /// Records a request of `key` when fewer than `requests` were recorded in the last `window`
    /// (`None`: it may go); else how long until the oldest leaves the window.
    pub async fn take_pace(
        &self,
        key: &str,
        requests: u32,
        window: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1)::bigint)")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        let now_ms: i64 = sqlx::query(
            "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now_ms",
        )
        .fetch_one(&mut *tx)
        .await?
        .try_get("now_ms")?;
        sqlx::query("DELETE FROM pace_requests WHERE key = $1 AND at_ms <= $2")
            .bind(key)
            .bind(now_ms - window_ms)
            .execute(&mut *tx)
            .await?;
        let sent: Vec<i64> =
            sqlx::query("SELECT at_ms FROM pace_requests WHERE key = $1 ORDER BY at_ms")
                .bind(key)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("at_ms"))
                .collect::<Result<_, _>>()?;
        let answer = if sent.len() < requests as usize {
            sqlx::query("INSERT INTO pace_requests (key, at_ms) VALUES ($1, $2)")
                .bind(key)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            None
        } else {
            let oldest = sent[sent.len() - requests as usize];
            let wait = (oldest + window_ms - now_ms).max(1);
            Some(Duration::from_millis(u64::try_from(wait).unwrap_or(1)))
        };
        tx.commit().await?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_window_makes_every_process_wait() {
        let t = crate::store::testing::fresh().await;
        let window = Duration::from_millis(1100);
        let first = t.store.take_pace("mall-a/abc", 2, window).await.unwrap();
        let second = t.store.take_pace("mall-a/abc", 2, window).await.unwrap();
        let third = t.store.take_pace("mall-a/abc", 2, window).await.unwrap();
        let other = t.store.take_pace("mall-a/xyz", 2, window).await.unwrap();
        assert_eq!((first, second, other), (None, None, None));
        if t.store.backend() == Backend::Postgres {
            let wait = third.expect("the third of two a window waits");
            assert!(wait <= window, "{wait:?}");
        } else {
            assert_eq!(third, None, "one machine: nothing to share");
        }
    }
}
