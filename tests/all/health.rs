//! Health and alerts, as an operator meets them: a shop whose mall keeps failing turns stale,
//! `GET /healthz` answers 503 and the webhook is told once; when the mall heals, `/healthz`
//! answers 200 and the webhook is told once more. `/metrics` and `mallhost status` say the same.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dshopping_emulator::Endpoint;
use mallhost_tests::{Options, TestEnv};

/// A webhook receiver on loopback: every JSON body it is sent.
async fn receiver() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let seen = seen.clone();
            async move {
                if let Ok(v) = serde_json::from_str(&body) {
                    seen.lock().unwrap().push(v);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

async fn healthz(admin: &str) -> (u16, serde_json::Value) {
    let r = reqwest::get(format!("{admin}/healthz")).await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

async fn until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let t = Instant::now();
    while !done().await {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_shop_turns_healthz_to_503_and_alerts_once_then_once_on_recovery() {
    if !mallhost_tests::first_pass("the health trial") {
        return;
    }
    let env = TestEnv::start(Options {
        shop_toml: "auto_fetch = true\nauto_fetch_every = \"1s\"".into(),
        ..Options::default()
    })
    .await;
    let (hook, got) = receiver().await;
    let text = std::fs::read_to_string(env.dir.path().join("mallhost.toml")).unwrap();
    let config = env.dir.path().join("health.toml");
    std::fs::write(
        &config,
        text.replacen(
            "[[shops]]",
            &format!(
                "[alerts]\nwebhook_url = \"{hook}\"\nfailures_in_row = 100\ncheck_every = \"1s\"\n\n[[shops]]"
            ),
            1,
        ),
    )
    .unwrap();
    env.order_placed(1, 30);
    // The mall fails every search from the start.
    env.dshopping()
        .fail_next(Endpoint::SearchOrders, 1_000_000, 500);
    let (mut serve, admin) = env.serve_with_admin(&config).await;

    // Three intervals without a success: stale, 503, one alert.
    until("a 503", Duration::from_secs(30), async || {
        healthz(&admin).await.0 == 503
    })
    .await;
    let (_, body) = healthz(&admin).await;
    assert_eq!(body["healthy"], false, "{body}");
    let shop = &body["shops"][0];
    assert_eq!(shop["shop"], "dshop");
    assert_eq!(shop["jobs"][0]["stale"], true, "{body}");
    assert!(
        shop["jobs"][0]["failures_in_row"].as_u64().unwrap() >= 2,
        "{body}"
    );
    until("the alert", Duration::from_secs(10), async || {
        !got.lock().unwrap().is_empty()
    })
    .await;
    let metrics = reqwest::get(format!("{admin}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("mallhost_shop_healthy{shop=\"dshop\",mall=\"dshopping\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mallhost_job_stale{shop=\"dshop\",job=\"fetch\"} 1"),
        "{metrics}"
    );
    let (code, out, _) = env.cli_code(&["status"]).await;
    assert_eq!(code, 2, "an unhealthy shop: {out}");
    assert!(out.contains("STALE") && out.contains("dshop"), "{out}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    {
        let got = got.lock().unwrap();
        assert_eq!(
            got.len(),
            1,
            "one alert per incident, however long it lasts: {got:?}"
        );
        assert_eq!(got[0]["state"], "open");
        assert_eq!(got[0]["incident"], "stale:dshop:fetch");
        assert!(
            got[0]["text"].as_str().unwrap().contains("dshop"),
            "{}",
            got[0]
        );
    }

    // The mall heals: the next fetch succeeds, 200, one recovery.
    env.dshopping().fail_next(Endpoint::SearchOrders, 0, 500);
    until("a 200", Duration::from_secs(30), async || {
        healthz(&admin).await.0 == 200
    })
    .await;
    until("the recovery", Duration::from_secs(10), async || {
        got.lock().unwrap().len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["state"], "resolved");
    assert_eq!(got[1]["incident"], "stale:dshop:fetch");
    let (code, out, _) = env.cli_code(&["status"]).await;
    assert_eq!(code, 0, "{out}");
    let _ = serve.start_kill();
    let _ = serve.wait().await;
}
