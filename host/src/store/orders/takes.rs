//! Take bookkeeping: which orders still need acknowledging on the mall, and the results of
//! each take attempt (successes become `taken`; failures stay `pending` with the error; an
//! order the mall reports cancelled becomes キャンセル and needs no take).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::history;
use crate::connector::TakeOutcome;
use crate::store::sql::Statement;
use crate::store::{Store, StoreError};

impl Store {
    /// Order numbers of a shop that still need taking on the mall, oldest first.
    pub async fn pending_takes(&self, shop_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT mall_order_number FROM orders WHERE shop_id = $1 AND take_state = 'pending'
             ORDER BY ordered_at, mall_order_number",
        )
        .bind(shop_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records take results: successes become `taken`; failures stay `pending` with the error.
    pub async fn record_takes(
        &self,
        shop_id: &str,
        results: &[(String, Result<TakeOutcome, String>)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Successes, the common case, in a few multi-row statements.
        let taken: Vec<(&str, &'static str)> = results
            .iter()
            .filter_map(|(n, o)| match o {
                Ok(TakeOutcome::Taken) => Some((n.as_str(), "taken on the mall")),
                Ok(TakeOutcome::AlreadyTaken) => {
                    Some((n.as_str(), "the mall had it taken already"))
                }
                _ => None,
            })
            .collect();
        for chunk in taken.chunks(500) {
            let mut q = Statement::new(
                self.backend,
                "UPDATE orders SET take_state = 'taken', take_error = NULL,
                    take_attempts = take_attempts + 1
                 WHERE take_state = 'pending' AND shop_id = ",
            );
            q.bind(shop_id)
                .push(" AND mall_order_number IN (")
                .list(chunk.iter().map(|(n, _)| *n))
                .push(") RETURNING id, mall_order_number");
            let (sql, args) = q.build()?;
            let rows = sqlx::query_with(&sql, args).fetch_all(&mut *tx).await?;
            if rows.is_empty() {
                continue;
            }
            let at = crate::time::to_db(now);
            let mut h = Statement::new(
                self.backend,
                "INSERT INTO order_history (order_id, at, event, detail) ",
            );
            let details: std::collections::HashMap<&str, &str> = chunk.iter().copied().collect();
            let mut entries = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: i64 = r.try_get("id")?;
                let number: String = r.try_get("mall_order_number")?;
                let detail = details
                    .get(number.as_str())
                    .copied()
                    .unwrap_or("taken on the mall");
                entries.push((id, detail));
            }
            h.values(&entries, |b, (id, detail)| {
                b.bind(*id).bind(at.as_str()).bind("taken").bind(*detail);
            });
            let (sql, args) = h.build()?;
            sqlx::query_with(&sql, args).execute(&mut *tx).await?;
        }
        for (number, outcome) in results {
            let (sql, event, detail) = match outcome {
                // Done above, together.
                Ok(TakeOutcome::Taken | TakeOutcome::AlreadyTaken) => continue,
                Ok(TakeOutcome::Cancelled(message)) => (
                    "UPDATE orders SET take_state = 'not_needed', take_error = NULL,
                        take_attempts = take_attempts + 1, status = 'cancelled', updated_at = $3
                     WHERE shop_id = $1 AND mall_order_number = $2 AND take_state = 'pending' RETURNING id",
                    "cancelled",
                    format!("cancelled on the mall: {message}"),
                ),
                Err(e) => (
                    "UPDATE orders SET take_error = $3, take_attempts = take_attempts + 1
                     WHERE shop_id = $1 AND mall_order_number = $2 AND take_state = 'pending' RETURNING id",
                    "take_failed",
                    e.clone(),
                ),
            };
            let mut q = sqlx::query(sql).bind(shop_id).bind(number);
            match outcome {
                Err(e) => q = q.bind(e),
                Ok(TakeOutcome::Cancelled(_)) => q = q.bind(crate::time::to_db(now)),
                Ok(_) => {}
            }
            if let Some(row) = q.fetch_optional(&mut *tx).await? {
                let id: i64 = row.try_get("id")?;
                history(&mut tx, id, now, event, &detail).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Order numbers of a shop the host still holds open: taken on the mall, neither shipped nor
    /// cancelled here — what status sync asks the mall about.
    pub async fn open_orders(&self, shop_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT mall_order_number FROM orders
             WHERE shop_id = $1 AND take_state = 'taken' AND status NOT IN ('shipped', 'cancelled')
             ORDER BY ordered_at, mall_order_number",
        )
        .bind(shop_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
