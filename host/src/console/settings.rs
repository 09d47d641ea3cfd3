//! 設定 and 監査ログ: each shop's configuration as the host runs it — read-only, with every
//! secret shown only as set or not (its value never leaves the host) — with what its plugin
//! asks for and what is wrong; and the audit log (who did what, when; admins).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{Console, Staff};
use crate::accounts::Role;

/// `GET /console/settings`.
pub async fn show(State(cx): State<Console>, who: Staff) -> Response {
    let a = &cx.state;
    let today = crate::time::jst_date(a.clock.now());
    let reports = crate::app::shop_reports(&a.config, &a.runtime, today);
    let shops: Vec<_> = a
        .config
        .shops
        .iter()
        .map(|shop| {
            let report = reports.iter().find(|r| r.id == shop.id);
            let mins = |d: Option<std::time::Duration>| d.map(|d| d.as_secs() / 60);
            json!({
                "id": shop.id,
                "name": shop.name,
                "mall": shop.mall,
                "api": shop.order_api,
                "base_url": shop.base_url,
                "fetch_days": shop.fetch_days,
                "stored_status": shop.stored_status.id(),
                "auto_fetch_mins": mins(shop.auto_fetch),
                "auto_export_mins": mins(shop.auto_export),
                // Plain settings only: a secret is in `credentials`, by name and state.
                "settings": shop.settings,
                "declared": report.map(|r| json!(r.settings)),
                "credentials": report.map(|r| json!(r.credentials)),
                "secrets_set": shop.credentials.keys().collect::<Vec<_>>(),
                "plugin": report.and_then(|r| r.plugin.clone()),
                "problem": report.and_then(|r| r.problem.clone()),
                "carrier_ids": shop.carrier_ids,
                "delivery_methods": shop.delivery_methods,
                "time_slots": shop.time_slots,
                "labels": labels_view(&shop.labels),
            })
        })
        .collect();
    cx.page(&who, "settings.html", "settings", json!({ "shops": shops }))
}

/// `[shops.labels]` as the 設定 screen shows it: which label program each carrier prints with,
/// the sender block, B2's and e飛伝's codes, the slip type per delivery method, time-slot codes
/// (the shop's over the built-in ones) and the character replacements (the same).
fn labels_view(l: &crate::config::LabelConfig) -> serde_json::Value {
    let mut slots: std::collections::BTreeMap<String, String> =
        crate::labels::b2::DEFAULT_TIME_SLOTS
            .iter()
            .map(|(s, c)| ((*s).to_string(), (*c).to_string()))
            .collect();
    slots.extend(l.b2_time_slots.clone());
    let mut replace: std::collections::BTreeMap<String, String> =
        crate::labels::text::DEFAULT_REPLACEMENTS
            .iter()
            .map(|(c, s)| (c.to_string(), (*s).to_string()))
            .collect();
    replace.extend(l.replace.iter().map(|(c, s)| (c.to_string(), s.clone())));
    let mut ehiden_slots: std::collections::BTreeMap<String, String> =
        crate::labels::ehiden::DEFAULT_TIME_SLOTS
            .iter()
            .map(|(s, c)| ((*s).to_string(), (*c).to_string()))
            .collect();
    ehiden_slots.extend(l.ehiden_time_slots.clone());
    let formats: Vec<serde_json::Value> = l
        .all_formats()
        .into_iter()
        .map(|(carrier, f)| {
            json!({
                "carrier": super::words::carrier_name(&carrier),
                "id": carrier,
                "format": crate::labels::Format::from_id(&f).map_or(f.clone(), |f| f.name().to_string()),
            })
        })
        .collect();
    json!({
        "formats": formats,
        "ehiden_customer_code": l.ehiden_customer_code,
        "ehiden_time_slots": ehiden_slots,
        "ehiden_speeds": l.ehiden_speeds,
        "sender": format!("{} {} 〒{} {} {}", l.sender_name, l.sender_phone, l.sender_postal, l.sender_address, l.sender_building).trim().to_string(),
        "b2_customer_code": l.b2_customer_code,
        "b2_freight_no": l.b2_freight_no,
        "b2_slip_types": l.b2_slip_types,
        "b2_time_slots": slots,
        "replace": replace,
    })
}

/// `GET /console/audit` (admin): the newest 500 entries.
pub async fn audit(State(cx): State<Console>, who: Staff) -> Response {
    if let Some(r) = who.refuse(&cx, None, Role::Admin) {
        return r;
    }
    match cx.state.store.audit_log(500).await {
        Ok(log) => cx.page(&who, "audit.html", "audit", json!({ "log": log })),
        Err(e) => cx.error_page(&who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}
