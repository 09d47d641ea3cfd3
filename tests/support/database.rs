//! The database a test runs on: a SQLite file in the test's folder, or — when
//! `MALLHOST_TEST_POSTGRES` names a PostgreSQL server (`postgres://USER@HOST:PORT/DB`, the
//! database to connect to for creating others) — a database of its own on that server, created
//! for the test and dropped when it ends, so runs never see each other's data.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor};

/// The PostgreSQL server the suite runs on, if any (`MALLHOST_TEST_POSTGRES`).
pub fn postgres_server() -> Option<String> {
    std::env::var("MALLHOST_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// The local server the script's PostgreSQL pass uses (trust auth, database `test`).
pub const LOCAL_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server a PostgreSQL-only test (several hosts, the shared plugin index, the copy to
/// PostgreSQL) runs on, or `None` when it skips. Outside CI it runs in the PostgreSQL pass
/// (`MALLHOST_TEST_POSTGRES`) and skips, saying so, elsewhere. In CI (`CI=true`) it runs once,
/// in the first pass, on `MALLHOST_TEST_POSTGRES` or the local server — and fails, not skips,
/// when that does not answer.
pub fn postgres_only(what: &str) -> Option<String> {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    match (postgres_server(), ci) {
        (Some(server), false) => Some(server),
        (Some(_), true) => {
            eprintln!("skipped: {what} ran in the first pass (CI)");
            None
        }
        (None, true) => Some(LOCAL_POSTGRES.to_string()),
        (None, false) => {
            eprintln!("skipped: {what} needs PostgreSQL (MALLHOST_TEST_POSTGRES)");
            None
        }
    }
}

/// A test's database; a PostgreSQL one is dropped with this.
#[derive(Debug)]
pub struct TestDb {
    /// Its URL.
    pub url: String,
    dropped: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database: `orders.db` in `dir`, or a new PostgreSQL database.
    pub async fn fresh(dir: &Path) -> TestDb {
        match postgres_server() {
            None => TestDb {
                url: format!("sqlite://{}", dir.join("orders.db").display()),
                dropped: None,
            },
            Some(server) => TestDb::postgres(&server).await,
        }
    }

    /// A new, empty PostgreSQL database on `server`.
    pub async fn postgres(server: &str) -> TestDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "mh_t_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {server} answers: {e}"));
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("test database created");
        let _ = admin.close().await;
        let mut url = url::Url::parse(server).expect("MALLHOST_TEST_POSTGRES is a URL");
        url.set_path(&name);
        TestDb {
            url: url.to_string(),
            dropped: Some((server.to_string(), name)),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.dropped.take() else {
            return;
        };
        // Drop runs inside the test's runtime: the drop gets a thread and a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                    let _ = admin
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish() % 1_000_000
}
