//! Who is using the console, and the guards around it: login and logout, sessions kept in the
//! database (the cookie's SHA-256 only, as for API tokens), the session cookie's flags
//! (`HttpOnly`, `SameSite=Strict`, `Secure` behind HTTPS), a CSRF token per session checked on
//! every form, login rate limiting, and the `Host` header allowlist that keeps a DNS-rebinding
//! page from reaching the console or the API through a browser.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde::Deserialize;

use super::{Console, Lang};
use crate::accounts::Role;

/// The session cookie.
pub const SESSION_COOKIE: &str = "mh_session";
/// The login form's double-submit cookie (CSRF for the form that comes before a session).
const LOGIN_COOKIE: &str = "mh_login";
/// Failed logins for one account name in [`WINDOW`] before further tries of it are refused.
pub const MAX_FAILURES: usize = 5;
/// Failed logins from one address in [`WINDOW`] before it is refused, unless the config says
/// otherwise (`[console] login_failures_per_address`).
pub const MAX_FAILURES_PER_ADDRESS: usize = 5;
/// The window failed logins are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// A fresh random token, URL-safe.
pub(super) fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::hostkey::random())
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request's `Cookie` headers.
pub(super) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Adds a `Set-Cookie` to a response: `HttpOnly`, `SameSite=Strict`, path `/`, and `Secure`
/// when the console is reached over HTTPS (config `secure_cookies`, or a proxy's
/// `X-Forwarded-Proto: https`). `headers` are the request's.
pub(super) fn set_cookie(
    cx: &Console,
    headers: &HeaderMap,
    response: &mut Response,
    name: &str,
    value: &str,
    max_age: Duration,
) {
    let https = cx.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let cookie = format!(
        "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}",
        max_age.as_secs(),
        if https { "; Secure" } else { "" }
    );
    // Names and values are ours (base64url tokens, fixed names): always a valid header.
    if let Ok(v) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Counts failed logins per key (a name, an address) and refuses further tries for a while.
///
/// A try is counted **before** its password is checked ([`LoginLimiter::begin`]), under one
/// lock: fifty tries at once for one account are five checked and forty-five refused, never
/// fifty checked. A try that succeeds takes its count back ([`LoginLimiter::succeeded`]).
#[derive(Debug)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    per_address: usize,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(MAX_FAILURES_PER_ADDRESS)
    }
}

/// A login try counted against its keys: given back by [`LoginLimiter::succeeded`] when the
/// password was right, kept as a failure otherwise.
#[derive(Debug)]
pub struct Try {
    keys: Vec<String>,
    at: Instant,
}

impl LoginLimiter {
    /// A limiter of [`MAX_FAILURES`] per name and `per_address` per address.
    pub fn new(per_address: usize) -> LoginLimiter {
        LoginLimiter {
            failures: Mutex::default(),
            per_address,
        }
    }

    fn limit_of(&self, key: &str) -> usize {
        if key.starts_with("ip:") {
            self.per_address
        } else {
            MAX_FAILURES
        }
    }

    /// Counts a try for `keys` at `now`, or says how long until they may try again when any of
    /// them is at its limit (the try is then not counted).
    pub fn begin(&self, keys: &[String], now: Instant) -> Result<Try, Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bound the memory an attacker can make us use: forget keys whose failures aged out.
        if map.len() > 10_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let mut wait: Option<Duration> = None;
        for k in keys {
            let Some(q) = map.get_mut(k) else { continue };
            while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                q.pop_front();
            }
            if q.len() >= self.limit_of(k) {
                let w = q
                    .front()
                    .map_or(WINDOW, |t| WINDOW.saturating_sub(now.duration_since(*t)));
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
        if let Some(w) = wait {
            return Err(w);
        }
        for k in keys {
            map.entry(k.clone()).or_default().push_back(now);
        }
        Ok(Try {
            keys: keys.to_vec(),
            at: now,
        })
    }

    /// The try's password was right: its name's failures are forgotten, and its count taken
    /// back from its address.
    pub fn succeeded(&self, t: Try) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for k in &t.keys {
            if k.starts_with("ip:") {
                if let Some(q) = map.get_mut(k)
                    && let Some(i) = q.iter().position(|at| *at == t.at)
                {
                    q.remove(i);
                }
            } else {
                map.remove(k);
            }
        }
    }
}

/// Who is logging in, for the per-address limit and the audit log: the peer, or — when the
/// peer is one of the proxies the config trusts (`[console] trusted_proxies`) — the address
/// that proxy appended last to `X-Forwarded-For` (the one it saw; entries before it are the
/// client's own word). No proxy is trusted unless listed: any local process could send the
/// header.
pub fn client_address(
    headers: &HeaderMap,
    peer: SocketAddr,
    trusted: &[std::net::IpAddr],
) -> String {
    if trusted.contains(&peer.ip())
        && let Some(last) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty())
    {
        return last.to_string();
    }
    peer.ip().to_string()
}

/// A signed-in member of staff, as every console page sees them.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Account name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The session's CSRF token (every form carries it).
    pub csrf: String,
    /// The language pages are shown in.
    pub lang: Lang,
    /// The SHA-256 of this session's cookie (what "end my other sessions" keeps).
    pub session: String,
}

impl Staff {
    /// `None` when the form's token (if the action takes a form) is the session's and this
    /// member's role includes `needed`; otherwise the 403 page saying which failed.
    pub fn refuse(&self, cx: &Console, token: Option<&str>, needed: Role) -> Option<Response> {
        if let Some(token) = token
            && !same_secret(token, &self.csrf)
        {
            return Some(cx.error_page(
                self,
                StatusCode::FORBIDDEN,
                &cx.tr(self.lang, "csrf_refused"),
            ));
        }
        (!self.role.may(needed)).then(|| {
            cx.error_page(
                self,
                StatusCode::FORBIDDEN,
                &cx.tr(self.lang, "role_refused")
                    .replace("{name}", &self.name)
                    .replace("{role}", self.role.id())
                    .replace("{needed}", needed.id()),
            )
        })
    }

    /// How the audit log names this member.
    pub fn actor(&self) -> String {
        crate::accounts::audit_name(&self.name)
    }
}

/// Not signed in: to the login page, which comes back to the page asked for (`next`).
pub struct SignIn {
    next: String,
}

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        if self.next.is_empty() || self.next == "/console" {
            return Redirect::to("/console/login").into_response();
        }
        let next: String = url::form_urlencoded::byte_serialize(self.next.as_bytes()).collect();
        Redirect::to(&format!("/console/login?next={next}")).into_response()
    }
}

/// Where a login may go back to: a console page of ours (a path under `/console`, not the
/// login itself), else the dashboard.
pub fn safe_next(next: &str) -> &str {
    let ours = next.starts_with("/console")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/console/login")
        && !next.chars().any(|c| c.is_control());
    if ours { next } else { "/console" }
}

impl FromRequestParts<Console> for Staff {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, cx: &Console) -> Result<Staff, SignIn> {
        let lang = Lang::of(&parts.headers);
        // Pages come back after a login; a form's POST goes back to its page.
        let next = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let sign_in = || SignIn { next: next.clone() };
        let id = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(sign_in)?;
        let digest = crate::accounts::token_digest(id);
        let (user, csrf) = cx
            .state
            .store
            .session(&digest, chrono::Utc::now())
            .await
            .map_err(|e| {
                tracing::warn!("console sessions cannot be read: {e}");
                sign_in()
            })?
            .ok_or_else(sign_in)?;
        let role = Role::parse(&user.role).ok_or_else(sign_in)?;
        Ok(Staff {
            name: user.name,
            role,
            csrf,
            lang,
            session: digest,
        })
    }
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    /// The page to go back to.
    #[serde(default)]
    next: String,
}

/// `?next=` of the login page.
#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `GET /console/login`.
pub async fn login_page(
    State(cx): State<Console>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    let lang = Lang::of(&headers);
    login_form(
        &cx,
        &headers,
        lang,
        StatusCode::OK,
        None,
        "",
        safe_next(&q.next),
    )
}

fn login_form(
    cx: &Console,
    headers: &HeaderMap,
    lang: Lang,
    status: StatusCode,
    error: Option<String>,
    name: &str,
    next: &str,
) -> Response {
    let token = random_token();
    let mut r = cx.render(
        status,
        "login.html",
        lang,
        serde_json::json!({ "csrf": token, "error": error, "name": name, "next": next }),
    );
    set_cookie(
        cx,
        headers,
        &mut r,
        LOGIN_COOKIE,
        &token,
        Duration::from_secs(3600),
    );
    r
}

/// `POST /console/login`: checks the form's token, counts the try against the account and the
/// address (refusing it past the limit), then the password; a good login starts a session and
/// goes back to the page asked for. A name that is no account is never logged nor audited as
/// typed (it may be a password typed in the wrong field).
pub async fn login(
    State(cx): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let next = safe_next(&form.next).to_string();
    let again = |status: StatusCode, message: String, name: &str| {
        login_form(&cx, &headers, lang, status, Some(message), name, &next)
    };
    let pre = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if pre.is_empty() || !same_secret(pre, &form.csrf) {
        return again(StatusCode::FORBIDDEN, cx.tr(lang, "csrf_refused"), "");
    }
    let store = &cx.state.store;
    let known = match store.user(&form.name).await {
        Ok(u) => u.is_some(),
        Err(e) => return again(StatusCode::SERVICE_UNAVAILABLE, e.to_string(), ""),
    };
    // What the log and the audit log say of the name.
    let shown = if known {
        format!("{:?}", form.name)
    } else {
        "a name that is no account".to_string()
    };
    let client = client_address(&headers, peer, &cx.config.trusted_proxies);
    let keys = [format!("name:{}", form.name), format!("ip:{client}")];
    let attempt = match cx.limiter.begin(&keys, Instant::now()) {
        Ok(t) => t,
        Err(wait) => {
            tracing::warn!(peer = %client, "console login refused for {shown}: too many failures");
            cx.audit(
                &format!("login from {client}"),
                "console.login_refused",
                &format!("{shown}: too many failed logins"),
            )
            .await;
            let minutes = wait.as_secs().div_ceil(60).max(1);
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                cx.tr(lang, "login_limited")
                    .replace("{minutes}", &minutes.to_string()),
                "",
            );
        }
    };
    let who = match crate::accounts::by_password(store, &form.name, &form.password).await {
        Ok(w) => w,
        Err(e) => return again(StatusCode::SERVICE_UNAVAILABLE, e.to_string(), ""),
    };
    let Some(who) = who else {
        tracing::warn!(peer = %client, "console login failed for {shown}");
        cx.audit(
            &format!("login from {client}"),
            "console.login_failed",
            &shown,
        )
        .await;
        let name = if known { form.name.as_str() } else { "" };
        return again(StatusCode::UNAUTHORIZED, cx.tr(lang, "login_failed"), name);
    };
    cx.limiter.succeeded(attempt);
    let session = random_token();
    let hours = Duration::from_secs(u64::from(cx.config.session_hours) * 3600);
    let now_utc = chrono::Utc::now();
    let expires = now_utc + chrono::Duration::hours(i64::from(cx.config.session_hours));
    let digest = crate::accounts::token_digest(&session);
    let started = store
        .add_session(&digest, who.id, &random_token(), now_utc, expires)
        .await;
    if let Err(e) = started {
        return again(StatusCode::SERVICE_UNAVAILABLE, e.to_string(), "");
    }
    if let Err(e) = store.end_expired_sessions(now_utc).await {
        tracing::warn!("expired console sessions cannot be forgotten: {e}");
    }
    cx.audit(
        &crate::accounts::audit_name(&who.name),
        "console.login",
        &format!("from {client}"),
    )
    .await;
    let mut r = Redirect::to(&next).into_response();
    set_cookie(&cx, &headers, &mut r, SESSION_COOKIE, &session, hours);
    set_cookie(&cx, &headers, &mut r, LOGIN_COOKIE, "", Duration::ZERO);
    r
}

/// A form that carries only the CSRF token.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

impl TokenForm {
    /// The form's token.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /console/logout`: ends the session here and in the database.
pub async fn logout(
    State(cx): State<Console>,
    who: Staff,
    headers: HeaderMap,
    axum::Form(form): axum::Form<TokenForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&form.csrf), Role::Viewer) {
        return r;
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = cx
            .state
            .store
            .end_session(&crate::accounts::token_digest(id), chrono::Utc::now())
            .await
    {
        return cx.error_page(&who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
    }
    cx.audit(&who.actor(), "console.logout", "").await;
    let mut r = Redirect::to("/console/login").into_response();
    set_cookie(&cx, &headers, &mut r, SESSION_COOKIE, "", Duration::ZERO);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd") && !same_secret("abc", "ab") && !same_secret("", "a"));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; mh_session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn five_tries_lock_a_key_for_the_window_and_a_success_gives_its_count_back() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        let keys = ["name:ann".to_string(), "ip:10.0.0.1".to_string()];
        for _ in 0..MAX_FAILURES - 1 {
            l.begin(&keys, t0).unwrap();
        }
        let good = l.begin(&keys, t0).unwrap();
        assert!(
            l.begin(&keys, t0).is_err(),
            "five counted: the sixth is refused"
        );
        l.succeeded(good);
        assert!(l.begin(&keys, t0).is_ok(), "the good one's count came back");
        assert!(l.begin(&["name:bob".to_string()], t0).is_ok());
        assert!(l.begin(&keys, t0 + WINDOW).is_ok(), "failures age out");
    }

    #[test]
    fn tries_at_once_are_counted_before_they_are_checked() {
        let l = std::sync::Arc::new(LoginLimiter::default());
        let t0 = Instant::now();
        let allowed: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|i| {
                    let l = l.clone();
                    s.spawn(move || {
                        let keys = ["name:ann".to_string(), format!("ip:10.0.0.{i}")];
                        usize::from(l.begin(&keys, t0).is_ok())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        assert_eq!(allowed, MAX_FAILURES);
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "198.51.100.7:5000".parse().unwrap();
        let trusted = ["127.0.0.1".parse().unwrap()];
        assert_eq!(client_address(&h, local, &trusted), "203.0.113.9");
        assert_eq!(
            client_address(&h, local, &[]),
            "127.0.0.1",
            "a loopback peer is not a proxy unless listed"
        );
        assert_eq!(client_address(&h, remote, &trusted), "198.51.100.7");
        assert_eq!(
            client_address(&HeaderMap::new(), local, &trusted),
            "127.0.0.1"
        );
    }

    #[test]
    fn a_login_goes_back_only_to_a_console_page() {
        assert_eq!(
            safe_next("/console/orders/s/A%201"),
            "/console/orders/s/A%201"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/console/login",
            "/\\evil",
            "",
        ] {
            assert_eq!(safe_next(bad), "/console", "{bad}");
        }
    }
}
