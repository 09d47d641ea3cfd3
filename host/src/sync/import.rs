//! Orders from a mall's file (`import orders`, the console's データ取込): the file read into
//! records ([`crate::csv::orders`]), each record mapped by the shop's plugin in a call of its own
//! (a fault in one order's mapping must not fail the others), and the orders stored like
//! fetched ones through [`super::ingest`]: same unique key, same conversion tables, same product
//! names; nothing to take on the mall.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ingest::{self, Ingested};
use crate::config::ShopConfig;
use crate::csv::{Encoding, ImportError, Progress, RowError};
use crate::model::TakeState;
use crate::runtime::Runtime;
use crate::store::Store;

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

/// Imports the orders of a mall's CSV file for a shop.
pub async fn import_orders(
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
    let file = crate::csv::orders::read_orders(path, &key, encoding)?;
    let mut report = OrderImport {
        encoding: file.encoding,
        rows: file.rows,
        orders: file.orders,
        errors: file.errors,
        ..OrderImport::default()
    };
    let connector = runtime.connector(shop);
    let total = file.records.len();
    let mut mapped = Vec::new();
    for (i, (first_line, raw)) in file.records.into_iter().enumerate() {
        progress(i, total);
        match connector.map_order(&raw).await {
            Ok(o) => mapped.push((first_line, o)),
            Err(e) => report.errors.push(RowError {
                line: first_line,
                key: Some(raw.mall_order_number),
                column: None,
                reason: e.to_string(),
            }),
        }
    }
    let per_delivery = plugin.info().capabilities.shipping_per_delivery;
    while !mapped.is_empty() {
        let chunk: Vec<(usize, crate::model::Order)> =
            mapped.drain(..BATCH.min(mapped.len())).collect();
        let lines: Vec<(usize, String)> = chunk
            .iter()
            .map(|(l, o)| (*l, o.mall_order_number.clone()))
            .collect();
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
