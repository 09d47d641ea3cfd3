//! Native tests of the API code against a small in-memory Rakuten that pages at query time.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use serde_json::{Value, json};

use super::*;
use connector_kit::v0_2_0::host::{HttpError, Request};
use connector_kit::v0_2_0::types::{Date, Parcel, Window};

const NOW: i64 = 1_795_836_000; // 2026-11-28T12:20:00+09:00
const DAY: i64 = 86_400;

/// A registered parcel: (shippingDetailId, company, number).
type Entry = (i64, String, String);

#[derive(Clone)]
struct FakeOrder {
    number: String,
    at: i64,
    progress: i32,
    /// (basketId, entries (shippingDetailId, company, number)).
    baskets: Vec<(i64, Vec<Entry>)>,
}

fn order(n: u32, at: i64) -> FakeOrder {
    FakeOrder {
        number: format!("391234-20261128-{n:07}"),
        at,
        progress: 100,
        baskets: vec![(2_000_000_000 + i64::from(n) * 10, vec![])],
    }
}

/// A mall that answers searches by filtering and paging its orders when asked.
struct FakeMall {
    orders: RefCell<Vec<FakeOrder>>,
    requests: RefCell<Vec<(String, Value)>>,
    /// Searches matching more than this are refused (Rakuten's is 15,000).
    max_hits: usize,
    /// After serving a search page, another client confirms this many of its orders.
    taken_by_others: usize,
    /// The orders that client confirmed.
    taken: RefCell<HashSet<String>>,
    next_detail: Cell<i64>,
    /// Answers `updateOrderShipping` with this body (after applying it), when set.
    garble_push: Cell<bool>,
    status: Cell<Option<u16>>,
}

impl FakeMall {
    fn new(orders: Vec<FakeOrder>) -> Self {
        FakeMall {
            orders: RefCell::new(orders),
            requests: RefCell::default(),
            max_hits: 15_000,
            taken_by_others: 0,
            taken: RefCell::default(),
            next_detail: Cell::new(50_000_001),
            garble_push: Cell::new(false),
            status: Cell::new(None),
        }
    }

    fn calls(&self, method: &str) -> Vec<Value> {
        self.requests
            .borrow()
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, b)| b.clone())
            .collect()
    }

    fn model(o: &FakeOrder) -> Value {
        let packages: Vec<Value> = o
            .baskets
            .iter()
            .map(|(id, entries)| {
                json!({
                    "basketId": id,
                    "SenderModel": {"familyName": "山田", "firstName": "太郎"},
                    "ItemModelList": [{"itemName": "緑茶", "manageNumber": "tea", "itemNumber": "tea",
                        "price": 1000, "units": 1, "includeTaxFlag": 1, "taxRate": 0.08}],
                    "ShippingModelList": entries.iter().map(|(d, c, n)| json!({
                        "shippingDetailId": d, "deliveryCompany": c, "shippingNumber": n,
                        "shippingDate": "2026-11-28"})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let goods = 1000 * packages.len() as i64;
        json!({
            "orderNumber": o.number, "orderProgress": o.progress,
            "orderDatetime": time::format_instant(o.at),
            "goodsPrice": goods, "requestPrice": goods,
            "OrdererModel": {"familyName": "山田", "firstName": "太郎",
                "emailAddress": "x@pc.fw.rakuten.ne.jp"},
            "PackageModelList": packages,
        })
    }

    fn messages(list: Vec<Value>) -> Value {
        json!({ "MessageModelList": list })
    }
}

fn ok(body: Value) -> Result<Response, HttpError> {
    Ok(Response {
        status: 200,
        headers: vec![],
        body: body.to_string().into_bytes(),
    })
}

impl Transport for FakeMall {
    fn send(&self, req: &Request) -> Result<Response, HttpError> {
        assert!(
            req.authenticate,
            "every Rakuten request carries the ESA credentials"
        );
        let method = req
            .url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        self.requests
            .borrow_mut()
            .push((method.clone(), body.clone()));
        if let Some(status) = self.status.get() {
            return Ok(Response {
                status,
                headers: vec![],
                body: FakeMall::messages(vec![json!({"messageType": "ERROR",
                    "messageCode": "ES04-01", "message": "認証に失敗しました"})])
                .to_string()
                .into_bytes(),
            });
        }
        let numbers = |b: &Value| -> Vec<String> {
            b["orderNumberList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        match method.as_str() {
            "searchOrder" => {
                let from = time::parse_instant(body["startDatetime"].as_str().unwrap()).unwrap();
                let to = time::parse_instant(body["endDatetime"].as_str().unwrap()).unwrap();
                assert!(to - from <= MAX_SPAN_SECS, "a search spans at most 63 days");
                assert!(from >= NOW - 730 * DAY, "a search starts within 730 days");
                let progress: Vec<i64> = body["orderProgressList"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_i64().unwrap())
                    .collect();
                let size = body["PaginationRequestModel"]["requestRecordsAmount"]
                    .as_u64()
                    .unwrap() as usize;
                let page = body["PaginationRequestModel"]["requestPage"]
                    .as_u64()
                    .unwrap() as usize;
                let mut orders = self.orders.borrow_mut();
                let mut hits: Vec<&mut FakeOrder> = orders
                    .iter_mut()
                    .filter(|o| {
                        progress.contains(&i64::from(o.progress)) && o.at >= from && o.at <= to
                    })
                    .collect();
                if hits.len() > self.max_hits {
                    return Ok(Response {
                        status: 400,
                        headers: vec![],
                        body: FakeMall::messages(vec![json!({"messageType": "ERROR",
                            "messageCode": TOO_MANY_HITS, "message": "検索結果が15000件を超えました"})])
                        .to_string()
                        .into_bytes(),
                    });
                }
                hits.sort_by(|a, b| (a.at, &a.number).cmp(&(b.at, &b.number)));
                let total = hits.len();
                let listed: Vec<String> = hits
                    .iter()
                    .skip((page - 1) * size)
                    .take(size)
                    .map(|o| o.number.clone())
                    .collect();
                // Another client confirms the last few this page listed: later orders move up.
                let listed_here = listed.len();
                for o in hits
                    .iter_mut()
                    .skip((page - 1) * size)
                    .take(listed_here)
                    .skip(listed_here.saturating_sub(self.taken_by_others))
                {
                    o.progress = 300;
                    self.taken.borrow_mut().insert(o.number.clone());
                }
                ok(json!({"orderNumberList": listed,
                    "PaginationResponseModel": {"totalRecordsAmount": total,
                        "totalPages": total.div_ceil(size), "requestPage": page}}))
            }
            "getOrder" => {
                let ns = numbers(&body);
                assert!(ns.len() <= BATCH, "getOrder takes at most 100 numbers");
                let orders = self.orders.borrow();
                let mut models = Vec::new();
                let mut messages = Vec::new();
                for n in ns {
                    match orders.iter().find(|o| o.number == n) {
                        Some(o) => models.push(FakeMall::model(o)),
                        None => messages.push(json!({"messageType": "ERROR",
                            "messageCode": "ORDER_EXT_API_GET_ORDER_ERROR_003",
                            "message": "注文が存在しません", "orderNumber": n})),
                    }
                }
                ok(json!({"OrderModelList": models, "MessageModelList": messages}))
            }
            "confirmOrder" => {
                let mut orders = self.orders.borrow_mut();
                let list = numbers(&body)
                    .into_iter()
                    .map(|n| match orders.iter_mut().find(|o| o.number == n) {
                        Some(o) if o.progress == 100 => {
                            o.progress = 300;
                            json!({"messageType": "INFO", "messageCode": "ORDER_EXT_API_CONFIRM_ORDER_INFO_001",
                                "message": "受付", "orderNumber": n})
                        }
                        _ => json!({"messageType": "ERROR",
                            "messageCode": "ORDER_EXT_API_CONFIRM_ORDER_ERROR_010",
                            "message": "注文確認待ちではありません", "orderNumber": n}),
                    })
                    .collect();
                ok(FakeMall::messages(list))
            }
            "updateOrderShipping" => {
                let n = body["orderNumber"].as_str().unwrap().to_string();
                let mut orders = self.orders.borrow_mut();
                let o = orders.iter_mut().find(|o| o.number == n).unwrap();
                if o.progress >= 800 {
                    return Ok(Response {
                        status: 400,
                        headers: vec![],
                        body: FakeMall::messages(vec![json!({"messageType": "ERROR",
                            "messageCode": "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_021",
                            "message": "キャンセルされた注文は発送登録できません", "orderNumber": n})])
                        .to_string()
                        .into_bytes(),
                    });
                }
                for b in body["BasketidModelList"].as_array().unwrap() {
                    let id = b["basketId"].as_i64().unwrap();
                    let basket = o.baskets.iter_mut().find(|(bid, _)| *bid == id).unwrap();
                    for s in b["ShippingModelList"].as_array().unwrap() {
                        let c = s["deliveryCompany"].as_str().unwrap().to_string();
                        let num = s["shippingNumber"].as_str().unwrap().to_string();
                        match s["shippingDetailId"].as_i64() {
                            Some(d) => {
                                let e = basket.1.iter_mut().find(|e| e.0 == d).unwrap();
                                *e = (d, c, num);
                            }
                            None => {
                                let d = self.next_detail.get();
                                self.next_detail.set(d + 1);
                                basket.1.push((d, c, num));
                            }
                        }
                    }
                }
                if o.baskets.iter().all(|(_, e)| !e.is_empty()) {
                    o.progress = 500;
                }
                if self.garble_push.get() {
                    return Ok(Response {
                        status: 200,
                        headers: vec![],
                        body: b"<html>maintenance</html>".to_vec(),
                    });
                }
                ok(FakeMall::messages(vec![json!({"messageType": "INFO",
                    "messageCode": "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_001",
                    "message": "受付", "orderNumber": n})]))
            }
            other => panic!("unexpected method {other}"),
        }
    }
    fn now(&self) -> i64 {
        NOW
    }
}

fn ctx() -> CallContext {
    CallContext {
        shop_id: "rshop".into(),
        base_url: "https://api.rms.rakuten.co.jp".into(),
        settings: vec![],
    }
}

/// Every order a fetch of `window` returns, page by page, as the host drives it.
fn fetch_all(mall: &FakeMall, window: Window) -> Vec<String> {
    let mut cursor = None;
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = fetch_page(
            mall,
            &ctx(),
            &FetchRequest {
                window,
                cursor: cursor.take(),
            },
        )
        .expect("a page");
        for o in page.orders {
            assert!(o.order.is_ok(), "{:?}", o.order);
            out.push(o.mall_order_number);
        }
        match page.next_cursor {
            None => return out,
            Some(c) => cursor = Some(c),
        }
    }
    panic!("the fetch never ended");
}

fn assert_each_once(got: &[String], want: &HashSet<String>) {
    let set: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(set.len(), got.len(), "no order returned twice");
    let missing: Vec<&String> = want.difference(&set).take(5).collect();
    let extra: Vec<&String> = set.difference(want).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} missing (e.g. {missing:?}), {} extra (e.g. {extra:?})",
        want.difference(&set).count(),
        set.difference(want).count()
    );
}

#[test]
fn a_window_longer_than_63_days_is_searched_in_parts() {
    // One order every 5 days over 150 days.
    let orders: Vec<FakeOrder> = (0..30)
        .map(|i| order(i, NOW - 150 * DAY + i64::from(i) * 5 * DAY))
        .collect();
    let want = orders.iter().map(|o| o.number.clone()).collect();
    let mall = FakeMall::new(orders);
    let got = fetch_all(
        &mall,
        Window {
            start: NOW - 150 * DAY,
            end: NOW,
        },
    );
    assert_each_once(&got, &want);
    let searches = mall.calls("searchOrder");
    assert_eq!(
        searches.len(),
        3,
        "150 days are three searches of at most 63"
    );
    let first_end = time::parse_instant(searches[0]["endDatetime"].as_str().unwrap()).unwrap();
    let second_start = time::parse_instant(searches[1]["startDatetime"].as_str().unwrap()).unwrap();
    assert_eq!(
        second_start,
        first_end + 1,
        "the parts meet without a gap or an overlap"
    );
}

#[test]
fn a_window_older_than_730_days_starts_within_them() {
    let mall = FakeMall::new(vec![order(1, NOW - 10 * DAY)]);
    let got = fetch_all(
        &mall,
        Window {
            start: NOW - 800 * DAY,
            end: NOW,
        },
    );
    assert_eq!(got.len(), 1);
    // (the fake mall asserts every search starts within 730 days)
}

#[test]
fn paging_survives_takes_between_pages_and_orders_sharing_an_instant() {
    // 2,600 orders, many at the same second; another client confirms 300 of each page it lists.
    let orders: Vec<FakeOrder> = (0..2600)
        .map(|i| order(i, NOW - DAY - i64::from(i / 7)))
        .collect();
    let mut mall = FakeMall::new(orders);
    mall.taken_by_others = 300;
    let got = fetch_all(
        &mall,
        Window {
            start: NOW - 2 * DAY,
            end: NOW,
        },
    );
    let taken = mall.taken.borrow().clone();
    let want: HashSet<String> = mall
        .orders
        .borrow()
        .iter()
        .filter(|o| !taken.contains(&o.number))
        .map(|o| o.number.clone())
        .collect();
    assert!(want.len() > 1000, "most are still new: {}", want.len());
    assert_each_once(&got, &want);
    for g in mall.calls("getOrder") {
        assert!(g["orderNumberList"].as_array().unwrap().len() <= BATCH);
    }
}

#[test]
fn a_search_over_the_hit_limit_narrows_itself() {
    let orders: Vec<FakeOrder> = (0..120)
        .map(|i| order(i, NOW - 10 * DAY + i64::from(i) * 3600))
        .collect();
    let want = orders.iter().map(|o| o.number.clone()).collect();
    let mut mall = FakeMall::new(orders);
    mall.max_hits = 50;
    let got = fetch_all(
        &mall,
        Window {
            start: NOW - 20 * DAY,
            end: NOW,
        },
    );
    assert_each_once(&got, &want);
}

#[test]
fn orders_confirmed_since_the_search_are_left_out() {
    let orders = vec![order(1, NOW - DAY), order(2, NOW - DAY + 1)];
    let mut mall = FakeMall::new(orders);
    mall.taken_by_others = 1;
    let got = fetch_all(
        &mall,
        Window {
            start: NOW - 2 * DAY,
            end: NOW,
        },
    );
    assert_eq!(
        got,
        vec![order(1, 0).number],
        "the last listed was confirmed meanwhile"
    );
}

#[test]
fn take_tells_taken_already_from_cancelled() {
    let mut orders: Vec<FakeOrder> = (1..=4).map(|i| order(i, NOW - DAY)).collect();
    orders[1].progress = 300;
    orders[2].progress = 900;
    orders[3].progress = 800;
    let numbers: Vec<String> = orders.iter().map(|o| o.number.clone()).collect();
    let mall = FakeMall::new(orders);
    let r = take_orders(&mall, &ctx(), &numbers);
    assert!(matches!(r[0].outcome, Ok(TakeOutcome::Taken)));
    assert!(
        matches!(r[1].outcome, Ok(TakeOutcome::AlreadyTaken)),
        "300 was taken earlier"
    );
    for (i, code) in [(2, "900"), (3, "800")] {
        match &r[i].outcome {
            Ok(TakeOutcome::Cancelled(m)) => {
                assert!(
                    m.contains(code) && m.contains("注文確認待ちではありません"),
                    "{m}"
                )
            }
            other => panic!("{code} is cancelled, never taken: {other:?}"),
        }
    }
    assert_eq!(mall.calls("confirmOrder").len(), 1);
    assert_eq!(
        mall.calls("getOrder").len(),
        1,
        "only the refused ones are looked up"
    );
}

fn shipment(n: &str, baskets: &[(i64, &[(&str, &str)])]) -> Shipment {
    Shipment {
        mall_order_number: n.into(),
        shipped_date: Date {
            year: 2026,
            month: 11,
            day: 28,
        },
        deliveries: baskets
            .iter()
            .enumerate()
            .map(|(i, (b, parcels))| DeliveryShipment {
                delivery_no: i as u32 + 1,
                mall_delivery_id: Some(b.to_string()),
                parcels: parcels
                    .iter()
                    .map(|(c, t)| Parcel {
                        carrier_id: c.to_string(),
                        tracking_number: t.to_string(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[test]
fn push_per_basket_with_two_parcels_then_an_update() {
    let mut o = order(7, NOW - DAY);
    o.progress = 300;
    o.baskets = vec![(2_000_000_101, vec![]), (2_000_000_102, vec![])];
    let n = o.number.clone();
    let mall = FakeMall::new(vec![o]);
    let s = shipment(
        &n,
        &[
            (
                2_000_000_101,
                &[("1001", "123456789012"), ("1001", "123456789023")],
            ),
            (2_000_000_102, &[("1002", "400000000015")]),
        ],
    );
    let r = push_shipments(&mall, &ctx(), std::slice::from_ref(&s));
    assert!(r[0].outcome.is_ok(), "{:?}", r[0].outcome);
    let sent = mall.calls("updateOrderShipping");
    assert_eq!(sent.len(), 1, "one call per order");
    let baskets = sent[0]["BasketidModelList"].as_array().unwrap();
    assert_eq!(baskets.len(), 2);
    assert_eq!(
        baskets[0]["ShippingModelList"].as_array().unwrap().len(),
        2,
        "two parcels"
    );
    assert_eq!(
        baskets[0]["ShippingModelList"][0]["shippingDate"],
        "2026-11-28"
    );
    assert!(
        baskets[0]["ShippingModelList"][0]
            .get("shippingDetailId")
            .is_none()
    );
    assert_eq!(
        mall.orders.borrow()[0].progress,
        500,
        "every basket has a parcel: 発送済"
    );

    // The same again (an answer lost): nothing is sent twice.
    let r = push_shipments(&mall, &ctx(), std::slice::from_ref(&s));
    assert!(r[0].outcome.is_ok());
    assert_eq!(
        mall.calls("updateOrderShipping").len(),
        1,
        "already registered"
    );

    // A corrected number changes its entry by shippingDetailId; nothing is added.
    let fixed = shipment(
        &n,
        &[
            (
                2_000_000_101,
                &[("1001", "123456789012"), ("1001", "123456789034")],
            ),
            (2_000_000_102, &[("1002", "400000000015")]),
        ],
    );
    let r = push_shipments(&mall, &ctx(), &[fixed]);
    assert!(r[0].outcome.is_ok());
    let sent = mall.calls("updateOrderShipping");
    assert_eq!(sent.len(), 2);
    let b = &sent[1]["BasketidModelList"];
    assert_eq!(b.as_array().unwrap().len(), 1, "only the changed basket");
    assert_eq!(b[0]["ShippingModelList"][0]["shippingDetailId"], 50_000_002);
    assert_eq!(
        b[0]["ShippingModelList"][0]["shippingNumber"],
        "123456789034"
    );
    let orders = mall.orders.borrow();
    let numbers: Vec<&str> = orders[0].baskets[0]
        .1
        .iter()
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(numbers, vec!["123456789012", "123456789034"]);
}

#[test]
fn a_cancelled_orders_refusal_carries_the_malls_words() {
    let mut a = order(1, NOW - DAY);
    a.progress = 900;
    let mut b = order(2, NOW - DAY);
    b.progress = 300;
    let (na, nb) = (a.number.clone(), b.number.clone());
    let (ba, bb) = (a.baskets[0].0, b.baskets[0].0);
    let mall = FakeMall::new(vec![a, b]);
    let r = push_shipments(
        &mall,
        &ctx(),
        &[
            shipment(&na, &[(ba, &[("1001", "123456789012")])]),
            shipment(&nb, &[(bb, &[("1001", "123456789023")])]),
        ],
    );
    match &r[0].outcome {
        Err(ConnectorError::Remote(e)) => {
            assert_eq!(e.code, "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_021");
            assert!(e.message.contains("キャンセル"), "{}", e.message);
        }
        other => panic!("refused: {other:?}"),
    }
    assert!(
        r[1].outcome.is_ok(),
        "one order's refusal leaves the next alone"
    );
    assert_eq!(mall.calls("getOrder").len(), 1, "one look-up for the batch");
}

#[test]
fn a_garbled_push_answer_is_transient_and_the_retry_sends_nothing_twice() {
    let mut o = order(3, NOW - DAY);
    o.progress = 300;
    let (n, b) = (o.number.clone(), o.baskets[0].0);
    let mall = FakeMall::new(vec![o]);
    mall.garble_push.set(true);
    let s = shipment(&n, &[(b, &[("1001", "123456789012")])]);
    let r = push_shipments(&mall, &ctx(), std::slice::from_ref(&s));
    assert!(
        matches!(r[0].outcome, Err(ConnectorError::Transient(_))),
        "{:?}",
        r[0].outcome
    );
    mall.garble_push.set(false);
    let r = push_shipments(&mall, &ctx(), &[s]);
    assert!(r[0].outcome.is_ok());
    assert_eq!(mall.calls("updateOrderShipping").len(), 1);
    assert_eq!(mall.orders.borrow()[0].baskets[0].1.len(), 1);
}

#[test]
fn a_delivery_without_a_basket_id_names_the_field() {
    let mut o = order(4, NOW - DAY);
    o.progress = 300;
    let n = o.number.clone();
    let mall = FakeMall::new(vec![o]);
    let mut s = shipment(&n, &[(1, &[("1001", "123456789012")])]);
    s.deliveries[0].mall_delivery_id = None;
    match &push_shipments(&mall, &ctx(), &[s])[0].outcome {
        Err(ConnectorError::InvalidInput(f)) => {
            assert_eq!(f.field, "deliveries[0].mall-delivery-id")
        }
        other => panic!("{other:?}"),
    }
    assert!(mall.calls("updateOrderShipping").is_empty());
}

#[test]
fn status_sync_reads_each_orders_progress() {
    let mut orders: Vec<FakeOrder> = (1..=4).map(|i| order(i, NOW - DAY)).collect();
    orders[0].progress = 300;
    orders[1].progress = 900;
    orders[2].progress = 500;
    orders[3].progress = 800;
    let mut numbers: Vec<String> = orders.iter().map(|o| o.number.clone()).collect();
    numbers.push("391234-20261128-9999999".into());
    let mall = FakeMall::new(orders);
    let r = order_states(&mall, &ctx(), &numbers);
    let states: Vec<Option<MallState>> = r
        .iter()
        .map(|s| s.state.as_ref().ok().map(|s| s.state))
        .collect();
    assert_eq!(
        states,
        vec![
            Some(MallState::Open),
            Some(MallState::Cancelled),
            Some(MallState::Shipped),
            Some(MallState::Cancelled),
            None
        ]
    );
    assert_eq!(r[1].state.as_ref().unwrap().mall_status, "900");
    assert!(
        r[1].state
            .as_ref()
            .unwrap()
            .message
            .contains("キャンセル確定")
    );
}

#[test]
fn errors_map_to_what_the_host_acts_on() {
    let mall = FakeMall::new(vec![]);
    mall.status.set(Some(401));
    let e = fetch_page(
        &mall,
        &ctx(),
        &FetchRequest {
            window: Window {
                start: NOW - DAY,
                end: NOW,
            },
            cursor: None,
        },
    )
    .unwrap_err();
    match e {
        ConnectorError::Auth(m) => {
            assert!(m.contains("licenseKey") && m.contains("ES04-01"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    mall.status.set(Some(429));
    let r = take_orders(&mall, &ctx(), &["a".into()]);
    assert!(
        matches!(r[0].outcome, Err(ConnectorError::RateLimited(1000))),
        "no Retry-After: one period"
    );
    mall.status.set(Some(503));
    let r = order_states(&mall, &ctx(), &["a".into()]);
    assert!(matches!(r[0].state, Err(ConnectorError::Transient(_))));
}

#[test]
fn the_shop_may_set_the_page_size_within_the_apis_limits() {
    let orders: Vec<FakeOrder> = (0..70)
        .map(|i| order(i, NOW - DAY + i64::from(i)))
        .collect();
    let want = orders.iter().map(|o| o.number.clone()).collect();
    let mall = FakeMall::new(orders);
    let mut c = ctx();
    c.settings = vec![(PAGE_SIZE_SETTING.into(), "30".into())];
    let mut cursor = None;
    let mut got = Vec::new();
    loop {
        let req = FetchRequest {
            window: Window {
                start: NOW - 2 * DAY,
                end: NOW,
            },
            cursor: cursor.take(),
        };
        let page = fetch_page(&mall, &c, &req).unwrap();
        got.extend(page.orders.into_iter().map(|o| o.mall_order_number));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_each_once(&got, &want);
    assert_eq!(
        mall.calls("searchOrder").len(),
        3,
        "70 orders are three pages of 30"
    );
    for bad in ["29", "1001", "many"] {
        c.settings = vec![(PAGE_SIZE_SETTING.into(), bad.into())];
        let req = FetchRequest {
            window: Window {
                start: NOW - DAY,
                end: NOW,
            },
            cursor: None,
        };
        match fetch_page(&mall, &c, &req) {
            Err(ConnectorError::InvalidInput(f)) => assert_eq!(f.field, PAGE_SIZE_SETTING),
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn cursors_round_trip() {
    let c = Cursor {
        start: 1,
        end: 2,
        page: 3,
        seen: vec!["a-1".into(), "b-2".into()],
    };
    assert_eq!(Cursor::decode(&c.encode()), Some(c));
    let c = Cursor {
        start: -5,
        end: 9,
        page: 1,
        seen: vec![],
    };
    assert_eq!(Cursor::decode(&c.encode()), Some(c));
    assert_eq!(Cursor::decode("k1:1:2:3"), None);
}
