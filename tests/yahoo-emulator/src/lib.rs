//! An emulator of Yahoo!ショッピング's store order API as `shared/spec/yahoo-order-api.md` models
//! it, on the connector kit's harness, for the tests and the demo: the OAuth token endpoint with
//! **rotating refresh tokens** and access tokens that can **die early** ([`Emulator::kill_tokens`],
//! [`Emulator::token_uses`]), the **public-key-encrypted `X-sws-signature`** checked with the
//! store's private key (`keys/`), **one request a second per seller**, **XML** order APIs
//! (`orderList`, `orderInfo`, `orderStatusChange`, `orderShipStatusChange`), **unpaid** orders
//! ([`Emulator::pay`]) and **cancellations** with their reasons ([`Emulator::cancel`]).
//!
//! `model` is the store's orders and their XML; `api` the endpoints and their checks.

mod api;
mod model;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use connector_kit::emulator::{CallCounts, MallEmulator, Server};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;

pub use api::KEY_VERSION;
pub use model::{Item, Order, PAY_METHODS, Person};

/// The store's seller id.
pub const SELLER: &str = "mallhost-store";
/// The OAuth client's id (アプリケーションID).
pub const CLIENT_ID: &str = "dj00-yahoo-client";
/// The OAuth client's secret.
pub const CLIENT_SECRET: &str = "yahoo-client-secret";
/// The first refresh token the store was given.
pub const FIRST_REFRESH_TOKEN: &str = "rt-0";
/// The store's public key, as the store manager hands it out.
pub const PUBLIC_KEY: &str = include_str!("../keys/store-public.pem");
const PRIVATE_KEY: &str = include_str!("../keys/store-private.pem");

/// The order APIs, for counting calls.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Endpoint {
    /// `orderList`.
    List,
    /// `orderInfo`.
    Info,
    /// `orderStatusChange`.
    StatusChange,
    /// `orderShipStatusChange`.
    ShipStatusChange,
}

struct Mall {
    seller: String,
    key: RsaPrivateKey,
    orders: BTreeMap<String, Order>,
    refresh_token: String,
    /// Live access tokens and the requests each has made.
    access: BTreeMap<String, u32>,
    /// Access tokens die after this many requests (none: they live their hour).
    token_uses: Option<u32>,
    last_request: BTreeMap<String, std::time::Instant>,
    /// One request a second per seller is enforced.
    rate_limited: bool,
    refreshes: u32,
    stale_refreshes: u32,
    too_many: u32,
    unauthorized: u32,
    bad_signatures: u32,
    calls: CallCounts<Endpoint>,
}

type Shared = Arc<Mutex<Mall>>;

fn lock(m: &Shared) -> MutexGuard<'_, Mall> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn counts(mall: &Mall) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for o in mall.orders.values() {
        *out.entry(o.words().to_string()).or_insert(0) += 1;
    }
    out
}

/// What the mall saw of its clients, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    /// Refresh grants answered.
    pub refreshes: u32,
    /// Refresh grants refused for a stale (rotated-away) refresh token.
    pub stale_refreshes: u32,
    /// Requests refused with 429.
    pub too_many: u32,
    /// Requests refused with 401 for the token.
    pub unauthorized: u32,
    /// Requests refused with 401 for the signature.
    pub bad_signatures: u32,
}

/// A running emulator.
pub struct Emulator {
    mall: Shared,
    server: Server,
}

impl Emulator {
    /// Starts an empty store on `listen`.
    pub async fn start(listen: SocketAddr) -> std::io::Result<Emulator> {
        let key = RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY).map_err(std::io::Error::other)?;
        let mall: Shared = Arc::new(Mutex::new(Mall {
            seller: SELLER.into(),
            key,
            orders: BTreeMap::new(),
            refresh_token: FIRST_REFRESH_TOKEN.into(),
            access: BTreeMap::new(),
            token_uses: None,
            last_request: BTreeMap::new(),
            rate_limited: true,
            refreshes: 0,
            stale_refreshes: 0,
            too_many: 0,
            unauthorized: 0,
            bad_signatures: 0,
            calls: CallCounts::default(),
        }));
        let ws = "/ShoppingWebService/V1";
        let router = Router::new()
            .route("/yconnect/v2/token", post(api::token))
            .route(&format!("{ws}/orderList"), post(api::order_list))
            .route(&format!("{ws}/orderInfo"), post(api::order_info))
            .route(&format!("{ws}/orderStatusChange"), post(api::status_change))
            .route(
                &format!("{ws}/orderShipStatusChange"),
                post(api::ship_status_change),
            )
            .route(
                connector_kit::emulator::STATUS_PATH,
                get(|State(m): State<Shared>| async move {
                    connector_kit::emulator::status_answer(counts(&lock(&m)))
                }),
            )
            .with_state(mall.clone());
        let server = Server::start(listen, router).await?;
        Ok(Emulator { mall, server })
    }

    /// The demo's orders, placed over the two hours before `now`; returns how many.
    pub fn seed_demo(&self, now: i64) -> usize {
        let orders = model::demo(SELLER, now);
        let n = orders.len();
        let mut mall = lock(&self.mall);
        for o in orders {
            mall.orders.insert(o.id.clone(), o);
        }
        n
    }

    /// Adds (or replaces) an order.
    pub fn put(&self, order: Order) {
        lock(&self.mall).orders.insert(order.id.clone(), order);
    }

    /// An order as the store holds it.
    pub fn order(&self, id: &str) -> Option<Order> {
        lock(&self.mall).orders.get(id).cloned()
    }

    /// The buyer pays an unpaid order.
    pub fn pay(&self, id: &str) {
        if let Some(o) = lock(&self.mall).orders.get_mut(id) {
            o.pay_status = 1;
            o.ship_status = o.ship_status.max(1);
        }
    }

    /// The order is cancelled with a reason code (1xx buyer, 2xx store) and its detail.
    pub fn cancel(&self, id: &str, code: u16, detail: &str) {
        if let Some(o) = lock(&self.mall).orders.get_mut(id) {
            o.status = 4;
            o.cancel = Some((code, detail.to_string()));
        }
    }

    /// Whether one request a second per seller is enforced (it is, from the start).
    pub fn rate_limited(&self, on: bool) {
        lock(&self.mall).rate_limited = on;
    }

    /// Store staff put an order on hold (保留, `OrderStatus` 3), or take it off (back to 処理中).
    pub fn hold(&self, id: &str, on: bool) {
        if let Some(o) = lock(&self.mall).orders.get_mut(id) {
            o.status = if on { 3 } else { 2 };
        }
    }

    /// Every access token given so far dies now, before its hour.
    pub fn kill_tokens(&self) {
        lock(&self.mall).access.clear();
    }

    /// Access tokens die after `uses` requests each (none: they live their hour).
    pub fn token_uses(&self, uses: Option<u32>) {
        lock(&self.mall).token_uses = uses;
    }

    /// What the mall refused and granted.
    pub fn seen(&self) -> Seen {
        let m = lock(&self.mall);
        Seen {
            refreshes: m.refreshes,
            stale_refreshes: m.stale_refreshes,
            too_many: m.too_many,
            unauthorized: m.unauthorized,
            bad_signatures: m.bad_signatures,
        }
    }

    /// Requests each order got at an endpoint, whatever they did.
    pub fn per_order(&self, e: Endpoint) -> BTreeMap<String, u32> {
        lock(&self.mall).calls.per_order(e)
    }

    /// Requests an endpoint got.
    pub fn requests(&self, e: Endpoint) -> u32 {
        lock(&self.mall).calls.requests(e)
    }
}

impl MallEmulator for Emulator {
    fn mall_id(&self) -> &str {
        "yahoo"
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn shop_toml(&self) -> String {
        format!(
            r#"base_url = "{url}"
[shops.settings]
seller_id = "{SELLER}"
client_id = "{CLIENT_ID}"
token_url = "{url}/yconnect/v2/token"
public_key_version = "{KEY_VERSION}"
[shops.delivery_methods]
"宅配便" = "yamato"
"ゆうパケット" = "japanpost"
[shops.time_slots]
"指定なし" = "none"
"午前中" = "am"
"14:00-16:00" = "14-16"
"19:00-21:00" = "19-21"
[shops.carrier_ids]        # your carrier -> Yahoo!'s ShipCompanyCode
yamato = "1001"
sagawa = "1002"
japanpost = "1003"
[shops.credentials]        # a real shop: client_secret_env, refresh_token_env, public_key_file
client_secret = "{CLIENT_SECRET}"
refresh_token = "{FIRST_REFRESH_TOKEN}"
public_key_expires = "2099-12-31"
public_key = """
{PUBLIC_KEY}"""
"#,
            url = self.server.url(),
        )
    }

    fn add_plain_order(&self, n: u32, ordered_at: i64) -> String {
        let id = format!("{SELLER}-{}", 20_000_000 + n);
        self.put(Order::plain(&id, ordered_at));
        id
    }

    fn is_taken(&self, number: &str) -> bool {
        self.order(number).is_some_and(|o| o.seen)
    }

    fn status_counts(&self) -> BTreeMap<String, usize> {
        counts(&lock(&self.mall))
    }
}
