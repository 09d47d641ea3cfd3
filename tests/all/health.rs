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
    until("a stale job", Duration::from_secs(30), async || {
        let (code, body) = healthz(&admin).await;
        code == 503 && body["shops"][0]["jobs"][0]["stale"] == true
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

/// A mail server on loopback speaking just enough SMTP: every message's text it is sent.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = got.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(text) = data.as_mut() {
                        if line == "." {
                            seen.lock().unwrap().push(std::mem::take(text));
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            text.push_str(&line);
                            text.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 OK\r\n",
                    };
                    let _ = write.write_all(answer).await;
                }
            });
        }
    });
    (port, got)
}

#[tokio::test]
async fn an_alert_is_mailed_once_while_the_webhook_keeps_failing() {
    use mallhost::config::{AlertConfig, EmailConfig, SmtpSecurity};
    use mallhost::health::{JobHealth, judge_shop};
    let env = TestEnv::start(Options::default()).await;
    let (port, mails) = smtp_server().await;
    // A webhook that always fails.
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async { (axum::http::StatusCode::BAD_GATEWAY, "down") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = AlertConfig {
        webhook_url: Some(hook),
        email: Some(EmailConfig {
            smtp_host: "127.0.0.1".into(),
            smtp_port: port,
            security: SmtpSecurity::None,
            user: None,
            password: None,
            from: "mallhost@shop.example".into(),
            to: vec!["ops@shop.example".into()],
        }),
        ..AlertConfig::default()
    };
    let failing = |n: u32| JobHealth {
        job: "fetch".into(),
        every_secs: 60,
        last_run: None,
        last_success_at: None,
        failures_in_row: n,
        running: false,
        stale: false,
        next_due: None,
        clock_moved: false,
    };
    let client = reqwest::Client::new();
    let now = chrono::Utc::now();
    let sick = vec![judge_shop("dshop", "dshopping", vec![failing(4)], vec![])];
    for _ in 0..3 {
        let e = mallhost::alerts::check(&env.store, &sick, &config, &client, now)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("webhook"), "{e}");
    }
    {
        let mails = mails.lock().unwrap();
        assert_eq!(
            mails.len(),
            1,
            "mailed once, whatever the webhook does: {mails:?}"
        );
        assert!(mails[0].contains("failing:dshop:fetch"), "{}", mails[0]);
        assert!(mails[0].contains("To: ops@shop.example"), "{}", mails[0]);
    }
    // It heals: the recovery is mailed once too.
    let well = vec![judge_shop("dshop", "dshopping", vec![failing(0)], vec![])];
    for _ in 0..2 {
        let _ = mallhost::alerts::check(&env.store, &well, &config, &client, now).await;
    }
    let mails = mails.lock().unwrap();
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails[1].contains("state: resolved"), "{}", mails[1]);
}
