//! Orders in the database, one concern a module: `insert` (storing new orders), `takes` (take
//! bookkeeping), `read` (list and detail), `search` (the console's filtered pages), `shipping` (what staff change before export) and
//! `queries` (counts across a shop). This module holds the types they share and the history
//! row every change writes.

mod insert;
mod mall;
mod queries;
mod read;
mod search;
mod shipping;
mod takes;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

pub use mall::AwaitingMall;
pub use search::{OrderSearch, SearchPage, ShownMoney};

use super::{StoreError, corrupt};
use crate::model::{Address, Order, OrderStatus, TakeState};
use crate::time::{from_db, to_db};

/// An order to store, with the status the caller decided for it.
#[derive(Debug, Clone, Copy)]
pub struct NewOrder<'a> {
    /// The order, converted.
    pub order: &'a Order,
    /// The status it is stored in.
    pub status: OrderStatus,
    /// Why it is on hold, when `status` is on hold.
    pub hold_reason: Option<&'a str>,
}

/// What storing does with an order that is stored already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenStored {
    /// Leave it as it is.
    Leave,
    /// Leave it, but mark it for taking again if it was taken.
    TakeAgain,
}

/// What storing a batch of orders did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreOutcome {
    /// Orders stored for the first time.
    pub inserted: Vec<String>,
    /// Orders already stored (left as they are).
    pub existing: Vec<String>,
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
    /// The plugin's words for the mall's status as the status sync last read it (empty until
    /// then).
    pub mall_status_words: String,
}

pub(super) const SUMMARY_COLUMNS: &str = "o.id, o.shop_id, o.mall_order_number, o.status, o.hold_reason, o.take_state,
    o.take_error, o.ordered_at, o.buyer_json, o.billing_total, o.carrier, o.tracking_number,
    o.ship_date, o.updated_at,
    (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id AND l.product_name IS NULL) AS missing";

pub(crate) async fn history(
    tx: &mut super::Tx<'_>,
    order_id: i64,
    now: DateTime<Utc>,
    event: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO order_history (order_id, at, event, detail) VALUES ($1, $2, $3, $4)")
        .bind(order_id)
        .bind(to_db(now))
        .bind(event)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub(super) fn instant(
    row: &sqlx::any::AnyRow,
    column: &'static str,
    key: &str,
) -> Result<DateTime<Utc>, StoreError> {
    let s: String = row.try_get(column)?;
    from_db(&s).ok_or_else(|| corrupt("orders", column, key, format!("{s:?} is not an instant")))
}

pub(super) fn address(
    s: &str,
    table: &'static str,
    column: &'static str,
    key: &str,
) -> Result<Address, StoreError> {
    serde_json::from_str(s).map_err(|e| corrupt(table, column, key, e))
}

pub(super) fn summary(r: &sqlx::any::AnyRow) -> Result<OrderSummary, StoreError> {
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
