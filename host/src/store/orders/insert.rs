//! Storing orders: new ones with their deliveries, lines and a history row, in one
//! transaction per batch, unique by (shop, mall order number). What status an order gets, and
//! whether it is held, is decided by the caller (`sync::ingest`); this only writes it down.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{NewOrder, StoreOutcome, WhenStored, json};
use crate::model::TakeState;
use crate::store::sql::Statement;
use crate::store::{Store, StoreError, Tx};
use crate::time::to_db;

/// Rows per multi-row statement (SQLite allows 32,766 bound values; an order row binds 34).
const ROWS: usize = 500;

impl Store {
    /// Stores orders in one transaction, each in the status the caller chose, with take state
    /// `take_state`; ones already stored are left as they are, or — with
    /// [`WhenStored::TakeAgain`] — a taken one is marked for taking again, with a history row.
    ///
    /// A batch is written with a few multi-row statements (orders, deliveries, lines, history),
    /// not a statement per row: each statement is a round trip to the database's worker.
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
        let stamp = to_db(now);
        // Orders: the new ones come back with their ids.
        let mut ids: HashMap<String, i64> = HashMap::new();
        for chunk in orders.chunks(ROWS) {
            let mut q = Statement::new(
                self.backend,
                "INSERT INTO orders (shop_id, mall_id, mall_order_number, source, status, hold_reason,
                    mall_status, ordered_at, mall_updated_at, payment_method, buyer_json, buyer_note,
                    items_total, shipping_fee, cod_fee, points_used, coupon_discount, billing_total,
                    multiple_deliveries, add_on_service, no_buyer_email, take_state, carrier,
                    created_at, updated_at, buyer_email, buyer_email_relay, prices_include_tax,
                    fees_json, discounts_json, marks_json, buyer_name, buyer_kana, payment_state) ",
            );
            q.values(chunk, |b, new| {
                let o = new.order;
                b.bind(shop_id)
                    .bind(mall_id)
                    .bind(o.mall_order_number.as_str())
                    .bind(o.source.as_str())
                    .bind(new.status.id())
                    .bind(new.hold_reason)
                    .bind(o.mall_status.as_str())
                    .bind(to_db(o.ordered_at))
                    .bind(to_db(o.mall_updated_at))
                    .bind(o.payment_method.as_str())
                    .bind(json(&o.buyer))
                    .bind(o.buyer_note.as_str())
                    .bind(o.amounts.items_total)
                    .bind(o.amounts.shipping_fee)
                    .bind(o.amounts.cod_fee)
                    .bind(o.amounts.points_used)
                    .bind(o.amounts.coupon_discount)
                    .bind(o.amounts.billing_total)
                    .bind(i64::from(o.flags.multiple_deliveries))
                    .bind(i64::from(o.flags.add_on_service))
                    .bind(i64::from(o.flags.no_buyer_email))
                    .bind(take_state.id())
                    .bind(o.deliveries.first().and_then(|d| d.carrier.as_deref()))
                    .bind(stamp.as_str())
                    .bind(stamp.as_str())
                    .bind(o.buyer_email.as_ref().map(|e| e.address.as_str()))
                    .bind(i64::from(o.buyer_email.as_ref().is_some_and(|e| e.relay)))
                    .bind(i64::from(o.prices_include_tax))
                    .bind(json(&o.fees))
                    .bind(json(&o.discounts))
                    .bind(json(&o.marks))
                    .bind(o.buyer.name.as_str())
                    .bind(super::search::kana(&o.buyer.name_kana))
                    .bind(o.payment.id());
            });
            q.push(
                " ON CONFLICT (shop_id, mall_order_number) DO NOTHING RETURNING id, mall_order_number",
            );
            let (sql, args) = q.build()?;
            for row in sqlx::query_with(&sql, args).fetch_all(&mut *tx).await? {
                ids.insert(row.try_get("mall_order_number")?, row.try_get("id")?);
            }
        }
        // In the input's order: new ones (the first of a number twice in a batch) and the rest.
        let mut new_orders = Vec::new();
        for new in orders {
            let number = &new.order.mall_order_number;
            match ids.remove(number) {
                Some(id) => {
                    out.inserted.push(number.clone());
                    new_orders.push((id, new));
                }
                None => out.existing.push(number.clone()),
            }
        }
        // The buyer's name and kana in pieces, and the buyer's and recipients' phone numbers,
        // for the console's search.
        let grams: Vec<(i64, String)> = new_orders
            .iter()
            .flat_map(|(id, new)| {
                let o = new.order;
                let mut keys = super::search::name_grams(&o.buyer.name);
                keys.extend(super::search::name_grams(&super::search::kana(
                    &o.buyer.name_kana,
                )));
                keys.extend(super::search::phone_grams(&o.buyer.phone));
                for d in &o.deliveries {
                    keys.extend(super::search::phone_grams(&d.recipient.phone));
                }
                keys.into_iter().map(move |g| (*id, g))
            })
            .collect();
        for chunk in grams.chunks(ROWS) {
            let mut q = Statement::new(
                self.backend,
                "INSERT INTO order_name_grams (order_id, gram) ",
            );
            q.values(chunk, |b, (id, g)| {
                b.bind(*id).bind(g.as_str());
            });
            q.push(" ON CONFLICT DO NOTHING");
            let (sql, args) = q.build()?;
            sqlx::query_with(&sql, args).execute(&mut *tx).await?;
        }
        let deliveries: Vec<_> = new_orders
            .iter()
            .flat_map(|(id, new)| new.order.deliveries.iter().map(move |d| (*id, d)))
            .collect();
        for chunk in deliveries.chunks(ROWS) {
            let mut q = Statement::new(
                self.backend,
                "INSERT INTO order_deliveries (order_id, delivery_no, recipient_json, delivery_method,
                    carrier, desired_date, desired_time_slot, time_slot, mall_delivery_id,
                    gift_message) ",
            );
            q.values(chunk, |b, (id, d)| {
                b.bind(*id)
                    .bind(i64::from(d.delivery_no))
                    .bind(json(&d.recipient))
                    .bind(d.delivery_method.as_str())
                    .bind(d.carrier.as_deref())
                    .bind(d.desired_date.map(|x| x.to_string()))
                    .bind(d.desired_time_slot.as_str())
                    .bind(d.time_slot.as_deref())
                    .bind(d.mall_delivery_id.as_deref())
                    .bind(d.gift_message.as_deref());
            });
            let (sql, args) = q.build()?;
            sqlx::query_with(&sql, args).execute(&mut *tx).await?;
        }
        let lines: Vec<_> = deliveries
            .iter()
            .flat_map(|(id, d)| d.lines.iter().map(move |l| (*id, d.delivery_no, l)))
            .collect();
        for chunk in lines.chunks(ROWS) {
            // A name from the mall wins; else the product master's, by SKU then by item.
            let mut q = Statement::new(
                self.backend,
                "INSERT INTO order_lines (order_id, delivery_no, line_no, item_code, sku_code,
                    quantity, unit_price, tax_rate, has_add_on_service, option_text,
                    jan, name_from_mall, product_name) ",
            );
            q.values(chunk, |b, (id, delivery_no, l)| {
                b.bind(*id)
                    .bind(i64::from(*delivery_no))
                    .bind(i64::from(l.line_no))
                    .bind(l.item_code.as_str())
                    .bind(l.sku_code.as_str())
                    .bind(i64::from(l.quantity))
                    .bind(l.unit_price)
                    .bind(i64::from(l.tax_rate))
                    .bind(i64::from(l.has_add_on_service))
                    .bind(l.option_text.as_deref())
                    .bind(l.jan.as_deref())
                    .bind(i64::from(l.product_name.is_some()));
                b.item("COALESCE(")
                    .bind_here(l.product_name.as_deref())
                    .push(", (SELECT name FROM products WHERE item_code = ")
                    .bind_here(l.item_code.as_str())
                    .push(" AND sku_code = ")
                    .bind_here(l.sku_code.as_str())
                    .push("), (SELECT name FROM products WHERE item_code = ")
                    .bind_here(l.item_code.as_str())
                    .push(" AND sku_code = ''))");
            });
            let (sql, args) = q.build()?;
            sqlx::query_with(&sql, args).execute(&mut *tx).await?;
        }
        let stored: Vec<(i64, String)> = new_orders
            .iter()
            .map(|(id, new)| {
                (
                    *id,
                    format!(
                        "stored from {} as {} ({})",
                        new.order.source.as_str(),
                        new.status.id(),
                        new.status.label()
                    ),
                )
            })
            .collect();
        histories(&mut tx, self.backend, &stored, "stored", &stamp).await?;
        if when_stored == WhenStored::TakeAgain && !out.existing.is_empty() {
            let mut again = Vec::new();
            for chunk in out.existing.chunks(ROWS) {
                let mut q = Statement::new(
                    self.backend,
                    "UPDATE orders SET take_state = 'pending' WHERE take_state = 'taken' AND shop_id = ",
                );
                q.bind(shop_id)
                    .push(" AND mall_order_number IN (")
                    .list(chunk.iter().map(String::as_str))
                    .push(") RETURNING id");
                let (sql, args) = q.build()?;
                for row in sqlx::query_with(&sql, args).fetch_all(&mut *tx).await? {
                    let id: i64 = row.try_get("id")?;
                    again.push((
                        id,
                        "the mall lists it as new again; it will be taken again".to_string(),
                    ));
                }
            }
            histories(&mut tx, self.backend, &again, "take_again", &stamp).await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// History rows `event` for many orders: (order id, detail).
async fn histories(
    tx: &mut Tx<'_>,
    backend: crate::store::Backend,
    rows: &[(i64, String)],
    event: &str,
    at: &str,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS) {
        let mut q = Statement::new(
            backend,
            "INSERT INTO order_history (order_id, at, event, detail) ",
        );
        q.values(chunk, |b, (id, detail)| {
            b.bind(*id).bind(at).bind(event).bind(detail.as_str());
        });
        let (sql, args) = q.build()?;
        sqlx::query_with(&sql, args).execute(&mut **tx).await?;
    }
    Ok(())
}
