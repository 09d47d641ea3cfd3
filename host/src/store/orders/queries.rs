//! Questions asked across a shop's orders: labels the conversion tables lacked, and how many
//! orders are in each status.

use sqlx::Row;

use crate::model::OrderStatus;
use crate::store::{Store, StoreError, corrupt};

impl Store {
    /// Mall labels the conversion tables did not know when orders were stored, with how many
    /// orders carry each: (kind, label, orders), kind `delivery_method` or `time_slot`.
    pub async fn unconverted_labels(
        &self,
        shop_id: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT 'delivery_method' AS kind, d.delivery_method AS label, COUNT(DISTINCT d.order_id) AS n
               FROM order_deliveries d JOIN orders o ON o.id = d.order_id
              WHERE o.shop_id = $1 AND d.carrier IS NULL GROUP BY d.delivery_method
             UNION ALL
             SELECT 'time_slot', d.desired_time_slot, COUNT(DISTINCT d.order_id)
               FROM order_deliveries d JOIN orders o ON o.id = d.order_id
              WHERE o.shop_id = $1 AND d.time_slot IS NULL GROUP BY d.desired_time_slot
             ORDER BY 1, 2",
        )
        .bind(shop_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("label")?, r.try_get("n")?)))
            .collect()
    }

    /// How many orders of a shop are in each status.
    pub async fn status_counts(
        &self,
        shop_id: &str,
    ) -> Result<Vec<(OrderStatus, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM orders WHERE shop_id = $1 GROUP BY status",
        )
        .bind(shop_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let s: String = r.try_get("status")?;
            let st =
                OrderStatus::from_id(&s).ok_or_else(|| corrupt("orders", "status", shop_id, &s))?;
            out.push((st, r.try_get("n")?));
        }
        out.sort_by_key(|(s, _)| OrderStatus::ALL.iter().position(|x| x == s));
        Ok(out)
    }
}
