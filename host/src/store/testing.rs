//! A fresh database for the store's unit tests: a SQLite file in a temporary folder, or — when
//! `MALLHOST_TEST_POSTGRES` names a PostgreSQL server — a database of its own on it, dropped
//! when the test ends (scripts/test.sh runs these tests on both).

use sqlx::{Connection, Executor};

use super::Store;

/// A test's store and what keeps its database alive.
pub(crate) struct TestStore {
    pub(crate) store: Store,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

/// A fresh, migrated database.
pub(crate) async fn fresh() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = std::env::var("MALLHOST_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty());
    let (url, postgres) = match server {
        None => (
            format!("sqlite://{}", dir.path().join("t.db").display()),
            None,
        ),
        Some(server) => {
            let name = format!(
                "mh_unit_{}_{}",
                std::process::id(),
                chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default() % 1_000_000_000
            );
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .expect("PostgreSQL answers");
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("test database created");
            let mut url = url::Url::parse(&server).expect("a URL");
            url.set_path(&name);
            (url.to_string(), Some((server, name)))
        }
    };
    TestStore {
        store: Store::open(&url).await.expect("store opens"),
        _dir: dir,
        postgres,
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                    let _ = admin
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}
