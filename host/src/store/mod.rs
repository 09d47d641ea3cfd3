//! The database: orders unique by (shop, mall order number), their deliveries and lines, the
//! product master, a history row for every change, and every shipment push with its result.
//! sqlx on SQLite (WAL), schema by migrations in `store/migrations/`.

mod orders;
mod pushes;

pub use orders::{OrderDetail, OrderFilter, OrderSummary, StoreOutcome};
pub use pushes::{ExportCandidate, PushOutcome};

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

    /// Adds or replaces a product in the master, and fills its name into stored order lines
    /// that lacked it. Returns how many lines got the name.
    pub async fn upsert_product(
        &self,
        item_code: &str,
        sku_code: &str,
        name: &str,
        price: Option<i64>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO products (item_code, sku_code, name, price, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (item_code, sku_code) DO UPDATE SET name = excluded.name,
                 price = excluded.price, updated_at = excluded.updated_at",
        )
        .bind(item_code)
        .bind(sku_code)
        .bind(name)
        .bind(price)
        .bind(crate::time::to_db(now))
        .execute(&mut *tx)
        .await?;
        let filled = sqlx::query(
            "UPDATE order_lines SET product_name = ? WHERE product_name IS NULL
               AND item_code = ? AND (sku_code = ? OR ? = '')",
        )
        .bind(name)
        .bind(item_code)
        .bind(sku_code)
        .bind(sku_code)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(filled)
    }
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
