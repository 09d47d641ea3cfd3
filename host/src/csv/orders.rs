//! Orders from a CSV file (d払い mini-app orders, which no API returns). The file's layout is
//! mall knowledge: the host only decodes it, groups its rows by the column the plugin names
//! (`csv-order-key`), and hands each group to the plugin's `map-order`. The orders are then
//! stored like fetched ones: same unique key, same conversion tables, same product names. An
//! order with any bad row is reported and not stored at all.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Encoding, ImportError, Progress, Row, RowError, read};
use crate::config::ShopConfig;
use crate::connector::RawOrder;
use crate::model::{OrderSource, TakeState};
use crate::runtime::Runtime;
use crate::store::Store;
use crate::sync::ingest::{self, Ingested};

/// What an order import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OrderImport {
    /// The encoding read.
    pub encoding: String,
    /// Data rows in the file.
    pub rows: usize,
    /// Orders in the file.
    pub orders: usize,
    /// What was stored.
    #[serde(flatten)]
    pub ingested: Ingested,
    /// Orders or rows not imported (the line is the order's first row).
    pub errors: Vec<RowError>,
}

/// Orders stored per transaction.
const BATCH: usize = 200;

/// Writes a header and rows back as CSV text.
fn csv_text(header: &[String], rows: &[&Row]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut ok = w.write_record(header).is_ok();
    for r in rows {
        ok &= w.write_record(&r.cells).is_ok();
    }
    let bytes = if ok {
        w.into_inner().unwrap_or_default()
    } else {
        Vec::new()
    };
    String::from_utf8(bytes).unwrap_or_default()
}

/// Imports the orders of a CSV file for a shop.
pub async fn import(
    store: &Store,
    runtime: &Runtime,
    shop: &ShopConfig,
    path: &std::path::Path,
    encoding: Encoding,
    now: DateTime<Utc>,
    progress: Progress<'_>,
) -> Result<OrderImport, ImportError> {
    let plugin = runtime
        .plugin(&shop.mall)
        .map_err(|e| ImportError::Plugin(e.to_string()))?;
    let Some(key) = plugin.info().csv_order_key.clone() else {
        return Err(ImportError::Plugin(format!(
            "plugin {} does not read orders from CSV files",
            plugin.info().label()
        )));
    };
    let shown = path.display().to_string();
    let (table, enc) = read(path, encoding)?;
    let key_names = [key.as_str()];
    let [key_col] = table.columns(&shown, "an order CSV of this mall", [(&key_names, true)])?;
    let key_col = key_col.unwrap_or(0);
    let mut report = OrderImport {
        encoding: enc.into(),
        rows: table.rows.len() + table.errors.len(),
        errors: table.errors.clone(),
        ..OrderImport::default()
    };
    // Group rows by order, in the file's order.
    let mut groups: indexmap::IndexMap<String, Vec<&Row>> = indexmap::IndexMap::new();
    for row in &table.rows {
        let k = row.cells.get(key_col).cloned().unwrap_or_default();
        if k.is_empty() {
            report.errors.push(RowError {
                line: row.line,
                key: None,
                column: None,
                reason: format!("{key} is empty"),
            });
            continue;
        }
        groups.entry(k).or_default().push(row);
    }
    // Rows that could not be read make their whole order invalid.
    let broken: Vec<(usize, Option<String>)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.key.clone()))
        .collect();
    report.orders = groups.len();
    let connector = runtime.connector(shop);
    let total = groups.len();
    let mut mapped = Vec::new();
    for (i, (number, rows)) in groups.iter().enumerate() {
        progress(i, total);
        // One call per order: a fault in one order's mapping must not fail the others.
        let first_line = rows.first().map_or(0, |r| r.line);
        if broken
            .iter()
            .any(|(_, k)| k.as_deref() == Some(number.as_str()))
        {
            report.errors.push(RowError {
                line: first_line,
                key: Some(number.clone()),
                column: None,
                reason: "not imported: one of its rows cannot be read (see that row's error)"
                    .into(),
            });
            continue;
        }
        let raw = RawOrder {
            mall_order_number: number.clone(),
            source: OrderSource::Csv,
            body: csv_text(&table.header, rows),
        };
        match connector.map_order(&raw).await {
            Ok(o) => mapped.push((first_line, o)),
            Err(e) => report.errors.push(RowError {
                line: first_line,
                key: Some(number.clone()),
                column: None,
                reason: e.to_string(),
            }),
        }
    }
    while !mapped.is_empty() {
        let chunk: Vec<(usize, crate::model::Order)> =
            mapped.drain(..BATCH.min(mapped.len())).collect();
        let lines: Vec<(usize, String)> = chunk
            .iter()
            .map(|(l, o)| (*l, o.mall_order_number.clone()))
            .collect();
        let per_delivery = plugin.info().capabilities.shipping_per_delivery;
        let prepared = ingest::prepare(
            shop,
            per_delivery,
            chunk.into_iter().map(|(_, o)| o).collect(),
        );
        for n in &prepared.test_orders {
            let line = lines.iter().find(|(_, k)| k == n).map_or(0, |(l, _)| *l);
            report.errors.push(RowError {
                line,
                key: Some(n.clone()),
                column: None,
                reason: "a test-environment order (検証環境); not stored".into(),
            });
        }
        let done = ingest::ingest(store, shop, prepared, TakeState::NotNeeded, now).await?;
        report.ingested.extend(done);
    }
    progress(total, total);
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}
