//! TinyMall's emulator (the mall of `tests/plugins/tinymall`) on the connector kit's harness:
//! orders in memory, the three endpoints behind a bearer token, every call counted per order.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use connector_kit::emulator::{CallCounts, MallEmulator, Server};
use serde_json::{Value, json};

/// The token the emulator accepts.
pub const TOKEN: &str = "tiny-token";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Endpoint {
    Accept,
    Ship,
}

#[derive(Default)]
struct Mall {
    /// Orders by id: the order's JSON and its state (`new`, `accepted`, `shipped`).
    orders: BTreeMap<String, (Value, &'static str)>,
    calls: CallCounts<Endpoint>,
}

type Shared = Arc<Mutex<Mall>>;

fn lock(m: &Shared) -> MutexGuard<'_, Mall> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn counts(mall: &Mall) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (_, state) in mall.orders.values() {
        *out.entry(state.to_string()).or_insert(0) += 1;
    }
    out
}

/// A running TinyMall.
pub struct Emulator {
    mall: Shared,
    server: Server,
}

fn authorised(h: &HeaderMap) -> bool {
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

fn refuse(status: StatusCode, what: &str) -> Response {
    (status, Json(json!({ "error": what }))).into_response()
}

async fn orders(
    State(m): State<Shared>,
    h: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if !authorised(&h) {
        return refuse(StatusCode::UNAUTHORIZED, "bad token");
    }
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let (Some(from), Some(to)) = (num("from"), num("to")) else {
        return refuse(StatusCode::BAD_REQUEST, "from and to are required");
    };
    let after = q.get("after").cloned().unwrap_or_default();
    let mall = lock(&m);
    let new: Vec<&Value> = mall
        .orders
        .iter()
        .filter(|(id, (o, state))| {
            *state == "new"
                && **id > after
                && o["placed"].as_i64().is_some_and(|p| p >= from && p <= to)
        })
        .map(|(_, (o, _))| o)
        .collect();
    let page: Vec<&Value> = new.iter().take(2).copied().collect();
    let next = (new.len() > 2).then(|| page.last().map(|o| o["id"].clone()));
    Json(json!({ "orders": page, "next": next.flatten() })).into_response()
}

async fn act(m: Shared, h: HeaderMap, id: String, endpoint: Endpoint) -> Response {
    if !authorised(&h) {
        return refuse(StatusCode::UNAUTHORIZED, "bad token");
    }
    let mut mall = lock(&m);
    mall.calls.request(endpoint);
    mall.calls.order(endpoint, &id);
    let Some((_, state)) = mall.orders.get_mut(&id) else {
        return refuse(StatusCode::NOT_FOUND, "no such order");
    };
    match (endpoint, *state) {
        (Endpoint::Accept, "new") => *state = "accepted",
        (Endpoint::Accept, _) => return refuse(StatusCode::CONFLICT, "accepted already"),
        (Endpoint::Ship, "accepted") => *state = "shipped",
        (Endpoint::Ship, _) => return refuse(StatusCode::CONFLICT, "not awaiting shipment"),
    }
    Json(json!({ "ok": true })).into_response()
}

impl Emulator {
    /// Starts TinyMall on `listen`.
    pub async fn start(listen: SocketAddr) -> std::io::Result<Emulator> {
        let mall: Shared = Arc::default();
        let router = Router::new()
            .route("/orders", get(orders))
            .route(
                "/orders/{id}/accept",
                post(
                    |State(m): State<Shared>, h: HeaderMap, Path(id): Path<String>| {
                        act(m, h, id, Endpoint::Accept)
                    },
                ),
            )
            .route(
                "/orders/{id}/ship",
                post(
                    |State(m): State<Shared>, h: HeaderMap, Path(id): Path<String>| {
                        act(m, h, id, Endpoint::Ship)
                    },
                ),
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

    /// Five orders placed over the hour before `now`; returns how many.
    pub fn seed_demo(&self, now: i64) -> usize {
        for n in 1..=5 {
            self.add_plain_order(n, now - 3600 + i64::from(n) * 60);
        }
        5
    }

    /// The state of an order (`new`, `accepted`, `shipped`).
    pub fn state_of(&self, id: &str) -> Option<&'static str> {
        lock(&self.mall).orders.get(id).map(|(_, s)| *s)
    }

    /// Takes of each order the mall received, whatever they did.
    pub fn accepts_per_order(&self) -> BTreeMap<String, u32> {
        lock(&self.mall).calls.per_order(Endpoint::Accept)
    }
}

impl MallEmulator for Emulator {
    fn mall_id(&self) -> &str {
        "tinymall"
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn shop_toml(&self) -> String {
        format!(
            "base_url = \"{}\"\n[shops.carrier_ids]\nyamato = \"yamato\"\n\
             [shops.delivery_methods]\n\"宅配便\" = \"yamato\"\n\
             [shops.credentials]\napi_token = \"{TOKEN}\"\n",
            self.server.url()
        )
    }

    fn add_plain_order(&self, n: u32, ordered_at: i64) -> String {
        let id = format!("T-{:04}", 1000 + n);
        let order = json!({
            "id": id, "placed": ordered_at, "buyer": "山田 太郎", "zip": "1000001",
            "pref": "東京都", "addr": "千代田区千代田1-1", "tel": "0300000000",
            "lines": [{"sku": "TEA-01", "name": "緑茶", "qty": 2, "price": 800}],
            "shipping": 500, "total": 2100,
        });
        lock(&self.mall).orders.insert(id.clone(), (order, "new"));
        id
    }

    fn is_taken(&self, number: &str) -> bool {
        self.state_of(number).is_some_and(|s| s != "new")
    }

    fn status_counts(&self) -> BTreeMap<String, usize> {
        counts(&lock(&self.mall))
    }
}
