//! Requests to the d Shopping order API and their responses: fetching pages of new orders,
//! acknowledging (taking) orders, registering shipments. Plain Rust over a [`Transport`], so it is
//! unit-tested natively with a fake; in the component the transport is the host's `send` import.

use crate::{mapping, time, wire};
use connector_kit::host::{Method, Response};
use connector_kit::http;
use connector_kit::types::{
    CallContext, ConnectorError, FetchPage, FetchRequest, FetchedOrder, FieldError, MallState,
    OrderState, PushResult, RemoteError, Shipment, SkippedOrder, StateResult, TakeOutcome,
    TakeResult,
};
/// Orders younger than this are held back: the buyer may still change or cancel them.
pub const HOLD_SECONDS: i64 = 10 * 60;
/// Page size asked of `GET /orders` (the API's maximum).
pub const PAGE_LIMIT: u32 = 100;
/// Most order numbers one `POST /orders/acknowledge` takes.
pub const TAKE_BATCH: usize = 100;
/// Most entries one `POST /shipments` takes.
pub const PUSH_BATCH: usize = 50;

pub use connector_kit::Transport;

/// Where a fetch carries on: the last order returned (by the API's sort key, `orderedAt` then
/// `orderNumber`) and which page of the query starting there to ask for.
///
/// Pages are computed when asked: an order taken between two requests shifts every later one,
/// so page numbers alone would skip orders. The next query therefore starts at the last order
/// seen (inclusive) and drops what it already returned; the page number only grows when a whole
/// page sat at that one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// `orderedAt` of the last order seen, UTC seconds.
    pub ordered_at: i64,
    /// Its order number.
    pub order_number: String,
    /// Page of the query from `ordered_at` to ask for next.
    pub page: u32,
}

impl Cursor {
    /// The cursor's text form, opaque to the host.
    pub fn encode(&self) -> String {
        format!("k1:{}:{}:{}", self.ordered_at, self.page, self.order_number)
    }

    /// Reads a cursor made by [`Cursor::encode`].
    pub fn decode(s: &str) -> Option<Cursor> {
        let mut parts = s.splitn(4, ':');
        if parts.next()? != "k1" {
            return None;
        }
        let ordered_at = parts.next()?.parse().ok()?;
        let page = parts.next()?.parse().ok()?;
        let order_number = parts.next()?.to_string();
        Some(Cursor {
            ordered_at,
            order_number,
            page,
        })
    }

    fn key(&self) -> (i64, &str) {
        (self.ordered_at, &self.order_number)
    }
}

/// Fetches one page of orders awaiting confirmation (受注確認待ち) inside the window.
pub fn fetch_page(
    t: &impl Transport,
    ctx: &CallContext,
    req: &FetchRequest,
) -> Result<FetchPage, ConnectorError> {
    let cursor = match &req.cursor {
        None => None,
        Some(s) => Some(Cursor::decode(s).ok_or_else(|| {
            ConnectorError::InvalidInput(FieldError {
                field: "cursor".into(),
                message: format!("not a cursor of this plugin: {s:?}"),
            })
        })?),
    };
    // The 10-minute rule: the API returns orders of any age, so younger ones are left out here
    // (and reported, so the operator sees they wait for a later run).
    let hold_until = t.now() - HOLD_SECONDS;
    let end = req.window.end;
    let start = cursor
        .as_ref()
        .map_or(req.window.start, |c| c.ordered_at.max(req.window.start));
    if end < start {
        return Ok(FetchPage {
            orders: vec![],
            skipped: vec![],
            next_cursor: None,
        });
    }
    let page_no = cursor.as_ref().map_or(1, |c| c.page);
    let url = format!(
        "{}/orders?status={}&orderedFrom={}&orderedTo={}&page={}&limit={}",
        ctx.base_url,
        wire::ORDER_CONFIRM_WAIT,
        http::percent_encode(&time::format_instant(start)),
        http::percent_encode(&time::format_instant(end)),
        page_no,
        PAGE_LIMIT
    );
    let resp = call(t, Method::Get, url, Vec::new())?;
    let page: wire::OrdersPage = serde_json::from_slice(&resp.body).map_err(|e| {
        ConnectorError::Remote(RemoteError {
            code: "BAD_RESPONSE".into(),
            message: format!("GET /orders answered JSON this plugin cannot read: {e}"),
        })
    })?;

    let mut orders = Vec::new();
    let mut skipped = Vec::new();
    let mut last: Option<(i64, String)> = None;
    for (pos, value) in page.orders.into_iter().enumerate() {
        // A record that cannot be read fails alone, named by its number (or its position when
        // even that is unreadable): left untaken, fetched again next run.
        let head: wire::OrderHead = match serde_json::from_value(value.clone()) {
            Ok(h) => h,
            Err(e) => {
                let number = value
                    .get("orderNumber")
                    .and_then(|v| v.as_str())
                    .map_or_else(|| format!("#{}", pos + 1), str::to_string);
                orders.push(FetchedOrder {
                    order: Err(mapping::invalid(
                        &number,
                        "order",
                        format!("record {} of page {page_no}: {e}", pos + 1),
                    )),
                    mall_order_number: number,
                });
                continue;
            }
        };
        let Some(ordered_at) = time::parse_instant(&head.ordered_at) else {
            orders.push(FetchedOrder {
                order: Err(mapping::invalid(
                    &head.order_number,
                    "orderedAt",
                    format!("{:?} is not an ISO 8601 instant", head.ordered_at),
                )),
                mall_order_number: head.order_number,
            });
            continue;
        };
        let key = (ordered_at, head.order_number.clone());
        if let Some(c) = &cursor
            && (key.0, key.1.as_str()) <= c.key()
        {
            continue; // returned by an earlier page
        }
        last = Some(key);
        if head.status != wire::ORDER_CONFIRM_WAIT {
            continue; // changed status since the query; not new any more
        }
        if head.test_order {
            skipped.push(SkippedOrder {
                mall_order_number: head.order_number,
                reason: "test-order".into(),
                message: "placed in the verification environment (検証環境)".into(),
            });
        } else if ordered_at > hold_until {
            skipped.push(SkippedOrder {
                mall_order_number: head.order_number,
                reason: "too-recent".into(),
                message: "placed less than 10 minutes ago: the buyer may still change it".into(),
            });
        } else {
            // Mapped here: the record crosses into the host once, as the canonical order.
            let order = serde_json::from_value::<wire::Order>(value)
                .map_err(|e| {
                    mapping::invalid(
                        &head.order_number,
                        "order",
                        format!("not a d Shopping order record: {e}"),
                    )
                })
                .and_then(mapping::map_wire);
            orders.push(FetchedOrder {
                mall_order_number: head.order_number,
                order,
            });
        }
    }

    let next_cursor = if page.page >= page.total_pages {
        None
    } else {
        Some(match (last, cursor) {
            // Progress: start the next query at the last order seen.
            (Some((ordered_at, order_number)), _) => Cursor {
                ordered_at,
                order_number,
                page: 1,
            },
            // A whole page of orders already returned (they share one instant): next page.
            (None, Some(c)) => Cursor {
                page: c.page + 1,
                ..c
            },
            // An empty page that claims more pages follow: ask the next one.
            (None, None) => Cursor {
                ordered_at: start,
                order_number: String::new(),
                page: page.page + 1,
            },
        })
    };
    Ok(FetchPage {
        orders,
        skipped,
        next_cursor: next_cursor.map(|c| c.encode()),
    })
}

/// Acknowledges orders (受注確認待ち → 出荷指示待ち) in batches of [`TAKE_BATCH`]. An order the
/// mall already has in 出荷指示待ち counts as taken. When a whole request fails, that batch and
/// every later one carry its error, so the host can retry them.
pub fn take_orders(t: &impl Transport, ctx: &CallContext, numbers: &[String]) -> Vec<TakeResult> {
    let mut out = Vec::with_capacity(numbers.len());
    let mut failed: Option<ConnectorError> = None;
    for batch in numbers.chunks(TAKE_BATCH) {
        if let Some(e) = &failed {
            out.extend(batch.iter().map(|n| TakeResult {
                mall_order_number: n.clone(),
                outcome: Err(e.clone()),
            }));
            continue;
        }
        let body = serde_json::to_vec(&wire::AcknowledgeRequest {
            order_numbers: batch,
        })
        .unwrap_or_default();
        match post_for_results(t, ctx, "/orders/acknowledge", body) {
            Err(e) => {
                out.extend(batch.iter().map(|n| TakeResult {
                    mall_order_number: n.clone(),
                    outcome: Err(e.clone()),
                }));
                failed = Some(e);
            }
            Ok(results) => {
                for n in batch {
                    let outcome = match results.iter().find(|r| &r.order_number == n) {
                        None => Err(missing_result(n)),
                        Some(r) if r.result == "OK" => Ok(TakeOutcome::Taken),
                        Some(r) => match &r.error {
                            // Already beyond new: taken (by an earlier take, or shipped since);
                            // cancelled: reported, never taken.
                            Some(e)
                                if e.code == "STATUS_MISMATCH"
                                    && matches!(
                                        e.current_status.as_deref(),
                                        Some(wire::SHIP_INSTRUCTION_WAIT | wire::SHIPPED)
                                    ) =>
                            {
                                Ok(TakeOutcome::AlreadyTaken)
                            }
                            Some(e)
                                if e.code == "STATUS_MISMATCH"
                                    && e.current_status.as_deref() == Some(wire::CANCELLED) =>
                            {
                                Ok(TakeOutcome::Cancelled(format!(
                                    "cancelled on d Shopping (キャンセル): {}",
                                    e.message
                                )))
                            }
                            Some(e) => Err(entry_error(e)),
                            None => Err(missing_result(n)),
                        },
                    };
                    out.push(TakeResult {
                        mall_order_number: n.clone(),
                        outcome,
                    });
                }
            }
        }
    }
    out
}

/// Registers shipments (carrier id + tracking number; the order becomes 出荷完了) in batches of
/// [`PUSH_BATCH`], one result per shipment.
pub fn push_shipments(
    t: &impl Transport,
    ctx: &CallContext,
    shipments: &[Shipment],
) -> Vec<PushResult> {
    let mut out = Vec::with_capacity(shipments.len());
    let mut failed: Option<ConnectorError> = None;
    for batch in shipments.chunks(PUSH_BATCH) {
        if let Some(e) = &failed {
            out.extend(batch.iter().map(|s| PushResult {
                mall_order_number: s.mall_order_number.clone(),
                outcome: Err(e.clone()),
            }));
            continue;
        }
        // d Shopping takes one carrier and number per order: the first delivery's first parcel.
        let parcel = |s: &Shipment| {
            s.deliveries
                .first()
                .and_then(|d| d.parcels.first())
                .map(|p| (p.carrier_id.clone(), p.tracking_number.clone()))
                .unwrap_or_default()
        };
        let req = wire::ShipmentsRequest {
            shipments: batch
                .iter()
                .map(|s| {
                    let (carrier_id, tracking_number) = parcel(s);
                    wire::ShipmentEntry {
                        order_number: s.mall_order_number.clone(),
                        carrier_id,
                        tracking_number,
                        shipped_date: time::format_date(&s.shipped_date),
                    }
                })
                .collect(),
        };
        let body = serde_json::to_vec(&req).unwrap_or_default();
        match post_for_results(t, ctx, "/shipments", body) {
            Err(e) => {
                out.extend(batch.iter().map(|s| PushResult {
                    mall_order_number: s.mall_order_number.clone(),
                    outcome: Err(e.clone()),
                }));
                failed = Some(e);
            }
            Ok(results) => {
                for s in batch {
                    let n = &s.mall_order_number;
                    let outcome = match results.iter().find(|r| &r.order_number == n) {
                        None => Err(missing_result(n)),
                        Some(r) if r.result == "OK" => Ok(()),
                        Some(r) => Err(r
                            .error
                            .as_ref()
                            .map_or_else(|| missing_result(n), entry_error)),
                    };
                    out.push(PushResult {
                        mall_order_number: n.clone(),
                        outcome,
                    });
                }
            }
        }
    }
    out
}

/// How far back status sync looks for cancellations: longer than any order stays open.
pub const CANCELLED_LOOKBACK_DAYS: i64 = 180;

/// How many of the newest pages of shipped orders status sync reads for the orders it asks
/// about that are not cancelled: an open order shipped on the mall (elsewhere, or by a push
/// whose answer was lost) is among the newest; older pages are not read every run.
pub const SHIPPED_PAGES: u32 = 2;

/// One page of `GET /orders` of `status` ordered since `since`.
fn search_page(
    t: &impl Transport,
    ctx: &CallContext,
    status: &str,
    since: i64,
    page_no: u32,
) -> Result<wire::OrdersPage, ConnectorError> {
    let url = format!(
        "{}/orders?status={status}&orderedFrom={}&page={page_no}&limit={PAGE_LIMIT}",
        ctx.base_url,
        http::percent_encode(&time::format_instant(since)),
    );
    call(t, Method::Get, url, Vec::new()).and_then(|resp| {
        serde_json::from_slice::<wire::OrdersPage>(&resp.body).map_err(|e| {
            ConnectorError::Remote(RemoteError {
                code: "BAD_RESPONSE".into(),
                message: format!("GET /orders answered JSON this plugin cannot read: {e}"),
            })
        })
    })
}

/// The order numbers of a page.
fn numbers_of(page: wire::OrdersPage) -> impl Iterator<Item = String> {
    page.orders
        .into_iter()
        .filter_map(|v| serde_json::from_value::<wire::OrderHead>(v).ok())
        .map(|h| h.order_number)
}

/// The mall's state of orders the host holds open. d Shopping has no look-up by number: the
/// cancelled orders of the last [`CANCELLED_LOOKBACK_DAYS`] days are paged through once, then,
/// for the orders not among them, the newest [`SHIPPED_PAGES`] pages of shipped orders; an
/// order found there is shipped, any other still open.
pub fn order_states(t: &impl Transport, ctx: &CallContext, numbers: &[String]) -> Vec<StateResult> {
    let since = t.now() - CANCELLED_LOOKBACK_DAYS * 86_400;
    let mut cancelled: Vec<String> = Vec::new();
    let mut shipped: Vec<String> = Vec::new();
    let failure = (|| -> Result<(), ConnectorError> {
        let mut page_no = 1u32;
        loop {
            let page = search_page(t, ctx, wire::CANCELLED, since, page_no)?;
            let last = page.page >= page.total_pages;
            cancelled.extend(numbers_of(page));
            if last {
                break;
            }
            page_no += 1;
        }
        if numbers.iter().all(|n| cancelled.contains(n)) {
            return Ok(());
        }
        // The newest pages: the first answer says how many there are.
        let first = search_page(t, ctx, wire::SHIPPED, since, 1)?;
        let total = first.total_pages;
        shipped.extend(numbers_of(first));
        let oldest = total.saturating_sub(SHIPPED_PAGES).max(2);
        for page_no in (oldest..=total).rev() {
            if numbers
                .iter()
                .all(|n| cancelled.contains(n) || shipped.contains(n))
            {
                break;
            }
            shipped.extend(numbers_of(search_page(
                t,
                ctx,
                wire::SHIPPED,
                since,
                page_no,
            )?));
        }
        Ok(())
    })()
    .err();
    numbers
        .iter()
        .map(|n| {
            let state = match &failure {
                Some(e) => Err(e.clone()),
                None if cancelled.contains(n) => Ok(OrderState {
                    state: MallState::Cancelled,
                    mall_status: wire::CANCELLED.into(),
                    message: "cancelled on d Shopping (キャンセル)".into(),
                    cancel_reason: None,
                    payment: None,
                    hold: None,
                }),
                None if shipped.contains(n) => Ok(OrderState {
                    state: MallState::Shipped,
                    mall_status: wire::SHIPPED.into(),
                    message: "shipped on d Shopping (出荷完了)".into(),
                    cancel_reason: None,
                    payment: None,
                    hold: None,
                }),
                None => Ok(OrderState {
                    state: MallState::Open,
                    mall_status: String::new(),
                    message: "not cancelled on d Shopping".into(),
                    cancel_reason: None,
                    payment: None,
                    hold: None,
                }),
            };
            StateResult {
                mall_order_number: n.clone(),
                state,
            }
        })
        .collect()
}

fn post_for_results(
    t: &impl Transport,
    ctx: &CallContext,
    path: &str,
    body: Vec<u8>,
) -> Result<Vec<wire::EntryResult>, ConnectorError> {
    let resp = call(t, Method::Post, format!("{}{path}", ctx.base_url), body)?;
    // The mall may have applied the request: an unreadable answer is no verdict. Transient:
    // the host records the outcome as unknown and sends again (takes and pushes are
    // idempotent on d Shopping).
    let parsed: wire::ResultsResponse = serde_json::from_slice(&resp.body).map_err(|e| {
        ConnectorError::Transient(format!(
            "POST {path} answered what this plugin cannot read ({e}); the outcome is unknown"
        ))
    })?;
    Ok(parsed.results)
}

/// Sends a request with the shop's credential (HTTP Basic, added by the host from the shop's
/// partner code and API password) and turns non-2xx answers into errors.
fn call(
    t: &impl Transport,
    method: Method,
    url: String,
    body: Vec<u8>,
) -> Result<Response, ConnectorError> {
    let req = http::json_request(method, url, body);
    http::send_ok(t, "d Shopping", &req).map_err(|e| e.map_or_else(|e| e, |r| status_error(&r)))
}

/// Maps an error response to the connector-error the host acts on.
pub fn status_error(resp: &Response) -> ConnectorError {
    let first = serde_json::from_slice::<wire::ErrorBody>(&resp.body)
        .ok()
        .and_then(|b| b.errors.into_iter().next());
    let said = match first {
        Some(e) => http::MallError {
            code: e.code,
            message: e.message,
            field: e.field,
        },
        None => http::MallError {
            code: format!("HTTP_{}", resp.status),
            message: String::from_utf8_lossy(&resp.body).into_owned(),
            field: None,
        },
    };
    http::status_error(
        "d Shopping",
        resp,
        said,
        "the partner code / API password",
        1000,
    )
}

fn entry_error(e: &wire::EntryError) -> ConnectorError {
    if e.code == "INVALID_PARAMETER" {
        return ConnectorError::InvalidInput(FieldError {
            field: e.field.clone().unwrap_or_default(),
            message: e.message.clone(),
        });
    }
    let message = match &e.current_status {
        Some(s) => format!("{} (status on d Shopping: {s})", e.message),
        None => e.message.clone(),
    };
    ConnectorError::Remote(RemoteError {
        code: e.code.clone(),
        message,
    })
}

fn missing_result(n: &str) -> ConnectorError {
    ConnectorError::Remote(RemoteError {
        code: "NO_RESULT".into(),
        message: format!("d Shopping returned no result for order {n}"),
    })
}

#[cfg(test)]
mod tests;
