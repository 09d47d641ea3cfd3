//! What staff change on an order: the shipping data entered before export (carrier, tracking
//! number, ship date, per delivery) and the status (e.g. a release from hold), each with a
//! history row and a new last-updated time, which the export period reads.

use chrono::{DateTime, Utc};

use super::{ShippingUpdate, history};
use crate::model::OrderStatus;
use crate::store::{Store, StoreError};
use crate::time::to_db;

impl Store {
    /// Sets what staff fill in before export: carrier, tracking number (伝票番号), ship date —
    /// for the order (its first delivery) or, in a multi-delivery order, for one delivery.
    /// Bumps the order's last-updated time, which the export period looks at.
    pub async fn set_shipping(
        &self,
        shop_id: &str,
        number: &str,
        s: &ShippingUpdate,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        set_shipping_in(&mut tx, shop_id, number, s, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::set_shipping`] for many orders in one transaction (a file import): all are
    /// applied or none. A row refused for its order or delivery (no such order, no such
    /// delivery) is left out with its error — refused before it writes anything, so no
    /// savepoint is needed (one per row made the import quadratic on SQLite); any other failure
    /// rolls the whole import back.
    pub async fn set_shipping_all(
        &self,
        shop_id: &str,
        rows: &[(String, ShippingUpdate)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(rows.len());
        for (i, (number, s)) in rows.iter().enumerate() {
            if i == rows.len() / 2 {
                crate::crash_point!("import:shipments-half");
            }
            match set_shipping_in(&mut tx, shop_id, number, s, now).await {
                Ok(()) => out.push(Ok(())),
                Err(e @ (StoreError::NoSuchOrder { .. } | StoreError::NoSuchDelivery { .. })) => {
                    out.push(Err(e))
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

impl Store {
    /// [`Store::set_shipping`] for deliveries of several shops' orders in one transaction (a
    /// label import): all are applied or none.
    /// A row whose parcel is 2 or more adds that parcel (after the delivery's first, set by an
    /// earlier row or before).
    pub async fn set_shipping_across(
        &self,
        rows: &[(String, String, u32, ShippingUpdate)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (i, (shop, number, parcel, s)) in rows.iter().enumerate() {
            if i == rows.len() / 2 {
                crate::crash_point!("import:labels-half");
            }
            if *parcel <= 1 {
                set_shipping_in(&mut tx, shop, number, s, now).await?;
            } else {
                add_parcel_in(&mut tx, shop, number, s, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The writes of [`Store::set_shipping`], inside the caller's transaction. An unknown order or
/// delivery is refused before anything is written.
async fn set_shipping_in(
    tx: &mut crate::store::Tx<'_>,
    shop_id: &str,
    number: &str,
    s: &ShippingUpdate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    {
        let no_such = || StoreError::NoSuchOrder {
            shop: shop_id.into(),
            number: number.into(),
        };
        let id: i64 = sqlx::query_scalar(
            "SELECT id FROM orders WHERE shop_id = $1 AND mall_order_number = $2",
        )
        .bind(shop_id)
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(no_such)?;
        let delivery = s.delivery.unwrap_or(1);
        let updated = sqlx::query(
            "UPDATE order_deliveries SET ship_carrier = $1, tracking_number = $2
             WHERE order_id = $3 AND delivery_no = $4",
        )
        .bind(&s.carrier)
        .bind(&s.tracking)
        .bind(id)
        .bind(i64::from(delivery))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if updated == 0 && s.delivery.is_some() {
            return Err(StoreError::NoSuchDelivery {
                shop: shop_id.into(),
                number: number.into(),
                delivery,
            });
        }
        if delivery == 1 {
            sqlx::query("UPDATE orders SET carrier = $1, tracking_number = $2, tracking_is_dummy = $3 WHERE id = $4")
                .bind(&s.carrier)
                .bind(&s.tracking)
                .bind(i64::from(s.dummy))
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("UPDATE orders SET ship_date = $1, updated_at = $2 WHERE id = $3")
            .bind(s.ship_date.to_string())
            .bind(to_db(now))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let detail = format!(
            "{}carrier {}, tracking number {}{}, ship date {}",
            s.delivery
                .map(|d| format!("delivery {d}: "))
                .unwrap_or_default(),
            s.carrier,
            s.tracking,
            if s.dummy { " (dummy)" } else { "" },
            s.ship_date
        );
        history(tx, id, now, "shipping_set", &detail).await?;
        Ok(())
    }
}

impl Store {
    /// Adds another parcel (carrier and tracking number) to a delivery whose first parcel is
    /// set, for a mall that takes several per delivery; returns its parcel number (2 on).
    /// Bumps the order's last-updated time, which the export period looks at.
    pub async fn add_parcel(
        &self,
        shop_id: &str,
        number: &str,
        s: &ShippingUpdate,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let mut tx = self.pool.begin().await?;
        let parcel = add_parcel_in(&mut tx, shop_id, number, s, now).await?;
        tx.commit().await?;
        Ok(parcel)
    }

    /// Changes an order's status (e.g. releases it from hold), with a history row.
    pub async fn set_status(
        &self,
        shop_id: &str,
        number: &str,
        status: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.set_status_because(shop_id, number, status, "", now)
            .await
    }

    /// Changes an order's status with the reason staff gave (kept in its history row).
    pub async fn set_status_because(
        &self,
        shop_id: &str,
        number: &str,
        status: OrderStatus,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE orders SET status = $1, hold_reason = CASE WHEN $2 = 'on_hold' THEN hold_reason END,
                updated_at = $3 WHERE shop_id = $4 AND mall_order_number = $5 RETURNING id",
        )
        .bind(status.id())
        .bind(status.id())
        .bind(to_db(now))
        .bind(shop_id)
        .bind(number)
        .fetch_optional(&mut *tx)
        .await?;
        let id = id.ok_or_else(|| StoreError::NoSuchOrder {
            shop: shop_id.into(),
            number: number.into(),
        })?;
        history(
            &mut tx,
            id,
            now,
            "status",
            &if reason.trim().is_empty() {
                format!("status set to {} ({})", status.id(), status.label())
            } else {
                format!(
                    "status set to {} ({}): {}",
                    status.id(),
                    status.label(),
                    reason.trim()
                )
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The writes of [`Store::add_parcel`], inside the caller's transaction.
async fn add_parcel_in(
    tx: &mut crate::store::Tx<'_>,
    shop_id: &str,
    number: &str,
    s: &ShippingUpdate,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let delivery = s.delivery.unwrap_or(1);
    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT o.id, d.tracking_number FROM orders o
         JOIN order_deliveries d ON d.order_id = o.id AND d.delivery_no = $1
         WHERE o.shop_id = $2 AND o.mall_order_number = $3",
    )
    .bind(i64::from(delivery))
    .bind(shop_id)
    .bind(number)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, first)) = row else {
        return Err(StoreError::NoSuchDelivery {
            shop: shop_id.into(),
            number: number.into(),
            delivery,
        });
    };
    if first.as_deref().is_none_or(str::is_empty) {
        return Err(StoreError::NoFirstParcel {
            shop: shop_id.into(),
            number: number.into(),
            delivery,
        });
    }
    let parcel: i64 = sqlx::query_scalar(
        "INSERT INTO delivery_parcels (order_id, delivery_no, parcel_no, carrier, tracking_number, dummy)
         VALUES ($1, $2, (SELECT COALESCE(MAX(parcel_no), 1) + 1 FROM delivery_parcels
                          WHERE order_id = $1 AND delivery_no = $2), $3, $4, $5)
         RETURNING parcel_no",
    )
    .bind(id)
    .bind(i64::from(delivery))
    .bind(&s.carrier)
    .bind(&s.tracking)
    .bind(i64::from(s.dummy))
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2")
        .bind(to_db(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let detail = format!(
        "delivery {delivery}: parcel {parcel} added, carrier {}, tracking number {}{}",
        s.carrier,
        s.tracking,
        if s.dummy { " (dummy)" } else { "" }
    );
    history(tx, id, now, "parcel_added", &detail).await?;
    u32::try_from(parcel)
        .map_err(|e| crate::store::corrupt("delivery_parcels", "parcel_no", number, e))
}
