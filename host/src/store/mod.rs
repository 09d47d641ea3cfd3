//! The database: orders unique by (shop, mall order number), their deliveries and lines, the
//! product master, a history row for every change, and every shipment push with its result.
//! sqlx's `Any` driver over SQLite (WAL; the embedded default) or PostgreSQL (several host
//! processes on one database): one set of queries with `$n` binds, the schema by migrations in
//! `store/migrations/<backend>/`, and what differs between the two in [`sql`].

mod copy;
mod incidents;
mod leases;
mod orders;
mod paces;
mod plugins;
mod pushes;
mod slips;
pub(crate) mod sql;
#[cfg(test)]
pub(crate) mod testing;
mod tokens;
mod users;

pub use sql::{Backend, shown_url};
pub use users::{AuditEntry, UserRow};

pub use copy::TableCopy;
pub use incidents::Notice;
pub use leases::{Holder, JobRun, RunOutcome};
pub use orders::{
    AwaitingMall, NewOrder, OrderDetail, OrderFilter, OrderSearch, OrderSummary, SearchPage,
    ShippingUpdate, ShownMoney, StoreOutcome, WhenStored,
};
pub use plugins::{SharedPlugin, StoredComponent};
pub use pushes::{
    CandidateDelivery, ExportCandidate, LastPush, PushClaim, PushEntry, PushOutcome, PushRecord,
};
pub use slips::{DeliveryShipping, SLIP_PREFIX, SlipRef, slip_id, slip_key};

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, Executor};

/// A transaction on either backend.
pub(crate) type Tx<'a> = sqlx::Transaction<'a, Any>;

/// Why the database could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL names no database mallhost supports.
    #[error(
        "database_url {url:?} names no supported database: use sqlite://PATH/TO/mallhost.db or \
         postgres://USER@HOST:PORT/DATABASE"
    )]
    Unsupported {
        /// The URL, its password masked.
        url: String,
    },
    /// The database cannot be opened.
    #[error("cannot open database {url}: {source}")]
    Open {
        /// The URL, its password masked.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value cannot be read back.
    #[error("corrupt value in {table}.{column} of row {row}: {message}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// Row key.
        row: String,
        /// What is wrong.
        message: String,
    },
    /// No such delivery in an order.
    #[error("order {number:?} of shop {shop:?} has no delivery {delivery}")]
    NoSuchDelivery {
        /// Shop.
        shop: String,
        /// Number.
        number: String,
        /// Delivery number.
        delivery: u32,
    },
    /// A further parcel for a delivery without a first one.
    #[error(
        "order {number:?} of shop {shop:?}: delivery {delivery} has no tracking number yet; set \
         the first parcel with `orders ship` before adding more with `--more`"
    )]
    NoFirstParcel {
        /// Shop.
        shop: String,
        /// Number.
        number: String,
        /// Delivery number.
        delivery: u32,
    },
    /// A copy's destination holds orders already.
    #[error(
        "the destination database holds {rows} orders already; copy into an empty database \
         (create a new one, or drop its tables)"
    )]
    NotEmpty {
        /// Orders it holds.
        rows: i64,
    },
    /// No such order.
    #[error("shop {shop:?} has no order {number:?} (see `mallhost orders list --shop {shop}`)")]
    NoSuchOrder {
        /// Shop.
        shop: String,
        /// Number.
        number: String,
    },
}

/// The database handle (cheap to clone).
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens the database a URL names and brings its schema up to date: a SQLite file (created
    /// if missing) or a PostgreSQL database (which must exist).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let open_err = |source| StoreError::Open {
            url: shown_url(url),
            source,
        };
        let backend = Backend::of_url(url).ok_or_else(|| StoreError::Unsupported {
            url: shown_url(url),
        })?;
        let pool = match backend {
            Backend::Sqlite => {
                // The file is created if missing; WAL lets readers run beside the one writer.
                let url = if url.contains("mode=") {
                    url.to_string()
                } else if url.contains('?') {
                    format!("{url}&mode=rwc")
                } else {
                    format!("{url}?mode=rwc")
                };
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
                    .map_err(open_err)?
            }
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await
                .map_err(open_err)?,
        };
        match backend {
            Backend::Sqlite => {
                sqlx::migrate!("src/store/migrations/sqlite")
                    .run(&pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("src/store/migrations/postgres")
                    .run(&pool)
                    .await?
            }
        }
        Ok(Store { pool, backend })
    }

    /// The pool, for queries this module does not offer (tests, tools). Write binds as `$1`,
    /// `$2`, …: both backends read them.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Adds or replaces a product in the master (see [`Store::upsert_products`]).
    pub async fn upsert_product(
        &self,
        item_code: &str,
        sku_code: &str,
        name: &str,
        price: Option<i64>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let p = Product {
            item_code: item_code.into(),
            sku_code: sku_code.into(),
            name: name.into(),
            price,
            jan_code: None,
        };
        self.upsert_products(std::slice::from_ref(&p), now, &|_| {})
            .await
    }

    /// Adds or replaces products in one transaction (a killed import stores none), and fills
    /// their names into stored order lines that lacked them; `done(n)` is told every 500
    /// rows. Returns how many lines got a name.
    pub async fn upsert_products(
        &self,
        products: &[Product],
        now: chrono::DateTime<chrono::Utc>,
        done: &(dyn Fn(usize) + Sync),
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut filled = 0;
        for (i, p) in products.iter().enumerate() {
            if i % 500 == 0 {
                done(i);
            }
            if i == products.len() / 2 {
                crate::crash_point!("import:products-half");
            }
            sqlx::query(
                "INSERT INTO products (item_code, sku_code, name, price, jan_code, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (item_code, sku_code) DO UPDATE SET name = excluded.name,
                     price = excluded.price, jan_code = excluded.jan_code,
                     updated_at = excluded.updated_at",
            )
            .bind(&p.item_code)
            .bind(&p.sku_code)
            .bind(&p.name)
            .bind(p.price)
            .bind(&p.jan_code)
            .bind(crate::time::to_db(now))
            .execute(&mut *tx)
            .await?;
            // An SKU-level name fills lines of that SKU; an item-level one (empty SKU code)
            // fills every line of the item still without a name.
            filled += sqlx::query(
                "UPDATE order_lines SET product_name = $1 WHERE product_name IS NULL
                   AND item_code = $2 AND (sku_code = $3 OR $4 = '')",
            )
            .bind(&p.name)
            .bind(&p.item_code)
            .bind(&p.sku_code)
            .bind(&p.sku_code)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(filled)
    }

    /// Product codes on stored order lines that the master lacks, with how many lines and
    /// orders wait for them ("name missing").
    pub async fn missing_names(&self) -> Result<Vec<MissingName>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.shop_id, l.item_code, l.sku_code, COUNT(*) AS lines,
                COUNT(DISTINCT l.order_id) AS orders
             FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE l.product_name IS NULL
             GROUP BY o.shop_id, l.item_code, l.sku_code ORDER BY o.shop_id, l.item_code, l.sku_code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                use sqlx::Row;
                Ok(MissingName {
                    shop_id: r.try_get("shop_id")?,
                    item_code: r.try_get("item_code")?,
                    sku_code: r.try_get("sku_code")?,
                    lines: r.try_get("lines")?,
                    orders: r.try_get("orders")?,
                })
            })
            .collect()
    }
}

/// A product of the master (商品データ).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Product {
    /// Item code (商品管理番号).
    pub item_code: String,
    /// SKU code (SKU管理番号); empty for a name that covers every SKU of the item.
    pub sku_code: String,
    /// Product name.
    pub name: String,
    /// Price in yen.
    pub price: Option<i64>,
    /// JAN code.
    pub jan_code: Option<String>,
}

/// Order lines waiting for a product name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingName {
    /// Shop.
    pub shop_id: String,
    /// Item code.
    pub item_code: String,
    /// SKU code.
    pub sku_code: String,
    /// Lines without the name.
    pub lines: i64,
    /// Orders with such lines.
    pub orders: i64,
}

fn corrupt(
    table: &'static str,
    column: &'static str,
    row: impl ToString,
    message: impl ToString,
) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        row: row.to_string(),
        message: message.to_string(),
    }
}

/// An integer column read into a narrower type (the `Any` driver reads integers as `i64`).
fn int<T: TryFrom<i64>>(
    row: &sqlx::any::AnyRow,
    table: &'static str,
    column: &'static str,
    key: &str,
) -> Result<T, StoreError>
where
    T::Error: std::fmt::Display,
{
    use sqlx::Row;
    let v: i64 = row.try_get(column)?;
    T::try_from(v).map_err(|e| corrupt(table, column, key, e))
}

/// A 0/1 flag column (both backends store flags as integers).
fn flag(row: &sqlx::any::AnyRow, column: &'static str) -> Result<bool, StoreError> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(column)? != 0)
}
