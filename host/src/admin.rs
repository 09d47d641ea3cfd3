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
//! | `GET /audit` | the audit log, newest first |
//!
//! Once any account exists (`mallhost users add`), every route but `/healthz` and `/metrics`
//! asks for `Authorization: Bearer TOKEN` (`mallhost users token NAME`): a viewer may read,
//! staff may also run jobs, an admin may also install and roll back plugins and read the audit
//! log. Every change is written to the audit log with who made it. Without accounts the API is
//! open, and `serve` then serves it on a loopback address only.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::{Actor, Role};
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

/// Who is calling, if `needed` allows it: `Ok(None)` when no account exists (the API is open,
/// on loopback only); 401 without a valid token, 403 when the role is below `needed`.
async fn caller(a: &Admin, headers: &HeaderMap, needed: Role) -> Result<Option<Actor>, Reply> {
    let has_users = a
        .store
        .has_users()
        .await
        .map_err(|e| fail(StatusCode::SERVICE_UNAVAILABLE, e))?;
    if !has_users {
        return Ok(None);
    }
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let who = if token.is_empty() {
        None
    } else {
        crate::accounts::by_token(&a.store, token, chrono::Utc::now())
            .await
            .map_err(|e| fail(StatusCode::SERVICE_UNAVAILABLE, e))?
    };
    match who {
        None => Err(fail(
            StatusCode::UNAUTHORIZED,
            "a valid token is needed: send `Authorization: Bearer TOKEN` (an admin issues one \
             with `mallhost users token NAME`)",
        )),
        Some(w) if !w.role.may(needed) => Err(fail(
            StatusCode::FORBIDDEN,
            format!(
                "{} is a {} and this needs {}",
                w.name,
                w.role.id(),
                needed.id()
            ),
        )),
        Some(w) => Ok(Some(w)),
    }
}

/// Writes an audit entry for a change made through the API.
async fn audit(a: &Admin, who: &Option<Actor>, action: &str, detail: &str) {
    let actor = match who {
        Some(w) => format!("user {}", w.name),
        None => "admin API (no accounts)".into(),
    };
    if let Err(e) = a
        .store
        .audit(&actor, action, detail, chrono::Utc::now())
        .await
    {
        tracing::warn!("cannot write the audit log ({action} by {actor}): {e}");
    }
}

/// The routes.
pub fn router(admin: Admin) -> Router {
    Router::new()
        .route(
            "/plugins",
            get(|State(a): State<Admin>, h: HeaderMap| async move {
                if let Err(r) = caller(&a, &h, Role::Viewer).await {
                    return r;
                }
                (StatusCode::OK, Json(plugin_list(&a.runtime)))
            }),
        )
        .route(
            "/plugins/install",
            post(
                |State(a): State<Admin>, h: HeaderMap, Json(req): Json<Install>| async move {
                    let who = match caller(&a, &h, Role::Admin).await {
                        Ok(w) => w,
                        Err(r) => return r,
                    };
                    match a
                        .dir
                        .install(&a.runtime, &req.wasm, req.manifest.as_deref())
                        .await
                    {
                        Ok(p) => {
                            audit(&a, &who, "plugins.install", &p.info().label()).await;
                            (StatusCode::OK, Json(json!({ "active": p.info() })))
                        }
                        Err(e) => fail(StatusCode::UNPROCESSABLE_ENTITY, e),
                    }
                },
            ),
        )
        .route(
            "/plugins/rollback",
            post(
                |State(a): State<Admin>, h: HeaderMap, Json(req): Json<Rollback>| async move {
                    let who = match caller(&a, &h, Role::Admin).await {
                        Ok(w) => w,
                        Err(r) => return r,
                    };
                    match a.dir.rollback(&a.runtime, &req.mall).await {
                        Ok(p) => {
                            audit(&a, &who, "plugins.rollback", &p.info().label()).await;
                            (StatusCode::OK, Json(json!({ "active": p.info() })))
                        }
                        Err(e @ RuntimeError::NoPrevious { .. }) => fail(StatusCode::CONFLICT, e),
                        Err(e) => fail(StatusCode::UNPROCESSABLE_ENTITY, e),
                    }
                },
            ),
        )
        .route(
            "/jobs",
            get(|State(a): State<Admin>, h: HeaderMap| async move {
                if let Err(r) = caller(&a, &h, Role::Viewer).await {
                    return r;
                }
                (StatusCode::OK, Json(json!(a.scheduler.stats())))
            }),
        )
        .route(
            "/jobs/run",
            post(
                |State(a): State<Admin>, h: HeaderMap, Json(req): Json<RunJob>| async move {
                    let who = match caller(&a, &h, Role::Staff).await {
                        Ok(w) => w,
                        Err(r) => return r,
                    };
                    audit(&a, &who, "jobs.run", &format!("{} {:?}", req.shop, req.job)).await;
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
        .route(
            "/audit",
            get(|State(a): State<Admin>, h: HeaderMap| async move {
                if let Err(r) = caller(&a, &h, Role::Admin).await {
                    return r;
                }
                match a.store.audit_log(500).await {
                    Ok(log) => (StatusCode::OK, Json(json!(log))),
                    Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, e),
                }
            }),
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
