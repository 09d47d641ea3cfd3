//! One call into a plugin: its store (the capabilities scoped to the shop, the memory and
//! instance limits, the epoch deadline that meters CPU), its wall time, its place in the
//! instance pool, and what went wrong as a [`CallError`] naming the plugin and the call — with
//! the tail of what the call wrote, and the shop's secrets masked.

use std::time::Instant;

use wasmtime::{Store, StoreLimitsBuilder, UpdateDeadline};

use super::contract::{Contract, Returned};
use super::limits::{self, CALL_TIMEOUT_WORDS, CHECK_EVERY};
use super::{LimitExceeded, Plugin, Runtime, ShopScope};
use crate::capabilities::http::HttpCapability;
use crate::capabilities::log::LogCapability;
use crate::capabilities::scrub::Scrubber;
use crate::capabilities::{CallMeter, PluginState};
use crate::connector::ConnectorError;

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
    /// Whether the call ran past its wall time (the plugin's `call_timeout`).
    pub fn is_call_timeout(&self) -> bool {
        matches!(self, CallError::Fault { message, .. } if message.starts_with(CALL_TIMEOUT_WORDS))
    }

    /// The error with `message` applied to its message (or its connector error's) and `name`
    /// to a connector error's field or code.
    fn map_texts(
        self,
        message: impl Fn(String) -> String,
        name: impl Fn(String) -> String,
    ) -> CallError {
        match self {
            CallError::Connector {
                plugin,
                call,
                error,
            } => CallError::Connector {
                plugin,
                call,
                error: error.map_texts(message, name),
            },
            CallError::Fault {
                plugin,
                call,
                message: m,
            } => CallError::Fault {
                plugin,
                call,
                message: message(m),
            },
        }
    }

    /// The error with `note` after its message (the plugin's output, when it wrote some).
    fn noted(self, note: &str) -> CallError {
        if note.is_empty() {
            return self;
        }
        self.map_texts(|m| format!("{m}{note}"), |n| n)
    }

    /// The error with the shop's secrets masked in each of its texts.
    fn scrubbed(self, scrubber: &Scrubber) -> CallError {
        if scrubber.is_empty() {
            return self;
        }
        self.map_texts(|m| scrubber.text(&m), |n| scrubber.text(&n))
    }

    /// The connector error, when the plugin reported one.
    pub fn connector_error(&self) -> Option<&ConnectorError> {
        match self {
            CallError::Connector { error, .. } => Some(error),
            CallError::Fault { .. } => None,
        }
    }
}

impl Runtime {
    /// A store for one call of `plugin`, scoped to a shop (or to none).
    fn store(
        &self,
        plugin: &Plugin,
        label: &str,
        shop: Option<ShopScope<'_>>,
    ) -> Store<PluginState> {
        let l = plugin.limits;
        let limits = StoreLimitsBuilder::new()
            .memory_size(l.memory_bytes)
            .instances(16)
            .tables(16)
            .memories(4)
            .trap_on_grow_failure(true)
            .build();
        let grant = shop.as_ref().map(|s| s.grant.clone());
        let client = self.clients.for_grant(grant.as_deref());
        let http = HttpCapability::new(client, grant, l.http)
            .with_plugin_hosts(plugin.allowed_hosts.clone());
        let log = LogCapability::new(label, shop.as_ref().map_or("", |s| s.shop_id)).scrubbing(
            shop.as_ref()
                .map(|s| s.grant.scrubber().clone())
                .unwrap_or_default(),
        );
        let held = shop
            .as_ref()
            .zip(self.holdings.clone())
            .map(|(s, h)| crate::capabilities::held::HeldCapability::new(s.shop_id, h));
        let mut state = PluginState::new(
            self.clock.clone(),
            limits,
            http,
            log,
            CallMeter::new(l.cpu_time),
            shop.and_then(|s| s.signer),
        );
        state.held = held;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_callback(|ctx| {
            let meter = &ctx.data().meter;
            if meter.guest_time() > meter.cpu_limit {
                return Err(wasmtime::Error::new(LimitExceeded::Cpu(meter.cpu_limit)));
            }
            // Yield to the executor between checks, so timeouts and other tasks run.
            Ok(UpdateDeadline::Yield(CHECK_EVERY))
        });
        store.set_epoch_deadline(CHECK_EVERY);
        store
    }

    /// Runs `f` on a fresh instance of `plugin`, within its limits (its wall time at most
    /// `wall`): its result, or the error naming the plugin and the call, with the tail of what
    /// the call wrote to stdout and stderr and with the shop's secrets masked.
    pub(super) async fn run<R>(
        &self,
        plugin: &Plugin,
        label: &str,
        call: &'static str,
        shop: Option<ShopScope<'_>>,
        wall: std::time::Duration,
        f: impl AsyncFnOnce(&Contract, &mut Store<PluginState>) -> wasmtime::Result<Result<R, Returned>>,
    ) -> Result<R, CallError> {
        let fault = |message: String| CallError::Fault {
            plugin: label.to_string(),
            call,
            message,
        };
        let started = Instant::now();
        // A free instance slot first, then the pool's share the component takes (the semaphores
        // are never closed; always taken in this order).
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| fault(format!("no instance slot: {e}")))?;
        let fp = plugin.footprint;
        let mut _pool = Vec::with_capacity(3);
        for (sem, n) in self
            .pool
            .iter()
            .zip([fp.core_instances, fp.memories, fp.tables])
        {
            _pool.push(
                sem.acquire_many(n)
                    .await
                    .map_err(|e| fault(format!("no room in the instance pool: {e}")))?,
            );
        }
        plugin
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let shop_id = shop.as_ref().map(|s| s.shop_id.to_string());
        let scrubber = shop
            .as_ref()
            .map(|s| s.grant.scrubber().clone())
            .unwrap_or_default();
        let mut store = self.store(plugin, label, shop);
        store.data_mut().meter.wall = Some(wall);
        let slot_at = Instant::now();
        let work = f(&plugin.contract, &mut store);
        let result = tokio::time::timeout(wall, work).await;
        let (took, host) = (slot_at.elapsed(), store.data().meter.host_time());
        let ns = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        use std::sync::atomic::Ordering::Relaxed;
        self.usage.calls.fetch_add(1, Relaxed);
        self.usage.wall_ns.fetch_add(ns(took), Relaxed);
        self.usage.host_ns.fetch_add(ns(host), Relaxed);
        tracing::debug!("plugin {label} {call} took {:?}", started.elapsed());
        // A failed call's own words (a panic message, a traceback) come with its error.
        let said = || {
            let tail = scrubber.text(&store.data().output.text());
            if tail.is_empty() {
                String::new()
            } else {
                let tail =
                    crate::capabilities::log::plugin_text(&tail, crate::capabilities::output::TAIL);
                tracing::warn!(
                    target: "mallhost::plugin",
                    plugin = label,
                    shop = shop_id.as_deref().unwrap_or(""),
                    "{call} failed; the plugin wrote: {tail}"
                );
                format!("; the plugin wrote: {tail}")
            }
        };
        let error = match result {
            Err(_) => fault(LimitExceeded::Timeout(wall).to_string()),
            Ok(Err(e)) => fault(limits::describe(&e, &plugin.limits)),
            Ok(Ok(Ok(r))) => return Ok(r),
            Ok(Ok(Err(returned))) => returned.into_call_error(label, call),
        };
        Err(error.noted(&said()).scrubbed(&scrubber))
    }
}
