//! The HTTP surface: routes, auth, rate limit, fault injection and the three endpoints.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::model::{EmuOrder, EmuShipment, Status};
use connector_kit::emulator::lost_answer;

use crate::{Endpoint, Shared};

/// The answer to an applied request, or its loss when the test asked for one.
fn answer(st: &mut crate::State, endpoint: Endpoint, body: serde_json::Value) -> Response {
    match st.faults.loss(endpoint) {
        None => Json(body).into_response(),
        Some(how) => lost_answer(
            how,
            body.to_string().into_bytes(),
            "application/json",
            json!({"errors": [{"code": "INTERNAL_ERROR",
                "message": "the front end failed after the work was done"}]})
            .to_string(),
        ),
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/orders", get(search_orders))
        .route("/orders/acknowledge", post(acknowledge))
        .route("/shipments", post(shipments))
        .route(
            connector_kit::emulator::STATUS_PATH,
            get(|AxState(s): AxState<Arc<Shared>>| async move {
                connector_kit::emulator::status_answer(s.status_counts())
            }),
        )
        .with_state(shared)
}

fn error(status: StatusCode, code: &str, message: &str, field: Option<&str>) -> Response {
    let mut e = json!({"code": code, "message": message});
    if let Some(f) = field {
        e["field"] = f.into();
    }
    (status, Json(json!({ "errors": [e] }))).into_response()
}

fn bad_param(field: &str, message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER",
        message,
        Some(field),
    )
}

/// Auth, rate limit, request count and injected faults, in that order.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn gate(shared: &Shared, headers: &HeaderMap, endpoint: Endpoint) -> Result<(), Response> {
    let cfg = &shared.config;
    let expected = format!("{}:{}", cfg.partner_code, cfg.api_password);
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    if given.as_deref() != Some(expected.as_bytes()) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "AUTH_FAILED",
            "partner code or API password is wrong",
            None,
        ));
    }
    let mut st = shared.lock();
    if let Err(wait) = st.rate.admit(&cfg.partner_code, Instant::now()) {
        let wait = cfg
            .retry_after_secs
            .unwrap_or(wait.as_secs_f64().ceil().max(1.0) as u64);
        let mut resp = error(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "too many requests for this partner code",
            None,
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            resp.headers_mut().insert("retry-after", v);
        }
        return Err(resp);
    }
    st.calls.request(endpoint);
    if let Some(status) = st.faults.failure(endpoint) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = if status == StatusCode::SERVICE_UNAVAILABLE {
            "SERVICE_UNAVAILABLE"
        } else {
            "INTERNAL_ERROR"
        };
        return Err(error(status, code, "injected fault", None));
    }
    Ok(())
}

fn parse_instant(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp())
}

async fn search_orders(
    AxState(shared): AxState<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let endpoint = match q.get("status").map(String::as_str) {
        None | Some("ORDER_CONFIRM_WAIT") => Endpoint::SearchOrders,
        Some(_) => Endpoint::SearchOtherStatus,
    };
    shared.pass_door(endpoint).await;
    if let Err(r) = gate(&shared, &headers, endpoint) {
        return r;
    }
    let Some(status) = q.get("status").and_then(|s| Status::from_code(s)) else {
        return bad_param(
            "status",
            "status is required and must be a known status code",
        );
    };
    let from = match q.get("orderedFrom").map(|s| parse_instant(s)) {
        None => i64::MIN,
        Some(Some(t)) => t,
        Some(None) => return bad_param("orderedFrom", "orderedFrom must be ISO 8601 with offset"),
    };
    let to = match q.get("orderedTo").map(|s| parse_instant(s)) {
        None => i64::MAX,
        Some(Some(t)) => t,
        Some(None) => return bad_param("orderedTo", "orderedTo must be ISO 8601 with offset"),
    };
    let page: usize = match q.get("page").map(|p| p.parse()) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        _ => return bad_param("page", "page must be a whole number from 1"),
    };
    let limit: usize = match q.get("limit").map(|p| p.parse()) {
        None => 100,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        _ => return bad_param("limit", "limit must be 1..100"),
    };
    let mut st = shared.lock();
    let stale = &st.stale_listing;
    let listed = |o: &EmuOrder| {
        o.status == status
            || (status == Status::OrderConfirmWait && stale.contains(&o.order_number))
    };
    let mut matching: Vec<_> = st
        .orders
        .values()
        .filter(|o| listed(o) && o.ordered_at_secs >= from && o.ordered_at_secs <= to)
        .collect();
    matching.sort_by(|a, b| {
        (a.ordered_at_secs, &a.order_number).cmp(&(b.ordered_at_secs, &b.order_number))
    });
    let total = matching.len();
    let total_pages = total.div_ceil(limit).max(1);
    let orders: Vec<EmuOrder> = matching
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(|o| {
            let mut o = o.clone();
            if st.stale_listing.contains(&o.order_number) {
                o.status = Status::OrderConfirmWait; // what the lagging index shows
            }
            o
        })
        .collect();
    let listed: Vec<serde_json::Value> = orders
        .iter()
        .map(|o| {
            let mut v = serde_json::to_value(o).unwrap_or_default();
            for (field, value) in st.overrides.get(&o.order_number).into_iter().flatten() {
                v[field.as_str()] = value.clone();
            }
            v
        })
        .collect();
    let body = json!({
        "orders": listed, "page": page, "totalPages": total_pages, "totalCount": total
    });
    let others: Vec<String> = orders
        .iter()
        .take(st.taken_by_others_per_page)
        .map(|o| o.order_number.clone())
        .collect();
    for n in others {
        if let Some(o) = st.orders.get_mut(&n) {
            o.status = Status::ShipInstructionWait;
        }
    }
    Json(body).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AckBody {
    order_numbers: Vec<String>,
}

fn entry_error(
    number: &str,
    code: &str,
    message: &str,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut e = json!({"code": code, "message": message});
    if let (Some(e), Some(x)) = (e.as_object_mut(), extra.as_object()) {
        e.extend(x.clone());
    }
    json!({"orderNumber": number, "result": "ERROR", "error": e})
}

fn ok(number: &str) -> serde_json::Value {
    json!({"orderNumber": number, "result": "OK"})
}

async fn acknowledge(
    AxState(shared): AxState<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.pass_door(Endpoint::Acknowledge).await;
    if let Err(r) = gate(&shared, &headers, Endpoint::Acknowledge) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<AckBody>(&body) else {
        return bad_param("orderNumbers", "body must be {\"orderNumbers\": [..]}");
    };
    if req.order_numbers.is_empty() || req.order_numbers.len() > 100 {
        return bad_param("orderNumbers", "orderNumbers must hold 1..100 numbers");
    }
    let now = (shared.config.clock)();
    let (resp, delay) = {
        let mut st = shared.lock();
        for n in &req.order_numbers {
            st.calls.order(Endpoint::Acknowledge, n);
        }
        let mut ok_count = 0;
        let results: Vec<_> = req
            .order_numbers
            .iter()
            .map(|n| match st.orders.get_mut(n) {
                None => entry_error(n, "ORDER_NOT_FOUND", "no such order", json!({})),
                Some(o) if o.status == Status::OrderConfirmWait => {
                    o.status = Status::ShipInstructionWait;
                    ok_count += 1;
                    o.updated_at = crate::model::jst_instant(now);
                    ok(n)
                }
                Some(o) => entry_error(
                    n,
                    "STATUS_MISMATCH",
                    "the order is not awaiting confirmation",
                    json!({"currentStatus": o.status.code()}),
                ),
            })
            .collect();
        st.acknowledged_ok += ok_count;
        let resp = answer(
            &mut st,
            Endpoint::Acknowledge,
            json!({ "results": results }),
        );
        (resp, st.answer_delay)
    };
    // Applied; the answer takes a while (a client killed now never learns it).
    tokio::time::sleep(delay).await;
    resp
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShipmentEntry {
    order_number: String,
    carrier_id: String,
    tracking_number: String,
    shipped_date: String,
}

#[derive(Deserialize)]
struct ShipmentsBody {
    shipments: Vec<ShipmentEntry>,
}

const CARRIERS: &[&str] = &["01", "02", "03", "04", "05", "99"];

/// The carriers' rule for `01`..`03`: 12 digits, the last = the first 11 as a number mod 7.
pub fn check_digit_ok(tracking: &str) -> bool {
    if tracking.len() != 12 || !tracking.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (body, check) = tracking.split_at(11);
    match (body.parse::<u64>(), check.parse::<u64>()) {
        (Ok(b), Ok(c)) => b % 7 == c,
        _ => false,
    }
}

fn validate_entry(e: &ShipmentEntry, today: chrono::NaiveDate) -> Result<(), serde_json::Value> {
    let bad = |field: &str, msg: &str| {
        entry_error(
            &e.order_number,
            "INVALID_PARAMETER",
            msg,
            json!({"field": field}),
        )
    };
    if !CARRIERS.contains(&e.carrier_id.as_str()) {
        return Err(bad("carrierId", "unknown carrierId"));
    }
    if e.tracking_number.is_empty() {
        return Err(bad("trackingNumber", "trackingNumber is required"));
    }
    if ["01", "02", "03"].contains(&e.carrier_id.as_str()) {
        if !check_digit_ok(&e.tracking_number) {
            return Err(bad(
                "trackingNumber",
                "tracking number fails the carrier's check digit",
            ));
        }
    } else if e.tracking_number.len() > 30
        || !e
            .tracking_number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(bad(
            "trackingNumber",
            "tracking number must be 1..30 of [0-9A-Za-z-]",
        ));
    }
    match chrono::NaiveDate::parse_from_str(&e.shipped_date, "%Y-%m-%d") {
        Err(_) => Err(bad("shippedDate", "shippedDate must be YYYY-MM-DD")),
        Ok(d) if d > today => Err(bad("shippedDate", "shippedDate is later than today")),
        Ok(_) => Ok(()),
    }
}

async fn shipments(
    AxState(shared): AxState<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.pass_door(Endpoint::Shipments).await;
    if let Err(r) = gate(&shared, &headers, Endpoint::Shipments) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<ShipmentsBody>(&body) else {
        return bad_param("shipments", "body must be {\"shipments\": [..]}");
    };
    if req.shipments.is_empty() || req.shipments.len() > 50 {
        return bad_param("shipments", "shipments must hold 1..50 entries");
    }
    let now = (shared.config.clock)();
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("valid offset");
    let today = chrono::DateTime::from_timestamp(now, 0)
        .map(|t| t.with_timezone(&jst).date_naive())
        .unwrap_or_default();
    let (resp, delay) = {
        let mut st = shared.lock();
        for e in &req.shipments {
            st.calls.order(Endpoint::Shipments, &e.order_number);
        }
        let mut applied = std::mem::take(&mut st.shipments_applied);
        let mut repeat_count = 0;
        let repeats = &mut repeat_count;
        let results: Vec<_> = req
            .shipments
            .iter()
            .map(|e| {
                let n = &e.order_number;
                let Some(o) = st.orders.get_mut(n) else {
                    return entry_error(n, "ORDER_NOT_FOUND", "no such order", json!({}));
                };
                if let Err(err) = validate_entry(e, today) {
                    return err;
                }
                let shipment = EmuShipment {
                    carrier_id: e.carrier_id.clone(),
                    tracking_number: e.tracking_number.clone(),
                    shipped_date: e.shipped_date.clone(),
                };
                match o.status {
                    Status::ShipInstructionWait => {
                        o.status = Status::Shipped;
                        o.updated_at = crate::model::jst_instant(now);
                        o.shipment = Some(shipment);
                        *applied.entry(n.clone()).or_insert(0) += 1;
                        ok(n)
                    }
                    Status::Shipped
                        if o.shipment.as_ref().is_some_and(|s| {
                            s.carrier_id == shipment.carrier_id
                                && s.tracking_number == shipment.tracking_number
                        }) =>
                    {
                        *repeats += 1;
                        ok(n)
                    }
                    other => entry_error(
                        n,
                        "STATUS_MISMATCH",
                        "the order is not awaiting shipment",
                        json!({"currentStatus": other.code()}),
                    ),
                }
            })
            .collect();
        st.shipments_applied = applied;
        st.shipment_repeats += repeat_count;
        let resp = answer(&mut st, Endpoint::Shipments, json!({ "results": results }));
        (resp, st.answer_delay)
    };
    tokio::time::sleep(delay).await;
    resp
}

#[cfg(test)]
mod tests {
    use super::check_digit_ok;

    #[test]
    fn check_digit_rule() {
        // 12345678901 mod 7 = 3
        assert!(check_digit_ok("123456789013"));
        assert!(!check_digit_ok("123456789012"));
        assert!(!check_digit_ok("12345678901"));
        assert!(!check_digit_ok("12345678901a"));
    }
}
