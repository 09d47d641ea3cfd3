//! Signing: some malls want a header signed with a key of the shop's (e.g. over
//! `"<seller>:<unixtime>"`). The plugin declares which secret holds the
//! key (`signing-key` in its info) and hands the message; the host signs it — RSA PKCS#1 v1.5
//! over SHA-256, base64 — and returns the signature. The key stays in the host: the plugin never
//! sees it. The RSA work is RustCrypto's `rsa` crate.
//!
//! The host signs only what the template allows, so `sign` is no oracle (a request a year
//! ahead, a JWT): [`TEMPLATE`], `<a plain setting's value>:<unix seconds>` with the time within
//! [`SKEW_SECS`] of the host's clock. Contract 0.2.0 declares no template: this one is its rule.
//!
//! The key is a PEM file's text (`-----BEGIN PRIVATE KEY-----`, PKCS#8, or
//! `-----BEGIN RSA PRIVATE KEY-----`, PKCS#1), usually given as `<name>_file`.

use base64::Engine as _;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer as _};
use sha2::Sha256;

use super::ShopValues;

/// What the host signs: a plain setting's value (the seller id), a colon, the unix time.
pub const TEMPLATE: &str = "{<plain setting>}:{unix_time}";

/// How far the time in a message may be from the host's clock, in seconds.
pub const SKEW_SECS: i64 = 300;

/// A shop's signing key, or why there is none, and the values a message may start with.
#[derive(Clone)]
pub struct Signer {
    key: Result<SigningKey<Sha256>, String>,
    plain: Vec<String>,
    shop_id: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key", &self.key.as_ref().map(|_| "********"))
            .finish()
    }
}

impl Signer {
    /// The signer of a shop with its secret named `setting` (what the plugin declares).
    pub fn new(shop: ShopValues<'_>, setting: &str) -> Signer {
        let key = match shop.secret(setting) {
            None => Err(format!(
                "shop {:?} has no `{setting}` (the signing key): add `{setting}_file = \"<PEM \
                 file>\"` under [shops.credentials]",
                shop.shop_id
            )),
            Some(pem) => parse(pem.expose()).map_err(|e| {
                format!(
                    "shop {:?}: `{setting}` is not an RSA private key in PEM form ({e})",
                    shop.shop_id
                )
            }),
        };
        Signer {
            key,
            plain: shop.settings.values().cloned().collect(),
            shop_id: shop.shop_id.to_string(),
        }
    }

    /// Signs `message` — RSA PKCS#1 v1.5 over SHA-256, base64 — when it is of the [`TEMPLATE`]
    /// with a time within [`SKEW_SECS`] of `now` (unix seconds).
    pub fn sign(&self, message: &str, now: i64) -> Result<String, String> {
        self.allows(message, now)?;
        let key = self.key.as_ref().map_err(Clone::clone)?;
        let signature = key.sign(message.as_bytes());
        Ok(base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()))
    }
}

impl Signer {
    /// Why the host will not sign `message` at `now`, if it will not.
    fn allows(&self, message: &str, now: i64) -> Result<(), String> {
        let refused = |why: String| {
            Err(format!(
                "shop {:?}: the host signs only `{TEMPLATE}` with the time within {SKEW_SECS} s \
                 of now; {why}",
                self.shop_id
            ))
        };
        let Some((value, time)) = message.rsplit_once(':') else {
            return refused(format!("{} bytes without a `:`", message.len()));
        };
        if !self.plain.iter().any(|v| v == value) {
            return refused("the text before the time is none of the shop's settings".into());
        }
        let Ok(time) = time.parse::<i64>() else {
            return refused("the text after the last `:` is not unix seconds".into());
        };
        if time.abs_diff(now) > SKEW_SECS.unsigned_abs() {
            return refused(format!("{time} is {} s from now", time - now));
        }
        Ok(())
    }
}

fn parse(pem: &str) -> Result<SigningKey<Sha256>, String> {
    let key = RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| e.to_string())?;
    Ok(SigningKey::<Sha256>::new(key))
}

#[cfg(test)]
mod tests {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier as _;

    use super::*;
    use crate::config::{Config, ShopConfig};

    const KEY: &str = include_str!("testdata/signing-key.pem");
    const PUBLIC: &str = include_str!("testdata/signing-key.pub.pem");
    const NOW: i64 = 1_795_836_010;

    fn shop(with_key: bool) -> ShopConfig {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, KEY).unwrap();
        let line = if with_key {
            format!("signing_key_file = \"{}\"", path.display())
        } else {
            String::new()
        };
        let toml = format!(
            "[[shops]]\nid = \"y\"\nmall = \"m\"\nbase_url = \"https://api.mall.example\"\n\
             [shops.settings]\nseller = \"seller-1\"\n[shops.credentials]\n{line}\n"
        );
        Config::parse(&toml, dir.path(), &|_| None).unwrap().shops[0].clone()
    }

    #[test]
    fn a_signature_verifies_with_the_public_key() {
        let signer = Signer::new(super::super::test_values(&shop(true)), "signing_key");
        let message = "seller-1:1795836000";
        let b64 = signer.sign(message, NOW).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .unwrap();
        let public = rsa::RsaPublicKey::from_public_key_pem(PUBLIC).unwrap();
        let verifier = VerifyingKey::<Sha256>::new(public);
        let signature = Signature::try_from(bytes.as_slice()).unwrap();
        verifier.verify(message.as_bytes(), &signature).unwrap();
        assert!(
            verifier.verify(b"seller-1:1795836001", &signature).is_err(),
            "another message does not verify"
        );
    }

    #[test]
    fn no_key_or_a_bad_key_is_named_and_the_key_never_shows() {
        let e = Signer::new(super::super::test_values(&shop(false)), "signing_key")
            .sign("seller-1:1795836000", NOW)
            .unwrap_err();
        assert!(e.contains("signing_key_file"), "{e}");
        let mut bad = shop(false);
        bad.credentials.insert(
            "signing_key".into(),
            crate::config::Secret::new("not a key"),
        );
        let e = Signer::new(super::super::test_values(&bad), "signing_key")
            .sign("seller-1:1795836000", NOW)
            .unwrap_err();
        assert!(e.contains("not an RSA private key"), "{e}");
        let shown = format!(
            "{:?}",
            Signer::new(super::super::test_values(&shop(true)), "signing_key")
        );
        assert!(!shown.contains("MII"), "{shown}");
    }

    #[test]
    fn only_the_template_within_the_skew_is_signed() {
        let signer = Signer::new(super::super::test_values(&shop(true)), "signing_key");
        for (message, why) in [
            ("seller-1:1827372000", "31535990 s from now"), // a request a year ahead
            ("seller-1:1795835000", "s from now"),
            ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0", "without a `:`"),
            ("someone-else:1795836000", "none of the shop's settings"),
            ("seller-1:soon", "not unix seconds"),
            ("x:seller-1:1795836000", "none of the shop's settings"),
        ] {
            let e = signer.sign(message, NOW).unwrap_err();
            assert!(e.contains(why) && e.contains(TEMPLATE), "{message}: {e}");
        }
        assert!(signer.sign("seller-1:1795836299", NOW).is_ok());
    }
}
