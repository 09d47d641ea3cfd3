//! The label slips the host issued (see `labels`): one row per (shop, order, delivery, parcel,
//! format),
//! whose id is the slip's お客様管理番号 (`MH` and eight digits) written into the carrier's import
//! file and read back from its issued-data file. Exporting the same delivery again gives the same
//! key, so a file exported twice still matches. Also what the round trip reads of a delivery:
//! its tracking number, and whether the mall has been sent one.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::store::{Store, StoreError};
use crate::time::to_db;

/// The prefix of the host's slip keys.
pub const SLIP_PREFIX: &str = "MH";

/// A slip key as written into a file.
pub fn slip_key(id: i64) -> String {
    format!("{SLIP_PREFIX}{id:08}")
}

/// The slip id a key stands for, when it is one of the host's.
pub fn slip_id(key: &str) -> Option<i64> {
    let digits = key.trim().strip_prefix(SLIP_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 12 {
        return None;
    }
    digits.parse().ok()
}

/// What a key stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipRef {
    /// The shop.
    pub shop: String,
    /// The mall's order number.
    pub order: String,
    /// The delivery.
    pub delivery: u32,
    /// The parcel of the delivery (1 for the first).
    pub parcel: u32,
    /// The format it was exported in (`b2`, …).
    pub format: String,
}

/// A delivery's shipping as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryShipping {
    /// The delivery.
    pub delivery: u32,
    /// Carrier set.
    pub carrier: Option<String>,
    /// Tracking number set (the first parcel's).
    pub tracking: Option<String>,
    /// The tracking numbers of its further parcels (parcel 2 on), in order.
    pub more: Vec<String>,
}

impl Store {
    /// The keys of these deliveries' parcels' slips in `format` (order, delivery, parcel),
    /// issued now for the ones without.
    pub async fn issue_slips(
        &self,
        shop: &str,
        deliveries: &[(String, u32, u32)],
        format: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut keys = Vec::with_capacity(deliveries.len());
        for (order, delivery, parcel) in deliveries {
            let find = || {
                sqlx::query_scalar::<_, i64>(
                    "SELECT id FROM label_slips WHERE shop_id = $1 AND mall_order_number = $2
                     AND delivery_no = $3 AND format = $4 AND parcel_no = $5",
                )
                .bind(shop)
                .bind(order)
                .bind(i64::from(*delivery))
                .bind(format)
                .bind(i64::from(*parcel))
            };
            let id = match find().fetch_optional(&mut *tx).await? {
                Some(id) => id,
                None => {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO label_slips (shop_id, mall_order_number, delivery_no, format, issued_at, parcel_no)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(shop)
                    .bind(order)
                    .bind(i64::from(*delivery))
                    .bind(format)
                    .bind(to_db(now))
                    .bind(i64::from(*parcel))
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            keys.push(slip_key(id));
        }
        tx.commit().await?;
        Ok(keys)
    }

    /// What a key stands for; `None` for a key this host never issued.
    pub async fn slip(&self, key: &str) -> Result<Option<SlipRef>, StoreError> {
        let Some(id) = slip_id(key) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT shop_id, mall_order_number, delivery_no, parcel_no, format FROM label_slips
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SlipRef {
                shop: r.try_get("shop_id")?,
                order: r.try_get("mall_order_number")?,
                delivery: super::int(&r, "label_slips", "delivery_no", key)?,
                parcel: super::int(&r, "label_slips", "parcel_no", key)?,
                format: r.try_get("format")?,
            })
        })
        .transpose()
    }

    /// Each delivery of an order with its carrier and tracking number as stored.
    pub async fn delivery_shipping(
        &self,
        shop: &str,
        number: &str,
    ) -> Result<Vec<DeliveryShipping>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.delivery_no, d.ship_carrier, d.tracking_number FROM order_deliveries d
             JOIN orders o ON o.id = d.order_id
             WHERE o.shop_id = $1 AND o.mall_order_number = $2 ORDER BY d.delivery_no",
        )
        .bind(shop)
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        let parcels = sqlx::query(
            "SELECT p.delivery_no, p.tracking_number FROM delivery_parcels p
             JOIN orders o ON o.id = p.order_id
             WHERE o.shop_id = $1 AND o.mall_order_number = $2 ORDER BY p.delivery_no, p.parcel_no",
        )
        .bind(shop)
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(DeliveryShipping {
                    delivery: super::int(r, "order_deliveries", "delivery_no", number)?,
                    carrier: r.try_get("ship_carrier")?,
                    tracking: r
                        .try_get::<Option<String>, _>("tracking_number")?
                        .filter(|t| !t.is_empty()),
                    more: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        for p in &parcels {
            let no: u32 = super::int(p, "delivery_parcels", "delivery_no", number)?;
            if let Some(d) = out.iter_mut().find(|d| d.delivery == no) {
                d.more.push(p.try_get("tracking_number")?);
            }
        }
        Ok(out)
    }
}
