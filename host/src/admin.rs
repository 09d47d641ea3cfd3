//! The admin surface of `mallhost serve`: a small JSON API on a loopback address, for what an
//! operator does while the host runs — see and swap plugins, roll back, see and start jobs.
//!
//! | method and path | does |
//! | --- | --- |
//! | `GET /plugins` | the active plugins |
//! | `POST /plugins/install` `{"wasm": PATH, "manifest": PATH?}` | install and swap in a plugin |
//! | `POST /plugins/rollback` `{"mall": ID}` | return a mall to its previous plugin |
//! | `GET /jobs` | the automatic jobs' counters |
//! | `POST /jobs/run` `{"shop": ID, "job": "fetch" \| "export"}` | run a job now (unless running) |
//! | `GET /healthz` | every shop's health (`health`): 200 when all are healthy, else 503 |
//! | `GET /metrics` | the same and the orders per status, in the Prometheus text format |

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::runtime::{PluginDir, Runtime, RuntimeError};
use crate::sync::scheduler::{Job, Scheduler};

/// What the admin API works on.
#[derive(Clone)]
pub struct Admin {
    /// The database.
    pub store: crate::store::Store,
    /// The configuration (the shops and their intervals).
    pub config: Arc<crate::config::Config>,
    /// The runtime of the running host.
    pub runtime: Arc<Runtime>,
    /// Its plugins folder.
    pub dir: PluginDir,
    /// Its scheduler.
    pub scheduler: Arc<Scheduler>,
}

type Reply = (StatusCode, Json<Value>);

fn fail(status: StatusCode, e: impl std::fmt::Display) -> Reply {
    (status, Json(json!({ "error": e.to_string() })))
}

fn plugin_list(runtime: &Runtime) -> Value {
    let list: Vec<Value> = runtime
        .plugins()
        .iter()
        .map(|p| json!({ "info": p.info(), "path": p.path().display().to_string(), "sha256": p.digest() }))
        .collect();
    Value::Array(list)
}

#[derive(Deserialize)]
struct Install {
    wasm: PathBuf,
    manifest: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Rollback {
    mall: String,
}

#[derive(Deserialize)]
struct RunJob {
    shop: String,
    job: Job,
}

/// The routes.
pub fn router(admin: Admin) -> Router {
    Router::new()
        .route(
            "/plugins",
            get(|State(a): State<Admin>| async move { Json(plugin_list(&a.runtime)) }),
        )
        .route(
            "/plugins/install",
            post(
                |State(a): State<Admin>, Json(req): Json<Install>| async move {
                    match a
                        .dir
                        .install(&a.runtime, &req.wasm, req.manifest.as_deref())
                        .await
                    {
                        Ok(p) => (StatusCode::OK, Json(json!({ "active": p.info() }))),
                        Err(e) => fail(StatusCode::UNPROCESSABLE_ENTITY, e),
                    }
                },
            ),
        )
        .route(
            "/plugins/rollback",
            post(
                |State(a): State<Admin>, Json(req): Json<Rollback>| async move {
                    match a.dir.rollback(&a.runtime, &req.mall).await {
                        Ok(p) => (StatusCode::OK, Json(json!({ "active": p.info() }))),
                        Err(e @ RuntimeError::NoPrevious { .. }) => fail(StatusCode::CONFLICT, e),
                        Err(e) => fail(StatusCode::UNPROCESSABLE_ENTITY, e),
                    }
                },
            ),
        )
        .route(
            "/jobs",
            get(|State(a): State<Admin>| async move { Json(json!(a.scheduler.stats())) }),
        )
        .route(
            "/jobs/run",
            post(
                |State(a): State<Admin>, Json(req): Json<RunJob>| async move {
                    if a.scheduler.run_now(&req.shop, req.job).await {
                        (StatusCode::OK, Json(json!({ "ran": true })))
                    } else {
                        fail(
                            StatusCode::CONFLICT,
                            "not run: unknown shop or job, or a run is going",
                        )
                    }
                },
            ),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(admin)
}

async fn healthz(State(a): State<Admin>) -> Reply {
    let now = chrono::Utc::now();
    match crate::health::shops(&a.store, &a.config, now, crate::time::jst_date(now)).await {
        Ok(shops) => {
            let healthy = shops.iter().all(|s| s.healthy);
            let status = if healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            (status, Json(json!({ "healthy": healthy, "shops": shops })))
        }
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

async fn metrics(State(a): State<Admin>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let now = chrono::Utc::now();
    let text =
        match crate::health::shops(&a.store, &a.config, now, crate::time::jst_date(now)).await {
            Ok(shops) => crate::metrics::render(&a.store, &shops).await,
            Err(e) => Err(e),
        };
    match text {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, e).into_response(),
    }
}

/// Serves the admin API until `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    admin: Admin,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(admin))
        .with_graceful_shutdown(stop)
        .await
}
