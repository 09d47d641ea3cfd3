//! Shipping data in bulk (`import shipments`): order number, carrier, tracking number (伝票番号),
//! ship date, and optionally a dummy flag and a delivery number — what staff would otherwise
//! enter order by order with `orders ship`. Each row is checked like a manual entry.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Encoding, ImportError, Progress, RowError, parse_date, read};
use crate::config::ShopConfig;
use crate::store::{ShippingUpdate, Store};
use crate::tracking::{ShippingError, shipping_update};

const ORDER: &[&str] = &["order_number", "注文番号"];
const CARRIER: &[&str] = &["carrier", "配送業者"];
const TRACKING: &[&str] = &["tracking_number", "伝票番号"];
const DATE: &[&str] = &["ship_date", "出荷日", "発送日"];
const DUMMY: &[&str] = &["dummy", "ダミー"];
const DELIVERY: &[&str] = &["delivery_no", "配送先番号"];

/// What a shipment import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShipmentImport {
    /// The encoding read.
    pub encoding: String,
    /// Data rows in the file.
    pub rows: usize,
    /// Orders updated.
    pub updated: usize,
    /// Rows not imported.
    pub errors: Vec<RowError>,
}

fn truthy(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "はい" | "○"
    )
}

/// Imports shipping data for a shop's orders.
pub async fn import(
    store: &Store,
    shop: &ShopConfig,
    path: &std::path::Path,
    encoding: Encoding,
    today: NaiveDate,
    now: DateTime<Utc>,
    progress: Progress<'_>,
) -> Result<ShipmentImport, ImportError> {
    let shown = path.display().to_string();
    let (table, enc) = read(path, encoding)?;
    let [order, carrier, tracking, date, dummy, delivery] = table.columns(
        &shown,
        "a shipment file",
        [
            (ORDER, true),
            (CARRIER, true),
            (TRACKING, true),
            (DATE, false),
            (DUMMY, false),
            (DELIVERY, false),
        ],
    )?;
    let mut report = ShipmentImport {
        encoding: enc.into(),
        rows: table.rows.len() + table.errors.len(),
        errors: table.errors.clone(),
        ..ShipmentImport::default()
    };
    let total = table.rows.len();
    let mut checked: Vec<(usize, String, ShippingUpdate)> = Vec::with_capacity(total);
    for (i, row) in table.rows.iter().enumerate() {
        progress(i, total);
        let cell = |c: Option<usize>| {
            c.and_then(|c| row.cells.get(c))
                .cloned()
                .unwrap_or_default()
        };
        let number = cell(order);
        let err = |col: Option<usize>, reason: String| RowError {
            line: row.line,
            key: Some(number.clone()),
            column: col.and_then(|c| table.header.get(c)).cloned(),
            reason,
        };
        if number.is_empty() {
            report
                .errors
                .push(err(order, "the order number (注文番号) is empty".into()));
            continue;
        }
        let date_text = cell(date);
        let ship_date = if date_text.is_empty() {
            today
        } else {
            match parse_date(&date_text) {
                Some(d) => d,
                None => {
                    report.errors.push(err(
                        date,
                        format!("ship date {date_text:?} is not YYYY-MM-DD or YYYY/MM/DD"),
                    ));
                    continue;
                }
            }
        };
        let delivery_text = cell(delivery);
        let delivery_no = if delivery_text.is_empty() {
            None
        } else {
            match delivery_text.parse::<u32>() {
                Ok(d) if d >= 1 => Some(d),
                _ => {
                    report.errors.push(err(
                        delivery,
                        format!("delivery number {delivery_text:?} is not 1, 2, …"),
                    ));
                    continue;
                }
            }
        };
        let tracking_text = cell(tracking);
        let update = match shipping_update(
            shop,
            &number,
            &cell(carrier),
            Some(tracking_text.as_str()),
            truthy(&cell(dummy)),
            ship_date,
            delivery_no,
        ) {
            Ok(u) => u,
            Err(e) => {
                let col = match e {
                    ShippingError::UnknownCarrier { .. } => carrier,
                    _ => tracking,
                };
                report.errors.push(err(col, e.to_string()));
                continue;
            }
        };
        checked.push((row.line, number, update));
    }
    // One transaction for the file: a killed import applies all of it or nothing.
    let rows: Vec<(String, ShippingUpdate)> = checked
        .iter()
        .map(|(_, n, u)| (n.clone(), u.clone()))
        .collect();
    let results = store.set_shipping_all(&shop.id, &rows, now).await?;
    for ((line, number, _), r) in checked.into_iter().zip(results) {
        match r {
            Ok(()) => report.updated += 1,
            Err(e) => report.errors.push(RowError {
                line,
                key: Some(number),
                column: None,
                reason: e.to_string(),
            }),
        }
    }
    progress(total, total);
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}
