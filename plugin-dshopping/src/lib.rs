//! The d Shopping (dショッピング) connector for mallhost, built as a WebAssembly component for
//! `wasm32-wasip2`, on contract `mallhost:connector@0.3.0`.
//!
//! Layout: [`wire`] is the API's JSON, [`api`] the requests and responses (fetch pages, take,
//! push, status sync), [`mapping`] the record → canonical order mapping, [`csv_orders`] the d払い
//! mini-app CSV rows → canonical order, [`time`] the JST wire formats. They are plain Rust,
//! unit-tested natively; what every connector shares (the bindings, the transport, JST and money
//! helpers, the arena allocator) is `connector_kit`'s. This file only binds them to the contract
//! and says what the plugin needs ([`info`](DShopping)): the shop's partner code and API password
//! (HTTP Basic, applied by the host), 2 requests a second, one carrier and number per order, the
//! mall's carrier codes, and its status and payment codes in words.

pub mod api;
pub mod csv_orders;
pub mod mapping;
pub mod time;
pub mod wire;

use connector_kit::types::{
    AuthScheme, BasicAuth, CallContext, CodeKind, ConnectorError, FetchPage, FetchRequest,
    Operations, Order, Pacing, PluginInfo, PushResult, RawOrder, SettingSpec, Shipment,
    StateResult, TakeResult,
};
use connector_kit::{Guest, HostTransport};

/// The contract version this plugin implements.
pub const CONTRACT_VERSION: &str = connector_kit::CONTRACT_VERSION;

/// The shop setting holding the partner code (パートナーコード), the user of HTTP Basic.
pub const PARTNER_CODE: &str = "partner_code";
/// The shop secret holding the API password (APIパスワード).
pub const API_PASSWORD: &str = "api_password";

/// d Shopping's carrier ids (配送業者ID).
pub const CARRIERS: [(&str, &str); 6] = [
    ("01", "ヤマト運輸"),
    ("02", "佐川急便"),
    ("03", "日本郵便"),
    ("04", "西濃運輸"),
    ("05", "福山通運"),
    ("99", "その他"),
];

/// The component's export.
pub struct DShopping;

/// What this plugin is and needs.
pub fn info() -> PluginInfo {
    let setting = |name: &str, label: &str, secret: bool| SettingSpec {
        name: name.into(),
        label: label.into(),
        secret,
        required: true,
        expires: false,
        help: "issued with the order API (受注API) on the d Shopping merchant screen".into(),
    };
    PluginInfo {
        settings: vec![
            setting(PARTNER_CODE, "パートナーコード (partner code)", false),
            setting(API_PASSWORD, "APIパスワード (API password)", true),
        ],
        auth: AuthScheme::Basic(BasicAuth {
            user: PARTNER_CODE.into(),
            password: API_PASSWORD.into(),
        }),
        pacing: Some(Pacing {
            requests: 2,
            per_millis: 1000,
            burst: 2,
        }),
        capabilities: connector_kit::types::Capabilities {
            operations: Operations::TAKE
                | Operations::PUSH
                | Operations::STATUS_SYNC
                | Operations::FILE_IMPORT,
            shipping_per_delivery: false,
            max_parcels: 1,
            carriers: connector_kit::carriers(&CARRIERS),
            one_carrier_per_order: true,
        },
        csv_order_key: Some(csv_orders::ORDER_KEY.into()),
        words: [
            connector_kit::words(CodeKind::MallStatus, &wire::STATUS_WORDS),
            connector_kit::words(CodeKind::PaymentMethod, &wire::PAYMENT_WORDS),
        ]
        .concat(),
        ..connector_kit::info("dshopping", "dショッピング", env!("CARGO_PKG_VERSION"))
    }
}

impl Guest for DShopping {
    fn info() -> PluginInfo {
        info()
    }

    fn fetch_orders(ctx: CallContext, req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        api::fetch_page(&HostTransport, &ctx, &req)
    }

    fn map_orders(_ctx: CallContext, raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        raws.iter().map(mapping::map_order).collect()
    }

    fn take_orders(ctx: CallContext, mall_order_numbers: Vec<String>) -> Vec<TakeResult> {
        api::take_orders(&HostTransport, &ctx, &mall_order_numbers)
    }

    fn push_shipments(ctx: CallContext, shipments: Vec<Shipment>) -> Vec<PushResult> {
        api::push_shipments(&HostTransport, &ctx, &shipments)
    }

    fn order_states(ctx: CallContext, mall_order_numbers: Vec<String>) -> Vec<StateResult> {
        api::order_states(&HostTransport, &ctx, &mall_order_numbers)
    }
}

/// Every call runs on a fresh instance: a bump arena is all the allocator a call needs.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: connector_kit::arena::Arena<connector_kit::arena::LinearMemory> =
    connector_kit::arena::Arena::new(connector_kit::arena::LinearMemory);

connector_kit::export_connector!(DShopping);
