//! The `Host` check in front of everything `serve --admin` answers (the JSON API, the console,
//! health and metrics): addresses and `localhost` pass, other names only when listed in
//! `[console] allowed_hosts`, so a DNS-rebinding page cannot reach the server by a name of its
//! own.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The host names the server answers to: `localhost`, the configured ones, and any address
/// (staff may type the server's IP). Any other name — a DNS-rebinding page's own — gets 421.
#[derive(Debug, Clone)]
pub struct HostAllowlist {
    names: Vec<String>,
}

impl HostAllowlist {
    /// `localhost` and the `extra` names from the config (`[console] allowed_hosts`).
    pub fn new(extra: &[String]) -> HostAllowlist {
        let mut names = vec!["localhost".to_string()];
        names.extend(extra.iter().map(|e| host_name(e).to_ascii_lowercase()));
        HostAllowlist { names }
    }

    /// Whether a `Host` header names an allowed host (the port is not compared). An address
    /// (`192.168.1.10`, `[::1]`) is always allowed: a rebinding page needs a name of its own.
    pub fn allows(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        let literal = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
        literal || self.names.contains(&name)
    }
}

/// A `Host` value without its port.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// Refuses requests whose `Host` header is not on the allowlist (421 Misdirected Request).
pub async fn check_host(
    State(list): State<std::sync::Arc<HostAllowlist>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or_default()
        .to_string();
    if list.allows(&host) {
        next.run(req).await
    } else {
        tracing::warn!(host = %host, "request refused: its Host header is not allowed");
        (
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this server does not answer to the host name {host:?}; an operator adds it to \
                 [console] allowed_hosts in the config file"
            ),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_allowed_by_name_not_port() {
        let l = HostAllowlist::new(&["Shop.Example:443".into()]);
        for ok in [
            "localhost:8080",
            "127.0.0.1:9",
            "[::1]:80",
            "10.0.0.5:8080",
            "192.168.1.10",
            "shop.example",
        ] {
            assert!(l.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "10.0.0.6.evil.example",
            "localhost.evil.example",
            "",
        ] {
            assert!(!l.allows(bad), "{bad}");
        }
    }
}
