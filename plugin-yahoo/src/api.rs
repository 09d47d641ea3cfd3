//! Requests to Yahoo!ショッピング's store order API and their answers: fetch (`orderList` of the
//! window's 処理中 orders, then `orderInfo` for each the host does not hold yet), take
//! (`orderStatusChange`: seen, 処理中), push (`orderShipStatusChange`: one carrier, at most two
//! numbers) and status sync (`orderInfo`). Plain Rust over a [`Mall`] (the host's `send`, `now`,
//! `held` and `budget` in the component; a fake in the unit tests). Every request is XML
//! marked `authenticate`: the host adds the OAuth bearer token, the encrypted `X-sws-signature`
//! and its key version, refreshes a token that dies early, and keeps to one request a second.
//!
//! "New" is not a state at Yahoo (`IsSeen` flips when staff merely open an order), so a fetch
//! lists the window's open orders and asks the host which it already holds: only the others
//! cost an `orderInfo` each. A page stops before the call's budget runs out and hands back a
//! cursor after the last order it returned.

use connector_kit::host::{Method, Request, Response};
use connector_kit::http::{self, MallError};
use connector_kit::time::format_local;
use connector_kit::types::{
    CallContext, ConnectorError, FetchPage, FetchRequest, FetchedOrder, FieldError, PushResult,
    RemoteError, Shipment, StateResult, TakeOutcome, TakeResult,
};
use connector_kit::xml::{self, Element, el};

use crate::mapping;

/// The name this plugin gives its mall in messages.
pub const MALL: &str = "Yahoo!ショッピング";
/// Orders one `orderList` page lists (the API allows 1..100).
pub const PAGE: usize = 100;
/// Requests a page keeps back from the call's budget (the list of the next page and a margin).
pub const KEEP_REQUESTS: u32 = 2;
/// Milliseconds a page keeps back from the call's wall time (a request at one a second, and
/// the answer's way back).
pub const KEEP_MILLIS: u64 = 3_000;

/// What the API code needs from the host: HTTP and the time ([`connector_kit::Transport`]),
/// and which orders the host holds and what is left of the call.
pub trait Mall: connector_kit::Transport {
    /// Which of `numbers` the host already stores for the shop.
    fn held(&self, numbers: &[String]) -> Vec<String>;
    /// Requests and milliseconds left of the call.
    fn budget(&self) -> (u32, u64);
}

impl Mall for connector_kit::HostTransport {
    fn held(&self, numbers: &[String]) -> Vec<String> {
        connector_kit::host::held(numbers)
    }
    fn budget(&self) -> (u32, u64) {
        let b = connector_kit::host::budget();
        (b.requests_left, b.millis_left)
    }
}

fn setting<'c>(ctx: &'c CallContext, name: &str) -> Result<&'c str, ConnectorError> {
    ctx.settings
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            ConnectorError::InvalidInput(FieldError {
                field: name.into(),
                message: format!("the shop's `{name}` is not set: add it under [shops.settings]"),
            })
        })
}

/// Calls one order API with `<Req>{inner}<SellerId/></Req>`: its `<Result>` or `<ResultSet>`
/// on success, else the mall's error as the connector error the host acts on.
fn call(
    t: &impl Mall,
    ctx: &CallContext,
    api: &str,
    inner: &str,
) -> Result<Element, ConnectorError> {
    let seller = setting(ctx, crate::SELLER_ID)?;
    let body = format!("<Req>{inner}{}</Req>", el("SellerId", seller));
    let req: Request = http::body_request(
        Method::Post,
        format!("{}/ShoppingWebService/V1/{api}", ctx.base_url),
        body.into_bytes(),
        "application/xml; charset=utf-8",
    );
    let answer = http::send_ok(t, MALL, &req);
    let resp = match answer {
        Ok(r) => r,
        Err(Err(e)) => return Err(e),
        Err(Ok(r)) => return Err(mall_error(&r)),
    };
    let text = String::from_utf8_lossy(&resp.body);
    xml::parse(&text).map_err(|e| {
        ConnectorError::Transient(format!("{MALL} {api}: the answer is not XML ({e})"))
    })
}

/// The mall's `<Error>` answer as the connector error: 401 auth (the host has already fetched
/// a new token once), 429 rate-limited, 5xx transient, 400 the mall's code and words.
fn mall_error(r: &Response) -> ConnectorError {
    let text = String::from_utf8_lossy(&r.body);
    let said = xml::parse(&text)
        .ok()
        .map(|e| MallError {
            code: e.text_of("Code"),
            message: e.text_of("Message"),
            field: None,
        })
        .unwrap_or_else(|| MallError {
            code: format!("HTTP_{}", r.status),
            message: http::body_text(r, 200),
            field: None,
        });
    if r.status == 400 {
        return ConnectorError::Remote(RemoteError {
            code: said.code,
            message: said.message,
        });
    }
    http::status_error(
        MALL,
        r,
        said,
        "the access token or the signature (check the public key and its version in the store \
         manager's API settings)",
        1_000,
    )
}

fn remote_code(e: &ConnectorError) -> Option<(&str, &str)> {
    match e {
        ConnectorError::Remote(r) => Some((r.code.as_str(), r.message.as_str())),
        _ => None,
    }
}

/// One `orderInfo`: the order's `<OrderInfo>`.
fn order_info(t: &impl Mall, ctx: &CallContext, id: &str) -> Result<Element, ConnectorError> {
    let fields = "OrderId,OrderTime,LastUpdateTime,OrderStatus,IsSeen,CancelReason,\
                  CancelReasonDetail,BuyerComments,PayStatus,PayMethod,ShipStatus";
    let answer = call(
        t,
        ctx,
        "orderInfo",
        &format!(
            "<Target>{}{}</Target>",
            el("OrderId", id),
            el("Field", fields)
        ),
    )?;
    answer
        .at(&["Result", "OrderInfo"])
        .or_else(|| answer.child("OrderInfo"))
        .cloned()
        .ok_or_else(|| {
            ConnectorError::Transient(format!(
                "{MALL} orderInfo {id}: no <OrderInfo> in the answer"
            ))
        })
}

/// One page of the window's new orders.
pub fn fetch_page(
    t: &impl Mall,
    ctx: &CallContext,
    req: &FetchRequest,
) -> Result<FetchPage, ConnectorError> {
    // The cursor: the page's start, and the last order this page returned when a call stopped
    // inside it (`start:order-id`), so every call moves on and none repeats a cursor.
    let (start, after) = match &req.cursor {
        None => (1, None),
        Some(c) => {
            let (start, after) = match c.split_once(':') {
                Some((s, a)) => (s, Some(a.to_string())),
                None => (c.as_str(), None),
            };
            let start = start
                .parse()
                .ok()
                .filter(|s: &usize| *s >= 1)
                .ok_or_else(|| {
                    ConnectorError::InvalidInput(FieldError {
                        field: "cursor".into(),
                        message: format!("not a cursor of this plugin: {c:?}"),
                    })
                })?;
            (start, after)
        }
    };
    let when = |secs| format_local(secs, "%Y%m%d%H%M%S");
    let search = format!(
        "<Search>{}{}{}<Condition>{}{}{}</Condition>{}</Search>",
        el("Result", &PAGE.to_string()),
        el("Start", &start.to_string()),
        el("Sort", "+order_time"),
        el("OrderTimeFrom", &when(req.window.start)),
        el("OrderTimeTo", &when(req.window.end)),
        el("OrderStatus", "2"),
        el(
            "Field",
            "OrderId,OrderTime,OrderStatus,IsSeen,LastUpdateTime"
        ),
    );
    let answer = call(t, ctx, "orderList", &search)?;
    let found = answer.child("Search").cloned().unwrap_or_default();
    let total: usize = found.text_of("TotalCount").parse().unwrap_or(0);
    let listed: Vec<String> = found
        .children_named("OrderInfo")
        .map(|o| o.text_of("OrderId"))
        .filter(|id| !id.is_empty())
        .collect();
    let held = t.held(&listed);
    // Orders up to the one the last call stopped after were returned already.
    let skip = after
        .as_ref()
        .and_then(|a| listed.iter().position(|id| id == a))
        .map_or(0, |i| i + 1);
    let mut orders: Vec<FetchedOrder> = Vec::new();
    let mut stopped = false;
    for id in listed.iter().skip(skip).filter(|id| !held.contains(id)) {
        let (requests, millis) = t.budget();
        if !orders.is_empty() && (requests < KEEP_REQUESTS || millis < KEEP_MILLIS) {
            stopped = true;
            break;
        }
        let order = order_info(t, ctx, id).and_then(|info| mapping::map_order(&info));
        if let Err(e) = &order
            && call_wide(e)
        {
            return Err(e.clone());
        }
        orders.push(FetchedOrder {
            mall_order_number: id.clone(),
            order,
        });
    }
    let next_cursor = if stopped {
        orders
            .last()
            .map(|o| format!("{start}:{}", o.mall_order_number))
    } else if start - 1 + listed.len() < total && !listed.is_empty() {
        Some((start + listed.len()).to_string())
    } else {
        None
    };
    Ok(FetchPage {
        orders,
        skipped: Vec::new(),
        next_cursor,
    })
}

/// An error that is the call's, not one order's: the credentials, the pace, the network.
fn call_wide(e: &ConnectorError) -> bool {
    matches!(
        e,
        ConnectorError::Auth(_)
            | ConnectorError::RateLimited(_)
            | ConnectorError::Transient(_)
            | ConnectorError::HostRefused(_)
    )
}

/// The error of an order left for the next call when this one's requests are spent: transient,
/// so the host asks again in a fresh call instead of failing the order.
fn spent(t: &impl Mall) -> Option<ConnectorError> {
    (t.budget().0 == 0).then(|| {
        ConnectorError::Transient(
            "this call's requests are spent; the order is asked again in the next call".into(),
        )
    })
}

/// Takes orders: each marked seen and 処理中. A cancelled order refuses: it is said cancelled;
/// a completed one was taken and shipped already.
pub fn take_orders(t: &impl Mall, ctx: &CallContext, numbers: &[String]) -> Vec<TakeResult> {
    numbers
        .iter()
        .map(|n| {
            let inner = format!(
                "<Target>{}{}</Target><Order>{}{}</Order>",
                el("OrderId", n),
                el("IsPointFix", "true"),
                el("OrderStatus", "2"),
                el("IsSeen", "true"),
            );
            if let Some(e) = spent(t) {
                return TakeResult {
                    mall_order_number: n.clone(),
                    outcome: Err(e),
                };
            }
            let outcome = match call(t, ctx, "orderStatusChange", &inner) {
                Ok(_) => Ok(TakeOutcome::Taken),
                Err(e) => match remote_code(&e) {
                    Some((_, m)) if m.contains("キャンセル") => {
                        Ok(TakeOutcome::Cancelled(format!("{MALL}: {m}")))
                    }
                    Some((_, m)) if m.contains("完了") => Ok(TakeOutcome::AlreadyTaken),
                    _ => Err(e),
                },
            };
            TakeResult {
                mall_order_number: n.clone(),
                outcome,
            }
        })
        .collect()
}

/// Registers shipping: `ShipStatus` 3, the carrier code, one or two tracking numbers, the day.
pub fn push_shipments(t: &impl Mall, ctx: &CallContext, shipments: &[Shipment]) -> Vec<PushResult> {
    shipments
        .iter()
        .map(|s| PushResult {
            mall_order_number: s.mall_order_number.clone(),
            outcome: push_one(t, ctx, s),
        })
        .collect()
}

fn push_one(t: &impl Mall, ctx: &CallContext, s: &Shipment) -> Result<(), ConnectorError> {
    let parcels = s
        .deliveries
        .first()
        .map(|d| d.parcels.as_slice())
        .unwrap_or(&[]);
    let invalid = |message: String| {
        ConnectorError::InvalidInput(FieldError {
            field: "parcels".into(),
            message,
        })
    };
    let first = parcels
        .first()
        .ok_or_else(|| invalid("no tracking number to register".into()))?;
    if parcels.len() > 2 {
        return Err(invalid(format!(
            "{} tracking numbers; {MALL} takes at most two per order",
            parcels.len()
        )));
    }
    if parcels.iter().any(|p| p.carrier_id != first.carrier_id) {
        return Err(invalid(format!(
            "{MALL} takes one carrier per order; this order's parcels name several"
        )));
    }
    if let Some(e) = spent(t) {
        return Err(e);
    }
    let d = &s.shipped_date;
    let inner = format!(
        "<Target>{}</Target><Order><Ship>{}{}{}{}{}</Ship></Order>",
        el("OrderId", &s.mall_order_number),
        el("ShipStatus", "3"),
        el("ShipCompanyCode", &first.carrier_id),
        el("ShipInvoiceNumber1", &first.tracking_number),
        el(
            "ShipInvoiceNumber2",
            parcels.get(1).map_or("", |p| p.tracking_number.as_str())
        ),
        el(
            "ShipDate",
            &format!("{:04}{:02}{:02}", d.year, d.month, d.day)
        ),
    );
    call(t, ctx, "orderShipStatusChange", &inner).map(|_| ())
}

/// The mall's state of each order (one `orderInfo` each).
pub fn order_states(t: &impl Mall, ctx: &CallContext, numbers: &[String]) -> Vec<StateResult> {
    numbers
        .iter()
        .map(|n| StateResult {
            mall_order_number: n.clone(),
            state: match spent(t) {
                Some(e) => Err(e),
                None => order_info(t, ctx, n).map(|info| mapping::order_state(&info)),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests;
