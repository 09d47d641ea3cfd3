//! The admin surface of `mallhost serve`: a small JSON API, for what an operator does while the
//! host runs — see and swap plugins, roll back, see and start jobs — served beside the web
//! console (`console`, under `/console`) on the same address and behind the same accounts.
//!
//! | method and path | does |
//! | --- | --- |
//! | `GET /plugins` | the active plugins |
//! | `POST /plugins/install` `{"wasm": PATH, "manifest": PATH?}` | install and swap in a plugin |
//! | `POST /plugins/rollback` `{"mall": ID}` | return a mall to its previous plugin |
//! | `GET /jobs` | the automatic jobs' counters |
//! | `POST /jobs/run` `{"shop": ID, "job": "fetch" \| "export"}` | start a job now (unless running): 202 with the run's id, at once |
//! | `GET /runs/{id}` | one run (`job_runs`): start, end, outcome, counts, error |
//! | `GET /healthz` | every shop's health (`health`): 200 when all are healthy, else 503 |
//! | `GET /metrics` | the same and the orders per status, in the Prometheus text format |
//! | `GET /audit` | the audit log, newest first |
//! | `GET /openapi.json` | this API's OpenAPI description, generated from the handlers |
//!
//! Once any account exists (`mallhost users add`), every route but `/healthz` and `/metrics`
//! asks for `Authorization: Bearer TOKEN` (`mallhost users token NAME`): a viewer may read,
//! staff may also run jobs, an admin may also install and roll back plugins and read the audit
//! log. The token is checked before the request's body is read (a guard in front of each
//! route), and a body is at most [`MAX_BODY`]. Every change is written to the audit log with
//! who made it. Without accounts the API is open, and `serve` then serves it on a loopback
//! address only. `/healthz` and `/metrics` answer a caller off this machine without a token
//! with the bare status only (no shop, no URL, no error text).

use std::path::PathBuf;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::{Actor, Role};
use crate::runtime::{Runtime, RuntimeError};
use crate::sync::scheduler::Job;

use crate::app::ServeState;

type Reply = (StatusCode, Json<Value>);

/// The largest request body the API reads.
pub const MAX_BODY: usize = 64 * 1024;

/// Who the guard let through: `None` when no account exists (the API is open).
#[derive(Clone)]
struct Caller(Option<Actor>);

/// What a guarded route needs.
#[derive(Clone)]
struct Guard {
    state: ServeState,
    needed: Role,
}

/// Checks the caller's token and role before the route (and its body) is touched.
async fn guard(
    State(g): State<Guard>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match caller(&g.state, req.headers(), g.needed).await {
        Ok(who) => {
            req.extensions_mut().insert(Caller(who));
            next.run(req).await
        }
        Err(reply) => reply.into_response(),
    }
}

/// A JSON body, or the answer naming what is wrong with it (too large: 413).
fn body<T>(parsed: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> Result<T, Reply> {
    parsed.map(|Json(t)| t).map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            fail(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is too large: at most {} KiB",
                    MAX_BODY / 1024
                ),
            )
        } else {
            fail(e.status(), e.body_text())
        }
    })
}

fn fail(status: StatusCode, e: impl std::fmt::Display) -> Reply {
    (status, Json(json!({ "error": e.to_string() })))
}

fn plugin_list(runtime: &Runtime) -> Value {
    let mut list: Vec<Value> = runtime
        .plugins()
        .iter()
        .map(|p| json!({ "mall": p.info().mall_id, "info": p.info(), "path": p.path().display().to_string(), "sha256": p.digest() }))
        .collect();
    // A mall whose plugin could not be loaded is OFF: listed, with why, not left out.
    list.extend(runtime.disabled().into_iter().map(
        |d| json!({ "mall": d.mall, "info": null, "off": { "file": d.file, "reason": d.reason } }),
    ));
    Value::Array(list)
}

/// `POST /plugins/install`: a component (and its manifest) on the server's disk.
#[derive(Deserialize, utoipa::ToSchema)]
struct Install {
    /// The component's path.
    #[schema(value_type = String)]
    wasm: PathBuf,
    /// Its manifest's path (default: `NAME.toml` beside it).
    #[schema(value_type = Option<String>)]
    manifest: Option<PathBuf>,
}

/// `POST /plugins/rollback`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Rollback {
    /// The mall whose previous plugin becomes active again.
    mall: String,
}

/// `POST /jobs/run`.
#[derive(Deserialize, utoipa::ToSchema)]
struct RunJob {
    /// The shop.
    shop: String,
    /// `fetch` or `export`.
    job: Job,
}

/// The OpenAPI description of this API, generated from the handlers below.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "mallhost admin API",
        description = "Plugins, jobs, runs, health and the audit log of a running `mallhost serve`."
    ),
    paths(
        list_plugins,
        install_plugin,
        rollback_plugin,
        list_jobs,
        run_job,
        get_run,
        audit_log,
        healthz,
        metrics,
        openapi
    ),
    components(schemas(Install, Rollback, RunJob, Job)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        api.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

/// Who is calling, if `needed` allows it: `Ok(None)` when no account exists (the API is open,
/// on loopback only); 401 without a valid token, 403 when the role is below `needed`.
async fn caller(a: &ServeState, headers: &HeaderMap, needed: Role) -> Result<Option<Actor>, Reply> {
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
async fn audit(a: &ServeState, who: &Option<Actor>, action: &str, detail: &str) {
    let actor = match who {
        Some(w) => crate::accounts::audit_name(&w.name),
        None => "admin API (no accounts)".into(),
    };
    crate::accounts::record(&a.store, &actor, action, detail).await;
}

/// The routes, each behind the guard of the role it needs.
pub fn router(admin: ServeState) -> Router {
    let needs = |needed: Role| {
        axum::middleware::from_fn_with_state(
            Guard {
                state: admin.clone(),
                needed,
            },
            guard,
        )
    };
    Router::new()
        .route(
            "/plugins",
            get(list_plugins).route_layer(needs(Role::Viewer)),
        )
        .route(
            "/plugins/install",
            post(install_plugin).route_layer(needs(Role::Admin)),
        )
        .route(
            "/plugins/rollback",
            post(rollback_plugin).route_layer(needs(Role::Admin)),
        )
        .route("/jobs", get(list_jobs).route_layer(needs(Role::Viewer)))
        .route("/jobs/run", post(run_job).route_layer(needs(Role::Staff)))
        .route("/runs/{id}", get(get_run).route_layer(needs(Role::Viewer)))
        .route("/audit", get(audit_log).route_layer(needs(Role::Admin)))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(admin)
}

/// The active plugins, and the malls whose plugin is off.
#[utoipa::path(get, path = "/plugins", security(("bearer" = [])),
    responses((status = 200, description = "Each active plugin: its mall, info, path and sha256; each mall whose plugin could not be loaded: its mall, `info` null and `off` (file, reason)"),
        (status = 401, description = "No valid token"), (status = 403, description = "Role too low")))]
async fn list_plugins(State(a): State<ServeState>) -> Reply {
    (StatusCode::OK, Json(plugin_list(&a.runtime)))
}

/// Installs a component, checked against its manifest, and swaps it in (admin).
#[utoipa::path(post, path = "/plugins/install", request_body = Install, security(("bearer" = [])),
    responses((status = 200, description = "Installed and active"),
        (status = 422, description = "Refused: the error says why; the active plugin stays"),
        (status = 401, description = "No valid token"), (status = 403, description = "Not an admin")))]
async fn install_plugin(
    State(a): State<ServeState>,
    axum::Extension(Caller(who)): axum::Extension<Caller>,
    req: Result<Json<Install>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    let req = match body(req) {
        Ok(r) => r,
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
}

/// Makes a mall's previous plugin active again (admin).
#[utoipa::path(post, path = "/plugins/rollback", request_body = Rollback, security(("bearer" = [])),
    responses((status = 200, description = "Rolled back"),
        (status = 409, description = "No earlier version"),
        (status = 422, description = "The earlier version no longer loads; nothing changed"),
        (status = 401, description = "No valid token"), (status = 403, description = "Not an admin")))]
async fn rollback_plugin(
    State(a): State<ServeState>,
    axum::Extension(Caller(who)): axum::Extension<Caller>,
    req: Result<Json<Rollback>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    let req = match body(req) {
        Ok(r) => r,
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
}

/// This process's automatic jobs and their counters.
#[utoipa::path(get, path = "/jobs", security(("bearer" = [])),
    responses((status = 200, description = "Each (shop, job): runs, failures, skips, last error")))]
async fn list_jobs(State(a): State<ServeState>) -> Reply {
    (StatusCode::OK, Json(json!(a.scheduler.stats())))
}

/// Starts a job now and answers with its run's id at once (staff).
#[utoipa::path(post, path = "/jobs/run", request_body = RunJob, security(("bearer" = [])),
    responses((status = 202, description = "Started: `{\"run\": ID, \"status\": \"/runs/ID\"}`"),
        (status = 409, description = "Not started: unknown shop or job, or a run is going"),
        (status = 401, description = "No valid token"), (status = 403, description = "A viewer")))]
async fn run_job(
    State(a): State<ServeState>,
    axum::Extension(Caller(who)): axum::Extension<Caller>,
    req: Result<Json<RunJob>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    let req = match body(req) {
        Ok(r) => r,
        Err(r) => return r,
    };
    match a.scheduler.start_now(&req.shop, req.job).await {
        Ok(run) => {
            audit(
                &a,
                &who,
                "jobs.run",
                &format!("{} {} (run {run})", req.shop, req.job),
            )
            .await;
            (
                StatusCode::ACCEPTED,
                Json(json!({ "run": run, "status": format!("/runs/{run}") })),
            )
        }
        Err(e) => fail(StatusCode::CONFLICT, e),
    }
}

/// One run: start, end, outcome, counts, error, holder.
#[utoipa::path(get, path = "/runs/{id}", params(("id" = i64, Path, description = "The run's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The run"), (status = 404, description = "No such run")))]
async fn get_run(
    State(a): State<ServeState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Reply {
    match a.store.job_run(id).await {
        Ok(Some(run)) => (StatusCode::OK, Json(json!(run))),
        Ok(None) => fail(StatusCode::NOT_FOUND, format!("no run {id}")),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

/// The audit log, newest first (admin).
#[utoipa::path(get, path = "/audit", security(("bearer" = [])),
    responses((status = 200, description = "Entries: at, actor, action, detail"),
        (status = 403, description = "Not an admin")))]
async fn audit_log(State(a): State<ServeState>) -> Reply {
    match a.store.audit_log(500).await {
        Ok(log) => (StatusCode::OK, Json(json!(log))),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

/// This API's OpenAPI description (open to all).
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI 3.1")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi as _;
    Json(ApiDoc::openapi())
}

/// Every shop's health (open to monitoring).
#[utoipa::path(get, path = "/healthz",
    responses((status = 200, description = "All shops healthy"),
        (status = 503, description = "A shop is stale or a credential expired")))]
async fn healthz(
    State(a): State<ServeState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    h: HeaderMap,
) -> Reply {
    let now = chrono::Utc::now();
    let full = sees_details(&a, peer, &h).await;
    match crate::health::shops(&a.store, &a.config, now, crate::time::jst_date(now)).await {
        Ok(shops) => {
            let healthy = shops.iter().all(|s| s.healthy);
            let status = if healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            if full {
                (status, Json(json!({ "healthy": healthy, "shops": shops })))
            } else {
                (status, Json(json!({ "healthy": healthy })))
            }
        }
        Err(e) if full => fail(StatusCode::SERVICE_UNAVAILABLE, e),
        Err(_) => fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database cannot be read",
        ),
    }
}

/// Whether a caller of `/healthz` or `/metrics` sees the details (shops, URLs, errors,
/// counts): one on this machine, or one with a valid token.
async fn sees_details(a: &ServeState, peer: std::net::SocketAddr, h: &HeaderMap) -> bool {
    peer.ip().is_loopback()
        || (h.contains_key(axum::http::header::AUTHORIZATION)
            && matches!(caller(a, h, Role::Viewer).await, Ok(Some(_))))
}

/// The shops' health and orders in the Prometheus text format (open to monitoring).
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "OpenMetrics text")))]
async fn metrics(
    State(a): State<ServeState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    h: HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let now = chrono::Utc::now();
    let full = sees_details(&a, peer, &h).await;
    let text =
        match crate::health::shops(&a.store, &a.config, now, crate::time::jst_date(now)).await {
            Ok(shops) if full => crate::metrics::render(&a.store, &shops).await,
            Ok(shops) => Ok(crate::metrics::render_bare(&shops)),
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
