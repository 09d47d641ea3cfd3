//! ダッシュボード: every shop at a glance — its mall and plugin, each job's last run (when,
//! result, counts), next run, failures in a row, a 停滞 (stale) badge, credential expiry, and
//! the orders per status — read from `job_runs`, the shared schedule and `health`; and
//! 今すぐ実行 (staff), which starts a scheduled job and names its run.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Console, Staff};
use crate::accounts::Role;
use crate::sync::scheduler::Job;

/// The dashboard's data, shop by shop.
async fn shops(cx: &Console) -> Result<Vec<Value>, crate::store::StoreError> {
    let a = &cx.state;
    let now = chrono::Utc::now();
    let health = crate::health::shops(&a.store, &a.config, now, crate::time::jst_date(now)).await?;
    let mut out = Vec::new();
    for shop in &a.config.shops {
        let h = health.iter().find(|h| h.shop == shop.id);
        let plugin = a.runtime.plugin(&shop.mall).ok();
        let mut jobs = Vec::new();
        if shop.order_api {
            for job in ["fetch", "export"] {
                let last = a.store.job_runs_of(&shop.id, job, 1).await?;
                let judged = h.and_then(|h| h.jobs.iter().find(|j| j.job == job));
                jobs.push(json!({
                    "job": job,
                    "last": last.first(),
                    "scheduled": judged.is_some(),
                    "every_mins": judged.map(|j| j.every_secs / 60),
                    "next_due": judged.and_then(|j| j.next_due).map(crate::time::display_jst),
                    "failures_in_row": judged.map_or(0, |j| j.failures_in_row),
                    "stale": judged.is_some_and(|j| j.stale),
                    "running": judged.is_some_and(|j| j.running),
                }));
            }
        }
        let counts: Vec<Value> = a
            .store
            .status_counts(&shop.id)
            .await?
            .into_iter()
            .map(|(s, n)| json!({ "status": s.id(), "n": n }))
            .collect();
        out.push(json!({
            "id": shop.id,
            "name": shop.name,
            "mall": shop.mall,
            "api": shop.order_api,
            "plugin": plugin.as_ref().map(|p| p.info().label()),
            "contract": plugin.as_ref().map(|p| p.info().contract_version.clone()),
            "jobs": jobs,
            "credentials": h.map(|h| json!(h.credentials)).unwrap_or_else(|| json!([])),
            "healthy": h.is_none_or(|h| h.healthy),
            "problems": h.map(|h| json!(h.problems)).unwrap_or_else(|| json!([])),
            "counts": counts,
        }));
    }
    Ok(out)
}

/// The dashboard's query: a run just started.
#[derive(Deserialize)]
pub struct Shown {
    started: Option<i64>,
    refused: Option<String>,
}

/// `GET /console`.
pub async fn show(
    State(cx): State<Console>,
    who: Staff,
    axum::extract::Query(q): axum::extract::Query<Shown>,
) -> Response {
    // A run started from here: the page comes back every few seconds until it has ended, so
    // its result shows without a reload by hand.
    let mut refresh = false;
    let mut finished = None;
    if let Some(id) = q.started {
        match cx.state.store.job_run(id).await {
            Ok(Some(run)) if run.ended_at.is_some() => finished = run.outcome,
            Ok(_) => refresh = true,
            Err(e) => tracing::warn!("run {id} cannot be read: {e}"),
        }
    }
    match shops(&cx).await {
        Ok(shops) => cx.page(
            &who,
            "dashboard.html",
            "dashboard",
            json!({
                "shops": shops,
                "started": q.started,
                "finished": finished,
                "refused": q.refused,
                "refresh": refresh,
            }),
        ),
        Err(e) => cx.error_page(&who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// 今すぐ実行.
#[derive(Deserialize)]
pub struct RunForm {
    #[serde(default)]
    csrf: String,
    shop: String,
    job: Job,
}

/// `POST /console/jobs/run` (staff): starts the job and shows its run's id.
pub async fn run_job(
    State(cx): State<Console>,
    who: Staff,
    axum::Form(form): axum::Form<RunForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&form.csrf), Role::Staff) {
        return r;
    }
    match cx.state.scheduler.start_now(&form.shop, form.job).await {
        Ok(run) => {
            cx.audit(
                &who.actor(),
                "jobs.run",
                &format!("{} {} (run {run})", form.shop, form.job),
            )
            .await;
            Redirect::to(&format!("/console?started={run}")).into_response()
        }
        Err(e) => Redirect::to(&format!(
            "/console?refused={}",
            url::form_urlencoded::byte_serialize(e.as_bytes()).collect::<String>()
        ))
        .into_response(),
    }
}
