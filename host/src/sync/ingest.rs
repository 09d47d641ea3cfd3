//! The one ingest path for mapped orders, whatever brought them (a fetch page from a mall's API,
//! a mini-app CSV file): the test-order guard → the shop's conversion tables
//! (配送業者・配送時間帯変換) → the hold policy → one store transaction → a report. Fetch and
//! import differ only in how records reach the plugin's mapping and in how they report a record
//! that could not be mapped (by order number, or by the file's line).
//!
//! The decisions are pure functions ([`convert`], [`hold_reason`], [`prepare`]), tested one by
//! one; [`ingest`] only adds the store.
//!
//! **Test orders, twice.** The plugin leaves out orders from the mall's test environment
//! (検証環境) before mapping; the host drops any mapped order still flagged as one. This second
//! filter is defence in depth: a plugin bug must not put a test order into the merchant's
//! shipping queue.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::ShopConfig;
use crate::model::{Order, OrderNote, OrderStatus, TakeState};
use crate::store::{NewOrder, Store, StoreError, WhenStored};

/// A label of an order the conversion tables do not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownLabel {
    /// The order.
    pub mall_order_number: String,
    /// `delivery_method` or `time_slot`.
    pub kind: &'static str,
    /// The mall's label.
    pub label: String,
}

/// What ingesting mapped orders did; fetch and import reports carry it flattened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ingested {
    /// Stored for the first time.
    pub stored: Vec<String>,
    /// Already stored before (not stored twice).
    pub already_stored: Vec<String>,
    /// Stored on hold, with the reason.
    pub held: Vec<OrderNote>,
    /// Labels the conversion tables lack (stored with the raw label).
    pub unknown_labels: Vec<UnknownLabel>,
    /// Orders the database refused (e.g. a duplicate line number), each with the reason; the
    /// rest of the page is stored. Left untaken on the mall, tried again next run.
    pub store_failed: Vec<OrderNote>,
}

/// Applies the shop's conversion tables (配送業者・配送時間帯変換) to an order's deliveries;
/// returns the labels the tables lack (the order keeps the raw label).
pub fn convert(shop: &ShopConfig, order: &mut Order) -> Vec<UnknownLabel> {
    let mut unknown = Vec::new();
    for d in &mut order.deliveries {
        d.carrier = shop.delivery_methods.get(&d.delivery_method).cloned();
        if d.carrier.is_none() {
            unknown.push(UnknownLabel {
                mall_order_number: order.mall_order_number.clone(),
                kind: "delivery_method",
                label: d.delivery_method.clone(),
            });
        }
        d.time_slot = shop.time_slots.get(&d.desired_time_slot).cloned();
        if d.time_slot.is_none() && !shop.time_slots.is_empty() {
            unknown.push(UnknownLabel {
                mall_order_number: order.mall_order_number.clone(),
                kind: "time_slot",
                label: d.desired_time_slot.clone(),
            });
        }
    }
    unknown
}

/// Why an order is stored on hold (保留) instead of the shop's status, if it is: a mall that
/// registers shipping per order takes one parcel for the whole order, so an order with several
/// deliveries (複数配送) waits for staff to give each delivery its own tracking number. A mall
/// that ships per delivery (`shipping_per_delivery`) takes such orders as they are.
///
/// A plugin may ask for a hold in its words (contract 0.3.0), and an order the mall says is not
/// paid yet is held ([`crate::model::UNPAID_HOLD`]) until the status sync reads it paid.
pub fn hold_reason(order: &Order, shipping_per_delivery: bool) -> Option<String> {
    // The reasons staff must act on come first; the unpaid hold is the host's to lift, so it
    // is the reason only when nothing else holds the order (export refuses an unpaid order
    // whatever its status).
    if let Some(words) = &order.hold {
        return Some(format!("{}: {words}", crate::model::MALL_HOLD));
    }
    if order.flags.multiple_deliveries && !shipping_per_delivery {
        return Some(format!(
            "複数配送: {} deliveries in one order; give each delivery its own tracking number \
             before export",
            order.deliveries.len()
        ));
    }
    (order.payment == crate::model::PaymentState::Unpaid).then(|| {
        format!(
            "{}: the mall says the buyer has not paid yet ({}); released when the mall says \
             paid",
            crate::model::UNPAID_HOLD,
            order.payment_method
        )
    })
}

/// Orders ready to store, with their status decided.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Converted orders with the status each is stored in and its hold reason.
    pub orders: Vec<(Order, OrderStatus, Option<String>)>,
    /// Orders dropped as test-environment orders.
    pub test_orders: Vec<String>,
    /// Labels the conversion tables lack.
    pub unknown_labels: Vec<UnknownLabel>,
}

/// Decides what becomes of mapped orders before anything is stored: test orders are dropped,
/// the conversion tables applied, and each order given the shop's stored status or a hold.
pub fn prepare(shop: &ShopConfig, shipping_per_delivery: bool, mapped: Vec<Order>) -> Prepared {
    let mut out = Prepared::default();
    for mut o in mapped {
        if o.flags.test_order {
            out.test_orders.push(o.mall_order_number);
            continue;
        }
        out.unknown_labels.extend(convert(shop, &mut o));
        let hold = hold_reason(&o, shipping_per_delivery);
        let status = if hold.is_some() {
            OrderStatus::OnHold
        } else {
            shop.stored_status
        };
        out.orders.push((o, status, hold));
    }
    out
}

/// Stores prepared orders in one transaction with take state `take_state`; returns what was
/// stored (and the labels and holds decided on the way).
///
/// Orders that need taking (`TakeState::Pending`) come from the mall's list of new orders
/// (受注確認待ち): one stored and taken before that the mall lists as new again had a take that
/// did not hold on the mall, so it is marked to be taken again. Orders from a file are left
/// as they are.
pub async fn ingest(
    store: &Store,
    shop: &ShopConfig,
    prepared: Prepared,
    take_state: TakeState,
    now: DateTime<Utc>,
) -> Result<Ingested, StoreError> {
    let new: Vec<NewOrder<'_>> = prepared
        .orders
        .iter()
        .map(|(order, status, hold)| NewOrder {
            order,
            status: *status,
            hold_reason: hold.as_deref(),
        })
        .collect();
    let when_stored = if take_state == TakeState::Pending {
        WhenStored::TakeAgain
    } else {
        WhenStored::Leave
    };
    let mut store_failed = Vec::new();
    let outcome = match store
        .store_orders(&shop.id, &shop.mall, &new, take_state, when_stored, now)
        .await
    {
        Ok(o) => o,
        // One bad order must not stop the page: store each alone, naming the one refused.
        Err(StoreError::Query(batch)) => {
            tracing::warn!(
                shop = %shop.id,
                "storing {} orders together failed ({batch}); storing them one by one",
                new.len()
            );
            let mut all = crate::store::StoreOutcome::default();
            for one in &new {
                match store
                    .store_orders(
                        &shop.id,
                        &shop.mall,
                        std::slice::from_ref(one),
                        take_state,
                        when_stored,
                        now,
                    )
                    .await
                {
                    Ok(o) => {
                        all.inserted.extend(o.inserted);
                        all.existing.extend(o.existing);
                    }
                    Err(e) => store_failed.push(OrderNote::new(
                        one.order.mall_order_number.clone(),
                        format!(
                            "the database refused order {}: {e}",
                            one.order.mall_order_number
                        ),
                    )),
                }
            }
            all
        }
        Err(e) => return Err(e),
    };
    let inserted: std::collections::HashSet<&str> =
        outcome.inserted.iter().map(String::as_str).collect();
    let held = prepared
        .orders
        .iter()
        .filter(|(o, _, _)| inserted.contains(o.mall_order_number.as_str()))
        .filter_map(|(o, _, hold)| {
            hold.as_ref()
                .map(|h| OrderNote::new(o.mall_order_number.clone(), h.clone()))
        })
        .collect();
    Ok(Ingested {
        stored: outcome.inserted,
        already_stored: outcome.existing,
        held,
        unknown_labels: prepared.unknown_labels,
        store_failed,
    })
}

impl Ingested {
    /// Adds another batch's results.
    pub fn extend(&mut self, other: Ingested) {
        self.stored.extend(other.stored);
        self.already_stored.extend(other.already_stored);
        self.held.extend(other.held);
        self.unknown_labels.extend(other.unknown_labels);
        self.store_failed.extend(other.store_failed);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::config::Config;
    use crate::model::{Address, Amounts, Delivery, OrderFlags, OrderLine, OrderSource};

    fn shop() -> ShopConfig {
        let toml = r#"
            [[shops]]
            id = "s"
            mall = "m"
            base_url = "https://api.mall.example/"
            partner_code = "P1"
            api_password = "pw"
            stored_status = "awaiting_shipment"
            [shops.delivery_methods]
            "宅配便" = "yamato"
            [shops.time_slots]
            "午前中" = "am"
            [shops.carrier_ids]
            yamato = "01"
        "#;
        let c = Config::parse(toml, Path::new("/tmp"), &|_| None).expect("valid");
        c.shops[0].clone()
    }

    fn delivery(no: u32, method: &str, slot: &str) -> Delivery {
        Delivery {
            delivery_no: no,
            mall_delivery_id: None,
            recipient: Address::default(),
            delivery_method: method.into(),
            carrier: None,
            desired_date: None,
            desired_time_slot: slot.into(),
            time_slot: None,
            lines: vec![OrderLine {
                line_no: 1,
                item_code: "I".into(),
                sku_code: "S".into(),
                quantity: 1,
                unit_price: 100,
                tax_rate: 10,
                has_add_on_service: false,
                product_name: None,
                option_text: None,
                jan: None,
            }],
            gift_message: None,
        }
    }

    fn order(n: &str, deliveries: Vec<Delivery>) -> Order {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 3, 0, 0).unwrap();
        Order {
            mall_order_number: n.into(),
            ordered_at: at,
            mall_updated_at: at,
            mall_status: "NEW".into(),
            payment_method: "CARD".into(),
            buyer: Address::default(),
            flags: OrderFlags {
                multiple_deliveries: deliveries.len() > 1,
                ..OrderFlags::default()
            },
            deliveries,
            amounts: Amounts::default(),
            fees: vec![],
            discounts: vec![],
            prices_include_tax: true,
            buyer_email: None,
            marks: vec![],
            buyer_note: String::new(),
            source: OrderSource::Api,
            hold: None,
            payment: crate::model::PaymentState::Paid,
        }
    }

    #[test]
    fn conversion_tables_fill_carrier_and_slot_and_name_what_they_lack() {
        let mut o = order("A", vec![delivery(1, "チルド便", "午前中")]);
        let unknown = convert(&shop(), &mut o);
        assert_eq!(o.deliveries[0].carrier, None);
        assert_eq!(o.deliveries[0].time_slot.as_deref(), Some("am"));
        assert_eq!(
            unknown,
            vec![UnknownLabel {
                mall_order_number: "A".into(),
                kind: "delivery_method",
                label: "チルド便".into()
            }]
        );
        let mut o = order("B", vec![delivery(1, "宅配便", "夜間")]);
        let unknown = convert(&shop(), &mut o);
        assert_eq!(o.deliveries[0].carrier.as_deref(), Some("yamato"));
        assert_eq!(unknown[0].kind, "time_slot");
    }

    #[test]
    fn an_order_with_several_deliveries_is_held_the_rest_take_the_shops_status() {
        let one = order("ONE", vec![delivery(1, "宅配便", "午前中")]);
        let two = order(
            "TWO",
            vec![
                delivery(1, "宅配便", "午前中"),
                delivery(2, "宅配便", "午前中"),
            ],
        );
        assert_eq!(hold_reason(&one, false), None);
        assert!(hold_reason(&two, false).is_some_and(|r| r.contains("2 deliveries")));
        assert_eq!(hold_reason(&two, true), None, "the mall ships per delivery");
        // The plugin's hold in its words, and an unpaid order, are held whatever the mall.
        let asked = Order {
            hold: Some("審査中".into()),
            ..one.clone()
        };
        assert_eq!(
            hold_reason(&asked, true).as_deref(),
            Some("モールの保留: 審査中")
        );
        let unpaid = Order {
            payment: crate::model::PaymentState::Unpaid,
            payment_method: "BANK".into(),
            ..one.clone()
        };
        let why = hold_reason(&unpaid, true).unwrap_or_default();
        assert!(
            why.starts_with(crate::model::UNPAID_HOLD) && why.contains("BANK"),
            "{why}"
        );
        // Several deliveries and unpaid: held for the deliveries (staff's to lift); the export
        // still refuses it until the mall says paid.
        let both = Order {
            payment: crate::model::PaymentState::Unpaid,
            ..two.clone()
        };
        assert!(hold_reason(&both, false).is_some_and(|r| r.starts_with("複数配送")));
        let on_delivery = Order {
            payment: crate::model::PaymentState::OnDelivery,
            ..one.clone()
        };
        assert_eq!(hold_reason(&on_delivery, true), None);
        let p = prepare(&shop(), false, vec![one, two]);
        let statuses: Vec<_> = p
            .orders
            .iter()
            .map(|(o, s, h)| (o.mall_order_number.as_str(), *s, h.is_some()))
            .collect();
        assert_eq!(
            statuses,
            vec![
                ("ONE", OrderStatus::AwaitingShipment, false),
                ("TWO", OrderStatus::OnHold, true)
            ]
        );
    }

    #[test]
    fn a_test_order_a_plugin_let_through_is_dropped_by_the_host() {
        // Defence in depth: the plugin should have left it out; the host never stores it.
        let mut t = order("TEST", vec![delivery(1, "宅配便", "午前中")]);
        t.flags.test_order = true;
        let real = order("REAL", vec![delivery(1, "宅配便", "午前中")]);
        let p = prepare(&shop(), false, vec![t, real]);
        assert_eq!(p.test_orders, vec!["TEST".to_string()]);
        assert_eq!(p.orders.len(), 1);
        assert_eq!(p.orders[0].0.mall_order_number, "REAL");
    }
}
