//! The order list and one order in full, as text.

use mallhost::store::{OrderDetail, OrderSummary};
use mallhost::time::display_jst;

use super::{Format, json, pad, print_or_json, yen};

pub fn order_list_text(list: &[OrderSummary]) -> String {
    if list.is_empty() {
        return "no orders\n".into();
    }
    let mut s = format!(
        "{} {} {} {} {:>10} {} {} notes\n",
        pad("shop", 8),
        pad("order", 17),
        pad("ordered (JST)", 16),
        pad("status", 10),
        "total",
        pad("buyer", 16),
        pad("carrier", 10)
    );
    for o in list {
        let mut notes = Vec::new();
        if o.take_state == mallhost::model::TakeState::Pending {
            notes.push("take pending".to_string());
        }
        if let Some(t) = &o.tracking_number {
            notes.push(format!("tracking {t}"));
        }
        if o.lines_missing_name > 0 {
            notes.push(format!(
                "{} line(s) without product name",
                o.lines_missing_name
            ));
        }
        if let Some(h) = &o.hold_reason {
            notes.push(h.chars().take(40).collect());
        }
        s.push_str(&format!(
            "{} {} {} {} {:>10} {} {} {}\n",
            pad(&o.shop_id, 8),
            pad(&o.mall_order_number, 17),
            pad(display_jst(o.ordered_at).trim_end_matches(" JST"), 16),
            pad(o.status_label, 10),
            yen(o.billing_total),
            pad(&o.buyer_name, 16),
            pad(o.carrier.as_deref().unwrap_or("-"), 10),
            notes.join("; ")
        ));
    }
    s
}

pub fn order_list(list: &[OrderSummary], f: Format) -> anyhow::Result<()> {
    print_or_json(list, f, || order_list_text(list))
}

pub fn order_detail(d: &OrderDetail, f: Format) -> anyhow::Result<()> {
    if f == Format::Json {
        return json(d);
    }
    let o = &d.order;
    let s = &d.summary;
    println!(
        "order {} (shop {}) — {} [{}]",
        o.mall_order_number, s.shop_id, s.status_label, s.status
    );
    if let Some(h) = &s.hold_reason {
        println!("  on hold: {h}");
    }
    println!(
        "  ordered {}, payment {}, mall status {}",
        display_jst(o.ordered_at),
        o.payment_method,
        o.mall_status
    );
    println!(
        "  buyer: {} ({}) 〒{} {}{} {}",
        o.buyer.name,
        o.buyer.phone,
        o.buyer.postal_code,
        o.buyer.prefecture,
        o.buyer.address1,
        o.buyer.address2
    );
    if o.flags.no_buyer_email {
        println!("  the mall gives no buyer e-mail address: nothing can be mailed to the buyer");
    }
    if o.flags.add_on_service {
        println!("  has an add-on service (付加サービス) whose content the mall does not return");
    }
    for dl in &o.deliveries {
        println!(
            "  delivery {} to {} 〒{} {}{} {} — {} → carrier {}, date {}, time {} → {}",
            dl.delivery_no,
            dl.recipient.name,
            dl.recipient.postal_code,
            dl.recipient.prefecture,
            dl.recipient.address1,
            dl.recipient.address2,
            dl.delivery_method,
            dl.carrier.as_deref().unwrap_or("(not converted)"),
            dl.desired_date
                .map(|d| d.to_string())
                .unwrap_or_else(|| "none".into()),
            dl.desired_time_slot,
            dl.time_slot.as_deref().unwrap_or("(not converted)")
        );
        for l in &dl.lines {
            println!(
                "    {} × {} {} ({}/{}) {} {}%{}",
                l.quantity,
                l.product_name.as_deref().unwrap_or("[name missing]"),
                yen(l.unit_price),
                l.item_code,
                l.sku_code,
                yen(l.unit_price * i64::from(l.quantity)),
                l.tax_rate,
                if l.has_add_on_service { " +add-on" } else { "" }
            );
        }
    }
    let a = &o.amounts;
    println!(
        "  items {} + shipping {} + COD {} − points {} − coupon {} = billed {}",
        yen(a.items_total),
        yen(a.shipping_fee),
        yen(a.cod_fee),
        yen(a.points_used),
        yen(a.coupon_discount),
        yen(a.billing_total)
    );
    if !o.buyer_note.is_empty() {
        println!("  note: {}", o.buyer_note);
    }
    println!(
        "  shipping: carrier {}, tracking {}, ship date {}",
        s.carrier.as_deref().unwrap_or("-"),
        s.tracking_number.as_deref().unwrap_or("-"),
        s.ship_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into())
    );
    println!("  history:");
    for (at, event, detail) in &d.history {
        println!("    {} {event}: {detail}", display_jst(*at));
    }
    Ok(())
}
