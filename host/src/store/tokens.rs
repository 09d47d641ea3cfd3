//! Sealed OAuth refresh tokens, per shop: the latest one a grant rotated, stored before the host
//! uses the access token that came with it (see `capabilities::oauth`). The store keeps bytes it
//! cannot read. The OAuth capability reads them through its `TokenVault` (`runtime::vault`).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError};
use crate::time::to_db;

impl Store {
    /// The sealed refresh token kept for a shop, with the fingerprint of the configured token
    /// its chain started from.
    pub async fn sealed_refresh_token(
        &self,
        shop_id: &str,
    ) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let row = sqlx::query("SELECT refresh_sealed, origin FROM oauth_tokens WHERE shop_id = $1")
            .bind(shop_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("refresh_sealed")?, r.try_get("origin")?)))
            .transpose()
    }

    /// Keeps a shop's sealed refresh token (replacing the one before), committed on return.
    pub async fn keep_sealed_refresh_token(
        &self,
        shop_id: &str,
        sealed: &[u8],
        origin: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_tokens (shop_id, refresh_sealed, origin, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (shop_id) DO UPDATE SET refresh_sealed = excluded.refresh_sealed,
                origin = excluded.origin, updated_at = excluded.updated_at",
        )
        .bind(shop_id)
        .bind(sealed)
        .bind(origin)
        .bind(to_db(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
