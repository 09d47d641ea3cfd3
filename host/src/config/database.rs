//! The database setting: a URL naming SQLite (one machine, the embedded default) or PostgreSQL
//! (several host processes), shown everywhere with its password masked, and refused when it
//! would lose orders (an in-memory SQLite database).

use super::ConfigError;

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
/// use mallhost::config::shown_url;
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

/// A database URL: used as is, shown (`Debug`, `Display`) with any password masked.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// A URL, as checked by the config.
    pub(super) fn new(url: String) -> DatabaseUrl {
        DatabaseUrl(url)
    }

    /// The URL itself, password included: for opening the database only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", shown_url(&self.0))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&shown_url(&self.0))
    }
}

impl PartialEq<&str> for DatabaseUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Refuses database URLs that would lose orders: an in-memory SQLite database (gone when the
/// process ends, after orders were taken on the mall) or one without a file.
/// A SQLite URL's file path and query (`sqlite://PATH?QUERY`, `sqlite:PATH`), if it is one.
pub(super) fn sqlite_parts(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    Some(rest.split_once('?').unwrap_or((rest, "")))
}

pub(super) fn check_database_url(url: &str) -> Result<(), ConfigError> {
    let refuse = |problem: String| ConfigError::Global {
        key: "database_url",
        problem,
        fix: "use sqlite://PATH/TO/mallhost.db (a file that outlives the process)".into(),
    };
    if Backend::of_url(url) == Some(Backend::Postgres) {
        let shown = shown_url(url);
        let parsed = url::Url::parse(url).map_err(|e| ConfigError::Global {
            key: "database_url",
            problem: format!("{shown:?} is not a URL: {e}"),
            fix: "use postgres://USER@HOST:PORT/DATABASE".into(),
        })?;
        if parsed.path().trim_start_matches('/').is_empty() {
            return Err(ConfigError::Global {
                key: "database_url",
                problem: format!("{shown:?} names no database"),
                fix: "name the database: postgres://USER@HOST:PORT/DATABASE".into(),
            });
        }
        return Ok(());
    }
    let Some((path, query)) = sqlite_parts(url) else {
        return Err(ConfigError::Global {
            key: "database_url",
            problem: format!(
                "{:?} is neither a SQLite nor a PostgreSQL URL",
                shown_url(url)
            ),
            fix: "use sqlite://PATH/TO/mallhost.db (one machine) or \
                  postgres://USER@HOST:PORT/DATABASE (several host processes)"
                .into(),
        });
    };
    if path.is_empty() || path.starts_with(":memory:") {
        return Err(refuse(format!(
            "{url:?} names no database file: orders taken on the mall would be lost when the \
             process ends"
        )));
    }
    if query.split('&').any(|kv| kv == "mode=memory") {
        return Err(refuse(format!(
            "{url:?} keeps the database in memory: orders taken on the mall would be lost"
        )));
    }
    Ok(())
}
