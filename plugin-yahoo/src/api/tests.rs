//! The API code against a scripted mall: which requests a fetch makes (the list, then one
//! `orderInfo` per order the host does not hold), where it stops for the call's budget, and how
//! takes, pushes and the mall's errors read.

use std::cell::{Cell, RefCell};

use connector_kit::Transport;
use connector_kit::fake::{FakeTransport, answer};
use connector_kit::host::{HttpError, Request, Response};
use connector_kit::types::{
    CallContext, ConnectorError, Date, DeliveryShipment, FetchRequest, Parcel, Shipment,
    TakeOutcome, Window,
};

use super::*;

const INFO: &str = "<ResultSet><Result><Status>OK</Status><OrderInfo><OrderId>ID</OrderId>\
    <OrderTime>2026-12-01T10:00:00+09:00</OrderTime><OrderStatus>2</OrderStatus>\
    <Pay><PayStatus>1</PayStatus><PayMethod>payment_a1</PayMethod><BillLastName>山田</BillLastName></Pay>\
    <Ship><ShipMethodName>宅配便</ShipMethodName><ShipCharge>500</ShipCharge></Ship>\
    <Detail><TotalPrice>2500</TotalPrice></Detail>\
    <Item><ItemId>tea</ItemId><Quantity>2</Quantity><UnitPrice>1000</UnitPrice></Item>\
    </OrderInfo></Result></ResultSet>";

struct FakeYahoo<H> {
    t: FakeTransport<H>,
    held: RefCell<Vec<String>>,
    budget: Cell<(u32, u64)>,
}

impl<H: Fn(&Request) -> Result<Response, HttpError>> Transport for FakeYahoo<H> {
    fn send(&self, req: &Request) -> Result<Response, HttpError> {
        let (requests, millis) = self.budget.get();
        self.budget.set((requests.saturating_sub(1), millis));
        self.t.send(req)
    }
    fn now(&self) -> i64 {
        self.t.now()
    }
}

impl<H: Fn(&Request) -> Result<Response, HttpError>> Mall for FakeYahoo<H> {
    fn held(&self, numbers: &[String]) -> Vec<String> {
        let held = self.held.borrow();
        numbers
            .iter()
            .filter(|n| held.contains(n))
            .cloned()
            .collect()
    }
    fn budget(&self) -> (u32, u64) {
        self.budget.get()
    }
}

/// A store listing `ids` and answering every `orderInfo` with a plain order of that id.
fn store(
    ids: &'static [&'static str],
) -> FakeYahoo<impl Fn(&Request) -> Result<Response, HttpError>> {
    FakeYahoo {
        t: FakeTransport::new(1_796_000_000, move |req: &Request| {
            let body = String::from_utf8_lossy(&req.body).into_owned();
            let xml = if req.url.ends_with("/orderList") {
                let rows: String = ids
                    .iter()
                    .map(|id| format!("<OrderInfo><OrderId>{id}</OrderId></OrderInfo>"))
                    .collect();
                format!(
                    "<Result><Status>OK</Status><Search><TotalCount>{}</TotalCount>{rows}</Search></Result>",
                    ids.len()
                )
            } else if req.url.ends_with("/orderInfo") {
                let id = connector_kit::xml::parse(&body)
                    .ok()
                    .and_then(|r| r.at(&["Target", "OrderId"]).map(|e| e.text()))
                    .unwrap_or_default();
                INFO.replace("ID", &id)
            } else {
                "<ResultSet><Result><Status>OK</Status></Result></ResultSet>".to_string()
            };
            Ok(answer(200, &[("content-type", "application/xml")], &xml))
        }),
        held: RefCell::default(),
        budget: Cell::new((200, 120_000)),
    }
}

fn ctx() -> CallContext {
    CallContext {
        shop_id: "y".into(),
        base_url: "https://circus.example".into(),
        settings: vec![(crate::SELLER_ID.into(), "store".into())],
    }
}

fn window() -> FetchRequest {
    FetchRequest {
        window: Window {
            start: 1_795_900_000,
            end: 1_796_000_000,
        },
        cursor: None,
    }
}

#[test]
fn a_fetch_reads_only_the_orders_the_host_does_not_hold() {
    let mall = store(&["store-1", "store-2", "store-3"]);
    mall.held.borrow_mut().push("store-2".into());
    let page = fetch_page(&mall, &ctx(), &window()).expect("fetched");
    let numbers: Vec<_> = page
        .orders
        .iter()
        .map(|o| o.mall_order_number.as_str())
        .collect();
    assert_eq!(numbers, ["store-1", "store-3"]);
    assert!(
        page.orders.iter().all(|o| o.order.is_ok()),
        "{:?}",
        page.orders
    );
    assert_eq!(page.next_cursor, None);
    let sent = mall.t.requests();
    assert_eq!(
        sent.len(),
        3,
        "one list and one orderInfo per order not held"
    );
    assert!(
        sent.iter().all(|r| r.authenticate),
        "the host signs every request"
    );
    let list = String::from_utf8_lossy(&sent[0].body).into_owned();
    for part in [
        "<SellerId>store</SellerId>",
        "<OrderStatus>2</OrderStatus>",
        "<OrderTimeFrom>20261129",
        "<Start>1</Start>",
    ] {
        assert!(list.contains(part), "{part} in {list}");
    }
}

#[test]
fn a_fetch_stops_before_the_budget_runs_out_and_carries_on_after_its_last_order() {
    let mall = store(&["store-1", "store-2", "store-3"]);
    mall.budget.set((3, 120_000));
    let page = fetch_page(&mall, &ctx(), &window()).expect("fetched");
    assert_eq!(
        page.orders.len(),
        1,
        "the list and one order, then two requests kept back"
    );
    assert_eq!(page.next_cursor.as_deref(), Some("1:store-1"));
    // The next call goes on after it, even before the host holds it.
    mall.budget.set((200, 120_000));
    let next = FetchRequest {
        cursor: page.next_cursor.clone(),
        ..window()
    };
    let page = fetch_page(&mall, &ctx(), &next).expect("fetched");
    let numbers: Vec<_> = page
        .orders
        .iter()
        .map(|o| o.mall_order_number.as_str())
        .collect();
    assert_eq!(numbers, ["store-2", "store-3"]);
    assert_eq!(page.next_cursor, None);
    // Time runs short as well as requests: at least one order is read, then it stops.
    let slow = store(&["store-1", "store-2"]);
    slow.budget.set((200, 1_000));
    let page = fetch_page(&slow, &ctx(), &window()).expect("fetched");
    assert_eq!(page.orders.len(), 1);
    assert_eq!(page.next_cursor.as_deref(), Some("1:store-1"));
}

#[test]
fn the_malls_errors_read_as_the_host_acts_on_them() {
    let mall = store(&["store-1"]);
    let error = |status: u16, code: &str| {
        Ok(answer(
            status,
            &[("retry-after", "2")],
            &format!("<Error><Message>m</Message><Code>{code}</Code></Error>"),
        ))
    };
    mall.t.then_answer(error(429, "px-04201"));
    assert!(matches!(
        fetch_page(&mall, &ctx(), &window()),
        Err(ConnectorError::RateLimited(2_000))
    ));
    mall.t.then_answer(error(401, "px-04102"));
    let e = fetch_page(&mall, &ctx(), &window()).expect_err("refused");
    assert!(
        matches!(&e, ConnectorError::Auth(m) if m.contains("px-04102") && m.contains("public key")),
        "{e:?}"
    );
    let no_seller = CallContext {
        settings: vec![],
        ..ctx()
    };
    let e = fetch_page(&mall, &no_seller, &window()).expect_err("refused");
    assert!(
        matches!(&e, ConnectorError::InvalidInput(f) if f.field == "seller_id"),
        "{e:?}"
    );
}

#[test]
fn a_cancelled_order_refuses_its_take_as_cancelled() {
    let mall = store(&[]);
    mall.t.then_answer(Ok(answer(
        400,
        &[],
        "<Error><Message>キャンセル済みの注文は変更できません</Message><Code>od20007</Code></Error>",
    )));
    let r = take_orders(&mall, &ctx(), &["store-1".into(), "store-2".into()]);
    assert!(matches!(&r[0].outcome, Ok(TakeOutcome::Cancelled(m)) if m.contains("キャンセル")));
    assert!(matches!(r[1].outcome, Ok(TakeOutcome::Taken)));
    let body = String::from_utf8_lossy(&mall.t.requests()[1].body).into_owned();
    assert!(body.contains("<IsSeen>true</IsSeen>"), "{body}");
}

#[test]
fn a_push_sends_one_carrier_and_up_to_two_numbers() {
    let mall = store(&[]);
    let parcel = |carrier: &str, n: &str| Parcel {
        carrier_id: carrier.into(),
        tracking_number: n.into(),
    };
    let shipment = |parcels| Shipment {
        mall_order_number: "store-1".into(),
        shipped_date: Date {
            year: 2026,
            month: 12,
            day: 5,
        },
        deliveries: vec![DeliveryShipment {
            delivery_no: 1,
            mall_delivery_id: None,
            parcels,
        }],
    };
    let r = push_shipments(
        &mall,
        &ctx(),
        &[
            shipment(vec![
                parcel("1001", "123456789012"),
                parcel("1001", "123456789023"),
            ]),
            shipment(vec![parcel("1001", "1"), parcel("1002", "2")]),
        ],
    );
    assert!(r[0].outcome.is_ok(), "{:?}", r[0].outcome);
    assert!(
        matches!(&r[1].outcome, Err(ConnectorError::InvalidInput(f)) if f.message.contains("one carrier"))
    );
    let sent = mall.t.requests();
    assert_eq!(sent.len(), 1, "the mixed one is refused before any request");
    let body = String::from_utf8_lossy(&sent[0].body).into_owned();
    for part in [
        "<ShipCompanyCode>1001</ShipCompanyCode>",
        "<ShipInvoiceNumber1>123456789012</ShipInvoiceNumber1>",
        "<ShipInvoiceNumber2>123456789023</ShipInvoiceNumber2>",
        "<ShipDate>20261205</ShipDate>",
        "<ShipStatus>3</ShipStatus>",
    ] {
        assert!(body.contains(part), "{part} in {body}");
    }
}

#[test]
fn orders_past_the_calls_budget_are_handed_back_for_the_next_call() {
    let mall = store(&[]);
    mall.budget.set((1, 120_000));
    let r = take_orders(&mall, &ctx(), &["store-1".into(), "store-2".into()]);
    assert!(matches!(r[0].outcome, Ok(TakeOutcome::Taken)));
    assert!(
        matches!(&r[1].outcome, Err(ConnectorError::Transient(m)) if m.contains("next call")),
        "{:?}",
        r[1].outcome
    );
    assert_eq!(mall.t.requests().len(), 1, "no request past the budget");
    let states = order_states(&mall, &ctx(), &["store-1".into()]);
    assert!(matches!(states[0].state, Err(ConnectorError::Transient(_))));
}
