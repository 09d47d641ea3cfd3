//! What makes one set of queries run on both databases: the backend a URL names, statements
//! built from parts with numbered binds (`$1`, `$2`, …, which SQLite and PostgreSQL both read;
//! sqlx's own builder writes `?` under its `Any` driver, which PostgreSQL does not), and the
//! few things that differ (locking a row, the URL as it may be shown).

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, Encode, Type};

use super::StoreError;

/// Which database a store is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Backend {
    /// SQLite: one file, one machine (the embedded default).
    Sqlite,
    /// PostgreSQL: a server several host processes share.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if it is one mallhost supports.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// Its name, as said in errors and `mallhost status`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database URL as it may be shown or logged: a password in it is replaced by `***`.
///
/// ```
/// use mallhost::store::shown_url;
/// assert_eq!(shown_url("postgres://app:s3cret@db:5432/shop"), "postgres://app:***@db:5432/shop");
/// assert_eq!(shown_url("sqlite:///var/lib/mallhost.db"), "sqlite:///var/lib/mallhost.db");
/// ```
pub fn shown_url(url: &str) -> String {
    if let Ok(mut u) = url::Url::parse(url)
        && u.password().is_some()
        && u.set_password(Some("***")).is_ok()
    {
        return u.to_string();
    }
    url.to_string()
}

/// A statement built from parts: text pushed as is, values bound as `$n`. Inside
/// [`Statement::values`] rows, binds are separated by commas.
pub(crate) struct Statement<'q> {
    sql: String,
    args: AnyArguments<'q>,
    n: usize,
    first_in_row: Option<bool>,
    error: Option<sqlx::error::BoxDynError>,
}

impl<'q> Statement<'q> {
    /// A statement starting with `sql`.
    pub(crate) fn new(sql: &str) -> Statement<'q> {
        Statement {
            sql: sql.to_string(),
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
        self.sql.push('$');
        self.sql.push_str(&self.n.to_string());
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
    fn binds_are_numbered_and_rows_separated() {
        let mut s = Statement::new("INSERT INTO t (a, b, c) ");
        s.values([(1_i64, "x"), (2, "y")], |s, (a, b)| {
            s.bind(a)
                .bind(b)
                .item("COALESCE(")
                .bind_here(b)
                .push(", 'z')");
        });
        s.push(" WHERE k IN (").list(["p", "q"]).push(")");
        let (sql, _) = s.build().unwrap();
        assert_eq!(
            sql,
            "INSERT INTO t (a, b, c) VALUES ($1, $2, COALESCE($3, 'z')), ($4, $5, COALESCE($6, 'z')) \
             WHERE k IN ($7, $8)"
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
