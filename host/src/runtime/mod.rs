//! The plugin runtime: one wasmtime engine (component model, async, epoch interruption), the
//! registry of loaded connector plugins by mall id, and calls into them — each call in a fresh
//! store instantiated from the plugin's pre-instantiated component, bounded in memory and time.
//!
//! Loading a plugin for a mall that already has one replaces it for the next call; calls in
//! flight finish on the version they started with.

mod v0_1_0;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store, StoreLimitsBuilder};

use crate::capabilities::PluginState;
use crate::capabilities::http::{HttpCapability, HttpGrant, HttpLimits};
use crate::capabilities::log::LogCapability;
use crate::config::ShopConfig;
use crate::connector::{
    ConnectorError, FetchPage, PluginInfo, RawOrder, Shipment, TakeOutcome, Window,
};
use crate::model::Order;
use crate::time::SharedClock;

/// How often the engine's epoch advances.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits applied to every plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    /// Most linear memory one instance may grow to, in bytes.
    pub memory_bytes: usize,
    /// Longest a call may take, host calls included.
    pub call_timeout: Duration,
    /// HTTP limits.
    pub http: HttpLimits,
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            memory_bytes: 64 * 1024 * 1024,
            call_timeout: Duration::from_secs(120),
            http: HttpLimits::default(),
        }
    }
}

/// Why the runtime or a plugin could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The engine could not be created.
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    /// A plugin file could not be read or compiled.
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
        supported: &'static str,
        /// What is missing.
        message: String,
    },
    /// No plugin is loaded for a mall.
    #[error(
        "no plugin is loaded for mall {mall:?} (loaded: {loaded}); put its .wasm file in the \
         plugins directory"
    )]
    NoPlugin {
        /// The mall id.
        mall: String,
        /// What is loaded.
        loaded: String,
    },
}

/// Why a call into a plugin failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The plugin reported an error (the mall's or its own).
    #[error("plugin {plugin}, {call}: {error}")]
    Connector {
        /// `mall@version`.
        plugin: String,
        /// The export called.
        call: &'static str,
        /// The error.
        error: ConnectorError,
    },
    /// The plugin failed: trap, limit, timeout or a malformed return.
    #[error("plugin {plugin}, {call}: {message}")]
    Fault {
        /// `mall@version`.
        plugin: String,
        /// The export called.
        call: &'static str,
        /// What happened.
        message: String,
    },
}

impl CallError {
    /// The connector error, when the plugin reported one.
    pub fn connector_error(&self) -> Option<&ConnectorError> {
        match self {
            CallError::Connector { error, .. } => Some(error),
            CallError::Fault { .. } => None,
        }
    }
}

/// The bindings of a loaded plugin, by contract version.
enum Bindings {
    V0_1_0(v0_1_0::MallConnectorPre<PluginState>),
}

/// A loaded plugin.
pub struct Plugin {
    info: PluginInfo,
    path: PathBuf,
    bindings: Bindings,
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
fn start_epoch_ticker(engine: &Engine) {
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
        .unwrap_or_else(|e| tracing::error!("cannot start the epoch ticker: {e}"));
}

/// The engine, the linker and the loaded plugins.
pub struct Runtime {
    engine: Engine,
    linker: Linker<PluginState>,
    client: reqwest::Client,
    clock: SharedClock,
    limits: PluginLimits,
    plugins: RwLock<BTreeMap<String, Arc<Plugin>>>,
}

impl Runtime {
    /// A runtime with no plugin loaded.
    pub fn new(clock: SharedClock, limits: PluginLimits) -> Result<Runtime, RuntimeError> {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true).epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| RuntimeError::Engine(format!("linking WASI: {e:#}")))?;
        v0_1_0::MallConnector::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| RuntimeError::Engine(format!("linking the host interface: {e:#}")))?;
        start_epoch_ticker(&engine);
        let client = reqwest::Client::builder()
            .user_agent(concat!("mallhost/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RuntimeError::Engine(format!("cannot build the HTTP client: {e}")))?;
        Ok(Runtime {
            engine,
            linker,
            client,
            clock,
            limits,
            plugins: RwLock::default(),
        })
    }

    /// Compiles and checks a plugin file, then makes it the plugin of its mall (replacing any
    /// earlier one for the next call).
    pub async fn load_file(&self, path: &Path) -> Result<Arc<Plugin>, RuntimeError> {
        let load_err = |message: String| RuntimeError::Load {
            path: path.to_path_buf(),
            message,
        };
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| load_err(e.to_string()))?;
        let engine = self.engine.clone();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &bytes))
            .await
            .map_err(|e| load_err(format!("compiler task failed: {e}")))?
            .map_err(|e| load_err(format!("not a valid WebAssembly component: {e:#}")))?;
        let incompatible = |message: String| RuntimeError::Incompatible {
            path: path.to_path_buf(),
            supported: v0_1_0::VERSION,
            message,
        };
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| incompatible(format!("{e:#}")))?;
        let pre = v0_1_0::MallConnectorPre::new(instance_pre)
            .map_err(|e| incompatible(format!("{e:#}")))?;
        let mut plugin = Plugin {
            info: PluginInfo {
                mall_id: String::new(),
                mall_name: String::new(),
                plugin_version: "?".into(),
                contract_version: v0_1_0::VERSION.into(),
                csv_order_key: None,
            },
            path: path.to_path_buf(),
            bindings: Bindings::V0_1_0(pre),
        };
        let label = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        plugin.info = self
            .call_info(&plugin, &label)
            .await
            .map_err(|e| load_err(e.to_string()))?;
        if plugin.info.contract_version != v0_1_0::VERSION {
            return Err(incompatible(format!(
                "it reports contract version {}",
                plugin.info.contract_version
            )));
        }
        if plugin.info.mall_id.is_empty() {
            return Err(incompatible("it reports an empty mall id".into()));
        }
        let plugin = Arc::new(plugin);
        let previous = self
            .plugins
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(plugin.info.mall_id.clone(), plugin.clone());
        match previous {
            Some(old) => tracing::info!(
                "plugin for {} replaced: {} -> {}",
                plugin.info.mall_id,
                old.info.plugin_version,
                plugin.info.plugin_version
            ),
            None => tracing::info!(
                "plugin {} loaded from {}",
                plugin.info.label(),
                path.display()
            ),
        }
        Ok(plugin)
    }

    /// Loads every `*.wasm` file of a directory, in name order.
    pub async fn load_dir(&self, dir: &Path) -> Result<Vec<Arc<Plugin>>, RuntimeError> {
        let mut entries = std::fs::read_dir(dir)
            .map_err(|e| RuntimeError::Load {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect::<Vec<_>>();
        entries.sort();
        let mut out = Vec::new();
        for p in entries {
            out.push(self.load_file(&p).await?);
        }
        Ok(out)
    }

    /// The plugin serving a mall now.
    pub fn plugin(&self, mall: &str) -> Result<Arc<Plugin>, RuntimeError> {
        let plugins = self.plugins.read().unwrap_or_else(|p| p.into_inner());
        plugins
            .get(mall)
            .cloned()
            .ok_or_else(|| RuntimeError::NoPlugin {
                mall: mall.to_string(),
                loaded: if plugins.is_empty() {
                    "none".into()
                } else {
                    plugins
                        .values()
                        .map(|p| p.info.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            })
    }

    /// Every loaded plugin.
    pub fn plugins(&self) -> Vec<Arc<Plugin>> {
        self.plugins
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// A handle calling the plugin of `shop`'s mall on the shop's behalf.
    pub fn connector<'a>(&'a self, shop: &'a ShopConfig) -> ShopConnector<'a> {
        ShopConnector {
            runtime: self,
            shop,
            grant: Arc::new(HttpGrant::for_shop(shop)),
        }
    }

    fn store(&self, label: &str, shop: Option<(&str, Arc<HttpGrant>)>) -> Store<PluginState> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.memory_bytes)
            .instances(16)
            .tables(16)
            .memories(4)
            .build();
        let http = HttpCapability::new(
            self.client.clone(),
            shop.as_ref().map(|s| s.1.clone()),
            self.limits.http,
        );
        let log = LogCapability::new(label, shop.map(|s| s.0).unwrap_or(""));
        let state = PluginState::new(self.clock.clone(), limits, http, log);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let ticks = self.limits.call_timeout.as_millis() / EPOCH_TICK.as_millis();
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
        store
    }

    /// Runs `f` on a fresh instance of `plugin`, within the call timeout.
    async fn run<R>(
        &self,
        plugin: &Plugin,
        label: &str,
        call: &'static str,
        shop: Option<(&str, Arc<HttpGrant>)>,
        f: impl AsyncFnOnce(&v0_1_0::MallConnector, &mut Store<PluginState>) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        let fault = |message: String| CallError::Fault {
            plugin: label.to_string(),
            call,
            message,
        };
        let mut store = self.store(label, shop);
        let Bindings::V0_1_0(pre) = &plugin.bindings;
        let work = async {
            let instance = pre.instantiate_async(&mut store).await?;
            f(&instance, &mut store).await
        };
        match tokio::time::timeout(self.limits.call_timeout, work).await {
            Err(_) => Err(fault(format!(
                "did not finish within the call timeout of {} s",
                self.limits.call_timeout.as_secs()
            ))),
            Ok(Err(e)) => Err(fault(describe_trap(&e, &self.limits))),
            Ok(Ok(r)) => Ok(r),
        }
    }

    async fn call_info(&self, plugin: &Plugin, label: &str) -> Result<PluginInfo, CallError> {
        let info = self
            .run(plugin, label, "info", None, async |i, s| {
                i.mallhost_connector_connector().call_info(s).await
            })
            .await?;
        Ok(v0_1_0::info(info))
    }
}

/// Says what stopped a call, in words an operator can act on.
fn describe_trap(e: &wasmtime::Error, limits: &PluginLimits) -> String {
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        return match trap {
            wasmtime::Trap::Interrupt => format!(
                "stopped: ran past its time limit of {} s",
                limits.call_timeout.as_secs()
            ),
            other => format!("trapped: {other}"),
        };
    }
    let text = format!("{e:#}");
    if text.contains("memory") && text.contains("limit") || text.contains("growth") {
        return format!(
            "memory limit of {} MiB reached: {text}",
            limits.memory_bytes / (1024 * 1024)
        );
    }
    text
}

/// Calls into the plugin of one shop's mall, on the shop's behalf (its HTTP grant and
/// credentials). Each call looks up the mall's current plugin, so a swap takes effect at once.
pub struct ShopConnector<'a> {
    runtime: &'a Runtime,
    shop: &'a ShopConfig,
    grant: Arc<HttpGrant>,
}

impl ShopConnector<'_> {
    fn plugin(&self) -> Result<(Arc<Plugin>, String), CallError> {
        let p = self
            .runtime
            .plugin(&self.shop.mall)
            .map_err(|e| CallError::Fault {
                plugin: self.shop.mall.clone(),
                call: "lookup",
                message: e.to_string(),
            })?;
        let label = p.info.label();
        Ok((p, label))
    }

    fn scope(&self) -> Option<(&str, Arc<HttpGrant>)> {
        Some((self.shop.id.as_str(), self.grant.clone()))
    }

    /// The label (`mall@version`) of the plugin that serves the shop now.
    pub fn plugin_label(&self) -> Result<String, CallError> {
        self.plugin().map(|p| p.1)
    }

    /// Fetches one page of new orders.
    pub async fn fetch_orders(
        &self,
        window: Window,
        cursor: Option<String>,
    ) -> Result<FetchPage, CallError> {
        let (plugin, label) = self.plugin()?;
        let ctx = v0_1_0::call_context(&self.shop.id, &self.shop.base_url);
        let req = v0_1_0::fetch_request(window, cursor);
        let call = "fetch-orders";
        let r = self
            .runtime
            .run(&plugin, &label, call, self.scope(), async |i, s| {
                i.mallhost_connector_connector()
                    .call_fetch_orders(s, &ctx, &req)
                    .await
            })
            .await?;
        r.map(v0_1_0::fetch_page).map_err(|e| CallError::Connector {
            plugin: label,
            call,
            error: v0_1_0::error(e),
        })
    }

    /// Maps a raw record to the canonical order (no request is allowed).
    pub async fn map_order(&self, raw: &RawOrder) -> Result<Order, CallError> {
        let (plugin, label) = self.plugin()?;
        let call = "map-order";
        let raw = v0_1_0::raw_to(raw);
        let r = self
            .runtime
            .run(&plugin, &label, call, None, async |i, s| {
                i.mallhost_connector_connector()
                    .call_map_order(s, &raw)
                    .await
            })
            .await?;
        let o = r.map_err(|e| CallError::Connector {
            plugin: label.clone(),
            call,
            error: v0_1_0::error(e),
        })?;
        v0_1_0::order(o).map_err(|e| CallError::Fault {
            plugin: label,
            call,
            message: format!("returned a malformed order: {e}"),
        })
    }

    /// Takes (acknowledges) orders on the mall; one result per order number.
    pub async fn take_orders(
        &self,
        numbers: &[String],
    ) -> Result<Vec<(String, Result<TakeOutcome, ConnectorError>)>, CallError> {
        let (plugin, label) = self.plugin()?;
        let ctx = v0_1_0::call_context(&self.shop.id, &self.shop.base_url);
        let r = self
            .runtime
            .run(
                &plugin,
                &label,
                "take-orders",
                self.scope(),
                async |i, s| {
                    i.mallhost_connector_connector()
                        .call_take_orders(s, &ctx, numbers)
                        .await
                },
            )
            .await?;
        Ok(v0_1_0::take_results(r))
    }

    /// Pushes shipments; one result per shipment.
    pub async fn push_shipments(
        &self,
        shipments: &[Shipment],
    ) -> Result<Vec<(String, Result<(), ConnectorError>)>, CallError> {
        let (plugin, label) = self.plugin()?;
        let ctx = v0_1_0::call_context(&self.shop.id, &self.shop.base_url);
        let wit: Vec<_> = shipments.iter().map(v0_1_0::shipment).collect();
        let r = self
            .runtime
            .run(
                &plugin,
                &label,
                "push-shipments",
                self.scope(),
                async |i, s| {
                    i.mallhost_connector_connector()
                        .call_push_shipments(s, &ctx, &wit)
                        .await
                },
            )
            .await?;
        Ok(v0_1_0::push_results(r))
    }
}
