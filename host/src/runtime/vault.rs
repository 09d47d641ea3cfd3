//! The database as what capabilities keep there: the OAuth capability's [`TokenVault`] (rotated
//! refresh tokens, sealed, in `oauth_tokens`, `store::tokens`) and the pace capability's
//! [`PaceLedger`] (a credential's requests shared by every process, `store::paces`), and the
//! orders the host holds for the `held` capability ([`Holdings`]). Wired here,
//! where the runtime puts capabilities together, so neither the capability nor the store knows
//! the other.

use crate::capabilities::held::Holdings;
use crate::capabilities::oauth::{TokenVault, VaultFuture};
use crate::capabilities::pace::PaceLedger;
use crate::store::Store;

impl PaceLedger for Store {
    fn take<'a>(
        &'a self,
        key: &'a str,
        requests: u32,
        window: std::time::Duration,
    ) -> std::pin::Pin<
        Box<dyn Future<Output = Result<Option<std::time::Duration>, String>> + Send + 'a>,
    > {
        Box::pin(async move {
            self.take_pace(key, requests, window)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

impl TokenVault for Store {
    fn sealed<'a>(&'a self, shop_id: &'a str) -> VaultFuture<'a, Option<(Vec<u8>, String)>> {
        Box::pin(async move {
            self.sealed_refresh_token(shop_id)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn keep<'a>(
        &'a self,
        shop_id: &'a str,
        sealed: &'a [u8],
        origin: &'a str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> VaultFuture<'a, ()> {
        Box::pin(async move {
            self.keep_sealed_refresh_token(shop_id, sealed, origin, now)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

impl Holdings for Store {
    fn held<'a>(
        &'a self,
        shop_id: &'a str,
        numbers: &'a [String],
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send + 'a>> {
        Box::pin(async move {
            self.held_numbers(shop_id, numbers)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
