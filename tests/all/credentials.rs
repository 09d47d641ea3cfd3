//! Secrets end to end, through a contract 0.2.0 plugin that tries what a plugin can try
//! (`tests/plugins/probe`): the host signs for it with a key it never sees; its credentials go
//! to the shop's API origin and to no other, not through URL user information, not in its own
//! header, and never into an error text; a secret 10 days from expiry warns, an expired one
//! refuses the shop's calls with the renewal message before any request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Duration;
use mallhost::capabilities::credentials::{self, CredentialState};
use mallhost::config::{Config, ShopConfig};
use mallhost::connector::Window;
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, TestEnv, probe_plugin_path, write_plugin};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier as _;

const TOKEN: &str = "tk-very-secret-0042";

/// A mall for the probe: `/verify` checks a signature with the public key, `/echo` answers
/// whether the bearer token is right (never the token itself). Counts its requests.
async fn probe_mall() -> (String, Arc<AtomicU32>) {
    use base64::Engine as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicU32::new(0));
    let count = seen.clone();
    let app =
        axum::Router::new().fallback(move |uri: axum::http::Uri, h: axum::http::HeaderMap| {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                let header = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
                match uri.path() {
                    "/verify" => {
                        let public = rsa::RsaPublicKey::from_public_key_pem(include_str!(
                            "../support/signing-key.pub.pem"
                        ))
                        .unwrap();
                        let sig = base64::engine::general_purpose::STANDARD
                            .decode(header("x-signature"))
                            .ok()
                            .and_then(|b| Signature::try_from(b.as_slice()).ok());
                        let ok = sig.is_some_and(|s| {
                            VerifyingKey::<sha2::Sha256>::new(public)
                                .verify(header("x-message").as_bytes(), &s)
                                .is_ok()
                        });
                        if ok { "verified" } else { "bad signature" }.to_string()
                    }
                    _ if header("authorization") == format!("Bearer {TOKEN}") => "token ok".into(),
                    _ => format!("no token ({})", header("authorization").len()),
                }
            }
        });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, seen)
}

struct Probe {
    env: TestEnv,
    mall: String,
    other: String,
    other_seen: Arc<AtomicU32>,
    key_file: tempfile::NamedTempFile,
}

impl Probe {
    async fn start() -> Probe {
        let env = TestEnv::start(Options::default()).await;
        let bytes = std::fs::read(probe_plugin_path()).unwrap();
        let wasm = write_plugin(env.dir.path(), "probe", &bytes, "probe", "0.2.0", None, "");
        env.runtime.load_file(&wasm).await.unwrap();
        let (mall, _) = probe_mall().await;
        let (other, other_seen) = probe_mall().await;
        let key_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(key_file.path(), include_str!("../support/signing-key.pem")).unwrap();
        Probe {
            env,
            mall,
            other,
            other_seen,
            key_file,
        }
    }

    /// A probe shop doing `what`, its token expiring on `expires`.
    fn shop(&self, what: &str, expires: chrono::NaiveDate) -> ShopConfig {
        let toml = format!(
            r#"[[shops]]
            id = "{what}"
            mall = "probe"
            base_url = "{mall}"
            allowed_origins = ["{mall}", "{other}"]
            allow_private_network = true
            pace = "off"
            [shops.settings]
            seller = "seller-7"
            other = "{other}"
            [shops.credentials]
            token = "{TOKEN}"
            token_expires = "{expires}"
            signing_key_file = "{key}"
            "#,
            mall = self.mall,
            other = self.other,
            key = self.key_file.path().display(),
        );
        let c = Config::parse(&toml, self.env.dir.path(), &|_| None).unwrap();
        c.shops[0].clone()
    }

    fn today(&self) -> chrono::NaiveDate {
        jst_date(self.env.clock.now())
    }

    /// What the probe reports for `what` (its fetch always ends in a `PROBE` report).
    async fn run(&self, what: &str) -> String {
        let shop = self.shop(what, self.today() + Duration::days(60));
        let now = self.env.clock.now();
        let window = Window {
            start: now - Duration::days(1),
            end: now,
        };
        let e = self
            .env
            .runtime
            .connector(&shop)
            .fetch_orders(window, None)
            .await
            .unwrap_err()
            .to_string();
        assert!(!e.contains(TOKEN), "a secret in an error text: {e}");
        e
    }
}

#[tokio::test]
async fn the_host_signs_with_a_key_the_plugin_never_sees() {
    let p = Probe::start().await;
    let got = p.run("sign").await;
    assert!(got.contains("status 200 body verified"), "{got}");
}

#[tokio::test]
async fn credentials_reach_the_api_origin_and_no_other_way_out() {
    let p = Probe::start().await;
    let got = p.run("api").await;
    assert!(got.contains("status 200 body token ok"), "{got}");

    // Another allowed origin: refused before it is sent.
    let got = p.run("other").await;
    assert!(
        got.contains("Denied") && got.contains("only to the shop's API origin"),
        "{got}"
    );
    assert_eq!(p.other_seen.load(Ordering::SeqCst), 0, "nothing reached it");
    // User information in the URL, and the plugin's own auth header: refused.
    let got = p.run("userinfo").await;
    assert!(got.contains("user information"), "{got}");
    let got = p.run("own-header").await;
    assert!(got.contains("set by the host"), "{got}");
}

#[tokio::test]
async fn a_secret_near_expiry_warns_and_an_expired_one_refuses_before_any_request() {
    let p = Probe::start().await;
    let info = p.env.runtime.plugin("probe").unwrap().info().clone();
    let today = p.today();
    let soon = p.shop("api", today + Duration::days(10));
    let report = credentials::report(mallhost::runtime::shop_values(&soon), &info.settings, today);
    let token = report.iter().find(|c| c.name == "token").unwrap();
    assert_eq!(
        token.state,
        CredentialState::ExpiresSoon {
            on: today + Duration::days(10),
            days: 10
        }
    );

    let (mall, seen) = probe_mall().await;
    let mut expired = p.shop("api", today - Duration::days(1));
    expired.base_url = mall.clone();
    expired.allowed_origins = vec![mall];
    let now = p.env.clock.now();
    let e = p
        .env
        .runtime
        .connector(&expired)
        .fetch_orders(
            Window {
                start: now - Duration::days(1),
                end: now,
            },
            None,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`token` expired on")
            && e.contains("credentials.token_env")
            && e.contains("credentials.token_expires"),
        "{e}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 0, "no request went out");
}

/// A token endpoint that rotates refresh tokens: each refresh gives `at-N` (600 s) and `rt-N`;
/// the refresh token it came from stays valid until `at-N` is used at `/api`. Counts refreshes.
#[derive(Default)]
struct TokenServer {
    valid: std::sync::Mutex<Vec<String>>,
    issued: std::sync::Mutex<Vec<(String, String)>>,
    refreshes: AtomicU32,
    /// Access tokens the API refuses before their time (`invalid_token`).
    revoked: std::sync::Mutex<Vec<String>>,
    /// When each API request came.
    hits: std::sync::Mutex<Vec<std::time::Instant>>,
}

async fn token_server() -> (String, Arc<TokenServer>) {
    let state = Arc::new(TokenServer::default());
    state.valid.lock().unwrap().push("rt-0".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let (s1, s2) = (state.clone(), state.clone());
    let app = axum::Router::new()
        .route(
            "/token",
            axum::routing::post(move |body: String| {
                let s = s1.clone();
                async move {
                    let form: std::collections::HashMap<String, String> =
                        url::form_urlencoded::parse(body.as_bytes())
                            .into_owned()
                            .collect();
                    let rt = form.get("refresh_token").cloned().unwrap_or_default();
                    let client_ok = form.get("client_id").map(String::as_str) == Some("cid")
                        && form.get("client_secret").map(String::as_str) == Some("csec")
                        && form.get("grant_type").map(String::as_str) == Some("refresh_token");
                    if !client_ok || !s.valid.lock().unwrap().contains(&rt) {
                        return (
                            axum::http::StatusCode::BAD_REQUEST,
                            "invalid_grant".to_string(),
                        );
                    }
                    let n = s.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
                    let (at, next) = (format!("at-{n}"), format!("rt-{n}"));
                    s.valid.lock().unwrap().push(next.clone());
                    s.issued.lock().unwrap().push((at.clone(), rt));
                    let body = serde_json::json!({
                        "access_token": at, "expires_in": 600, "refresh_token": next
                    });
                    (axum::http::StatusCode::OK, body.to_string())
                }
            }),
        )
        .route(
            "/api",
            axum::routing::get(move |h: axum::http::HeaderMap| {
                let s = s2.clone();
                async move {
                    let bearer = h
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.strip_prefix("Bearer "))
                        .unwrap_or("")
                        .to_string();
                    s.hits.lock().unwrap().push(std::time::Instant::now());
                    if s.revoked.lock().unwrap().contains(&bearer) {
                        return axum::http::StatusCode::UNAUTHORIZED;
                    }
                    let from = s
                        .issued
                        .lock()
                        .unwrap()
                        .iter()
                        .find(|(at, _)| *at == bearer)
                        .map(|(_, rt)| rt.clone());
                    match from {
                        // The new access token is used: the refresh token it came from retires.
                        Some(rt) => {
                            s.valid.lock().unwrap().retain(|v| *v != rt);
                            axum::http::StatusCode::OK
                        }
                        None => axum::http::StatusCode::UNAUTHORIZED,
                    }
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, state)
}

fn oauth_shop(env: &TestEnv, server: &str) -> ShopConfig {
    let toml = format!(
        r#"[[shops]]
        id = "ya"
        mall = "oauth-mall"
        base_url = "{server}"
        allow_private_network = true
        [shops.settings]
        token_url = "{server}/token"
        client_id = "cid"
        [shops.credentials]
        client_secret = "csec"
        refresh_token = "rt-0"
        "#
    );
    Config::parse(&toml, env.dir.path(), &|_| None)
        .unwrap()
        .shops[0]
        .clone()
}

const GRANT: mallhost::capabilities::oauth::Grant<'static> = mallhost::capabilities::oauth::Grant {
    token_url: "token_url",
    client_id: "client_id",
    client_secret: "client_secret",
    refresh_token: "refresh_token",
    scope: None,
};

/// Uses an access token at the server's API (as a plugin's authenticated request would).
async fn use_token(server: &str, token: &mallhost::config::Secret) -> u16 {
    reqwest::Client::new()
        .get(format!("{server}/api"))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_oauth_grant_refreshes_before_expiry_and_keeps_rotated_tokens_sealed() {
    use mallhost::capabilities::oauth::OAuth;
    let env = TestEnv::start(Options::default()).await;
    let (server, state) = token_server().await;
    let shop = oauth_shop(&env, &server);
    let key = env.dir.path().join("mallhost.key");
    let oauth = OAuth::default().with_vault(std::sync::Arc::new(env.store.clone()), key.clone());
    let t0 = env.clock.now();

    let at = oauth
        .access_token(
            mallhost::runtime::shop_values(&shop),
            shop.allow_private_network,
            GRANT,
            t0,
        )
        .await
        .unwrap();
    assert_eq!(at.expose(), "at-1");
    assert_eq!(use_token(&server, &at).await, 200);
    // Kept sealed: the database holds no token in clear.
    let (sealed, _) = env.store.sealed_refresh_token("ya").await.unwrap().unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("rt-1"));

    // Good for a while: no refresh. Within a minute of expiry: refreshed, with the kept token
    // (the configured rt-0 retired when at-1 was used).
    let again = oauth
        .access_token(
            mallhost::runtime::shop_values(&shop),
            shop.allow_private_network,
            GRANT,
            t0 + Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(again.expose(), "at-1");
    assert_eq!(state.refreshes.load(Ordering::SeqCst), 1);
    let next = oauth
        .access_token(
            mallhost::runtime::shop_values(&shop),
            shop.allow_private_network,
            GRANT,
            t0 + Duration::seconds(570),
        )
        .await
        .unwrap();
    assert_eq!(next.expose(), "at-2");
    assert_eq!(use_token(&server, &next).await, 200);

    // A restart: a new host reads the kept token and goes on.
    let restarted = OAuth::default().with_vault(std::sync::Arc::new(env.store.clone()), key);
    let after = restarted
        .access_token(
            mallhost::runtime::shop_values(&shop),
            shop.allow_private_network,
            GRANT,
            t0 + Duration::minutes(11),
        )
        .await
        .unwrap();
    assert_eq!(after.expose(), "at-3");
    assert_eq!(use_token(&server, &after).await, 200);
}

#[tokio::test]
async fn a_host_that_dies_between_refresh_and_persist_still_authenticates_on_restart() {
    use mallhost::capabilities::oauth::OAuth;
    let env = TestEnv::start(Options::default()).await;
    let (server, state) = token_server().await;
    let shop = oauth_shop(&env, &server);
    let key = env.dir.path().join("mallhost.key");
    // The database fails to keep the rotated token, as a host killed at that moment would.
    let pg = env.store.backend() == mallhost::store::Backend::Postgres;
    let failing = if pg {
        vec![
            "CREATE FUNCTION gone() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'power cut'; END $$ \
             LANGUAGE plpgsql",
            "CREATE TRIGGER gone BEFORE INSERT ON oauth_tokens FOR EACH ROW EXECUTE FUNCTION gone()",
        ]
    } else {
        vec![
            "CREATE TRIGGER gone BEFORE INSERT ON oauth_tokens BEGIN SELECT RAISE(FAIL, 'power cut'); END",
        ]
    };
    for sql in failing {
        sqlx::query(sql).execute(env.store.pool()).await.unwrap();
    }
    let oauth = OAuth::default().with_vault(std::sync::Arc::new(env.store.clone()), key.clone());
    let e = oauth
        .access_token(
            mallhost::runtime::shop_values(&shop),
            shop.allow_private_network,
            GRANT,
            env.clock.now(),
        )
        .await
        .unwrap_err();
    assert!(e.contains("not used") && !e.contains("rt-1"), "{e}");
    assert_eq!(
        state.refreshes.load(Ordering::SeqCst),
        1,
        "the endpoint did rotate"
    );

    // The restart: the new access token was never used, so the old refresh token still works.
    sqlx::query(if pg {
        "DROP TRIGGER gone ON oauth_tokens"
    } else {
        "DROP TRIGGER gone"
    })
    .execute(env.store.pool())
    .await
    .unwrap();
    let restarted = OAuth::default().with_vault(std::sync::Arc::new(env.store.clone()), key);
    let at = restarted
        .access_token(
            mallhost::runtime::shop_values(&shop),
            shop.allow_private_network,
            GRANT,
            env.clock.now(),
        )
        .await
        .unwrap();
    assert_eq!(at.expose(), "at-2");
    assert_eq!(use_token(&server, &at).await, 200);
}

#[tokio::test]
async fn a_plugin_declaring_oauth_gets_the_hosts_access_token_and_never_the_refresh_token() {
    // The probe built with an OAuth 2 scheme, through the runtime as a shop's calls go: the
    // host runs the grant, keeps the rotated refresh token sealed, and the API sees the token.
    let env = TestEnv::start(Options::default()).await;
    let (server, state) = token_server().await;
    let (shop, p) = probe_oauth_shop(&env, &server).await;
    assert!(matches!(
        p.info().auth,
        mallhost::connector::AuthScheme::OAuth2Refresh { .. }
    ));
    mallhost::runtime::check_shop(&shop, &p.info().label(), &p.info().settings, &[])
        .expect("the shop gives what the plugin declares");
    let now = env.clock.now();
    let window = Window {
        start: now - Duration::days(1),
        end: now,
    };
    let got = env
        .runtime
        .connector(&shop)
        .fetch_orders(window, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        got.contains("status 200"),
        "the API took the host's token: {got}"
    );
    assert!(
        !got.contains("rt-") && !got.contains("at-"),
        "no token reached the plugin: {got}"
    );
    assert_eq!(state.refreshes.load(Ordering::SeqCst), 1);
    let (sealed, _) = env
        .store
        .sealed_refresh_token("api-oauth")
        .await
        .unwrap()
        .expect("the rotated refresh token is kept");
    assert!(!String::from_utf8_lossy(&sealed).contains("rt-1"));
    // The next call reuses the access token: no second refresh.
    env.runtime
        .connector(&shop)
        .fetch_orders(window, None)
        .await
        .unwrap_err();
    assert_eq!(state.refreshes.load(Ordering::SeqCst), 1);
}

/// The probe plugin declaring OAuth 2, loaded, and a shop of it on `server`'s token endpoint.
async fn probe_oauth_shop(
    env: &TestEnv,
    server: &str,
) -> (ShopConfig, Arc<mallhost::runtime::Plugin>) {
    let bytes = std::fs::read(mallhost_tests::probe_oauth_plugin_path()).unwrap();
    let wasm = write_plugin(
        env.dir.path(),
        "probe-oauth",
        &bytes,
        "probe-oauth",
        "0.2.0",
        None,
        "",
    );
    let plugin = env.runtime.load_file(&wasm).await.unwrap();
    let mut shop = oauth_shop(env, server);
    shop.id = "api-oauth".into();
    shop.mall = "probe-oauth".into();
    (shop, plugin)
}

#[tokio::test]
async fn an_access_token_that_dies_early_is_refreshed_once_inside_the_call() {
    // Finding 2 of the Yahoo!-shaped connector: a 401 in the middle of a call came back as a
    // transient error, retried with the same token. The host now fetches a new token and
    // sends the request again inside `send`; the plugin sees only the second answer.
    let env = TestEnv::start(Options::default()).await;
    let (server, state) = token_server().await;
    let (shop, _) = probe_oauth_shop(&env, &server).await;
    let now = env.clock.now();
    let window = Window {
        start: now - Duration::days(1),
        end: now,
    };
    let fetch = || async {
        env.runtime
            .connector(&shop)
            .fetch_orders(window, None)
            .await
            .unwrap_err()
            .to_string()
    };
    assert!(fetch().await.contains("status 200"));
    assert_eq!(state.refreshes.load(Ordering::SeqCst), 1);
    // The mall retires at-1 before its time.
    state.revoked.lock().unwrap().push("at-1".into());
    let got = fetch().await;
    assert!(
        got.contains("status 200"),
        "the request went again with a new token: {got}"
    );
    assert!(!got.contains("at-"), "no token reached the plugin: {got}");
    assert_eq!(state.refreshes.load(Ordering::SeqCst), 2, "one refresh");
    assert_eq!(
        state.hits.lock().unwrap().len(),
        3,
        "one request, sent twice"
    );
    // The next call uses the new token: no refresh.
    assert!(fetch().await.contains("status 200"));
    assert_eq!(state.refreshes.load(Ordering::SeqCst), 2);
    // A token endpoint that refuses too: said so, once, not retried.
    state.revoked.lock().unwrap().push("at-2".into());
    state.valid.lock().unwrap().clear();
    let got = fetch().await;
    assert!(
        got.contains("401") && got.contains("could not be had"),
        "{got}"
    );
    assert_eq!(state.hits.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn one_pace_holds_across_token_refreshes() {
    // Finding 3: the pace was keyed on the access token, so a refresh started a fresh limiter
    // and its first request broke the mall's one a second. Now it is keyed on the client.
    let env = TestEnv::start(Options::default()).await;
    let (server, state) = token_server().await;
    let (mut shop, _) = probe_oauth_shop(&env, &server).await;
    shop.pace = mallhost::config::Pace::PerSecond(1);
    for _ in 0..3 {
        let now = env.clock.now();
        let window = Window {
            start: now - Duration::days(1),
            end: now,
        };
        let got = env
            .runtime
            .connector(&shop)
            .fetch_orders(window, None)
            .await
            .unwrap_err()
            .to_string();
        assert!(got.contains("status 200"), "{got}");
        // Past the token's expiry: the next call refreshes.
        env.clock.advance(Duration::minutes(20));
    }
    assert_eq!(state.refreshes.load(Ordering::SeqCst), 3, "a token a call");
    let hits = state.hits.lock().unwrap().clone();
    for pair in hits.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= std::time::Duration::from_millis(900),
            "two requests {gap:?} apart on one client at one a second"
        );
    }
}
