//! Sandbox, round two: a hostile contract 0.2.0 plugin (`tests/plugins/hostile-v2`, mall
//! `hostile2`) tries what 0.2.0 lets a plugin try, each attack a test — a secret the mall
//! echoes, auth headers that carry no credential, `sign` as an oracle, money that wraps and
//! numbers out of range, terminal codes in what the operator reads, paging forever, states for
//! orders not asked, declarations and pages too large, and an `info` that traps or spins after
//! it installed well. The d Shopping shop of the same host keeps working throughout.

use mallhost::config::{Config, ShopConfig, SyncPolicy};
use mallhost::connector::Window;
use mallhost::sync::{SyncError, Syncer};
use mallhost::time::Clock as _;
use mallhost_tests::{Options, TestEnv, first_pass, hostile_v2_plugin_path, write_plugin};

const PASSWORD: &str = "hunter2-v2-pass";
const PARTNER: &str = "P0042";
/// Room for the huge declarations, time for the slow one.
const LIMITS: &str =
    "[limits]\nmemory_mib = 256\ncpu_ms = 60000\ncall_timeout_secs = 60\nmax_return_mib = 64\n";

/// A mall that echoes every request header, in its body and in an `x-echo` header.
async fn echo_mall() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(|h: axum::http::HeaderMap| async move {
        let all: Vec<String> = h
            .iter()
            .map(|(k, v)| format!("{k}={}", v.to_str().unwrap_or("")))
            .collect();
        let id = h
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        ([("x-echo", id)], all.join(" | "))
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

struct Hostile2 {
    env: TestEnv,
    mall: String,
    wasm: std::path::PathBuf,
}

impl Hostile2 {
    /// The test environment with `hostile2` written beside it (not loaded), its shops appended
    /// to the config file.
    async fn start() -> Hostile2 {
        let env = TestEnv::start(Options::default()).await;
        let mall = echo_mall().await;
        let bytes = std::fs::read(hostile_v2_plugin_path()).unwrap();
        let wasm = write_plugin(
            env.dir.path(),
            "hostile2",
            &bytes,
            "hostile2",
            "2.6.6",
            None,
            LIMITS,
        );
        let h = Hostile2 { env, mall, wasm };
        let shops: String = [
            "echo",
            "sign",
            "money",
            "control",
            "cursor-same",
            "cursor-next",
            "errors",
            "states",
            "skipped-flood",
        ]
        .iter()
        .map(|id| h.shop_toml(id))
        .collect();
        let path = h.env.dir.path().join("mallhost.toml");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&shops);
        std::fs::write(&path, text).unwrap();
        h
    }

    fn shop_toml(&self, id: &str) -> String {
        format!(
            "\n[[shops]]\nid = \"{id}\"\nmall = \"hostile2\"\nbase_url = \"{mall}\"\n\
             stored_status = \"awaiting_shipment\"\nfetch_days = 7\nallow_private_network = true\n\
             pace = \"off\"\n[shops.settings]\npartner_code = \"{PARTNER}\"\n\
             [shops.credentials]\napi_password = \"{PASSWORD}\"\nsigning_key_file = \"{key}\"\n",
            mall = self.mall,
            key = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("support/signing-key.pem")
                .display(),
        )
    }

    /// The shop `id` as the library reads it.
    fn shop(&self, id: &str) -> ShopConfig {
        let c = Config::parse(&self.shop_toml(id), self.env.dir.path(), &|_| None).unwrap();
        c.shops[0].clone()
    }

    /// Loads the plugin into the test's runtime (at the clock's instant).
    async fn load(&self) {
        let p = self.env.runtime.load_file(&self.wasm).await.unwrap();
        assert_eq!(p.info().label(), "hostile2@2.6.6");
    }

    /// Installs it with the CLI, into the environment's plugins folder.
    async fn install(&self) -> (bool, String, String) {
        self.env
            .cli(&["plugins", "install", &self.wasm.display().to_string()])
            .await
    }

    fn window(&self) -> Window {
        let now = self.env.clock.now();
        Window {
            start: now - chrono::Duration::days(1),
            end: now,
        }
    }

    /// The error a fetch of shop `id` ends in.
    async fn fetch_error(&self, id: &str) -> String {
        let shop = self.shop(id);
        match self
            .env
            .runtime
            .connector(&shop)
            .fetch_orders(self.window(), None)
            .await
        {
            Ok(_) => panic!("{id}: the fetch was expected to fail"),
            Err(e) => e.to_string(),
        }
    }

    fn at(&self, unix: i64) {
        self.env
            .clock
            .set(chrono::DateTime::from_timestamp(unix, 0).unwrap());
    }
}

/// No raw control character but line breaks.
fn assert_no_control(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "{what} holds raw {bad:?}:\n{text}");
}

#[tokio::test]
async fn a_secret_the_mall_echoes_reaches_neither_the_plugin_nor_a_log() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    h.load().await;
    // In the library: the error carries what the plugin read (and wrote), masked.
    let e = h.fetch_error("echo").await;
    assert!(
        e.contains("x-request-id=********"),
        "the echo came back: {e}"
    );
    assert!(
        e.contains("the plugin wrote:"),
        "the output's tail is on a connector error: {e}"
    );
    use base64::Engine as _;
    let forms = [
        PASSWORD.to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("{PARTNER}:{PASSWORD}")),
        base64::engine::general_purpose::STANDARD.encode(PASSWORD),
    ];
    for f in &forms {
        assert!(!e.contains(f.as_str()), "{f} in {e}");
    }
    // Through the CLI at trace level: not on stdout, not in the log, not in job_runs.
    let (ok, _, err) = h.install().await;
    assert!(ok, "{err}");
    let (ok, out, err) = h
        .env
        .cli_logging(&["fetch", "--shop", "echo"], "trace")
        .await;
    assert!(!ok, "the echo shop's fetch fails: {out}");
    assert!(err.contains("********"), "{err}");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT COALESCE(error, '') FROM job_runs WHERE shop_id = 'echo'")
            .fetch_all(h.env.store.pool())
            .await
            .unwrap();
    assert!(stored.iter().any(|e| e.contains("********")), "{stored:?}");
    for f in &forms {
        for (what, text) in [
            ("stdout", &out),
            ("stderr", &err),
            ("job_runs", &stored.join("\n")),
        ] {
            assert!(!text.contains(f.as_str()), "{f} in {what}: {text}");
        }
    }
}

#[tokio::test]
async fn auth_headers_that_carry_no_credential_are_refused_at_install() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    for (at, header, why) in [
        (
            1_902_000_000,
            "transfer-encoding",
            "auth header \"transfer-encoding\"",
        ),
        (
            1_907_000_000,
            "host",
            "OAuth 2 token placement: auth header \"host\"",
        ),
    ] {
        h.at(at);
        let (ok, _, err) = h.install().await;
        assert!(!ok, "{header} installed");
        assert!(
            err.contains(why) && err.contains("cannot carry a credential"),
            "{header}: {err}"
        );
    }
}

#[tokio::test]
async fn sign_signs_only_the_declared_template() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    h.load().await;
    let e = h.fetch_error("sign").await;
    assert!(e.contains("year-ahead=refused("), "{e}");
    assert!(e.contains("jwt=refused("), "{e}");
    assert!(
        e.contains("fair=signed"),
        "the template itself is signed: {e}"
    );
    assert!(
        e.contains("{<plain setting>}:{unix_time}"),
        "the refusal names it: {e}"
    );
}

#[tokio::test]
async fn numbers_that_wrap_or_leave_their_range_are_refused_order_by_order() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    h.load().await;
    let shop = h.shop("money");
    let page = h
        .env
        .runtime
        .connector(&shop)
        .fetch_orders(h.window(), None)
        .await
        .unwrap();
    let result = |n: &str| {
        page.orders
            .iter()
            .find(|(number, _)| number == n)
            .map(|(_, r)| r.as_ref().map(|_| ()).map_err(|e| e.to_string()))
            .unwrap_or_else(|| panic!("{n} not on the page"))
    };
    assert_eq!(result("money-ok"), Ok(()));
    for (n, field) in [
        ("money-wrap", "`fees`"),
        (
            "money-negative-price",
            "`deliveries[0].lines[0].unit-price`",
        ),
        ("money-quantity-0", "`deliveries[0].lines[0].quantity`"),
        ("money-tax-99", "`deliveries[0].lines[0].tax-rate`"),
        ("money-items-total", "`items-total`"),
        ("money-year-9999", "`ordered-at`"),
    ] {
        let e = result(n).unwrap_err();
        assert!(e.contains(field), "{n}: {e}");
    }
    // A fetch stores the good one and names each refused one.
    let report = h.env.syncer().fetch(&shop, h.window()).await.unwrap();
    assert_eq!(report.ingested.stored, vec!["money-ok".to_string()]);
    assert_eq!(report.invalid.len(), 6, "{:?}", report.invalid);
}

#[tokio::test]
async fn terminal_codes_never_reach_the_terminal_or_the_log() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    let (ok, _, err) = h.install().await;
    assert!(ok, "{err}");
    let (_, out, err) = h.env.cli(&["fetch", "--shop", "control"]).await;
    assert_no_control("fetch's output", &out);
    assert_no_control("fetch's log", &err);
    assert!(
        !err.lines()
            .any(|l| l.starts_with("2026-12-06T00:00:00Z  INFO forged")),
        "a forged log line: {err}"
    );
    assert!(
        err.contains("control-err\\n2026"),
        "the number is there, escaped: {err}"
    );
    let (ok, out, err) = h.env.cli(&["orders", "list", "--shop", "control"]).await;
    assert!(ok && out.contains("control-ok"), "{out}{err}");
    assert_no_control("orders list", &out);
    let (ok, out, err) = h
        .env
        .cli(&["orders", "show", "--shop", "control", "control-ok"])
        .await;
    assert!(ok, "{err}");
    assert_no_control("orders show", &out);
    assert!(out.contains("\\u{1b}]0;pwned\\u{7}Evil\\rName"), "{out}");
    assert!(
        out.contains("line one\\n2026-12-06"),
        "the note's line break is escaped: {out}"
    );
    // The number with terminal codes was refused as an identifier, not stored.
    let (_, out, _) = h
        .env
        .cli(&["--json", "orders", "list", "--shop", "control"])
        .await;
    assert!(!out.contains("control-\\u001b"), "{out}");
}

#[tokio::test]
async fn an_info_that_traps_later_turns_off_its_mall_alone_until_removed() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    let (ok, _, err) = h.install().await;
    assert!(ok, "installed while its info is fair: {err}");
    // Later its info traps.
    h.at(1_960_000_000);
    let (ok, out, err) = h.env.cli(&["plugins"]).await;
    assert!(ok, "plugins lists what there is: {err}");
    assert!(out.contains("dshopping"), "{out}");
    assert!(
        out.contains("hostile2 — OFF") && out.contains("info traps on purpose"),
        "{out}"
    );
    let (ok, out, err) = h.env.cli(&["shops"]).await;
    assert!(ok && out.contains("dshop"), "{out}{err}");
    let (ok, _, err) = h.env.cli(&["fetch", "--shop", "dshop"]).await;
    assert!(ok, "another mall's shop fetches: {err}");
    // `serve` starts (it says where its admin API is) and answers.
    let config = h.env.dir.path().join("mallhost.toml");
    let (serve, admin) = h.env.serve_with_admin(&config).await;
    let health = reqwest::get(format!("{admin}/plugins")).await.unwrap();
    assert!(health.status().is_success(), "{}", health.status());
    // The admin API lists the OFF mall with why, not only the active ones.
    let list: serde_json::Value = serde_json::from_str(&health.text().await.unwrap()).unwrap();
    let off = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["mall"] == "hostile2")
        .unwrap_or_else(|| panic!("hostile2 listed: {list}"));
    assert!(
        off["off"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("info traps on purpose")),
        "{off}"
    );
    drop(serve);
    let (ok, _, err) = h.env.cli(&["fetch", "--shop", "echo"]).await;
    assert!(
        !ok && err.contains("is off") && err.contains("plugins remove"),
        "{err}"
    );
    // Nothing to roll back to: the error says how to take it out; then it is out.
    let (ok, _, err) = h
        .env
        .cli(&["plugins", "rollback", "--mall", "hostile2"])
        .await;
    assert!(
        !ok && err.contains("plugins remove --mall hostile2"),
        "{err}"
    );
    let (ok, out, err) = h
        .env
        .cli(&["plugins", "remove", "--mall", "hostile2"])
        .await;
    assert!(ok, "{err}");
    assert!(out.contains("mall hostile2: plugin taken out"), "{out}");
    let (ok, out, err) = h.env.cli(&["plugins"]).await;
    assert!(ok && !out.contains("hostile2"), "{out}{err}");
}

#[tokio::test]
async fn a_slow_info_is_stopped_by_its_own_budget() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    let (ok, _, err) = h.install().await;
    assert!(ok, "{err}");
    // Its manifest allows 60 s a call; its info now spins.
    h.at(1_940_000_000);
    let (ok, out, err) = h.env.cli(&["plugins"]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("hostile2 — OFF") && out.contains("info") && out.contains("5 s"),
        "stopped at the info budget of 5 s, not the call's 60: {out}"
    );
}

#[tokio::test]
async fn paging_stops_at_a_repeated_cursor_and_at_the_page_cap() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    h.load().await;
    let policy = SyncPolicy {
        max_pages_per_run: 40,
        ..h.env.config.sync.clone()
    };
    let clock: mallhost::time::SharedClock = h.env.clock.clone();
    let syncer = Syncer::new(&h.env.store, &h.env.runtime, clock, policy);
    let stop = |r: Result<mallhost::sync::FetchReport, SyncError>| match r {
        Ok(report) => panic!("paged to an end: {} pages", report.pages),
        Err(e) => e.to_string(),
    };
    let e = stop(syncer.fetch(&h.shop("cursor-same"), h.window()).await);
    assert!(
        e.contains("page 2 handed back a cursor an earlier page"),
        "{e}"
    );
    let e = stop(syncer.fetch(&h.shop("cursor-next"), h.window()).await);
    assert!(
        e.contains("read 40 pages") && e.contains("max_pages_per_run"),
        "{e}"
    );
    // Each run is on record with its reason.
    let errors: Vec<String> = sqlx::query_scalar(
        "SELECT COALESCE(error, '') FROM job_runs WHERE shop_id LIKE 'cursor-%' ORDER BY shop_id",
    )
    .fetch_all(h.env.store.pool())
    .await
    .unwrap();
    assert!(errors[0].contains("read 40 pages"), "{errors:?}");
    assert!(errors[1].contains("handed back a cursor"), "{errors:?}");
}

#[tokio::test]
async fn states_for_orders_not_asked_are_dropped() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    h.load().await;
    let shop = h.shop("states");
    let asked = vec!["states-1".to_string(), "states-2".to_string()];
    let got = h
        .env
        .runtime
        .connector(&shop)
        .order_states(&asked)
        .await
        .unwrap();
    let numbers: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(numbers, vec!["states-2"], "never-asked is dropped");
}

#[tokio::test]
async fn declarations_and_pages_past_their_caps_are_refused() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    for (at, why) in [
        (
            1_915_000_000,
            "the mall name (bytes) is 999999; at most 200",
        ),
        (
            1_925_000_000,
            "the number of settings is 20003; at most 100",
        ),
    ] {
        h.at(at);
        let e = h
            .env
            .runtime
            .load_file(&h.wasm)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{e}");
    }
    h.at(mallhost_tests::default_now().timestamp());
    h.load().await;
    let e = h.fetch_error("skipped-flood").await;
    assert!(
        e.contains("80000 orders and skipped entries in one page; at most 10000"),
        "{e}"
    );
}

#[tokio::test]
async fn many_failed_orders_make_a_few_log_lines() {
    if !first_pass("the hostile 0.2.0 plugin") {
        return;
    }
    let h = Hostile2::start().await;
    let (ok, _, err) = h.install().await;
    assert!(ok, "{err}");
    let (_, _, err) = h.env.cli(&["fetch", "--shop", "errors"]).await;
    let per_order = err.lines().filter(|l| l.contains("not stored: ")).count();
    assert_eq!(per_order, 20, "{err}");
    assert!(
        err.contains("4980 more orders not stored in this run"),
        "{err}"
    );
    let shown = err.lines().count();
    assert!(shown < 60, "{shown} lines for one fetch");
}
