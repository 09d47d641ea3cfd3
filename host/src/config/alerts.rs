//! `[alerts]`: where operators are told of stopped syncs — a webhook (from the file or an
//! environment variable) and e-mail over SMTP — after how many failures in a row, and how often
//! `serve` checks.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::sync::parse_interval;

/// How an SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain, then upgraded with STARTTLS (port 587), which must succeed.
    StartTls,
    /// TLS from the start (port 465).
    Tls,
    /// No encryption: a relay on this machine or the local network only.
    None,
}

/// Alerts by e-mail: the SMTP server, who sends and who is told.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailConfig {
    /// The SMTP server's host name.
    pub smtp_host: String,
    /// Its port.
    pub smtp_port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// The account to log in with, if the server wants one.
    pub user: Option<String>,
    /// Its password (masked in `Debug`).
    pub password: Option<super::Secret>,
    /// The sender (`From`).
    pub from: String,
    /// Who is told (`To`).
    pub to: Vec<String>,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

/// How alerts are sent (`[alerts]` in the config).
#[derive(Clone, PartialEq, Eq)]
pub struct AlertConfig {
    /// Where to POST (a secret for most receivers: masked in `Debug`).
    pub webhook_url: Option<String>,
    /// Where to mail.
    pub email: Option<EmailConfig>,
    /// Failed runs in a row that make an incident.
    pub failures_in_row: u32,
    /// How often `serve` checks.
    pub check_every: Duration,
}

impl std::fmt::Debug for AlertConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertConfig")
            .field("webhook_url", &self.webhook_url.as_ref().map(|_| "***"))
            .field("email", &self.email)
            .field("failures_in_row", &self.failures_in_row)
            .field("check_every", &self.check_every)
            .finish()
    }
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            webhook_url: None,
            email: None,
            failures_in_row: 3,
            check_every: Duration::from_secs(60),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    webhook_url: Option<String>,
    webhook_url_env: Option<String>,
    failures_in_row: Option<u32>,
    check_every: Option<String>,
    email_to: Option<Vec<String>>,
    email_from: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_security: Option<String>,
    smtp_user: Option<String>,
    smtp_password_env: Option<String>,
    smtp_password_file: Option<String>,
}

/// `email_*` and `smtp_*`, checked: all or nothing, addresses that are addresses, a security
/// people name.
fn email_config(
    raw: &RawAlerts,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<EmailConfig>, ConfigError> {
    let bad = |key: &'static str, problem: String, fix: &str| ConfigError::Global {
        key,
        problem,
        fix: fix.into(),
    };
    let any = raw.email_to.is_some()
        || raw.email_from.is_some()
        || raw.smtp_host.is_some()
        || raw.smtp_user.is_some();
    if !any {
        return Ok(None);
    }
    let to = raw.email_to.clone().unwrap_or_default();
    if to.is_empty() {
        return Err(bad(
            "alerts.email_to",
            "is missing or empty".into(),
            "list who is told, e.g. email_to = [\"ops@shop.example\"]",
        ));
    }
    let address = |a: &str| {
        let a = a.trim();
        a.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !a.contains(char::is_whitespace)
        })
    };
    if let Some(a) = to.iter().find(|a| !address(a)) {
        return Err(bad(
            "alerts.email_to",
            format!("{a:?} is not an e-mail address"),
            "write addresses like ops@shop.example",
        ));
    }
    let from = raw.email_from.clone().unwrap_or_default();
    if !address(&from) {
        return Err(bad(
            "alerts.email_from",
            format!("{from:?} is not an e-mail address"),
            "give the sender the SMTP server accepts, e.g. mallhost@shop.example",
        ));
    }
    let Some(host) = raw.smtp_host.clone().filter(|h| !h.trim().is_empty()) else {
        return Err(bad(
            "alerts.smtp_host",
            "is missing".into(),
            "give the SMTP server's host name, e.g. smtp.shop.example",
        ));
    };
    let security = match raw.smtp_security.as_deref().unwrap_or("starttls") {
        "starttls" => SmtpSecurity::StartTls,
        "tls" => SmtpSecurity::Tls,
        "none" => SmtpSecurity::None,
        other => {
            return Err(bad(
                "alerts.smtp_security",
                format!("{other:?} is not one of starttls, tls, none"),
                "use starttls (port 587, the default), tls (port 465) or none (a local relay)",
            ));
        }
    };
    let port = raw.smtp_port.unwrap_or(match security {
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    });
    let password = match (&raw.smtp_password_env, &raw.smtp_password_file) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "alerts.smtp_password_env",
                "and `smtp_password_file` are both set".into(),
                "keep one of them",
            ));
        }
        (Some(var), None) => Some(super::Secret::new(
            env(var).filter(|p| !p.is_empty()).ok_or_else(|| {
                bad(
                    "alerts.smtp_password_env",
                    format!("names the environment variable {var}, which is not set"),
                    &format!("set {var} to the SMTP account's password"),
                )
            })?,
        )),
        (None, Some(file)) => Some(super::Secret::new(
            std::fs::read_to_string(file)
                .map_err(|e| {
                    bad(
                        "alerts.smtp_password_file",
                        format!("names the file {file}, which cannot be read ({})", e.kind()),
                        "point it to a file holding the password alone",
                    )
                })?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        )),
        (None, None) => None,
    };
    if password.is_some() != raw.smtp_user.is_some() {
        return Err(bad(
            "alerts.smtp_user",
            "and its password come together".into(),
            "give both smtp_user and smtp_password_env (or smtp_password_file), or neither",
        ));
    }
    Ok(Some(EmailConfig {
        smtp_host: host.trim().to_string(),
        smtp_port: port,
        security,
        user: raw.smtp_user.clone(),
        password,
        from: from.trim().to_string(),
        to: to.iter().map(|a| a.trim().to_string()).collect(),
    }))
}

/// `[alerts]`, checked: a webhook from the file or an environment variable (most receivers'
/// URLs are secrets), a threshold in range, an interval people write.
pub(super) fn alert_config(
    raw: &RawAlerts,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<AlertConfig, ConfigError> {
    let d = AlertConfig::default();
    let bad = |key: &'static str, problem: String, fix: &str| ConfigError::Global {
        key,
        problem,
        fix: fix.into(),
    };
    let webhook_url = match (&raw.webhook_url, &raw.webhook_url_env) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "alerts.webhook_url",
                "`webhook_url` and `webhook_url_env` are both set".into(),
                "keep one of them",
            ));
        }
        (Some(u), None) => Some(u.clone()),
        (None, Some(var)) => Some(env(var).filter(|u| !u.is_empty()).ok_or_else(|| {
            bad(
                "alerts.webhook_url_env",
                format!("names the environment variable {var}, which is not set"),
                &format!("set {var} to the webhook URL"),
            )
        })?),
        (None, None) => None,
    };
    if let Some(u) = &webhook_url {
        let ok = url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"));
        if !ok {
            return Err(bad(
                "alerts.webhook_url",
                "is not an http(s) URL".into(),
                "give the receiver's URL, e.g. a Slack incoming webhook",
            ));
        }
    }
    let failures_in_row = raw.failures_in_row.unwrap_or(d.failures_in_row);
    if !(1..=100).contains(&failures_in_row) {
        return Err(bad(
            "alerts.failures_in_row",
            format!("is {failures_in_row}, outside 1..=100"),
            "give a value from 1 to 100 (default 3)",
        ));
    }
    let check_every = match &raw.check_every {
        None => d.check_every,
        Some(s) => parse_interval(s).ok_or_else(|| {
            bad(
                "alerts.check_every",
                format!("{s:?} is not an interval"),
                "write it like \"30s\", \"1m\" or \"5m\"",
            )
        })?,
    };
    Ok(AlertConfig {
        webhook_url,
        email: email_config(raw, env)?,
        failures_in_row,
        check_every,
    })
}
