//! Orders: storing fetched orders (one transaction, unique key), take bookkeeping, listing,
//! detail, and the shipping data staff set before export.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{Row, Sqlite, Transaction};

use super::{Store, StoreError, corrupt};
use crate::connector::TakeOutcome;
use crate::model::{Address, Order, OrderStatus, TakeState};
use crate::time::{from_db, to_db};

/// What storing a batch of orders did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreOutcome {
    /// Orders stored for the first time.
    pub inserted: Vec<String>,
    /// Orders already stored (left as they are).
    pub existing: Vec<String>,
    /// Orders put on hold when stored, with the reason.
    pub held: Vec<crate::model::OrderNote>,
}

/// Shipping data staff enter for an order or one of its deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingUpdate {
    /// The merchant's carrier.
    pub carrier: String,
    /// Tracking number.
    pub tracking: String,
    /// Whether the tracking number is a dummy (untracked mail).
    pub dummy: bool,
    /// Ship date (JST).
    pub ship_date: NaiveDate,
    /// The delivery, for a multi-delivery order; `None` for the order (its first delivery).
    pub delivery: Option<u32>,
}

impl ShippingUpdate {
    /// Carrier, tracking number and date for the order.
    pub fn new(carrier: &str, tracking: &str, ship_date: NaiveDate) -> ShippingUpdate {
        ShippingUpdate {
            carrier: carrier.into(),
            tracking: tracking.into(),
            dummy: false,
            ship_date,
            delivery: None,
        }
    }
}

/// Which orders to list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this shop.
    pub shop: Option<String>,
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Only this take state.
    pub take_state: Option<TakeState>,
    /// At most this many, newest first.
    pub limit: Option<u32>,
}

/// One order in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderSummary {
    /// Shop.
    pub shop_id: String,
    /// The mall's order number.
    pub mall_order_number: String,
    /// Host status.
    pub status: OrderStatus,
    /// Its Japanese label.
    pub status_label: &'static str,
    /// Why it is on hold, if it is.
    pub hold_reason: Option<String>,
    /// Take state on the mall.
    pub take_state: TakeState,
    /// The last take error, if a take failed.
    pub take_error: Option<String>,
    /// When it was placed.
    pub ordered_at: DateTime<Utc>,
    /// Buyer's name.
    pub buyer_name: String,
    /// Billed yen.
    pub billing_total: i64,
    /// Merchant carrier.
    pub carrier: Option<String>,
    /// Tracking number.
    pub tracking_number: Option<String>,
    /// Ship date.
    pub ship_date: Option<NaiveDate>,
    /// Lines whose product name the master lacks.
    pub lines_missing_name: i64,
    /// Last host change (受注更新日時).
    pub updated_at: DateTime<Utc>,
}

/// One order with everything about it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderDetail {
    /// The summary.
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// The order as stored (deliveries with converted carrier/time slot, lines with names).
    pub order: Order,
    /// History, oldest first: (when, event, detail).
    pub history: Vec<(DateTime<Utc>, String, String)>,
}

const SUMMARY_COLUMNS: &str = "o.id, o.shop_id, o.mall_order_number, o.status, o.hold_reason, o.take_state,
    o.take_error, o.ordered_at, o.buyer_json, o.billing_total, o.carrier, o.tracking_number,
    o.ship_date, o.updated_at,
    (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id AND l.product_name IS NULL) AS missing";

pub(crate) async fn history(
    tx: &mut Transaction<'_, Sqlite>,
    order_id: i64,
    now: DateTime<Utc>,
    event: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO order_history (order_id, at, event, detail) VALUES (?, ?, ?, ?)")
        .bind(order_id)
        .bind(to_db(now))
        .bind(event)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

impl Store {
    /// Stores orders in one transaction: new ones into `status` (or on hold, for orders the
    /// host cannot ship as one), with take state `take_state`; ones already stored are left as
    /// they are, except that one the mall shows again as new is marked for taking again.
    pub async fn store_orders(
        &self,
        shop_id: &str,
        mall_id: &str,
        orders: &[Order],
        status: OrderStatus,
        take_state: TakeState,
        now: DateTime<Utc>,
    ) -> Result<StoreOutcome, StoreError> {
        let mut out = StoreOutcome::default();
        let mut tx = self.pool.begin().await?;
        for o in orders {
            let hold_reason = o.flags.multiple_deliveries.then(|| {
                format!(
                    "複数配送: {} deliveries in one order; give each delivery its own tracking \
                     number before export",
                    o.deliveries.len()
                )
            });
            let order_status = if hold_reason.is_some() {
                OrderStatus::OnHold
            } else {
                status
            };
            let first = o.deliveries.first();
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO orders (shop_id, mall_id, mall_order_number, source, status, hold_reason,
                    mall_status, ordered_at, mall_updated_at, payment_method, buyer_json, buyer_note,
                    items_total, shipping_fee, cod_fee, points_used, coupon_discount, billing_total,
                    multiple_deliveries, add_on_service, no_buyer_email, take_state, carrier,
                    created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (shop_id, mall_order_number) DO NOTHING
                 RETURNING id",
            )
            .bind(shop_id)
            .bind(mall_id)
            .bind(&o.mall_order_number)
            .bind(o.source.as_str())
            .bind(order_status.id())
            .bind(&hold_reason)
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
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
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
                        carrier, desired_date, desired_time_slot, time_slot)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(d.delivery_no)
                .bind(json(&d.recipient))
                .bind(&d.delivery_method)
                .bind(&d.carrier)
                .bind(d.desired_date.map(|x| x.to_string()))
                .bind(&d.desired_time_slot)
                .bind(&d.time_slot)
                .execute(&mut *tx)
                .await?;
                for l in &d.lines {
                    sqlx::query(
                        "INSERT INTO order_lines (order_id, delivery_no, line_no, item_code, sku_code,
                            quantity, unit_price, tax_rate, has_add_on_service, product_name)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(
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
            if let Some(reason) = hold_reason {
                out.held.push(crate::model::OrderNote::new(
                    o.mall_order_number.clone(),
                    reason,
                ));
            }
            out.inserted.push(o.mall_order_number.clone());
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Order numbers of a shop that still need taking on the mall, oldest first.
    pub async fn pending_takes(&self, shop_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT mall_order_number FROM orders WHERE shop_id = ? AND take_state = 'pending'
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
        for (number, outcome) in results {
            let (sql, event, detail) = match outcome {
                Ok(o) => (
                    "UPDATE orders SET take_state = 'taken', take_error = NULL,
                        take_attempts = take_attempts + 1
                     WHERE shop_id = ? AND mall_order_number = ? AND take_state = 'pending' RETURNING id",
                    "taken",
                    match o {
                        TakeOutcome::Taken => "taken on the mall".to_string(),
                        TakeOutcome::AlreadyTaken => "the mall had it taken already".to_string(),
                    },
                ),
                Err(e) => (
                    "UPDATE orders SET take_error = ?3, take_attempts = take_attempts + 1
                     WHERE shop_id = ?1 AND mall_order_number = ?2 AND take_state = 'pending' RETURNING id",
                    "take_failed",
                    e.clone(),
                ),
            };
            let mut q = sqlx::query(sql).bind(shop_id).bind(number);
            if let Err(e) = outcome {
                q = q.bind(e);
            }
            if let Some(row) = q.fetch_optional(&mut *tx).await? {
                let id: i64 = row.try_get("id")?;
                history(&mut tx, id, now, event, &detail).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Lists orders, newest first.
    pub async fn list_orders(&self, f: &OrderFilter) -> Result<Vec<OrderSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM orders o
             WHERE (?1 IS NULL OR o.shop_id = ?1) AND (?2 IS NULL OR o.status = ?2)
               AND (?3 IS NULL OR o.take_state = ?3)
             ORDER BY o.ordered_at DESC, o.mall_order_number DESC LIMIT ?4"
        );
        let rows = sqlx::query(&sql)
            .bind(&f.shop)
            .bind(f.status.map(|s| s.id()))
            .bind(f.take_state.map(|s| s.id()))
            .bind(f.limit.map_or(-1, i64::from))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary).collect()
    }

    /// One order with deliveries, lines and history.
    pub async fn order_detail(
        &self,
        shop_id: &str,
        number: &str,
    ) -> Result<OrderDetail, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, o.mall_status, o.mall_updated_at, o.payment_method, o.buyer_note,
                o.items_total, o.shipping_fee, o.cod_fee, o.points_used, o.coupon_discount,
                o.multiple_deliveries, o.add_on_service, o.no_buyer_email, o.source
             FROM orders o WHERE o.shop_id = ? AND o.mall_order_number = ?"
        );
        let row = sqlx::query(&sql)
            .bind(shop_id)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NoSuchOrder {
                shop: shop_id.into(),
                number: number.into(),
            })?;
        let id: i64 = row.try_get("id")?;
        let s = summary(&row)?;
        let deliveries = self.deliveries(id, number).await?;
        let source = match row.try_get::<String, _>("source")?.as_str() {
            "csv" => crate::model::OrderSource::Csv,
            _ => crate::model::OrderSource::Api,
        };
        let order = Order {
            mall_order_number: number.to_string(),
            ordered_at: s.ordered_at,
            mall_updated_at: instant(&row, "mall_updated_at", number)?,
            mall_status: row.try_get("mall_status")?,
            payment_method: row.try_get("payment_method")?,
            buyer: address(
                &row.try_get::<String, _>("buyer_json")?,
                "orders",
                "buyer_json",
                number,
            )?,
            deliveries,
            amounts: crate::model::Amounts {
                items_total: row.try_get("items_total")?,
                shipping_fee: row.try_get("shipping_fee")?,
                cod_fee: row.try_get("cod_fee")?,
                points_used: row.try_get("points_used")?,
                coupon_discount: row.try_get("coupon_discount")?,
                billing_total: s.billing_total,
            },
            buyer_note: row.try_get("buyer_note")?,
            flags: crate::model::OrderFlags {
                test_order: false,
                multiple_deliveries: row.try_get("multiple_deliveries")?,
                add_on_service: row.try_get("add_on_service")?,
                no_buyer_email: row.try_get("no_buyer_email")?,
            },
            source,
        };
        let history = sqlx::query(
            "SELECT at, event, detail FROM order_history WHERE order_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                instant(r, "at", number)?,
                r.try_get("event")?,
                r.try_get("detail")?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(OrderDetail {
            summary: s,
            order,
            history,
        })
    }

    async fn deliveries(
        &self,
        id: i64,
        number: &str,
    ) -> Result<Vec<crate::model::Delivery>, StoreError> {
        let lines = sqlx::query(
            "SELECT delivery_no, line_no, item_code, sku_code, quantity, unit_price, tax_rate,
                has_add_on_service, product_name FROM order_lines WHERE order_id = ?
             ORDER BY delivery_no, line_no",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT delivery_no, recipient_json, delivery_method, carrier, desired_date,
                desired_time_slot, time_slot FROM order_deliveries WHERE order_id = ? ORDER BY delivery_no",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let no: u32 = r.try_get("delivery_no")?;
            let desired_date = match r.try_get::<Option<String>, _>("desired_date")? {
                None => None,
                Some(d) => Some(
                    d.parse::<NaiveDate>()
                        .map_err(|e| corrupt("order_deliveries", "desired_date", number, e))?,
                ),
            };
            let mut delivery_lines = Vec::new();
            for l in lines
                .iter()
                .filter(|l| l.try_get::<u32, _>("delivery_no").ok() == Some(no))
            {
                delivery_lines.push(crate::model::OrderLine {
                    line_no: l.try_get("line_no")?,
                    item_code: l.try_get("item_code")?,
                    sku_code: l.try_get("sku_code")?,
                    quantity: l.try_get("quantity")?,
                    unit_price: l.try_get("unit_price")?,
                    tax_rate: u8::try_from(l.try_get::<i64, _>("tax_rate")?)
                        .map_err(|e| corrupt("order_lines", "tax_rate", number, e))?,
                    has_add_on_service: l.try_get("has_add_on_service")?,
                    product_name: l.try_get("product_name")?,
                });
            }
            out.push(crate::model::Delivery {
                delivery_no: no,
                recipient: address(
                    &r.try_get::<String, _>("recipient_json")?,
                    "order_deliveries",
                    "recipient_json",
                    number,
                )?,
                delivery_method: r.try_get("delivery_method")?,
                carrier: r.try_get("carrier")?,
                desired_date,
                desired_time_slot: r.try_get("desired_time_slot")?,
                time_slot: r.try_get("time_slot")?,
                lines: delivery_lines,
            });
        }
        Ok(out)
    }

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
        let no_such = || StoreError::NoSuchOrder {
            shop: shop_id.into(),
            number: number.into(),
        };
        let id: i64 =
            sqlx::query_scalar("SELECT id FROM orders WHERE shop_id = ? AND mall_order_number = ?")
                .bind(shop_id)
                .bind(number)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(no_such)?;
        let delivery = s.delivery.unwrap_or(1);
        let updated = sqlx::query(
            "UPDATE order_deliveries SET ship_carrier = ?, tracking_number = ?
             WHERE order_id = ? AND delivery_no = ?",
        )
        .bind(&s.carrier)
        .bind(&s.tracking)
        .bind(id)
        .bind(delivery)
        .execute(&mut *tx)
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
            sqlx::query("UPDATE orders SET carrier = ?, tracking_number = ?, tracking_is_dummy = ? WHERE id = ?")
                .bind(&s.carrier)
                .bind(&s.tracking)
                .bind(s.dummy)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE orders SET ship_date = ?, updated_at = ? WHERE id = ?")
            .bind(s.ship_date.to_string())
            .bind(to_db(now))
            .bind(id)
            .execute(&mut *tx)
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
        history(&mut tx, id, now, "shipping_set", &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes an order's status (e.g. releases it from hold), with a history row.
    pub async fn set_status(
        &self,
        shop_id: &str,
        number: &str,
        status: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE orders SET status = ?, hold_reason = CASE WHEN ? = 'on_hold' THEN hold_reason END,
                updated_at = ? WHERE shop_id = ? AND mall_order_number = ? RETURNING id",
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
            &format!("status set to {} ({})", status.id(), status.label()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mall labels the conversion tables did not know when orders were stored, with how many
    /// orders carry each: (kind, label, orders), kind `delivery_method` or `time_slot`.
    pub async fn unconverted_labels(
        &self,
        shop_id: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT 'delivery_method' AS kind, d.delivery_method AS label, COUNT(DISTINCT d.order_id) AS n
               FROM order_deliveries d JOIN orders o ON o.id = d.order_id
              WHERE o.shop_id = ?1 AND d.carrier IS NULL GROUP BY d.delivery_method
             UNION ALL
             SELECT 'time_slot', d.desired_time_slot, COUNT(DISTINCT d.order_id)
               FROM order_deliveries d JOIN orders o ON o.id = d.order_id
              WHERE o.shop_id = ?1 AND d.time_slot IS NULL GROUP BY d.desired_time_slot
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
            "SELECT status, COUNT(*) AS n FROM orders WHERE shop_id = ? GROUP BY status",
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

fn instant(
    row: &sqlx::sqlite::SqliteRow,
    column: &'static str,
    key: &str,
) -> Result<DateTime<Utc>, StoreError> {
    let s: String = row.try_get(column)?;
    from_db(&s).ok_or_else(|| corrupt("orders", column, key, format!("{s:?} is not an instant")))
}

fn address(
    s: &str,
    table: &'static str,
    column: &'static str,
    key: &str,
) -> Result<Address, StoreError> {
    serde_json::from_str(s).map_err(|e| corrupt(table, column, key, e))
}

fn summary(r: &sqlx::sqlite::SqliteRow) -> Result<OrderSummary, StoreError> {
    let number: String = r.try_get("mall_order_number")?;
    let status_s: String = r.try_get("status")?;
    let status = OrderStatus::from_id(&status_s)
        .ok_or_else(|| corrupt("orders", "status", &number, &status_s))?;
    let take_s: String = r.try_get("take_state")?;
    let take_state = TakeState::from_id(&take_s)
        .ok_or_else(|| corrupt("orders", "take_state", &number, &take_s))?;
    let buyer = address(
        &r.try_get::<String, _>("buyer_json")?,
        "orders",
        "buyer_json",
        &number,
    )?;
    let ship_date = match r.try_get::<Option<String>, _>("ship_date")? {
        None => None,
        Some(d) => Some(
            d.parse::<NaiveDate>()
                .map_err(|e| corrupt("orders", "ship_date", &number, e))?,
        ),
    };
    Ok(OrderSummary {
        shop_id: r.try_get("shop_id")?,
        status,
        status_label: status.label(),
        hold_reason: r.try_get("hold_reason")?,
        take_state,
        take_error: r.try_get("take_error")?,
        ordered_at: instant(r, "ordered_at", &number)?,
        buyer_name: buyer.name,
        billing_total: r.try_get("billing_total")?,
        carrier: r.try_get("carrier")?,
        tracking_number: r.try_get("tracking_number")?,
        ship_date,
        lines_missing_name: r.try_get("missing")?,
        updated_at: instant(r, "updated_at", &number)?,
        mall_order_number: number,
    })
}
