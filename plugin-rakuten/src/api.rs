//! Requests to Rakuten's RMS order API and their answers: fetch (`searchOrder` then `getOrder`),
//! take (`confirmOrder`), push (`updateOrderShipping`, per basket, reconciled with what the
//! order already has) and status sync (`getOrder` on the orders the host holds open). Plain
//! Rust over a [`Transport`], unit-tested natively with a fake mall; in the component the
//! transport is the host's `send` import, which adds the ESA header and keeps the 1 request a
//! second the plugin declares.

use std::collections::HashMap;

use crate::{mapping, time, wire};
use connector_kit::v0_2_0::host::{Method, Response};
use connector_kit::v0_2_0::http;
use connector_kit::v0_2_0::types::{
    CallContext, ConnectorError, DeliveryShipment, FetchPage, FetchRequest, FetchedOrder,
    FieldError, MallState, OrderState, PushResult, RemoteError, Shipment, SkippedOrder,
    StateResult, TakeOutcome, TakeResult,
};

/// Order numbers asked of one `searchOrder` page unless the shop's `search_page_size` says
/// otherwise (the API allows 30..1000).
pub const SEARCH_PAGE: u32 = 1000;
/// The plain shop setting that sets the page size (30..1000).
pub const PAGE_SIZE_SETTING: &str = "search_page_size";

/// The shop's `searchOrder` page size: [`SEARCH_PAGE`] unless `search_page_size` is set.
pub fn page_size(ctx: &CallContext) -> Result<u32, ConnectorError> {
    match ctx.settings.iter().find(|(k, _)| k == PAGE_SIZE_SETTING) {
        None => Ok(SEARCH_PAGE),
        Some((_, v)) if v.trim().is_empty() => Ok(SEARCH_PAGE),
        Some((_, v)) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (30..=1000).contains(n))
            .ok_or_else(|| {
                ConnectorError::InvalidInput(FieldError {
                    field: PAGE_SIZE_SETTING.into(),
                    message: format!(
                        "{v:?} is not a page size Rakuten allows: give a number from 30 to 1000 \
                         under [shops.settings], or leave it out for {SEARCH_PAGE}"
                    ),
                })
            }),
    }
}
/// Most order numbers one `getOrder` or `confirmOrder` takes.
pub const BATCH: usize = 100;
/// The longest window one `searchOrder` may span: 63 days (inclusive ends).
pub const MAX_SPAN_SECS: i64 = 63 * 86_400 - 1;
/// How far back a search may start: 730 days (less a margin for the clocks' difference).
pub const MAX_AGE_SECS: i64 = 730 * 86_400 - 3_600;
/// The message code of a search matching more than 15,000 orders: narrow the window.
pub const TOO_MANY_HITS: &str = "ORDER_EXT_API_SEARCH_ORDER_ERROR_015";
/// The `getOrder` model version asked for.
pub const MODEL_VERSION: u32 = 7;

pub use connector_kit::v0_2_0::Transport;

/// Where a fetch carries on: the part of the window still to search (`start..=end`, at most 63
/// days, narrower when a search matched too many orders), the page of that search, and the
/// orders already returned that were placed at `start` itself.
///
/// Pages are computed when asked: confirming an order between two requests moves every later one
/// forward, so a page number alone would skip orders. The next search therefore starts at the
/// last order seen (inclusive) and leaves out what it already returned; the page number only
/// grows when a whole page sat at that one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Start of the search, UTC seconds.
    pub start: i64,
    /// End of the search, UTC seconds (the rest of the window is searched after it).
    pub end: i64,
    /// The page of the search to ask for.
    pub page: u32,
    /// Orders placed at `start` already returned.
    pub seen: Vec<String>,
}

impl Cursor {
    /// The cursor's text form, opaque to the host.
    pub fn encode(&self) -> String {
        format!(
            "r1:{}:{}:{}:{}",
            self.start,
            self.end,
            self.page,
            self.seen.join(",")
        )
    }

    /// Reads a cursor made by [`Cursor::encode`].
    pub fn decode(s: &str) -> Option<Cursor> {
        let mut parts = s.splitn(5, ':');
        if parts.next()? != "r1" {
            return None;
        }
        let start = parts.next()?.parse().ok()?;
        let end = parts.next()?.parse().ok()?;
        let page = parts.next()?.parse().ok()?;
        let seen = parts.next()?;
        let seen = if seen.is_empty() {
            Vec::new()
        } else {
            seen.split(',').map(str::to_string).collect()
        };
        Some(Cursor {
            start,
            end,
            page,
            seen,
        })
    }

    /// The first search of a window (or of its next 63 days).
    fn first(start: i64, window_end: i64) -> Cursor {
        Cursor {
            start,
            end: window_end.min(start.saturating_add(MAX_SPAN_SECS)),
            page: 1,
            seen: Vec::new(),
        }
    }
}

fn remote(code: &str, message: String) -> ConnectorError {
    ConnectorError::Remote(RemoteError {
        code: code.into(),
        message,
    })
}

fn bad_response(method: &str, e: impl std::fmt::Display) -> ConnectorError {
    remote(
        "BAD_RESPONSE",
        format!("{method} answered JSON this plugin cannot read: {e}"),
    )
}

/// Fetches one page of new orders (注文確認待ち, progress 100) placed inside the window.
pub fn fetch_page(
    t: &impl Transport,
    ctx: &CallContext,
    req: &FetchRequest,
) -> Result<FetchPage, ConnectorError> {
    let empty = || FetchPage {
        orders: vec![],
        skipped: vec![],
        next_cursor: None,
    };
    // Rakuten searches the last 730 days only: an older start is moved up to it.
    let earliest = t.now() - MAX_AGE_SECS;
    let window_start = req.window.start.max(earliest);
    let window_end = req.window.end;
    let mut cursor = match &req.cursor {
        None => Cursor::first(window_start, window_end),
        Some(s) => Cursor::decode(s).ok_or_else(|| {
            ConnectorError::InvalidInput(FieldError {
                field: "cursor".into(),
                message: format!("not a cursor of this plugin: {s:?}"),
            })
        })?,
    };
    if cursor.end < cursor.start {
        return Ok(empty());
    }
    let size = page_size(ctx)?;

    // A search matching more than 15,000 orders is refused: halve its span until it is not.
    let found = loop {
        match search(t, ctx, &[wire::PROGRESS_NEW], &cursor, size) {
            Err(Narrow) if cursor.end > cursor.start => {
                cursor.end = cursor.start + (cursor.end - cursor.start) / 2;
                cursor.page = 1;
            }
            Err(Narrow) => {
                return Err(remote(
                    TOO_MANY_HITS,
                    format!(
                        "more than 15,000 orders placed at {} alone: Rakuten cannot page them",
                        time::format_instant(cursor.start)
                    ),
                ));
            }
            Ok(r) => break r?,
        }
    };
    let page_no = found
        .pagination
        .as_ref()
        .map_or(cursor.page, |p| p.request_page.max(cursor.page));
    let total_pages = found.pagination.as_ref().map_or(0, |p| p.total_pages);
    let numbers: Vec<String> = found
        .order_numbers
        .into_iter()
        .filter(|n| !cursor.seen.contains(n))
        .collect();

    let (models, unknown) = get_orders(t, ctx, &numbers)?;
    let mut orders = Vec::new();
    let mut skipped = Vec::new();
    let mut last: Option<(i64, Vec<String>)> = None;
    for (pos, n) in numbers.iter().enumerate() {
        let Some(value) = models.get(n.as_str()) else {
            if let Some(m) = unknown.get(n.as_str()) {
                // Gone between the search and the read (e.g. deleted by Rakuten): not new now.
                skipped.push(SkippedOrder {
                    mall_order_number: n.clone(),
                    reason: "not-found".into(),
                    message: format!("getOrder: {} {}", m.message_code, m.message),
                });
            } else {
                orders.push(FetchedOrder {
                    mall_order_number: n.clone(),
                    order: Err(remote(
                        "NO_RESULT",
                        format!("getOrder returned no model for order {n} (#{})", pos + 1),
                    )),
                });
            }
            continue;
        };
        let head = serde_json::from_str::<wire::OrderHead>(value.get());
        if let Ok(h) = &head
            && let Some(at) = h.order_datetime.as_deref().and_then(time::parse_instant)
        {
            match &mut last {
                Some((t0, ns)) if *t0 == at => ns.push(n.clone()),
                _ => last = Some((at, vec![n.clone()])),
            }
        }
        match head {
            Ok(h) if h.order_progress == wire::PROGRESS_REVIEW => skipped.push(SkippedOrder {
                mall_order_number: n.clone(),
                reason: "not-actionable".into(),
                message: "楽天処理中: under Rakuten's review, not yet to be confirmed".into(),
            }),
            // Confirmed or cancelled since the search: not new any more.
            Ok(h) if h.order_progress != wire::PROGRESS_NEW => {}
            _ => orders.push(FetchedOrder {
                mall_order_number: n.clone(),
                order: mapping::map_json(n, value.get()),
            }),
        }
    }

    let next = if page_no >= total_pages {
        // This search is done: on to the rest of the window, if any.
        (cursor.end < window_end).then(|| Cursor::first(cursor.end + 1, window_end))
    } else {
        Some(match last {
            Some((at, mut seen)) => {
                if at == cursor.start {
                    seen.extend(cursor.seen.iter().cloned());
                }
                Cursor {
                    start: at,
                    end: cursor.end,
                    page: 1,
                    seen,
                }
            }
            // A page of orders already returned (one instant): the next page of that search.
            None => Cursor {
                page: cursor.page + 1,
                ..cursor
            },
        })
    };
    Ok(FetchPage {
        orders,
        skipped,
        next_cursor: next.map(|c| c.encode()),
    })
}

/// A search matched more than 15,000 orders.
struct Narrow;

fn search(
    t: &impl Transport,
    ctx: &CallContext,
    progress: &[i32],
    c: &Cursor,
    size: u32,
) -> Result<Result<wire::SearchResponse, ConnectorError>, Narrow> {
    let body = serde_json::to_vec(&wire::SearchRequest {
        order_progress_list: progress.to_vec(),
        date_type: 1,
        start_datetime: time::format_instant(c.start),
        end_datetime: time::format_instant(c.end),
        pagination: wire::PaginationRequest {
            request_records_amount: size,
            request_page: c.page,
        },
        sort: vec![wire::Sort {
            sort_column: 1,
            sort_direction: 1,
        }],
    })
    .unwrap_or_default();
    match call(t, ctx, "searchOrder", body) {
        Err(Failure::Mall(resp)) => {
            let messages = serde_json::from_slice::<wire::Messages>(&resp.body).unwrap_or_default();
            if messages
                .list
                .iter()
                .any(|m| m.message_code == TOO_MANY_HITS)
            {
                return Err(Narrow);
            }
            Ok(Err(status_error(&resp)))
        }
        Err(Failure::Host(e)) => Ok(Err(e)),
        Ok(resp) => {
            Ok(serde_json::from_slice(&resp.body).map_err(|e| bad_response("searchOrder", e)))
        }
    }
}

/// Order models by number, and the `ERROR` messages of numbers Rakuten does not know.
type Models = (
    HashMap<String, Box<serde_json::value::RawValue>>,
    HashMap<String, wire::Message>,
);

/// `getOrder` for `numbers`, in batches of [`BATCH`].
fn get_orders(
    t: &impl Transport,
    ctx: &CallContext,
    numbers: &[String],
) -> Result<Models, ConnectorError> {
    let mut models = HashMap::with_capacity(numbers.len());
    let mut unknown = HashMap::new();
    for batch in numbers.chunks(BATCH) {
        let body = serde_json::to_vec(&wire::NumbersRequest {
            order_number_list: batch,
            version: Some(MODEL_VERSION),
        })
        .unwrap_or_default();
        let resp = call(t, ctx, "getOrder", body).map_err(Failure::into_error)?;
        let parsed: wire::GetOrderResponse =
            serde_json::from_slice(&resp.body).map_err(|e| bad_response("getOrder", e))?;
        for raw in parsed.orders {
            if let Ok(head) = serde_json::from_str::<wire::OrderNumberOnly>(raw.get()) {
                models.insert(head.order_number, raw);
            }
        }
        for m in parsed.messages {
            if m.is_error()
                && let Some(n) = m.order_number.clone()
            {
                unknown.insert(n, m);
            }
        }
    }
    Ok((models, unknown))
}

/// Confirms orders (100 → 300) in batches of [`BATCH`]. An order Rakuten refuses is looked up:
/// at 300 or later it had been confirmed (taken); at 800/900 it was cancelled, reported so and
/// never counted as taken. When a whole request fails, that batch and every later one carry the
/// error, so the host retries them.
pub fn take_orders(t: &impl Transport, ctx: &CallContext, numbers: &[String]) -> Vec<TakeResult> {
    let mut out = Vec::with_capacity(numbers.len());
    let mut failed: Option<ConnectorError> = None;
    for batch in numbers.chunks(BATCH) {
        let fail_all = |out: &mut Vec<TakeResult>, e: &ConnectorError| {
            out.extend(batch.iter().map(|n| TakeResult {
                mall_order_number: n.clone(),
                outcome: Err(e.clone()),
            }));
        };
        if let Some(e) = &failed {
            fail_all(&mut out, e);
            continue;
        }
        let body = serde_json::to_vec(&wire::NumbersRequest {
            order_number_list: batch,
            version: None,
        })
        .unwrap_or_default();
        let messages = call(t, ctx, "confirmOrder", body)
            .map_err(Failure::into_error)
            .and_then(|resp| {
                serde_json::from_slice::<wire::Messages>(&resp.body)
                    .map_err(|e| bad_response("confirmOrder", e))
            });
        let messages = match messages {
            Err(e) => {
                fail_all(&mut out, &e);
                failed = Some(e);
                continue;
            }
            Ok(m) => m.list,
        };
        let of = |n: &String| {
            messages
                .iter()
                .find(|m| m.order_number.as_deref() == Some(n.as_str()))
        };
        // Refused ones: is it taken already, or cancelled? Only the order itself says.
        let refused: Vec<String> = batch
            .iter()
            .filter(|n| of(n).is_some_and(wire::Message::is_error))
            .cloned()
            .collect();
        let looked_up = if refused.is_empty() {
            Ok(Default::default())
        } else {
            get_orders(t, ctx, &refused)
        };
        for n in batch {
            let outcome = match of(n) {
                None => Err(remote(
                    "NO_RESULT",
                    format!("confirmOrder returned no message for order {n}"),
                )),
                Some(m) if !m.is_error() => Ok(TakeOutcome::Taken),
                Some(m) => match &looked_up {
                    Err(e) => Err(e.clone()),
                    Ok((models, _)) => {
                        refused_take(n, m, models.get(n.as_str()).map(AsRef::as_ref))
                    }
                },
            };
            out.push(TakeResult {
                mall_order_number: n.clone(),
                outcome,
            });
        }
    }
    out
}

/// What a refused confirmation means, from the order's progress now.
fn refused_take(
    n: &str,
    m: &wire::Message,
    model: Option<&serde_json::value::RawValue>,
) -> Result<TakeOutcome, ConnectorError> {
    let progress = model
        .and_then(|v| serde_json::from_str::<wire::OrderHead>(v.get()).ok())
        .map(|h| h.order_progress);
    match progress {
        Some(p) if (wire::PROGRESS_CONFIRMED..wire::PROGRESS_CANCEL_PENDING).contains(&p) => {
            Ok(TakeOutcome::AlreadyTaken)
        }
        Some(p @ (wire::PROGRESS_CANCEL_PENDING | wire::PROGRESS_CANCELLED)) => {
            Ok(TakeOutcome::Cancelled(format!(
                "cancelled on Rakuten ({p} {}): {}",
                wire::progress_label(p),
                m.message
            )))
        }
        Some(p) => Err(remote(
            &m.message_code,
            format!(
                "{} (order {n} is at {p} {})",
                m.message,
                wire::progress_label(p)
            ),
        )),
        None => Err(remote(&m.message_code, m.message.clone())),
    }
}

/// What to send for one basket: its parcels, against the entries Rakuten already has. A parcel
/// already registered (same number and carrier) is left alone; a changed one replaces an entry
/// that is no longer wanted, by its `shippingDetailId`; the rest are added. Re-pushing the same
/// shipment therefore sends nothing, and a corrected number changes the entry instead of adding
/// a second one.
pub fn reconcile(
    wanted: &[(String, String)],
    existing: &[wire::ShippingEntry],
    date: &str,
) -> Vec<wire::NewShipping> {
    let mut unused: Vec<&wire::ShippingEntry> = existing
        .iter()
        .filter(|e| e.shipping_detail_id.is_some())
        .collect();
    let mut pending = Vec::new();
    for (carrier, number) in wanted {
        match unused
            .iter()
            .position(|e| &e.shipping_number == number && &e.delivery_company == carrier)
        {
            Some(pos) => {
                unused.remove(pos);
            }
            None => pending.push((carrier, number)),
        }
    }
    pending
        .into_iter()
        .map(|(carrier, number)| {
            let reuse = unused
                .iter()
                .position(|e| &e.shipping_number == number)
                .or((!unused.is_empty()).then_some(0))
                .map(|pos| unused.remove(pos));
            wire::NewShipping {
                shipping_detail_id: reuse.and_then(|e| e.shipping_detail_id),
                delivery_company: carrier.clone(),
                shipping_number: number.clone(),
                shipping_date: date.to_string(),
            }
        })
        .collect()
}

/// Registers shipping, one `updateOrderShipping` per order, per basket, several parcels per
/// basket, reconciled with the entries each order already has ([`reconcile`]). One result per
/// shipment. Credentials refused or the rate spent stop the run (the rest carry that error);
/// any other failure is the one order's.
pub fn push_shipments(
    t: &impl Transport,
    ctx: &CallContext,
    shipments: &[Shipment],
) -> Vec<PushResult> {
    let mut out = Vec::with_capacity(shipments.len());
    let mut stop: Option<ConnectorError> = None;
    for batch in shipments.chunks(BATCH) {
        let numbers: Vec<String> = batch.iter().map(|s| s.mall_order_number.clone()).collect();
        let views = if stop.is_some() {
            Ok(Default::default())
        } else {
            get_orders(t, ctx, &numbers)
        };
        for s in batch {
            let n = &s.mall_order_number;
            let outcome = match (&stop, &views) {
                (Some(e), _) | (None, Err(e)) => Err(e.clone()),
                (None, Ok((models, unknown))) => match models.get(n.as_str()) {
                    None => Err(match unknown.get(n.as_str()) {
                        Some(m) => remote(&m.message_code, m.message.clone()),
                        None => remote(
                            "NO_RESULT",
                            format!("getOrder returned no model for order {n}"),
                        ),
                    }),
                    Some(v) => push_one(t, ctx, s, v),
                },
            };
            if let Err(e @ (ConnectorError::Auth(_) | ConnectorError::RateLimited(_))) = &outcome {
                stop = Some(e.clone());
            }
            out.push(PushResult {
                mall_order_number: n.clone(),
                outcome,
            });
        }
    }
    out
}

fn push_one(
    t: &impl Transport,
    ctx: &CallContext,
    s: &Shipment,
    model: &serde_json::value::RawValue,
) -> Result<(), ConnectorError> {
    let n = &s.mall_order_number;
    let view: wire::ShippingView = serde_json::from_str(model.get())
        .map_err(|e| bad_response("getOrder", format!("order {n}: {e}")))?;
    let date = time::format_date(&s.shipped_date);
    let mut baskets = Vec::new();
    for (i, d) in s.deliveries.iter().enumerate() {
        let basket_id = basket_of(n, i, d)?;
        let existing = view
            .packages
            .iter()
            .find(|p| p.basket_id == basket_id)
            .ok_or_else(|| {
                ConnectorError::InvalidInput(FieldError {
                    field: format!("deliveries[{i}].mall-delivery-id"),
                    message: format!(
                        "order {n}: basket {basket_id} is not in the order on Rakuten"
                    ),
                })
            })?;
        let wanted: Vec<(String, String)> = d
            .parcels
            .iter()
            .map(|p| (p.carrier_id.clone(), p.tracking_number.clone()))
            .collect();
        let shippings = reconcile(&wanted, &existing.shippings, &date);
        if !shippings.is_empty() {
            baskets.push(wire::BasketShipping {
                basket_id,
                shippings,
            });
        }
    }
    if baskets.is_empty() {
        // Every parcel is registered already (an earlier push whose answer was lost).
        return Ok(());
    }
    let body = serde_json::to_vec(&wire::UpdateShippingRequest {
        order_number: n.clone(),
        baskets,
    })
    .unwrap_or_default();
    let resp = match call(t, ctx, "updateOrderShipping", body) {
        Ok(r) => r,
        Err(Failure::Mall(resp)) => {
            return Err(order_message(&resp, n).unwrap_or_else(|| status_error(&resp)));
        }
        Err(Failure::Host(e)) => return Err(e),
    };
    match serde_json::from_slice::<wire::Messages>(&resp.body) {
        // The mall may have applied it: the next push reads the order first and sends only
        // what is missing, so retrying is safe.
        Err(e) => Err(ConnectorError::Transient(format!(
            "updateOrderShipping for order {n} answered what this plugin cannot read ({e}); \
             the next push checks the order on Rakuten first"
        ))),
        Ok(m) => match m
            .list
            .iter()
            .find(|m| m.is_error() && m.order_number.as_deref().is_none_or(|o| o == n))
        {
            Some(m) => Err(remote(&m.message_code, m.message.clone())),
            None => Ok(()),
        },
    }
}

fn basket_of(n: &str, i: usize, d: &DeliveryShipment) -> Result<i64, ConnectorError> {
    d.mall_delivery_id
        .as_deref()
        .and_then(|b| b.parse::<i64>().ok())
        .ok_or_else(|| {
            ConnectorError::InvalidInput(FieldError {
                field: format!("deliveries[{i}].mall-delivery-id"),
                message: format!(
                    "order {n}: delivery {} has no Rakuten basket id ({:?}); fetch the order again",
                    d.delivery_no, d.mall_delivery_id
                ),
            })
        })
}

/// The `ERROR` of an error answer about order `n`, with the mall's words.
fn order_message(resp: &Response, n: &str) -> Option<ConnectorError> {
    let m = serde_json::from_slice::<wire::Messages>(&resp.body).ok()?;
    let e = m
        .list
        .into_iter()
        .find(|m| m.is_error() && m.order_number.as_deref() == Some(n))?;
    (resp.status != 401 && resp.status != 403 && resp.status != 429 && resp.status < 500)
        .then(|| remote(&e.message_code, e.message))
}

/// The mall's state of orders the host holds open, by `getOrder` in batches of [`BATCH`]:
/// 800/900 cancelled, 500–700 shipped, 100/200 new, 300/400 open.
pub fn order_states(t: &impl Transport, ctx: &CallContext, numbers: &[String]) -> Vec<StateResult> {
    let looked_up = get_orders(t, ctx, numbers);
    numbers
        .iter()
        .map(|n| {
            let state = match &looked_up {
                Err(e) => Err(e.clone()),
                Ok((models, unknown)) => match models.get(n.as_str()) {
                    None => Err(match unknown.get(n.as_str()) {
                        Some(m) => remote(&m.message_code, m.message.clone()),
                        None => remote(
                            "NO_RESULT",
                            format!("getOrder returned no model for order {n}"),
                        ),
                    }),
                    Some(v) => serde_json::from_str::<wire::OrderHead>(v.get())
                        .map_err(|e| bad_response("getOrder", format!("order {n}: {e}")))
                        .map(|h| state_of(h.order_progress)),
                },
            };
            StateResult {
                mall_order_number: n.clone(),
                state,
            }
        })
        .collect()
}

/// The host's reading of a progress code.
pub fn state_of(progress: i32) -> OrderState {
    let state = match progress {
        100 | 200 => MallState::New,
        500..=700 => MallState::Shipped,
        800 | 900 => MallState::Cancelled,
        _ => MallState::Open,
    };
    OrderState {
        state,
        mall_status: progress.to_string(),
        message: format!("{progress} {} on Rakuten", wire::progress_label(progress)),
    }
}

/// Why a call did not give a 2xx answer.
enum Failure {
    /// The host refused or the transport failed (already an error).
    Host(ConnectorError),
    /// The mall answered with an error status.
    Mall(Response),
}

impl Failure {
    fn into_error(self) -> ConnectorError {
        match self {
            Failure::Host(e) => e,
            Failure::Mall(r) => status_error(&r),
        }
    }
}

/// `POST <base>/es/2.0/order/<method>/` with the shop's credentials (ESA, applied by the host).
fn call(
    t: &impl Transport,
    ctx: &CallContext,
    method: &str,
    body: Vec<u8>,
) -> Result<Response, Failure> {
    let req = http::json_request(
        Method::Post,
        format!("{}/es/2.0/order/{method}/", ctx.base_url),
        body,
    );
    http::send_ok(t, &format!("Rakuten ({method})"), &req).map_err(|e| match e {
        Ok(resp) => Failure::Mall(resp),
        Err(e) => Failure::Host(e),
    })
}

/// Maps an error answer to the connector-error the host acts on. Rakuten sends no
/// `Retry-After`: a 429 waits one period of its pace.
pub fn status_error(resp: &Response) -> ConnectorError {
    let first = serde_json::from_slice::<wire::Messages>(&resp.body)
        .ok()
        .and_then(|m| m.list.into_iter().find(wire::Message::is_error));
    let (code, message) = match first {
        Some(m) => (m.message_code, m.message),
        None => (format!("HTTP_{}", resp.status), http::body_text(resp, 300)),
    };
    if !matches!(resp.status, 400..=403 | 429 | 500..=599) {
        return remote(&code, message);
    }
    let said = http::MallError {
        code,
        message,
        field: None,
    };
    http::status_error(
        "Rakuten",
        resp,
        said,
        "the shop's serviceSecret / licenseKey (check license_key and service_secret in RMS; \
         a licence key lasts 90 days)",
        1000,
    )
}

#[cfg(test)]
mod tests;
