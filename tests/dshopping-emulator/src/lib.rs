//! An emulator of the d Shopping order API as `shared/spec/dshopping-order-api.md` defines it:
//! HTTP Basic auth, a per-partner rate limit answered with `429` + `Retry-After`, `GET /orders`
//! paged at query time, `POST /orders/acknowledge` and `POST /shipments` with per-entry results
//! and the carriers' check-digit rule. Tests and `mallhost demo` run it on loopback.
//!
//! Besides the API it offers the test controls a real mall lacks: add orders, read statuses,
//! make the next N requests of an endpoint fail, count requests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use dshopping_emulator::{Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! emu.seed_demo(chrono::Utc::now().timestamp());
//! println!("d Shopping emulator on {}", emu.url());
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod api;
mod model;
mod seed;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

pub use model::{EmuAmounts, EmuDelivery, EmuItem, EmuOrder, EmuPerson, EmuShipment, Status};
pub use seed::{demo_catalogue, plain_order};

/// A clock the emulator reads "now" from (UTC seconds); tests share one with the host.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// How the emulator behaves.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The partner code (パートナーコード) it accepts.
    pub partner_code: String,
    /// The API password (APIパスワード) it accepts.
    pub api_password: String,
    /// Requests per second per partner code; `None` for no limit. The spec's value is 2.
    pub rate_per_second: Option<u32>,
    /// Where "now" comes from (for `shippedDate` checks).
    pub clock: Clock,
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The `Retry-After` (seconds) of a 429; `None`: the time until the bucket has a token.
    pub retry_after_secs: Option<u64>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            partner_code: "P0001234".into(),
            api_password: "emulator-secret".into(),
            rate_per_second: Some(2),
            clock: Arc::new(|| chrono::Utc::now().timestamp()),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            retry_after_secs: None,
        }
    }
}

/// An endpoint of the API, for fault injection and request counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// `GET /orders` for new orders (`status=ORDER_CONFIRM_WAIT`): the fetch.
    SearchOrders,
    /// `GET /orders` for any other status (status sync asks for cancelled ones).
    SearchOtherStatus,
    /// `POST /orders/acknowledge`
    Acknowledge,
    /// `POST /shipments`
    Shipments,
}

pub use connector_kit::emulator::LostAnswer;
use connector_kit::emulator::{CallCounts, Faults, MallEmulator, RateLimit, Server};

/// The emulator's mutable state.
#[derive(Default)]
pub(crate) struct State {
    pub orders: BTreeMap<String, EmuOrder>,
    /// The partner code's rate limit.
    pub rate: RateLimit,
    /// Injected faults: failed requests, lost answers.
    pub faults: Faults<Endpoint>,
    /// Every request that passed auth and the rate limit, per endpoint and per order.
    pub calls: CallCounts<Endpoint>,
    pub acknowledged_ok: u32,
    /// Endpoints whose requests wait at the door until released.
    pub held: std::collections::BTreeSet<Endpoint>,
    /// Requests waiting at a held endpoint.
    pub waiting: BTreeMap<Endpoint, u32>,
    /// After serving a search page, another client takes this many of the page's orders.
    pub taken_by_others_per_page: usize,
    /// How long an applied acknowledgement or shipment waits before its answer.
    pub answer_delay: std::time::Duration,
    /// Shipments that moved an order to 出荷完了, per order (more than 1 would be a double).
    pub shipments_applied: BTreeMap<String, u32>,
    /// Identical re-pushes of a shipped order (answered OK, changing nothing).
    pub shipment_repeats: u32,
    /// Orders the search still lists as new whatever their status (a lagging index).
    pub stale_listing: std::collections::BTreeSet<String>,
    /// Fields of an order's JSON replaced in search answers (malformed records), by order.
    pub overrides: BTreeMap<String, Vec<(String, serde_json::Value)>>,
}

pub(crate) struct Shared {
    pub config: EmulatorConfig,
    pub state: Mutex<State>,
    /// Wakes requests waiting at a held endpoint.
    pub released: tokio::sync::Notify,
}

impl Shared {
    /// Orders per status label, production orders only.
    pub fn status_counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for o in self.lock().orders.values().filter(|o| !o.test_order) {
            *out.entry(o.status.label().to_string()).or_insert(0) += 1;
        }
        out
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every change is one statement).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits while `endpoint` is held (see [`Emulator::hold`]), counted as waiting.
    pub async fn pass_door(&self, endpoint: Endpoint) {
        let mut counted = false;
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            {
                let mut s = self.lock();
                if !s.held.contains(&endpoint) {
                    if counted {
                        *s.waiting.entry(endpoint).or_default() -= 1;
                    }
                    return;
                }
                if !counted {
                    *s.waiting.entry(endpoint).or_default() += 1;
                    counted = true;
                }
            }
            released.await;
        }
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    server: Server,
}

impl Emulator {
    /// Starts the server on the configured address (in the current tokio runtime).
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listen = config.listen;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                rate: RateLimit::new(config.rate_per_second),
                ..State::default()
            }),
            config,
            released: tokio::sync::Notify::new(),
        });
        let server = Server::start(listen, api::router(shared.clone())).await?;
        Ok(Emulator { shared, server })
    }

    /// The base URL of the API, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The partner code it accepts.
    pub fn partner_code(&self) -> &str {
        &self.shared.config.partner_code
    }

    /// Adds (or replaces) an order.
    pub fn add_order(&self, order: EmuOrder) {
        self.shared
            .lock()
            .orders
            .insert(order.order_number.clone(), order);
    }

    /// Loads the demo data set: realistic orders placed relative to `now` (UTC seconds).
    /// Returns how many orders it added.
    pub fn seed_demo(&self, now: i64) -> usize {
        let orders = seed::demo_orders(now);
        let n = orders.len();
        for o in orders {
            self.add_order(o);
        }
        n
    }

    /// Adds a plain, valid order number `n` placed at `ordered_at` (UTC seconds); returns its
    /// order number.
    pub fn add_plain_order(&self, n: u32, ordered_at: i64) -> String {
        let o = seed::plain_order(n, ordered_at);
        let number = o.order_number.clone();
        self.add_order(o);
        number
    }

    /// Adds `count` plain orders placed at least an hour before `now`, numbered from `first`.
    pub fn seed_bulk(&self, now: i64, first: u32, count: u32) {
        let mut st = self.shared.lock();
        for i in 0..count {
            let o = seed::plain_order(first + i, now - 3600 - i64::from(i % 3000));
            st.orders.insert(o.order_number.clone(), o);
        }
    }

    /// An order as the emulator holds it now.
    pub fn order(&self, number: &str) -> Option<EmuOrder> {
        self.shared.lock().orders.get(number).cloned()
    }

    /// The status of an order.
    pub fn status_of(&self, number: &str) -> Option<Status> {
        self.shared.lock().orders.get(number).map(|o| o.status)
    }

    /// How many orders are in each status, by the status's Japanese label (受注確認待ち …);
    /// production orders only, the verification environment's test orders left out.
    pub fn status_counts(&self) -> BTreeMap<String, usize> {
        self.shared.status_counts()
    }

    /// The search answers order `number` with `field` set to `value` (e.g. an impossible date,
    /// a number where text belongs): a malformed record among good ones.
    pub fn corrupt(&self, number: &str, field: &str, value: serde_json::Value) {
        self.shared
            .lock()
            .overrides
            .entry(number.to_string())
            .or_default()
            .push((field.to_string(), value));
    }

    /// The next `ok` requests to `endpoint` are answered normally, the `count` after them with
    /// `status`.
    pub fn fail_after(&self, endpoint: Endpoint, ok: u32, count: u32, status: u16) {
        self.shared
            .lock()
            .faults
            .fail_after(endpoint, ok, count, status);
    }

    /// Makes the next `count` requests to `endpoint` answer `status` (e.g. 500, 503).
    pub fn fail_next(&self, endpoint: Endpoint, count: u32, status: u16) {
        self.shared.lock().faults.fail_next(endpoint, count, status);
    }

    /// How many authenticated requests reached `endpoint` (including failed ones).
    pub fn request_count(&self, endpoint: Endpoint) -> u32 {
        self.shared.lock().calls.requests(endpoint)
    }

    /// How many requests reached the mall at all: any path, any credentials, refused or not.
    pub fn requests_seen(&self) -> u64 {
        self.server.requests_seen()
    }

    /// How many calls about each order reached `endpoint` (past auth and the rate limit),
    /// whatever they did: refused, failed, repeated or applied.
    pub fn calls_per_order(&self, endpoint: Endpoint) -> BTreeMap<String, u32> {
        self.shared.lock().calls.per_order(endpoint)
    }

    /// Makes requests to `endpoint` wait, unanswered, until [`Emulator::release`]: a mall that
    /// hangs for as long as a test needs, to see what else runs meanwhile.
    pub fn hold(&self, endpoint: Endpoint) {
        self.shared.lock().held.insert(endpoint);
    }

    /// Lets the requests held at `endpoint` through, and the later ones straight in.
    pub fn release(&self, endpoint: Endpoint) {
        self.shared.lock().held.remove(&endpoint);
        self.shared.released.notify_waiters();
    }

    /// After each search page it serves, the mall moves the first `n` orders of that page to
    /// 出荷指示待ち, as another client taking them would: the set of new orders changes between
    /// page reads, so page numbers computed at query time shift under a reader.
    pub fn taken_by_others_after_each_page(&self, n: usize) {
        self.shared.lock().taken_by_others_per_page = n;
    }

    /// The next `count` requests to `endpoint` are applied in full (orders taken, shipments
    /// registered), and then their answer is lost as `how` says: the client cannot know that
    /// the mall did the work.
    pub fn lose_next_answers(&self, endpoint: Endpoint, count: u32, how: LostAnswer) {
        self.shared.lock().faults.lose_next(endpoint, count, how);
    }

    /// The buyer (or the shop on the mall's screen) cancels an order: it becomes キャンセル.
    pub fn cancel(&self, number: &str) -> bool {
        let mut st = self.shared.lock();
        match st.orders.get_mut(number) {
            Some(o) => {
                o.status = Status::Cancelled;
                true
            }
            None => false,
        }
    }

    /// How many requests wait at a held `endpoint` now.
    pub fn waiting(&self, endpoint: Endpoint) -> u32 {
        self.shared
            .lock()
            .waiting
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// How many acknowledgements succeeded (an order taken twice would count twice).
    pub fn acknowledged_ok(&self) -> u32 {
        self.shared.lock().acknowledged_ok
    }

    /// Applied acknowledgements and shipments wait this long before they answer: a client
    /// killed meanwhile never learns that the mall did the work.
    pub fn delay_answers(&self, delay: std::time::Duration) {
        self.shared.lock().answer_delay = delay;
    }

    /// Shipments that moved each order to 出荷完了 (1 per order when nothing was doubled).
    pub fn shipments_applied(&self) -> BTreeMap<String, u32> {
        self.shared.lock().shipments_applied.clone()
    }

    /// Identical re-pushes of already shipped orders (harmless, counted).
    pub fn shipment_repeats(&self) -> u32 {
        self.shared.lock().shipment_repeats
    }

    /// The search keeps listing `number` as 受注確認待ち whatever its status (a lagging index).
    pub fn list_stale(&self, number: &str) {
        self.shared.lock().stale_listing.insert(number.to_string());
    }

    /// How many requests were refused with 429.
    pub fn rate_limited_count(&self) -> u32 {
        self.shared.lock().rate.refused()
    }
}

impl MallEmulator for Emulator {
    fn mall_id(&self) -> &str {
        "dshopping"
    }

    fn url(&self) -> String {
        self.url()
    }

    fn shop_toml(&self) -> String {
        format!(
            r#"base_url = "{url}"
[shops.delivery_methods]   # 配送業者変換: mall label -> your carrier
"宅配便" = "yamato"
"メール便" = "japanpost"
"ネコポス" = "yamato"
[shops.time_slots]         # 配送時間帯変換: mall label -> your time slot
"午前中" = "am"
"14-16" = "14-16"
"16-18" = "16-18"
"18-20" = "18-20"
"19-21" = "19-21"
"指定なし" = "none"
[shops.carrier_ids]        # 配送業者ID設定: your carrier -> d Shopping's id
yamato = "01"
japanpost = "03"
[shops.settings]           # what the plugin asks for (`mallhost shops` lists it)
partner_code = "{partner}"
[shops.credentials]        # a real shop: api_password_env = "DSHOP_API_PASSWORD"
api_password = "{password}"
"#,
            url = self.url(),
            partner = self.shared.config.partner_code,
            password = self.shared.config.api_password,
        )
    }

    fn add_plain_order(&self, n: u32, ordered_at: i64) -> String {
        self.add_plain_order(n, ordered_at)
    }

    fn is_taken(&self, number: &str) -> bool {
        self.status_of(number)
            .is_some_and(|s| s != Status::OrderConfirmWait)
    }

    fn status_counts(&self) -> BTreeMap<String, usize> {
        self.status_counts()
    }

    fn demo_products(&self) -> Vec<(String, String, String, i64)> {
        demo_catalogue()
            .into_iter()
            .map(|(i, s, n, p)| (i.into(), s.into(), n.into(), p))
            .collect()
    }
}
