//! `[console]`: the host names the web console answers to, how long a login lasts, whether its
//! cookies are marked `Secure`, and which proxies in front of it are believed about the client's
//! address.

use serde::Deserialize;

use super::ConfigError;

/// `[console]` in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// Host names (besides loopback and the listening address) the server answers to.
    pub allowed_hosts: Vec<String>,
    /// How long a login lasts, in hours.
    pub session_hours: u32,
    /// Mark cookies `Secure` (the console is reached over HTTPS through a proxy).
    pub secure_cookies: bool,
    /// Addresses of the proxies in front of the server whose `X-Forwarded-For` is believed
    /// (none by default: any local process could send the header).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Failed logins from one address in 15 minutes before it is refused (5; an office whose
    /// staff share one address may raise it).
    pub login_failures_per_address: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            allowed_hosts: Vec::new(),
            session_hours: 12,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            login_failures_per_address: 5,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConsole {
    allowed_hosts: Option<Vec<String>>,
    session_hours: Option<u32>,
    secure_cookies: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    login_failures_per_address: Option<u32>,
}

/// `[console]`, checked: host names without scheme or path, a session length in range.
pub(super) fn console_config(raw: &RawConsole) -> Result<ConsoleConfig, ConfigError> {
    let d = ConsoleConfig::default();
    let bad = |key: &'static str, problem: String, fix: &str| ConfigError::Global {
        key,
        problem,
        fix: fix.into(),
    };
    let allowed_hosts = raw.allowed_hosts.clone().unwrap_or_default();
    for h in &allowed_hosts {
        let ok = !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !ok {
            return Err(bad(
                "console.allowed_hosts",
                format!("{h:?} is not a host name"),
                "list the names staff type in the browser, e.g. [\"mallhost.shop.example\"] \
                 (no scheme, no path; a port may follow a colon)",
            ));
        }
    }
    let session_hours = raw.session_hours.unwrap_or(d.session_hours);
    if !(1..=720).contains(&session_hours) {
        return Err(bad(
            "console.session_hours",
            format!("is {session_hours}, outside 1..=720"),
            "give the hours a login lasts, from 1 to 720 (default 12)",
        ));
    }
    let mut trusted_proxies = Vec::new();
    for p in raw.trusted_proxies.iter().flatten() {
        match p.trim().parse::<std::net::IpAddr>() {
            Ok(ip) => trusted_proxies.push(ip),
            Err(_) => {
                return Err(bad(
                    "console.trusted_proxies",
                    format!("{p:?} is not an IP address"),
                    "list the addresses of the proxies in front of the server, e.g. \
                     [\"127.0.0.1\"] for nginx on the same machine",
                ));
            }
        }
    }
    let per_address = raw
        .login_failures_per_address
        .unwrap_or(d.login_failures_per_address);
    if !(1..=1000).contains(&per_address) {
        return Err(bad(
            "console.login_failures_per_address",
            format!("is {per_address}, outside 1..=1000"),
            "give the failed logins one address may make in 15 minutes (default 5)",
        ));
    }
    Ok(ConsoleConfig {
        allowed_hosts,
        session_hours,
        secure_cookies: raw.secure_cookies.unwrap_or(d.secure_cookies),
        trusted_proxies,
        login_failures_per_address: per_address,
    })
}
