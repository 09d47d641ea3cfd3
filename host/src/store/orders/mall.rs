//! The mall's word on stored orders, as the status sync and the plugins' questions read it:
//! which numbers the host holds (`held`), the mall's status and its words, an order cancelled or
//! shipped there, paid there (an order held unpaid is released), and held or released there (an
//! order the mall holds is held here too, and released when the mall lifts its hold — only the
//! hold the mall set, never one of staff's).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::history;
use crate::model::{MALL_HOLD, OrderStatus, UNPAID_HOLD};
use crate::store::{Store, StoreError};

/// Orders of a shop the status sync may change beyond their status: held unpaid, or on a hold
/// the mall set.
#[derive(Debug, Clone, Default)]
pub struct AwaitingMall {
    /// Unpaid (held or not).
    pub unpaid: HashSet<String>,
    /// On a hold the mall set.
    pub mall_held: HashSet<String>,
}

impl Store {
    /// Which of `numbers` the shop's orders hold (any status), in no particular order.
    pub async fn held_numbers(
        &self,
        shop_id: &str,
        numbers: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        for chunk in numbers.chunks(500) {
            let mut q = crate::store::sql::Statement::new(
                self.backend,
                "SELECT mall_order_number FROM orders WHERE shop_id = ",
            );
            q.bind_here(shop_id)
                .push(" AND mall_order_number IN (")
                .list(chunk.iter().map(String::as_str))
                .push(")");
            let (sql, args) = q.build()?;
            found.extend(
                sqlx::query_scalar_with::<_, String, _>(&sql, args)
                    .fetch_all(&self.pool)
                    .await?,
            );
        }
        Ok(found)
    }

    /// Keeps the mall's status of an order as the status sync read it: its code and the
    /// plugin's words for it (whatever the order's status here).
    pub async fn set_mall_status(
        &self,
        shop_id: &str,
        number: &str,
        code: &str,
        words: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE orders SET mall_status = $1, mall_status_words = $2
             WHERE shop_id = $3 AND mall_order_number = $4
               AND (mall_status <> $1 OR mall_status_words <> $2)",
        )
        .bind(code)
        .bind(words)
        .bind(shop_id)
        .bind(number)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that the mall says an order is paid: its payment state becomes paid and, if it
    /// was held unpaid ([`UNPAID_HOLD`]), it is released to `status` with a
    /// history row. Returns whether it was released.
    pub async fn record_paid(
        &self,
        shop_id: &str,
        number: &str,
        status: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let held: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "UPDATE orders SET payment_state = 'paid'
             WHERE shop_id = $1 AND mall_order_number = $2 AND payment_state = 'unpaid'
             RETURNING id, status, hold_reason",
        )
        .bind(shop_id)
        .bind(number)
        .fetch_optional(&mut *tx)
        .await?;
        let released = match held {
            Some((id, st, Some(reason)))
                if st == OrderStatus::OnHold.id() && reason.starts_with(UNPAID_HOLD) =>
            {
                sqlx::query(
                    "UPDATE orders SET status = $1, hold_reason = NULL, updated_at = $2 WHERE id = $3",
                )
                .bind(status.id())
                .bind(crate::time::to_db(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                history(
                    &mut tx,
                    id,
                    now,
                    "payment_received",
                    &format!(
                        "the mall says the buyer has paid; released from hold to {} ({})",
                        status.id(),
                        status.label()
                    ),
                )
                .await?;
                true
            }
            Some((id, _, _)) => {
                history(
                    &mut tx,
                    id,
                    now,
                    "payment_received",
                    "the mall says the buyer has paid",
                )
                .await?;
                false
            }
            None => false,
        };
        tx.commit().await?;
        Ok(released)
    }

    /// Records what the mall says happened to an open order: it moves to `status` with a
    /// history row `event` carrying the mall's words. An order already shipped or cancelled
    /// here is left as it is; returns whether it moved.
    pub async fn record_mall_state(
        &self,
        shop_id: &str,
        number: &str,
        status: OrderStatus,
        event: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE orders SET status = $1, hold_reason = NULL, updated_at = $2
             WHERE shop_id = $3 AND mall_order_number = $4 AND status NOT IN ('shipped', 'cancelled')
             RETURNING id",
        )
        .bind(status.id())
        .bind(crate::time::to_db(now))
        .bind(shop_id)
        .bind(number)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            history(&mut tx, id, now, event, detail).await?;
        }
        tx.commit().await?;
        Ok(id.is_some())
    }

    /// The shop's orders held unpaid or on the mall's hold: one query, so the status sync asks
    /// the database again only for an order whose state changed.
    pub async fn awaiting_mall(&self, shop_id: &str) -> Result<AwaitingMall, StoreError> {
        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT mall_order_number, payment_state, status, hold_reason FROM orders
             WHERE shop_id = $1 AND (payment_state = 'unpaid' OR status = 'on_hold')",
        )
        .bind(shop_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = AwaitingMall::default();
        for (number, payment, status, reason) in rows {
            if payment == "unpaid" {
                out.unpaid.insert(number.clone());
            }
            if status == OrderStatus::OnHold.id()
                && reason.is_some_and(|r| r.starts_with(MALL_HOLD))
            {
                out.mall_held.insert(number);
            }
        }
        Ok(out)
    }

    /// The mall holds an open order (in its `words`): held here too, with a history row, unless
    /// it is on hold already (staff's hold stays staff's), shipped or cancelled. Returns whether
    /// it was held now.
    pub async fn record_mall_hold(
        &self,
        shop_id: &str,
        number: &str,
        words: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let reason = format!("{MALL_HOLD}: {words}");
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE orders SET status = 'on_hold', hold_reason = $1, updated_at = $2
             WHERE shop_id = $3 AND mall_order_number = $4
               AND status NOT IN ('on_hold', 'shipped', 'cancelled')
             RETURNING id",
        )
        .bind(&reason)
        .bind(crate::time::to_db(now))
        .bind(shop_id)
        .bind(number)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            history(
                &mut tx,
                id,
                now,
                "held_on_mall",
                &format!("the mall holds it: {words}"),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id.is_some())
    }

    /// The mall has lifted its hold: an order on the hold the mall set goes to `status`, with a
    /// history row. Returns whether it was released.
    pub async fn lift_mall_hold(
        &self,
        shop_id: &str,
        number: &str,
        status: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE orders SET status = $1, hold_reason = NULL, updated_at = $2
             WHERE shop_id = $3 AND mall_order_number = $4 AND status = 'on_hold'
               AND hold_reason LIKE $5
             RETURNING id",
        )
        .bind(status.id())
        .bind(crate::time::to_db(now))
        .bind(shop_id)
        .bind(number)
        .bind(format!("{MALL_HOLD}%"))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            history(
                &mut tx,
                id,
                now,
                "hold_lifted_on_mall",
                &format!(
                    "the mall lifted its hold; released to {} ({})",
                    status.id(),
                    status.label()
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id.is_some())
    }
}
