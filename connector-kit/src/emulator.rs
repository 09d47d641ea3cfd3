//! The harness every mall emulator of the tests is built on (feature `emulator`: tests and
//! `mallhost demo` only, never a plugin): the server on loopback that stops when dropped, a
//! mall's rate limit, the faults a test injects (failed requests, answers lost after the work
//! was done), counters of every call per endpoint and per order whatever its effect, the
//! [`MallEmulator`] face the host's generic tests use, and the command-line protocol of an
//! emulator's binary ([`BinaryArgs`], [`announce`]), so a test can start any listed mall's
//! emulator knowing only its package.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::{IntoResponse, Response};

/// A running emulator's server on loopback. Dropping it stops the server. It counts every
/// request that reaches it, whatever its path, credentials or fate ([`Server::requests_seen`]),
/// test controls (`/_emulator/…`, `/control/…`) left out.
pub struct Server {
    addr: SocketAddr,
    seen: std::sync::Arc<std::sync::atomic::AtomicU64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    /// Serves `router` on `listen` (port 0 picks a free one), in the current tokio runtime.
    pub async fn start(listen: SocketAddr, router: Router) -> std::io::Result<Server> {
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = seen.clone();
        let router = router.layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let path = req.uri().path();
                if !path.starts_with("/_emulator/") && !path.starts_with("/control/") {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                next.run(req)
            },
        ));
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Server {
            addr,
            seen,
            shutdown: Some(tx),
        })
    }

    /// How many requests reached the server (test controls left out).
    pub fn requests_seen(&self) -> u64 {
        self.seen.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A mall's rate limit: per key (a credential, a seller), `rate` requests a second from a
/// bucket holding `rate`, refused beyond with the wait until the next token.
#[derive(Debug, Default)]
pub struct RateLimit {
    rate: Option<u32>,
    buckets: HashMap<String, (f64, Instant)>,
    refused: u32,
}

impl RateLimit {
    /// A limit of `rate` requests a second per key; `None` for none.
    pub fn new(rate: Option<u32>) -> RateLimit {
        RateLimit {
            rate,
            ..RateLimit::default()
        }
    }

    /// Lets a request of `key` through at `now`, or says how long until it would be.
    pub fn admit(&mut self, key: &str, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let rate = f64::from(rate.max(1));
        let (tokens, at) = self.buckets.entry(key.to_string()).or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(rate);
        *at = now;
        if *tokens < 1.0 {
            self.refused += 1;
            return Err(Duration::from_secs_f64((1.0 - *tokens) / rate));
        }
        *tokens -= 1.0;
        Ok(())
    }

    /// How many requests it refused.
    pub fn refused(&self) -> u32 {
        self.refused
    }
}

/// How an applied request's answer is lost (see [`Faults::lose_next`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostAnswer {
    /// A 500 with an error body, as a proxy or a crashed front end would send.
    ServerError,
    /// The answer starts, then the connection breaks off mid-body.
    Truncated,
    /// A 200 whose body is an HTML page, not the API's format.
    Html,
}

/// The answer `body` (of `content_type`) lost as `how` says; `server_error` is the 500's body.
pub fn lost_answer(
    how: LostAnswer,
    body: Vec<u8>,
    content_type: &'static str,
    server_error: String,
) -> Response {
    match how {
        LostAnswer::ServerError => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", content_type)],
            server_error,
        )
            .into_response(),
        LostAnswer::Html => (
            axum::http::StatusCode::OK,
            [("content-type", "text/html")],
            "<html><body><h1>Maintenance</h1></body></html>",
        )
            .into_response(),
        LostAnswer::Truncated => {
            let half = body[..body.len() / 2].to_vec();
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                vec![Ok(half), Err(std::io::Error::other("connection lost"))];
            axum::body::Body::from_stream(Ready(chunks.into_iter())).into_response()
        }
    }
}

/// A stream over ready items.
struct Ready<T>(std::vec::IntoIter<T>);

impl<T> Unpin for Ready<T> {}

impl<T: Send> futures_core::Stream for Ready<T> {
    type Item = T;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<T>> {
        std::task::Poll::Ready(self.0.next())
    }
}

/// Faults a test injects, per endpoint `E`: the next requests failing with a status (after some
/// answered normally), the next answers lost after the work was done.
#[derive(Debug)]
pub struct Faults<E> {
    fail: BTreeMap<E, (u32, u16)>,
    skip: BTreeMap<E, u32>,
    lose: BTreeMap<E, (u32, LostAnswer)>,
}

impl<E> Default for Faults<E> {
    fn default() -> Self {
        Faults {
            fail: BTreeMap::new(),
            skip: BTreeMap::new(),
            lose: BTreeMap::new(),
        }
    }
}

impl<E: Ord + Copy> Faults<E> {
    /// The next `count` requests to `e` answer `status`.
    pub fn fail_next(&mut self, e: E, count: u32, status: u16) {
        self.fail.insert(e, (count, status));
    }

    /// The next `ok` requests to `e` are answered normally, the `count` after them `status`.
    pub fn fail_after(&mut self, e: E, ok: u32, count: u32, status: u16) {
        self.skip.insert(e, ok);
        self.fail.insert(e, (count, status));
    }

    /// The status this request to `e` must fail with, if a fault is due (and counts it).
    pub fn failure(&mut self, e: E) -> Option<u16> {
        if let Some(skip) = self.skip.get_mut(&e)
            && *skip > 0
        {
            *skip -= 1;
            return None;
        }
        match self.fail.get_mut(&e) {
            Some((left, status)) if *left > 0 => {
                *left -= 1;
                Some(*status)
            }
            _ => None,
        }
    }

    /// The next `count` requests to `e` are applied, then their answer is lost as `how` says.
    pub fn lose_next(&mut self, e: E, count: u32, how: LostAnswer) {
        self.lose.insert(e, (count, how));
    }

    /// How this applied request's answer is lost, if a loss is due (and counts it).
    pub fn loss(&mut self, e: E) -> Option<LostAnswer> {
        match self.lose.get_mut(&e) {
            Some((left, how)) if *left > 0 => {
                *left -= 1;
                Some(*how)
            }
            _ => None,
        }
    }
}

/// Every call a mall received, per endpoint and per (endpoint, order), whatever its effect:
/// refused, failed, repeated or applied. What "taken once" and "sent once" are proved on.
#[derive(Debug)]
pub struct CallCounts<E> {
    requests: BTreeMap<E, u32>,
    per_order: BTreeMap<E, BTreeMap<String, u32>>,
}

impl<E> Default for CallCounts<E> {
    fn default() -> Self {
        CallCounts {
            requests: BTreeMap::new(),
            per_order: BTreeMap::new(),
        }
    }
}

impl<E: Ord + Copy> CallCounts<E> {
    /// Counts a request to `e`.
    pub fn request(&mut self, e: E) {
        *self.requests.entry(e).or_default() += 1;
    }

    /// Counts a call about `order` at `e` (one per order a request names).
    pub fn order(&mut self, e: E, order: &str) {
        *self
            .per_order
            .entry(e)
            .or_default()
            .entry(order.to_string())
            .or_default() += 1;
    }

    /// Requests to `e`.
    pub fn requests(&self, e: E) -> u32 {
        self.requests.get(&e).copied().unwrap_or(0)
    }

    /// Calls about each order at `e`.
    pub fn per_order(&self, e: E) -> BTreeMap<String, u32> {
        self.per_order.get(&e).cloned().unwrap_or_default()
    }

    /// Calls about `order` at `e`.
    pub fn of(&self, e: E, order: &str) -> u32 {
        self.per_order
            .get(&e)
            .and_then(|m| m.get(order))
            .copied()
            .unwrap_or(0)
    }
}

/// A mall's emulator as the host's generic tests use it, knowing no mall.
pub trait MallEmulator: Send + Sync {
    /// The mall id its plugin declares.
    fn mall_id(&self) -> &str;
    /// The API's base URL.
    fn url(&self) -> String;
    /// The lines of a `[[shops]]` entry for a shop of this mall on this emulator, after `id`
    /// and `mall`: its `base_url`, settings, credentials, conversion tables and carrier ids.
    fn shop_toml(&self) -> String;
    /// Adds a plain, valid order `n` placed at `ordered_at` (UTC seconds); returns its number.
    fn add_plain_order(&self, n: u32, ordered_at: i64) -> String;
    /// Whether the mall holds `number` as taken (acknowledged by a client).
    fn is_taken(&self, number: &str) -> bool;
    /// How many orders are in each of the mall's statuses, by the mall's own words (test orders
    /// left out): what the demo shows before and after. Served at [`STATUS_PATH`].
    fn status_counts(&self) -> BTreeMap<String, usize>;
    /// Rows of the merchant's product master (item code, SKU code, name, price) that go with the
    /// demo orders, for a mall whose orders carry no product names.
    fn demo_products(&self) -> Vec<(String, String, String, i64)> {
        Vec::new()
    }
}

/// Where every emulator answers `GET` with its [`MallEmulator::status_counts`] as JSON (a test
/// control, not part of any mall's API).
pub const STATUS_PATH: &str = "/_emulator/status";

/// The answer at [`STATUS_PATH`].
pub fn status_answer(counts: BTreeMap<String, usize>) -> Response {
    axum::Json(counts).into_response()
}

/// The command line every emulator binary takes: `--listen ADDRESS` (default its own port;
/// `127.0.0.1:0` picks a free one), `--rate N` (requests a second, 0 for no limit; default the
/// mall's), `--empty` (no demo orders).
#[derive(Debug, Clone)]
pub struct BinaryArgs {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The rate limit, `None` for none.
    pub rate: Option<u32>,
    /// Load no demo orders.
    pub empty: bool,
    /// Arguments the harness does not know, for the emulator's own.
    pub rest: Vec<String>,
}

impl BinaryArgs {
    /// Reads the command line, with the emulator's defaults.
    pub fn parse(default_port: u16, default_rate: u32) -> Result<BinaryArgs, String> {
        Self::from(std::env::args().skip(1), default_port, default_rate)
    }

    /// Reads `args`, with the emulator's defaults.
    pub fn from(
        args: impl IntoIterator<Item = String>,
        default_port: u16,
        default_rate: u32,
    ) -> Result<BinaryArgs, String> {
        let mut out = BinaryArgs {
            listen: SocketAddr::from(([127, 0, 0, 1], default_port)),
            rate: (default_rate > 0).then_some(default_rate),
            empty: false,
            rest: Vec::new(),
        };
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            match a.as_str() {
                "--listen" => {
                    let v = args.next().ok_or("--listen needs an address")?;
                    out.listen = v
                        .parse()
                        .map_err(|e| format!("--listen {v:?} is not an address: {e}"))?;
                }
                "--rate" => {
                    let v = args.next().ok_or("--rate needs a number")?;
                    let n: u32 = v
                        .parse()
                        .map_err(|e| format!("--rate {v:?} is not a number: {e}"))?;
                    out.rate = (n > 0).then_some(n);
                }
                "--empty" => out.empty = true,
                _ => out.rest.push(a),
            }
        }
        Ok(out)
    }
}

impl BinaryArgs {
    /// The emulator's own options (`--name value` pairs among the arguments the harness does
    /// not know), or which one lacks its value.
    pub fn options(&self) -> Result<Vec<(&str, &str)>, String> {
        let mut out = Vec::new();
        let mut rest = self.rest.iter();
        while let Some(name) = rest.next() {
            let value = rest.next().ok_or_else(|| format!("{name} needs a value"))?;
            out.push((name.as_str(), value.as_str()));
        }
        Ok(out)
    }
}

/// The first line an emulator binary prints: where it listens, how many orders it seeded, the
/// shop entry that reaches it and the demo's product rows, as one JSON object after
/// `mallhost-emulator ` on standard output; then a line for people on standard error. A test or
/// the demo reads the first.
pub fn announce(emulator: &dyn MallEmulator, seeded: usize) {
    let line = serde_json::json!({
        "mall": emulator.mall_id(),
        "url": emulator.url(),
        "seeded": seeded,
        "shop_toml": emulator.shop_toml(),
        "products": emulator.demo_products(),
        "status_path": STATUS_PATH,
    });
    println!("mallhost-emulator {line}");
    // People read the second line on standard error: a caller may stop reading standard output
    // after the first.
    eprintln!(
        "{} emulator listening on {} ({seeded} demo orders)",
        emulator.mall_id(),
        emulator.url()
    );
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn until_stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_refuses_past_its_bucket_and_refills() {
        let mut r = RateLimit::new(Some(2));
        let t0 = Instant::now();
        assert!(r.admit("k", t0).is_ok());
        assert!(r.admit("k", t0).is_ok());
        let wait = r.admit("k", t0).unwrap_err();
        assert!(wait <= Duration::from_millis(500), "{wait:?}");
        assert!(r.admit("other", t0).is_ok(), "per key");
        assert!(r.admit("k", t0 + Duration::from_millis(600)).is_ok());
        assert_eq!(r.refused(), 1);
        assert!(RateLimit::new(None).admit("k", t0).is_ok());
    }

    #[test]
    fn faults_come_after_the_skipped_requests_and_run_out() {
        let mut f = Faults::default();
        f.fail_after('a', 1, 2, 503);
        assert_eq!(f.failure('a'), None);
        assert_eq!(f.failure('a'), Some(503));
        assert_eq!(f.failure('a'), Some(503));
        assert_eq!(f.failure('a'), None);
        f.lose_next('b', 1, LostAnswer::Html);
        assert_eq!(f.loss('b'), Some(LostAnswer::Html));
        assert_eq!(f.loss('b'), None);
    }

    #[test]
    fn calls_are_counted_per_order_whatever_they_did() {
        let mut c = CallCounts::default();
        c.request('t');
        c.order('t', "A");
        c.order('t', "A");
        c.order('t', "B");
        assert_eq!(c.requests('t'), 1);
        assert_eq!(c.of('t', "A"), 2);
        assert_eq!(c.per_order('t').len(), 2);
        assert_eq!(c.of('p', "A"), 0);
    }

    #[test]
    fn the_binary_arguments_read_with_defaults() {
        let a = BinaryArgs::from(
            ["--listen", "127.0.0.1:0", "--rate", "0", "--seller", "x"].map(String::from),
            8089,
            2,
        )
        .unwrap();
        assert_eq!(a.listen.port(), 0);
        assert_eq!(a.rate, None);
        assert_eq!(a.rest, vec!["--seller", "x"]);
        assert_eq!(a.options(), Ok(vec![("--seller", "x")]));
        let odd = BinaryArgs::from(["--seller".to_string()], 1, 1).unwrap();
        assert!(odd.options().unwrap_err().contains("--seller"));
        let d = BinaryArgs::from(Vec::<String>::new(), 8089, 2).unwrap();
        assert_eq!((d.listen.port(), d.rate, d.empty), (8089, Some(2), false));
        assert!(BinaryArgs::from(["--rate".to_string()], 1, 1).is_err());
    }
}
