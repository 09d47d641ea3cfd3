//! The order list and one order in full, as text.

use mallhost::store::{OrderDetail, OrderSummary};
use mallhost::time::display_jst;

use super::{Format, emit, json, pad, print_or_json, safe, yen};

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
            notes.push(format!("tracking {}", safe(t)));
        }
        if o.lines_missing_name > 0 {
            notes.push(format!(
                "{} line(s) without product name",
                o.lines_missing_name
            ));
        }
        if let Some(h) = &o.hold_reason {
            notes.push(safe(&h.chars().take(40).collect::<String>()));
        }
        s.push_str(&format!(
            "{} {} {} {} {:>10} {} {} {}\n",
            pad(&o.shop_id, 8),
            pad(&safe(&o.mall_order_number), 17),
            pad(display_jst(o.ordered_at).trim_end_matches(" JST"), 16),
            pad(o.status_label, 10),
            yen(o.billing_total),
            pad(&safe(&o.buyer_name), 16),
            pad(&safe(o.carrier.as_deref().unwrap_or("-")), 10),
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
    emit(&order_detail_text(d));
    Ok(())
}

/// One order in full; every value from the mall through [`safe`].
pub fn order_detail_text(d: &OrderDetail) -> String {
    let mut out = String::new();
    macro_rules! say {
        ($($t:tt)*) => {{
            out.push_str(&format!($($t)*));
            out.push('\n');
        }};
    }
    let o = &d.order;
    let s = &d.summary;
    let addr = |a: &mallhost::model::Address| {
        let company = [a.company.as_str(), a.department.as_str()]
            .iter()
            .filter(|x| !x.is_empty())
            .map(|x| safe(x))
            .collect::<Vec<_>>()
            .join(" ");
        format!(
            "{}{} ({}) 〒{} {}{} {}",
            safe(&a.name),
            if company.is_empty() {
                String::new()
            } else {
                format!(", {company}")
            },
            safe(&a.phone),
            safe(&a.postal_code),
            safe(&a.prefecture),
            safe(&a.address1),
            safe(&a.address2)
        )
    };
    say!(
        "order {} (shop {}) — {} [{}]",
        safe(&o.mall_order_number),
        s.shop_id,
        s.status_label,
        s.status
    );
    if let Some(h) = &s.hold_reason {
        say!("  on hold: {}", safe(h));
    }
    say!(
        "  ordered {}, payment {} ({}), mall status {}{}",
        display_jst(o.ordered_at),
        safe(&o.payment_method),
        o.payment.id(),
        safe(&o.mall_status),
        if d.mall_status_words.is_empty() {
            String::new()
        } else {
            format!(" ({})", safe(&d.mall_status_words))
        }
    );
    for m in &o.marks {
        say!("  mark: {} ({})", safe(&m.message), safe(&m.code));
    }
    say!("  buyer: {}", addr(&o.buyer));
    if o.flags.no_buyer_email {
        say!("  the mall gives no buyer e-mail address: nothing can be mailed to the buyer");
    }
    if o.flags.add_on_service {
        say!("  has an add-on service (付加サービス) whose content the mall does not return");
    }
    for dl in &o.deliveries {
        say!(
            "  delivery {} to {} — {} → carrier {}, date {}, time {} → {}",
            dl.delivery_no,
            addr(&dl.recipient),
            safe(&dl.delivery_method),
            safe(dl.carrier.as_deref().unwrap_or("(not converted)")),
            dl.desired_date
                .map(|d| d.to_string())
                .unwrap_or_else(|| "none".into()),
            safe(&dl.desired_time_slot),
            safe(dl.time_slot.as_deref().unwrap_or("(not converted)"))
        );
        if let Some(g) = &dl.gift_message {
            say!("    gift message: {}", safe(g));
        }
        for l in &dl.lines {
            say!(
                "    {} × {} {} ({}/{}{}) {} {}%{}",
                l.quantity,
                safe(l.product_name.as_deref().unwrap_or("[name missing]")),
                yen(l.unit_price),
                safe(&l.item_code),
                safe(&l.sku_code),
                l.jan
                    .as_deref()
                    .map(|j| format!(", JAN {}", safe(j)))
                    .unwrap_or_default(),
                yen(l.unit_price.saturating_mul(i64::from(l.quantity))),
                l.tax_rate,
                if l.has_add_on_service { " +add-on" } else { "" }
            );
        }
    }
    // Every fee and discount by its label, so the sum is there to check.
    let (fees, discounts) = o.fee_lists();
    let mut sum = format!("  items {}", yen(o.amounts.items_total));
    for f in &fees {
        sum.push_str(&format!(" + {} {}", safe(&f.label), yen(f.amount)));
    }
    for x in &discounts {
        sum.push_str(&format!(" − {} {}", safe(&x.label), yen(x.amount)));
    }
    say!("{sum} = billed {}", yen(o.amounts.billing_total));
    if !o.buyer_note.is_empty() {
        say!("  note: {}", safe(&o.buyer_note));
    }
    say!(
        "  shipping: carrier {}, tracking {}, ship date {}",
        safe(s.carrier.as_deref().unwrap_or("-")),
        safe(s.tracking_number.as_deref().unwrap_or("-")),
        s.ship_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into())
    );
    say!("  history:");
    for (at, event, detail) in &d.history {
        say!("    {} {event}: {}", display_jst(*at), safe(detail));
    }
    out
}
