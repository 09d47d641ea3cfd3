//! Copying a whole database to another (`mallhost db copy --to URL`): a SQLite file moved to
//! PostgreSQL when a merchant outgrows one machine, or back. Every table is copied row by row
//! with its ids, in an order that keeps foreign keys whole, in one transaction on the
//! destination; PostgreSQL's id sequences are then moved past the copied ids. Both sides are
//! then read again and compared table by table: row counts and a checksum of every row's values
//! (order-independent, so the two databases' sort orders do not matter).

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::sql::Statement;
use super::{Backend, Store, StoreError};

/// A column's kind, for reading and binding it on either backend.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Text,
    Blob,
}

use Kind::{Blob, Int, Text};

/// A table: its name, every column with its kind, and whether it has an `id` sequence.
type Table = (&'static str, &'static [(&'static str, Kind)], bool);

/// Every table, parents first.
const TABLES: &[Table] = &[
    (
        "orders",
        &[
            ("id", Int),
            ("shop_id", Text),
            ("mall_id", Text),
            ("mall_order_number", Text),
            ("source", Text),
            ("status", Text),
            ("hold_reason", Text),
            ("mall_status", Text),
            ("ordered_at", Text),
            ("mall_updated_at", Text),
            ("payment_method", Text),
            ("buyer_json", Text),
            ("buyer_note", Text),
            ("items_total", Int),
            ("shipping_fee", Int),
            ("cod_fee", Int),
            ("points_used", Int),
            ("coupon_discount", Int),
            ("billing_total", Int),
            ("multiple_deliveries", Int),
            ("add_on_service", Int),
            ("no_buyer_email", Int),
            ("take_state", Text),
            ("take_attempts", Int),
            ("take_error", Text),
            ("carrier", Text),
            ("tracking_number", Text),
            ("ship_date", Text),
            ("created_at", Text),
            ("updated_at", Text),
            ("tracking_is_dummy", Int),
            ("buyer_email", Text),
            ("buyer_email_relay", Int),
            ("prices_include_tax", Int),
            ("fees_json", Text),
            ("discounts_json", Text),
            ("marks_json", Text),
            ("buyer_name", Text),
            ("buyer_kana", Text),
            ("mall_status_words", Text),
            ("payment_state", Text),
        ],
        true,
    ),
    (
        "order_name_grams",
        &[("gram", Text), ("order_id", Int)],
        false,
    ),
    (
        "order_deliveries",
        &[
            ("order_id", Int),
            ("delivery_no", Int),
            ("recipient_json", Text),
            ("delivery_method", Text),
            ("carrier", Text),
            ("desired_date", Text),
            ("desired_time_slot", Text),
            ("time_slot", Text),
            ("ship_carrier", Text),
            ("tracking_number", Text),
            ("mall_delivery_id", Text),
            ("gift_message", Text),
        ],
        false,
    ),
    (
        "order_lines",
        &[
            ("order_id", Int),
            ("delivery_no", Int),
            ("line_no", Int),
            ("item_code", Text),
            ("sku_code", Text),
            ("quantity", Int),
            ("unit_price", Int),
            ("tax_rate", Int),
            ("has_add_on_service", Int),
            ("product_name", Text),
            ("option_text", Text),
            ("name_from_mall", Int),
            ("jan", Text),
        ],
        false,
    ),
    (
        "delivery_parcels",
        &[
            ("order_id", Int),
            ("delivery_no", Int),
            ("parcel_no", Int),
            ("carrier", Text),
            ("tracking_number", Text),
            ("dummy", Int),
        ],
        false,
    ),
    (
        "products",
        &[
            ("item_code", Text),
            ("sku_code", Text),
            ("name", Text),
            ("price", Int),
            ("jan_code", Text),
            ("updated_at", Text),
        ],
        false,
    ),
    (
        "order_history",
        &[
            ("id", Int),
            ("order_id", Int),
            ("at", Text),
            ("event", Text),
            ("detail", Text),
        ],
        true,
    ),
    (
        "shipment_pushes",
        &[
            ("id", Int),
            ("order_id", Int),
            ("carrier", Text),
            ("carrier_id", Text),
            ("tracking_number", Text),
            ("ship_date", Text),
            ("attempted_at", Text),
            ("outcome", Text),
            ("error", Text),
            ("holder", Text),
            ("lease_until", Text),
            ("attempt", Int),
            ("data_key", Text),
        ],
        true,
    ),
    (
        "oauth_tokens",
        &[
            ("shop_id", Text),
            ("refresh_sealed", Blob),
            ("origin", Text),
            ("updated_at", Text),
        ],
        false,
    ),
    (
        "job_runs",
        &[
            ("id", Int),
            ("shop_id", Text),
            ("job", Text),
            ("holder", Text),
            ("started_at", Text),
            ("ended_at", Text),
            ("outcome", Text),
            ("summary", Text),
            ("error", Text),
        ],
        true,
    ),
    (
        "job_leases",
        &[
            ("shop_id", Text),
            ("job", Text),
            ("holder", Text),
            ("run_id", Int),
            ("lease_until", Text),
        ],
        false,
    ),
    (
        "plugin_components",
        &[
            ("digest", Text),
            ("mall_id", Text),
            ("version", Text),
            ("component", Blob),
            ("manifest", Text),
            ("added_at", Text),
        ],
        false,
    ),
    (
        "plugin_index",
        &[
            ("mall_id", Text),
            ("active", Text),
            ("history", Text),
            ("changed_at", Text),
        ],
        false,
    ),
    (
        "users",
        &[
            ("id", Int),
            ("name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("created_at", Text),
            ("disabled", Int),
        ],
        true,
    ),
    (
        "api_tokens",
        &[
            ("id", Int),
            ("user_id", Int),
            ("token_sha256", Text),
            ("created_at", Text),
            ("last_used_at", Text),
        ],
        true,
    ),
    (
        "audit_log",
        &[
            ("id", Int),
            ("at", Text),
            ("actor", Text),
            ("action", Text),
            ("detail", Text),
        ],
        true,
    ),
    (
        "alert_incidents",
        &[
            ("id", Int),
            ("key", Text),
            ("shop_id", Text),
            ("message", Text),
            ("opened_at", Text),
            ("notified_at", Text),
            ("closed_at", Text),
            ("recovery_notified_at", Text),
        ],
        true,
    ),
    (
        "alert_deliveries",
        &[
            ("incident_id", Int),
            ("channel", Text),
            ("recovered", Int),
            ("told_at", Text),
        ],
        false,
    ),
    (
        "label_slips",
        &[
            ("id", Int),
            ("shop_id", Text),
            ("mall_order_number", Text),
            ("delivery_no", Int),
            ("parcel_no", Int),
            ("format", Text),
            ("issued_at", Text),
        ],
        true,
    ),
    (
        "job_schedule",
        &[("shop_id", Text), ("job", Text), ("next_due", Text)],
        false,
    ),
];

/// Rows read and written per statement.
const PAGE: i64 = 500;

/// One table's copy, as checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCopy {
    /// Table.
    pub table: &'static str,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the destination after the copy.
    pub copied_rows: u64,
    /// SHA-256 over every row's values (hex), the same on both sides when the copy is whole.
    pub checksum: String,
    /// Whether the destination's checksum is the source's.
    pub matches: bool,
}

/// A value of one column of one row.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

impl Value {
    fn read(row: &sqlx::any::AnyRow, column: &str, kind: Kind) -> Result<Value, StoreError> {
        Ok(match kind {
            Int => Value::Int(row.try_get(column)?),
            Text => Value::Text(row.try_get(column)?),
            Blob => Value::Blob(row.try_get(column)?),
        })
    }

    /// Its bytes in the checksum: a kind tag, then the value (NULL is its own tag).
    fn feed(&self, h: &mut Sha256) {
        match self {
            Value::Int(Some(v)) => {
                h.update(b"i");
                h.update(v.to_le_bytes());
            }
            Value::Text(Some(v)) => {
                h.update(b"t");
                h.update((v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
            Value::Blob(Some(v)) => {
                h.update(b"b");
                h.update((v.len() as u64).to_le_bytes());
                h.update(v);
            }
            _ => h.update(b"n"),
        }
    }

    fn bind(self, s: &mut Statement<'_>) {
        match self {
            Value::Int(v) => s.bind(v),
            Value::Text(v) => s.bind(v),
            Value::Blob(v) => s.bind(v),
        };
    }
}

impl Store {
    /// Copies every row of this database into `dest`, which must hold no orders yet, then
    /// checks both sides table by table. `progress(table, rows so far)` is called as it goes.
    pub async fn copy_to(
        &self,
        dest: &Store,
        progress: &mut (dyn FnMut(&str, u64) + Send),
    ) -> Result<Vec<TableCopy>, StoreError> {
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
            .fetch_one(&dest.pool)
            .await?;
        if held > 0 {
            return Err(StoreError::NotEmpty { rows: held });
        }
        let mut tx = dest.pool.begin().await?;
        for (table, columns, _) in TABLES {
            // The destination's own rows of tables without orders (a schedule, say) give way.
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
            let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            let list = names.join(", ");
            let mut offset = 0_i64;
            loop {
                let rows = sqlx::query(&format!(
                    "SELECT {list} FROM {table} ORDER BY {list} LIMIT $1 OFFSET $2"
                ))
                .bind(PAGE)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                if rows.is_empty() {
                    break;
                }
                let mut values = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut row = Vec::with_capacity(columns.len());
                    for (c, k) in *columns {
                        row.push(Value::read(r, c, *k)?);
                    }
                    values.push(row);
                }
                let mut s = Statement::new(dest.backend, &format!("INSERT INTO {table} ({list}) "));
                s.values(values, |s, row| {
                    for v in row {
                        v.bind(s);
                    }
                });
                let (sql, args) = s.build()?;
                sqlx::query_with(&sql, args).execute(&mut *tx).await?;
                offset += rows.len() as i64;
                progress(table, offset as u64);
            }
        }
        if dest.backend == Backend::Postgres {
            for (table, _, has_id) in TABLES {
                if *has_id {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        let mut out = Vec::new();
        for (table, columns, _) in TABLES {
            let (source_rows, checksum) = self.table_checksum(table, columns).await?;
            let (copied_rows, theirs) = dest.table_checksum(table, columns).await?;
            out.push(TableCopy {
                table,
                source_rows,
                copied_rows,
                matches: theirs == checksum && copied_rows == source_rows,
                checksum,
            });
        }
        Ok(out)
    }

    /// Rows of a table and the SHA-256 of their sorted row digests.
    async fn table_checksum(
        &self,
        table: &str,
        columns: &[(&str, Kind)],
    ) -> Result<(u64, String), StoreError> {
        let list = columns
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ");
        let mut digests: Vec<[u8; 32]> = Vec::new();
        let mut offset = 0_i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {list} FROM {table} ORDER BY {list} LIMIT $1 OFFSET $2"
            ))
            .bind(PAGE * 4)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let mut h = Sha256::new();
                for (c, k) in columns {
                    Value::read(r, c, *k)?.feed(&mut h);
                }
                digests.push(h.finalize().into());
            }
            offset += rows.len() as i64;
        }
        digests.sort_unstable();
        let mut all = Sha256::new();
        for d in &digests {
            all.update(d);
        }
        let hex: String = all.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok((digests.len() as u64, hex))
    }
}
