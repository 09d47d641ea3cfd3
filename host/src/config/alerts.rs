//! `[alerts]`: where operators are told of stopped syncs (a webhook, from the file or an
//! environment variable), after how many failures in a row, and how often `serve` checks.

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::sync::parse_interval;

/// How alerts are sent (`[alerts]` in the config).
#[derive(Clone, PartialEq, Eq)]
pub struct AlertConfig {
    /// Where to POST (a secret for most receivers: masked in `Debug`).
    pub webhook_url: Option<String>,
    /// Failed runs in a row that make an incident.
    pub failures_in_row: u32,
    /// How often `serve` checks.
    pub check_every: Duration,
}

impl std::fmt::Debug for AlertConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertConfig")
            .field("webhook_url", &self.webhook_url.as_ref().map(|_| "***"))
            .field("failures_in_row", &self.failures_in_row)
            .field("check_every", &self.check_every)
            .finish()
    }
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            webhook_url: None,
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
        failures_in_row,
        check_every,
    })
}
