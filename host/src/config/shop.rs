//! One `[[shops]]` entry: the shop's mall, API base URL and allowed origins, the status fetched
//! orders are stored in, the fetch window, conversion tables, carrier ids, automatic jobs and
//! pace — each checked, every error naming the shop, the key and the fix.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use serde::Deserialize;
use url::Url;

use super::sync::{MAX_INTERVAL, MIN_INTERVAL, parse_interval};
use super::{ConfigError, Secret};
use crate::model::OrderStatus;

/// The most days back a fetch may reach ([7] 受注を取得する日数).
pub const MAX_FETCH_DAYS: u32 = 90;

/// One shop on one mall (モール詳細設定).
#[derive(Debug, Clone)]
pub struct ShopConfig {
    /// The host's id of the shop (used in commands and the database).
    pub id: String,
    /// A human name.
    pub name: String,
    /// The mall id of the plugin that serves it (e.g. `mymall`).
    pub mall: String,
    /// Order API on/off (受注API 利用する).
    pub order_api: bool,
    /// The mall API's base URL, without trailing slash.
    pub base_url: String,
    /// The plain settings the shop's plugin declares (`[shops.settings]`), by name.
    pub settings: BTreeMap<String, String>,
    /// The secrets the shop's plugin declares (`[shops.credentials]`), by name: never handed to
    /// a plugin, never printed.
    pub credentials: BTreeMap<String, Secret>,
    /// Expiry dates of secrets that expire (`<name>_expires`), by secret name.
    pub expiries: BTreeMap<String, NaiveDate>,
    /// [6] the status fetched orders are stored in (受注格納先ステータス).
    pub stored_status: OrderStatus,
    /// [7] days back, by order date, a fetch reaches (受注を取得する日数).
    pub fetch_days: u32,
    /// Origins (`scheme://host:port`) the plugin may call for this shop.
    pub allowed_origins: Vec<String>,
    /// Whether the plugin may reach loopback and private addresses (an emulator, a proxy).
    pub allow_private_network: bool,
    /// Mall delivery-method label → merchant carrier (配送業者変換).
    pub delivery_methods: BTreeMap<String, String>,
    /// Mall time-slot label → merchant time slot (配送時間帯変換).
    pub time_slots: BTreeMap<String, String>,
    /// Merchant carrier → the mall's carrier id (配送業者ID設定).
    pub carrier_ids: BTreeMap<String, String>,
    /// Automatic fetch (自動取得) by `mallhost serve`: every this often, or off.
    pub auto_fetch: Option<Duration>,
    /// Automatic export (自動書き出し) by `mallhost serve`: every this often, or off.
    pub auto_export: Option<Duration>,
    /// How fast the host lets the shop's requests go: the mall's declared pace (default),
    /// another one, or none.
    pub pace: Pace,
    /// `[shops.labels]`: what the carriers' label software needs of the shop.
    pub labels: super::LabelConfig,
}

/// A shop's pacing of its mall requests (`pace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pace {
    /// What the plugin declares for its mall.
    #[default]
    Mall,
    /// This many requests a second (a quota the mall granted the shop).
    PerSecond(u32),
    /// No pacing by the host (a proxy paces, or a test mall).
    Off,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawShop {
    pub(super) id: String,
    pub(super) name: Option<String>,
    pub(super) mall: String,
    #[serde(default = "yes")]
    pub(super) order_api: bool,
    pub(super) base_url: String,
    /// Legacy (before declared settings): `settings.partner_code`.
    pub(super) partner_code: Option<String>,
    /// Legacy: `credentials.api_password`.
    pub(super) api_password: Option<String>,
    /// Legacy: `credentials.api_password_env`.
    pub(super) api_password_env: Option<String>,
    #[serde(default)]
    pub(super) settings: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub(super) credentials: BTreeMap<String, String>,
    #[serde(default = "default_status")]
    pub(super) stored_status: String,
    #[serde(default = "default_days")]
    pub(super) fetch_days: u32,
    pub(super) allowed_origins: Option<Vec<String>>,
    #[serde(default)]
    pub(super) allow_private_network: bool,
    #[serde(default)]
    pub(super) delivery_methods: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) time_slots: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) carrier_ids: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) auto_fetch: bool,
    pub(super) auto_fetch_every: Option<String>,
    #[serde(default)]
    pub(super) auto_export: bool,
    pub(super) auto_export_every: Option<String>,
    pub(super) pace: Option<String>,
    #[serde(default)]
    pub(super) labels: super::labels::RawLabels,
}

fn yes() -> bool {
    true
}
fn default_status() -> String {
    OrderStatus::Confirmed.id().to_string()
}
fn default_days() -> u32 {
    7
}

pub(super) fn validate_shop(
    s: RawShop,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
    secrets: super::Secrets,
) -> Result<ShopConfig, ConfigError> {
    let err = |key: &str, problem: String, fix: &str| ConfigError::Shop {
        shop: s.id.clone(),
        key: key.to_string(),
        problem,
        fix: fix.to_string(),
    };
    if s.id.is_empty()
        || !s
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(err(
            "id",
            format!("{:?} is not a valid id", s.id),
            "use letters, digits, - and _",
        ));
    }
    let stored_status = OrderStatus::from_id(&s.stored_status).ok_or_else(|| {
        let known: Vec<_> = OrderStatus::ALL
            .iter()
            .map(|st| format!("{} ({})", st.id(), st.label()))
            .collect();
        err(
            "stored_status",
            format!("{:?} is not a status", s.stored_status),
            &format!("use one of {}", known.join(", ")),
        )
    })?;
    if s.fetch_days == 0 || s.fetch_days > MAX_FETCH_DAYS {
        return Err(err(
            "fetch_days",
            format!("is {}", s.fetch_days),
            &format!("use a number of days from 1 to {MAX_FETCH_DAYS}"),
        ));
    }
    let url = Url::parse(&s.base_url).map_err(|e| {
        err(
            "base_url",
            format!("{:?} is not a URL ({e})", s.base_url),
            "write the API's base URL, e.g. https://api.example.jp/v1",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(err(
            "base_url",
            format!("{:?} is not an http(s) URL", s.base_url),
            "use https://HOST/PATH",
        ));
    }
    let (settings, credentials, expiries) =
        super::credentials::settings_and_credentials(&s, env, warnings, secrets)?;
    let origin = url.origin().ascii_serialization();
    let allowed_origins = match &s.allowed_origins {
        None => vec![origin],
        Some(list) => {
            for o in list {
                let ok = Url::parse(o)
                    .is_ok_and(|u| u.origin().ascii_serialization() == o.trim_end_matches('/'));
                if !ok {
                    return Err(err(
                        "allowed_origins",
                        format!("{o:?} is not an origin"),
                        "write scheme://host[:port], e.g. https://api.example.jp",
                    ));
                }
            }
            list.iter()
                .map(|o| o.trim_end_matches('/').to_string())
                .collect()
        }
    };
    for (carrier, id) in &s.carrier_ids {
        if id.trim().is_empty() {
            return Err(err(
                "carrier_ids",
                format!("gives carrier {carrier:?} an empty id"),
                "set the mall's id for the carrier (配送業者ID設定), or remove the entry",
            ));
        }
    }
    // Every carrier the conversion table assigns must be exportable: it needs the mall's id.
    for (label, carrier) in &s.delivery_methods {
        if !s.carrier_ids.contains_key(carrier) {
            return Err(err(
                "delivery_methods",
                format!(
                    "converts {label:?} to carrier {carrier:?}, which has no entry in `carrier_ids`"
                ),
                &format!(
                    "add {carrier} = \"<the mall's carrier id>\" under [shops.carrier_ids] (配送業者ID設定)"
                ),
            ));
        }
    }
    let interval = |key: &'static str,
                    on: bool,
                    every: &Option<String>,
                    default: Duration|
     -> Result<Option<Duration>, ConfigError> {
        let d = match every {
            None => default,
            Some(text) => parse_interval(text)
                .filter(|d| (MIN_INTERVAL..=MAX_INTERVAL).contains(d))
                .ok_or_else(|| {
                    err(
                        key,
                        format!("{text:?} is not an interval from 1s to 24h"),
                        "write it like \"90s\", \"15m\" or \"1h\"",
                    )
                })?,
        };
        Ok(on.then_some(d))
    };
    let auto_fetch = interval(
        "auto_fetch_every",
        s.auto_fetch,
        &s.auto_fetch_every,
        Duration::from_secs(15 * 60),
    )?;
    let auto_export = interval(
        "auto_export_every",
        s.auto_export,
        &s.auto_export_every,
        Duration::from_secs(30 * 60),
    )?;
    let pace = match s.pace.as_deref().map(str::trim) {
        None | Some("mall") => Pace::Mall,
        Some("off") => Pace::Off,
        Some(text) => text
            .strip_suffix("/s")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .filter(|n| (1..=1000).contains(n))
            .map(Pace::PerSecond)
            .ok_or_else(|| {
                err(
                    "pace",
                    format!("{text:?} is not a pace"),
                    "write \"mall\" (the mall's declared pace, the default), \"N/s\" with N \
                     from 1 to 1000, or \"off\"",
                )
            })?,
    };
    let labels = super::labels::labels(&s.id, &s.labels)?;
    Ok(ShopConfig {
        labels,
        pace,
        name: s.name.clone().unwrap_or_else(|| s.id.clone()),
        mall: s.mall.clone(),
        order_api: s.order_api,
        base_url: s.base_url.trim_end_matches('/').to_string(),
        settings,
        credentials,
        expiries,
        stored_status,
        fetch_days: s.fetch_days,
        allowed_origins,
        allow_private_network: s.allow_private_network,
        delivery_methods: s.delivery_methods.clone(),
        time_slots: s.time_slots.clone(),
        carrier_ids: s.carrier_ids.clone(),
        auto_fetch,
        auto_export,
        id: s.id,
    })
}
