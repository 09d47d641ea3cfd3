//! The plugin index shared through the database: each mall's active component and the ones
//! before it, by digest, and the components with their manifests. `runtime::directory` keeps a
//! process's plugins folder in step with it; this module only stores and reads it.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError, corrupt};
use crate::time::to_db;

/// One mall's entry of the shared index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedPlugin {
    /// The mall.
    pub mall: String,
    /// The active component's sha256 (hex).
    pub active: String,
    /// Earlier active components, oldest first.
    pub history: Vec<String>,
}

/// A stored component.
#[derive(Debug, Clone)]
pub struct StoredComponent {
    /// Its bytes.
    pub component: Vec<u8>,
    /// Its manifest's text.
    pub manifest: String,
}

impl Store {
    /// Every mall's entry of the shared plugin index.
    pub async fn shared_plugins(&self) -> Result<Vec<SharedPlugin>, StoreError> {
        let rows =
            sqlx::query("SELECT mall_id, active, history FROM plugin_index ORDER BY mall_id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let mall: String = r.try_get("mall_id")?;
                let history: String = r.try_get("history")?;
                Ok(SharedPlugin {
                    history: serde_json::from_str(&history)
                        .map_err(|e| corrupt("plugin_index", "history", &mall, e))?,
                    active: r.try_get("active")?,
                    mall,
                })
            })
            .collect()
    }

    /// Keeps a component (once per digest) with its manifest.
    pub async fn keep_component(
        &self,
        digest: &str,
        mall: &str,
        version: &str,
        component: &[u8],
        manifest: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO plugin_components (digest, mall_id, version, component, manifest, added_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING",
        )
        .bind(digest)
        .bind(mall)
        .bind(version)
        .bind(component)
        .bind(manifest)
        .bind(to_db(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A kept component, by digest.
    pub async fn component(&self, digest: &str) -> Result<Option<StoredComponent>, StoreError> {
        let row =
            sqlx::query("SELECT component, manifest FROM plugin_components WHERE digest = $1")
                .bind(digest)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(StoredComponent {
                component: r.try_get("component")?,
                manifest: r.try_get("manifest")?,
            })
        })
        .transpose()
    }

    /// Sets a mall's entry of the shared index (its components must be kept already).
    pub async fn set_shared_plugin(
        &self,
        entry: &SharedPlugin,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let history = serde_json::to_string(&entry.history)
            .map_err(|e| corrupt("plugin_index", "history", &entry.mall, e))?;
        sqlx::query(
            "INSERT INTO plugin_index (mall_id, active, history, changed_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (mall_id) DO UPDATE SET active = excluded.active,
                history = excluded.history, changed_at = excluded.changed_at",
        )
        .bind(&entry.mall)
        .bind(&entry.active)
        .bind(history)
        .bind(to_db(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
