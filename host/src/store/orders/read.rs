//! Reading orders back: the list (newest first, filtered) and one order's whole detail with
//! its deliveries, lines and history.

use chrono::NaiveDate;
use sqlx::Row;

use super::{OrderDetail, OrderFilter, OrderSummary, SUMMARY_COLUMNS, address, instant, summary};
use crate::model::Order;
use crate::store::{Store, StoreError, corrupt, flag, int};

impl Store {
    /// Lists orders, newest first.
    pub async fn list_orders(&self, f: &OrderFilter) -> Result<Vec<OrderSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM orders o
             WHERE ($1 IS NULL OR o.shop_id = $1) AND ($2 IS NULL OR o.status = $2)
               AND ($3 IS NULL OR o.take_state = $3)
             ORDER BY o.ordered_at DESC, o.mall_order_number DESC LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(&f.shop)
            .bind(f.status.map(|s| s.id()))
            .bind(f.take_state.map(|s| s.id()))
            .bind(f.limit.map_or(i64::MAX, i64::from))
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
                o.multiple_deliveries, o.add_on_service, o.no_buyer_email, o.source,
                o.buyer_email, o.buyer_email_relay, o.prices_include_tax, o.fees_json,
                o.discounts_json, o.marks_json, o.mall_status_words, o.payment_state
             FROM orders o WHERE o.shop_id = $1 AND o.mall_order_number = $2"
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
            fees: from_json(&row, "fees_json", number)?,
            discounts: from_json(&row, "discounts_json", number)?,
            prices_include_tax: flag(&row, "prices_include_tax")?,
            buyer_email: row
                .try_get::<Option<String>, _>("buyer_email")?
                .map(|address| -> Result<_, StoreError> {
                    Ok(crate::model::Email {
                        address,
                        relay: flag(&row, "buyer_email_relay")?,
                    })
                })
                .transpose()?,
            marks: from_json(&row, "marks_json", number)?,
            buyer_note: row.try_get("buyer_note")?,
            flags: crate::model::OrderFlags {
                test_order: false,
                multiple_deliveries: flag(&row, "multiple_deliveries")?,
                add_on_service: flag(&row, "add_on_service")?,
                no_buyer_email: flag(&row, "no_buyer_email")?,
            },
            source,
            payment: crate::model::PaymentState::from_id(
                &row.try_get::<String, _>("payment_state")?,
            )
            .unwrap_or_default(),
            hold: None,
        };
        let history = sqlx::query(
            "SELECT at, event, detail FROM order_history WHERE order_id = $1 ORDER BY id",
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
        let mall_status_words: String = row.try_get("mall_status_words")?;
        Ok(OrderDetail {
            mall_status_words,
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
                has_add_on_service, product_name, option_text, jan FROM order_lines WHERE order_id = $1
             ORDER BY delivery_no, line_no",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT delivery_no, recipient_json, delivery_method, carrier, desired_date,
                desired_time_slot, time_slot, mall_delivery_id, gift_message FROM order_deliveries WHERE order_id = $1 ORDER BY delivery_no",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let no: u32 = int(&r, "order_deliveries", "delivery_no", number)?;
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
                .filter(|l| l.try_get::<i64, _>("delivery_no").ok() == Some(i64::from(no)))
            {
                delivery_lines.push(crate::model::OrderLine {
                    line_no: int(l, "order_lines", "line_no", number)?,
                    item_code: l.try_get("item_code")?,
                    sku_code: l.try_get("sku_code")?,
                    quantity: int(l, "order_lines", "quantity", number)?,
                    unit_price: l.try_get("unit_price")?,
                    tax_rate: u8::try_from(l.try_get::<i64, _>("tax_rate")?)
                        .map_err(|e| corrupt("order_lines", "tax_rate", number, e))?,
                    has_add_on_service: flag(l, "has_add_on_service")?,
                    product_name: l.try_get("product_name")?,
                    option_text: l.try_get("option_text")?,
                    jan: l.try_get("jan")?,
                });
            }
            out.push(crate::model::Delivery {
                delivery_no: no,
                mall_delivery_id: r.try_get("mall_delivery_id")?,
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
                gift_message: r.try_get("gift_message")?,
            });
        }
        Ok(out)
    }
}

/// A JSON column read back into its type.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(
    row: &sqlx::any::AnyRow,
    column: &'static str,
    number: &str,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| corrupt("orders", column, number, e))
}
