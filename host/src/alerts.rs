//! Alerts: the people who run the host are told when a shop's sync stops — a job failing
//! `[alerts] failures_in_row` times in a row, a shop's job gone stale, a credential within two
//! weeks of its expiry or past it — once per incident, and once more when it clears.
//!
//! Incidents live in the database (`store::incidents`), so several `serve` processes, or a
//! restart, never tell one twice. Which incidents are open is a pure function of the shops'
//! health ([`incidents`], tested rule by rule); [`check`] opens and closes them and tells what
//! is new. Telling goes through each configured channel: a webhook (a JSON POST with a `text`
//! field, what Slack's incoming webhooks show, and the incident's key, shop, state and message
//! for other receivers) and e-mail (SMTP, through `lettre`). Each channel keeps its own
//! bookkeeping (`store::incidents`): a channel that fails is tried again at the next check,
//! and never makes another one tell twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::config::AlertConfig;
use crate::health::ShopHealth;
use crate::store::{Notice, Store, StoreError};

/// Why alerts could not be checked or sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    /// The database.
    #[error("alert incidents: {0}")]
    Store(#[from] StoreError),
    /// A channel did not take a notice (it is sent again there at the next check).
    #[error("the alert {channel} did not take incident {key}: {message}")]
    Delivery {
        /// `webhook` or `email`.
        channel: &'static str,
        /// The incident.
        key: String,
        /// Why.
        message: String,
    },
}

/// An open problem: a key that stays the same while it lasts, its shop and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// Stable key, e.g. `stale:dshop:fetch`.
    pub key: String,
    /// Shop.
    pub shop: String,
    /// In words.
    pub message: String,
}

/// The incidents the shops' health shows now.
pub fn incidents(health: &[ShopHealth], failures_in_row: u32) -> Vec<Incident> {
    let mut out = Vec::new();
    for s in health {
        let mut add = |kind: &str, what: &str, message: String| {
            out.push(Incident {
                key: format!("{kind}:{}:{what}", s.shop),
                shop: s.shop.clone(),
                message: format!("shop {} ({}): {message}", s.shop, s.mall),
            })
        };
        for j in &s.jobs {
            if j.stale {
                add(
                    "stale",
                    &j.job,
                    match j.last_success_at {
                        Some(at) => format!("{} has not succeeded since {at}", j.job),
                        None => format!("{} has never succeeded", j.job),
                    },
                );
            }
            if failures_in_row > 0 && j.failures_in_row >= failures_in_row {
                let error = j
                    .last_run
                    .as_ref()
                    .and_then(|r| r.error.clone())
                    .unwrap_or_default();
                add(
                    "failing",
                    &j.job,
                    format!(
                        "{} failed {} times in a row: {error}",
                        j.job, j.failures_in_row
                    ),
                );
            }
        }
        for c in &s.credentials {
            if c.expired {
                add(
                    "expired",
                    &c.key,
                    format!("{} expired on {}", c.key, c.expires),
                );
            } else if c.expires_soon {
                add(
                    "expiring",
                    &c.key,
                    format!(
                        "{} expires on {} ({} days left)",
                        c.key, c.expires, c.days_left
                    ),
                );
            }
        }
    }
    out
}

/// Opens and closes incidents from the shops' health, and tells what is new through the
/// webhook (when one is set). Returns what was told.
pub async fn check(
    store: &Store,
    health: &[ShopHealth],
    config: &AlertConfig,
    client: &reqwest::Client,
    now: DateTime<Utc>,
) -> Result<Vec<Notice>, AlertError> {
    let open = incidents(health, config.failures_in_row);
    for i in &open {
        store
            .open_incident(&i.key, &i.shop, &i.message, now)
            .await?;
    }
    let keys: Vec<String> = open.iter().map(|i| i.key.clone()).collect();
    store.close_incidents_except(&keys, now).await?;
    let mut channels: Vec<Channel<'_>> = Vec::new();
    if let Some(url) = &config.webhook_url {
        channels.push(Channel::Webhook(url));
    }
    if let Some(email) = &config.email {
        channels.push(Channel::Email(email));
    }
    let mut told = Vec::new();
    let mut failed = None;
    for channel in channels {
        for notice in store.claim_notices(channel.id(), now).await? {
            let sent = match channel {
                Channel::Webhook(url) => send(client, url, &notice).await,
                Channel::Email(email) => mail(email, &notice).await,
            };
            match sent {
                Ok(()) => told.push(notice),
                Err(message) => {
                    store.unclaim_notice(channel.id(), &notice).await?;
                    failed.get_or_insert(AlertError::Delivery {
                        channel: channel.id(),
                        key: notice.key.clone(),
                        message,
                    });
                }
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(told),
    }
}

/// Where notices go.
#[derive(Clone, Copy)]
enum Channel<'a> {
    Webhook(&'a str),
    Email(&'a crate::config::EmailConfig),
}

impl Channel<'_> {
    /// Its name in the bookkeeping.
    fn id(&self) -> &'static str {
        match self {
            Channel::Webhook(_) => "webhook",
            Channel::Email(_) => "email",
        }
    }
}

/// The subject and text of a notice, in Japanese first.
fn words(n: &Notice) -> (String, String) {
    if n.recovered {
        (
            format!("[mallhost] 復旧 / resolved: {}", n.shop),
            format!("✅ 復旧 / resolved: {}", n.message),
        )
    } else {
        (
            format!("[mallhost] 障害 / alert: {}", n.shop),
            format!("🔴 障害 / alert: {}", n.message),
        )
    }
}

/// One notice as an e-mail.
async fn mail(e: &crate::config::EmailConfig, n: &Notice) -> Result<(), String> {
    use lettre::message::header::{ContentTransferEncoding, ContentType};
    use lettre::message::{Mailbox, SinglePart};
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let (subject, text) = words(n);
    let mailbox = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|err| format!("{a:?} is not an address the mail can carry: {err}"))
    };
    let mut builder = Message::builder().from(mailbox(&e.from)?).subject(subject);
    for to in &e.to {
        builder = builder.to(mailbox(to)?);
    }
    // Quoted-printable: the Japanese is carried, the ASCII lines (the incident's key and state)
    // stay readable to a filter.
    let body = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::QuotedPrintable)
        .body(format!(
            "{text}\n\nincident: {}\nshop: {}\nstate: {}\n",
            n.key,
            n.shop,
            if n.recovered { "resolved" } else { "open" }
        ));
    let message = builder.singlepart(body).map_err(|err| err.to_string())?;
    type Smtp = AsyncSmtpTransport<Tokio1Executor>;
    let transport = match e.security {
        crate::config::SmtpSecurity::StartTls => Smtp::starttls_relay(&e.smtp_host),
        crate::config::SmtpSecurity::Tls => Smtp::relay(&e.smtp_host),
        crate::config::SmtpSecurity::None => Ok(Smtp::builder_dangerous(&e.smtp_host)),
    }
    .map_err(|err| format!("SMTP server {}: {err}", e.smtp_host))?
    .port(e.smtp_port)
    .timeout(Some(Duration::from_secs(20)));
    let transport = match (&e.user, &e.password) {
        (Some(user), Some(password)) => transport.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        )),
        _ => transport,
    };
    transport
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|err| format!("SMTP server {}:{}: {err}", e.smtp_host, e.smtp_port))
}

/// Checks every `config.alerts.check_every` until `stop` changes (what `serve` runs): the
/// shops' health, then [`check`]. Failures are logged and tried again at the next check.
pub async fn watch(
    store: Store,
    config: std::sync::Arc<crate::config::Config>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_default();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(config.alerts.check_every) => {}
            _ = stop.changed() => break,
        }
        let now = Utc::now();
        let health =
            match crate::health::shops(&store, &config, now, crate::time::jst_date(now)).await {
                Ok(h) => h,
                Err(e) => {
                    tracing::warn!("health cannot be read for alerts (tried again): {e}");
                    continue;
                }
            };
        match check(&store, &health, &config.alerts, &client, now).await {
            Ok(told) => {
                for n in told {
                    tracing::warn!(
                        shop = %n.shop,
                        incident = %n.key,
                        recovered = n.recovered,
                        "alert sent: {}",
                        n.message
                    );
                }
            }
            Err(e) => tracing::warn!("alerts (tried again at the next check): {e}"),
        }
    }
}

/// One notice as a webhook POST.
async fn send(client: &reqwest::Client, url: &str, n: &Notice) -> Result<(), String> {
    let state = if n.recovered { "resolved" } else { "open" };
    let (_, text) = words(n);
    let body = serde_json::json!({
        "text": text,
        "incident": n.key,
        "shop": n.shop,
        "state": state,
        "message": n.message,
    });
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", r.status().as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::{CredentialHealth, JobHealth, judge_shop};

    fn job(stale: bool, failures: u32) -> JobHealth {
        JobHealth {
            job: "fetch".into(),
            every_secs: 60,
            last_run: None,
            last_success_at: None,
            failures_in_row: failures,
            running: false,
            stale,
            next_due: None,
            clock_moved: false,
        }
    }

    fn cred(days: i64) -> CredentialHealth {
        CredentialHealth {
            key: "license_key".into(),
            expires: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            days_left: days,
            expired: days < 0,
            expires_soon: (0..=14).contains(&days),
        }
    }

    fn keys(h: &[ShopHealth], n: u32) -> Vec<String> {
        incidents(h, n).into_iter().map(|i| i.key).collect()
    }

    #[test]
    fn failures_make_an_incident_only_from_the_threshold() {
        let h = |f| vec![judge_shop("s", "m", vec![job(false, f)], vec![])];
        assert!(keys(&h(2), 3).is_empty());
        assert_eq!(keys(&h(3), 3), ["failing:s:fetch"]);
    }

    #[test]
    fn a_stale_job_and_each_credential_state_is_its_own_incident() {
        let h = vec![judge_shop("s", "m", vec![job(true, 0)], vec![cred(5)])];
        assert_eq!(keys(&h, 3), ["stale:s:fetch", "expiring:s:license_key"]);
        let h = vec![judge_shop("s", "m", vec![job(false, 0)], vec![cred(-2)])];
        assert_eq!(keys(&h, 3), ["expired:s:license_key"]);
        let h = vec![judge_shop("s", "m", vec![job(false, 0)], vec![cred(40)])];
        assert!(keys(&h, 3).is_empty());
    }

    #[test]
    fn the_webhook_address_is_never_shown() {
        let c = AlertConfig {
            webhook_url: Some("https://hooks.example.com/services/T0/B0/secret".into()),
            ..AlertConfig::default()
        };
        assert!(!format!("{c:?}").contains("secret"));
    }
}
