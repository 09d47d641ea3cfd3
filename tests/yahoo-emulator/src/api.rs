//! The emulated API: the OAuth token endpoint (refresh tokens rotate on every refresh, the old
//! one stops working), and the four order APIs, each checked as the spec says — the bearer
//! token (401 `px-04001` for an unknown or dead one, with `WWW-Authenticate`), the
//! `X-sws-signature` decrypted with the store's private key (401 `px-04102` for a wrong seller
//! or a time more than ten minutes off, `px-04103` for another key version), one request a
//! second per seller (429 `px-04201`) — then answered in XML.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use connector_kit::time::{format_local, parse_local};
use connector_kit::xml::{self, Element, el};

use super::{Endpoint, Shared, lock};

/// The key version the store's public key has.
pub const KEY_VERSION: &str = "1";

/// How far the signed time may be from the mall's clock.
const SKEW_SECS: i64 = 600;

/// The shortest gap the mall accepts between two requests of one seller ("one a second", with
/// a margin for the network).
const MIN_GAP: Duration = Duration::from_millis(950);

fn xml_answer(status: StatusCode, body: String) -> Response {
    (
        status,
        [("content-type", "application/xml; charset=utf-8")],
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{body}"),
    )
        .into_response()
}

/// An `<Error>` answer.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = xml_answer(
        status,
        format!(
            "<Error>{}{}</Error>",
            el("Message", message),
            el("Code", code)
        ),
    );
    if status == StatusCode::UNAUTHORIZED && code == "px-04001" {
        r.headers_mut().insert(
            "www-authenticate",
            axum::http::HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        r.headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("1"));
    }
    r
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// `POST /yconnect/v2/token`: the refresh-token grant.
pub async fn token(State(m): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form: Vec<(String, String)> = String::from_utf8_lossy(&body)
        .split('&')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((decode(k), decode(v)))
        })
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    let (id, secret) = match basic {
        Some(pair) => (Some(pair.0), Some(pair.1)),
        None => (get("client_id"), get("client_secret")),
    };
    let json = |status: StatusCode, v: serde_json::Value| (status, axum::Json(v)).into_response();
    let mut mall = lock(&m);
    if id.as_deref() != Some(super::CLIENT_ID) || secret.as_deref() != Some(super::CLIENT_SECRET) {
        return json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"error": "invalid_client"}),
        );
    }
    if get("grant_type").as_deref() != Some("refresh_token")
        || get("refresh_token").as_deref() != Some(mall.refresh_token.as_str())
    {
        mall.stale_refreshes += 1;
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_grant", "error_description": "the refresh token is not valid (it rotates on every refresh)"}),
        );
    }
    mall.refreshes += 1;
    let n = mall.refreshes;
    mall.refresh_token = format!("rt-{n}-{}", now_secs());
    let access = format!("at-{n}-{}", now_secs());
    mall.access.insert(access.clone(), 0);
    json(
        StatusCode::OK,
        serde_json::json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": mall.refresh_token,
        }),
    )
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The checks every order API makes, in order; the request's XML when they pass.
fn admitted(
    m: &Shared,
    headers: &HeaderMap,
    body: &[u8],
    e: Endpoint,
) -> Result<Element, Box<Response>> {
    let mut mall = lock(m);
    mall.calls.request(e);
    let req = std::str::from_utf8(body)
        .ok()
        .and_then(|t| xml::parse(t).ok())
        .ok_or_else(|| {
            Box::new(error(
                StatusCode::BAD_REQUEST,
                "od00001",
                "the request is not XML",
            ))
        })?;
    let seller = req.text_of("SellerId");
    // One a second per seller, every request counted.
    let now = Instant::now();
    if mall.rate_limited
        && let Some(last) = mall.last_request.get(&seller)
        && now.duration_since(*last) < MIN_GAP
    {
        mall.too_many += 1;
        return Err(Box::new(error(
            StatusCode::TOO_MANY_REQUESTS,
            "px-04201",
            "リクエスト数が上限を超えています (1 request per second per seller)",
        )));
    }
    mall.last_request.insert(seller.clone(), now);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let uses_left = mall.token_uses;
    match mall.access.get_mut(bearer) {
        Some(used) if uses_left.is_none_or(|max| *used < max) => *used += 1,
        _ => {
            mall.unauthorized += 1;
            return Err(Box::new(error(
                StatusCode::UNAUTHORIZED,
                "px-04001",
                "invalid_token: the access token is unknown or expired",
            )));
        }
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if header("x-sws-signature-version") != KEY_VERSION {
        mall.bad_signatures += 1;
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "px-04103",
            "the public key version is not the store's current one",
        )));
    }
    let signed = base64::engine::general_purpose::STANDARD
        .decode(header("x-sws-signature"))
        .ok()
        .and_then(|sealed| mall.key.decrypt(rsa::Pkcs1v15Encrypt, &sealed).ok())
        .and_then(|t| String::from_utf8(t).ok());
    let fresh = signed
        .as_deref()
        .and_then(|t| t.split_once(':'))
        .is_some_and(|(who, at)| {
            who == seller
                && at
                    .parse::<i64>()
                    .is_ok_and(|at| (at - now_secs()).abs() <= SKEW_SECS)
        });
    if !fresh || seller != mall.seller {
        mall.bad_signatures += 1;
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "px-04102",
            "X-sws-signature does not decrypt to this seller and the current time",
        )));
    }
    Ok(req)
}

/// The order a request is about (`<Target><OrderId>`).
fn target(req: &Element) -> String {
    req.at(&["Target", "OrderId"])
        .map(Element::text)
        .unwrap_or_default()
}

/// `orderList`.
pub async fn order_list(State(m): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match admitted(&m, &headers, &body, Endpoint::List) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let search = req.child("Search").cloned().unwrap_or_default();
    let cond = search.child("Condition").cloned().unwrap_or_default();
    let result: usize = search.text_of("Result").parse().unwrap_or(10);
    let start: usize = search.text_of("Start").parse().unwrap_or(1);
    if !(1..=100).contains(&result) || start == 0 {
        return error(
            StatusCode::BAD_REQUEST,
            "od00003",
            "Result is 1..100, Start from 1",
        );
    }
    let time = |k: &str| cond.get(k).and_then(|t| parse_local(&t, "%Y%m%d%H%M%S"));
    let (from, to) = (time("OrderTimeFrom"), time("OrderTimeTo"));
    let statuses: Vec<u8> = cond
        .text_of("OrderStatus")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let seen = cond.get("IsSeen");
    let id = cond.get("OrderId");
    if from.is_none() && to.is_none() && statuses.is_empty() && seen.is_none() && id.is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "od00004",
            "at least one condition is needed",
        );
    }
    let mall = lock(&m);
    let mut found: Vec<_> = mall
        .orders
        .values()
        .filter(|o| from.is_none_or(|f| o.placed >= f) && to.is_none_or(|t| o.placed <= t))
        .filter(|o| statuses.is_empty() || statuses.contains(&o.status))
        .filter(|o| seen.as_deref().is_none_or(|s| (s == "true") == o.seen))
        .filter(|o| id.as_deref().is_none_or(|i| i == o.id))
        .collect();
    found.sort_by_key(|o| (o.placed, o.id.clone()));
    let rows: String = found
        .iter()
        .enumerate()
        .skip(start - 1)
        .take(result)
        .map(|(i, o)| o.list_xml(i + 1))
        .collect();
    xml_answer(
        StatusCode::OK,
        format!(
            "<Result><Status>OK</Status><Search>{}{rows}</Search></Result>",
            el("TotalCount", &found.len().to_string())
        ),
    )
}

/// `orderInfo`.
pub async fn order_info(State(m): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match admitted(&m, &headers, &body, Endpoint::Info) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let id = target(&req);
    let mut mall = lock(&m);
    mall.calls.order(Endpoint::Info, &id);
    match mall.orders.get(&id) {
        Some(o) => xml_answer(
            StatusCode::OK,
            format!(
                "<ResultSet totalResultsAvailable=\"1\" totalResultsReturned=\"1\">\
                 <Result><Status>OK</Status>{}</Result></ResultSet>",
                o.info_xml()
            ),
        ),
        None => error(
            StatusCode::BAD_REQUEST,
            "od83001",
            &format!("order {id} does not exist"),
        ),
    }
}

/// `orderStatusChange` (take): marks an order seen (and 処理中).
pub async fn status_change(State(m): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match admitted(&m, &headers, &body, Endpoint::StatusChange) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let id = target(&req);
    let order = req.child("Order").cloned().unwrap_or_default();
    let mut mall = lock(&m);
    mall.calls.order(Endpoint::StatusChange, &id);
    let now = now_secs();
    let Some(o) = mall.orders.get_mut(&id) else {
        return error(
            StatusCode::BAD_REQUEST,
            "od83001",
            &format!("order {id} does not exist"),
        );
    };
    if matches!(o.status, 4 | 5) {
        return error(
            StatusCode::BAD_REQUEST,
            "od20007",
            if o.status == 4 {
                "キャンセル済みの注文は変更できません"
            } else {
                "完了した注文は変更できません"
            },
        );
    }
    if order.get("IsSeen").as_deref() == Some("true") {
        o.seen = true;
    }
    if let Some(s) = order.get("OrderStatus").and_then(|s| s.parse().ok()) {
        o.status = s;
    }
    o.updated = now;
    xml_answer(
        StatusCode::OK,
        "<ResultSet><Result><Status>OK</Status></Result></ResultSet>".into(),
    )
}

/// `orderShipStatusChange` (push): one carrier, at most two tracking numbers, a ship date not
/// in the future; a cancelled or unpaid order refuses.
pub async fn ship_status_change(
    State(m): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = match admitted(&m, &headers, &body, Endpoint::ShipStatusChange) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let id = target(&req);
    let ship = req.at(&["Order", "Ship"]).cloned().unwrap_or_default();
    let mut mall = lock(&m);
    mall.calls.order(Endpoint::ShipStatusChange, &id);
    let now = now_secs();
    let Some(o) = mall.orders.get_mut(&id) else {
        return error(
            StatusCode::BAD_REQUEST,
            "od83001",
            &format!("order {id} does not exist"),
        );
    };
    let refuse = |code: &str, m: &str| error(StatusCode::BAD_REQUEST, code, m);
    if o.status == 4 {
        return refuse("od20007", "キャンセル済みの注文は出荷できません");
    }
    if o.pay_status == 0 && o.pay_method != "payment_b1" {
        return refuse("od20012", "未入金の注文は出荷できません");
    }
    let date = ship.text_of("ShipDate");
    if date.len() != 8 || date > format_local(now, "%Y%m%d") {
        return refuse(
            "od20010",
            &format!("ShipDate {date:?} is not a date up to today"),
        );
    }
    let company = ship.text_of("ShipCompanyCode");
    if !["1001", "1002", "1003", "1004", "1005", "1006"].contains(&company.as_str()) {
        return refuse(
            "od20011",
            &format!("ShipCompanyCode {company:?} is unknown"),
        );
    }
    if ship.text_of("ShipInvoiceNumber1").is_empty() {
        return refuse("od20013", "ShipInvoiceNumber1 is required");
    }
    o.ship_status = ship.text_of("ShipStatus").parse().unwrap_or(3);
    o.ship_company = company;
    o.invoices = (
        ship.text_of("ShipInvoiceNumber1"),
        ship.text_of("ShipInvoiceNumber2"),
    );
    o.ship_date = date;
    o.updated = now;
    xml_answer(
        StatusCode::OK,
        "<ResultSet><Result><Status>OK</Status></Result></ResultSet>".into(),
    )
}
