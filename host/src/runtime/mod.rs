//! The plugin runtime: one wasmtime engine (component model, async, epoch interruption), the
//! registry of loaded connector plugins, and calls into them — each call in a fresh store
//! instantiated from the plugin's pre-instantiated component, within its [`PluginLimits`].
//!
//! - `engine`: the engine's configuration — pooled instance slots ([`MAX_CONCURRENT_CALLS`]),
//!   epoch interruption, profiling.
//! - [`limits`](PluginLimits): CPU, wall time, memory, HTTP, return size; how hits are reported.
//! - [`Manifest`]: mall, version, sha256, allowed hosts, limits of a component.
//! - [`CompiledCache`]: precompiled components on disk, so a restart does not recompile.
//! - [`PluginDir`]: the plugins folder — install, rollback, what is active.
//! - [`ShopConnector`]: calls on behalf of one shop.
//! - `call`: one call — its store, wall time, place in the pool, and its [`CallError`] (with
//!   the tail of the plugin's output, the shop's secrets masked).
//! - [`check_shop`]: a shop's settings against its plugin's declaration.
//! - `contract`: the one seam between the host and the WIT contract versions (one module per
//!   version, each converting to the host's types); no other file names a version.
//!
//! Loading a plugin for a mall that already has one makes it the active one for the next call;
//! calls in flight finish on the version they started with; the previous ones are kept for
//! [`Runtime::rollback`]. A plugin that cannot be loaded turns off its mall alone
//! ([`Runtime::disable`], [`Disabled`]): other malls go on, and its shops' calls name the reason.
//! `info` runs within its own short budget ([`INFO_WALL`]): it is read at every load.

mod cache;
mod call;
mod contract;
mod declaration;
mod directory;
mod engine;
mod limits;
mod manifest;
mod shop;
mod vault;

pub use cache::CompiledCache;
pub use call::CallError;
pub use contract::SUPPORTED as SUPPORTED_CONTRACTS;
pub use declaration::{check_shop, check_shop_against};
pub use directory::{Installed, PluginDir};
pub use engine::{Footprint, MAX_CONCURRENT_CALLS};
pub use limits::{LimitExceeded, LimitsSpec, PluginLimits};
pub use manifest::Manifest;
pub use shop::{BatchResults, ShopConnector, shop_values};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

use crate::capabilities::PluginState;
use crate::capabilities::http::{Clients, HttpGrant};
use crate::config::ShopConfig;
use crate::connector::PluginInfo;
use crate::time::SharedClock;
use contract::Contract;
use limits::EPOCH_TICK;

/// The most wall time a plugin's `info` may take (it answers from constants).
pub const INFO_WALL: std::time::Duration = std::time::Duration::from_secs(5);

/// Why the runtime or a plugin could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The engine could not be created.
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    /// A plugin file could not be read or compiled, or disagrees with its manifest.
    #[error("cannot load plugin {path}: {message}")]
    Load {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A plugin does not implement a contract version this host supports.
    #[error(
        "plugin {path} does not implement a supported contract (this host supports \
         mallhost:connector@{supported}): {message}"
    )]
    Incompatible {
        /// The file.
        path: PathBuf,
        /// Supported versions.
        supported: String,
        /// What is missing.
        message: String,
    },
    /// No plugin is loaded for a mall.
    #[error(
        "no plugin is loaded for mall {mall:?} (loaded: {loaded}); install one with \
         `mallhost plugins install FILE.wasm`"
    )]
    NoPlugin {
        /// The mall id.
        mall: String,
        /// What is loaded.
        loaded: String,
    },
    /// Nothing to roll back to.
    #[error(
        "mall {mall:?} has no earlier plugin version to roll back to; `mallhost plugins remove \
         --mall {mall}` takes its plugin out"
    )]
    NoPrevious {
        /// The mall id.
        mall: String,
    },
    /// A mall's plugin could not be loaded: the mall is off until one loads.
    #[error(
        "mall {mall:?} is off: its plugin {file} could not be loaded ({reason}); install a \
         working version, roll back, or take it out with `mallhost plugins remove --mall {mall}`"
    )]
    Disabled {
        /// The mall id.
        mall: String,
        /// The component that failed.
        file: String,
        /// Why.
        reason: String,
    },
}

/// A mall whose plugin could not be loaded, and why: only that mall is off.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Disabled {
    /// The mall id (the name of the file, for a loose file that could not say).
    pub mall: String,
    /// The component that failed.
    pub file: String,
    /// Why it could not be loaded.
    pub reason: String,
}

/// A loaded plugin.
pub struct Plugin {
    info: PluginInfo,
    path: PathBuf,
    digest: String,
    limits: PluginLimits,
    allowed_hosts: Option<Arc<Vec<String>>>,
    from_cache: bool,
    contract: Contract,
    /// What one call takes from the instance pool.
    footprint: Footprint,
    /// Calls started on this version.
    calls: std::sync::atomic::AtomicU64,
}

impl Plugin {
    /// What the plugin says it is.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What one call takes from the instance pool.
    pub fn footprint(&self) -> Footprint {
        self.footprint
    }

    /// Hex sha256 of the component.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Its limits.
    pub fn limits(&self) -> &PluginLimits {
        &self.limits
    }

    /// Whether its compiled code came from the cache.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    /// How many calls this loaded version has served (started), `info` included.
    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("info", &self.info)
            .field("path", &self.path)
            .finish()
    }
}

/// Advances the engine's epoch until the engine is gone.
fn start_epoch_ticker(engine: &Engine) -> Result<(), RuntimeError> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("mallhost-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(|_| ())
        .map_err(|e| RuntimeError::Engine(format!("cannot start the epoch ticker: {e}")))
}

/// What a call made for a shop may use: the shop's HTTP grant and its signing key.
pub(crate) struct ShopScope<'a> {
    /// The shop's id (for logs).
    pub shop_id: &'a str,
    /// Where it may send requests, with which credentials and pace.
    pub grant: Arc<HttpGrant>,
    /// Its signing key, when the plugin declares one.
    pub signer: Option<Arc<crate::capabilities::signing::Signer>>,
}

/// The engine, the linker and the loaded plugins.
pub struct Runtime {
    engine: Engine,
    linker: Linker<PluginState>,
    clients: Clients,
    clock: SharedClock,
    defaults: PluginLimits,
    /// The most a manifest may ask for (the config's `[plugin_ceilings]`).
    ceilings: LimitsSpec,
    cache: Option<CompiledCache>,
    plugins: RwLock<BTreeMap<String, Vec<Arc<Plugin>>>>,
    /// Malls whose plugin could not be loaded, by mall id.
    disabled: RwLock<BTreeMap<String, Disabled>>,
    /// One permit per instance slot: a call waits here when all slots are busy.
    slots: Semaphore,
    /// The pool's core instances, memories and tables, taken by each call's footprint.
    pool: [Semaphore; 3],
    /// The malls' paces, one limiter per credential.
    paces: crate::capabilities::pace::Paces,
    /// OAuth 2 grants run for plugins that declare one.
    oauth: Arc<crate::capabilities::oauth::OAuth>,
    /// Where the plugin calls' time went, since the runtime started.
    usage: UsageCounters,
    /// Where `held` looks up the host's orders (the store), once given.
    holdings: Option<Arc<dyn crate::capabilities::held::Holdings>>,
}

#[derive(Debug, Default)]
struct UsageCounters {
    calls: std::sync::atomic::AtomicU64,
    wall_ns: std::sync::atomic::AtomicU64,
    host_ns: std::sync::atomic::AtomicU64,
}

/// Where the plugin calls' time went: in all, and in host calls (HTTP and the like). The rest
/// is the plugin's own work and the crossing of the boundary (instantiation, lowering and lifting
/// values, converting them to the host's types).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    /// Calls finished.
    pub calls: u64,
    /// Their wall time, from a free instance slot to the converted result.
    pub wall: std::time::Duration,
    /// The part spent in host calls.
    pub host: std::time::Duration,
}

impl Usage {
    /// Guest work and the boundary: the wall time outside host calls.
    pub fn guest_and_boundary(&self) -> std::time::Duration {
        self.wall.saturating_sub(self.host)
    }
}

impl Runtime {
    /// A runtime with no plugin loaded; `defaults` apply to plugins without a manifest.
    pub fn new(clock: SharedClock, defaults: PluginLimits) -> Result<Runtime, RuntimeError> {
        let engine = engine::new_engine()?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| RuntimeError::Engine(format!("linking WASI: {e:#}")))?;
        contract::add_to_linker(&mut linker)
            .map_err(|e| RuntimeError::Engine(format!("linking the host interface: {e:#}")))?;
        start_epoch_ticker(&engine)?;
        let clients = Clients::new().map_err(RuntimeError::Engine)?;
        Ok(Runtime {
            engine,
            linker,
            clients,
            clock,
            defaults,
            ceilings: LimitsSpec::default(),
            cache: None,
            plugins: RwLock::default(),
            disabled: RwLock::default(),
            slots: Semaphore::new(engine::MAX_CONCURRENT_CALLS),
            pool: [
                Semaphore::new(engine::POOL_CORE_INSTANCES as usize),
                Semaphore::new(engine::POOL_MEMORIES as usize),
                Semaphore::new(engine::POOL_TABLES as usize),
            ],
            paces: Default::default(),
            oauth: Default::default(),
            usage: Default::default(),
            holdings: None,
        })
    }

    /// Where the plugin calls' time went since the runtime started.
    pub fn usage(&self) -> Usage {
        use std::sync::atomic::Ordering::Relaxed;
        Usage {
            calls: self.usage.calls.load(Relaxed),
            wall: std::time::Duration::from_nanos(self.usage.wall_ns.load(Relaxed)),
            host: std::time::Duration::from_nanos(self.usage.host_ns.load(Relaxed)),
        }
    }

    /// Keeps the refresh tokens OAuth 2 grants rotate in `store`, sealed with the key at
    /// `key_file` (created on first need).
    pub fn with_token_vault(mut self, store: crate::store::Store, key_file: PathBuf) -> Runtime {
        let oauth = std::mem::take(&mut self.oauth);
        let oauth = Arc::try_unwrap(oauth).unwrap_or_default();
        self.holdings = Some(Arc::new(store.clone()));
        self.oauth = Arc::new(oauth.with_vault(Arc::new(store), key_file));
        self
    }

    /// Shares every credential's pace with the other processes on `store` (PostgreSQL: several
    /// machines); call before any plugin runs.
    pub fn with_shared_paces(mut self, store: crate::store::Store) -> Runtime {
        self.paces = crate::capabilities::pace::Paces::shared(Arc::new(store));
        self
    }

    /// Refuses manifests asking more than `ceilings` (unset keys: the host's hard ceilings).
    pub fn with_ceilings(mut self, ceilings: LimitsSpec) -> Runtime {
        self.ceilings = ceilings;
        self
    }

    /// Keeps compiled components in `cache`.
    pub fn with_cache(mut self, cache: CompiledCache) -> Runtime {
        self.cache = Some(cache);
        self
    }

    /// Compiles and checks a component — against its manifest when given — without making it
    /// active. A refused component changes nothing.
    pub async fn prepare(
        &self,
        path: &Path,
        manifest: Option<&Manifest>,
    ) -> Result<Plugin, RuntimeError> {
        let load_err = |message: String| RuntimeError::Load {
            path: path.to_path_buf(),
            message,
        };
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| load_err(e.to_string()))?;
        let digest = crate::digest::sha256_hex(&bytes);
        let footprint = Footprint::of(&bytes).map_err(load_err)?;
        if let Some(m) = manifest {
            m.limits
                .check_within_config(&self.ceilings)
                .map_err(|e| load_err(format!("its manifest: {e}")))?;
        }
        if let Some(m) = manifest
            && !m.sha256.eq_ignore_ascii_case(&digest)
        {
            return Err(load_err(format!(
                "its sha256 is {digest}, its manifest says {}; the file or the manifest is not the one \
                 published",
                m.sha256
            )));
        }
        let engine = self.engine.clone();
        let cache = self.cache.clone();
        let key = digest.clone();
        let (component, from_cache) = tokio::task::spawn_blocking(move || match cache {
            Some(c) => c.load_or_compile(&engine, &bytes, &key),
            None => Component::new(&engine, &bytes)
                .map(|c| (c, false))
                .map_err(|e| format!("not a valid WebAssembly component: {e:#}")),
        })
        .await
        .map_err(|e| load_err(format!("compiler task failed: {e}")))?
        .map_err(load_err)?;
        let incompatible = |message: String| RuntimeError::Incompatible {
            path: path.to_path_buf(),
            supported: contract::SUPPORTED.join(", "),
            message,
        };
        let contract = Contract::bind(&self.linker, &component).map_err(incompatible)?;
        let limits = manifest.map_or(self.defaults, |m| self.defaults.with_spec(&m.limits));
        let mut plugin = Plugin {
            info: PluginInfo::unknown(contract.version()),
            path: path.to_path_buf(),
            digest,
            limits,
            allowed_hosts: manifest.map(|m| Arc::new(m.allowed_hosts.clone())),
            from_cache,
            contract,
            footprint,
            calls: std::sync::atomic::AtomicU64::new(0),
        };
        if let Some(why) = footprint.too_big() {
            return Err(incompatible(why));
        }
        let label = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        plugin.info = self
            .call_info(&plugin, &label)
            .await
            .map_err(|e| load_err(e.to_string()))?;
        let info = &plugin.info;
        if info.contract_version != plugin.contract.version() {
            return Err(incompatible(format!(
                "it reports contract version {}",
                info.contract_version
            )));
        }
        // Both end up in paths (`plugins/MALL/VERSION-….wasm`) and in the index: nothing that
        // could name another place.
        manifest::check_mall_id(&info.mall_id)
            .map_err(|e| incompatible(format!("it reports {e}")))?;
        manifest::check_version(&info.plugin_version)
            .map_err(|e| incompatible(format!("it reports {e}")))?;
        if let Some(m) = manifest
            && (m.mall != info.mall_id || m.version != info.plugin_version)
        {
            return Err(load_err(format!(
                "it says it is {}@{}, its manifest says {}@{}",
                info.mall_id, info.plugin_version, m.mall, m.version
            )));
        }
        Ok(plugin)
    }

    /// Turns `mall` off because its plugin `file` could not be loaded (`reason`): its shops'
    /// calls fail naming the reason, other malls go on. A version of it already running (a
    /// swap that failed) keeps serving.
    pub fn disable(&self, mall: &str, file: &Path, reason: String) {
        tracing::error!(
            "mall {mall}: its plugin {} could not be loaded, the mall is off until one loads: \
             {reason}",
            file.display()
        );
        self.disabled
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                mall.to_string(),
                Disabled {
                    mall: mall.to_string(),
                    file: file.display().to_string(),
                    reason,
                },
            );
    }

    /// The malls whose plugin could not be loaded.
    pub fn disabled(&self) -> Vec<Disabled> {
        self.disabled
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Takes a mall's plugins out (every loaded version): its calls then fail as for a mall
    /// without a plugin. Returns whether it had any.
    pub fn remove(&self, mall: &str) -> bool {
        let had = self
            .plugins
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(mall)
            .is_some();
        let was_off = self
            .disabled
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(mall)
            .is_some();
        if had {
            tracing::info!("mall {mall}: its plugin was taken out");
        }
        had || was_off
    }

    /// Makes a prepared plugin the active one of its mall (the next call uses it).
    pub fn activate(&self, plugin: Plugin) -> Arc<Plugin> {
        let plugin = Arc::new(plugin);
        self.disabled
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&plugin.info.mall_id);
        let mut plugins = self.plugins.write().unwrap_or_else(|p| p.into_inner());
        let versions = plugins.entry(plugin.info.mall_id.clone()).or_default();
        match versions.last() {
            Some(old) if old.digest == plugin.digest => {
                // Reloading the same component: nothing to swap.
                return old.clone();
            }
            Some(old) => tracing::info!(
                "plugin for {} swapped: {} -> {}",
                plugin.info.mall_id,
                old.info.plugin_version,
                plugin.info.plugin_version
            ),
            None => tracing::info!(
                "plugin {} loaded from {}",
                plugin.info.label(),
                plugin.path.display()
            ),
        }
        versions.push(plugin.clone());
        // Keep a few earlier versions for rollback.
        if versions.len() > 5 {
            versions.remove(0);
        }
        plugin
    }

    /// Loads a component (with the manifest beside it, `NAME.toml`, if there is one) and makes
    /// it active.
    pub async fn load_file(&self, path: &Path) -> Result<Arc<Plugin>, RuntimeError> {
        let plugin = self.prepare_file(path).await?;
        Ok(self.activate(plugin))
    }

    /// [`Runtime::prepare`] with the manifest beside the component (`NAME.toml`), if any.
    pub async fn prepare_file(&self, path: &Path) -> Result<Plugin, RuntimeError> {
        let manifest_path = Manifest::beside(path);
        let manifest = if manifest_path.exists() {
            Some(
                Manifest::load(&manifest_path).map_err(|message| RuntimeError::Load {
                    path: path.to_path_buf(),
                    message,
                })?,
            )
        } else {
            None
        };
        self.prepare(path, manifest.as_ref()).await
    }

    /// Returns a mall to the plugin version active before the current one.
    pub fn rollback(&self, mall: &str) -> Result<Arc<Plugin>, RuntimeError> {
        let mut plugins = self.plugins.write().unwrap_or_else(|p| p.into_inner());
        let versions = plugins
            .get_mut(mall)
            .filter(|v| v.len() > 1)
            .ok_or_else(|| RuntimeError::NoPrevious { mall: mall.into() })?;
        let dropped = versions.pop();
        let now = versions
            .last()
            .cloned()
            .ok_or_else(|| RuntimeError::NoPrevious { mall: mall.into() })?;
        if let Some(d) = dropped {
            tracing::info!(
                "plugin for {mall} rolled back: {} -> {}",
                d.info.plugin_version,
                now.info.plugin_version
            );
        }
        Ok(now)
    }

    /// The plugin serving a mall now.
    pub fn plugin(&self, mall: &str) -> Result<Arc<Plugin>, RuntimeError> {
        let plugins = self.plugins.read().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = plugins.get(mall).and_then(|v| v.last()) {
            return Ok(p.clone());
        }
        if let Some(d) = self
            .disabled
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(mall)
        {
            return Err(RuntimeError::Disabled {
                mall: d.mall.clone(),
                file: d.file.clone(),
                reason: d.reason.clone(),
            });
        }
        Err(RuntimeError::NoPlugin {
            mall: mall.to_string(),
            loaded: if plugins.is_empty() {
                "none".into()
            } else {
                plugins
                    .values()
                    .filter_map(|v| v.last())
                    .map(|p| p.info.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
    }

    /// Every active plugin.
    pub fn plugins(&self) -> Vec<Arc<Plugin>> {
        self.plugins
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter_map(|v| v.last().cloned())
            .collect()
    }

    /// A handle calling the plugin of `shop`'s mall on the shop's behalf.
    pub fn connector<'a>(&'a self, shop: &'a ShopConfig) -> ShopConnector<'a> {
        ShopConnector::new(self, shop)
    }

    /// `info`, within [`INFO_WALL`] (or the plugin's call timeout, if shorter): a plugin's
    /// declaration is read each time it loads, so a slow one would slow every command.
    async fn call_info(&self, plugin: &Plugin, label: &str) -> Result<PluginInfo, CallError> {
        let wall = plugin.limits.call_timeout.min(INFO_WALL);
        self.run(plugin, label, "info", None, wall, async |c, s| {
            c.info(s).await
        })
        .await
    }
}
