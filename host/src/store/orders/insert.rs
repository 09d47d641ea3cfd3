//! Storing orders: new ones with their deliveries, lines and a history row, in one
//! transaction per batch, unique by (shop, mall order number). What status an order gets, and
//! whether it is held, is decided by the caller (`sync::ingest`); this only writes it down.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{NewOrder, StoreOutcome, WhenStored, history, json};
use crate::model::TakeState;
use crate::store::{Store, StoreError};
use crate::time::to_db;

impl Store {
    /// Stores orders in one transaction, each in the status the caller chose, with take state
    /// `take_state`; ones already stored are left as they are, or — with
    /// [`WhenStored::TakeAgain`] — a taken one is marked for taking again, with a history row.
    pub async fn store_orders(
        &self,
        shop_id: &str,
        mall_id: &str,
        orders: &[NewOrder<'_>],
        take_state: TakeState,
        when_stored: WhenStored,
        now: DateTime<Utc>,
    ) -> Result<StoreOutcome, StoreError> {
        let mut out = StoreOutcome::default();
        let mut tx = self.pool.begin().await?;
        for new in orders {
            let (o, order_status, hold_reason) = (new.order, new.status, new.hold_reason);
            let first = o.deliveries.first();
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO orders (shop_id, mall_id, mall_order_number, source, status, hold_reason,
                    mall_status, ordered_at, mall_updated_at, payment_method, buyer_json, buyer_note,
                    items_total, shipping_fee, cod_fee, points_used, coupon_discount, billing_total,
                    multiple_deliveries, add_on_service, no_buyer_email, take_state, carrier,
                    created_at, updated_at, buyer_email, buyer_email_relay, prices_include_tax,
                    fees_json, discounts_json, marks_json)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (shop_id, mall_order_number) DO NOTHING
                 RETURNING id",
            )
            .bind(shop_id)
            .bind(mall_id)
            .bind(&o.mall_order_number)
            .bind(o.source.as_str())
            .bind(order_status.id())
            .bind(hold_reason)
            .bind(&o.mall_status)
            .bind(to_db(o.ordered_at))
            .bind(to_db(o.mall_updated_at))
            .bind(&o.payment_method)
            .bind(json(&o.buyer))
            .bind(&o.buyer_note)
            .bind(o.amounts.items_total)
            .bind(o.amounts.shipping_fee)
            .bind(o.amounts.cod_fee)
            .bind(o.amounts.points_used)
            .bind(o.amounts.coupon_discount)
            .bind(o.amounts.billing_total)
            .bind(o.flags.multiple_deliveries)
            .bind(o.flags.add_on_service)
            .bind(o.flags.no_buyer_email)
            .bind(take_state.id())
            .bind(first.and_then(|d| d.carrier.clone()))
            .bind(to_db(now))
            .bind(to_db(now))
            .bind(o.buyer_email.as_ref().map(|e| e.address.as_str()))
            .bind(o.buyer_email.as_ref().is_some_and(|e| e.relay))
            .bind(o.prices_include_tax)
            .bind(json(&o.fees))
            .bind(json(&o.discounts))
            .bind(json(&o.marks))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
                if when_stored == WhenStored::Leave {
                    out.existing.push(o.mall_order_number.clone());
                    continue;
                }
                let again = sqlx::query(
                    "UPDATE orders SET take_state = 'pending'
                     WHERE shop_id = ? AND mall_order_number = ? AND take_state = 'taken'
                     RETURNING id",
                )
                .bind(shop_id)
                .bind(&o.mall_order_number)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = again {
                    let id: i64 = row.try_get("id")?;
                    history(
                        &mut tx,
                        id,
                        now,
                        "take_again",
                        "the mall lists it as new again; it will be taken again",
                    )
                    .await?;
                }
                out.existing.push(o.mall_order_number.clone());
                continue;
            };
            for d in &o.deliveries {
                sqlx::query(
                    "INSERT INTO order_deliveries (order_id, delivery_no, recipient_json, delivery_method,
                        carrier, desired_date, desired_time_slot, time_slot, mall_delivery_id)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(d.delivery_no)
                .bind(json(&d.recipient))
                .bind(&d.delivery_method)
                .bind(&d.carrier)
                .bind(d.desired_date.map(|x| x.to_string()))
                .bind(&d.desired_time_slot)
                .bind(&d.time_slot)
                .bind(&d.mall_delivery_id)
                .execute(&mut *tx)
                .await?;
                for l in &d.lines {
                    sqlx::query(
                        "INSERT INTO order_lines (order_id, delivery_no, line_no, item_code, sku_code,
                            quantity, unit_price, tax_rate, has_add_on_service, option_text,
                            name_from_mall, product_name)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?,
                            (SELECT name FROM products WHERE item_code = ? AND sku_code = ?),
                            (SELECT name FROM products WHERE item_code = ? AND sku_code = '')))",
                    )
                    .bind(id)
                    .bind(d.delivery_no)
                    .bind(l.line_no)
                    .bind(&l.item_code)
                    .bind(&l.sku_code)
                    .bind(l.quantity)
                    .bind(l.unit_price)
                    .bind(i64::from(l.tax_rate))
                    .bind(l.has_add_on_service)
                    .bind(&l.option_text)
                    .bind(l.product_name.is_some())
                    .bind(&l.product_name)
                    .bind(&l.item_code)
                    .bind(&l.sku_code)
                    .bind(&l.item_code)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let detail = format!(
                "stored from {} as {} ({})",
                o.source.as_str(),
                order_status.id(),
                order_status.label()
            );
            history(&mut tx, id, now, "stored", &detail).await?;
            out.inserted.push(o.mall_order_number.clone());
        }
        tx.commit().await?;
        Ok(out)
    }
}
