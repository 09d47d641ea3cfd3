//! d Shopping order records → the canonical order of the contract. Pure: no request, no clock.
//! Checks what the host relies on (dates, tax rates, amounts adding up) and names the order and
//! field of anything wrong.

use crate::bindings::mallhost::connector::types::{
    Address, Amounts, ConnectorError, Delivery, FieldError, Order, OrderFlags, OrderLine,
    OrderSource, RawOrder,
};
use crate::{time, wire};

/// Maps one raw record to the canonical order.
pub fn map_order(raw: &RawOrder) -> Result<Order, ConnectorError> {
    match raw.source {
        OrderSource::Api => map_api(&raw.mall_order_number, &raw.body),
        OrderSource::Csv => crate::csv_orders::map_csv(&raw.mall_order_number, &raw.body),
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
                    })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, ConnectorError>>()?;
    let a = o.amounts;
    let order = Order {
        mall_order_number: o.order_number.clone(),
        ordered_at,
        updated_at,
        mall_status: o.status,
        payment_method: o.payment_method,
        buyer: address(o.orderer),
        deliveries,
        amounts: Amounts {
            items_total: a.items_total,
            shipping_fee: a.shipping_fee,
            cod_fee: a.cod_fee,
            points_used: a.points_used,
            coupon_discount: a.coupon_discount,
            billing_total: a.billing_total,
        },
        buyer_note: o.buyer_note.unwrap_or_default(),
        flags: OrderFlags::NO_BUYER_EMAIL,
        source: OrderSource::Api,
    };
    let mut order = order;
    if o.test_order {
        order.flags.insert(OrderFlags::TEST_ORDER);
    }
    check(order)
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
    }
}

/// Sets the derived flags and checks the invariants every source must meet.
pub(crate) fn check(mut order: Order) -> Result<Order, ConnectorError> {
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
    if order.deliveries.len() > 1 {
        order.flags.insert(OrderFlags::MULTIPLE_DELIVERIES);
    }
    let mut items_total: i64 = 0;
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
            if l.has_add_on_service {
                order.flags.insert(OrderFlags::ADD_ON_SERVICE);
            }
            items_total =
                items_total.saturating_add(l.unit_price.saturating_mul(i64::from(l.quantity)));
        }
    }
    let a = &order.amounts;
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
    let billing = a.items_total + a.shipping_fee + a.cod_fee - a.points_used - a.coupon_discount;
    if a.billing_total != billing {
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
    Ok(order)
}
