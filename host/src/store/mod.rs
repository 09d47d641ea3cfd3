//! The database: orders unique by (shop, mall order number), their deliveries and lines, the
//! product master, a history row for every change, and every shipment push with its result.
//! sqlx on SQLite (WAL), schema by migrations in `store/migrations/`.

mod leases;
mod orders;
mod pushes;
mod tokens;

pub use leases::{Holder, JobRun, RunOutcome};
pub use orders::{
    NewOrder, OrderDetail, OrderFilter, OrderSummary, ShippingUpdate, StoreOutcome, WhenStored,
};
pub use pushes::{
    CandidateDelivery, ExportCandidate, LastPush, PushClaim, PushOutcome, PushRecord,
};

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Why the database could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database cannot be opened.
    #[error("cannot open database {url}: {source}")]
    Open {
        /// The URL (SQLite URLs carry no secret).
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
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            url: url.to_string(),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(open_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("src/store/migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// The pool, for queries this module does not offer (tests, tools).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
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
        self.upsert_products(std::slice::from_ref(&p), now).await
    }

    /// Adds or replaces products in one transaction, and fills their names into stored order
    /// lines that lacked them. Returns how many lines got a name.
    pub async fn upsert_products(
        &self,
        products: &[Product],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut filled = 0;
        for p in products {
            sqlx::query(
                "INSERT INTO products (item_code, sku_code, name, price, jan_code, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?)
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
                "UPDATE order_lines SET product_name = ? WHERE product_name IS NULL
                   AND item_code = ? AND (sku_code = ? OR ? = '')",
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
