//! A TinyMall order → the canonical order.

use connector_kit::money;
use connector_kit::types::{
    Address, ConnectorError, Delivery, FeeKind, FieldError, Order, OrderLine, OrderSource,
};

use crate::wire;

fn invalid(field: &str, message: String) -> ConnectorError {
    ConnectorError::InvalidInput(FieldError {
        field: field.into(),
        message,
    })
}

/// Maps one order's JSON.
pub fn map_json(body: &str) -> Result<Order, ConnectorError> {
    let o: wire::Order = serde_json::from_str(body)
        .map_err(|e| invalid("order", format!("not a TinyMall order: {e}")))?;
    map(o)
}

/// Maps one order.
pub fn map(o: wire::Order) -> Result<Order, ConnectorError> {
    let person = Address {
        name: o.buyer,
        name_kana: String::new(),
        postal_code: o.zip,
        prefecture: o.pref,
        address1: o.addr,
        address2: String::new(),
        phone: o.tel,
        company: String::new(),
        department: String::new(),
    };
    let lines: Vec<OrderLine> = o
        .lines
        .into_iter()
        .zip(1..)
        .map(|(l, line_no)| OrderLine {
            line_no,
            item_code: l.sku.clone(),
            sku_code: l.sku,
            product_name: Some(l.name),
            option_text: None,
            quantity: l.qty,
            unit_price: l.price,
            tax_rate: 10,
            has_add_on_service: false,
            jan: None,
        })
        .collect();
    let items_total = money::lines_total(&lines)
        .ok_or_else(|| invalid("lines", "the lines add up past any amount".into()))?;
    let fees = money::fees(&[(FeeKind::Shipping, "送料", o.shipping)]);
    if money::billing_total(items_total, &fees, &[]) != Some(o.total) {
        return Err(invalid(
            "total",
            format!(
                "{} is not the lines {items_total} + shipping {}",
                o.total, o.shipping
            ),
        ));
    }
    Ok(Order {
        mall_order_number: o.id,
        ordered_at: o.placed,
        updated_at: o.placed,
        mall_status: "new".into(),
        payment_method: "card".into(),
        buyer: person.clone(),
        buyer_email: None,
        deliveries: vec![Delivery {
            delivery_no: 1,
            mall_delivery_id: None,
            recipient: person,
            delivery_method: "宅配便".into(),
            desired_date: None,
            desired_time_slot: String::new(),
            lines,
            gift_message: None,
        }],
        items_total,
        fees,
        discounts: Vec::new(),
        billing_total: o.total,
        prices_include_tax: true,
        buyer_note: String::new(),
        flags: Vec::new(),
        source: OrderSource::Api,
        hold: None,
        payment: connector_kit::types::PaymentState::Paid,
    })
}
