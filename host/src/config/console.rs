//! `[console]`: the host names the web console answers to, how long a login lasts, and whether
//! its cookies are marked `Secure`.

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
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            allowed_hosts: Vec::new(),
            session_hours: 12,
            secure_cookies: false,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConsole {
    allowed_hosts: Option<Vec<String>>,
    session_hours: Option<u32>,
    secure_cookies: Option<bool>,
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
    Ok(ConsoleConfig {
        allowed_hosts,
        session_hours,
        secure_cookies: raw.secure_cookies.unwrap_or(d.secure_cookies),
    })
}
