//! A hostile plugin in the same host as the d Shopping plugin: every misbehaviour is stopped
//! with an error naming the plugin, its version, the call and the limit, and the well-behaved
//! plugin (and the next call of the hostile one) keeps working.

use std::time::Duration;

use mallhost::config::ShopConfig;
use mallhost::connector::Window;
use mallhost::runtime::CallError;
use mallhost::time::Clock as _;
use mallhost_tests::{Options, TestEnv, hostile_plugin_path, write_plugin};

const LIMITS: &str =
    "[limits]\nmemory_mib = 16\ncpu_ms = 300\ncall_timeout_secs = 2\nmax_return_mib = 1\n";

async fn env_with_hostile() -> TestEnv {
    let env = TestEnv::start(Options::default()).await;
    let bytes = std::fs::read(hostile_plugin_path()).unwrap();
    let wasm = write_plugin(
        env.dir.path(),
        "hostile",
        &bytes,
        "hostile",
        "6.6.6",
        None,
        LIMITS,
    );
    let p = env.runtime.load_file(&wasm).await.unwrap();
    assert_eq!(p.info().label(), "hostile@6.6.6");
    assert_eq!(
        p.limits().cpu_time,
        Duration::from_millis(300),
        "limits come from the manifest"
    );
    env
}

fn shop(env: &TestEnv, behaviour: &str, base_url: &str, private_ok: bool) -> ShopConfig {
    let mut s = env.shop().clone();
    s.id = behaviour.into();
    s.mall = "hostile".into();
    s.base_url = base_url.into();
    s.allowed_origins = vec![
        url::Url::parse(base_url)
            .unwrap()
            .origin()
            .ascii_serialization(),
    ];
    s.allow_private_network = private_ok;
    s
}

fn window(env: &TestEnv) -> Window {
    let now = env.clock.now();
    Window {
        start: now - chrono::Duration::days(1),
        end: now,
    }
}

/// The hostile call's error, after checking the d Shopping plugin still works.
async fn hostile_fetch(env: &TestEnv, shop: &ShopConfig) -> CallError {
    hostile_fetch_seen(env, shop).await.0
}

/// [`hostile_fetch`], with how many requests reached the d Shopping emulator (any path) during
/// the hostile call itself.
async fn hostile_fetch_seen(env: &TestEnv, shop: &ShopConfig) -> (CallError, u64) {
    let before = env.dshopping().requests_seen();
    let err = env
        .runtime
        .connector(shop)
        .fetch_orders(window(env), None)
        .await
        .unwrap_err();
    let seen = env.dshopping().requests_seen() - before;
    let text = err.to_string();
    assert!(
        text.contains("hostile@6.6.6") && text.contains("fetch-orders"),
        "names plugin, version, call: {text}"
    );
    // The well-behaved plugin in the same host goes on.
    let n = env
        .dshopping()
        .add_plain_order(rand_n(&text), env.clock.now().timestamp() - 3600);
    let r = env.fetch().await;
    assert!(
        r.ingested.stored.contains(&n),
        "d Shopping still works after {text}"
    );
    // And the next call of the hostile plugin works.
    let ok = self::shop(env, "ok", "https://ok.example", false);
    assert!(
        env.runtime
            .connector(&ok)
            .fetch_orders(window(env), None)
            .await
            .is_ok()
    );
    (err, seen)
}

fn rand_n(s: &str) -> u32 {
    s.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 1_000_000
}

#[tokio::test]
async fn an_endless_loop_is_stopped_by_the_cpu_limit() {
    let env = env_with_hostile().await;
    let e = hostile_fetch(&env, &shop(&env, "loop", "https://x.example", false)).await;
    assert!(matches!(e, CallError::Fault { .. }));
    assert!(
        e.to_string().contains("CPU time limit of 300 ms exceeded"),
        "{e}"
    );
}

#[tokio::test]
async fn a_memory_bomb_hits_the_memory_limit() {
    let env = env_with_hostile().await;
    let e = hostile_fetch(&env, &shop(&env, "bomb", "https://x.example", false)).await;
    assert!(
        e.to_string().contains("memory limit of 16 MiB exceeded"),
        "{e}"
    );
    assert!(
        !e.to_string().contains("wasm backtrace") && e.to_string().len() < 800,
        "the operator gets the cause, not the plugin's frames: {e}"
    );
}

#[tokio::test]
async fn a_trap_fails_only_that_call() {
    let env = env_with_hostile().await;
    let e = hostile_fetch(&env, &shop(&env, "trap", "https://x.example", false)).await;
    assert!(e.to_string().contains("trapped"), "{e}");
    // What the plugin wrote to stderr before it died (its panic message) comes with the error,
    // escaped, once.
    let text = e.to_string();
    assert!(
        text.contains("the plugin wrote:") && text.contains("hostile plugin: trap on purpose"),
        "{text}"
    );
    assert_eq!(text.matches("trap on purpose").count(), 1, "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[tokio::test]
async fn requests_to_hosts_not_allowed_are_denied_by_name_and_by_address() {
    let env = env_with_hostile().await;
    let e = hostile_fetch(
        &env,
        &shop(&env, "evil-name", "https://api.mall.example", false),
    )
    .await
    .to_string();
    assert!(
        e.contains("REFUSED")
            && e.contains("https://evil.example")
            && e.contains("allowed_origins"),
        "{e}"
    );
    // Its own base URL, but an internal address the shop did not allow.
    let (e, seen) =
        hostile_fetch_seen(&env, &shop(&env, "evil-ip", &env.dshopping().url(), false)).await;
    let e = e.to_string();
    assert_eq!(seen, 0, "nothing of the hostile call reached the mall");
    assert!(
        e.contains("127.0.0.1")
            && e.contains("internal address")
            && e.contains("allow_private_network"),
        "{e}"
    );
    assert_eq!(
        env.dshopping()
            .request_count(dshopping_emulator::Endpoint::SearchOrders),
        2,
        "only d Shopping's own requests arrived"
    );
}

#[tokio::test]
async fn a_huge_return_is_refused() {
    let env = env_with_hostile().await;
    let e = hostile_fetch(&env, &shop(&env, "huge", "https://x.example", false))
        .await
        .to_string();
    assert!(e.contains("more than the limit of 1048576 bytes"), "{e}");
}

#[tokio::test]
async fn files_and_the_environment_are_out_of_reach() {
    let env = env_with_hostile().await;
    let e = hostile_fetch(&env, &shop(&env, "files", "https://x.example", false))
        .await
        .to_string();
    assert!(e.contains("PROBE"), "{e}");
    assert!(
        e.contains("file=Err(") && e.contains("dir=Err("),
        "no file system: {e}"
    );
    assert!(
        e.contains("env=None") && e.contains("vars=0"),
        "no environment: {e}"
    );
}

#[tokio::test]
async fn a_host_call_that_never_returns_is_cut_by_the_call_timeout() {
    let env = env_with_hostile().await;
    // A server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let started = std::time::Instant::now();
    let e = hostile_fetch(&env, &shop(&env, "sleep", &url, true))
        .await
        .to_string();
    assert!(e.contains("call timeout of 2 s exceeded"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_calls_than_instance_slots_wait_for_a_slot_instead_of_failing() {
    let env = env_with_hostile().await;
    // A server that answers every request after 150 ms, so each call holds its instance
    // while it waits in a host call.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let _server = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                tokio::time::sleep(Duration::from_millis(150)).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    let calls = mallhost::runtime::MAX_CONCURRENT_CALLS * 2 + 10;
    let shop = shop(&env, "sleep", &url, true);
    let started = std::time::Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..calls {
        let runtime = env.runtime.clone();
        let shop = shop.clone();
        let window = window(&env);
        set.spawn(async move {
            runtime
                .connector(&shop)
                .fetch_orders(window, None)
                .await
                .unwrap_err()
        });
    }
    let mut answered = 0;
    while let Some(r) = set.join_next().await {
        let e = r.unwrap().to_string();
        // Each call reached the server and got its answer: none ran out of instance slots.
        assert!(e.contains("SENT") && e.contains("status 200"), "{e}");
        answered += 1;
    }
    assert_eq!(answered, calls);
    // Three waves of at most MAX_CONCURRENT_CALLS calls, 150 ms each.
    assert!(
        started.elapsed() >= Duration::from_millis(3 * 150),
        "the calls beyond the pool waited: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_trap_while_mapping_fails_only_the_order_that_caused_it() {
    // Page 1 holds good-1, trap and good-2; page 2 holds good-3. Mapping `trap` panics the
    // plugin: that order is reported with the trap, left untaken, and every other order of
    // both pages is stored and taken.
    let env = env_with_hostile().await;
    let mut s = shop(&env, "mixed", "https://x.example", false);
    s.time_slots.clear();
    let syncer = env.syncer();
    let r = syncer.fetch(&s, window(&env)).await.unwrap();
    assert_eq!(r.pages, 2);
    let mut stored = r.ingested.stored.clone();
    stored.sort();
    assert_eq!(stored, vec!["good-1", "good-2", "good-3"], "{r:?}");
    assert_eq!(r.invalid.len(), 1, "{r:?}");
    assert_eq!(r.invalid[0].mall_order_number, "trap");
    assert!(
        r.invalid[0].message.contains("hostile@6.6.6") && r.invalid[0].message.contains("trap"),
        "{:?}",
        r.invalid[0]
    );
    let mut taken = r.take.taken.clone();
    taken.sort();
    assert_eq!(taken, vec!["good-1", "good-2", "good-3"]);
    // The next run meets it again, and again only it fails.
    let again = syncer.fetch(&s, window(&env)).await.unwrap();
    assert_eq!(again.invalid.len(), 1);
    assert_eq!(again.ingested.already_stored.len(), 3);
}

#[tokio::test]
async fn an_order_whose_money_does_not_add_up_is_refused_by_the_host_naming_the_field() {
    // Whatever the plugin and its contract version, the host checks every order once.
    let env = env_with_hostile().await;
    let mut s = shop(&env, "money", "https://x.example", false);
    s.time_slots.clear();
    let r = env.syncer().fetch(&s, window(&env)).await.unwrap();
    assert_eq!(r.ingested.stored, vec!["good-1"], "{r:?}");
    assert_eq!(r.invalid.len(), 1, "{r:?}");
    let why = &r.invalid[0];
    assert_eq!(why.mall_order_number, "bad-total-1");
    assert!(
        why.message.contains("billing-total") && why.message.contains("999"),
        "{why:?}"
    );
    assert!(
        r.take.taken == vec!["good-1"],
        "the refused one is not taken: {r:?}"
    );
}

#[tokio::test]
async fn every_call_starts_from_a_fresh_instance() {
    // The plugin counts its calls in a static: on a fresh instance per call it always reads 1.
    let env = env_with_hostile().await;
    let s = shop(&env, "counter", "https://x.example", false);
    for _ in 0..3 {
        let e = env
            .runtime
            .connector(&s)
            .fetch_orders(window(&env), None)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("the mall answered COUNT: 1"),
            "state carried over between calls: {e}"
        );
    }
}

#[tokio::test]
async fn text_from_a_plugin_is_capped_and_escaped_and_its_log_has_a_budget() {
    let env = env_with_hostile().await;
    // A 900 KiB error with a forged log line and a terminal escape.
    let e = hostile_fetch(&env, &shop(&env, "huge-error", "https://x.example", false))
        .await
        .to_string();
    assert!(e.len() < 6 * 1024, "capped: {} bytes", e.len());
    assert!(e.contains("more bytes cut]"), "says it was cut");
    assert!(
        !e.contains('\n') && !e.contains('\x1b'),
        "no line or escape of its own: {}",
        &e[..200]
    );
    assert!(
        e.contains("\\n2026-11-29 INFO") && e.contains("\\u{1b}[2J"),
        "escaped, kept"
    );
    // 20,000 log lines with forged line breaks: the call ends, within its budget.
    let started = std::time::Instant::now();
    let e = hostile_fetch(&env, &shop(&env, "log-flood", "https://x.example", false))
        .await
        .to_string();
    assert!(e.contains("FLOODED"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_header_no_request_may_carry_is_refused_naming_it_and_never_sent() {
    let env = env_with_hostile().await;
    let (e, seen) = hostile_fetch_seen(
        &env,
        &shop(&env, "crlf-header", &env.dshopping().url(), true),
    )
    .await;
    let e = e.to_string();
    assert!(e.contains("InvalidRequest") && e.contains("x-evil"), "{e}");
    assert_eq!(seen, 0, "the request never reached the mall, on any path");
}

#[tokio::test]
async fn internal_addresses_hidden_in_ipv6_or_special_ranges_are_refused() {
    let env = env_with_hostile().await;
    for base in [
        "http://[::7f00:1]:8089",
        "http://[::ffff:0:7f00:1]:8089",
        "http://[64:ff9b::7f00:1]:8089",
        "http://[2002:7f00:1::]:8089",
        "http://198.18.0.1",
        "http://240.0.0.1",
        "http://192.0.0.8",
    ] {
        let e = hostile_fetch(&env, &shop(&env, "evil-ip", base, false))
            .await
            .to_string();
        assert!(e.contains("internal address"), "{base}: {e}");
    }
}

#[tokio::test]
async fn a_proxy_in_the_environment_never_carries_plugin_traffic() {
    let env = TestEnv::start(Options::default()).await;
    // A "proxy" that counts who connects to it.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_addr = proxy.local_addr().unwrap();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((_s, _)) = proxy.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    // The shop names its mall by a name that resolves to loopback, not allowed for it.
    let config = std::fs::read_to_string(env.dir.path().join("mallhost.toml")).unwrap();
    let port = env.dshopping().addr().port();
    let config = config
        .replace(
            &format!("http://127.0.0.1:{port}"),
            &format!("http://localhost:{port}"),
        )
        .replace(
            "allow_private_network = true",
            "allow_private_network = false",
        );
    std::fs::write(env.dir.path().join("mallhost.toml"), config).unwrap();
    let proxy_url = format!("http://{proxy_addr}");
    let out = env
        .cli_command(&["fetch", "--shop", "dshop"])
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("internal addresses"),
        "the name was checked: {err}"
    );
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing went through the proxy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_beyond_the_instance_pool_wait_their_turn_instead_of_failing() {
    let env = TestEnv::start(Options::default()).await;
    let plugin = env.runtime.plugin("dshopping").unwrap();
    let f = plugin.footprint();
    assert!(
        (2..=4).contains(&f.core_instances) && f.memories >= 1,
        "the core instances a call instantiates are counted, not the bundles of exports: {f:?}"
    );
    // Three times as many calls at once as the pool has slots: every one completes.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..mallhost::runtime::MAX_CONCURRENT_CALLS * 3 {
        let (runtime, shop) = (env.runtime.clone(), env.shop().clone());
        calls.spawn(async move {
            runtime
                .connector(&shop)
                .map_orders(&[])
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    }
    let mut failed = Vec::new();
    while let Some(r) = calls.join_next().await {
        if let Err(e) = r.expect("the task ran") {
            failed.push(e);
        }
    }
    assert!(
        failed.is_empty(),
        "{} failed, e.g. {:?}",
        failed.len(),
        failed.first()
    );
}
