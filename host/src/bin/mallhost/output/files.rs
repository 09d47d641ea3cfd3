//! What file imports did, row by row, and what they left (missing names, unconverted labels).

use serde::Serialize;

use super::{Format, print_or_json};

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
