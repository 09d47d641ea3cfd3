//! The HTTP surface: ESA auth, the 1-request-a-second limit, fault injection, the four order
//! methods and the control endpoints.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use serde_json::{Value, json};

use connector_kit::emulator::lost_answer;

use crate::model::Shipping;
use crate::{Method, Shared, State};

const DAY: i64 = 86_400;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/es/2.0/order/{method}/", post(order_api))
        .route("/es/2.0/order/{method}", post(order_api))
        .route("/control/cancel", post(control_cancel))
        .route("/control/fault", post(control_fault))
        .route(
            connector_kit::emulator::STATUS_PATH,
            axum::routing::get(|AxState(s): AxState<Arc<Shared>>| async move {
                connector_kit::emulator::status_answer(s.status_counts())
            }),
        )
        .with_state(shared)
}

fn message(kind: &str, code: &str, text: &str, order: Option<&str>) -> Value {
    let mut m = json!({"messageType": kind, "messageCode": code, "message": text});
    if let Some(n) = order {
        m["orderNumber"] = json!(n);
    }
    m
}

fn error(status: StatusCode, code: &str, text: &str) -> Response {
    (
        status,
        Json(json!({"MessageModelList": [message("ERROR", code, text, None)]})),
    )
        .into_response()
}

fn order_error(status: StatusCode, code: &str, text: &str, order: &str) -> Response {
    (
        status,
        Json(json!({"MessageModelList": [message("ERROR", code, text, Some(order))]})),
    )
        .into_response()
}

fn bad(code: &str, text: &str) -> Response {
    error(StatusCode::BAD_REQUEST, code, text)
}

pub(crate) fn cancel(st: &mut State, number: &str) -> bool {
    match st.orders.get_mut(number) {
        Some(o) => {
            o.progress = 900;
            true
        }
        None => false,
    }
}

/// Auth, rate limit, request count and injected faults, in that order.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn gate(shared: &Shared, headers: &HeaderMap, method: Method) -> Result<(), Response> {
    let cfg = &shared.config;
    let expected = format!("{}:{}", cfg.service_secret, cfg.license_key);
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("ESA "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    let mut st = shared.lock();
    if given.as_deref() != Some(expected.as_bytes()) {
        st.auth_refused += 1;
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "ES04-01",
            "Unauthorized: serviceSecret または licenseKey が正しくありません",
        ));
    }
    if st.rate.admit(&cfg.license_key, Instant::now()).is_err() {
        // No Retry-After: Rakuten does not send one.
        return Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            "ES04-04",
            "Too Many Requests: 1秒あたりのリクエスト数を超えました",
        ));
    }
    st.calls.request(method);
    if let Some(status) = st.faults.failure(method) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(error(status, "ES04-99", "injected fault"));
    }
    Ok(())
}

fn parse_instant(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .ok()
        .map(|t| t.timestamp())
}

fn numbers(body: &Value) -> Option<Vec<String>> {
    body.get("orderNumberList")?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

async fn order_api(
    AxState(shared): AxState<Arc<Shared>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let Some(method) = Method::from_name(&name) else {
        return error(StatusCode::NOT_FOUND, "ES01-01", "no such method");
    };
    if let Err(r) = gate(&shared, &headers, method) {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return bad("ES02-01", "the request body is not JSON");
    };
    let now = (shared.config.clock)();
    let mut st = shared.lock();
    if let Some(asked) = numbers(&body) {
        for n in &asked {
            st.calls.order(method, n);
        }
    } else if let Some(n) = body.get("orderNumber").and_then(Value::as_str) {
        st.calls.order(method, n);
    }
    let resp = match method {
        Method::SearchOrder => search(&mut st, &body, now, shared.config.max_hits),
        Method::GetOrder => get(&st, &body),
        Method::ConfirmOrder => confirm(&mut st, &body),
        Method::UpdateOrderShipping => update_shipping(&mut st, &body, now),
    };
    if resp.status().is_success()
        && let Some(how) = st.faults.loss(method)
    {
        return lost_answer(how, Vec::new(), "application/json", String::new());
    }
    resp
}

fn search(st: &mut State, body: &Value, now: i64, max_hits: usize) -> Response {
    const E: &str = "ORDER_EXT_API_SEARCH_ORDER_ERROR_";
    let Some(progress) = body["orderProgressList"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect::<Vec<i64>>())
    else {
        return bad(&format!("{E}001"), "orderProgressList is required");
    };
    if body["dateType"].as_i64() != Some(1) {
        return bad(&format!("{E}002"), "dateType must be 1 (注文日時)");
    }
    let (Some(from), Some(to)) = (
        body["startDatetime"].as_str().and_then(parse_instant),
        body["endDatetime"].as_str().and_then(parse_instant),
    ) else {
        return bad(
            &format!("{E}003"),
            "startDatetime and endDatetime must be yyyy-MM-ddTHH:mm:ss+0900",
        );
    };
    if to < from {
        return bad(&format!("{E}004"), "endDatetime is before startDatetime");
    }
    if to - from > 63 * DAY {
        return bad(&format!("{E}011"), "検索期間は63日以内で指定してください");
    }
    if from < now - 730 * DAY {
        return bad(
            &format!("{E}012"),
            "開始日時は過去730日以内で指定してください",
        );
    }
    let page_model = &body["PaginationRequestModel"];
    let size = page_model["requestRecordsAmount"].as_u64().unwrap_or(0) as usize;
    let page = page_model["requestPage"].as_u64().unwrap_or(0) as usize;
    if !(30..=1000).contains(&size) {
        return bad(&format!("{E}013"), "requestRecordsAmount must be 30..1000");
    }
    if page < 1 {
        return bad(&format!("{E}014"), "requestPage must be at least 1");
    }
    let descending = body["SortModelList"][0]["sortDirection"].as_i64() == Some(2);
    let mut hits: Vec<(i64, &String)> = st
        .orders
        .values()
        .filter(|o| {
            progress.contains(&i64::from(o.progress)) && o.ordered_at >= from && o.ordered_at <= to
        })
        .map(|o| (o.ordered_at, &o.number))
        .collect();
    if hits.len() > max_hits {
        return bad(
            "ORDER_EXT_API_SEARCH_ORDER_ERROR_015",
            "検索結果が15000件を超えました。検索条件を絞り込んでください",
        );
    }
    hits.sort();
    if descending {
        hits.reverse();
    }
    let total = hits.len();
    let listed: Vec<&String> = hits
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|(_, n)| *n)
        .collect();
    Json(json!({
        "orderNumberList": listed,
        "PaginationResponseModel": {"totalRecordsAmount": total,
            "totalPages": total.div_ceil(size), "requestPage": page},
        "MessageModelList": [message("INFO", "ORDER_EXT_API_SEARCH_ORDER_INFO_101", "注文検索に成功しました", None)],
    }))
    .into_response()
}

fn get(st: &State, body: &Value) -> Response {
    let Some(ns) = numbers(body) else {
        return bad(
            "ORDER_EXT_API_GET_ORDER_ERROR_001",
            "orderNumberList is required",
        );
    };
    if ns.len() > 100 {
        return bad(
            "ORDER_EXT_API_GET_ORDER_ERROR_002",
            "at most 100 order numbers",
        );
    }
    let mut models = Vec::new();
    let mut messages = Vec::new();
    for n in &ns {
        match st.orders.get(n) {
            Some(o) => models.push(o.json()),
            None => messages.push(message(
                "ERROR",
                "ORDER_EXT_API_GET_ORDER_ERROR_003",
                "指定された受注番号は存在しません",
                Some(n),
            )),
        }
    }
    Json(json!({"OrderModelList": models, "MessageModelList": messages})).into_response()
}

fn confirm(st: &mut State, body: &Value) -> Response {
    let Some(ns) = numbers(body) else {
        return bad(
            "ORDER_EXT_API_CONFIRM_ORDER_ERROR_001",
            "orderNumberList is required",
        );
    };
    if ns.len() > 100 {
        return bad(
            "ORDER_EXT_API_CONFIRM_ORDER_ERROR_002",
            "at most 100 order numbers",
        );
    }
    let mut list = Vec::new();
    for n in &ns {
        match st.orders.get_mut(n) {
            Some(o) if o.progress == 100 => {
                o.progress = 300;
                st.confirmed_ok += 1;
                list.push(message(
                    "INFO",
                    "ORDER_EXT_API_CONFIRM_ORDER_INFO_001",
                    "注文確認を受け付けました",
                    Some(n),
                ));
            }
            Some(_) => list.push(message(
                "ERROR",
                "ORDER_EXT_API_CONFIRM_ORDER_ERROR_010",
                "注文確認待ちの注文ではないため、注文確認できません",
                Some(n),
            )),
            None => list.push(message(
                "ERROR",
                "ORDER_EXT_API_CONFIRM_ORDER_ERROR_003",
                "指定された受注番号は存在しません",
                Some(n),
            )),
        }
    }
    Json(json!({"MessageModelList": list})).into_response()
}

fn valid_number(s: &str) -> bool {
    (1..=30).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn update_shipping(st: &mut State, body: &Value, now: i64) -> Response {
    const E: &str = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_";
    let Some(n) = body["orderNumber"].as_str().map(str::to_string) else {
        return bad(&format!("{E}001"), "orderNumber is required");
    };
    let Some(baskets) = body["BasketidModelList"].as_array() else {
        return order_error(
            StatusCode::BAD_REQUEST,
            &format!("{E}002"),
            "BasketidModelList is required",
            &n,
        );
    };
    let today = crate::jst_date(now);
    let mut next_id = st.next_detail_id;
    let Some(o) = st.orders.get_mut(&n) else {
        return order_error(
            StatusCode::BAD_REQUEST,
            &format!("{E}003"),
            "指定された受注番号は存在しません",
            &n,
        );
    };
    if o.progress == 800 || o.progress == 900 {
        return order_error(
            StatusCode::BAD_REQUEST,
            &format!("{E}021"),
            "キャンセルされた注文には発送情報を登録できません",
            &n,
        );
    }
    if o.progress < 300 {
        return order_error(
            StatusCode::BAD_REQUEST,
            &format!("{E}020"),
            "注文確認前の注文には発送情報を登録できません",
            &n,
        );
    }
    let ordered_on = crate::jst_date(o.ordered_at);
    // Check everything first: a refused request changes nothing.
    let mut changes: Vec<(usize, Option<i64>, Shipping)> = Vec::new();
    for b in baskets {
        let Some(pos) = b["basketId"]
            .as_i64()
            .and_then(|id| o.baskets.iter().position(|x| x.id == id))
        else {
            return order_error(
                StatusCode::BAD_REQUEST,
                &format!("{E}004"),
                "basketId がこの注文にありません",
                &n,
            );
        };
        let Some(entries) = b["ShippingModelList"].as_array().filter(|a| !a.is_empty()) else {
            return order_error(
                StatusCode::BAD_REQUEST,
                &format!("{E}005"),
                "ShippingModelList is required",
                &n,
            );
        };
        for s in entries {
            let company = s["deliveryCompany"].as_str().unwrap_or_default();
            if crate::carrier_name(company).is_empty() {
                return order_error(
                    StatusCode::BAD_REQUEST,
                    &format!("{E}006"),
                    &format!("deliveryCompany {company:?} は配送会社コードではありません"),
                    &n,
                );
            }
            let number = s["shippingNumber"].as_str().unwrap_or_default();
            if !valid_number(number) {
                return order_error(
                    StatusCode::BAD_REQUEST,
                    &format!("{E}007"),
                    &format!(
                        "shippingNumber {number:?} は1〜30桁の英数字とハイフンで指定してください"
                    ),
                    &n,
                );
            }
            let date = s["shippingDate"].as_str().unwrap_or_default();
            if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err()
                || date > today.as_str()
                || date < ordered_on.as_str()
            {
                return order_error(
                    StatusCode::BAD_REQUEST,
                    &format!("{E}008"),
                    &format!(
                        "shippingDate {date:?} は注文日以降、本日以前の日付で指定してください"
                    ),
                    &n,
                );
            }
            let id = s["shippingDetailId"].as_i64();
            if let Some(id) = id
                && !o.baskets[pos].shippings.iter().any(|x| x.detail_id == id)
            {
                return order_error(
                    StatusCode::BAD_REQUEST,
                    &format!("{E}009"),
                    &format!("shippingDetailId {id} はこの送付先にありません"),
                    &n,
                );
            }
            changes.push((
                pos,
                id,
                Shipping {
                    detail_id: 0,
                    company: company.into(),
                    number: number.into(),
                    date: date.into(),
                },
            ));
        }
    }
    let mut added = 0;
    for (pos, id, mut s) in changes {
        let shippings = &mut o.baskets[pos].shippings;
        match id {
            Some(id) => {
                if let Some(x) = shippings.iter_mut().find(|x| x.detail_id == id) {
                    s.detail_id = id;
                    *x = s;
                }
            }
            None => {
                s.detail_id = next_id;
                next_id += 1;
                added += 1;
                shippings.push(s);
            }
        }
    }
    if o.baskets.iter().all(|b| !b.shippings.is_empty()) {
        o.progress = 500;
    }
    st.next_detail_id = next_id;
    st.parcels_added += added;
    Json(json!({"MessageModelList": [message("INFO", "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_001", "発送情報を登録しました", Some(&n))]}))
        .into_response()
}

async fn control_cancel(
    AxState(shared): AxState<Arc<Shared>>,
    Json(body): Json<Value>,
) -> Response {
    let n = body["orderNumber"].as_str().unwrap_or_default().to_string();
    if cancel(&mut shared.lock(), &n) {
        Json(json!({"cancelled": n})).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such order"})),
        )
            .into_response()
    }
}

async fn control_fault(AxState(shared): AxState<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let Some(method) = body["method"].as_str().and_then(Method::from_name) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "method: searchOrder, getOrder, confirmOrder or updateOrderShipping"}))).into_response();
    };
    let count = u32::try_from(body["count"].as_u64().unwrap_or(1)).unwrap_or(u32::MAX);
    let status = u16::try_from(body["status"].as_u64().unwrap_or(500)).unwrap_or(500);
    shared.lock().faults.fail_next(method, count, status);
    Json(json!({"method": body["method"], "count": count, "status": status})).into_response()
}

#[cfg(test)]
mod tests {
    //! The spec's limits and rules, on the handlers without HTTP.

    use super::*;
    use crate::seed::plain_order;

    const NOW: i64 = 1_795_836_000; // 2026-11-28T12:20:00+09:00

    fn state(n: u32) -> State {
        let mut st = State {
            next_detail_id: 1,
            ..State::default()
        };
        for i in 0..n {
            let o = plain_order(i, NOW - DAY + i64::from(i));
            st.orders.insert(o.number.clone(), o);
        }
        st
    }

    fn query(from: i64, to: i64, size: u32, page: u32) -> Value {
        json!({"orderProgressList": [100], "dateType": 1,
            "startDatetime": crate::format_instant(from), "endDatetime": crate::format_instant(to),
            "PaginationRequestModel": {"requestRecordsAmount": size, "requestPage": page},
            "SortModelList": [{"sortColumn": 1, "sortDirection": 1}]})
    }

    async fn body(r: Response) -> (StatusCode, Value) {
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn code(v: &Value) -> &str {
        v["MessageModelList"][0]["messageCode"]
            .as_str()
            .unwrap_or("")
    }

    #[tokio::test]
    async fn search_limits_of_the_spec() {
        let mut st = state(40);
        let (s, v) = body(search(
            &mut st,
            &query(NOW - 64 * DAY, NOW, 30, 1),
            NOW,
            15_000,
        ))
        .await;
        assert_eq!(
            (s, code(&v)),
            (
                StatusCode::BAD_REQUEST,
                "ORDER_EXT_API_SEARCH_ORDER_ERROR_011"
            )
        );
        let (_, v) = body(search(
            &mut st,
            &query(NOW - 731 * DAY, NOW - 700 * DAY, 30, 1),
            NOW,
            15_000,
        ))
        .await;
        assert_eq!(code(&v), "ORDER_EXT_API_SEARCH_ORDER_ERROR_012");
        let (_, v) = body(search(&mut st, &query(NOW - DAY, NOW, 29, 1), NOW, 15_000)).await;
        assert_eq!(code(&v), "ORDER_EXT_API_SEARCH_ORDER_ERROR_013");
        let (_, v) = body(search(&mut st, &query(NOW - DAY, NOW, 30, 1), NOW, 39)).await;
        assert_eq!(
            code(&v),
            "ORDER_EXT_API_SEARCH_ORDER_ERROR_015",
            "over the hit limit"
        );
        let (s, v) = body(search(&mut st, &query(NOW - DAY, NOW, 30, 2), NOW, 15_000)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["orderNumberList"].as_array().unwrap().len(), 10);
        assert_eq!(v["PaginationResponseModel"]["totalPages"], 2);
    }

    #[tokio::test]
    async fn pages_are_computed_when_asked() {
        let mut st = state(40);
        let first = body(search(&mut st, &query(NOW - DAY, NOW, 30, 1), NOW, 15_000))
            .await
            .1;
        let n0 = first["orderNumberList"][0].as_str().unwrap().to_string();
        confirm(&mut st, &json!({"orderNumberList": [n0]}));
        let second = body(search(&mut st, &query(NOW - DAY, NOW, 30, 2), NOW, 15_000))
            .await
            .1;
        assert_eq!(
            second["orderNumberList"].as_array().unwrap().len(),
            9,
            "one order fewer: page 2 starts one later"
        );
    }

    #[tokio::test]
    async fn shipping_rules() {
        let mut st = state(2);
        let numbers: Vec<String> = st.orders.keys().cloned().collect();
        let (a, b) = (&numbers[0], &numbers[1]);
        let basket = st.orders[a].baskets[0].id;
        let ship = |n: &str, number: &str, date: &str, id: Option<i64>| {
            let mut e =
                json!({"deliveryCompany": "1001", "shippingNumber": number, "shippingDate": date});
            if let Some(id) = id {
                e["shippingDetailId"] = json!(id);
            }
            json!({"orderNumber": n, "BasketidModelList": [{"basketId": basket, "ShippingModelList": [e]}]})
        };
        let today = crate::jst_date(NOW);
        // Before the confirmation: refused.
        let (_, v) = body(update_shipping(&mut st, &ship(a, "123", &today, None), NOW)).await;
        assert_eq!(code(&v), "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_020");
        confirm(&mut st, &json!({"orderNumberList": [a, b]}));
        let (_, v) = body(update_shipping(
            &mut st,
            &ship(a, "12 3", &today, None),
            NOW,
        ))
        .await;
        assert_eq!(code(&v), "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_007");
        let (_, v) = body(update_shipping(
            &mut st,
            &ship(a, "123", "2099-01-01", None),
            NOW,
        ))
        .await;
        assert_eq!(code(&v), "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_008");
        let (s, _) = body(update_shipping(&mut st, &ship(a, "123", &today, None), NOW)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(st.orders[a].progress, 500);
        let id = st.orders[a].baskets[0].shippings[0].detail_id;
        let (s, _) = body(update_shipping(
            &mut st,
            &ship(a, "456", &today, Some(id)),
            NOW,
        ))
        .await;
        assert_eq!(s, StatusCode::OK);
        let shippings = &st.orders[a].baskets[0].shippings;
        assert_eq!(
            (shippings.len(), shippings[0].number.as_str()),
            (1, "456"),
            "changed, not added"
        );
        assert!(cancel(&mut st, b));
        let (_, v) = body(update_shipping(&mut st, &ship(b, "123", &today, None), NOW)).await;
        assert_eq!(code(&v), "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_021");
        assert_eq!(v["MessageModelList"][0]["orderNumber"], json!(b));
    }
}
