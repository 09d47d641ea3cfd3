//! TEST FIXTURE, frozen: the d Shopping connector as it was on contract 0.1.0 (the shipped plugin
//! is `plugin-dshopping`, on 0.2.0). The host must keep running plugins built against 0.1.0; this
//! copy proves it end to end. Do not update it with the shipped plugin.
//!
//! The d Shopping (dショッピング) connector for mallhost, built as a WebAssembly component for
//! `wasm32-wasip2`.
//!
//! Layout: [`wire`] is the API's JSON, [`api`] the requests and responses (fetch pages, take,
//! push), [`mapping`] the record → canonical order mapping, [`csv_orders`] the d払い mini-app
//! CSV rows → canonical order, [`time`] the JST wire formats, [`arena`] the allocator. They are
//! plain Rust, unit-tested natively. This file only binds them to the WIT contract.

pub mod api;
pub mod arena;
pub mod csv_orders;
pub mod mapping;
pub mod time;
pub mod wire;

/// Bindings generated from `wit/` (contract `mallhost:connector@0.1.0`).
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/0.1.0",
        world: "mall-connector",
        generate_all,
    });
}

use bindings::exports::mallhost::connector::connector::Guest;
use bindings::mallhost::connector::host;
use bindings::mallhost::connector::types::{
    CallContext, ConnectorError, FetchPage, FetchRequest, Order, PluginInfo, PushResult, RawOrder,
    Shipment, TakeResult,
};

/// The contract version this plugin implements.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The host's imports as the [`api::Transport`].
struct HostTransport;

impl api::Transport for HostTransport {
    fn send(&self, req: &host::Request) -> Result<host::Response, host::HttpError> {
        host::send(req)
    }
    fn now(&self) -> i64 {
        host::now()
    }
}

/// The component's export.
pub struct DShopping;

impl Guest for DShopping {
    fn info() -> PluginInfo {
        PluginInfo {
            mall_id: "dshopping".into(),
            mall_name: "dショッピング".into(),
            plugin_version: env!("CARGO_PKG_VERSION").into(),
            contract_version: CONTRACT_VERSION.into(),
            csv_order_key: Some(csv_orders::ORDER_KEY.into()),
        }
    }

    fn fetch_orders(ctx: CallContext, req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        api::fetch_page(&HostTransport, &ctx, &req)
    }

    fn map_order(raw: RawOrder) -> Result<Order, ConnectorError> {
        mapping::map_order(&raw)
    }

    fn map_orders(raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        raws.iter().map(mapping::map_order).collect()
    }

    fn take_orders(ctx: CallContext, mall_order_numbers: Vec<String>) -> Vec<TakeResult> {
        api::take_orders(&HostTransport, &ctx, &mall_order_numbers)
    }

    fn push_shipments(ctx: CallContext, shipments: Vec<Shipment>) -> Vec<PushResult> {
        api::push_shipments(&HostTransport, &ctx, &shipments)
    }
}

/// Every call runs on a fresh instance: a bump arena is all the allocator a call needs.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: arena::Arena<arena::LinearMemory> = arena::Arena::new(arena::LinearMemory);

// Native builds (unit tests) leave the export out: its symbol names are for wasm only.
#[cfg(target_arch = "wasm32")]
bindings::export!(DShopping with_types_in bindings);
