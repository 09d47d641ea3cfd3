//! What a plugin may use: each capability is its own module ([`http`], [`credentials`] (the
//! shop's secrets on its requests), [`computed`] (headers built per request, a public-key
//! encrypted one among them), [`oauth`] (a host-run refresh grant), [`signing`] (a shop's
//! key signing a header), [`pace`] (the mall's declared rate), [`log`], [`output`] (the tail of
//! stdout/stderr), [`clock`]) with its configuration and its tests; [`PluginState`] bundles them
//! as the store's data and is the one place they meet. A capability sees of a shop only what it
//! is granted ([`held`] answers which orders the host stores, for the call's shop only): its [`ShopValues`] (settings and secrets), its origins; the runtime builds the
//! grant once per call (`runtime::shop`). WASI is linked (a `std` guest imports it) but grants nothing: no files, no
//! environment, no sockets, and its clocks read the host's [`clock`].

pub mod clock;
pub mod computed;
pub mod credentials;
pub mod held;
pub mod http;
pub mod log;
pub mod meter;
pub mod oauth;
pub mod output;
pub mod pace;
pub mod scrub;
pub mod signing;
mod values;

pub use http::HttpLimits;
pub use meter::CallMeter;
pub use values::ShopValues;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::time::SharedClock;

/// The data of one plugin call's store.
pub struct PluginState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(crate) http: http::HttpCapability,
    pub(crate) log: log::LogCapability,
    pub(crate) clock: SharedClock,
    pub(crate) meter: CallMeter,
    pub(crate) signer: Option<std::sync::Arc<signing::Signer>>,
    /// Which orders the host stores, for the call's shop (none outside a shop's call).
    pub(crate) held: Option<held::HeldCapability>,
    /// The tail of what the call wrote to stdout and stderr.
    pub(crate) output: output::OutputTail,
}

impl PluginState {
    /// A state for one call: `http` scoped to the shop the call is for (or to none).
    pub(crate) fn new(
        clock: SharedClock,
        limits: StoreLimits,
        http: http::HttpCapability,
        log: log::LogCapability,
        meter: CallMeter,
        signer: Option<std::sync::Arc<signing::Signer>>,
    ) -> PluginState {
        let output = output::OutputTail::default();
        let wasi = wasmtime_wasi::WasiCtxBuilder::new()
            .stdout(output.clone())
            .stderr(output.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(clock::WasiWallClock(clock.clone()))
            .monotonic_clock(clock::WasiMonotonicClock(clock.clone()))
            .build();
        PluginState {
            wasi,
            table: ResourceTable::new(),
            limits,
            http,
            log,
            clock,
            meter,
            signer,
            held: None,
            output,
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A shop's values from its configuration, for the capabilities' tests.
#[cfg(test)]
pub(crate) fn test_values(shop: &crate::config::ShopConfig) -> ShopValues<'_> {
    ShopValues {
        shop_id: &shop.id,
        settings: &shop.settings,
        secrets: &shop.credentials,
        expiries: &shop.expiries,
    }
}
