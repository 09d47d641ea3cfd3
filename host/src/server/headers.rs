//! The headers every answer of `serve --admin` carries, whatever route made it: no framing by
//! another page (`X-Frame-Options: DENY`, `frame-ancestors 'none'`), a content security policy
//! allowing the console's own files only, no MIME sniffing, no referrer to other sites, and —
//! since pages and the API carry buyers' names and addresses — `Cache-Control: no-store`, so
//! Back after a logout shows nothing (the console's static CSS and script may be cached).

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The console's content security policy: its own scripts, styles and forms only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// Adds the headers to every answer (a route that set one keeps its own).
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let cacheable = req.uri().path().starts_with("/console/static/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    if !cacheable {
        set(header::CACHE_CONTROL, "no-store");
    }
    r
}
