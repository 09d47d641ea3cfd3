//! Computed headers (contract 0.3.0): headers a plugin declares and the host builds on every
//! authenticated request, beside the auth scheme's — a template of the shop's settings and the
//! time (`{seller_id}:{unix-time}`), or such a template encrypted with the shop's **public** key
//! (RSA PKCS#1 v1.5, base64), as a mall that checks a seller-encrypted timestamp wants. The key
//! is a setting (a PEM, usually given as `<name>_file`); the plugin never sees the key, the
//! values or the header, and cannot set the header itself. A key that does not parse makes every
//! authenticated request of the shop fail with a message naming the setting; an expired one
//! refuses the shop's calls like any expired credential (`<name>_expires`).
//!
//! The time is the machine's real clock, not the host's business clock: the mall compares it
//! with its own.

use base64::Engine as _;
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;

use super::ShopValues;
use super::credentials::placeholders;
use crate::config::Secret;
use crate::connector::{ComputedHeader, HeaderValue};

/// The placeholder for the time, in UTC seconds.
pub const UNIX_TIME: &str = "unix-time";

/// How one header's value is made, its settings filled in.
#[derive(Clone)]
enum Made {
    Template(String),
    Encrypted {
        key: Box<RsaPublicKey>,
        template: String,
    },
}

/// A shop's computed headers, ready to put on requests.
#[derive(Clone, Default)]
pub struct ComputedHeaders {
    headers: Vec<(String, Result<Made, String>)>,
}

impl std::fmt::Debug for ComputedHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.headers.iter().map(|(name, _)| name))
            .finish()
    }
}

impl ComputedHeaders {
    /// The headers `declared` by the plugin, with the shop's values.
    pub fn new(shop: ShopValues<'_>, declared: &[ComputedHeader]) -> ComputedHeaders {
        let headers = declared
            .iter()
            .map(|h| {
                let made = match &h.value {
                    HeaderValue::Template { template } => fill(shop, template).map(Made::Template),
                    HeaderValue::Encrypted { key, template } => {
                        fill(shop, template).and_then(|t| {
                            let pem = shop.value(key)?;
                            let parsed = parse(pem).map_err(|e| {
                            format!(
                                "shop {:?}: `{key}` is not an RSA public key in PEM form ({e}); \
                                 give the key file the mall issued as `{key}_file`",
                                shop.shop_id
                            )
                        })?;
                            Ok(Made::Encrypted {
                                key: Box::new(parsed),
                                template: t,
                            })
                        })
                    }
                };
                (h.header.to_ascii_lowercase(), made)
            })
            .collect();
        ComputedHeaders { headers }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    /// The header names, which a plugin may not set itself.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.headers.iter().map(|(n, _)| n.as_str())
    }

    /// The headers' values at `unix_time`, or the first reason one cannot be made.
    pub fn values(&self, unix_time: i64) -> Result<Vec<(String, Secret)>, String> {
        let time = unix_time.to_string();
        let placeholder = format!("{{{UNIX_TIME}}}");
        self.headers
            .iter()
            .map(|(name, made)| {
                let value = match made.as_ref().map_err(Clone::clone)? {
                    Made::Template(t) => t.replace(&placeholder, &time),
                    Made::Encrypted { key, template } => {
                        let text = template.replace(&placeholder, &time);
                        let sealed = key
                            .encrypt(&mut rand_core::OsRng, rsa::Pkcs1v15Encrypt, text.as_bytes())
                            .map_err(|e| format!("header {name}: encryption failed: {e}"))?;
                        base64::engine::general_purpose::STANDARD.encode(sealed)
                    }
                };
                Ok((name.clone(), Secret::new(value)))
            })
            .collect()
    }
}

/// The settings a declaration reads (for expiry checks).
pub fn used_settings(declared: &[ComputedHeader]) -> Vec<&str> {
    let mut out = Vec::new();
    for h in declared {
        let template = match &h.value {
            HeaderValue::Template { template } => template,
            HeaderValue::Encrypted { key, template } => {
                out.push(key.as_str());
                template
            }
        };
        out.extend(
            placeholders(template)
                .into_iter()
                .filter(|n| *n != UNIX_TIME),
        );
    }
    out
}

/// `template` with every `{name}` but `{unix-time}` replaced by the shop's value.
fn fill(shop: ShopValues<'_>, template: &str) -> Result<String, String> {
    let mut out = template.to_string();
    for name in placeholders(template)
        .into_iter()
        .filter(|n| *n != UNIX_TIME)
    {
        out = out.replace(&format!("{{{name}}}"), shop.value(name)?);
    }
    Ok(out)
}

fn parse(pem: &str) -> Result<RsaPublicKey, String> {
    RsaPublicKey::from_public_key_pem(pem.trim())
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::RsaPrivateKey;
    use rsa::pkcs8::EncodePublicKey;
    use std::collections::BTreeMap;

    fn key() -> RsaPrivateKey {
        let pem = include_str!("testdata/signing-key.pem");
        <RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(pem)
            .or_else(|_| <RsaPrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_pem(pem))
            .expect("test key")
    }

    fn declared() -> Vec<ComputedHeader> {
        vec![
            ComputedHeader {
                header: "X-Sig".into(),
                value: HeaderValue::Encrypted {
                    key: "public_key".into(),
                    template: "{seller_id}:{unix-time}".into(),
                },
            },
            ComputedHeader {
                header: "X-Sig-Version".into(),
                value: HeaderValue::Template {
                    template: "{public_key_version}".into(),
                },
            },
        ]
    }

    #[test]
    fn the_template_is_encrypted_with_the_public_key_and_the_version_filled_in() {
        let private = key();
        let public = private
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("pem");
        let settings = BTreeMap::from([
            ("seller_id".to_string(), "store-a".to_string()),
            ("public_key_version".to_string(), "3".to_string()),
        ]);
        let secrets = BTreeMap::from([("public_key".to_string(), Secret::new(public))]);
        let expiries = BTreeMap::new();
        let shop = ShopValues {
            shop_id: "s",
            settings: &settings,
            secrets: &secrets,
            expiries: &expiries,
        };
        let headers = ComputedHeaders::new(shop, &declared());
        assert_eq!(
            headers.names().collect::<Vec<_>>(),
            ["x-sig", "x-sig-version"]
        );
        let values = headers.values(1_800_000_000).expect("made");
        assert_eq!(values[1].1.expose(), "3");
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(values[0].1.expose())
            .expect("base64");
        let text = private
            .decrypt(rsa::Pkcs1v15Encrypt, &sealed)
            .expect("decrypts with the private key");
        assert_eq!(text, b"store-a:1800000000");
        assert_eq!(
            used_settings(&declared()),
            ["public_key", "seller_id", "public_key_version"]
        );
    }

    #[test]
    fn a_bad_key_or_a_missing_setting_is_named() {
        let settings = BTreeMap::from([("seller_id".to_string(), "store-a".to_string())]);
        let secrets = BTreeMap::from([("public_key".to_string(), Secret::new("not a pem"))]);
        let expiries = BTreeMap::new();
        let shop = ShopValues {
            shop_id: "s",
            settings: &settings,
            secrets: &secrets,
            expiries: &expiries,
        };
        let err = ComputedHeaders::new(shop, &declared())
            .values(1)
            .expect_err("refused");
        assert!(
            err.contains("`public_key` is not an RSA public key"),
            "{err}"
        );
        let only_version = &declared()[1..];
        let err = ComputedHeaders::new(shop, only_version)
            .values(1)
            .expect_err("refused");
        assert!(err.contains("no `public_key_version`"), "{err}");
    }
}
