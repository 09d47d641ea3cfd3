//! What makes one set of queries run on both databases: statements built from parts with the
//! backend's binds, and the few things that differ (locking a row). Which backend a URL names,
//! and the URL as it may be shown, are the config's ([`crate::config::Backend`]).
//!
//! Written queries use numbered binds (`$1`, `$2`, …), which SQLite and PostgreSQL both read.
//! A [`Statement`] built from parts (the multi-row inserts, with thousands of binds) writes
//! `$n` for PostgreSQL but plain `?` for SQLite: SQLite looks each *named* bind up among those
//! before it when it prepares a statement, which made a 15,000-bind insert take seconds; plain
//! `?` is numbered in passing. (sqlx's own builder writes `?` under its `Any` driver, which
//! PostgreSQL does not read.)

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, Encode, Type};

use super::StoreError;
pub use crate::config::{Backend, shown_url};

/// A statement built from parts: text pushed as is, values bound as `$n`. Inside
/// [`Statement::values`] rows, binds are separated by commas.
pub(crate) struct Statement<'q> {
    sql: String,
    numbered: bool,
    args: AnyArguments<'q>,
    n: usize,
    first_in_row: Option<bool>,
    error: Option<sqlx::error::BoxDynError>,
}

impl<'q> Statement<'q> {
    /// A statement for `backend` starting with `sql`.
    pub(crate) fn new(backend: Backend, sql: &str) -> Statement<'q> {
        Statement {
            sql: sql.to_string(),
            numbered: backend == Backend::Postgres,
            args: AnyArguments::default(),
            n: 0,
            first_in_row: None,
            error: None,
        }
    }

    /// Appends text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Binds a value: `$n` in the text (after a comma, inside a row but its first).
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.separate();
        self.bind_here(value)
    }

    /// Binds a value right where the text is, with no separator.
    pub(crate) fn bind_here<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        self.n += 1;
        if self.numbered {
            self.sql.push('$');
            self.sql.push_str(&self.n.to_string());
        } else {
            self.sql.push('?');
        }
        self
    }

    /// Text that starts a new comma-separated item of a row.
    pub(crate) fn item(&mut self, sql: &str) -> &mut Self {
        self.separate();
        self.push(sql)
    }

    /// Binds a list of values, comma-separated (for `IN (…)`).
    pub(crate) fn list<T, I>(&mut self, values: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind_here(v);
        }
        self
    }

    /// `VALUES (…), (…)`: one row per item, written by `row`.
    pub(crate) fn values<I>(
        &mut self,
        items: I,
        mut row: impl FnMut(&mut Self, I::Item),
    ) -> &mut Self
    where
        I: IntoIterator,
    {
        self.sql.push_str("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('(');
            self.first_in_row = Some(true);
            row(self, item);
            self.first_in_row = None;
            self.sql.push(')');
        }
        self
    }

    fn separate(&mut self) {
        match self.first_in_row {
            Some(true) => self.first_in_row = Some(false),
            Some(false) => self.sql.push_str(", "),
            None => {}
        }
    }

    /// The text and its arguments, for `sqlx::query_with`.
    pub(crate) fn build(self) -> Result<(String, AnyArguments<'q>), StoreError> {
        match self.error {
            Some(e) => Err(StoreError::Query(sqlx::Error::Encode(e))),
            None => Ok((self.sql, self.args)),
        }
    }
}

/// Locks an order's row until the transaction ends, where the database has row locks
/// (PostgreSQL); SQLite lets one transaction write at a time, which serialises the same work.
pub(crate) async fn lock_order(
    tx: &mut super::Tx<'_>,
    backend: Backend,
    order_id: i64,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM orders WHERE id = $1 FOR UPDATE")
            .bind(order_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_follow_the_backend_and_rows_are_separated() {
        let build = |backend| {
            let mut s = Statement::new(backend, "INSERT INTO t (a, b, c) ");
            s.values([(1_i64, "x"), (2, "y")], |s, (a, b)| {
                s.bind(a)
                    .bind(b)
                    .item("COALESCE(")
                    .bind_here(b)
                    .push(", 'z')");
            });
            s.push(" WHERE k IN (").list(["p", "q"]).push(")");
            s.build().unwrap().0
        };
        assert_eq!(
            build(Backend::Postgres),
            "INSERT INTO t (a, b, c) VALUES ($1, $2, COALESCE($3, 'z')), ($4, $5, COALESCE($6, 'z')) \
             WHERE k IN ($7, $8)"
        );
        assert_eq!(
            build(Backend::Sqlite),
            "INSERT INTO t (a, b, c) VALUES (?, ?, COALESCE(?, 'z')), (?, ?, COALESCE(?, 'z')) \
             WHERE k IN (?, ?)"
        );
    }

    #[test]
    fn a_password_is_never_shown() {
        let shown = shown_url("postgresql://u:pa%40ss@127.0.0.1/db?sslmode=disable");
        assert!(
            !shown.contains("pa%40ss") && shown.contains("***"),
            "{shown}"
        );
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
    }
}

#[cfg(test)]
mod sqlite_settings {
    #[tokio::test]
    async fn every_sqlite_connection_is_wal_with_normal_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = super::super::Store::open(&url).await.unwrap();
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(store.pool().acquire().await.unwrap());
        }
        for c in &mut conns {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **c)
                .await
                .unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **c)
                .await
                .unwrap();
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(&mut **c)
                .await
                .unwrap();
            assert_eq!((mode.as_str(), sync, fk), ("wal", 1, 1));
        }
    }
}
