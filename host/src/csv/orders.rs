//! Orders from a CSV file (d払い mini-app orders, which no API returns), read into records. The
//! file's layout is mall knowledge: the host only decodes it and groups its rows by the column
//! the plugin names (`csv-order-key`), each group one [`RawOrder`] for the plugin to map. An
//! order with any bad row is reported and left out whole. Mapping and storing the records is
//! the sync's (`sync::import`).

use super::{Encoding, ImportError, Row, RowError, read};
use crate::connector::RawOrder;
use crate::model::OrderSource;

/// An order file read into records.
#[derive(Debug, Clone, Default)]
pub struct OrderFile {
    /// The encoding read.
    pub encoding: String,
    /// Data rows in the file.
    pub rows: usize,
    /// Orders in the file (records and those left out).
    pub orders: usize,
    /// Each order's record, with the line of its first row.
    pub records: Vec<(usize, RawOrder)>,
    /// Rows and orders left out, and why.
    pub errors: Vec<RowError>,
}

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

/// Reads an order file whose orders are keyed by the column `key`.
pub fn read_orders(
    path: &std::path::Path,
    key: &str,
    encoding: Encoding,
) -> Result<OrderFile, ImportError> {
    let shown = path.display().to_string();
    let (table, enc) = read(path, encoding)?;
    let key_names = [key];
    let [key_col] = table.columns(&shown, "an order CSV of this mall", [(&key_names, true)])?;
    let key_col = key_col.unwrap_or(0);
    let mut file = OrderFile {
        encoding: enc.into(),
        rows: table.rows.len() + table.errors.len(),
        errors: table.errors.clone(),
        ..OrderFile::default()
    };
    // Group rows by order, in the file's order.
    let mut groups: indexmap::IndexMap<String, Vec<&Row>> = indexmap::IndexMap::new();
    for row in &table.rows {
        let k = row.cells.get(key_col).cloned().unwrap_or_default();
        if k.is_empty() {
            file.errors.push(RowError {
                line: row.line,
                key: None,
                column: None,
                reason: format!("{key} is empty"),
            });
            continue;
        }
        groups.entry(k).or_default().push(row);
    }
    file.orders = groups.len();
    // Rows that could not be read make their whole order invalid.
    let broken: Vec<Option<String>> = file.errors.iter().map(|e| e.key.clone()).collect();
    for (number, rows) in &groups {
        let first_line = rows.first().map_or(0, |r| r.line);
        if broken.iter().any(|k| k.as_deref() == Some(number.as_str())) {
            file.errors.push(RowError {
                line: first_line,
                key: Some(number.clone()),
                column: None,
                reason: "not imported: one of its rows cannot be read (see that row's error)"
                    .into(),
            });
            continue;
        }
        file.records.push((
            first_line,
            RawOrder {
                mall_order_number: number.clone(),
                source: OrderSource::Csv,
                body: csv_text(&table.header, rows),
            },
        ));
    }
    Ok(file)
}
