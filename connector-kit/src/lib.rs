//! What every mallhost connector plugin shares, so a new mall's plugin is its `wire`, `api` and
//! `mapping` modules and a few lines of `lib.rs`:
//!
//! - [`bindings`]: the contract `mallhost:connector@0.2.0` generated once, and the export glue
//!   ([`export_connector!`]): a plugin implements [`Guest`] and names its type;
//! - [`Transport`]: how a plugin's API code sends requests — [`HostTransport`] (the host's
//!   `send` and `now`) in the component, [`fake::FakeTransport`] in native unit tests;
//! - [`http`]: requests with a JSON body, the host's refusals and a mall's status codes as
//!   connector errors, `Retry-After`, query encoding;
//! - [`time`]: JST, instants and dates on the wire;
//! - [`money`]: fees, discounts and totals in integer yen, with checked sums;
//! - [`arena`]: a bump allocator for plugins whose every call runs on a fresh instance;
//! - `emulator` (feature `emulator`, tests only): a mall emulator's server, rate limit, injected
//!   faults and per-order call counters.
//!
//! A plugin in full (see `tests/plugins/tinymall` for one that runs):
//!
//! ```
//! use connector_kit::types::*;
//! use connector_kit::{Guest, HostTransport};
//!
//! struct MyMall;
//!
//! impl Guest for MyMall {
//!     fn info() -> PluginInfo {
//!         connector_kit::info("mymall", "マイモール", env!("CARGO_PKG_VERSION"))
//!     }
//!     fn fetch_orders(ctx: CallContext, req: FetchRequest) -> Result<FetchPage, ConnectorError> {
//!         let _ = (&HostTransport, ctx, req); // the plugin's `api::fetch_page(&HostTransport, …)`
//!         Ok(FetchPage { orders: vec![], skipped: vec![], next_cursor: None })
//!     }
//!     fn map_orders(_: CallContext, raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
//!         raws.iter().map(|_| Err(ConnectorError::Unsupported("no files".into()))).collect()
//!     }
//!     fn take_orders(_: CallContext, numbers: Vec<String>) -> Vec<TakeResult> {
//!         connector_kit::unsupported_for(numbers, "take", |n, e| TakeResult { mall_order_number: n, outcome: Err(e) })
//!     }
//!     fn push_shipments(_: CallContext, s: Vec<Shipment>) -> Vec<PushResult> {
//!         let numbers = s.into_iter().map(|s| s.mall_order_number).collect();
//!         connector_kit::unsupported_for(numbers, "push", |n, e| PushResult { mall_order_number: n, outcome: Err(e) })
//!     }
//!     fn order_states(_: CallContext, numbers: Vec<String>) -> Vec<StateResult> {
//!         connector_kit::unsupported_for(numbers, "status sync", |n, e| StateResult { mall_order_number: n, state: Err(e) })
//!     }
//! }
//!
//! connector_kit::export_connector!(MyMall);
//! # fn main() { assert_eq!(<MyMall as Guest>::info().mall_id, "mymall"); }
//! ```

#![deny(missing_docs)]

pub mod arena;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod fake;
pub mod http;
pub mod money;
pub mod time;
mod transport;

pub use transport::{HostTransport, Transport};

/// The contract `mallhost:connector@0.2.0` (`wit/0.2.0/`), generated once for every plugin.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/0.2.0",
        world: "mall-connector",
        generate_all,
        pub_export_macro: true,
        export_macro_name: "export_bindings",
        default_bindings_module: "connector_kit::bindings",
    });
}

/// What a plugin implements: the contract's `connector` interface.
pub use bindings::exports::mallhost::connector::connector::Guest;
/// The host's imports: `send`, `sign`, `log`, `now`.
pub use bindings::mallhost::connector::host;
/// The contract's data types: orders, shipments, declarations, errors.
pub use bindings::mallhost::connector::types;

/// The contract version the kit binds.
pub const CONTRACT_VERSION: &str = "0.2.0";

/// Exports a type implementing [`Guest`] as the component's `connector` (in a `wasm32` build;
/// a native build — unit tests — leaves the export out, its symbols being for wasm only).
#[macro_export]
macro_rules! export_connector {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export_bindings!($ty);
    };
}

/// A declaration with the kit's defaults filled in: no settings, no auth, no pacing, no
/// operations — a plugin sets what its mall needs on the value it returns.
pub fn info(mall_id: &str, mall_name: &str, plugin_version: &str) -> types::PluginInfo {
    types::PluginInfo {
        mall_id: mall_id.into(),
        mall_name: mall_name.into(),
        plugin_version: plugin_version.into(),
        contract_version: CONTRACT_VERSION.into(),
        settings: Vec::new(),
        auth: types::AuthScheme::None,
        pacing: None,
        signing_key: None,
        capabilities: types::Capabilities {
            operations: types::Operations::empty(),
            shipping_per_delivery: false,
            max_parcels: 1,
            carriers: Vec::new(),
        },
        csv_order_key: None,
    }
}

/// A mall's carrier-code table from `(code, name)` pairs.
pub fn carriers(table: &[(&str, &str)]) -> Vec<types::Carrier> {
    table
        .iter()
        .map(|(id, name)| types::Carrier {
            id: (*id).into(),
            name: (*name).into(),
        })
        .collect()
}

/// One `unsupported` result per order, for an operation the mall does not offer.
pub fn unsupported_for<R>(
    numbers: Vec<String>,
    what: &str,
    result: impl Fn(String, types::ConnectorError) -> R,
) -> Vec<R> {
    numbers
        .into_iter()
        .map(|n| {
            result(
                n,
                types::ConnectorError::Unsupported(format!("this mall offers no {what}")),
            )
        })
        .collect()
}
