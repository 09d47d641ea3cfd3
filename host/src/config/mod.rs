//! The configuration file (TOML): the database, the plugins directory, sync policy, alerts, the
//! console, plugin ceilings, and one `[[shops]]` entry per shop. Loaded and validated in one
//! place, before anything runs; every error names the shop, the key and the fix. See
//! `mallhost.example.toml`.
//!
//! The bottom layer of the host: plain settings types and their checks, importing nothing of the
//! host but [`crate::model`]. Checks that need a plugin's declaration (a shop's settings against
//! what its plugin asks for) are the runtime's (`runtime::declaration`).
//!
//! One file per section: [`database`] (`database_url`), [`sync`] (`[sync]`, intervals),
//! [`alerts`] (`[alerts]`), [`console`] (`[console]`), [`limits`] (`[plugin_ceilings]` and a
//! manifest's `[limits]`), [`shop`] (`[[shops]]`), [`credentials`] (a shop's settings and
//! secrets), [`secret`] (a value never shown).

mod alerts;
mod console;
mod credentials;
pub mod database;
mod labels;
mod limits;
mod secret;
mod shop;
mod sync;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use alerts::{AlertConfig, EmailConfig, SmtpSecurity};
pub use console::ConsoleConfig;
pub use credentials::{LEGACY_PASSWORD, LEGACY_USER};
pub use database::{Backend, DatabaseUrl, shown_url};
pub use labels::LabelConfig;
pub use limits::{CEILINGS, LimitsSpec};
pub use secret::Secret;
pub use shop::{MAX_FETCH_DAYS, Pace, ShopConfig};
pub use sync::{MAX_INTERVAL, MIN_INTERVAL, SyncPolicy, parse_interval};

use alerts::{RawAlerts, alert_config};
use console::{RawConsole, console_config};
use database::{check_database_url, sqlite_parts};
use shop::{RawShop, validate_shop};
use sync::{RawSync, sync_policy};

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
    pub plugin_ceilings: LimitsSpec,
    /// Retry policy towards malls.
    pub sync: SyncPolicy,
    /// How operators are told of stopped syncs (`[alerts]`).
    pub alerts: AlertConfig,
    /// The web console: host names it answers to, session length, cookie flags (`[console]`).
    pub console: ConsoleConfig,
    /// Shops.
    pub shops: Vec<ShopConfig>,
    /// What still loads but should change (deprecated keys), for the operator.
    pub warnings: Vec<String>,
}

/// Whether loading a config needs every shop's secrets at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secrets {
    /// A secret that cannot be read stops the load (commands that call malls).
    Required,
    /// It is a warning (commands that call no mall).
    Optional,
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
    plugin_ceilings: LimitsSpec,
    #[serde(default)]
    sync: RawSync,
    #[serde(default)]
    alerts: RawAlerts,
    #[serde(default)]
    console: RawConsole,
    #[serde(default)]
    shops: Vec<RawShop>,
}

impl Config {
    /// Reads and validates a config file. Relative paths in it are relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_with(path, Secrets::Required)
    }

    /// [`Config::load`] for a command that calls no mall (installing a plugin, managing
    /// accounts): a shop's secret whose variable is unset or whose file is missing is a
    /// warning, not an error — those commands must not need the shops' secrets.
    pub fn load_without_secrets(path: &Path) -> Result<Config, ConfigError> {
        Config::load_with(path, Secrets::Optional)
    }

    fn load_with(path: &Path, secrets: Secrets) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse_with(&text, base, &|k| std::env::var(k).ok(), secrets).map_err(|e| match e {
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
        Config::parse_with(text, base, env, Secrets::Required)
    }

    fn parse_with(
        text: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        secrets: Secrets,
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
            shops.push(validate_shop(s, env, &mut warnings, secrets)?);
        }
        Ok(Config {
            database_url: DatabaseUrl::new(database_url),
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

#[cfg(test)]
mod tests;

/// A valid config for tests: one shop with a legacy partner code and a password from the
/// environment variable `DSHOP_PW`.
#[cfg(test)]
pub(crate) mod testing {
    /// The config text.
    pub(crate) const GOOD: &str = r#"
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

    /// `DSHOP_PW` set, nothing else.
    pub(crate) fn env(k: &str) -> Option<String> {
        (k == "DSHOP_PW").then(|| "s3cret".to_string())
    }
}
