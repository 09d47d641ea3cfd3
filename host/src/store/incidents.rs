//! Alert incidents: an open problem per key (a shop's job failing, gone stale, a credential
//! near expiry) with when it opened and closed, and on which channel each was told. Opening is
//! idempotent (one open incident per key, by a unique index on open ones), and telling is
//! claimed per channel (a row of `alert_deliveries` per incident, channel and opening or
//! recovery), so several processes checking at once tell each incident once on each channel,
//! and a channel that fails (a mail server down) never makes another one (the webhook) tell
//! again. An opening is told while the incident is open; a recovery on the channels that told
//! its opening.

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

    /// Claims what is still to be told on `channel`: openings of open incidents it has not
    /// told, and recoveries of incidents whose opening it told. Each notice is claimed by this
    /// caller alone; [`Store::unclaim_notice`] gives one back if telling failed.
    pub async fn claim_notices(
        &self,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Notice>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.id, i.key, i.shop_id, i.message, CAST(0 AS BIGINT) AS recovered FROM alert_incidents i
             WHERE i.closed_at IS NULL AND NOT EXISTS (SELECT 1 FROM alert_deliveries d
                 WHERE d.incident_id = i.id AND d.channel = $1 AND d.recovered = 0)
             UNION ALL
             SELECT i.id, i.key, i.shop_id, i.message, CAST(1 AS BIGINT) AS recovered FROM alert_incidents i
             WHERE i.closed_at IS NOT NULL
               AND EXISTS (SELECT 1 FROM alert_deliveries d
                 WHERE d.incident_id = i.id AND d.channel = $1 AND d.recovered = 0)
               AND NOT EXISTS (SELECT 1 FROM alert_deliveries d
                 WHERE d.incident_id = i.id AND d.channel = $1 AND d.recovered = 1)
             ORDER BY 1",
        )
        .bind(channel)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let recovered = r.try_get::<i64, _>("recovered")? == 1;
            let n = sqlx::query(
                "INSERT INTO alert_deliveries (incident_id, channel, recovered, told_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(channel)
            .bind(i64::from(recovered))
            .bind(to_db(now))
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

    /// Gives a claimed notice back to `channel` (telling it failed): the next check tells it
    /// again there.
    pub async fn unclaim_notice(&self, channel: &str, notice: &Notice) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM alert_deliveries WHERE incident_id = $1 AND channel = $2 AND recovered = $3",
        )
        .bind(notice.id)
        .bind(channel)
        .bind(i64::from(notice.recovered))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
