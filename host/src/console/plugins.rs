//! プラグイン: every mall's installed components with their versions and digests (the active one
//! marked; a mall whose plugin could not be loaded shown as 停止中 with why), install from an upload (a component and its manifest, checked by
//! `PluginDir::install` exactly as `mallhost plugins install` checks them), and rollback to the
//! previous one. Installing and rolling back are an admin's.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::data::{Spooled, Upload};
use super::{Console, Staff};
use crate::accounts::Role;

async fn page(
    cx: &Console,
    who: &Staff,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let installed = match cx.state.dir.installed() {
        Ok(i) => i,
        Err(e) => return cx.error_page(who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let active: Vec<_> = cx
        .state
        .runtime
        .plugins()
        .iter()
        .map(|p| {
            let info = p.info();
            json!({
                "mall": info.mall_id,
                "label": info.label(),
                "contract": info.contract_version,
                "sha256": p.digest(),
            })
        })
        .collect();
    let off: Vec<_> = cx
        .state
        .runtime
        .disabled()
        .into_iter()
        .map(|d| json!({ "mall": d.mall, "file": d.file, "reason": d.reason }))
        .collect();
    cx.page_with(
        who,
        status,
        "plugins.html",
        "plugins",
        json!({ "installed": installed, "active": active, "off": off, "notice": notice, "error": error }),
    )
}

/// `GET /console/plugins`.
pub async fn list(State(cx): State<Console>, who: Staff) -> Response {
    page(&cx, &who, StatusCode::OK, None, None).await
}

/// The rollback form.
#[derive(Deserialize)]
pub struct RollbackForm {
    #[serde(default)]
    csrf: String,
    mall: String,
}

/// `POST /console/plugins/rollback` (admin).
pub async fn rollback(
    State(cx): State<Console>,
    who: Staff,
    axum::Form(f): axum::Form<RollbackForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&f.csrf), Role::Admin) {
        return r;
    }
    match cx.state.dir.rollback(&cx.state.runtime, &f.mall).await {
        Ok(p) => {
            let label = p.info().label();
            cx.audit(&who.actor(), "plugins.rollback", &label).await;
            let notice = cx.tr(who.lang, "installed_now").replace("{label}", &label);
            page(&cx, &who, StatusCode::OK, Some(notice), None).await
        }
        Err(e) => page(&cx, &who, StatusCode::CONFLICT, None, Some(e.to_string())).await,
    }
}

/// `POST /console/plugins/install` (admin, multipart: `wasm`, `manifest`).
pub async fn install(
    State(cx): State<Console>,
    who: Staff,
    axum::extract::Query(q): axum::extract::Query<super::CsrfQuery>,
    m: Multipart,
) -> Response {
    let u = match Upload::read_for(&cx, &who, &q.csrf, m, Role::Admin).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let (Some((name, wasm)), Some((_, manifest))) =
        (u.file("wasm", "plugin.wasm"), u.file("manifest", ""))
    else {
        let msg = "choose both the component (.wasm) and its manifest (.toml)".to_string();
        return page(&cx, &who, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg)).await;
    };
    let name = if name.ends_with(".wasm") {
        name
    } else {
        format!("{name}.wasm")
    };
    let spooled = match Spooled::write(&name, wasm) {
        Ok(s) => s,
        Err(e) => return cx.error_page(&who, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let manifest_path = crate::runtime::Manifest::beside(&spooled.0);
    if let Err(e) = std::fs::write(&manifest_path, manifest) {
        return cx.error_page(&who, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    let result = cx
        .state
        .dir
        .install(&cx.state.runtime, &spooled.0, Some(&manifest_path))
        .await;
    drop(spooled);
    match result {
        Ok(p) => {
            let label = p.info().label();
            cx.audit(&who.actor(), "plugins.install", &label).await;
            let notice = cx.tr(who.lang, "installed_now").replace("{label}", &label);
            page(&cx, &who, StatusCode::OK, Some(notice), None).await
        }
        Err(e) => {
            page(
                &cx,
                &who,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(e.to_string()),
            )
            .await
        }
    }
}
