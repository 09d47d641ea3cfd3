//! Native tests of the API code against a small in-memory mall that pages at query time.

use std::cell::RefCell;
use std::collections::VecDeque;

use super::*;
use connector_kit::host::{HttpError, Request};
use connector_kit::types::{Date, DeliveryShipment, Parcel, Window};

const NOW: i64 = 1_795_836_000; // 2026-11-28T12:20:00+09:00

#[derive(Clone)]
struct FakeOrder {
    number: String,
    ordered_at: i64,
    status: &'static str,
    test: bool,
}

/// A mall that answers `GET /orders` by filtering and paging its orders when asked, or with the
/// next canned response if there is one.
struct FakeMall {
    orders: RefCell<Vec<FakeOrder>>,
    requests: RefCell<Vec<Request>>,
    canned: RefCell<VecDeque<Response>>,
    page_size: usize,
}

impl FakeMall {
    fn new(orders: Vec<FakeOrder>, page_size: usize) -> Self {
        FakeMall {
            orders: RefCell::new(orders),
            requests: RefCell::default(),
            canned: RefCell::default(),
            page_size,
        }
    }

    fn query(url: &str, key: &str) -> Option<String> {
        let q = url.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then(|| v.replace("%2B", "+").replace("%3A", ":"))
        })
    }
}

impl Transport for FakeMall {
    fn send(&self, req: &Request) -> Result<Response, HttpError> {
        self.requests.borrow_mut().push(req.clone());
        if let Some(r) = self.canned.borrow_mut().pop_front() {
            return Ok(r);
        }
        let url = &req.url;
        let from = time::parse_instant(&Self::query(url, "orderedFrom").unwrap()).unwrap();
        let to = time::parse_instant(&Self::query(url, "orderedTo").unwrap()).unwrap();
        let page: usize = Self::query(url, "page").unwrap().parse().unwrap();
        let all = self.orders.borrow();
        let mut matching: Vec<&FakeOrder> = all
            .iter()
            .filter(|o| {
                o.status == "ORDER_CONFIRM_WAIT" && o.ordered_at >= from && o.ordered_at <= to
            })
            .collect();
        matching.sort_by(|a, b| (a.ordered_at, &a.number).cmp(&(b.ordered_at, &b.number)));
        let total_pages = matching.len().div_ceil(self.page_size).max(1);
        let orders: Vec<serde_json::Value> = matching
            .iter()
            .skip((page - 1) * self.page_size)
            .take(self.page_size)
            .map(|o| {
                serde_json::json!({
                    "orderNumber": o.number,
                    "orderedAt": time::format_instant(o.ordered_at),
                    "status": o.status,
                    "testOrder": o.test,
                })
            })
            .collect();
        let body = serde_json::json!({
            "orders": orders, "page": page, "totalPages": total_pages, "totalCount": matching.len()
        });
        Ok(Response {
            status: 200,
            headers: vec![],
            body: body.to_string().into_bytes(),
        })
    }

    fn now(&self) -> i64 {
        NOW
    }
}

fn ctx() -> CallContext {
    CallContext {
        shop_id: "s1".into(),
        base_url: "https://api.example".into(),
        settings: vec![("partner_code".into(), "P1".into())],
    }
}

fn order(n: u32, minutes_ago: i64) -> FakeOrder {
    FakeOrder {
        number: format!("DS{n:05}"),
        ordered_at: NOW - minutes_ago * 60,
        status: "ORDER_CONFIRM_WAIT",
        test: false,
    }
}

/// Fetches every page, taking each page's orders before asking the next (as the host may).
fn fetch_all(
    mall: &FakeMall,
    window: Window,
    take_between: bool,
) -> (Vec<String>, Vec<SkippedOrder>) {
    let mut cursor = None;
    let mut got = Vec::new();
    let mut skipped = Vec::new();
    for _ in 0..1000 {
        let page = fetch_page(
            mall,
            &ctx(),
            &FetchRequest {
                window,
                cursor: cursor.clone(),
            },
        )
        .unwrap();
        if take_between {
            let mut orders = mall.orders.borrow_mut();
            for r in &page.orders {
                if let Some(o) = orders.iter_mut().find(|o| o.number == r.mall_order_number) {
                    o.status = "SHIP_INSTRUCTION_WAIT";
                }
            }
        }
        got.extend(page.orders.into_iter().map(|o| o.mall_order_number));
        skipped.extend(page.skipped);
        cursor = page.next_cursor;
        if cursor.is_none() {
            return (got, skipped);
        }
    }
    panic!("fetch did not finish");
}

fn day_window() -> Window {
    Window {
        start: NOW - 86_400,
        end: NOW,
    }
}

#[test]
fn pages_through_everything_even_when_taking_shifts_pages() {
    let orders: Vec<FakeOrder> = (0..250).map(|i| order(i, 600 - i64::from(i))).collect();
    for take_between in [false, true] {
        let mall = FakeMall::new(orders.clone(), 100);
        let (got, _) = fetch_all(&mall, day_window(), take_between);
        assert_eq!(got.len(), 250, "take_between={take_between}");
        let mut unique = got.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            250,
            "no order twice (take_between={take_between})"
        );
    }
}

#[test]
fn many_orders_at_one_instant_still_page_through() {
    // 230 orders in the same second: the cursor cannot move forward in time, so it pages.
    let orders: Vec<FakeOrder> = (0..230).map(|i| order(i, 30)).collect();
    let mall = FakeMall::new(orders, 100);
    let (got, _) = fetch_all(&mall, day_window(), false);
    assert_eq!(got.len(), 230);
}

#[test]
fn holds_back_orders_younger_than_ten_minutes_and_skips_test_orders() {
    let mut test = order(3, 60);
    test.test = true;
    let mall = FakeMall::new(vec![order(1, 9), order(2, 10), test, order(4, 11)], 100);
    let (got, skipped) = fetch_all(&mall, day_window(), false);
    assert_eq!(
        got,
        vec!["DS00004", "DS00002"],
        "sorted by orderedAt; the 9-minute order held back"
    );
    let reasons: Vec<(&str, bool)> = skipped
        .iter()
        .map(|s| (s.mall_order_number.as_str(), s.reason == "test-order"))
        .collect();
    assert_eq!(
        reasons,
        vec![("DS00003", true), ("DS00001", false)],
        "test order, then too recent"
    );
    let url = &mall.requests.borrow()[0].url;
    let to = time::parse_instant(&FakeMall::query(url, "orderedTo").unwrap()).unwrap();
    assert_eq!(to, NOW);
    assert!(url.contains("status=ORDER_CONFIRM_WAIT"));
    assert!(
        url.contains("%2B09%3A00"),
        "offset is percent-encoded: {url}"
    );
    assert!(
        mall.requests.borrow()[0].authenticate,
        "the host adds the shop's credentials"
    );
}

#[test]
fn a_reversed_window_asks_nothing() {
    let mall = FakeMall::new(vec![order(1, 5)], 100);
    let page = fetch_page(
        &mall,
        &ctx(),
        &FetchRequest {
            window: Window {
                start: NOW,
                end: NOW - 300,
            },
            cursor: None,
        },
    )
    .unwrap();
    assert!(page.orders.is_empty() && page.next_cursor.is_none());
    assert!(mall.requests.borrow().is_empty());
}

#[test]
fn cursor_round_trips_and_rejects_foreign_text() {
    let c = Cursor {
        ordered_at: 42,
        order_number: "A:B".into(),
        page: 3,
    };
    assert_eq!(Cursor::decode(&c.encode()), Some(c));
    assert_eq!(Cursor::decode("page=2"), None);
    let mall = FakeMall::new(vec![], 100);
    let err = fetch_page(
        &mall,
        &ctx(),
        &FetchRequest {
            window: day_window(),
            cursor: Some("page=2".into()),
        },
    )
    .unwrap_err();
    assert!(matches!(err, ConnectorError::InvalidInput(f) if f.field == "cursor"));
}

fn canned(status: u16, headers: Vec<(&str, &str)>, body: &str) -> Response {
    Response {
        status,
        headers: headers
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn maps_http_statuses_to_connector_errors() {
    let err_body = r#"{"errors":[{"code":"AUTH_FAILED","message":"bad credentials"}]}"#;
    type Check = fn(&ConnectorError) -> bool;
    let cases: Vec<(Response, Check)> = vec![
        (
            canned(401, vec![], err_body),
            |e| matches!(e, ConnectorError::Auth(m) if m.contains("AUTH_FAILED")),
        ),
        (canned(429, vec![("Retry-After", "3")], "{}"), |e| {
            matches!(e, ConnectorError::RateLimited(3000))
        }),
        (canned(429, vec![], "{}"), |e| {
            matches!(e, ConnectorError::RateLimited(1000))
        }),
        (
            canned(
                500,
                vec![],
                r#"{"errors":[{"code":"INTERNAL_ERROR","message":"x"}]}"#,
            ),
            |e| matches!(e, ConnectorError::Transient(m) if m.contains("INTERNAL_ERROR")),
        ),
        (canned(503, vec![], "down"), |e| {
            matches!(e, ConnectorError::Transient(_))
        }),
        (
            canned(
                400,
                vec![],
                r#"{"errors":[{"code":"INVALID_PARAMETER","message":"m","field":"orderedFrom"}]}"#,
            ),
            |e| matches!(e, ConnectorError::InvalidInput(f) if f.field == "orderedFrom"),
        ),
        (
            canned(200, vec![], "not json"),
            |e| matches!(e, ConnectorError::Remote(r) if r.code == "BAD_RESPONSE"),
        ),
    ];
    for (resp, check) in cases {
        let status = resp.status;
        let mall = FakeMall::new(vec![], 100);
        mall.canned.borrow_mut().push_back(resp);
        let err = fetch_page(
            &mall,
            &ctx(),
            &FetchRequest {
                window: day_window(),
                cursor: None,
            },
        )
        .unwrap_err();
        assert!(check(&err), "status {status}: {err:?}");
    }
}

#[test]
fn take_counts_already_taken_and_reports_other_errors_per_order() {
    let mall = FakeMall::new(vec![], 100);
    mall.canned.borrow_mut().push_back(canned(
        200,
        vec![],
        r#"{"results":[
            {"orderNumber":"A","result":"OK"},
            {"orderNumber":"B","result":"ERROR","error":{"code":"STATUS_MISMATCH","message":"m","currentStatus":"SHIP_INSTRUCTION_WAIT"}},
            {"orderNumber":"C","result":"ERROR","error":{"code":"STATUS_MISMATCH","message":"m","currentStatus":"SHIPPED"}},
            {"orderNumber":"D","result":"ERROR","error":{"code":"ORDER_NOT_FOUND","message":"no such order"}},
            {"orderNumber":"F","result":"ERROR","error":{"code":"STATUS_MISMATCH","message":"m","currentStatus":"CANCELLED"}}
        ]}"#,
    ));
    let numbers: Vec<String> = ["A", "B", "C", "D", "E", "F"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let r = take_orders(&mall, &ctx(), &numbers);
    assert!(matches!(r[0].outcome, Ok(TakeOutcome::Taken)));
    assert!(matches!(r[1].outcome, Ok(TakeOutcome::AlreadyTaken)));
    // Shipped since (a lagging search listed it as new): beyond new, so taken — not an error
    // that keeps it pending for ever.
    assert!(matches!(r[2].outcome, Ok(TakeOutcome::AlreadyTaken)));
    assert!(matches!(&r[5].outcome, Ok(TakeOutcome::Cancelled(m)) if m.contains("キャンセル")));
    assert!(matches!(&r[3].outcome, Err(ConnectorError::Remote(e)) if e.code == "ORDER_NOT_FOUND"));
    assert!(matches!(&r[4].outcome, Err(ConnectorError::Remote(e)) if e.code == "NO_RESULT"));
    let req = &mall.requests.borrow()[0];
    assert!(req.url.ends_with("/orders/acknowledge"));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["orderNumbers"].as_array().unwrap().len(), 6);
}

#[test]
fn take_batches_by_100_and_a_failed_batch_fails_the_rest() {
    let mall = FakeMall::new(vec![], 100);
    let numbers: Vec<String> = (0..250).map(|i| format!("N{i}")).collect();
    let ok: Vec<serde_json::Value> = numbers[..100]
        .iter()
        .map(|n| serde_json::json!({"orderNumber": n, "result": "OK"}))
        .collect();
    mall.canned.borrow_mut().push_back(canned(
        200,
        vec![],
        &serde_json::json!({"results": ok}).to_string(),
    ));
    mall.canned
        .borrow_mut()
        .push_back(canned(429, vec![("retry-after", "2")], "{}"));
    let r = take_orders(&mall, &ctx(), &numbers);
    assert_eq!(r.len(), 250);
    assert_eq!(
        mall.requests.borrow().len(),
        2,
        "no third request after the batch was refused"
    );
    assert!(
        r[..100]
            .iter()
            .all(|x| matches!(x.outcome, Ok(TakeOutcome::Taken)))
    );
    assert!(
        r[100..]
            .iter()
            .all(|x| matches!(x.outcome, Err(ConnectorError::RateLimited(2000))))
    );
}

#[test]
fn push_sends_carrier_id_tracking_and_date_in_batches_of_50() {
    let mall = FakeMall::new(vec![], 100);
    let shipments: Vec<Shipment> = (0..60)
        .map(|i| Shipment {
            mall_order_number: format!("N{i}"),
            shipped_date: Date {
                year: 2026,
                month: 11,
                day: 28,
            },
            deliveries: vec![DeliveryShipment {
                delivery_no: 1,
                mall_delivery_id: None,
                parcels: vec![Parcel {
                    carrier_id: "01".into(),
                    tracking_number: "123456789013".into(),
                }],
            }],
        })
        .collect();
    let mut first: Vec<serde_json::Value> = shipments[..50]
        .iter()
        .map(|s| serde_json::json!({"orderNumber": s.mall_order_number, "result": "OK"}))
        .collect();
    first[7] = serde_json::json!({"orderNumber": "N7", "result": "ERROR",
        "error": {"code": "INVALID_PARAMETER", "message": "check digit", "field": "trackingNumber"}});
    let second: Vec<serde_json::Value> = shipments[50..]
        .iter()
        .map(|s| serde_json::json!({"orderNumber": s.mall_order_number, "result": "OK"}))
        .collect();
    mall.canned.borrow_mut().push_back(canned(
        200,
        vec![],
        &serde_json::json!({"results": first}).to_string(),
    ));
    mall.canned.borrow_mut().push_back(canned(
        200,
        vec![],
        &serde_json::json!({"results": second}).to_string(),
    ));
    let r = push_shipments(&mall, &ctx(), &shipments);
    assert_eq!(r.len(), 60);
    assert_eq!(r.iter().filter(|x| x.outcome.is_ok()).count(), 59);
    assert!(
        matches!(&r[7].outcome, Err(ConnectorError::InvalidInput(f)) if f.field == "trackingNumber")
    );
    let reqs = mall.requests.borrow();
    assert_eq!(reqs.len(), 2);
    let body: serde_json::Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(body["shipments"].as_array().unwrap().len(), 50);
    assert_eq!(body["shipments"][0]["carrierId"], "01");
    assert_eq!(body["shipments"][0]["shippedDate"], "2026-11-28");
}

#[test]
fn transport_failures_are_transient_and_denials_are_host_refusals() {
    struct Failing(HttpError);
    impl Transport for Failing {
        fn send(&self, _: &Request) -> Result<Response, HttpError> {
            Err(self.0.clone())
        }
        fn now(&self) -> i64 {
            NOW
        }
    }
    let req = FetchRequest {
        window: day_window(),
        cursor: None,
    };
    let e = fetch_page(&Failing(HttpError::Transport("reset".into())), &ctx(), &req).unwrap_err();
    assert!(matches!(e, ConnectorError::Transient(_)));
    let e = fetch_page(
        &Failing(HttpError::Denied("evil.example".into())),
        &ctx(),
        &req,
    )
    .unwrap_err();
    assert!(matches!(e, ConnectorError::HostRefused(m) if m.contains("evil.example")));
}

/// A whole order record as `GET /orders` gives it.
fn full_record(number: &str, ordered_at: i64) -> serde_json::Value {
    serde_json::json!({
      "orderNumber": number, "orderedAt": time::format_instant(ordered_at),
      "updatedAt": time::format_instant(ordered_at), "status": "ORDER_CONFIRM_WAIT",
      "testOrder": false, "paymentMethod": "COD",
      "orderer": { "name": "山田 太郎", "postalCode": "1000001", "prefecture": "東京都",
                   "address1": "千代田区千代田1-1", "phone": "0312345678" },
      "deliveries": [ { "deliveryNo": 1,
          "recipient": { "name": "山田 太郎", "postalCode": "1000001", "prefecture": "東京都",
                         "address1": "千代田区千代田1-1", "phone": "0312345678" },
          "deliveryMethod": "宅配便", "desiredDate": null, "desiredTimeSlot": "指定なし",
          "items": [ { "lineNo": 1, "itemCode": "tea", "skuCode": "tea", "quantity": 1,
                       "unitPrice": 1000, "taxRate": 8, "hasAddOnService": false } ] } ],
      "amounts": { "itemsTotal": 1000, "shippingFee": 0, "codFee": 330, "pointsUsed": 0,
                   "couponDiscount": 0, "billingTotal": 1330 }
    })
}

#[test]
fn a_fetch_returns_each_order_mapped_or_with_its_own_error() {
    let mall = FakeMall::new(vec![], 100);
    let mut broken = full_record("DS2", NOW - 3600);
    broken["deliveries"][0]["items"][0]["taxRate"] = 5.into();
    let body = serde_json::json!({
        "orders": [full_record("DS1", NOW - 7200), broken],
        "page": 1, "totalPages": 1, "totalCount": 2
    });
    mall.canned
        .borrow_mut()
        .push_back(canned(200, vec![], &body.to_string()));
    let page = fetch_page(
        &mall,
        &ctx(),
        &FetchRequest {
            window: day_window(),
            cursor: None,
        },
    )
    .unwrap();
    assert_eq!(page.orders.len(), 2);
    let good = page.orders[0].order.as_ref().expect("mapped");
    assert_eq!((good.billing_total, good.fees[0].amount), (1330, 330));
    let e = page.orders[1].order.as_ref().unwrap_err();
    assert!(
        matches!(e, ConnectorError::InvalidInput(f) if f.field.ends_with("taxRate")),
        "{e:?}"
    );
    assert_eq!(page.orders[1].mall_order_number, "DS2");
}

#[test]
fn status_sync_reports_cancelled_orders_and_the_rest_open() {
    let mall = FakeMall::new(vec![], 100);
    let body = serde_json::json!({
        "orders": [ { "orderNumber": "DS9", "orderedAt": time::format_instant(NOW - 86_400),
                      "status": "CANCELLED" } ],
        "page": 1, "totalPages": 1, "totalCount": 1
    });
    mall.canned
        .borrow_mut()
        .push_back(canned(200, vec![], &body.to_string()));
    let shipped = serde_json::json!({
        "orders": [ { "orderNumber": "DS5", "orderedAt": time::format_instant(NOW - 86_400),
                      "status": "SHIPPED" } ],
        "page": 1, "totalPages": 1, "totalCount": 1
    });
    mall.canned
        .borrow_mut()
        .push_back(canned(200, vec![], &shipped.to_string()));
    let states = order_states(
        &mall,
        &ctx(),
        &["DS9".to_string(), "DS1".to_string(), "DS5".to_string()],
    );
    let url = &mall.requests.borrow()[0].url;
    assert!(url.contains("status=CANCELLED"), "{url}");
    let url = &mall.requests.borrow()[1].url;
    assert!(url.contains("status=SHIPPED"), "{url}");
    assert_eq!(mall.requests.borrow().len(), 2, "one page of each");
    let got: Vec<_> = states
        .iter()
        .map(|s| {
            (
                s.mall_order_number.as_str(),
                s.state.as_ref().map(|x| x.state),
            )
        })
        .collect();
    assert!(
        matches!(got[0], ("DS9", Ok(MallState::Cancelled))),
        "{got:?}"
    );
    assert!(matches!(got[1], ("DS1", Ok(MallState::Open))), "{got:?}");
    assert!(matches!(got[2], ("DS5", Ok(MallState::Shipped))), "{got:?}");
    // A failed look-up is every order's error, not a guess.
    let mall = FakeMall::new(vec![], 100);
    mall.canned.borrow_mut().push_back(canned(
        503,
        vec![],
        r#"{"errors":[{"code":"SERVICE_UNAVAILABLE","message":"down"}]}"#,
    ));
    let states = order_states(&mall, &ctx(), &["DS9".to_string()]);
    assert!(matches!(states[0].state, Err(ConnectorError::Transient(_))));
}

#[test]
fn status_sync_reads_only_the_newest_pages_of_shipped_orders() {
    let mall = FakeMall::new(vec![], 100);
    let page = |status: &str, n: u32, total: u32, numbers: &[&str]| {
        let orders: Vec<_> = numbers
            .iter()
            .map(|o| serde_json::json!({"orderNumber": o, "orderedAt": time::format_instant(NOW), "status": status}))
            .collect();
        canned(
            200,
            vec![],
            &serde_json::json!({"orders": orders, "page": n, "totalPages": total, "totalCount": 0})
                .to_string(),
        )
    };
    for answer in [
        page("CANCELLED", 1, 1, &[]),
        page("SHIPPED", 1, 9, &["OLD"]),
        page("SHIPPED", 9, 9, &["A"]),
        page("SHIPPED", 8, 9, &["B"]),
        page("SHIPPED", 7, 9, &["C"]),
    ] {
        mall.canned.borrow_mut().push_back(answer);
    }
    let states = order_states(&mall, &ctx(), &["B".to_string(), "X".to_string()]);
    let urls: Vec<String> = mall
        .requests
        .borrow()
        .iter()
        .map(|r| r.url.clone())
        .collect();
    assert!(
        urls[2].contains("page=9") && urls[3].contains("page=8"),
        "{urls:?}"
    );
    assert_eq!(
        urls.len(),
        5,
        "pages 1, 9, 8 and 7 of the shipped ones: {urls:?}"
    );
    assert!(matches!(
        states[0].state,
        Ok(OrderState {
            state: MallState::Shipped,
            ..
        })
    ));
    assert!(matches!(
        states[1].state,
        Ok(OrderState {
            state: MallState::Open,
            ..
        })
    ));
}

#[test]
fn an_unreadable_record_fails_alone_named_by_its_number_or_position() {
    let mall = FakeMall::new(vec![], 100);
    mall.canned.borrow_mut().push_back(canned(
        200,
        vec![],
        r#"{"orders":[
            {"orderNumber":"GOOD","orderedAt":"2026-11-28T09:00:00+09:00","status":"ORDER_CONFIRM_WAIT","testOrder":false,"addedByTheMall":1},
            {"orderNumber":12345,"orderedAt":"2026-11-28T09:00:01+09:00","status":"ORDER_CONFIRM_WAIT"},
            {"orderNumber":"BADDATE","orderedAt":"2026-02-30T09:00:00+09:00","status":"ORDER_CONFIRM_WAIT"},
            {"orderNumber":"BADFLAG","orderedAt":"2026-11-28T09:00:02+09:00","status":"ORDER_CONFIRM_WAIT","testOrder":"no"}
        ],"page":1,"totalPages":1,"totalCount":4}"#,
    ));
    let page = fetch_page(
        &mall,
        &ctx(),
        &FetchRequest {
            window: day_window(),
            cursor: None,
        },
    )
    .expect("the page is read; its bad records fail alone");
    let numbers: Vec<&str> = page
        .orders
        .iter()
        .map(|o| o.mall_order_number.as_str())
        .collect();
    assert_eq!(numbers, vec!["GOOD", "#2", "BADDATE", "BADFLAG"]);
    let field = |i: usize| match &page.orders[i].order {
        Err(ConnectorError::InvalidInput(f)) => f.field.clone(),
        other => panic!("{i}: {other:?}"),
    };
    assert_eq!(field(1), "order");
    assert_eq!(field(2), "orderedAt");
    assert_eq!(field(3), "order");
}
