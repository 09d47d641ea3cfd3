//! A shop's named values as the capabilities see them: its id (for messages), its plain settings,
//! its secrets and their expiry dates — what the credential, OAuth and signing capabilities read,
//! and nothing else of the shop's configuration. The runtime builds it once per call
//! (`runtime::shop_values`).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::Secret;

/// A shop's settings and secrets, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct ShopValues<'a> {
    /// The shop's id, for messages.
    pub shop_id: &'a str,
    /// Plain settings by name.
    pub settings: &'a BTreeMap<String, String>,
    /// Secrets by name.
    pub secrets: &'a BTreeMap<String, Secret>,
    /// Expiry dates of secrets that expire, by name.
    pub expiries: &'a BTreeMap<String, NaiveDate>,
}

impl<'a> ShopValues<'a> {
    /// A value by name: a secret, or a plain setting (a user name may be plain).
    pub fn value(&self, name: &str) -> Result<&'a str, String> {
        self.secrets
            .get(name)
            .map(Secret::expose)
            .or_else(|| self.settings.get(name).map(String::as_str))
            .ok_or_else(|| {
                format!(
                    "shop {:?} has no `{name}`: add it under [shops.credentials] (as {name}_env) \
                     or [shops.settings]",
                    self.shop_id
                )
            })
    }

    /// A secret by name.
    pub fn secret(&self, name: &str) -> Option<&'a Secret> {
        self.secrets.get(name)
    }

    /// The expiry date of a secret that expires.
    pub fn expiry(&self, name: &str) -> Option<NaiveDate> {
        self.expiries.get(name).copied()
    }
}
