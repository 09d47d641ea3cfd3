//! The OAuth 2 refresh-token grant, run by the host for plugins that declare it: the host asks
//! the token endpoint for an access token, keeps it in memory until shortly before it expires
//! ([`REFRESH_MARGIN_SECS`]), and puts it on the plugin's authenticated requests like any other
//! credential. The plugin never sees a token.
//!
//! **Rotation without loss.** A token endpoint may answer with a new refresh token and retire
//! the old one once the new access token is used. The host therefore seals the new refresh token
//! (XChaCha20-Poly1305, with a key file of the host's own, created with mode 0600) and commits
//! it to the database **before** it uses the access token. A host killed between the answer and
//! that commit never used the new access token, so the old refresh token still works on restart;
//! a host killed after it reads the new one from the database. Tokens are never stored or logged
//! in clear.
//!
//! Where sealed tokens are kept is a [`TokenVault`]: the database implements it
//! (`runtime::vault`), tests may give any other.

use std::collections::HashMap;
use std::path::PathBuf;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::ShopValues;
use crate::config::Secret;

/// Seconds before an access token's expiry at which the host refreshes it.
pub const REFRESH_MARGIN_SECS: i64 = 60;

/// What an OAuth 2 grant of a shop reads: setting names (from the plugin's declaration).
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// The token endpoint's URL setting.
    pub token_url: &'a str,
    /// The client id setting.
    pub client_id: &'a str,
    /// The client secret setting.
    pub client_secret: &'a str,
    /// The configured (first) refresh token's setting.
    pub refresh_token: &'a str,
    /// The scope to ask for.
    pub scope: Option<&'a str>,
}

/// A future the vault answers with (the trait is used as `dyn`).
pub type VaultFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, String>> + Send + 'a>>;

/// Where the host keeps the refresh tokens grants rotated, sealed (it keeps bytes it cannot
/// read), one per shop.
pub trait TokenVault: Send + Sync {
    /// The sealed token kept for a shop, with the fingerprint of the configured token its chain
    /// started from.
    fn sealed<'a>(&'a self, shop_id: &'a str) -> VaultFuture<'a, Option<(Vec<u8>, String)>>;
    /// Keeps a shop's sealed token (replacing the one before), committed on return.
    fn keep<'a>(
        &'a self,
        shop_id: &'a str,
        sealed: &'a [u8],
        origin: &'a str,
        now: DateTime<Utc>,
    ) -> VaultFuture<'a, ()>;
}

/// Seals and opens small secrets with the host's key file.
struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// The sealer of the key at `path`, creating the key (mode 0600) if there is none.
    fn open_or_create(path: &std::path::Path) -> Result<Sealer, String> {
        let key = crate::hostkey::load_or_create(path)?;
        Ok(Sealer {
            cipher: XChaCha20Poly1305::new(Key::from_slice(&key)),
        })
    }

    fn seal(&self, plain: &str) -> Result<Vec<u8>, String> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(&nonce, plain.as_bytes())
                .map_err(|_| "sealing failed".to_string())?,
        );
        Ok(out)
    }

    fn open(&self, sealed: &[u8]) -> Result<String, String> {
        if sealed.len() < 24 {
            return Err("a stored token is too short to be sealed".into());
        }
        let (nonce, body) = sealed.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| "a stored token does not open with this host's key file".to_string())?;
        String::from_utf8(plain).map_err(|_| "a stored token is not text".to_string())
    }
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<i64>,
    refresh_token: Option<String>,
}

struct Cached {
    access: Secret,
    expires_at: DateTime<Utc>,
}

/// The host's OAuth 2 grants: access tokens in memory, rotated refresh tokens sealed in the
/// database.
pub struct OAuth {
    http: reqwest::Client,
    /// Where rotated tokens are kept and the key file sealing them, once the app wires them.
    vault: Option<(std::sync::Arc<dyn TokenVault>, PathBuf)>,
    sealer: std::sync::OnceLock<Result<Sealer, String>>,
    /// Access tokens by shop. The lock also serialises refreshes.
    cache: tokio::sync::Mutex<HashMap<String, Cached>>,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth").finish_non_exhaustive()
    }
}

impl Default for OAuth {
    fn default() -> Self {
        OAuth {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .unwrap_or_default(),
            vault: None,
            sealer: std::sync::OnceLock::new(),
            cache: tokio::sync::Mutex::new(HashMap::new()),
        }
    }
}

/// A fingerprint of a token (not the token): what a stored chain started from.
fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl OAuth {
    /// Keeps rotated refresh tokens in `vault`, sealed with the key at `key_file`.
    pub fn with_vault(mut self, vault: std::sync::Arc<dyn TokenVault>, key_file: PathBuf) -> OAuth {
        self.vault = Some((vault, key_file));
        self
    }

    fn sealer(&self) -> Result<&Sealer, String> {
        let Some((_, path)) = &self.vault else {
            return Err("no database to keep rotated refresh tokens in".into());
        };
        self.sealer
            .get_or_init(|| Sealer::open_or_create(path))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Forgets `shop`'s access token if it is still `used`: the mall refused it before its
    /// time, so the next [`OAuth::access_token`] asks the token endpoint again. A token another
    /// call has refreshed meanwhile is kept (one refresh for the calls that saw the same one die).
    pub async fn forget(&self, shop_id: &str, used: &Secret) {
        let mut cache = self.cache.lock().await;
        if cache
            .get(shop_id)
            .is_some_and(|c| c.access.expose() == used.expose())
        {
            cache.remove(shop_id);
        }
    }

    /// The access token of `shop` at `now`: the one in memory while it is good for more than
    /// [`REFRESH_MARGIN_SECS`], else a fresh one from the token endpoint.
    pub async fn access_token(
        &self,
        shop: ShopValues<'_>,
        allow_private_network: bool,
        grant: Grant<'_>,
        now: DateTime<Utc>,
    ) -> Result<Secret, String> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.get(shop.shop_id)
            && (c.expires_at - now).num_seconds() > REFRESH_MARGIN_SECS
        {
            return Ok(c.access.clone());
        }
        let value = |name: &str| -> Result<String, String> {
            shop.value(name).map(str::to_string).map_err(|_| {
                format!(
                    "shop {:?} has no `{name}` for its OAuth 2 grant",
                    shop.shop_id
                )
            })
        };
        let configured = value(grant.refresh_token)?;
        let origin = fingerprint(&configured);
        // The latest rotated token of this chain, if the database keeps one.
        let refresh = match &self.vault {
            Some((vault, _)) => match vault.sealed(shop.shop_id).await? {
                Some((sealed, from)) if from == origin => self.sealer()?.open(&sealed)?,
                _ => configured,
            },
            None => configured,
        };
        let token_url = value(grant.token_url)?;
        let url = url::Url::parse(&token_url)
            .map_err(|e| format!("shop {:?}: the token URL is not a URL ({e})", shop.shop_id))?;
        if url.scheme() != "https" && !allow_private_network {
            return Err(format!(
                "shop {:?}: the token URL must be https (got {})",
                shop.shop_id,
                url.scheme()
            ));
        }
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh.clone()),
            ("client_id", value(grant.client_id)?),
            ("client_secret", value(grant.client_secret)?),
        ];
        if let Some(scope) = grant.scope {
            form.push(("scope", scope.to_string()));
        }
        let answer = self.http.post(url).form(&form).send().await.map_err(|e| {
            format!(
                "shop {:?}: the token endpoint cannot be reached ({})",
                shop.shop_id,
                if e.is_timeout() {
                    "timed out"
                } else {
                    "failed"
                }
            )
        })?;
        let status = answer.status();
        if !status.is_success() {
            return Err(format!(
                "shop {:?}: the token endpoint refused the refresh token ({status}); \
                 authorise the app again and update `credentials.{}`",
                shop.shop_id, grant.refresh_token
            ));
        }
        let not_a_token = || {
            format!(
                "shop {:?}: the token endpoint's answer is not a token",
                shop.shop_id
            )
        };
        let body = answer.bytes().await.map_err(|_| not_a_token())?;
        let token: TokenAnswer = serde_json::from_slice(&body).map_err(|_| not_a_token())?;
        // A rotated refresh token is sealed and committed before the new access token is used.
        if let Some(next) = token.refresh_token.filter(|t| t != &refresh) {
            let Some((vault, _)) = &self.vault else {
                return Err(format!(
                    "shop {:?}: the token endpoint rotated the refresh token, and this host has \
                     no database to keep it in",
                    shop.shop_id
                ));
            };
            let sealed = self.sealer()?.seal(&next)?;
            vault
                .keep(shop.shop_id, &sealed, &origin, now)
                .await
                .map_err(|e| {
                    format!(
                        "shop {:?}: the rotated refresh token could not be kept ({e}); the new \
                         access token is not used",
                        shop.shop_id
                    )
                })?;
        }
        let access = Secret::new(token.access_token);
        cache.insert(
            shop.shop_id.to_string(),
            Cached {
                access: access.clone(),
                expires_at: now + chrono::Duration::seconds(token.expires_in.unwrap_or(3600)),
            },
        );
        Ok(access)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_token_opens_with_its_key_only_and_the_key_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mallhost.key");
        let s = Sealer::open_or_create(&path).unwrap();
        let sealed = s.seal("rt-secret-1").unwrap();
        assert!(
            !sealed.windows(11).any(|w| w == b"rt-secret-1"),
            "not in clear"
        );
        assert_eq!(s.open(&sealed).unwrap(), "rt-secret-1");
        // The same key file again opens it; another key does not.
        assert_eq!(
            Sealer::open_or_create(&path)
                .unwrap()
                .open(&sealed)
                .unwrap(),
            "rt-secret-1"
        );
        let other = Sealer::open_or_create(&dir.path().join("other.key")).unwrap();
        assert!(other.open(&sealed).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }
}
