//! The Yahoo!ショッピング connector for mallhost, built as a WebAssembly component for
//! `wasm32-wasip2`, on contract `mallhost:connector@0.3.0`, implementing
//! `shared/spec/yahoo-order-api.md`.
//!
//! Layout: [`api`] is the requests and answers (fetch by `orderList` and `orderInfo`, take,
//! push, status sync), [`mapping`] the `<OrderInfo>` → canonical order and its state. XML is
//! `connector_kit::xml`'s. This file only binds them to the contract and says what the plugin
//! needs ([`info`]): the store's seller id, an OAuth 2 client with its rotating refresh token
//! (run by the host), the store's public key and its version (the host encrypts
//! `<sellerId>:<unix time>` with it into `X-sws-signature` on every request, and warns before
//! the key expires), one request a second per seller, calls of 20 orders (every order costs a
//! request), one carrier and at most two numbers per order, Yahoo!'s carrier codes, and its
//! status and payment codes in words.

pub mod api;
pub mod mapping;

use connector_kit::types::{
    AuthScheme, BatchSizes, CallContext, CodeKind, ComputedHeader, ConnectorError,
    EncryptedTemplate, FetchPage, FetchRequest, HeaderValue, Oauth2RefreshAuth, Operations, Order,
    Pacing, PluginInfo, PushResult, RawOrder, SettingSpec, Shipment, StateResult, TakeResult,
    TokenPlacement,
};
use connector_kit::{Guest, HostTransport};

/// The contract version this plugin implements.
pub const CONTRACT_VERSION: &str = connector_kit::CONTRACT_VERSION;

/// The store's seller id (ストアアカウント), a plain setting.
pub const SELLER_ID: &str = "seller_id";
/// The OAuth client's id (Client ID), a plain setting.
pub const CLIENT_ID: &str = "client_id";
/// The token endpoint's URL, a plain setting.
pub const TOKEN_URL: &str = "token_url";
/// The OAuth client's secret.
pub const CLIENT_SECRET: &str = "client_secret";
/// The first refresh token (the host keeps the rotated ones).
pub const REFRESH_TOKEN: &str = "refresh_token";
/// The store's public key (PEM), a secret that expires.
pub const PUBLIC_KEY: &str = "public_key";
/// The public key's version, a plain setting.
pub const PUBLIC_KEY_VERSION: &str = "public_key_version";

/// Orders per take, push and status call: each costs a request at one a second.
pub const BATCH: u32 = 20;

/// Yahoo!ショッピング's carrier codes (`ShipCompanyCode`), in our model.
pub const CARRIERS: [(&str, &str); 6] = [
    ("1001", "ヤマト運輸"),
    ("1002", "佐川急便"),
    ("1003", "日本郵便"),
    ("1004", "西濃運輸"),
    ("1005", "福山通運"),
    ("1006", "その他"),
];

/// The component's export.
pub struct Yahoo;

/// What this plugin is and needs.
pub fn info() -> PluginInfo {
    let setting = |name: &str, label: &str, secret: bool, help: &str| SettingSpec {
        name: name.into(),
        label: label.into(),
        secret,
        required: true,
        expires: false,
        help: help.into(),
    };
    let api_settings = "ストアクリエイターPro > 設定 > API連携";
    PluginInfo {
        settings: vec![
            setting(
                SELLER_ID,
                "ストアアカウント (seller id)",
                false,
                api_settings,
            ),
            setting(
                CLIENT_ID,
                "Client ID (アプリケーションID)",
                false,
                "Yahoo!デベロッパーネットワーク > アプリケーションの管理",
            ),
            setting(
                TOKEN_URL,
                "トークンエンドポイント",
                false,
                "https://auth.login.yahoo.co.jp/yconnect/v2/token for a live store",
            ),
            setting(
                CLIENT_SECRET,
                "シークレット (client secret)",
                true,
                "Yahoo!デベロッパーネットワーク > アプリケーションの管理",
            ),
            setting(
                REFRESH_TOKEN,
                "リフレッシュトークン (the first one)",
                true,
                "issued when the store authorizes the application; the host keeps the rotated ones",
            ),
            SettingSpec {
                expires: true,
                ..setting(
                    PUBLIC_KEY,
                    "公開鍵 (PEM)",
                    true,
                    "downloaded with its version in ストアクリエイターPro > 設定 > API連携 > 公開鍵認証; valid for a year: give `public_key_file` and `public_key_expires`, and issue a new key before it",
                )
            },
            setting(PUBLIC_KEY_VERSION, "公開鍵バージョン", false, api_settings),
        ],
        auth: AuthScheme::Oauth2Refresh(Oauth2RefreshAuth {
            token_url: TOKEN_URL.into(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            refresh_token: REFRESH_TOKEN.into(),
            scope: None,
            placement: TokenPlacement::Bearer,
        }),
        computed_headers: vec![
            ComputedHeader {
                header: "X-sws-signature".into(),
                value: HeaderValue::Encrypted(EncryptedTemplate {
                    key: PUBLIC_KEY.into(),
                    template: format!("{{{SELLER_ID}}}:{{unix-time}}"),
                }),
            },
            ComputedHeader {
                header: "X-sws-signature-version".into(),
                value: HeaderValue::Template(format!("{{{PUBLIC_KEY_VERSION}}}")),
            },
        ],
        pacing: Some(Pacing {
            requests: 1,
            per_millis: 1000,
            burst: 1,
        }),
        capabilities: connector_kit::types::Capabilities {
            operations: Operations::TAKE | Operations::PUSH | Operations::STATUS_SYNC,
            shipping_per_delivery: false,
            max_parcels: 2,
            carriers: connector_kit::carriers(&CARRIERS),
            one_carrier_per_order: true,
        },
        batch: BatchSizes {
            take: BATCH,
            push: BATCH,
            states: BATCH,
        },
        words: [
            connector_kit::words(CodeKind::MallStatus, &mapping::STATUS_WORDS),
            connector_kit::words(CodeKind::PaymentMethod, &mapping::PAYMENT_WORDS),
        ]
        .concat(),
        ..connector_kit::info("yahoo", "Yahoo!ショッピング", env!("CARGO_PKG_VERSION"))
    }
}

impl Guest for Yahoo {
    fn info() -> PluginInfo {
        info()
    }

    fn fetch_orders(ctx: CallContext, req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        api::fetch_page(&HostTransport, &ctx, &req)
    }

    fn map_orders(_ctx: CallContext, raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        // Yahoo! orders come from the API only; a record handed here is an `<OrderInfo>`.
        raws.iter()
            .map(|r| {
                connector_kit::xml::parse(&r.body)
                    .map_err(|e| {
                        ConnectorError::InvalidInput(connector_kit::types::FieldError {
                            field: "body".into(),
                            message: e.to_string(),
                        })
                    })
                    .and_then(|info| mapping::map_order(&info))
            })
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

connector_kit::export_connector!(Yahoo);

/// Every call runs on a fresh instance: a bump arena is all the allocator a call needs.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: connector_kit::arena::Arena<connector_kit::arena::LinearMemory> =
    connector_kit::arena::Arena::new(connector_kit::arena::LinearMemory);
