//! Rakuten order models → the canonical order of the contract. Pure: no request, no clock.
//! Keeps what Rakuten gives (product names, option texts and のし, the relay e-mail, fees,
//! points and coupons, baskets as deliveries with their basket ids) and checks what the host
//! relies on, naming the order and the field of anything wrong.

use crate::{time, wire};
use connector_kit::v0_2_0::money;
use connector_kit::v0_2_0::types::{
    Address, ConnectorError, Delivery, Discount, DiscountKind, Email, Fee, FeeKind, FieldError,
    Order, OrderFlag, OrderLine, OrderSource,
};

/// Flag code of an order with a gift service (のし, ラッピング); shown to staff.
pub const GIFT: &str = "gift";

/// The mail domain of Rakuten's relay addresses (forward to the buyer).
pub const RELAY_DOMAIN: &str = "rakuten.ne.jp";

/// An invalid-input error that names the order and the field.
pub(crate) fn invalid(order: &str, field: &str, message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::InvalidInput(FieldError {
        field: field.to_string(),
        message: format!("order {order}: {message}"),
    })
}

/// Maps one order model, as `getOrder` returned it (its JSON text), to the canonical order;
/// `number` names it in errors when the model itself cannot be read.
pub fn map_json(number: &str, json: &str) -> Result<Order, ConnectorError> {
    let o: wire::Order = serde_json::from_str(json)
        .map_err(|e| invalid(number, "order", format!("not a Rakuten order model: {e}")))?;
    map_wire(o)
}

/// [`map_json`] of a JSON value (tests, and records handed to `map-orders`).
pub fn map_value(value: serde_json::Value) -> Result<Order, ConnectorError> {
    let number = value
        .get("orderNumber")
        .and_then(|v| v.as_str())
        .unwrap_or("(no number)")
        .to_string();
    map_json(&number, &value.to_string())
}

/// The desired time slot of `shippingTerm`: 0 none (指定なし), 1 午前中, `hhHH` a range
/// (1416 → `14-16`).
pub fn time_slot(term: i64) -> Option<String> {
    match term {
        0 => Some("指定なし".into()),
        1 => Some("午前中".into()),
        t if (100..=2424).contains(&t) => {
            let (from, to) = (t / 100, t % 100);
            (from < to && to <= 24).then(|| format!("{from}-{to}"))
        }
        _ => None,
    }
}

/// Maps a parsed order model.
pub fn map_wire(o: wire::Order) -> Result<Order, ConnectorError> {
    let n = o.order_number.clone();
    let n = n.as_str();
    if n.is_empty() {
        return Err(invalid(
            "(no number)",
            "orderNumber",
            "the order number is empty",
        ));
    }
    let ordered_at = time::parse_instant(&o.order_datetime).ok_or_else(|| {
        invalid(
            n,
            "orderDatetime",
            format!("{:?} is not yyyy-MM-ddTHH:mm:ss+0900", o.order_datetime),
        )
    })?;
    let updated_at = match &o.update_datetime {
        Some(s) if !s.is_empty() => time::parse_instant(s).ok_or_else(|| {
            invalid(
                n,
                "updateDatetime",
                format!("{s:?} is not yyyy-MM-ddTHH:mm:ss+0900"),
            )
        })?,
        _ => ordered_at,
    };
    let desired_date = match o.delivery_date.as_deref() {
        None | Some("") => None,
        Some(s) => Some(time::parse_date(s).ok_or_else(|| {
            invalid(n, "deliveryDate", format!("{s:?} is not a yyyy-MM-dd date"))
        })?),
    };
    let term = o.shipping_term.unwrap_or(0);
    let slot = time_slot(term).ok_or_else(|| {
        invalid(
            n,
            "shippingTerm",
            format!("{term} is not 0, 1 or a time range hhHH (e.g. 1416 for 14-16時)"),
        )
    })?;
    let method = o
        .delivery
        .as_ref()
        .map(|d| d.delivery_name.clone())
        .unwrap_or_default();
    if o.packages.is_empty() {
        return Err(invalid(n, "PackageModelList", "the order has no basket"));
    }

    let mut items_total: i64 = 0;
    let mut all_tax_included = true;
    let mut noshi_seen: Vec<String> = Vec::new();
    let mut deliveries = Vec::with_capacity(o.packages.len());
    for (i, p) in o.packages.into_iter().enumerate() {
        let noshi = p.noshi.filter(|s| !s.trim().is_empty());
        if let Some(ns) = &noshi
            && !noshi_seen.contains(ns)
        {
            noshi_seen.push(ns.clone());
        }
        if p.items.is_empty() {
            return Err(invalid(
                n,
                &format!("PackageModelList[{i}].ItemModelList"),
                "a basket has no item",
            ));
        }
        let mut lines = Vec::with_capacity(p.items.len());
        for (j, it) in p.items.into_iter().enumerate() {
            let field = |f: &str| format!("PackageModelList[{i}].ItemModelList[{j}].{f}");
            let quantity = u32::try_from(it.units)
                .ok()
                .filter(|q| *q >= 1)
                .ok_or_else(|| {
                    invalid(
                        n,
                        &field("units"),
                        format!("{} is not a quantity of at least 1", it.units),
                    )
                })?;
            if it.price < 0 {
                return Err(invalid(
                    n,
                    &field("price"),
                    format!("{} yen is negative", it.price),
                ));
            }
            let percent = (it.tax_rate * 100.0).round();
            let tax_rate = match percent as i64 {
                10 => 10u8,
                8 => 8u8,
                _ => {
                    return Err(invalid(
                        n,
                        &field("taxRate"),
                        format!("{} is not 0.1 or 0.08", it.tax_rate),
                    ));
                }
            };
            all_tax_included &= it.include_tax_flag == 1;
            items_total += it.price * i64::from(quantity);
            let sku = it
                .skus
                .first()
                .and_then(|s| s.merchant_defined_sku_id.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| it.item_number.clone());
            let mut options: Vec<String> = Vec::new();
            if let Some(c) = it.selected_choice.filter(|c| !c.trim().is_empty()) {
                options.push(c);
            }
            if let Some(info) = it
                .skus
                .first()
                .and_then(|s| s.sku_info.clone())
                .filter(|s| !s.trim().is_empty())
                && !options.iter().any(|o| o.contains(&info))
            {
                options.push(info);
            }
            if let Some(ns) = &noshi
                && !options.iter().any(|o| o.contains(ns.as_str()))
            {
                options.push(format!("のし:{ns}"));
            }
            lines.push(OrderLine {
                line_no: u32::try_from(j + 1).unwrap_or(u32::MAX),
                item_code: it.manage_number,
                sku_code: sku,
                product_name: Some(it.item_name).filter(|s| !s.trim().is_empty()),
                option_text: (!options.is_empty()).then(|| options.join("\n")),
                quantity,
                unit_price: it.price,
                tax_rate,
                has_add_on_service: false,
            });
        }
        deliveries.push(Delivery {
            delivery_no: u32::try_from(i + 1).unwrap_or(u32::MAX),
            mall_delivery_id: Some(p.basket_id.to_string()),
            recipient: address(&p.sender),
            delivery_method: method.clone(),
            desired_date,
            desired_time_slot: slot.clone(),
            lines,
        });
    }
    if items_total != o.goods_price {
        return Err(invalid(
            n,
            "goodsPrice",
            format!(
                "{} yen is not the sum of the items' price × units ({items_total} yen)",
                o.goods_price
            ),
        ));
    }

    let mut fees = Vec::new();
    let mut fee = |kind, label: &str, amount: i64| {
        if amount != 0 {
            fees.push(Fee {
                kind,
                label: label.into(),
                amount,
            });
        }
    };
    fee(FeeKind::Shipping, "送料", o.postage_price);
    fee(FeeKind::Cod, "代引手数料", o.delivery_price);
    fee(FeeKind::Payment, "決済手数料", o.payment_charge);
    let mut discounts = Vec::new();
    let used_points = o.point.as_ref().map_or(0, |p| p.used_point);
    if used_points != 0 {
        discounts.push(Discount {
            kind: DiscountKind::Points,
            label: "楽天ポイント利用".into(),
            amount: used_points,
        });
    }
    if o.coupon_all_total_price != 0 {
        discounts.push(Discount {
            kind: DiscountKind::Coupon,
            label: "クーポン利用".into(),
            amount: o.coupon_all_total_price,
        });
    }
    let sum = |fees: &[Fee]| money::billing_total(items_total, fees, &discounts);
    // Wrapping is a fee on top, unless the sums show it inside the item price (an option such as
    // "ラッピング:希望する(+330円)" raises the price): then it is shown, not added twice.
    let wrappings: Vec<&wire::Wrapping> = [&o.wrapping1, &o.wrapping2]
        .into_iter()
        .flatten()
        .filter(|w| w.price != 0)
        .collect();
    let mut flags = Vec::new();
    let mut with_wrapping = fees.clone();
    for w in &wrappings {
        let label = if w.name.is_empty() {
            "ラッピング"
        } else {
            &w.name
        };
        with_wrapping.push(Fee {
            kind: FeeKind::Wrapping,
            label: label.into(),
            amount: w.price,
        });
    }
    let fees = if sum(&with_wrapping) == Some(o.request_price) || wrappings.is_empty() {
        with_wrapping
    } else if sum(&fees) == Some(o.request_price) {
        for w in &wrappings {
            flags.push(OrderFlag {
                code: GIFT.into(),
                message: format!("{} ({} yen, in the item price)", w.name, w.price),
            });
        }
        fees
    } else {
        with_wrapping
    };
    if sum(&fees) != Some(o.request_price) {
        let total = |amounts: Vec<i64>| {
            money::sum(amounts).map_or_else(|| "past any amount".into(), |t| t.to_string())
        };
        return Err(invalid(
            n,
            "requestPrice",
            format!(
                "{} yen is not goodsPrice {items_total} + fees {} − points and coupons {}",
                o.request_price,
                total(fees.iter().map(|f| f.amount).collect()),
                total(discounts.iter().map(|d| d.amount).collect())
            ),
        ));
    }
    for ns in noshi_seen {
        flags.push(OrderFlag {
            code: GIFT.into(),
            message: format!("のし: {ns}"),
        });
    }

    let buyer_email = o
        .orderer
        .email_address
        .as_ref()
        .filter(|a| !a.trim().is_empty())
        .map(|a| Email {
            address: a.clone(),
            relay: a.rsplit_once('@').is_some_and(|(_, domain)| {
                domain == RELAY_DOMAIN || domain.ends_with(".rakuten.ne.jp")
            }),
        });
    Ok(Order {
        mall_order_number: n.to_string(),
        ordered_at,
        updated_at,
        mall_status: o.order_progress.to_string(),
        payment_method: o
            .settlement
            .map(|s| s.settlement_method)
            .unwrap_or_default(),
        buyer: address(&o.orderer),
        buyer_email,
        deliveries,
        prices_include_tax: all_tax_included,
        items_total,
        fees,
        discounts,
        billing_total: o.request_price,
        buyer_note: o.remarks.unwrap_or_default(),
        flags,
        source: OrderSource::Api,
    })
}

fn joined(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

fn address(p: &wire::Person) -> Address {
    Address {
        name: joined(&[&p.family_name, &p.first_name], " "),
        name_kana: joined(&[&p.family_name_kana, &p.first_name_kana], " "),
        postal_code: joined(&[&p.zip_code1, &p.zip_code2], "-"),
        prefecture: p.prefecture.clone(),
        // Rakuten's subAddress is the street and building after the city: one line here.
        address1: format!("{}{}", p.city, p.sub_address),
        address2: String::new(),
        phone: joined(&[&p.phone_number1, &p.phone_number2, &p.phone_number3], "-"),
    }
}

#[cfg(test)]
mod tests;
