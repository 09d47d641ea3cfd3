//! The configuration file (TOML): the database, the plugins directory, sync policy, and one
//! `[[shops]]` entry per shop. Loaded and validated in one place, before anything runs; every
//! error names the shop, the key and the fix. See `mallhost.example.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use serde::Deserialize;
use url::Url;

use crate::model::OrderStatus;

/// The most days back a fetch may reach ([7] 受注を取得する日数).
pub const MAX_FETCH_DAYS: u32 = 90;

/// A secret (API password). Never printed: `Debug` and `Display` show a mask.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("********")
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("config file {path} is not valid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (with line and column).
        message: String,
    },
    /// A shop's setting is wrong.
    #[error("shop {shop:?}: `{key}` {problem}; fix: {fix}")]
    Shop {
        /// The shop's id.
        shop: String,
        /// The key.
        key: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },
    /// A top-level setting is wrong.
    #[error("`{key}` {problem}; fix: {fix}")]
    Global {
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// sqlx database URL, e.g. `sqlite://mallhost.db` or `postgres://mallhost@db/mallhost`.
    pub database_url: DatabaseUrl,
    /// Directory with connector plugins (`*.wasm`).
    pub plugins_dir: PathBuf,
    /// Where compiled plugins are kept (default `<plugins_dir>/.cache`); keyed on each
    /// component's sha256 and the engine, so several hosts of one build may share it.
    pub compiled_cache_dir: PathBuf,
    /// The host's key file sealing the secrets it must store (rotated OAuth refresh tokens);
    /// default `mallhost.key` beside the config file, created (mode 0600) on first need.
    pub secrets_key_file: PathBuf,
    /// Load loose `*.wasm` files at the top of the plugins folder (development only: no
    /// manifest, no digest check; never over an installed plugin).
    pub dev_loose_plugins: bool,
    /// The most a plugin's manifest may ask for, per limit (`[plugin_ceilings]`, same keys as
    /// a manifest's `[limits]`); unset keys, and anything above them, are the host's hard
    /// ceilings.
    pub plugin_ceilings: crate::runtime::LimitsSpec,
    /// Retry policy towards malls.
    pub sync: SyncPolicy,
    /// How operators are told of stopped syncs (`[alerts]`).
    pub alerts: crate::alerts::AlertConfig,
    /// The web console: host names it answers to, session length, cookie flags (`[console]`).
    pub console: crate::console::ConsoleConfig,
    /// Shops.
    pub shops: Vec<ShopConfig>,
    /// What still loads but should change (deprecated keys), for the operator.
    pub warnings: Vec<String>,
}

/// How the host retries mall calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPolicy {
    /// Attempts after a transient fault before it is reported.
    pub transient_retries: u32,
    /// First backoff after a transient fault; doubles each attempt.
    pub backoff: Duration,
    /// Most rate-limit waits in one operation before it gives up.
    pub rate_limit_waits: u32,
    /// Longest single wait a mall's `Retry-After` may impose.
    pub max_retry_after: Duration,
    /// Most time one operation may spend waiting (rate limits and backoff together).
    pub max_wait_per_run: Duration,
    /// How long a job's lease lasts before another process may take the job over; the holder
    /// renews it every third of that while it works.
    pub lease: Duration,
    /// How many automatic jobs one `serve` process runs at once (its workers); the rest wait
    /// their turn in the schedule.
    pub workers: u32,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            transient_retries: 3,
            backoff: Duration::from_millis(500),
            rate_limit_waits: 200,
            max_retry_after: Duration::from_secs(120),
            max_wait_per_run: Duration::from_secs(900),
            lease: Duration::from_secs(60),
            workers: 8,
        }
    }
}

/// A TOML error as line, column and message, without the source line: the line may hold a
/// secret (e.g. an inline `api_password`), and config errors are printed and logged.
fn parse_message(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

/// A database URL: used as is, shown (`Debug`, `Display`) with any password masked.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
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
        write!(f, "{:?}", crate::store::shown_url(&self.0))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::store::shown_url(&self.0))
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
fn sqlite_parts(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    Some(rest.split_once('?').unwrap_or((rest, "")))
}

fn check_database_url(url: &str) -> Result<(), ConfigError> {
    let refuse = |problem: String| ConfigError::Global {
        key: "database_url",
        problem,
        fix: "use sqlite://PATH/TO/mallhost.db (a file that outlives the process)".into(),
    };
    if crate::store::Backend::of_url(url) == Some(crate::store::Backend::Postgres) {
        let shown = crate::store::shown_url(url);
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
                crate::store::shown_url(url)
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

/// `[sync]` with every value inside its range, the range named in the error.
fn sync_policy(raw: &RawSync) -> Result<SyncPolicy, ConfigError> {
    fn ranged<T: PartialOrd + Copy + std::fmt::Display>(
        key: &'static str,
        value: Option<T>,
        default: T,
        min: T,
        max: T,
        unit: &str,
    ) -> Result<T, ConfigError> {
        match value {
            None => Ok(default),
            Some(v) if v >= min && v <= max => Ok(v),
            Some(v) => Err(ConfigError::Global {
                key,
                problem: format!("is {v}{unit}, outside {min}..={max}{unit}"),
                fix: format!("give a value from {min} to {max} (default {default})"),
            }),
        }
    }
    let d = SyncPolicy::default();
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Ok(SyncPolicy {
        transient_retries: ranged(
            "sync.transient_retries",
            raw.transient_retries,
            d.transient_retries,
            0,
            20,
            "",
        )?,
        backoff: Duration::from_millis(ranged(
            "sync.backoff_ms",
            raw.backoff_ms,
            ms(d.backoff),
            1,
            60_000,
            " ms",
        )?),
        rate_limit_waits: ranged(
            "sync.rate_limit_waits",
            raw.rate_limit_waits,
            d.rate_limit_waits,
            0,
            10_000,
            "",
        )?,
        max_retry_after: Duration::from_secs(ranged(
            "sync.max_retry_after_secs",
            raw.max_retry_after_secs,
            d.max_retry_after.as_secs(),
            1,
            600,
            " s",
        )?),
        max_wait_per_run: Duration::from_secs(ranged(
            "sync.max_wait_per_run_secs",
            raw.max_wait_per_run_secs,
            d.max_wait_per_run.as_secs(),
            1,
            86_400,
            " s",
        )?),
        lease: Duration::from_secs(ranged(
            "sync.lease_secs",
            raw.lease_secs,
            d.lease.as_secs(),
            2,
            3_600,
            " s",
        )?),
        workers: ranged("sync.workers", raw.workers, d.workers, 1, 256, "")?,
    })
}

/// One shop on one mall (モール詳細設定).
#[derive(Debug, Clone)]
pub struct ShopConfig {
    /// The host's id of the shop (used in commands and the database).
    pub id: String,
    /// A human name.
    pub name: String,
    /// The mall id of the plugin that serves it (e.g. `mymall`).
    pub mall: String,
    /// Order API on/off (受注API 利用する).
    pub order_api: bool,
    /// The mall API's base URL, without trailing slash.
    pub base_url: String,
    /// The plain settings the shop's plugin declares (`[shops.settings]`), by name.
    pub settings: BTreeMap<String, String>,
    /// The secrets the shop's plugin declares (`[shops.credentials]`), by name: never handed to
    /// a plugin, never printed.
    pub credentials: BTreeMap<String, Secret>,
    /// Expiry dates of secrets that expire (`<name>_expires`), by secret name.
    pub expiries: BTreeMap<String, NaiveDate>,
    /// [6] the status fetched orders are stored in (受注格納先ステータス).
    pub stored_status: OrderStatus,
    /// [7] days back, by order date, a fetch reaches (受注を取得する日数).
    pub fetch_days: u32,
    /// Origins (`scheme://host:port`) the plugin may call for this shop.
    pub allowed_origins: Vec<String>,
    /// Whether the plugin may reach loopback and private addresses (an emulator, a proxy).
    pub allow_private_network: bool,
    /// Mall delivery-method label → merchant carrier (配送業者変換).
    pub delivery_methods: BTreeMap<String, String>,
    /// Mall time-slot label → merchant time slot (配送時間帯変換).
    pub time_slots: BTreeMap<String, String>,
    /// Merchant carrier → the mall's carrier id (配送業者ID設定).
    pub carrier_ids: BTreeMap<String, String>,
    /// Automatic fetch (自動取得) by `mallhost serve`: every this often, or off.
    pub auto_fetch: Option<Duration>,
    /// Automatic export (自動書き出し) by `mallhost serve`: every this often, or off.
    pub auto_export: Option<Duration>,
    /// How fast the host lets the shop's requests go: the mall's declared pace (default),
    /// another one, or none.
    pub pace: Pace,
}

/// A shop's pacing of its mall requests (`pace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pace {
    /// What the plugin declares for its mall.
    #[default]
    Mall,
    /// This many requests a second (a quota the mall granted the shop).
    PerSecond(u32),
    /// No pacing by the host (a proxy paces, or a test mall).
    Off,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    database_url: Option<String>,
    /// An environment variable holding the URL (keeps a PostgreSQL password out of the file).
    database_url_env: Option<String>,
    plugins_dir: Option<PathBuf>,
    compiled_cache_dir: Option<PathBuf>,
    secrets_key_file: Option<PathBuf>,
    #[serde(default)]
    dev_loose_plugins: bool,
    #[serde(default)]
    plugin_ceilings: crate::runtime::LimitsSpec,
    #[serde(default)]
    sync: RawSync,
    #[serde(default)]
    alerts: RawAlerts,
    #[serde(default)]
    console: RawConsole,
    #[serde(default)]
    shops: Vec<RawShop>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    webhook_url: Option<String>,
    webhook_url_env: Option<String>,
    failures_in_row: Option<u32>,
    check_every: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    allowed_hosts: Option<Vec<String>>,
    session_hours: Option<u32>,
    secure_cookies: Option<bool>,
}

/// `[console]`, checked: host names without scheme or path, a session length in range.
fn console_config(raw: &RawConsole) -> Result<crate::console::ConsoleConfig, ConfigError> {
    let d = crate::console::ConsoleConfig::default();
    let bad = |key: &'static str, problem: String, fix: &str| ConfigError::Global {
        key,
        problem,
        fix: fix.into(),
    };
    let allowed_hosts = raw.allowed_hosts.clone().unwrap_or_default();
    for h in &allowed_hosts {
        let ok = !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !ok {
            return Err(bad(
                "console.allowed_hosts",
                format!("{h:?} is not a host name"),
                "list the names staff type in the browser, e.g. [\"mallhost.shop.example\"] \
                 (no scheme, no path; a port may follow a colon)",
            ));
        }
    }
    let session_hours = raw.session_hours.unwrap_or(d.session_hours);
    if !(1..=720).contains(&session_hours) {
        return Err(bad(
            "console.session_hours",
            format!("is {session_hours}, outside 1..=720"),
            "give the hours a login lasts, from 1 to 720 (default 12)",
        ));
    }
    Ok(crate::console::ConsoleConfig {
        allowed_hosts,
        session_hours,
        secure_cookies: raw.secure_cookies.unwrap_or(d.secure_cookies),
    })
}

/// `[alerts]`, checked: a webhook from the file or an environment variable (most receivers'
/// URLs are secrets), a threshold in range, an interval people write.
fn alert_config(
    raw: &RawAlerts,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<crate::alerts::AlertConfig, ConfigError> {
    let d = crate::alerts::AlertConfig::default();
    let bad = |key: &'static str, problem: String, fix: &str| ConfigError::Global {
        key,
        problem,
        fix: fix.into(),
    };
    let webhook_url = match (&raw.webhook_url, &raw.webhook_url_env) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "alerts.webhook_url",
                "`webhook_url` and `webhook_url_env` are both set".into(),
                "keep one of them",
            ));
        }
        (Some(u), None) => Some(u.clone()),
        (None, Some(var)) => Some(env(var).filter(|u| !u.is_empty()).ok_or_else(|| {
            bad(
                "alerts.webhook_url_env",
                format!("names the environment variable {var}, which is not set"),
                &format!("set {var} to the webhook URL"),
            )
        })?),
        (None, None) => None,
    };
    if let Some(u) = &webhook_url {
        let ok = url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"));
        if !ok {
            return Err(bad(
                "alerts.webhook_url",
                "is not an http(s) URL".into(),
                "give the receiver's URL, e.g. a Slack incoming webhook",
            ));
        }
    }
    let failures_in_row = raw.failures_in_row.unwrap_or(d.failures_in_row);
    if !(1..=100).contains(&failures_in_row) {
        return Err(bad(
            "alerts.failures_in_row",
            format!("is {failures_in_row}, outside 1..=100"),
            "give a value from 1 to 100 (default 3)",
        ));
    }
    let check_every = match &raw.check_every {
        None => d.check_every,
        Some(s) => parse_interval(s).ok_or_else(|| {
            bad(
                "alerts.check_every",
                format!("{s:?} is not an interval"),
                "write it like \"30s\", \"1m\" or \"5m\"",
            )
        })?,
    };
    Ok(crate::alerts::AlertConfig {
        webhook_url,
        failures_in_row,
        check_every,
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSync {
    transient_retries: Option<u32>,
    backoff_ms: Option<u64>,
    rate_limit_waits: Option<u32>,
    max_retry_after_secs: Option<u64>,
    max_wait_per_run_secs: Option<u64>,
    lease_secs: Option<u64>,
    workers: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShop {
    id: String,
    name: Option<String>,
    mall: String,
    #[serde(default = "yes")]
    order_api: bool,
    base_url: String,
    /// Legacy (before declared settings): `settings.partner_code`.
    partner_code: Option<String>,
    /// Legacy: `credentials.api_password`.
    api_password: Option<String>,
    /// Legacy: `credentials.api_password_env`.
    api_password_env: Option<String>,
    #[serde(default)]
    settings: BTreeMap<String, toml::Value>,
    #[serde(default)]
    credentials: BTreeMap<String, String>,
    #[serde(default = "default_status")]
    stored_status: String,
    #[serde(default = "default_days")]
    fetch_days: u32,
    allowed_origins: Option<Vec<String>>,
    #[serde(default)]
    allow_private_network: bool,
    #[serde(default)]
    delivery_methods: BTreeMap<String, String>,
    #[serde(default)]
    time_slots: BTreeMap<String, String>,
    #[serde(default)]
    carrier_ids: BTreeMap<String, String>,
    #[serde(default)]
    auto_fetch: bool,
    auto_fetch_every: Option<String>,
    #[serde(default)]
    auto_export: bool,
    auto_export_every: Option<String>,
    pace: Option<String>,
}

/// Shortest interval of an automatic job.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Longest interval of an automatic job.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Reads an interval like `90s`, `15m`, `1h`.
pub fn parse_interval(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let secs = match unit.trim() {
        "ms" => return Some(Duration::from_millis(n)),
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

fn yes() -> bool {
    true
}
fn default_status() -> String {
    OrderStatus::Confirmed.id().to_string()
}
fn default_days() -> u32 {
    7
}

impl Config {
    /// Reads and validates a config file. Relative paths in it are relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base, &|k| std::env::var(k).ok()).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates config text; `env` looks up environment variables.
    pub fn parse(
        text: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            message: parse_message(text, &e),
        })?;
        let database_url = match (raw.database_url, raw.database_url_env) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Global {
                    key: "database_url",
                    problem: "`database_url` and `database_url_env` are both set".into(),
                    fix: "keep one of them".into(),
                });
            }
            (Some(u), None) => u,
            (None, Some(var)) => {
                env(&var)
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| ConfigError::Global {
                        key: "database_url_env",
                        problem: format!("names the environment variable {var}, which is not set"),
                        fix: format!("set {var} to the database URL, or use database_url"),
                    })?
            }
            (None, None) => format!("sqlite://{}", base.join("mallhost.db").display()),
        };
        check_database_url(&database_url)?;
        // A relative file is relative to the config file, like every other path here (not to
        // wherever the command runs).
        let database_url = match sqlite_parts(&database_url) {
            Some((path, query)) if Path::new(path).is_relative() => {
                let query = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                };
                format!("sqlite://{}{query}", base.join(path).display())
            }
            _ => database_url,
        };
        let plugins_dir = match raw.plugins_dir {
            Some(p) if p.is_relative() => base.join(p),
            Some(p) => p,
            None => base.join("plugins"),
        };
        let secrets_key_file = match raw.secrets_key_file {
            Some(p) if p.is_relative() => base.join(p),
            Some(p) => p,
            None => base.join("mallhost.key"),
        };
        let compiled_cache_dir = match raw.compiled_cache_dir {
            Some(p) if p.is_relative() => base.join(p),
            Some(p) => p,
            None => plugins_dir.join(".cache"),
        };
        let sync = sync_policy(&raw.sync)?;
        let alerts = alert_config(&raw.alerts, env)?;
        let console = console_config(&raw.console)?;
        let mut shops: Vec<ShopConfig> = Vec::new();
        let mut warnings = Vec::new();
        for s in raw.shops {
            if shops.iter().any(|o| o.id == s.id) {
                return Err(ConfigError::Shop {
                    shop: s.id,
                    key: "id".into(),
                    problem: "is used by another shop".into(),
                    fix: "give every [[shops]] entry its own id".into(),
                });
            }
            shops.push(validate_shop(s, env, &mut warnings)?);
        }
        Ok(Config {
            database_url: DatabaseUrl(database_url),
            plugins_dir,
            compiled_cache_dir,
            secrets_key_file,
            dev_loose_plugins: raw.dev_loose_plugins,
            plugin_ceilings: {
                raw.plugin_ceilings
                    .check()
                    .map_err(|e| ConfigError::Global {
                        key: "plugin_ceilings",
                        problem: e.replace("[limits] ", ""),
                        fix:
                            "set ceilings within the host's own (see the README's sandbox section)"
                                .into(),
                    })?;
                raw.plugin_ceilings
            },
            sync,
            alerts,
            console,
            shops,
            warnings,
        })
    }

    /// The SQLite database file the URL names, if it is one.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let (path, _) = sqlite_parts(&self.database_url)?;
        (!path.is_empty()).then(|| PathBuf::from(path))
    }

    /// The shop with this id.
    pub fn shop(&self, id: &str) -> Option<&ShopConfig> {
        self.shops.iter().find(|s| s.id == id)
    }
}

/// The shop's plain settings, secrets and secrets' expiry dates, from `[shops.settings]`,
/// `[shops.credentials]` and the legacy `partner_code` / `api_password(_env)` keys (which load
/// with a warning). A secret is given as `<name>_env` (an environment variable), `<name>_file`
/// (a file holding it) or, for tests, `<name>` itself; `<name>_expires` is its expiry date.
#[allow(clippy::type_complexity)]
fn settings_and_credentials(
    s: &RawShop,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<
    (
        BTreeMap<String, String>,
        BTreeMap<String, Secret>,
        BTreeMap<String, NaiveDate>,
    ),
    ConfigError,
> {
    let err = |key: &str, problem: String, fix: &str| ConfigError::Shop {
        shop: s.id.clone(),
        key: key.to_string(),
        problem,
        fix: fix.into(),
    };
    let mut settings = BTreeMap::new();
    for (name, value) in &s.settings {
        let text = match value {
            toml::Value::String(v) => v.clone(),
            toml::Value::Integer(v) => v.to_string(),
            toml::Value::Boolean(v) => v.to_string(),
            other => {
                return Err(err(
                    &format!("settings.{name}"),
                    format!(
                        "is a {}, not a text, number or true/false",
                        other.type_str()
                    ),
                    "write it as a string",
                ));
            }
        };
        settings.insert(name.clone(), text);
    }
    let mut credentials = BTreeMap::new();
    let mut expiries = BTreeMap::new();
    let mut put = |name: &str, key: &str, value: Secret| -> Result<(), ConfigError> {
        if credentials.insert(name.to_string(), value).is_some() {
            return Err(err(
                &format!("credentials.{key}"),
                format!("gives the secret {name:?} a second time"),
                &format!("keep one of {name}, {name}_env, {name}_file"),
            ));
        }
        Ok(())
    };
    for (key, value) in &s.credentials {
        let shown = format!("credentials.{key}");
        if let Some(name) = key.strip_suffix("_expires") {
            let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
                err(
                    &shown,
                    format!("{value:?} is not a date"),
                    "write the expiry date as \"YYYY-MM-DD\"",
                )
            })?;
            expiries.insert(name.to_string(), date);
        } else if let Some(name) = key.strip_suffix("_env") {
            match env(value) {
                Some(v) if !v.is_empty() => put(name, key, Secret::new(v))?,
                _ if !s.order_api => {}
                _ => {
                    return Err(err(
                        &shown,
                        format!("names the environment variable {value}, which is not set"),
                        &format!("export {value}=<the shop's {name}>"),
                    ));
                }
            }
        } else if let Some(name) = key.strip_suffix("_file") {
            let text = std::fs::read_to_string(value).map_err(|e| {
                err(
                    &shown,
                    format!(
                        "names the file {value}, which cannot be read ({})",
                        e.kind()
                    ),
                    "point it to a file holding the secret alone",
                )
            })?;
            put(name, key, Secret::new(text.trim_end_matches(['\r', '\n'])))?;
        } else {
            put(key, key, Secret::new(value.clone()))?;
        }
    }
    // Before declared settings, a shop had a partner code and an API password of its own.
    if let Some(code) = &s.partner_code {
        warnings.push(format!(
            "shop {:?}: `partner_code` is deprecated; write it as `partner_code` under \
             [shops.settings]",
            s.id
        ));
        if settings
            .insert("partner_code".into(), code.clone())
            .is_some()
        {
            return Err(err(
                "partner_code",
                "is also set under [shops.settings]".into(),
                "keep the one under [shops.settings]",
            ));
        }
    }
    let legacy = match (&s.api_password, &s.api_password_env) {
        (Some(_), Some(_)) => {
            return Err(err(
                "api_password",
                "and `api_password_env` are both set".into(),
                "keep one of them",
            ));
        }
        (Some(p), None) => Some(("api_password", Secret::new(p.clone()))),
        (None, Some(var)) => match env(var) {
            Some(p) if !p.is_empty() => Some(("api_password_env", Secret::new(p))),
            _ if !s.order_api => None,
            _ => {
                return Err(err(
                    "api_password_env",
                    format!("names the environment variable {var}, which is not set"),
                    &format!("export {var}=<the API password (APIパスワード)>"),
                ));
            }
        },
        (None, None) => None,
    };
    if let Some((key, secret)) = legacy {
        warnings.push(format!(
            "shop {:?}: `{key}` is deprecated; write it as `{key}` under [shops.credentials]",
            s.id
        ));
        put("api_password", key, secret)?;
    }
    Ok((settings, credentials, expiries))
}

impl ShopConfig {
    /// Checks the shop's settings against what its plugin declares (`plugin` names it in
    /// errors): every required one given, secrets only under `[shops.credentials]` and plain
    /// ones only under `[shops.settings]`, no unknown key, an expiry date for each secret that
    /// expires, and every carrier id one of the mall's codes (when the plugin publishes them).
    pub fn check_against(
        &self,
        plugin: &str,
        specs: &[crate::connector::SettingSpec],
        carriers: &[crate::connector::Carrier],
    ) -> Result<(), ConfigError> {
        let err = |key: String, problem: String, fix: String| ConfigError::Shop {
            shop: self.id.clone(),
            key,
            problem,
            fix,
        };
        let known = |secret: bool| {
            let names: Vec<&str> = specs
                .iter()
                .filter(|s| s.secret == secret)
                .map(|s| s.name.as_str())
                .collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        for name in self.settings.keys() {
            match specs.iter().find(|s| &s.name == name) {
                Some(spec) if spec.secret => {
                    return Err(err(
                        format!("settings.{name}"),
                        format!("is a secret for {plugin}"),
                        format!("move it to [shops.credentials] as {name}_env = \"<variable>\""),
                    ));
                }
                Some(_) => {}
                None => {
                    return Err(err(
                        format!("settings.{name}"),
                        format!("is not a setting of {plugin}"),
                        format!("remove it; the settings it knows: {}", known(false)),
                    ));
                }
            }
        }
        for name in self.credentials.keys().chain(self.expiries.keys()) {
            match specs.iter().find(|s| &s.name == name) {
                Some(spec) if !spec.secret => {
                    return Err(err(
                        format!("credentials.{name}"),
                        format!("is not a secret for {plugin}"),
                        format!("move it to [shops.settings] as {name} = \"…\""),
                    ));
                }
                Some(_) => {}
                None => {
                    return Err(err(
                        format!("credentials.{name}"),
                        format!("is not a credential of {plugin}"),
                        format!("remove it; the credentials it knows: {}", known(true)),
                    ));
                }
            }
        }
        if !self.order_api {
            return Ok(());
        }
        for spec in specs {
            let given = if spec.secret {
                self.credentials.contains_key(&spec.name)
            } else {
                self.settings.contains_key(&spec.name)
            };
            if spec.required && !given {
                let (table, example) = if spec.secret {
                    ("credentials", format!("{}_env = \"<variable>\"", spec.name))
                } else {
                    ("settings", format!("{} = \"…\"", spec.name))
                };
                return Err(err(
                    format!("{table}.{}", spec.name),
                    format!(
                        "is missing ({} needs {}, {})",
                        plugin, spec.label, spec.help
                    ),
                    format!("add {example} under [shops.{table}]"),
                ));
            }
            if spec.secret && spec.expires && given && !self.expiries.contains_key(&spec.name) {
                return Err(err(
                    format!("credentials.{}_expires", spec.name),
                    format!("is missing: {} ({}) expires", spec.name, spec.label),
                    format!(
                        "add {}_expires = \"YYYY-MM-DD\" (the date {})",
                        spec.name, spec.help
                    ),
                ));
            }
        }
        if !carriers.is_empty() {
            for (carrier, id) in &self.carrier_ids {
                if !carriers.iter().any(|c| &c.id == id) {
                    let codes: Vec<String> = carriers
                        .iter()
                        .map(|c| format!("{} {}", c.id, c.name))
                        .collect();
                    return Err(err(
                        "carrier_ids".into(),
                        format!(
                            "gives carrier {carrier:?} the code {id:?}, which {plugin} does not know"
                        ),
                        format!("use one of the mall's codes: {}", codes.join(", ")),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn validate_shop(
    s: RawShop,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<ShopConfig, ConfigError> {
    let err = |key: &str, problem: String, fix: &str| ConfigError::Shop {
        shop: s.id.clone(),
        key: key.to_string(),
        problem,
        fix: fix.to_string(),
    };
    if s.id.is_empty()
        || !s
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(err(
            "id",
            format!("{:?} is not a valid id", s.id),
            "use letters, digits, - and _",
        ));
    }
    let stored_status = OrderStatus::from_id(&s.stored_status).ok_or_else(|| {
        let known: Vec<_> = OrderStatus::ALL
            .iter()
            .map(|st| format!("{} ({})", st.id(), st.label()))
            .collect();
        err(
            "stored_status",
            format!("{:?} is not a status", s.stored_status),
            &format!("use one of {}", known.join(", ")),
        )
    })?;
    if s.fetch_days == 0 || s.fetch_days > MAX_FETCH_DAYS {
        return Err(err(
            "fetch_days",
            format!("is {}", s.fetch_days),
            &format!("use a number of days from 1 to {MAX_FETCH_DAYS}"),
        ));
    }
    let url = Url::parse(&s.base_url).map_err(|e| {
        err(
            "base_url",
            format!("{:?} is not a URL ({e})", s.base_url),
            "write the API's base URL, e.g. https://api.example.jp/v1",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(err(
            "base_url",
            format!("{:?} is not an http(s) URL", s.base_url),
            "use https://HOST/PATH",
        ));
    }
    let (settings, credentials, expiries) = settings_and_credentials(&s, env, warnings)?;
    let origin = url.origin().ascii_serialization();
    let allowed_origins = match &s.allowed_origins {
        None => vec![origin],
        Some(list) => {
            for o in list {
                let ok = Url::parse(o)
                    .is_ok_and(|u| u.origin().ascii_serialization() == o.trim_end_matches('/'));
                if !ok {
                    return Err(err(
                        "allowed_origins",
                        format!("{o:?} is not an origin"),
                        "write scheme://host[:port], e.g. https://api.example.jp",
                    ));
                }
            }
            list.iter()
                .map(|o| o.trim_end_matches('/').to_string())
                .collect()
        }
    };
    for (carrier, id) in &s.carrier_ids {
        if id.trim().is_empty() {
            return Err(err(
                "carrier_ids",
                format!("gives carrier {carrier:?} an empty id"),
                "set the mall's id for the carrier (配送業者ID設定), or remove the entry",
            ));
        }
    }
    // Every carrier the conversion table assigns must be exportable: it needs the mall's id.
    for (label, carrier) in &s.delivery_methods {
        if !s.carrier_ids.contains_key(carrier) {
            return Err(err(
                "delivery_methods",
                format!(
                    "converts {label:?} to carrier {carrier:?}, which has no entry in `carrier_ids`"
                ),
                &format!(
                    "add {carrier} = \"<the mall's carrier id>\" under [shops.carrier_ids] (配送業者ID設定)"
                ),
            ));
        }
    }
    let interval = |key: &'static str,
                    on: bool,
                    every: &Option<String>,
                    default: Duration|
     -> Result<Option<Duration>, ConfigError> {
        let d = match every {
            None => default,
            Some(text) => parse_interval(text)
                .filter(|d| (MIN_INTERVAL..=MAX_INTERVAL).contains(d))
                .ok_or_else(|| {
                    err(
                        key,
                        format!("{text:?} is not an interval from 1s to 24h"),
                        "write it like \"90s\", \"15m\" or \"1h\"",
                    )
                })?,
        };
        Ok(on.then_some(d))
    };
    let auto_fetch = interval(
        "auto_fetch_every",
        s.auto_fetch,
        &s.auto_fetch_every,
        Duration::from_secs(15 * 60),
    )?;
    let auto_export = interval(
        "auto_export_every",
        s.auto_export,
        &s.auto_export_every,
        Duration::from_secs(30 * 60),
    )?;
    let pace = match s.pace.as_deref().map(str::trim) {
        None | Some("mall") => Pace::Mall,
        Some("off") => Pace::Off,
        Some(text) => text
            .strip_suffix("/s")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .filter(|n| (1..=1000).contains(n))
            .map(Pace::PerSecond)
            .ok_or_else(|| {
                err(
                    "pace",
                    format!("{text:?} is not a pace"),
                    "write \"mall\" (the mall's declared pace, the default), \"N/s\" with N \
                     from 1 to 1000, or \"off\"",
                )
            })?,
    };
    Ok(ShopConfig {
        pace,
        name: s.name.clone().unwrap_or_else(|| s.id.clone()),
        mall: s.mall.clone(),
        order_api: s.order_api,
        base_url: s.base_url.trim_end_matches('/').to_string(),
        settings,
        credentials,
        expiries,
        stored_status,
        fetch_days: s.fetch_days,
        allowed_origins,
        allow_private_network: s.allow_private_network,
        delivery_methods: s.delivery_methods.clone(),
        time_slots: s.time_slots.clone(),
        carrier_ids: s.carrier_ids.clone(),
        auto_fetch,
        auto_export,
        id: s.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        [[shops]]
        id = "dshop"
        mall = "mymall"
        base_url = "https://api.mymall.example/v1/"
        partner_code = "P1"
        api_password_env = "DSHOP_PW"
        stored_status = "awaiting_shipment"
        fetch_days = 14
        [shops.delivery_methods]
        "宅配便" = "yamato"
        [shops.carrier_ids]
        yamato = "01"
    "#;

    fn env(k: &str) -> Option<String> {
        (k == "DSHOP_PW").then(|| "s3cret".to_string())
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/srv/mh"), &env)
    }

    #[test]
    fn loads_a_shop_with_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.database_url, "sqlite:///srv/mh/mallhost.db");
        assert_eq!(c.plugins_dir, Path::new("/srv/mh/plugins"));
        let s = &c.shops[0];
        assert_eq!(s.base_url, "https://api.mymall.example/v1");
        assert_eq!(s.allowed_origins, vec!["https://api.mymall.example"]);
        assert_eq!(s.stored_status, OrderStatus::AwaitingShipment);
        assert_eq!(s.credentials["api_password"].expose(), "s3cret");
        assert_eq!(s.settings["partner_code"], "P1");
        assert_eq!(s.carrier_ids["yamato"], "01");
        // The legacy keys load, with a warning saying where they go now.
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(
            c.warnings[0].contains("[shops.settings]"),
            "{:?}",
            c.warnings
        );
    }

    const DECLARED: &str = r#"
        [[shops]]
        id = "rshop"
        mall = "othermall"
        base_url = "https://api.mall.example"
        [shops.settings]
        seller = "S1"
        [shops.credentials]
        service_secret_env = "SV"
        license_key_file = "KEYFILE"
        license_key_expires = "2027-02-26"
    "#;

    fn specs() -> Vec<crate::connector::SettingSpec> {
        let spec = |name: &str, secret, expires| crate::connector::SettingSpec {
            name: name.into(),
            label: name.replace('_', " "),
            secret,
            required: true,
            expires,
            help: "the mall's merchant screen".into(),
        };
        vec![
            spec("seller", false, false),
            spec("service_secret", true, false),
            spec("license_key", true, true),
        ]
    }

    #[test]
    fn declared_settings_and_secrets_load_from_env_and_file_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("license.key");
        std::fs::write(&key, "lk-123\n").unwrap();
        let text = DECLARED.replace("KEYFILE", &key.display().to_string());
        let env = |k: &str| (k == "SV").then(|| "sv-1".to_string());
        let c = Config::parse(&text, Path::new("/srv"), &env).unwrap();
        let s = &c.shops[0];
        assert_eq!(s.settings["seller"], "S1");
        assert_eq!(s.credentials["service_secret"].expose(), "sv-1");
        assert_eq!(s.credentials["license_key"].expose(), "lk-123");
        assert_eq!(s.expiries["license_key"].to_string(), "2027-02-26");
        assert!(c.warnings.is_empty());
        s.check_against("othermall@1.0.0", &specs(), &[]).unwrap();

        let shop_err = |e: ConfigError| match e {
            ConfigError::Shop {
                key, problem, fix, ..
            } => (key, format!("{problem}; {fix}")),
            other => panic!("{other}"),
        };
        // A secret written as a plain setting, an unknown key, a missing one, a missing expiry.
        let mut bad = s.clone();
        bad.settings.insert("license_key".into(), "x".into());
        let (key, text) = shop_err(
            bad.check_against("othermall@1.0.0", &specs(), &[])
                .unwrap_err(),
        );
        assert_eq!(key, "settings.license_key");
        assert!(
            text.contains("is a secret") && text.contains("[shops.credentials]"),
            "{text}"
        );
        let mut bad = s.clone();
        bad.settings.insert("colour".into(), "red".into());
        let (key, text) = shop_err(
            bad.check_against("othermall@1.0.0", &specs(), &[])
                .unwrap_err(),
        );
        assert_eq!(key, "settings.colour");
        assert!(text.contains("seller"), "names what it knows: {text}");
        let mut bad = s.clone();
        bad.settings.remove("seller");
        let (key, _) = shop_err(
            bad.check_against("othermall@1.0.0", &specs(), &[])
                .unwrap_err(),
        );
        assert_eq!(key, "settings.seller");
        let mut bad = s.clone();
        bad.expiries.clear();
        let (key, _) = shop_err(
            bad.check_against("othermall@1.0.0", &specs(), &[])
                .unwrap_err(),
        );
        assert_eq!(key, "credentials.license_key_expires");
    }

    #[test]
    fn a_carrier_id_the_mall_does_not_know_is_refused_naming_shop_carrier_and_code() {
        let c = parse(GOOD).unwrap();
        let carriers = vec![
            crate::connector::Carrier {
                id: "1001".into(),
                name: "ヤマト運輸".into(),
            },
            crate::connector::Carrier {
                id: "1003".into(),
                name: "日本郵便".into(),
            },
        ];
        let declared = |name: &str, secret| crate::connector::SettingSpec {
            name: name.into(),
            label: name.into(),
            secret,
            required: true,
            expires: false,
            help: String::new(),
        };
        let specs = [
            declared("partner_code", false),
            declared("api_password", true),
        ];
        let e = c.shops[0]
            .check_against("m@1", &specs, &carriers)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("shop \"dshop\"")
                && e.contains("carrier \"yamato\"")
                && e.contains("\"01\"")
                && e.contains("1001 ヤマト運輸"),
            "{e}"
        );
    }

    #[test]
    fn the_documented_example_is_valid() {
        let text = include_str!("../../mallhost.example.toml");
        // Every secret the example names by an environment variable.
        let env =
            |k: &str| k.ends_with("_PASSWORD") || k.ends_with("_SECRET") || k.ends_with("_KEY");
        let env = |k: &str| env(k).then(|| "pw".to_string());
        let c = Config::parse(text, Path::new("/etc/mallhost"), &env).unwrap();
        assert_eq!(c.shops[0].stored_status, OrderStatus::Confirmed);
        assert_eq!(c.shops[0].carrier_ids["japanpost"], "03");
        assert_eq!(c.shops.len(), 2, "a shop of each bundled connector");
        assert_eq!(c.shops[1].carrier_ids["yamato"], "1001");
        assert_eq!(
            c.sync,
            SyncPolicy::default(),
            "the example shows the defaults"
        );
    }

    #[test]
    fn the_password_never_shows() {
        let c = parse(GOOD).unwrap();
        let shown = format!("{:?} {}", c, c.shops[0].credentials["api_password"]);
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn a_relative_database_is_relative_to_the_config_file() {
        let c = parse(&format!("database_url = \"sqlite://data/mh.db\"\n{GOOD}")).unwrap();
        assert_eq!(c.database_url, "sqlite:///srv/mh/data/mh.db");
        let pg = Config::parse(
            &format!("database_url_env = \"DB\"\n{GOOD}"),
            Path::new("/srv/mh"),
            &|k| match k {
                "DB" => Some("postgres://app:s3cret@db:5432/shop".to_string()),
                _ => env(k),
            },
        )
        .unwrap();
        assert_eq!(
            pg.database_url.as_str(),
            "postgres://app:s3cret@db:5432/shop"
        );
        let shown = format!("{pg:?} {}", pg.database_url);
        assert!(
            !shown.contains("s3cret") && shown.contains("app:***@db"),
            "{shown}"
        );
        for (text, key) in [
            ("database_url_env = \"NOPE\"", "database_url_env"),
            ("database_url = \"postgres://db:5432\"", "database_url"),
            ("database_url = \"mysql://db/shop\"", "database_url"),
        ] {
            match parse(&format!("{text}\n{GOOD}")) {
                Err(ConfigError::Global { key: k, .. }) => assert_eq!(k, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert_eq!(c.sqlite_file(), Some(PathBuf::from("/srv/mh/data/mh.db")));
        let c = parse(&format!(
            "database_url = \"sqlite:///var/mh.db?mode=rwc\"\n{GOOD}"
        ))
        .unwrap();
        assert_eq!(c.sqlite_file(), Some(PathBuf::from("/var/mh.db")));
    }

    #[test]
    fn a_database_that_would_lose_orders_is_refused() {
        for url in [
            "sqlite::memory:",
            "sqlite://",
            "sqlite:",
            "sqlite://:memory:",
            "sqlite://orders.db?mode=memory",
            "sqlite://?mode=rwc",
        ] {
            let text = format!("database_url = {url:?}\n{GOOD}");
            match parse(&text) {
                Err(ConfigError::Global { key, problem, .. }) => {
                    assert_eq!(key, "database_url");
                    assert!(
                        problem.contains("lost") || problem.contains("no database"),
                        "{url}: {problem}"
                    );
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        assert!(
            parse(&format!(
                "database_url = \"sqlite:///var/lib/mh.db?mode=rwc\"\n{GOOD}"
            ))
            .is_ok()
        );
    }

    #[test]
    fn sync_values_outside_their_range_are_refused_naming_the_range() {
        for (line, key) in [
            ("backoff_ms = 18446744073709551615", "sync.backoff_ms"),
            ("backoff_ms = 0", "sync.backoff_ms"),
            (
                "max_retry_after_secs = 9223372036854775807",
                "sync.max_retry_after_secs",
            ),
            ("rate_limit_waits = 1000000", "sync.rate_limit_waits"),
            ("transient_retries = 1000", "sync.transient_retries"),
            ("max_wait_per_run_secs = 0", "sync.max_wait_per_run_secs"),
            ("lease_secs = 1", "sync.lease_secs"),
            ("workers = 0", "sync.workers"),
        ] {
            match parse(&format!("[sync]\n{line}\n{GOOD}")) {
                Err(ConfigError::Global {
                    key: k,
                    problem,
                    fix,
                }) => {
                    assert_eq!(k, key);
                    assert!(
                        problem.contains("outside") && fix.contains("from"),
                        "{problem}; {fix}"
                    );
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        let c = parse(&format!(
            "[sync]\nlease_secs = 30\nmax_wait_per_run_secs = 60\n{GOOD}"
        ))
        .unwrap();
        assert_eq!(c.sync.lease, Duration::from_secs(30));
        assert_eq!(c.sync.max_wait_per_run, Duration::from_secs(60));
    }

    #[test]
    fn plugin_ceilings_must_be_within_the_hosts_own() {
        let c = parse(&format!("[plugin_ceilings]\nmemory_mib = 128\n{GOOD}")).unwrap();
        assert_eq!(c.plugin_ceilings.memory_mib, Some(128));
        match parse(&format!("[plugin_ceilings]\nmemory_mib = 4096\n{GOOD}")) {
            Err(ConfigError::Global { key, problem, .. }) => {
                assert_eq!(key, "plugin_ceilings");
                assert!(problem.contains("512"), "{problem}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_syntax_error_never_echoes_the_line_with_a_secret() {
        // Seven ways to break the line that holds an inline secret, or the one next to it.
        let secret = "pw-9f8e7d6c";
        for broken in [
            format!("api_password = \"{secret}"),
            format!("api_password = {secret}"),
            format!("api_password = \"{secret}\" x"),
            format!("api_password = \"{secret}\"\napi_password = \"{secret}\""),
            format!("api_password = \"{secret}\"]"),
            format!("api_password = '{secret}"),
            format!("api_password = \"{secret}\"\n= 1"),
        ] {
            let text = format!("[[shops]]\nid = \"s\"\n[shops.credentials]\n{broken}\n");
            let e = parse(&text).unwrap_err().to_string();
            assert!(!e.contains(secret), "{e}");
            assert!(e.contains("line "), "the error still says where: {e}");
        }
    }

    fn shop_error(text: &str) -> (String, String, String) {
        match parse(text).unwrap_err() {
            ConfigError::Shop { shop, key, fix, .. } => (shop, key, fix),
            other => panic!("expected a shop error, got {other}"),
        }
    }

    #[test]
    fn errors_name_shop_key_and_fix() {
        let (shop, key, fix) = shop_error(&GOOD.replace("awaiting_shipment", "shipping"));
        assert_eq!((shop.as_str(), key.as_str()), ("dshop", "stored_status"));
        assert!(fix.contains("awaiting_shipment (出荷待ち)"), "{fix}");

        let (_, key, _) = shop_error(&GOOD.replace("fetch_days = 14", "fetch_days = 0"));
        assert_eq!(key, "fetch_days");
        let (_, key, _) = shop_error(&GOOD.replace("fetch_days = 14", "fetch_days = 400"));
        assert_eq!(key, "fetch_days");

        let (_, key, fix) = shop_error(&GOOD.replace("DSHOP_PW", "MISSING_PW"));
        assert_eq!(key, "api_password_env");
        assert!(fix.contains("export MISSING_PW="), "{fix}");

        let (_, key, _) = shop_error(&GOOD.replace("\"01\"", "\" \""));
        assert_eq!(key, "carrier_ids");

        let (_, key, _) =
            shop_error(&GOOD.replace("https://api.mymall.example/v1/", "ftp:nothing"));
        assert_eq!(key, "base_url");

        let (_, key, _) = shop_error(&format!("{GOOD}{GOOD}"));
        assert_eq!(key, "id", "two shops with one id");
    }

    #[test]
    fn the_pace_is_the_malls_unless_the_shop_says_otherwise() {
        assert_eq!(parse(GOOD).unwrap().shops[0].pace, Pace::Mall);
        let with = |p: &str| {
            parse(&GOOD.replace(
                "fetch_days = 14",
                &format!("fetch_days = 14\npace = \"{p}\""),
            ))
        };
        assert_eq!(with("off").unwrap().shops[0].pace, Pace::Off);
        assert_eq!(with("20/s").unwrap().shops[0].pace, Pace::PerSecond(20));
        let e = with("fast").unwrap_err().to_string();
        assert!(e.contains("`pace`") && e.contains("N/s"), "{e}");
        assert!(with("0/s").is_err());
    }

    #[test]
    fn carriers_without_ids_and_bad_intervals_are_refused() {
        let (_, key, fix) =
            shop_error(&GOOD.replace("\"宅配便\" = \"yamato\"", "\"宅配便\" = \"sagawa\""));
        assert_eq!(key, "delivery_methods");
        assert!(fix.contains("sagawa = "), "{fix}");
        let (_, key, _) = shop_error(&GOOD.replace(
            "fetch_days = 14",
            "fetch_days = 14\nauto_fetch = true\nauto_fetch_every = \"soon\"",
        ));
        assert_eq!(key, "auto_fetch_every");
        let (_, key, _) = shop_error(&GOOD.replace(
            "fetch_days = 14",
            "fetch_days = 14\nauto_export_every = \"2d\"",
        ));
        assert_eq!(key, "auto_export_every");
        let c = parse(&GOOD.replace(
            "fetch_days = 14",
            "fetch_days = 14\nauto_fetch = true\nauto_fetch_every = \"5m\"",
        ))
        .unwrap();
        assert_eq!(c.shops[0].auto_fetch, Some(Duration::from_secs(300)));
        assert_eq!(c.shops[0].auto_export, None, "off unless switched on");
    }

    #[test]
    fn intervals_read_like_people_write_them() {
        assert_eq!(parse_interval("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_interval("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_interval("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_interval("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_interval("15"), None);
        assert_eq!(parse_interval("m"), None);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let e = parse(&GOOD.replace("fetch_days", "fetch_dayz"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fetch_dayz"), "{e}");
    }
}
