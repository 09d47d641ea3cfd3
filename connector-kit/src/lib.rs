//! What every mallhost connector plugin shares, so a new mall's plugin is its `wire`, `api` and
//! `mapping` modules and a few lines of `lib.rs`:
//!
//! - [`bindings`]: the contract `mallhost:connector@0.3.0` generated once, and the export glue
//!   ([`export_connector!`]): a plugin implements [`Guest`] and names its type. The kit at the
//!   root is the newest contract's; [`v0_2_0`] is the same kit on contract 0.2.0, for a plugin
//!   not yet moved (its export macro is `export_connector_v0_2_0!`) — each version a module of
//!   its own, the helpers below compiled once for each against its types;
//! - [`Transport`]: how a plugin's API code sends requests — [`HostTransport`] (the host's
//!   `send` and `now`) in the component, [`fake::FakeTransport`] in native unit tests;
//! - [`http`]: requests with a JSON body, the host's refusals and a mall's status codes as
//!   connector errors, `Retry-After`, query encoding;
//! - [`time`]: JST, instants and dates on the wire;
//! - [`money`]: fees, discounts and totals in integer yen, with checked sums;
//! - [`xml`]: a liberal reader and a plain writer of XML, for malls whose API speaks it;
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
// The helpers (http, money, time, fake, transport) are compiled once per contract version, on
// purpose: each against its own version's types (`v0_2_0`, `v0_3_0`).
#![allow(clippy::duplicate_mod)]

pub mod arena;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod v0_2_0;
pub mod v0_3_0;
pub mod xml;

pub use v0_3_0::*;

/// Exports a type implementing [`Guest`] as the component's `connector` on contract 0.3.0 (in
/// a `wasm32` build; a native build — unit tests — leaves the export out, its symbols being for
/// wasm only).
#[macro_export]
macro_rules! export_connector {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::v0_3_0::bindings::export_bindings!($ty);
    };
}

/// [`export_connector!`] for a plugin on contract 0.2.0 ([`v0_2_0::Guest`]).
#[macro_export]
macro_rules! export_connector_v0_2_0 {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::v0_2_0::bindings::export_bindings_v0_2_0!($ty);
    };
}
