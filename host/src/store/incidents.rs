//! Alert incidents: an open problem per key (a shop's job failing, gone stale, a credential
//! near expiry) with when it opened and closed and whether each was told. Opening is idempotent
//! (one open incident per key, by a unique index on open ones), and telling is claimed row by
//! row, so several processes checking at once tell each incident once, and its recovery once.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError};
use crate::time::to_db;

/// Something to tell: an incident that opened, or one that cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The incident's row id.
    pub id: i64,
    /// Its key.
    pub key: String,
    /// The shop.
    pub shop: String,
    /// What was wrong.
    pub message: String,
    /// It cleared (else: it opened).
    pub recovered: bool,
}

/// The column that says a notice was told: the opening's, or the recovery's.
fn told_column(recovered: bool) -> &'static str {
    if recovered {
        "recovery_notified_at"
    } else {
        "notified_at"
    }
}

impl Store {
    /// Opens an incident for `key` unless one is open; returns whether this opened it.
    pub async fn open_incident(
        &self,
        key: &str,
        shop: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "INSERT INTO alert_incidents (key, shop_id, message, opened_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) WHERE closed_at IS NULL DO NOTHING",
        )
        .bind(key)
        .bind(shop)
        .bind(message)
        .bind(to_db(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Closes every open incident whose key is not in `still_open`; returns their keys.
    pub async fn close_incidents_except(
        &self,
        still_open: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let open = sqlx::query("SELECT id, key FROM alert_incidents WHERE closed_at IS NULL")
            .fetch_all(&self.pool)
            .await?;
        let mut closed = Vec::new();
        for r in open {
            let key: String = r.try_get("key")?;
            if still_open.contains(&key) {
                continue;
            }
            let id: i64 = r.try_get("id")?;
            let n = sqlx::query(
                "UPDATE alert_incidents SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL",
            )
            .bind(to_db(now))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if n == 1 {
                closed.push(key);
            }
        }
        Ok(closed)
    }

    /// Claims what is still to be told: incidents opened and not told (one that cleared before
    /// it was told is never told, nor its recovery), and recoveries of told ones. Each notice is
    /// claimed by this caller alone; [`Store::unclaim_notice`] gives one back if telling failed.
    pub async fn claim_notices(&self, now: DateTime<Utc>) -> Result<Vec<Notice>, StoreError> {
        // Cleared before anyone told it: nothing to say, either way.
        sqlx::query(
            "UPDATE alert_incidents SET notified_at = 'never', recovery_notified_at = 'never'
             WHERE notified_at IS NULL AND closed_at IS NOT NULL",
        )
        .execute(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT id, key, shop_id, message, closed_at FROM alert_incidents
             WHERE notified_at IS NULL
                OR (closed_at IS NOT NULL AND recovery_notified_at IS NULL)
             ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let recovered = r.try_get::<Option<String>, _>("closed_at")?.is_some();
            let column = told_column(recovered);
            let n = sqlx::query(&format!(
                "UPDATE alert_incidents SET {column} = $1 WHERE id = $2 AND {column} IS NULL"
            ))
            .bind(to_db(now))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if n == 1 {
                out.push(Notice {
                    id,
                    key: r.try_get("key")?,
                    shop: r.try_get("shop_id")?,
                    message: r.try_get("message")?,
                    recovered,
                });
            }
        }
        Ok(out)
    }

    /// Gives a claimed notice back (telling it failed): the next check tells it again.
    pub async fn unclaim_notice(&self, notice: &Notice) -> Result<(), StoreError> {
        let column = told_column(notice.recovered);
        sqlx::query(&format!(
            "UPDATE alert_incidents SET {column} = NULL WHERE id = $1"
        ))
        .bind(notice.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
