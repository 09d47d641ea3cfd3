//! The product master (商品データ取込): item code, SKU code, product name, and optionally price
//! and JAN code. a mall may return no product names, so orders take them from here; lines
//! already stored without a name get it as soon as the master has it.

use serde::Serialize;

use super::{Encoding, ImportError, Progress, RowError, read};
use crate::store::{Product, Store};

/// Accepted header names of each column.
const ITEM: &[&str] = &["item_code", "商品管理番号", "商品コード"];
const SKU: &[&str] = &["sku_code", "SKU管理番号", "SKUコード"];
const NAME: &[&str] = &["name", "product_name", "商品名"];
const PRICE: &[&str] = &["price", "価格", "販売価格"];
const JAN: &[&str] = &["jan", "jan_code", "JANコード"];

/// What a product import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProductImport {
    /// The encoding read.
    pub encoding: String,
    /// Data rows in the file.
    pub rows: usize,
    /// Products added or updated.
    pub imported: usize,
    /// Stored order lines that got their product name now.
    pub lines_filled: u64,
    /// Rows not imported.
    pub errors: Vec<RowError>,
}

/// Imports a product master file.
pub async fn import(
    store: &Store,
    path: &std::path::Path,
    encoding: Encoding,
    now: chrono::DateTime<chrono::Utc>,
    progress: Progress<'_>,
) -> Result<ProductImport, ImportError> {
    let shown = path.display().to_string();
    let (table, enc) = read(path, encoding)?;
    let [item, sku, name, price, jan] = table.columns(
        &shown,
        "a product master",
        [
            (ITEM, true),
            (SKU, false),
            (NAME, true),
            (PRICE, false),
            (JAN, false),
        ],
    )?;
    let (item, name) = (item.unwrap_or(0), name.unwrap_or(0));
    let mut report = ProductImport {
        encoding: enc.into(),
        rows: table.rows.len() + table.errors.len(),
        errors: table.errors.clone(),
        ..ProductImport::default()
    };
    let mut valid = Vec::new();
    for row in &table.rows {
        let cell = |i: Option<usize>| {
            i.and_then(|i| row.cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let code = cell(Some(item));
        let err = |col: Option<usize>, reason: String| RowError {
            line: row.line,
            key: Some(code.clone()),
            column: col.and_then(|c| table.header.get(c)).cloned(),
            reason,
        };
        if code.is_empty() {
            report.errors.push(err(
                Some(item),
                "the item code (商品管理番号) is empty".into(),
            ));
            continue;
        }
        let product_name = cell(Some(name));
        if product_name.is_empty() {
            report
                .errors
                .push(err(Some(name), "the product name (商品名) is empty".into()));
            continue;
        }
        let price_text = cell(price);
        let price = if price_text.is_empty() {
            None
        } else {
            match price_text.parse::<i64>() {
                Ok(p) if p >= 0 => Some(p),
                _ => {
                    report.errors.push(err(
                        price,
                        format!("price {price_text:?} is not a whole number of yen"),
                    ));
                    continue;
                }
            }
        };
        let jan_col = jan;
        let jan = cell(jan);
        let jan_ok = jan.is_empty()
            || (matches!(jan.len(), 8 | 13) && jan.bytes().all(|b| b.is_ascii_digit()));
        if !jan_ok {
            report.errors.push(err(
                jan_col,
                format!("JAN code {jan:?} is not 8 or 13 digits"),
            ));
            continue;
        }
        valid.push(Product {
            item_code: code.clone(),
            sku_code: cell(sku),
            name: product_name,
            price,
            jan_code: (!jan.is_empty()).then_some(jan),
        });
    }
    report.errors.sort_by_key(|e| e.line);
    // One transaction for the file, as for shipments: an import killed half way stores
    // nothing, and the file is simply imported again.
    let total = valid.len();
    report.lines_filled = store
        .upsert_products(&valid, now, &|done| progress(done, total))
        .await?;
    report.imported = total;
    progress(total, total);
    Ok(report)
}
