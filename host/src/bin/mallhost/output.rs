//! How results are printed: readable text for people, or JSON (`--json`) for tools.

use std::sync::Arc;

use serde::Serialize;

use mallhost::runtime::Plugin;
use mallhost::store::{OrderDetail, OrderSummary};
use mallhost::sync::{ExportReport, FetchReport, TakeReport};
use mallhost::time::display_jst;

/// Text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

fn json<T: Serialize + ?Sized>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Prints `v` as JSON, or the text `text` makes of it.
fn print_or_json<T: Serialize + ?Sized>(
    v: &T,
    f: Format,
    text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    match f {
        Format::Json => json(v),
        Format::Text => {
            print!("{}", text());
            Ok(())
        }
    }
}

/// Lists up to ten items of a list, then how many more.
fn some(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 10 {
        s.push_str(&format!(" … and {} more", items.len() - 10));
    }
    s
}

fn yen(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}¥{out}", if v < 0 { "-" } else { "" })
}

pub fn take_text(r: &TakeReport) -> String {
    let mut s = format!(
        "take on the mall: {} pending, {} taken, {} already taken, {} still pending\n",
        r.attempted,
        r.taken.len(),
        r.already_taken.len(),
        r.failed.len()
    );
    for mallhost::model::OrderNote {
        mall_order_number: n,
        message: e,
    } in &r.failed
    {
        s.push_str(&format!("  ! {n}: {e}\n"));
    }
    s
}

pub fn fetch_text(r: &FetchReport) -> String {
    let mut s = format!("shop {} — fetch with plugin {}\n", r.shop, r.plugin);
    if let Some(w) = r.window {
        s.push_str(&format!(
            "  window: {} → {}\n",
            display_jst(w.start),
            display_jst(w.end)
        ));
    }
    s.push_str(&format!(
        "  {} new order(s) on {} page(s): {} stored, {} already stored\n",
        r.fetched,
        r.pages,
        r.ingested.stored.len(),
        r.ingested.already_stored.len()
    ));
    if !r.skipped_too_recent.is_empty() {
        s.push_str(&format!(
            "  {} held back, placed less than 10 minutes ago (fetched by a later run): {}\n",
            r.skipped_too_recent.len(),
            some(&r.skipped_too_recent)
        ));
    }
    if !r.skipped_test.is_empty() {
        s.push_str(&format!(
            "  {} test-environment order(s) ignored: {}\n",
            r.skipped_test.len(),
            some(&r.skipped_test)
        ));
    }
    for mallhost::model::OrderNote {
        mall_order_number: n,
        message: why,
    } in &r.ingested.held
    {
        s.push_str(&format!("  on hold (保留) {n}: {why}\n"));
    }
    for mallhost::model::OrderNote {
        mall_order_number: n,
        message: e,
    } in r.invalid.iter().chain(&r.ingested.store_failed)
    {
        s.push_str(&format!(
            "  ! not stored {n}: {e} (left untaken on the mall; fetched again next run)\n"
        ));
    }
    for u in &r.ingested.unknown_labels {
        s.push_str(&format!(
            "  ? {}: {} {:?} is not in the conversion table; stored as is (add it under [shops.{}s])\n",
            u.mall_order_number, u.kind, u.label, u.kind
        ));
    }
    for n in &r.skipped_other {
        s.push_str(&format!(
            "  left out {}: {}\n",
            n.mall_order_number, n.message
        ));
    }
    s.push_str("  ");
    s.push_str(&take_text(&r.take));
    for n in &r.take.cancelled {
        s.push_str(&format!(
            "  cancelled on the mall (キャンセル) {}: {}\n",
            n.mall_order_number, n.message
        ));
    }
    let st = &r.states;
    if st.checked > 0 || st.error.is_some() {
        s.push_str(&format!(
            "  status sync: {} open order(s) checked, {} cancelled on the mall, {} shipped elsewhere\n",
            st.checked,
            st.cancelled.len(),
            st.shipped_elsewhere.len()
        ));
    }
    for n in &st.cancelled {
        s.push_str(&format!(
            "  ! cancelled on the mall, now キャンセル here (never pushed) {}: {}\n",
            n.mall_order_number, n.message
        ));
    }
    for n in &st.shipped_elsewhere {
        s.push_str(&format!(
            "  shipped on the mall, now 出荷済み here {}: {}\n",
            n.mall_order_number, n.message
        ));
    }
    if let Some(e) = &st.error {
        s.push_str(&format!(
            "  ! status sync failed (asked again next run): {e}\n"
        ));
    }
    for n in &st.failed {
        s.push_str(&format!(
            "  ! no state from the mall for {}: {}\n",
            n.mall_order_number, n.message
        ));
    }
    s
}

pub fn export_text(r: &ExportReport) -> String {
    let mut s = format!(
        "shop {} — export{} of orders updated {} → {}\n",
        r.shop,
        if r.dry_run {
            " (dry run: nothing sent)"
        } else {
            ""
        },
        r.from.map(display_jst).unwrap_or_default(),
        r.to.map(display_jst).unwrap_or_default()
    );
    let verb = if r.dry_run { "would send" } else { "sent" };
    s.push_str(&format!("  {} {verb}", r.pushed.len()));
    if !r.dry_run {
        s.push_str(&format!(
            ", {} refused by the mall, {} not delivered",
            r.rejected.len(),
            r.failed.len()
        ));
        if !r.unknown.is_empty() {
            s.push_str(&format!(", {} with no answer", r.unknown.len()));
        }
    }
    s.push_str(&format!(", {} left out\n", r.excluded.len()));
    for l in &r.pushed {
        let more = match l.deliveries {
            0 | 1 => String::new(),
            n => format!(" (+{} more deliveries, each its own parcels)", n - 1),
        };
        s.push_str(&format!(
            "  ✓ {} carrier id {} tracking {}{more}\n",
            l.mall_order_number, l.carrier_id, l.tracking_number
        ));
    }
    for mallhost::model::OrderNote {
        mall_order_number: n,
        message: e,
    } in &r.rejected
    {
        s.push_str(&format!("  ✗ {n}: {e}\n"));
    }
    for mallhost::model::OrderNote {
        mall_order_number: n,
        message: e,
    } in &r.failed
    {
        s.push_str(&format!("  ! {n}: {e} (sent again by the next export)\n"));
    }
    for mallhost::model::OrderNote {
        mall_order_number: n,
        message: e,
    } in &r.unknown
    {
        s.push_str(&format!(
            "  ? {n}: sent, but no answer came back ({e}); the next export sends it again \
             (an identical push is harmless)\n"
        ));
    }
    // Left-out orders grouped by reason, so a long list stays readable.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for x in &r.excluded {
        let (n, why) = (&x.mall_order_number, x.message.clone());
        match groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, list)) => list.push(n.clone()),
            None => groups.push((why, vec![n.clone()])),
        }
    }
    for (why, list) in groups {
        s.push_str(&format!(
            "  - {} left out: {why}\n      {}\n",
            list.len(),
            some(&list)
        ));
    }
    s
}

pub fn fetch(r: &FetchReport, f: Format) -> anyhow::Result<()> {
    print_or_json(r, f, || fetch_text(r))
}

pub fn take(r: &TakeReport, f: Format) -> anyhow::Result<()> {
    print_or_json(r, f, || take_text(r))
}

pub fn export(r: &ExportReport, f: Format) -> anyhow::Result<()> {
    print_or_json(r, f, || export_text(r))
}

/// Display width on a terminal: East Asian wide characters take two columns.
fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Pads to `w` columns (left-aligned), counting wide characters as two.
pub fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

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

fn row_errors(s: &mut String, errors: &[mallhost::csv::RowError]) {
    for e in errors {
        s.push_str(&format!(
            "  ! line {}{}: {}\n",
            e.line,
            e.key
                .as_deref()
                .map(|k| format!(" ({k})"))
                .unwrap_or_default(),
            e.reason
        ));
    }
}

pub fn product_import(r: &mallhost::csv::products::ProductImport, f: Format) -> anyhow::Result<()> {
    print_or_json(r, f, || {
        let mut s = format!(
            "products ({}): {} row(s), {} imported, {} with errors; {} stored order line(s) got their product name\n",
            r.encoding,
            r.rows,
            r.imported,
            r.errors.len(),
            r.lines_filled
        );
        row_errors(&mut s, &r.errors);
        s
    })
}

pub fn shipment_import(
    r: &mallhost::csv::shipments::ShipmentImport,
    f: Format,
) -> anyhow::Result<()> {
    print_or_json(r, f, || {
        let mut s = format!(
            "shipping data ({}): {} row(s), {} order(s) updated, {} with errors\n",
            r.encoding,
            r.rows,
            r.updated,
            r.errors.len()
        );
        row_errors(&mut s, &r.errors);
        s
    })
}

pub fn order_import(r: &mallhost::sync::import::OrderImport, f: Format) -> anyhow::Result<()> {
    print_or_json(r, f, || {
        let mut s = format!(
            "orders ({}): {} row(s), {} order(s): {} stored, {} already stored, {} not imported\n",
            r.encoding,
            r.rows,
            r.orders,
            r.ingested.stored.len(),
            r.ingested.already_stored.len(),
            r.errors.iter().filter(|e| e.key.is_some()).count()
        );
        for mallhost::model::OrderNote {
            mall_order_number: n,
            message: why,
        } in &r.ingested.held
        {
            s.push_str(&format!("  on hold (保留) {n}: {why}\n"));
        }
        row_errors(&mut s, &r.errors);
        for u in &r.ingested.unknown_labels {
            s.push_str(&format!(
                "  ? {}: {} {:?} is not in the conversion table\n",
                u.mall_order_number, u.kind, u.label
            ));
        }
        s
    })
}

pub fn missing_names(list: &[mallhost::store::MissingName], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || {
        if list.is_empty() {
            return "every order line has its product name\n".into();
        }
        let mut s = String::from(
            "product codes the master lacks (import them with `mallhost import products FILE`):\n",
        );
        for m in list {
            s.push_str(&format!(
                "  {} {} / {}: {} line(s) in {} order(s)\n",
                m.shop_id, m.item_code, m.sku_code, m.lines, m.orders
            ));
        }
        s
    })
}

pub fn unconverted(shop: &str, list: &[(String, String, i64)], f: Format) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Line<'a> {
        kind: &'a str,
        label: &'a str,
        orders: i64,
    }
    let lines: Vec<_> = list
        .iter()
        .map(|(k, l, n)| Line {
            kind: k,
            label: l,
            orders: *n,
        })
        .collect();
    print_or_json(&lines, f, || {
        if lines.is_empty() {
            return format!("shop {shop}: every label was converted\n");
        }
        let mut s = format!(
            "shop {shop}: labels missing from the conversion tables (配送業者・配送時間帯変換):\n"
        );
        for l in &lines {
            s.push_str(&format!(
                "  {} {:?}: {} order(s); add it under [shops.{}s]\n",
                l.kind, l.label, l.orders, l.kind
            ));
        }
        s
    })
}

pub fn serve_stats(
    stats: &[mallhost::sync::scheduler::JobSnapshot],
    f: Format,
) -> anyhow::Result<()> {
    print_or_json(&stats, f, || {
        let mut s = String::new();
        for j in stats {
            s.push_str(&format!(
                "shop {} {:?}: {} run(s), {} failed, {} skipped while busy{}\n",
                j.shop,
                j.job,
                j.runs,
                j.failures,
                j.skipped_busy,
                j.last_error
                    .as_deref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default()
            ));
        }
        s
    })
}

#[derive(Serialize)]
struct PluginLine<'a> {
    #[serde(flatten)]
    info: &'a mallhost::connector::PluginInfo,
    path: String,
}

pub fn plugins(list: &[Arc<Plugin>], f: Format) -> anyhow::Result<()> {
    let lines: Vec<_> = list
        .iter()
        .map(|p| PluginLine {
            info: p.info(),
            path: p.path().display().to_string(),
        })
        .collect();
    if f == Format::Json {
        return json(&lines);
    }
    if lines.is_empty() {
        println!("no plugins loaded");
    }
    for l in lines {
        println!(
            "{} ({}) version {}, contract {} — {}",
            l.info.mall_id,
            l.info.mall_name,
            l.info.plugin_version,
            l.info.contract_version,
            l.path
        );
    }
    Ok(())
}

pub fn db_copy(tables: &[mallhost::store::TableCopy], dest: &str, f: Format) -> anyhow::Result<()> {
    print_or_json(&tables, f, || {
        let mut s = format!("copied into {dest}\n");
        for t in tables {
            s.push_str(&format!(
                "{:<18} {:>9} rows → {:>9}  {}  {}\n",
                t.table,
                t.source_rows,
                t.copied_rows,
                &t.checksum[..16.min(t.checksum.len())],
                if t.matches { "same" } else { "DIFFERS" }
            ));
        }
        s
    })
}

pub fn status(shops: &[mallhost::health::ShopHealth], f: Format) -> anyhow::Result<()> {
    print_or_json(&shops, f, || {
        if shops.is_empty() {
            return "no shop has its order API on\n".into();
        }
        let mut s = String::new();
        for shop in shops {
            s.push_str(&format!(
                "{} ({}) — {}\n",
                shop.shop,
                shop.mall,
                if shop.healthy {
                    "正常 healthy"
                } else {
                    "異常 UNHEALTHY"
                }
            ));
            if shop.jobs.is_empty() {
                s.push_str("    no automatic jobs (auto_fetch / auto_export off)\n");
            }
            for j in &shop.jobs {
                let last = match &j.last_run {
                    Some(r) => format!(
                        "last run {} {}",
                        r.ended_at.as_deref().unwrap_or(""),
                        r.outcome.as_deref().unwrap_or("")
                    ),
                    None => "never run".into(),
                };
                let success = j
                    .last_success_at
                    .map_or_else(|| "no success yet".into(), |t| format!("last success {t}"));
                s.push_str(&format!(
                    "    {:<6} every {}s: {last}; {success}{}{}{}\n",
                    j.job,
                    j.every_secs,
                    if j.failures_in_row > 0 {
                        format!("; {} failure(s) in a row", j.failures_in_row)
                    } else {
                        String::new()
                    },
                    if j.running { "; running now" } else { "" },
                    if j.stale { "; STALE" } else { "" },
                ));
            }
            for p in &shop.problems {
                s.push_str(&format!("    ! {p}\n"));
            }
        }
        s
    })
}

pub fn users(list: &[mallhost::store::UserRow], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || {
        if list.is_empty() {
            return "no accounts yet (`mallhost users add NAME --role admin`)\n".into();
        }
        list.iter()
            .map(|u| {
                format!(
                    "{:<20} {:<7} since {}{}\n",
                    u.name,
                    u.role,
                    u.created_at,
                    if u.disabled { " (disabled)" } else { "" }
                )
            })
            .collect()
    })
}

pub fn audit(list: &[mallhost::store::AuditEntry], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || {
        if list.is_empty() {
            return "the audit log is empty\n".into();
        }
        list.iter()
            .map(|e| format!("{}  {:<24} {:<18} {}\n", e.at, e.actor, e.action, e.detail))
            .collect()
    })
}

pub fn runs(list: &[mallhost::store::JobRun], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || {
        if list.is_empty() {
            return "no runs recorded yet\n".into();
        }
        let mut s = String::new();
        for r in list {
            let end = match (&r.ended_at, &r.outcome) {
                (Some(at), Some(o)) => format!("ended {at}: {o}"),
                _ => "no end (killed, or still going)".into(),
            };
            s.push_str(&format!(
                "#{} {} {} started {} by {} — {end}\n",
                r.id, r.shop, r.job, r.started_at, r.holder
            ));
            if let Some(summary) = r.summary.as_deref().filter(|x| !x.is_empty()) {
                s.push_str(&format!("    {summary}\n"));
            }
            if let Some(e) = &r.error {
                s.push_str(&format!("    error: {e}\n"));
            }
        }
        s
    })
}

pub fn shops(list: &[mallhost::app::ShopReport], f: Format) -> anyhow::Result<()> {
    print_or_json(&list, f, || shops_text(list))
}

pub fn shops_text(list: &[mallhost::app::ShopReport]) -> String {
    use mallhost::capabilities::credentials::CredentialState as S;
    if list.is_empty() {
        return "no shops in the config file\n".into();
    }
    let mut s = String::new();
    for r in list {
        s.push_str(&format!(
            "shop {} ({}) — mall {}, plugin {}{}\n",
            r.id,
            r.name,
            r.mall,
            r.plugin.as_deref().unwrap_or("none"),
            r.contract
                .as_deref()
                .map(|c| format!(" (contract {c})"))
                .unwrap_or_default()
        ));
        for st in &r.settings {
            let state = match (st.given, st.required) {
                (true, _) => "set",
                (false, true) => "MISSING",
                (false, false) => "not set (optional)",
            };
            s.push_str(&format!("  setting {} ({}): {state}\n", st.name, st.label));
        }
        for c in &r.credentials {
            let state = match c.state {
                S::Valid => "valid".to_string(),
                S::ExpiresSoon { on, days } => {
                    format!("EXPIRES on {on} (in {days} day(s)): renew it ({})", c.help)
                }
                S::Expired { on } => format!("EXPIRED on {on}: renew it ({})", c.help),
                S::Missing => "MISSING".to_string(),
            };
            s.push_str(&format!("  credential {} ({}): {state}\n", c.name, c.label));
        }
        if let Some(p) = &r.problem {
            s.push_str(&format!("  ! {p}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_twice() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("出荷待ち"), 8);
        assert_eq!(width(pad("保留", 6).as_str()), 6);
        assert_eq!(pad("toolong", 3), "toolong");
    }

    #[test]
    fn yen_has_thousands_separators() {
        assert_eq!(yen(0), "¥0");
        assert_eq!(yen(7050), "¥7,050");
        assert_eq!(yen(1234567), "¥1,234,567");
        assert_eq!(yen(-100), "-¥100");
    }
}
