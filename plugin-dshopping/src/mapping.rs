//! d Shopping order records → the canonical order of the contract. Pure: no request, no clock.
//! Checks what the host relies on (dates, tax rates, amounts adding up) and names the order and
//! field of anything wrong.

use crate::{time, wire};
use connector_kit::money;
use connector_kit::types::{
    Address, ConnectorError, Delivery, DiscountKind, FeeKind, FieldError, Order, OrderFlag,
    OrderLine, OrderSource, RawOrder,
};

/// Flag codes the host acts on.
pub const TEST_ORDER: &str = "test-order";
/// An add-on service (付加サービス) is attached; the mall does not say which.
pub const ADD_ON_SERVICE: &str = "add-on-service";

/// d Shopping's money summary of an order, as the API and the CSV give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// Σ quantity × unit price.
    pub items_total: i64,
    /// 送料.
    pub shipping_fee: i64,
    /// 代引手数料.
    pub cod_fee: i64,
    /// ポイント利用額.
    pub points_used: i64,
    /// クーポン値引額.
    pub coupon_discount: i64,
    /// 請求金額.
    pub billing_total: i64,
}

/// Maps one raw record to the canonical order.
pub fn map_order(raw: &RawOrder) -> Result<Order, ConnectorError> {
    match raw.source {
        OrderSource::Api => map_api(&raw.mall_order_number, &raw.body),
        OrderSource::Csv => crate::csv_orders::map_csv(&raw.mall_order_number, &raw.body),
    }
}

/// Whether an order carries a flag code.
pub fn has_flag(order: &Order, code: &str) -> bool {
    order.flags.iter().any(|f| f.code == code)
}

fn flag(code: &str, message: &str) -> OrderFlag {
    OrderFlag {
        code: code.into(),
        message: message.into(),
    }
}

/// An invalid-input error that names the order and the field.
pub(crate) fn invalid(order: &str, field: &str, message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::InvalidInput(FieldError {
        field: field.to_string(),
        message: format!("order {order}: {message}"),
    })
}

fn map_api(number: &str, body: &str) -> Result<Order, ConnectorError> {
    let o: wire::Order = serde_json::from_str(body).map_err(|e| {
        invalid(
            number,
            "order",
            format!("not a d Shopping order record: {e}"),
        )
    })?;
    map_wire(o)
}

/// Maps an order record of the API (already parsed) to the canonical order.
pub fn map_wire(o: wire::Order) -> Result<Order, ConnectorError> {
    let n = o.order_number.as_str();
    let ordered_at = time::parse_instant(&o.ordered_at).ok_or_else(|| {
        invalid(
            n,
            "orderedAt",
            format!("{:?} is not an ISO 8601 instant", o.ordered_at),
        )
    })?;
    let updated_at = time::parse_instant(&o.updated_at).ok_or_else(|| {
        invalid(
            n,
            "updatedAt",
            format!("{:?} is not an ISO 8601 instant", o.updated_at),
        )
    })?;
    let deliveries = o
        .deliveries
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let desired_date = match &d.desired_date {
                None => None,
                Some(s) if s.is_empty() => None,
                Some(s) => Some(time::parse_date(s).ok_or_else(|| {
                    invalid(
                        n,
                        &format!("deliveries[{i}].desiredDate"),
                        format!("{s:?} is not a YYYY-MM-DD date"),
                    )
                })?),
            };
            Ok(Delivery {
                delivery_no: d.delivery_no,
                mall_delivery_id: None,
                recipient: address(d.recipient),
                delivery_method: d.delivery_method,
                desired_date,
                desired_time_slot: d.desired_time_slot,
                lines: d
                    .items
                    .into_iter()
                    .map(|it| OrderLine {
                        line_no: it.line_no,
                        item_code: it.item_code,
                        sku_code: it.sku_code,
                        quantity: it.quantity,
                        unit_price: it.unit_price,
                        tax_rate: it.tax_rate,
                        has_add_on_service: it.has_add_on_service,
                        // Names come from the merchant's product master; options are not given.
                        product_name: None,
                        option_text: None,
                        jan: None,
                    })
                    .collect(),
                gift_message: None,
            })
        })
        .collect::<Result<Vec<_>, ConnectorError>>()?;
    let a = o.amounts;
    let money = Money {
        items_total: a.items_total,
        shipping_fee: a.shipping_fee,
        cod_fee: a.cod_fee,
        points_used: a.points_used,
        coupon_discount: a.coupon_discount,
        billing_total: a.billing_total,
    };
    let mut order = Order {
        mall_order_number: o.order_number.clone(),
        ordered_at,
        updated_at,
        mall_status: o.status,
        payment: crate::wire::payment_state(&o.payment_method),
        payment_method: o.payment_method,
        buyer: address(o.orderer),
        // d Shopping gives no buyer e-mail address.
        buyer_email: None,
        deliveries,
        prices_include_tax: true,
        items_total: 0,
        fees: Vec::new(),
        discounts: Vec::new(),
        billing_total: 0,
        buyer_note: o.buyer_note.unwrap_or_default(),
        flags: Vec::new(),
        source: OrderSource::Api,
        hold: None,
    };
    if o.test_order {
        order.flags.push(flag(
            TEST_ORDER,
            "placed in the verification environment (検証環境)",
        ));
    }
    check(order, money)
}

fn address(p: wire::Person) -> Address {
    Address {
        name: p.name,
        name_kana: p.name_kana.unwrap_or_default(),
        postal_code: p.postal_code,
        prefecture: p.prefecture,
        address1: p.address1,
        address2: p.address2.unwrap_or_default(),
        phone: p.phone,
        company: String::new(),
        department: String::new(),
    }
}

/// Sets the derived flags and money lists, and checks the invariants every source must meet.
pub(crate) fn check(mut order: Order, money: Money) -> Result<Order, ConnectorError> {
    let n = order.mall_order_number.clone();
    if n.is_empty() {
        return Err(invalid(
            "(no number)",
            "orderNumber",
            "the order number is empty",
        ));
    }
    if order.deliveries.is_empty() {
        return Err(invalid(&n, "deliveries", "the order has no delivery"));
    }
    let mut add_on = false;
    for (i, d) in order.deliveries.iter().enumerate() {
        if d.lines.is_empty() {
            return Err(invalid(
                &n,
                &format!("deliveries[{i}].items"),
                "a delivery has no item",
            ));
        }
        for (j, l) in d.lines.iter().enumerate() {
            let field = |f: &str| format!("deliveries[{i}].items[{j}].{f}");
            if l.quantity == 0 {
                return Err(invalid(
                    &n,
                    &field("quantity"),
                    "quantity must be at least 1",
                ));
            }
            if l.unit_price < 0 {
                return Err(invalid(
                    &n,
                    &field("unitPrice"),
                    "unit price must not be negative",
                ));
            }
            if l.tax_rate != 8 && l.tax_rate != 10 {
                return Err(invalid(
                    &n,
                    &field("taxRate"),
                    format!("tax rate {} is neither 10 nor 8 (reduced rate)", l.tax_rate),
                ));
            }
            if l.item_code.is_empty() {
                return Err(invalid(&n, &field("itemCode"), "the item code is empty"));
            }
            add_on |= l.has_add_on_service;
        }
    }
    let items_total = money::lines_total(order.deliveries.iter().flat_map(|d| &d.lines))
        .ok_or_else(|| invalid(&n, "deliveries", "the lines add up past any amount of yen"))?;
    if add_on {
        order.flags.push(flag(
            ADD_ON_SERVICE,
            "an add-on service (付加サービス) is attached; d Shopping does not say which",
        ));
    }
    let a = &money;
    if a.items_total != items_total {
        return Err(invalid(
            &n,
            "amounts.itemsTotal",
            format!(
                "itemsTotal is {} but the lines add up to {items_total}",
                a.items_total
            ),
        ));
    }
    let fees = money::fees(&[
        (FeeKind::Shipping, "送料", a.shipping_fee),
        (FeeKind::Cod, "代引手数料", a.cod_fee),
    ]);
    let discounts = money::discounts(&[
        (DiscountKind::Points, "ポイント利用", a.points_used),
        (DiscountKind::Coupon, "クーポン値引", a.coupon_discount),
    ]);
    let billing = money::billing_total(a.items_total, &fees, &discounts);
    if billing != Some(a.billing_total) {
        let billing = billing.map_or_else(|| "past any amount of yen".into(), |b| b.to_string());
        return Err(invalid(
            &n,
            "amounts.billingTotal",
            format!(
                "billingTotal is {} but itemsTotal + shippingFee + codFee − pointsUsed − \
                 couponDiscount is {billing}",
                a.billing_total
            ),
        ));
    }
    order.items_total = a.items_total;
    order.billing_total = a.billing_total;
    order.fees = fees;
    order.discounts = discounts;
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> serde_json::Value {
        serde_json::json!({
          "orderNumber": "DS2611280000123",
          "orderedAt": "2026-11-28T10:15:00+09:00",
          "updatedAt": "2026-11-28T10:16:00+09:00",
          "status": "ORDER_CONFIRM_WAIT",
          "testOrder": false,
          "paymentMethod": "CREDIT_CARD",
          "orderer": { "name": "山田 太郎", "nameKana": "ヤマダ タロウ", "postalCode": "1000001",
                       "prefecture": "東京都", "address1": "千代田区千代田1-1", "address2": "",
                       "phone": "0312345678" },
          "deliveries": [
            { "deliveryNo": 1,
              "recipient": { "name": "山田 花子", "nameKana": "ヤマダ ハナコ", "postalCode": "0600001",
                             "prefecture": "北海道", "address1": "札幌市中央区北1条西1", "address2": "101",
                             "phone": "0111234567" },
              "deliveryMethod": "宅配便",
              "desiredDate": "2026-12-01",
              "desiredTimeSlot": "14-16",
              "items": [
                { "lineNo": 1, "itemCode": "tea-set-01", "skuCode": "tea-set-01-red",
                  "quantity": 2, "unitPrice": 3300, "taxRate": 10, "hasAddOnService": false } ] } ],
          "amounts": { "itemsTotal": 6600, "shippingFee": 550, "codFee": 0, "pointsUsed": 100,
                       "couponDiscount": 0, "billingTotal": 7050 },
          "buyerNote": "不在の場合は宅配ボックスへ"
        })
    }

    fn raw(v: &serde_json::Value) -> RawOrder {
        RawOrder {
            mall_order_number: v["orderNumber"].as_str().unwrap_or("").to_string(),
            source: OrderSource::Api,
            body: v.to_string(),
        }
    }

    #[test]
    fn maps_every_field_of_the_spec_example() {
        let o = map_order(&raw(&sample())).unwrap();
        assert_eq!(o.mall_order_number, "DS2611280000123");
        assert_eq!(
            o.ordered_at,
            time::parse_instant("2026-11-28T01:15:00Z").unwrap()
        );
        assert_eq!(o.updated_at - o.ordered_at, 60);
        assert_eq!(o.buyer.name, "山田 太郎");
        assert_eq!(o.buyer.postal_code, "1000001");
        let d = &o.deliveries[0];
        assert_eq!(d.recipient.prefecture, "北海道");
        assert_eq!(d.recipient.postal_code, "0600001", "leading zero kept");
        assert_eq!(d.delivery_method, "宅配便");
        assert_eq!(d.desired_time_slot, "14-16");
        let date = d.desired_date.unwrap();
        assert_eq!((date.year, date.month, date.day), (2026, 12, 1));
        assert_eq!(d.lines[0].sku_code, "tea-set-01-red");
        assert_eq!(d.lines[0].quantity, 2);
        assert_eq!(o.billing_total, 7050);
        assert_eq!(o.items_total, 6600);
        let fees: Vec<_> = o
            .fees
            .iter()
            .map(|f| (f.label.as_str(), f.amount))
            .collect();
        assert_eq!(fees, vec![("送料", 550)], "no COD fee: none listed");
        let off: Vec<_> = o
            .discounts
            .iter()
            .map(|d| (d.label.as_str(), d.amount))
            .collect();
        assert_eq!(off, vec![("ポイント利用", 100)]);
        assert!(o.buyer_email.is_none(), "d Shopping gives none");
        assert_eq!(o.buyer_note, "不在の場合は宅配ボックスへ");
        assert!(o.flags.is_empty());
        assert_eq!(o.payment_method, "CREDIT_CARD");
    }

    #[test]
    fn flags_multiple_deliveries_add_ons_and_test_orders() {
        let mut v = sample();
        let mut second = v["deliveries"][0].clone();
        second["deliveryNo"] = 2.into();
        second["items"][0]["lineNo"] = 2.into();
        second["items"][0]["hasAddOnService"] = true.into();
        v["deliveries"].as_array_mut().unwrap().push(second);
        v["amounts"]["itemsTotal"] = 13200.into();
        v["amounts"]["billingTotal"] = 13650.into();
        v["testOrder"] = true.into();
        let o = map_order(&raw(&v)).unwrap();
        assert_eq!(
            o.deliveries.len(),
            2,
            "several deliveries: the host holds it"
        );
        assert!(has_flag(&o, ADD_ON_SERVICE));
        assert!(has_flag(&o, TEST_ORDER));
        assert_eq!(o.deliveries.len(), 2);
    }

    #[test]
    fn no_desired_date_is_none() {
        let mut v = sample();
        v["deliveries"][0]["desiredDate"] = serde_json::Value::Null;
        v["deliveries"][0]["desiredTimeSlot"] = "指定なし".into();
        let o = map_order(&raw(&v)).unwrap();
        assert!(o.deliveries[0].desired_date.is_none());
        assert_eq!(o.deliveries[0].desired_time_slot, "指定なし");
    }

    fn field_of(e: ConnectorError) -> (String, String) {
        match e {
            ConnectorError::InvalidInput(f) => (f.field, f.message),
            other => panic!("expected invalid-input, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_order_and_the_field() {
        let mut v = sample();
        v["deliveries"][0]["items"][0]["taxRate"] = 5.into();
        let (field, msg) = field_of(map_order(&raw(&v)).unwrap_err());
        assert_eq!(field, "deliveries[0].items[0].taxRate");
        assert!(msg.contains("DS2611280000123"), "{msg}");

        let mut v = sample();
        v["amounts"]["billingTotal"] = 7000.into();
        let (field, _) = field_of(map_order(&raw(&v)).unwrap_err());
        assert_eq!(field, "amounts.billingTotal");

        let mut v = sample();
        v["deliveries"][0]["desiredDate"] = "12/01".into();
        let (field, _) = field_of(map_order(&raw(&v)).unwrap_err());
        assert_eq!(field, "deliveries[0].desiredDate");

        let mut v = sample();
        v["orderedAt"] = "yesterday".into();
        let (field, _) = field_of(map_order(&raw(&v)).unwrap_err());
        assert_eq!(field, "orderedAt");

        let mut v = sample();
        v.as_object_mut().unwrap().remove("amounts");
        let (field, msg) = field_of(map_order(&raw(&v)).unwrap_err());
        assert_eq!(field, "order");
        assert!(msg.contains("amounts"), "{msg}");

        let mut v = sample();
        v["deliveries"] = serde_json::json!([]);
        let (field, _) = field_of(map_order(&raw(&v)).unwrap_err());
        assert_eq!(field, "deliveries");
    }
}
