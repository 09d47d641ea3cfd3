//! Export bookkeeping: the orders an export period covers, with their last push, and the
//! record of every push attempt.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use super::orders::history;
use super::{Store, StoreError, corrupt};
use crate::model::{OrderStatus, TakeState};
use crate::time::{from_db, to_db};

/// How a push attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushOutcome {
    /// The mall accepted it.
    Ok,
    /// The mall refused this order's data; not retried until the data changes.
    Rejected,
    /// It was not sent (rate limit, host refusal, plugin failure before sending); retried
    /// next export.
    Failed,
    /// It was sent but its answer was lost (timeout, broken or unreadable answer) or its export
    /// stopped before recording it: the mall may have applied it. The next export sends it
    /// again (an identical push is harmless).
    Unknown,
    /// Claimed and being sent by an export (`holder`, until `lease_until`).
    Sending,
}

impl PushOutcome {
    /// The stored id.
    pub fn id(self) -> &'static str {
        match self {
            PushOutcome::Ok => "ok",
            PushOutcome::Rejected => "rejected",
            PushOutcome::Failed => "failed",
            PushOutcome::Unknown => "unknown",
            PushOutcome::Sending => "sending",
        }
    }

    fn from_id(s: &str) -> Option<PushOutcome> {
        [
            PushOutcome::Ok,
            PushOutcome::Rejected,
            PushOutcome::Failed,
            PushOutcome::Unknown,
            PushOutcome::Sending,
        ]
        .into_iter()
        .find(|o| o.id() == s)
    }
}

/// An order whose last-updated time falls in an export period, with what export rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCandidate {
    /// Row id.
    pub id: i64,
    /// The mall's order number.
    pub mall_order_number: String,
    /// Host status.
    pub status: OrderStatus,
    /// Why it is on hold.
    pub hold_reason: Option<String>,
    /// Whether the buyer has paid.
    pub payment: crate::model::PaymentState,
    /// Take state.
    pub take_state: TakeState,
    /// Carrier.
    pub carrier: Option<String>,
    /// Tracking number.
    pub tracking_number: Option<String>,
    /// Ship date.
    pub ship_date: Option<NaiveDate>,
    /// Last updated.
    pub updated_at: DateTime<Utc>,
    /// For a multi-delivery order: the deliveries without a tracking number.
    pub untracked_deliveries: Vec<u32>,
    /// The last push attempt, if any.
    pub last_push: Option<LastPush>,
    /// Its deliveries with their own shipping data, by number.
    pub deliveries: Vec<CandidateDelivery>,
}

/// A delivery of an export candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateDelivery {
    /// Its number in the order.
    pub delivery_no: u32,
    /// The mall's id of it.
    pub mall_delivery_id: Option<String>,
    /// The merchant's carrier set for it.
    pub carrier: Option<String>,
    /// Its tracking number.
    pub tracking_number: Option<String>,
    /// Its further parcels (2 on): (merchant carrier, tracking number), in order.
    pub more_parcels: Vec<(String, String)>,
}

/// The last push attempt of an order: what was sent and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastPush {
    /// How it ended.
    pub outcome: PushOutcome,
    /// The merchant's carrier sent.
    pub carrier: String,
    /// The tracking number sent.
    pub tracking_number: String,
    /// The ship date sent.
    pub ship_date: NaiveDate,
    /// The mall's or the network's error, if it did not end well.
    pub error: Option<String>,
    /// The shipment's data key ([`crate::connector::Shipment::data_key`]); none for pushes
    /// recorded before keys were kept.
    pub data_key: Option<String>,
}

/// A shipment to claim for sending ([`Store::claim_pushes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushClaim<'a> {
    /// The order's row id.
    pub order_id: i64,
    /// The merchant's carrier.
    pub carrier: &'a str,
    /// The mall's carrier id of the first parcel.
    pub carrier_id: &'a str,
    /// The first parcel's tracking number.
    pub tracking_number: &'a str,
    /// The ship date.
    pub ship_date: NaiveDate,
    /// The shipment's data key.
    pub data_key: &'a str,
}

/// How a claimed push ended ([`Store::settle_push`]), and what it changes on the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRecord<'a> {
    /// The order's row id.
    pub order_id: i64,
    /// The mall's carrier id sent (its claim holds the rest of what was sent).
    pub carrier_id: &'a str,
    /// The tracking number sent.
    pub tracking_number: &'a str,
    /// How it ended.
    pub outcome: PushOutcome,
    /// The error, if it did not end well.
    pub error: Option<&'a str>,
    /// How an accepted shipment is known to be on the mall, when it was not by its answer
    /// (e.g. a lookup after a lost answer); kept in the order's history.
    pub note: Option<&'a str>,
    /// The status the order moves to with this record (decided by the caller), if any.
    pub status_after: Option<OrderStatus>,
}

impl Store {
    /// Orders of a shop last updated inside `[from, to]`, and those whose last push was not
    /// delivered or has no known outcome (due whatever their update time), oldest update first.
    pub async fn export_candidates(
        &self,
        shop_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ExportCandidate>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.id, o.mall_order_number, o.status, o.hold_reason, o.payment_state, o.take_state, o.carrier,
                o.tracking_number, o.ship_date, o.updated_at,
                p.outcome AS p_outcome, p.carrier AS p_carrier, p.tracking_number AS p_tracking,
                p.ship_date AS p_date, p.error AS p_error, p.data_key AS p_key,
                CASE WHEN o.multiple_deliveries <> 0 THEN
                    (SELECT string_agg(CAST(d.delivery_no AS TEXT), ',') FROM order_deliveries d WHERE d.order_id = o.id
                       AND (d.tracking_number IS NULL OR d.tracking_number = ''))
                END AS untracked
             FROM orders o
             LEFT JOIN shipment_pushes p
               ON p.id = (SELECT MAX(id) FROM shipment_pushes WHERE order_id = o.id)
             WHERE o.shop_id = $1 AND ((o.updated_at >= $2 AND o.updated_at <= $3)
                OR (SELECT outcome FROM shipment_pushes
                    WHERE id = (SELECT MAX(id) FROM shipment_pushes WHERE order_id = o.id))
                   IN ('failed', 'unknown', 'sending'))
             ORDER BY o.updated_at, o.id",
        )
        .bind(shop_id)
        .bind(to_db(from))
        .bind(to_db(to))
        .fetch_all(&self.pool)
        .await?;
        let mut deliveries = self.candidate_deliveries(shop_id, from, to).await?;
        rows.iter()
            .map(|r| {
                let n: String = r.try_get("mall_order_number")?;
                let date = |col: &'static str,
                            v: Option<String>|
                 -> Result<Option<NaiveDate>, StoreError> {
                    v.map(|d| {
                        d.parse::<NaiveDate>()
                            .map_err(|e| corrupt("orders", col, &n, e))
                    })
                    .transpose()
                };
                let status_s: String = r.try_get("status")?;
                let take_s: String = r.try_get("take_state")?;
                let updated_s: String = r.try_get("updated_at")?;
                let last_push = match r.try_get::<Option<String>, _>("p_outcome")? {
                    None => None,
                    Some(o) => Some(LastPush {
                        outcome: PushOutcome::from_id(&o)
                            .ok_or_else(|| corrupt("shipment_pushes", "outcome", &n, &o))?,
                        carrier: r.try_get("p_carrier")?,
                        tracking_number: r.try_get("p_tracking")?,
                        ship_date: date("ship_date", r.try_get("p_date")?)?.unwrap_or_default(),
                        error: r.try_get("p_error")?,
                        data_key: r.try_get("p_key")?,
                    }),
                };
                let untracked: Option<String> = r.try_get("untracked")?;
                let untracked_deliveries = untracked
                    .unwrap_or_default()
                    .split(',')
                    .filter(|x| !x.is_empty())
                    .map(|x| {
                        x.parse::<u32>()
                            .map_err(|e| corrupt("order_deliveries", "delivery_no", &n, e))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let id: i64 = r.try_get("id")?;
                Ok(ExportCandidate {
                    untracked_deliveries,
                    deliveries: deliveries.remove(&id).unwrap_or_default(),
                    id,
                    status: OrderStatus::from_id(&status_s)
                        .ok_or_else(|| corrupt("orders", "status", &n, &status_s))?,
                    hold_reason: r.try_get("hold_reason")?,
                    payment: crate::model::PaymentState::from_id(
                        &r.try_get::<String, _>("payment_state")?,
                    )
                    .unwrap_or_default(),
                    take_state: TakeState::from_id(&take_s)
                        .ok_or_else(|| corrupt("orders", "take_state", &n, &take_s))?,
                    carrier: r.try_get("carrier")?,
                    tracking_number: r.try_get("tracking_number")?,
                    ship_date: date("ship_date", r.try_get("ship_date")?)?,
                    updated_at: from_db(&updated_s)
                        .ok_or_else(|| corrupt("orders", "updated_at", &n, &updated_s))?,
                    last_push,
                    mall_order_number: n,
                })
            })
            .collect()
    }

    /// The deliveries of the orders `export_candidates` returns, by order row id.
    async fn candidate_deliveries(
        &self,
        shop_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<std::collections::HashMap<i64, Vec<CandidateDelivery>>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.order_id, d.delivery_no, d.mall_delivery_id, d.ship_carrier, d.tracking_number
             FROM order_deliveries d JOIN orders o ON o.id = d.order_id
             WHERE o.shop_id = $1 AND ((o.updated_at >= $2 AND o.updated_at <= $3)
                OR (SELECT outcome FROM shipment_pushes
                    WHERE id = (SELECT MAX(id) FROM shipment_pushes WHERE order_id = o.id))
                   IN ('failed', 'unknown', 'sending'))
             ORDER BY d.order_id, d.delivery_no",
        )
        .bind(shop_id)
        .bind(to_db(from))
        .bind(to_db(to))
        .fetch_all(&self.pool)
        .await?;
        let mut out: std::collections::HashMap<i64, Vec<CandidateDelivery>> =
            std::collections::HashMap::new();
        for r in rows {
            out.entry(r.try_get("order_id")?)
                .or_default()
                .push(CandidateDelivery {
                    delivery_no: super::int(&r, "order_deliveries", "delivery_no", shop_id)?,
                    mall_delivery_id: r.try_get("mall_delivery_id")?,
                    carrier: r.try_get("ship_carrier")?,
                    tracking_number: r.try_get("tracking_number")?,
                    more_parcels: Vec::new(),
                });
        }
        let parcels = sqlx::query(
            "SELECT p.order_id, p.delivery_no, p.carrier, p.tracking_number
             FROM delivery_parcels p JOIN orders o ON o.id = p.order_id
             WHERE o.shop_id = $1 AND ((o.updated_at >= $2 AND o.updated_at <= $3)
                OR (SELECT outcome FROM shipment_pushes
                    WHERE id = (SELECT MAX(id) FROM shipment_pushes WHERE order_id = o.id))
                   IN ('failed', 'unknown', 'sending'))
             ORDER BY p.order_id, p.delivery_no, p.parcel_no",
        )
        .bind(shop_id)
        .bind(to_db(from))
        .bind(to_db(to))
        .fetch_all(&self.pool)
        .await?;
        for r in parcels {
            let order_id: i64 = r.try_get("order_id")?;
            let no: u32 = super::int(&r, "delivery_parcels", "delivery_no", shop_id)?;
            if let Some(d) = out
                .get_mut(&order_id)
                .and_then(|ds| ds.iter_mut().find(|d| d.delivery_no == no))
            {
                d.more_parcels
                    .push((r.try_get("carrier")?, r.try_get("tracking_number")?));
            }
        }
        Ok(out)
    }

    /// Claims shipments for sending (the push outbox): for each (order, data key) a
    /// `shipment_pushes` row in state `sending`, held by `holder` until `until`, committed
    /// before any request goes out. An order whose last push already carried this data and was
    /// accepted, or which another live export is sending, is not claimed. Returns the claimed
    /// rows' ids, by position (`None`: not claimed).
    pub async fn claim_pushes(
        &self,
        items: &[PushClaim<'_>],
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(items.len());
        for c in items {
            // Two exports never claim one order at once: PostgreSQL locks its row until commit;
            // SQLite has one writer at a time.
            super::sql::lock_order(&mut tx, self.backend, c.order_id).await?;
            let last = sqlx::query(
                "SELECT outcome, data_key, holder, lease_until FROM shipment_pushes
                 WHERE order_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(c.order_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = last {
                let outcome: String = r.try_get("outcome")?;
                let key: Option<String> = r.try_get("data_key")?;
                let other: Option<String> = r.try_get("holder")?;
                let lease: Option<String> = r.try_get("lease_until")?;
                let same = key.as_deref() == Some(c.data_key);
                let live = lease.as_deref().and_then(from_db).is_some_and(|t| t > now);
                if (outcome == "ok" && same)
                    || (outcome == "sending" && live && other.as_deref() != Some(holder))
                {
                    out.push(None);
                    continue;
                }
            }
            let attempt: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) + 1 FROM shipment_pushes WHERE order_id = $1 AND data_key = $2",
            )
            .bind(c.order_id)
            .bind(c.data_key)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO shipment_pushes (order_id, carrier, carrier_id, tracking_number,
                    ship_date, attempted_at, outcome, holder, lease_until, attempt, data_key)
                 VALUES ($1, $2, $3, $4, $5, $6, 'sending', $7, $8, $9, $10) RETURNING id",
            )
            .bind(c.order_id)
            .bind(c.carrier)
            .bind(c.carrier_id)
            .bind(c.tracking_number)
            .bind(c.ship_date.to_string())
            .bind(to_db(now))
            .bind(holder)
            .bind(to_db(until))
            .bind(attempt)
            .bind(c.data_key)
            .fetch_one(&mut *tx)
            .await?;
            out.push(Some(id));
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Settles a claimed push with its outcome, a history row and the order's new status, in
    /// one transaction.
    pub async fn settle_push(
        &self,
        push_id: i64,
        r: &PushRecord<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE shipment_pushes SET outcome = $1, error = $2, attempted_at = $3, holder = NULL,
                lease_until = NULL WHERE id = $4",
        )
        .bind(r.outcome.id())
        .bind(r.error)
        .bind(to_db(now))
        .bind(push_id)
        .execute(&mut *tx)
        .await?;
        push_effects(&mut tx, r, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pushes of `shop` left `sending` by an export that is gone — its claim's lease has
    /// passed, or `gone(holder)` says its process no longer runs: their outcome is unknown (the
    /// mall may have applied them). Marks them so, with a history row, and returns their order
    /// numbers. A claim of a live export is never taken.
    pub async fn settle_stale_pushes(
        &self,
        shop: &str,
        now: DateTime<Utc>,
        gone: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT p.id, p.order_id, o.mall_order_number, p.holder, p.lease_until
             FROM shipment_pushes p JOIN orders o ON o.id = p.order_id
             WHERE o.shop_id = $1 AND p.outcome = 'sending'",
        )
        .bind(shop)
        .fetch_all(&mut *tx)
        .await?;
        let mut numbers = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let order_id: i64 = r.try_get("order_id")?;
            let by: Option<String> = r.try_get("holder")?;
            let until: Option<String> = r.try_get("lease_until")?;
            let expired = until.as_deref().and_then(from_db).is_none_or(|t| t < now);
            if !expired && !by.as_deref().is_some_and(&gone) {
                continue; // a live export's claim
            }
            let message = format!(
                "the export that sent it ({}) stopped before recording the answer; the mall may \
                 have applied it: looked up on the mall, or sent again",
                by.unwrap_or_default()
            );
            let settled = sqlx::query(
                "UPDATE shipment_pushes SET outcome = 'unknown', error = $1, holder = NULL,
                    lease_until = NULL WHERE id = $2 AND outcome = 'sending'",
            )
            .bind(&message)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if settled == 0 {
                continue; // settled by its export meanwhile
            }
            history(&mut tx, order_id, now, "push_unknown", &message).await?;
            numbers.push(r.try_get("mall_order_number")?);
        }
        tx.commit().await?;
        Ok(numbers)
    }
}

/// A push's history row and the order's new status.
async fn push_effects(
    tx: &mut super::Tx<'_>,
    r: &PushRecord<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    {
        let detail = match (r.outcome, r.error) {
            (PushOutcome::Ok, _) if r.note.is_some() => format!(
                "shipment on the mall ({}): carrier id {}, tracking {}",
                r.note.unwrap_or_default(),
                r.carrier_id,
                r.tracking_number
            ),
            (PushOutcome::Ok, _) => format!(
                "shipment sent to the mall: carrier id {}, tracking {}",
                r.carrier_id, r.tracking_number
            ),
            (_, e) => format!("shipment push {}: {}", r.outcome.id(), e.unwrap_or("")),
        };
        if let Some(status) = r.status_after {
            sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.id())
                .bind(to_db(now))
                .bind(r.order_id)
                .execute(&mut **tx)
                .await?;
        }
        history(
            tx,
            r.order_id,
            now,
            &format!("push_{}", r.outcome.id()),
            &detail,
        )
        .await?;
        Ok(())
    }
}

/// One push attempt of an order, as the console's order page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushEntry {
    /// When it was attempted (UTC, as stored).
    pub attempted_at: String,
    /// Which attempt of this shipment data it was.
    pub attempt: i64,
    /// The merchant's carrier.
    pub carrier: String,
    /// The mall's carrier id sent.
    pub carrier_id: String,
    /// The tracking number sent.
    pub tracking_number: String,
    /// The ship date sent.
    pub ship_date: String,
    /// `ok`, `rejected`, `failed`, `unknown` or `sending`.
    pub outcome: String,
    /// The error, when it did not end well.
    pub error: Option<String>,
}

impl Store {
    /// Every push attempt of an order, oldest first.
    pub async fn pushes_of(
        &self,
        shop_id: &str,
        number: &str,
    ) -> Result<Vec<PushEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.attempted_at, p.attempt, p.carrier, p.carrier_id, p.tracking_number,
                p.ship_date, p.outcome, p.error
             FROM shipment_pushes p JOIN orders o ON o.id = p.order_id
             WHERE o.shop_id = $1 AND o.mall_order_number = $2 ORDER BY p.id",
        )
        .bind(shop_id)
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PushEntry {
                    attempted_at: r.try_get("attempted_at")?,
                    attempt: r.try_get("attempt")?,
                    carrier: r.try_get("carrier")?,
                    carrier_id: r.try_get("carrier_id")?,
                    tracking_number: r.try_get("tracking_number")?,
                    ship_date: r.try_get("ship_date")?,
                    outcome: r.try_get("outcome")?,
                    error: r.try_get("error")?,
                })
            })
            .collect()
    }
}
