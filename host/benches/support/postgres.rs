//! A PostgreSQL database of a bench run's own (`MALLHOST_BENCH_POSTGRES` names the server),
//! shared by the bench binaries (`#[path]`-included).

use sqlx::{Connection, Executor};

/// A database made for this run on `server`: its URL, and a handle that drops it.
pub struct BenchDb {
    /// Its URL.
    pub url: String,
    server: String,
    name: String,
}

impl BenchDb {
    /// Creates `NAME_PID` on `server` (replacing a leftover of an earlier run).
    pub async fn create(server: &str, name: &str) -> anyhow::Result<BenchDb> {
        let name = format!("{name}_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(server).await?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        let mut url = url::Url::parse(server)?;
        url.set_path(&name);
        Ok(BenchDb {
            url: url.to_string(),
            server: server.to_string(),
            name,
        })
    }

    /// Drops it.
    pub async fn drop_now(self) -> anyhow::Result<()> {
        let mut admin = sqlx::PgConnection::connect(&self.server).await?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await?;
        Ok(())
    }
}
