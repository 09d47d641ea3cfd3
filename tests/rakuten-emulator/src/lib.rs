//! An emulator of Rakuten RMS's order API as `shared/spec/rakuten-order-api.md` models it: ESA
//! auth, 1 request a second per licence key answered with `429` and no `Retry-After`,
//! `searchOrder` (63-day windows, the last 730 days, 30..1000 per page, at most 15,000 hits,
//! pages computed at query time), `getOrder`, `confirmOrder`, per-basket `updateOrderShipping`
//! with several parcels and updates by `shippingDetailId`, and progress 100/200/300/500/800/900.
//! Tests and `mallhost demo` run it on loopback.
//!
//! Besides the API it offers the controls a real mall lacks, as methods and over HTTP
//! (`POST /control/cancel {"orderNumber"}`, `POST /control/fault {"method","count","status"}`):
//! cancel an order as its buyer would, make the next requests of a method fail, count requests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use rakuten_emulator::{Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! emu.seed_demo(chrono::Utc::now().timestamp());
//! println!("Rakuten emulator on {}", emu.url());
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod api;
mod model;
mod seed;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use connector_kit::emulator::{CallCounts, Faults, LostAnswer, MallEmulator, RateLimit, Server};

use chrono::TimeZone;

pub use model::{Basket, Item, Person, RakutenOrder, Shipping};
pub use seed::{catalogue, plain_order};

/// A clock the emulator reads "now" from (UTC seconds); tests share one with the host.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Rakuten's carrier codes (`deliveryCompany`) and names.
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

pub(crate) fn carrier_name(code: &str) -> &'static str {
    CARRIERS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, n)| n)
}

fn jst() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// UTC seconds as Rakuten writes them: `yyyy-MM-ddTHH:mm:ss+0900`.
pub fn format_instant(secs: i64) -> String {
    jst().timestamp_opt(secs, 0).single().map_or_else(
        || "0000-01-01T00:00:00+0900".into(),
        |t| t.format("%Y-%m-%dT%H:%M:%S+0900").to_string(),
    )
}

pub(crate) fn jst_date(secs: i64) -> String {
    jst()
        .timestamp_opt(secs, 0)
        .single()
        .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

pub(crate) fn jst_ymd(secs: i64) -> String {
    jst()
        .timestamp_opt(secs, 0)
        .single()
        .map_or_else(String::new, |t| t.format("%Y%m%d").to_string())
}

/// The progress codes' labels.
pub fn progress_label(p: i32) -> &'static str {
    match p {
        100 => "注文確認待ち",
        200 => "楽天処理中",
        300 => "発送待ち",
        400 => "変更確定待ち",
        500 => "発送済",
        600 => "支払手続き中",
        700 => "支払手続き済",
        800 => "キャンセル確定待ち",
        900 => "キャンセル確定",
        _ => "不明",
    }
}

/// How the emulator behaves.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The serviceSecret it accepts.
    pub service_secret: String,
    /// The licence key it accepts.
    pub license_key: String,
    /// Requests per second per licence key; `None` for no limit. The spec's value is 1.
    pub rate_per_second: Option<u32>,
    /// Most orders one search may match (the spec's 15,000).
    pub max_hits: usize,
    /// Where "now" comes from (the 730-day rule, shipping dates).
    pub clock: Clock,
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            service_secret: "SP391234_emulator".into(),
            license_key: "SL391234_emulator-licence".into(),
            rate_per_second: Some(1),
            max_hits: 15_000,
            clock: Arc::new(|| chrono::Utc::now().timestamp()),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// A method of the API, for fault injection and request counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// `searchOrder`
    SearchOrder,
    /// `getOrder`
    GetOrder,
    /// `confirmOrder`
    ConfirmOrder,
    /// `updateOrderShipping`
    UpdateOrderShipping,
}

impl Method {
    /// From the path segment (`searchOrder` …).
    pub fn from_name(s: &str) -> Option<Method> {
        Some(match s {
            "searchOrder" => Method::SearchOrder,
            "getOrder" => Method::GetOrder,
            "confirmOrder" => Method::ConfirmOrder,
            "updateOrderShipping" => Method::UpdateOrderShipping,
            _ => return None,
        })
    }
}

/// The emulator's mutable state.
#[derive(Default)]
pub(crate) struct State {
    pub orders: BTreeMap<String, RakutenOrder>,
    /// The licence key's rate limit.
    pub rate: RateLimit,
    /// Injected faults: failed requests, answers lost after the work was done.
    pub faults: Faults<Method>,
    /// Every request that passed auth and the rate limit, per method and per order.
    pub calls: CallCounts<Method>,
    pub auth_refused: u32,
    pub confirmed_ok: u32,
    /// Parcels registered (entries added, not changed).
    pub parcels_added: u32,
    pub next_detail_id: i64,
}

pub(crate) struct Shared {
    pub config: EmulatorConfig,
    pub state: Mutex<State>,
}

impl Shared {
    /// Orders per progress label.
    pub fn status_counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for o in self.lock().orders.values() {
            *out.entry(progress_label(o.progress).to_string())
                .or_insert(0) += 1;
        }
        out
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (each change is one statement).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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
                next_detail_id: 50_000_001,
                rate: RateLimit::new(config.rate_per_second),
                ..State::default()
            }),
            config,
        });
        let server = Server::start(listen, api::router(shared.clone())).await?;
        Ok(Emulator { shared, server })
    }

    /// The base URL of the API, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The serviceSecret it accepts.
    pub fn service_secret(&self) -> &str {
        &self.shared.config.service_secret
    }

    /// The licence key it accepts.
    pub fn license_key(&self) -> &str {
        &self.shared.config.license_key
    }

    /// Adds (or replaces) an order.
    pub fn add_order(&self, order: RakutenOrder) {
        self.shared
            .lock()
            .orders
            .insert(order.number.clone(), order);
    }

    /// Loads the demo data set placed relative to `now` (UTC seconds); returns how many orders.
    pub fn seed_demo(&self, now: i64) -> usize {
        let orders = seed::demo_orders(now);
        let n = orders.len();
        for o in orders {
            self.add_order(o);
        }
        n
    }

    /// Adds a plain order `n` placed at `ordered_at`; returns its number.
    pub fn add_plain_order(&self, n: u32, ordered_at: i64) -> String {
        let o = seed::plain_order(n, ordered_at);
        let number = o.number.clone();
        self.add_order(o);
        number
    }

    /// Adds `count` plain orders placed at least an hour before `now`, numbered from `first`.
    pub fn seed_bulk(&self, now: i64, first: u32, count: u32) {
        let mut st = self.shared.lock();
        for i in 0..count {
            let o = seed::plain_order(first + i, now - 3600 - i64::from(i % 3000));
            st.orders.insert(o.number.clone(), o);
        }
    }

    /// An order as the emulator holds it now.
    pub fn order(&self, number: &str) -> Option<RakutenOrder> {
        self.shared.lock().orders.get(number).cloned()
    }

    /// The progress of an order.
    pub fn progress_of(&self, number: &str) -> Option<i32> {
        self.shared.lock().orders.get(number).map(|o| o.progress)
    }

    /// How many orders are at each progress, by its label (注文確認待ち …).
    pub fn status_counts(&self) -> BTreeMap<String, usize> {
        self.shared.status_counts()
    }

    /// The buyer cancels an order: it becomes 900 キャンセル確定.
    pub fn cancel(&self, number: &str) -> bool {
        api::cancel(&mut self.shared.lock(), number)
    }

    /// Moves an order to `progress` (e.g. 200 → 100 when Rakuten's review ends).
    pub fn set_progress(&self, number: &str, progress: i32) -> bool {
        match self.shared.lock().orders.get_mut(number) {
            Some(o) => {
                o.progress = progress;
                true
            }
            None => false,
        }
    }

    /// Makes the next `count` requests of `method` answer `status` (e.g. 500, 503).
    pub fn fail_next(&self, method: Method, count: u32, status: u16) {
        self.shared.lock().faults.fail_next(method, count, status);
    }

    /// The next `count` requests of `method` are applied in full, and then answered with an HTML
    /// page instead of JSON: the client cannot know that the mall did the work.
    pub fn garble_next_answers(&self, method: Method, count: u32) {
        self.shared
            .lock()
            .faults
            .lose_next(method, count, LostAnswer::Html);
    }

    /// How many authenticated requests reached `method` (including failed ones).
    pub fn request_count(&self, method: Method) -> u32 {
        self.shared.lock().calls.requests(method)
    }

    /// How many calls about each order reached `method` (past auth and the rate limit),
    /// whatever they did.
    pub fn calls_per_order(&self, method: Method) -> BTreeMap<String, u32> {
        self.shared.lock().calls.per_order(method)
    }

    /// How many requests were refused with 429.
    pub fn rate_limited_count(&self) -> u32 {
        self.shared.lock().rate.refused()
    }

    /// How many requests were refused for their credentials.
    pub fn auth_refused_count(&self) -> u32 {
        self.shared.lock().auth_refused
    }

    /// How many confirmations succeeded (an order confirmed twice would count twice).
    pub fn confirmed_ok(&self) -> u32 {
        self.shared.lock().confirmed_ok
    }

    /// How many parcels were added (not changed) by `updateOrderShipping`.
    pub fn parcels_added(&self) -> u32 {
        self.shared.lock().parcels_added
    }
}

impl MallEmulator for Emulator {
    fn mall_id(&self) -> &str {
        "rakuten"
    }

    fn url(&self) -> String {
        self.url()
    }

    fn shop_toml(&self) -> String {
        format!(
            r#"base_url = "{url}"
[shops.delivery_methods]
"宅配便" = "yamato"
"メール便" = "japanpost"
[shops.time_slots]         # Rakuten's shippingTerm: 1 = 午前中, 1416 = 14-16 …, 0 = 指定なし
"午前中" = "am"
"14-16" = "14-16"
"19-21" = "19-21"
"指定なし" = "none"
[shops.carrier_ids]        # your carrier -> Rakuten's deliveryCompany code
yamato = "1001"
sagawa = "1002"
japanpost = "1003"
[shops.credentials]        # a real shop: service_secret_env / license_key_env
service_secret = "{secret}"
license_key = "{key}"
license_key_expires = "2099-12-31"
"#,
            url = self.url(),
            secret = self.service_secret(),
            key = self.license_key(),
        )
    }

    fn add_plain_order(&self, n: u32, ordered_at: i64) -> String {
        self.add_plain_order(n, ordered_at)
    }

    fn is_taken(&self, number: &str) -> bool {
        self.progress_of(number).is_some_and(|p| p >= 300)
    }

    fn status_counts(&self) -> BTreeMap<String, usize> {
        self.status_counts()
    }
}
