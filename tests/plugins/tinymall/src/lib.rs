//! TinyMall: the smallest whole connector, and the walk-through of adding a mall on the
//! connector kit. TinyMall's API (its emulator is `emulator/`, beside this crate) is JSON over
//! HTTP with a bearer token:
//!
//! - `GET /orders?from=UNIX&to=UNIX[&after=ID]`: new orders placed in the window, two a page,
//!   `next` the id to ask after;
//! - `POST /orders/ID/accept`: take an order (409 when it was taken already);
//! - `POST /orders/ID/ship` `{"carrier", "tracking"}`: ship it.
//!
//! A plugin is its [`wire`] (the mall's JSON), [`api`] (requests over the kit's `Transport`,
//! unit-tested with the kit's fake), [`mapping`] (records → the canonical order) and this file:
//! what the plugin declares, and the contract bound to the three. Then one entry in the
//! workspace's `plugins.toml`.

pub mod api;
pub mod mapping;
pub mod wire;

use connector_kit::types::{
    AuthScheme, CallContext, ConnectorError, FetchPage, FetchRequest, Operations, Order,
    PluginInfo, PushResult, RawOrder, SettingSpec, Shipment, StateResult, TakeResult,
};
use connector_kit::{Guest, HostTransport};

/// The shop's API token (a secret; the host sends it as a bearer token).
pub const API_TOKEN: &str = "api_token";

/// TinyMall's carrier codes.
pub const CARRIERS: [(&str, &str); 2] = [("yamato", "ヤマト運輸"), ("sagawa", "佐川急便")];

/// The component's export.
pub struct TinyMall;

impl Guest for TinyMall {
    fn info() -> PluginInfo {
        PluginInfo {
            settings: vec![SettingSpec {
                name: API_TOKEN.into(),
                label: "API token".into(),
                secret: true,
                required: true,
                expires: false,
                help: "TinyMall's shop settings".into(),
            }],
            auth: AuthScheme::Bearer(API_TOKEN.into()),
            capabilities: connector_kit::types::Capabilities {
                operations: Operations::TAKE | Operations::PUSH,
                shipping_per_delivery: false,
                max_parcels: 1,
                carriers: connector_kit::carriers(&CARRIERS),
                one_carrier_per_order: false,
            },
            ..connector_kit::info("tinymall", "TinyMall", env!("CARGO_PKG_VERSION"))
        }
    }

    fn fetch_orders(ctx: CallContext, req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        api::fetch_page(&HostTransport, &ctx, &req)
    }

    fn map_orders(_: CallContext, raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        raws.iter().map(|r| mapping::map_json(&r.body)).collect()
    }

    fn take_orders(ctx: CallContext, numbers: Vec<String>) -> Vec<TakeResult> {
        api::take_orders(&HostTransport, &ctx, &numbers)
    }

    fn push_shipments(ctx: CallContext, shipments: Vec<Shipment>) -> Vec<PushResult> {
        api::push_shipments(&HostTransport, &ctx, &shipments)
    }

    fn order_states(_: CallContext, numbers: Vec<String>) -> Vec<StateResult> {
        connector_kit::unsupported_for(numbers, "status sync", |n, e| StateResult {
            mall_order_number: n,
            state: Err(e),
        })
    }
}

connector_kit::export_connector!(TinyMall);
