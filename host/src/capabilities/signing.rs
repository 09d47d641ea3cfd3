//! Signing: some malls want a header signed with a key of the shop's (e.g. over
//! `"<seller>:<unixtime>"`). The plugin declares which secret holds the
//! key (`signing-key` in its info) and builds the message; the host signs it — RSA PKCS#1 v1.5
//! over SHA-256, base64 — and returns the signature. The key stays in the host: the plugin never
//! sees it. The RSA work is RustCrypto's `rsa` crate.
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

/// A shop's signing key, or why there is none.
#[derive(Clone)]
pub struct Signer {
    key: Result<SigningKey<Sha256>, String>,
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
        Signer { key }
    }

    /// Signs `message`: RSA PKCS#1 v1.5 over SHA-256, base64.
    pub fn sign(&self, message: &str) -> Result<String, String> {
        let key = self.key.as_ref().map_err(Clone::clone)?;
        let signature = key.sign(message.as_bytes());
        Ok(base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()))
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
             [shops.credentials]\n{line}\n"
        );
        Config::parse(&toml, dir.path(), &|_| None).unwrap().shops[0].clone()
    }

    #[test]
    fn a_signature_verifies_with_the_public_key() {
        let signer = Signer::new(super::super::test_values(&shop(true)), "signing_key");
        let message = "seller-1:1795836000";
        let b64 = signer.sign(message).unwrap();
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
            .sign("m")
            .unwrap_err();
        assert!(e.contains("signing_key_file"), "{e}");
        let mut bad = shop(false);
        bad.credentials.insert(
            "signing_key".into(),
            crate::config::Secret::new("not a key"),
        );
        let e = Signer::new(super::super::test_values(&bad), "signing_key")
            .sign("m")
            .unwrap_err();
        assert!(e.contains("not an RSA private key"), "{e}");
        let shown = format!(
            "{:?}",
            Signer::new(super::super::test_values(&shop(true)), "signing_key")
        );
        assert!(!shown.contains("MII"), "{shown}");
    }
}
