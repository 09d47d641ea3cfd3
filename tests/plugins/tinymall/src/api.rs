//! TinyMall's requests over the kit's `Transport`: a page of new orders, takes, shipments.

use connector_kit::host::{Method, Response};
use connector_kit::types::{
    CallContext, ConnectorError, FetchPage, FetchRequest, FetchedOrder, PushResult, RemoteError,
    Shipment, TakeOutcome, TakeResult,
};
use connector_kit::{Transport, http};

use crate::{mapping, wire};

const MALL: &str = "TinyMall";

fn send(
    t: &impl Transport,
    method: Method,
    url: String,
    body: Vec<u8>,
) -> Result<Response, ConnectorError> {
    let req = http::json_request(method, url, body);
    http::send_ok(t, MALL, &req).map_err(|e| e.map_or_else(|e| e, |r| status_error(&r)))
}

/// An error answer as the connector error the host acts on.
pub fn status_error(resp: &Response) -> ConnectorError {
    let message = serde_json::from_slice::<wire::Error>(&resp.body)
        .map(|e| e.error)
        .unwrap_or_else(|_| http::body_text(resp, 200));
    let said = http::MallError {
        code: format!("HTTP_{}", resp.status),
        message,
        field: None,
    };
    http::status_error(MALL, resp, said, "the API token", 1000)
}

/// One page of new orders in the window, each mapped.
pub fn fetch_page(
    t: &impl Transport,
    ctx: &CallContext,
    req: &FetchRequest,
) -> Result<FetchPage, ConnectorError> {
    let mut url = format!(
        "{}/orders?from={}&to={}",
        ctx.base_url, req.window.start, req.window.end
    );
    if let Some(after) = &req.cursor {
        url.push_str(&format!("&after={}", http::percent_encode(after)));
    }
    let resp = send(t, Method::Get, url, Vec::new())?;
    let page: wire::Page = serde_json::from_slice(&resp.body).map_err(|e| {
        ConnectorError::Transient(format!("{MALL} answered what this plugin cannot read: {e}"))
    })?;
    let orders = page
        .orders
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let number = value["id"]
                .as_str()
                .map_or_else(|| format!("(order {i} of the page)"), str::to_string);
            FetchedOrder {
                mall_order_number: number,
                order: mapping::map_json(&value.to_string()),
            }
        })
        .collect();
    Ok(FetchPage {
        orders,
        skipped: Vec::new(),
        next_cursor: page.next,
    })
}

/// Takes each order (`accept`); one taken already is `already-taken`.
pub fn take_orders(t: &impl Transport, ctx: &CallContext, numbers: &[String]) -> Vec<TakeResult> {
    numbers
        .iter()
        .map(|n| {
            let url = format!("{}/orders/{}/accept", ctx.base_url, http::percent_encode(n));
            let outcome = match send(t, Method::Post, url, b"{}".to_vec()) {
                Ok(_) => Ok(TakeOutcome::Taken),
                Err(ConnectorError::Remote(RemoteError { code, .. })) if code == "HTTP_409" => {
                    Ok(TakeOutcome::AlreadyTaken)
                }
                Err(e) => Err(e),
            };
            TakeResult {
                mall_order_number: n.clone(),
                outcome,
            }
        })
        .collect()
}

/// Ships each order with its first parcel.
pub fn push_shipments(
    t: &impl Transport,
    ctx: &CallContext,
    shipments: &[Shipment],
) -> Vec<PushResult> {
    shipments
        .iter()
        .map(|s| {
            let n = &s.mall_order_number;
            let parcel = s.deliveries.first().and_then(|d| d.parcels.first());
            let outcome = match parcel {
                None => Err(ConnectorError::InvalidInput(
                    connector_kit::types::FieldError {
                        field: "deliveries".into(),
                        message: "a shipment needs a parcel".into(),
                    },
                )),
                Some(p) => {
                    let body =
                        serde_json::json!({"carrier": p.carrier_id, "tracking": p.tracking_number});
                    let url = format!("{}/orders/{}/ship", ctx.base_url, http::percent_encode(n));
                    send(t, Method::Post, url, body.to_string().into_bytes()).map(|_| ())
                }
            };
            PushResult {
                mall_order_number: n.clone(),
                outcome,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use connector_kit::fake::{FakeTransport, json};
    use connector_kit::types::Window;

    use super::*;

    fn ctx() -> CallContext {
        CallContext {
            shop_id: "t".into(),
            base_url: "https://tiny.example".into(),
            settings: Vec::new(),
        }
    }

    const ORDER: &str = r#"{"id":"T-1","placed":1795828500,"buyer":"山田 太郎","zip":"1000001",
        "pref":"東京都","addr":"千代田区1-1","tel":"0300000000",
        "lines":[{"sku":"TEA","name":"緑茶","qty":2,"price":800}],"shipping":500,"total":2100}"#;

    #[test]
    fn a_page_maps_each_order_and_carries_the_cursor() {
        let mall = FakeTransport::new(0, |_| {
            Ok(json(
                200,
                &format!(r#"{{"orders":[{ORDER}],"next":"T-1"}}"#),
            ))
        });
        let req = FetchRequest {
            window: Window { start: 1, end: 2 },
            cursor: Some("T-0".into()),
        };
        let page = fetch_page(&mall, &ctx(), &req).unwrap();
        assert_eq!(page.next_cursor.as_deref(), Some("T-1"));
        let o = page.orders[0].order.as_ref().unwrap();
        assert_eq!((o.items_total, o.billing_total), (1600, 2100));
        assert!(mall.requests()[0].url.ends_with("&after=T-0"));
        assert!(mall.requests()[0].authenticate);
    }

    #[test]
    fn a_total_that_does_not_add_up_fails_that_order_alone() {
        let bad = ORDER.replace("2100", "9999");
        let mall = FakeTransport::new(0, move |_| {
            Ok(json(
                200,
                &format!(r#"{{"orders":[{bad},{ORDER}],"next":null}}"#),
            ))
        });
        let req = FetchRequest {
            window: Window { start: 1, end: 2 },
            cursor: None,
        };
        let page = fetch_page(&mall, &ctx(), &req).unwrap();
        assert!(page.orders[0].order.is_err());
        assert!(page.orders[1].order.is_ok());
    }

    #[test]
    fn a_second_take_is_already_taken_and_a_401_is_auth() {
        let mall = FakeTransport::new(0, |_| Ok(json(409, r#"{"error":"accepted already"}"#)));
        let r = take_orders(&mall, &ctx(), &["T-1".into()]);
        assert!(matches!(r[0].outcome, Ok(TakeOutcome::AlreadyTaken)));
        let mall = FakeTransport::new(0, |_| Ok(json(401, r#"{"error":"bad token"}"#)));
        let r = take_orders(&mall, &ctx(), &["T-1".into()]);
        assert!(matches!(r[0].outcome, Err(ConnectorError::Auth(_))));
    }
}
