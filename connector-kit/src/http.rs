//! HTTP as every connector speaks it: requests with a JSON or XML body marked `authenticate`
//! (the host adds the shop's credentials), the host's refusals and a mall's status codes turned
//! into the connector errors the host acts on, `Retry-After`, and query-value encoding.

use super::host::{HttpError, Method, Request, Response};
use super::types::{ConnectorError, FieldError, RemoteError};

/// A request with a JSON body (none when empty), accepting JSON, marked `authenticate`.
pub fn json_request(method: Method, url: impl Into<String>, body: Vec<u8>) -> Request {
    body_request(method, url, body, "application/json; charset=utf-8")
}

/// A request with a body of `content_type` (none when the body is empty), marked
/// `authenticate`.
pub fn body_request(
    method: Method,
    url: impl Into<String>,
    body: Vec<u8>,
    content_type: &str,
) -> Request {
    let accept = content_type.split(';').next().unwrap_or(content_type);
    let mut headers = vec![("accept".to_string(), accept.to_string())];
    if !body.is_empty() {
        headers.push(("content-type".into(), content_type.into()));
    }
    Request {
        method,
        url: url.into(),
        headers,
        body,
        authenticate: true,
    }
}

/// Why the host gave no answer, as the error the host acts on: a transport failure is
/// transient (retried), a refusal by the host is `host-refused`. `mall` names the mall (and the
/// call) in the message.
pub fn host_error(mall: &str, e: HttpError) -> ConnectorError {
    match e {
        HttpError::Transport(m) => ConnectorError::Transient(format!("{mall} unreachable: {m}")),
        HttpError::Denied(m) | HttpError::InvalidRequest(m) => ConnectorError::HostRefused(m),
        HttpError::TooLarge(n) => ConnectorError::HostRefused(format!(
            "{mall}: response larger than the host allows ({n} bytes)"
        )),
        HttpError::BudgetExhausted(n) => {
            ConnectorError::HostRefused(format!("more than {n} requests in one call"))
        }
    }
}

/// Sends `req` and returns a 2xx answer; the host's refusal as [`host_error`], another status
/// as the answer itself (`Err(Ok(response))`) for the mall's own error body to be read.
pub fn send_ok(
    t: &impl super::Transport,
    mall: &str,
    req: &Request,
) -> Result<Response, Result<Response, ConnectorError>> {
    match t.send(req) {
        Err(e) => Err(Err(host_error(mall, e))),
        Ok(r) if is_success(r.status) => Ok(r),
        Ok(r) => Err(Ok(r)),
    }
}

/// A 2xx status.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// A header of an answer, by name (any case).
pub fn header<'r>(resp: &'r Response, name: &str) -> Option<&'r str> {
    resp.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The wait a 429 asks for, in milliseconds: its `Retry-After` seconds, else `default_ms`.
pub fn retry_after_ms(resp: &Response, default_ms: u32) -> u32 {
    header(resp, "retry-after")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map_or(default_ms, |secs| secs.max(1).saturating_mul(1000))
}

/// What a mall said with an error status, read from its body by the plugin.
#[derive(Debug, Clone, Default)]
pub struct MallError {
    /// The mall's error code (`HTTP_<status>` when it gave none).
    pub code: String,
    /// Its words.
    pub message: String,
    /// The field it names, if any.
    pub field: Option<String>,
}

/// An error status as the connector error the host acts on: 401/403 `auth` (with `auth_hint`,
/// what to check), 429 `rate-limited` (its `Retry-After`, else `default_wait_ms`), 5xx
/// `transient`, 400 `invalid-input`, anything else `remote`.
pub fn status_error(
    mall: &str,
    resp: &Response,
    said: MallError,
    auth_hint: &str,
    default_wait_ms: u32,
) -> ConnectorError {
    let MallError {
        code,
        message,
        field,
    } = said;
    match resp.status {
        401 | 403 => {
            ConnectorError::Auth(format!("{mall} refused {auth_hint} ({code}): {message}"))
        }
        429 => ConnectorError::RateLimited(retry_after_ms(resp, default_wait_ms)),
        500..=599 => ConnectorError::Transient(format!("{mall} {} {code}: {message}", resp.status)),
        400 => ConnectorError::InvalidInput(FieldError {
            field: field.unwrap_or_default(),
            message: format!("{code}: {message}"),
        }),
        _ => ConnectorError::Remote(RemoteError { code, message }),
    }
}

/// The first `max` characters of a body, as text (for an error a mall gave without a body the
/// plugin can read).
pub fn body_text(resp: &Response, max: usize) -> String {
    String::from_utf8_lossy(&resp.body)
        .chars()
        .take(max)
        .collect()
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fake::answer;
    use super::*;

    #[test]
    fn statuses_become_the_errors_the_host_acts_on() {
        let said = || MallError {
            code: "E1".into(),
            message: "no".into(),
            field: Some("f".into()),
        };
        let e = |status, headers: &[(&str, &str)]| {
            status_error(
                "Mall",
                &answer(status, headers, ""),
                said(),
                "the key",
                1000,
            )
        };
        assert!(matches!(e(401, &[]), ConnectorError::Auth(m) if m.contains("the key")));
        assert!(matches!(
            e(429, &[("Retry-After", "3")]),
            ConnectorError::RateLimited(3000)
        ));
        assert!(matches!(e(429, &[]), ConnectorError::RateLimited(1000)));
        assert!(matches!(e(503, &[]), ConnectorError::Transient(_)));
        assert!(matches!(e(400, &[]), ConnectorError::InvalidInput(f) if f.field == "f"));
        assert!(matches!(e(409, &[]), ConnectorError::Remote(r) if r.code == "E1"));
    }

    #[test]
    fn refusals_by_the_host_are_never_retried_and_transport_faults_are() {
        assert!(matches!(
            host_error("Mall", HttpError::Transport("reset".into())),
            ConnectorError::Transient(m) if m == "Mall unreachable: reset"
        ));
        assert!(matches!(
            host_error("Mall", HttpError::Denied("no".into())),
            ConnectorError::HostRefused(_)
        ));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            percent_encode("2026-11-28T10:00:00+09:00"),
            "2026-11-28T10%3A00%3A00%2B09%3A00"
        );
        assert_eq!(percent_encode("a b~"), "a%20b~");
    }

    #[test]
    fn a_json_request_says_what_it_sends_and_asks_for_credentials() {
        let r = json_request(Method::Post, "https://m.example/x", b"{}".to_vec());
        assert!(r.authenticate);
        assert!(r.headers.contains(&(
            "content-type".into(),
            "application/json; charset=utf-8".into()
        )));
        assert!(
            r.headers
                .contains(&("accept".into(), "application/json".into()))
        );
        let get = json_request(Method::Get, "https://m.example/x", Vec::new());
        assert_eq!(get.headers.len(), 1, "no content type without a body");
    }
}
