//! The 楽天市場 (Rakuten Ichiba) connector for mallhost, built as a WebAssembly component for
//! `wasm32-wasip2`, on contract `mallhost:connector@0.2.0` (kept there: the host runs 0.2.0 plugins beside 0.3.0 ones, and this one proves it), implementing
//! `shared/spec/rakuten-order-api.md`.
//!
//! Layout: [`wire`] is the RMS order API's JSON, [`api`] the requests and answers (fetch in
//! 63-day searches, take, per-basket push, status sync), [`mapping`] the order model → canonical
//! order, [`time`] the JST wire formats. They are plain Rust, unit-tested natively; what every
//! connector shares is `connector_kit`'s. This file only binds them to the contract and says what the plugin needs ([`info`]): the shop's
//! serviceSecret and licence key (ESA, applied by the host; the key expires every 90 days), 1
//! request a second per licence key, shipping per basket with several parcels, and Rakuten's
//! carrier codes.

#![recursion_limit = "256"]

pub mod api;
pub mod mapping;
pub mod time;
pub mod wire;

use connector_kit::v0_2_0::types::{
    AuthScheme, CallContext, ConnectorError, FetchPage, FetchRequest, Operations, Order, Pacing,
    PluginInfo, PushResult, RawOrder, SettingSpec, Shipment, StateResult, TakeResult,
    WordBase64Auth,
};
use connector_kit::v0_2_0::{Guest, HostTransport};

/// The contract version this plugin implements.
pub const CONTRACT_VERSION: &str = connector_kit::v0_2_0::CONTRACT_VERSION;

/// The shop secret holding the serviceSecret (サービスシークレット).
pub const SERVICE_SECRET: &str = "service_secret";
/// The shop secret holding the licence key (ライセンスキー); it expires every 90 days, and the
/// shop gives its expiry as `license_key_expires`.
pub const LICENSE_KEY: &str = "license_key";

/// Most parcels one basket takes here (Rakuten sets no number; a sanity bound).
pub const MAX_PARCELS: u32 = 10;

/// Rakuten's carrier codes (`deliveryCompany`).
pub const CARRIERS: [(&str, &str); 11] = [
    ("1000", "その他"),
    ("1001", "ヤマト運輸"),
    ("1002", "佐川急便"),
    ("1003", "日本郵便"),
    ("1004", "西濃運輸"),
    ("1005", "セイノースーパーエクスプレス"),
    ("1006", "福山通運"),
    ("1007", "名鉄運輸"),
    ("1008", "トナミ運輸"),
    ("1021", "日本通運"),
    ("1028", "Rakuten EXPRESS"),
];

/// The component's export.
pub struct Rakuten;

/// What this plugin is and needs.
pub fn info() -> PluginInfo {
    PluginInfo {
        settings: vec![
            SettingSpec {
                name: SERVICE_SECRET.into(),
                label: "serviceSecret (サービスシークレット)".into(),
                secret: true,
                required: true,
                expires: false,
                help: "RMS > 店舗様向け情報・サービス > WEB APIサービス > 利用設定".into(),
            },
            SettingSpec {
                name: LICENSE_KEY.into(),
                label: "licenseKey (ライセンスキー)".into(),
                secret: true,
                required: true,
                expires: true,
                help: "issued in RMS (WEB APIサービス > 利用設定 > ライセンスキー発行), valid for \
                       90 days: issue a new one before the expiry shown there"
                    .into(),
            },
            SettingSpec {
                name: api::PAGE_SIZE_SETTING.into(),
                label: "searchOrder page size (30–1000)".into(),
                secret: false,
                required: false,
                expires: false,
                help: "order numbers per search page; leave it out for 1000".into(),
            },
        ],
        auth: AuthScheme::WordBase64(WordBase64Auth {
            word: "ESA".into(),
            first: SERVICE_SECRET.into(),
            second: LICENSE_KEY.into(),
        }),
        pacing: Some(Pacing {
            requests: 1,
            per_millis: 1000,
            burst: 1,
        }),
        capabilities: connector_kit::v0_2_0::types::Capabilities {
            operations: Operations::TAKE | Operations::PUSH | Operations::STATUS_SYNC,
            shipping_per_delivery: true,
            max_parcels: MAX_PARCELS,
            carriers: connector_kit::v0_2_0::carriers(&CARRIERS),
        },
        ..connector_kit::v0_2_0::info("rakuten", "楽天市場", env!("CARGO_PKG_VERSION"))
    }
}

impl Guest for Rakuten {
    fn info() -> PluginInfo {
        info()
    }

    fn fetch_orders(ctx: CallContext, req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        api::fetch_page(&HostTransport, &ctx, &req)
    }

    fn map_orders(_ctx: CallContext, raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        // Rakuten orders come from the API only; a record handed here is an order model's JSON.
        raws.iter()
            .map(|r| mapping::map_json(&r.mall_order_number, &r.body))
            .collect()
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

connector_kit::export_connector_v0_2_0!(Rakuten);
