//! A shop's plain settings and secrets: `[shops.settings]` (each from `<name>` or, for a long
//! value such as a public key, `<name>_file`), `[shops.credentials]` (each secret
//! from `<name>_env`, `<name>_file` or, for tests, `<name>`; `<name>_expires` its expiry date),
//! and the legacy top-level `partner_code` / `api_password(_env)` keys of contract 0.1.0's days,
//! which still load with a warning.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::shop::RawShop;
use super::{ConfigError, Secret};

/// The plain setting contract 0.1.0 plugins' one credential used as its user (HTTP Basic), and
/// the legacy top-level key of the same name.
pub const LEGACY_USER: &str = "partner_code";
/// The secret contract 0.1.0 plugins' one credential used as its password, and the legacy
/// top-level key of the same name (with `_env`).
pub const LEGACY_PASSWORD: &str = "api_password";

/// The shop's plain settings, secrets and secrets' expiry dates, from `[shops.settings]`,
/// `[shops.credentials]` and the legacy `partner_code` / `api_password(_env)` keys (which load
/// with a warning). A secret is given as `<name>_env` (an environment variable), `<name>_file`
/// (a file holding it) or, for tests, `<name>` itself; `<name>_expires` is its expiry date.
#[allow(clippy::type_complexity)]
pub(super) fn settings_and_credentials(
    s: &RawShop,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
    secrets: super::Secrets,
) -> Result<
    (
        BTreeMap<String, String>,
        BTreeMap<String, Secret>,
        BTreeMap<String, NaiveDate>,
    ),
    ConfigError,
> {
    let err = |key: &str, problem: String, fix: &str| ConfigError::Shop {
        shop: s.id.clone(),
        key: key.to_string(),
        problem,
        fix: fix.into(),
    };
    let mut settings = BTreeMap::new();
    for (name, value) in &s.settings {
        let text = match value {
            toml::Value::String(v) => v.clone(),
            toml::Value::Integer(v) => v.to_string(),
            toml::Value::Boolean(v) => v.to_string(),
            other => {
                return Err(err(
                    &format!("settings.{name}"),
                    format!(
                        "is a {}, not a text, number or true/false",
                        other.type_str()
                    ),
                    "write it as a string",
                ));
            }
        };
        // `<name>_file`: the setting is the file's text (a public key in PEM, a long template),
        // which a TOML string would hold badly.
        let (name, text) = match name.strip_suffix("_file") {
            Some(base) if !base.is_empty() => {
                let read = std::fs::read_to_string(&text).map_err(|e| {
                    err(
                        &format!("settings.{name}"),
                        format!("names the file {text}, which cannot be read ({})", e.kind()),
                        "point it to a file holding the setting's value alone",
                    )
                })?;
                (
                    base.to_string(),
                    read.trim_end_matches(['\r', '\n']).to_string(),
                )
            }
            _ => (name.clone(), text),
        };
        if settings.insert(name.clone(), text).is_some() {
            return Err(err(
                &format!("settings.{name}"),
                format!("gives the setting {name:?} a second time"),
                &format!("keep one of {name}, {name}_file"),
            ));
        }
    }
    let mut credentials = BTreeMap::new();
    let mut expiries = BTreeMap::new();
    let mut put = |name: &str, key: &str, value: Secret| -> Result<(), ConfigError> {
        if credentials.insert(name.to_string(), value).is_some() {
            return Err(err(
                &format!("credentials.{key}"),
                format!("gives the secret {name:?} a second time"),
                &format!("keep one of {name}, {name}_env, {name}_file"),
            ));
        }
        Ok(())
    };
    for (key, value) in &s.credentials {
        let shown = format!("credentials.{key}");
        if let Some(name) = key.strip_suffix("_expires") {
            let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
                err(
                    &shown,
                    format!("{value:?} is not a date"),
                    "write the expiry date as \"YYYY-MM-DD\"",
                )
            })?;
            expiries.insert(name.to_string(), date);
        } else if let Some(name) = key.strip_suffix("_env") {
            match env(value) {
                Some(v) if !v.is_empty() => put(name, key, Secret::new(v))?,
                _ if !s.order_api => {}
                _ if secrets == super::Secrets::Optional => warnings.push(format!(
                    "shop {:?}: {shown} names the environment variable {value}, which is not \
                     set (this command does not need it)",
                    s.id
                )),
                _ => {
                    return Err(err(
                        &shown,
                        format!("names the environment variable {value}, which is not set"),
                        &format!("export {value}=<the shop's {name}>"),
                    ));
                }
            }
        } else if let Some(name) = key.strip_suffix("_file") {
            if secrets == super::Secrets::Optional && std::fs::metadata(value).is_err() {
                warnings.push(format!(
                    "shop {:?}: {shown} names the file {value}, which cannot be read (this \
                     command does not need it)",
                    s.id
                ));
                continue;
            }
            let text = std::fs::read_to_string(value).map_err(|e| {
                err(
                    &shown,
                    format!(
                        "names the file {value}, which cannot be read ({})",
                        e.kind()
                    ),
                    "point it to a file holding the secret alone",
                )
            })?;
            put(name, key, Secret::new(text.trim_end_matches(['\r', '\n'])))?;
        } else {
            put(key, key, Secret::new(value.clone()))?;
        }
    }
    // Before declared settings, a shop had a partner code and an API password of its own.
    if let Some(code) = &s.partner_code {
        warnings.push(format!(
            "shop {:?}: `partner_code` is deprecated; write it as `partner_code` under \
             [shops.settings]",
            s.id
        ));
        if settings.insert(LEGACY_USER.into(), code.clone()).is_some() {
            return Err(err(
                "partner_code",
                "is also set under [shops.settings]".into(),
                "keep the one under [shops.settings]",
            ));
        }
    }
    let legacy = match (&s.api_password, &s.api_password_env) {
        (Some(_), Some(_)) => {
            return Err(err(
                "api_password",
                "and `api_password_env` are both set".into(),
                "keep one of them",
            ));
        }
        (Some(p), None) => Some(("api_password", Secret::new(p.clone()))),
        (None, Some(var)) => match env(var) {
            Some(p) if !p.is_empty() => Some(("api_password_env", Secret::new(p))),
            _ if !s.order_api || secrets == super::Secrets::Optional => None,
            _ => {
                return Err(err(
                    "api_password_env",
                    format!("names the environment variable {var}, which is not set"),
                    &format!("export {var}=<the API password (APIパスワード)>"),
                ));
            }
        },
        (None, None) => None,
    };
    if let Some((key, secret)) = legacy {
        warnings.push(format!(
            "shop {:?}: `{key}` is deprecated; write it as `{key}` under [shops.credentials]",
            s.id
        ));
        put(LEGACY_PASSWORD, key, secret)?;
    }
    Ok((settings, credentials, expiries))
}
