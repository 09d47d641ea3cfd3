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
/// Failed logins from one address (a shop's office shares one) before it is refused.
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
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
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// How long until `keys` may try again, if any of them is over the limit.
    pub fn blocked(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let mut map = self.failures.lock().ok()?;
        keys.iter()
            .filter_map(|k| {
                let q = map.get_mut(k)?;
                while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    q.pop_front();
                }
                let limit = if k.starts_with("ip:") {
                    MAX_FAILURES_PER_ADDRESS
                } else {
                    MAX_FAILURES
                };
                (q.len() >= limit).then(|| {
                    q.front()
                        .map_or(WINDOW, |t| WINDOW.saturating_sub(now.duration_since(*t)))
                })
            })
            .max()
    }

    /// Records a failed login for each key.
    pub fn failed(&self, keys: &[String], now: Instant) {
        if let Ok(mut map) = self.failures.lock() {
            // Bound the memory an attacker can make us use: forget keys whose failures aged out.
            if map.len() > 10_000 {
                map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
            }
            for k in keys {
                map.entry(k.clone()).or_default().push_back(now);
            }
        }
    }

    /// Forgets a name's failures after it logged in.
    pub fn succeeded(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}

/// Who is logging in, for the per-address limit: the peer, or — when the peer is a proxy on
/// this machine — the address that proxy appended last to `X-Forwarded-For` (the one it saw;
/// entries before it are the client's own word).
pub fn client_address(headers: &HeaderMap, peer: SocketAddr) -> String {
    if peer.ip().is_loopback()
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

/// Not signed in: to the login page.
pub struct SignIn;

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to("/console/login").into_response()
    }
}

impl FromRequestParts<Console> for Staff {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, cx: &Console) -> Result<Staff, SignIn> {
        let lang = Lang::of(&parts.headers);
        let id = cookie(&parts.headers, SESSION_COOKIE).ok_or(SignIn)?;
        let digest = crate::accounts::token_digest(id);
        let (user, csrf) = cx
            .state
            .store
            .session(&digest, chrono::Utc::now())
            .await
            .map_err(|e| {
                tracing::warn!("console sessions cannot be read: {e}");
                SignIn
            })?
            .ok_or(SignIn)?;
        let role = Role::parse(&user.role).ok_or(SignIn)?;
        Ok(Staff {
            name: user.name,
            role,
            csrf,
            lang,
        })
    }
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `GET /console/login`.
pub async fn login_page(State(cx): State<Console>, headers: HeaderMap) -> Response {
    let lang = Lang::of(&headers);
    login_form(&cx, &headers, lang, StatusCode::OK, None, "")
}

fn login_form(
    cx: &Console,
    headers: &HeaderMap,
    lang: Lang,
    status: StatusCode,
    error: Option<String>,
    name: &str,
) -> Response {
    let token = random_token();
    let mut r = cx.render(
        status,
        "login.html",
        lang,
        serde_json::json!({ "csrf": token, "error": error, "name": name }),
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

/// `POST /console/login`: checks the form's token, the rate limit, then the password; a good
/// login starts a session.
pub async fn login(
    State(cx): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let lang = Lang::of(&headers);
    let again = |status: StatusCode, message: String| {
        login_form(&cx, &headers, lang, status, Some(message), &form.name)
    };
    let pre = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if pre.is_empty() || !same_secret(pre, &form.csrf) {
        return again(StatusCode::FORBIDDEN, cx.tr(lang, "csrf_refused"));
    }
    let name_key = format!("name:{}", form.name);
    let client = client_address(&headers, peer);
    let keys = [name_key.clone(), format!("ip:{client}")];
    let now = Instant::now();
    if let Some(wait) = cx.limiter.blocked(&keys, now) {
        tracing::warn!(user = %form.name, peer = %client, "console login refused: too many failures");
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            cx.tr(lang, "login_limited")
                .replace("{minutes}", &minutes.to_string()),
        );
    }
    let store = &cx.state.store;
    let who = match crate::accounts::by_password(store, &form.name, &form.password).await {
        Ok(w) => w,
        Err(e) => return again(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let Some(who) = who else {
        cx.limiter.failed(&keys, now);
        tracing::warn!(user = %form.name, peer = %client, "console login failed");
        return again(StatusCode::UNAUTHORIZED, cx.tr(lang, "login_failed"));
    };
    cx.limiter.succeeded(&name_key);
    let session = random_token();
    let hours = Duration::from_secs(u64::from(cx.config.session_hours) * 3600);
    let now_utc = chrono::Utc::now();
    let expires = now_utc + chrono::Duration::hours(i64::from(cx.config.session_hours));
    let digest = crate::accounts::token_digest(&session);
    let started = store
        .add_session(&digest, who.id, &random_token(), now_utc, expires)
        .await;
    if let Err(e) = started {
        return again(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
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
    let mut r = Redirect::to("/console").into_response();
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
    fn five_failures_lock_a_key_for_the_window() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        let keys = ["name:ann".to_string()];
        for _ in 0..MAX_FAILURES - 1 {
            l.failed(&keys, t0);
        }
        assert_eq!(l.blocked(&keys, t0), None);
        l.failed(&keys, t0);
        assert!(l.blocked(&keys, t0).is_some());
        assert!(l.blocked(&["name:bob".to_string()], t0).is_none());
        assert_eq!(l.blocked(&keys, t0 + WINDOW), None, "failures age out");
        l.failed(&keys, t0);
        l.succeeded("name:ann");
        assert_eq!(l.blocked(&keys, t0), None);
    }

    #[test]
    fn a_local_proxy_names_the_client_and_no_one_else_does() {
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "198.51.100.7:5000".parse().unwrap();
        assert_eq!(client_address(&h, local), "203.0.113.9");
        assert_eq!(
            client_address(&h, remote),
            "198.51.100.7",
            "only a local proxy is believed"
        );
        assert_eq!(client_address(&HeaderMap::new(), local), "127.0.0.1");
    }
}
