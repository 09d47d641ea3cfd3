//! The application: what every entry point (the CLI's commands, `serve`, the admin API, the
//! tests) builds from a [`Config`] — the database, the plugin runtime with its compiled cache,
//! the plugins folder and the clock — built in one place, and handing out the
//! [`Syncer`], the [`Scheduler`] and the [`ServeState`] of `serve`'s servers over them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mallhost::app::AppError> {
//! use mallhost::app::App;
//! use mallhost::config::Config;
//!
//! let config = Config::load("mallhost.toml".as_ref())?;
//! let app = App::open(config, mallhost::time::system_clock(), true).await?;
//! let shop = app.shop("dshop")?;
//! let report = app.syncer().fetch(shop, app.syncer().days_window(shop)).await;
//! # let _ = report;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use chrono::NaiveDate;

use crate::capabilities::credentials::{self, CredentialState};
use crate::config::{Config, ConfigError, ShopConfig};
use crate::runtime::{PluginDir, PluginLimits, Runtime, RuntimeError};
use crate::store::{Store, StoreError};
use crate::sync::Syncer;
use crate::sync::scheduler::Scheduler;
use crate::time::{SharedClock, jst_date};

/// Why the application could not be set up, or a request to it names nothing known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The configuration is not valid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database cannot be opened.
    #[error("opening the database: {0}")]
    Store(#[from] StoreError),
    /// The runtime cannot start, or the plugins cannot be loaded.
    #[error("{context}: {source}")]
    Runtime {
        /// What was being done.
        context: String,
        /// Why it failed.
        source: RuntimeError,
    },
    /// No shop of that id in the config.
    #[error("no shop {id:?} in the config file (shops: {known})")]
    UnknownShop {
        /// The id asked for.
        id: String,
        /// The shops there are.
        known: String,
    },
}

/// Checks every shop whose mall has a plugin loaded against what the plugin declares (settings,
/// secrets, carrier codes), and warns of secrets that expire soon or have expired.
fn check_shops(config: &Config, runtime: &Runtime, today: NaiveDate) -> Result<(), AppError> {
    for shop in &config.shops {
        let Ok(plugin) = runtime.plugin(&shop.mall) else {
            continue;
        };
        let info = plugin.info();
        crate::runtime::check_shop_against(shop, info)?;
        for c in credentials::report(crate::runtime::shop_values(shop), &info.settings, today) {
            match c.state {
                CredentialState::ExpiresSoon { on, days } => tracing::warn!(
                    shop = %shop.id,
                    "credential `{}` ({}) expires on {on}, in {days} day(s); renew it ({}) and \
                     update `credentials.{}_expires`",
                    c.name,
                    c.label,
                    c.help,
                    c.name
                ),
                CredentialState::Expired { on } => tracing::warn!(
                    shop = %shop.id,
                    "credential `{}` ({}) expired on {on}; its calls are refused until it is \
                     renewed ({})",
                    c.name,
                    c.label,
                    c.help
                ),
                CredentialState::Valid | CredentialState::Missing => {}
            }
        }
    }
    Ok(())
}

/// One shop as `mallhost shops` shows it: its plugin, what the plugin asks for and in what state
/// the shop's answers are.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ShopReport {
    /// The shop's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its mall id.
    pub mall: String,
    /// The plugin serving it (`mall@version`), if one is loaded.
    pub plugin: Option<String>,
    /// The contract version of that plugin.
    pub contract: Option<String>,
    /// The plain settings the plugin declares, with whether the shop gives them.
    pub settings: Vec<SettingReport>,
    /// The secrets the plugin declares, with their states.
    pub credentials: Vec<credentials::CredentialReport>,
    /// What is wrong with the shop's configuration for this plugin, if anything.
    pub problem: Option<String>,
}

/// A plain setting a plugin declares, as one shop answers it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SettingReport {
    /// The setting's key.
    pub name: String,
    /// What staff call it.
    pub label: String,
    /// The shop gives it.
    pub given: bool,
    /// The shop cannot run without it.
    pub required: bool,
}

/// The compiled-plugin cache, signed with the host's key (a cache for this process only when
/// the key cannot be had, with a warning: a compiled entry is run only if this host made it).
fn compiled_cache(config: &Config) -> crate::runtime::CompiledCache {
    let cache = crate::runtime::CompiledCache::new(&config.compiled_cache_dir);
    match crate::hostkey::load_or_create(&config.secrets_key_file) {
        Ok(key) => cache.with_key(key),
        Err(e) => {
            tracing::warn!("{e}; compiled plugins are cached for this process only");
            cache
        }
    }
}

/// What `serve`'s admin API and web console work on: this app's parts and the running
/// scheduler.
#[derive(Clone)]
pub struct ServeState {
    /// The database.
    pub store: crate::store::Store,
    /// The configuration (the shops and their intervals).
    pub config: Arc<crate::config::Config>,
    /// The runtime of the running host.
    pub runtime: Arc<Runtime>,
    /// Its plugins folder.
    pub dir: PluginDir,
    /// Its scheduler.
    pub scheduler: Arc<Scheduler>,
    /// Its clock (the console's exports and shipping dates).
    pub clock: crate::time::SharedClock,
}

/// The database, the runtime, the plugins folder and the clock of one host process.
pub struct App {
    /// The configuration it was opened with.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// The plugin runtime (shared with the scheduler and the admin API).
    pub runtime: Arc<Runtime>,
    /// The clock of the host and its plugins.
    pub clock: SharedClock,
    plugins: PluginDir,
}

impl App {
    /// Opens what `config` names: the database (migrated), a runtime whose compiled cache is
    /// the config's `compiled_cache_dir`, and — when `load_plugins` — the plugins folder's
    /// active plugins.
    pub async fn open(
        config: Config,
        clock: SharedClock,
        load_plugins: bool,
    ) -> Result<App, AppError> {
        let store = Store::open(&config.database_url).await?;
        let mut plugins =
            PluginDir::new(&config.plugins_dir).with_loose_files(config.dev_loose_plugins);
        // Several machines share a PostgreSQL database: their plugins follow one index there.
        if store.backend() == crate::store::Backend::Postgres {
            plugins = plugins.with_shared_index(store.clone());
        }
        let runtime = Runtime::new(clock.clone(), PluginLimits::default())
            .map_err(|source| AppError::Runtime {
                context: "starting the plugin runtime".into(),
                source,
            })?
            .with_cache(compiled_cache(&config))
            .with_ceilings(config.plugin_ceilings.clone())
            .with_token_vault(store.clone(), config.secrets_key_file.clone());
        // Processes on one PostgreSQL database share each credential's pace.
        let runtime = if store.backend() == crate::store::Backend::Postgres {
            runtime.with_shared_paces(store.clone())
        } else {
            runtime
        };
        for w in &config.warnings {
            tracing::warn!("{w}");
        }
        if load_plugins {
            plugins
                .load(&runtime)
                .await
                .map_err(|source| AppError::Runtime {
                    context: format!("loading plugins from {}", config.plugins_dir.display()),
                    source,
                })?;
            check_shops(&config, &runtime, jst_date(clock.now()))?;
        }
        Ok(App {
            config,
            store,
            runtime: Arc::new(runtime),
            clock,
            plugins,
        })
    }

    /// The shop with this id, or an error listing the shops there are.
    pub fn shop(&self, id: &str) -> Result<&ShopConfig, AppError> {
        self.config.shop(id).ok_or_else(|| AppError::UnknownShop {
            id: id.into(),
            known: if self.config.shops.is_empty() {
                "none".into()
            } else {
                let ids: Vec<_> = self.config.shops.iter().map(|s| s.id.as_str()).collect();
                ids.join(", ")
            },
        })
    }

    /// The plugins folder.
    pub fn plugin_dir(&self) -> &PluginDir {
        &self.plugins
    }

    /// A syncer over this app's database, runtime, clock and retry policy.
    pub fn syncer(&self) -> Syncer<'_> {
        Syncer::new(
            &self.store,
            &self.runtime,
            self.clock.clone(),
            self.config.sync.clone(),
        )
    }

    /// Starts the automatic jobs of every shop that has them.
    pub fn scheduler(&self) -> Scheduler {
        Scheduler::start(
            self.store.clone(),
            self.runtime.clone(),
            self.clock.clone(),
            self.config.sync.clone(),
            self.config.shops.clone(),
        )
    }

    /// What `serve`'s admin API and console work on: this app and a running scheduler.
    pub fn serve_state(&self, scheduler: Arc<Scheduler>) -> ServeState {
        ServeState {
            store: self.store.clone(),
            config: Arc::new(self.config.clone()),
            runtime: self.runtime.clone(),
            dir: self.plugins.clone(),
            scheduler,
            clock: self.clock.clone(),
        }
    }

    /// Every shop with its plugin and the state of its settings and credentials (plugins must be
    /// loaded for the declarations to be known).
    pub fn shop_reports(&self) -> Vec<ShopReport> {
        shop_reports(&self.config, &self.runtime, self.today())
    }

    /// Today's date in JST, by this app's clock.
    pub fn today(&self) -> NaiveDate {
        jst_date(self.clock.now())
    }
}

/// Every shop with its plugin and the state of its settings and credentials (plugins must be
/// loaded for the declarations to be known).
pub fn shop_reports(config: &Config, runtime: &Runtime, today: NaiveDate) -> Vec<ShopReport> {
    config
        .shops
        .iter()
        .map(|shop| {
            let plugin = runtime.plugin(&shop.mall).ok();
            let info = plugin.as_ref().map(|p| p.info());
            let (settings, creds, problem) = match info {
                None => (
                    Vec::new(),
                    Vec::new(),
                    Some(format!(
                        "no plugin is loaded for mall {:?}; install one with `mallhost plugins \
                         install`",
                        shop.mall
                    )),
                ),
                Some(info) => (
                    info.settings
                        .iter()
                        .filter(|s| !s.secret)
                        .map(|s| SettingReport {
                            name: s.name.clone(),
                            label: s.label.clone(),
                            given: shop.settings.contains_key(&s.name),
                            required: s.required,
                        })
                        .collect(),
                    credentials::report(crate::runtime::shop_values(shop), &info.settings, today),
                    crate::runtime::check_shop_against(shop, info)
                        .err()
                        .map(|e| e.to_string()),
                ),
            };
            ShopReport {
                id: shop.id.clone(),
                name: shop.name.clone(),
                mall: shop.mall.clone(),
                plugin: info.map(|i| i.label()),
                contract: info.map(|i| i.contract_version.clone()),
                settings,
                credentials: creds,
                problem,
            }
        })
        .collect()
}
