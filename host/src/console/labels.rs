//! 出荷 (shipping day) on the console: the orders staff tick on 受注一覧 (or, with none ticked,
//! every shop's orders awaiting shipment) become a label file of the chosen program (B2クラウド,
//! e飛伝III, ゆうプリR, クリックポスト) — first a preview of
//! every slip with its problems in the staff's words, then the download — and printable
//! 納品書 (one order per A4 page) and a ピッキングリスト (items summed by item and SKU code).
//! The same selection takes a status change in bulk (hold, release, 出荷待ち …) with one reason.
//! The rules are `labels`'; this module only reads the selection and shows the results.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::data::Upload;
use super::explain::{issued_text, left_out_text, not_issued_text, problem_text};
use super::{Console, CsrfQuery, Staff};
use crate::accounts::Role;
use crate::labels::{self, Selection};
use crate::model::{Order, OrderStatus};

/// The form of the order list's selection: `o` = `shop/number`, repeated.
#[derive(Debug, Default)]
pub(super) struct Picked {
    pub(super) csrf: String,
    pub(super) orders: Vec<(String, String)>,
    cut: bool,
    leave_out: bool,
    download: bool,
    no_prices: bool,
    status: String,
    reason: String,
    /// Parcels per delivery, by order number (`n:NUMBER` = N on the preview).
    parcels: BTreeMap<String, u32>,
    /// The label program (`format`; B2 unless chosen).
    format: Option<labels::Format>,
    /// "Every matching order": the order list's search (its query string), expanded by
    /// [`selection`] in place of the ticked rows.
    matching: Option<String>,
    /// Which file of a クリックポスト export to download (1-based, 40 rows each: `download=N`).
    part: usize,
}

pub(super) fn picked(body: &[u8]) -> Picked {
    let mut p = Picked::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "csrf" => p.csrf = v.into_owned(),
            "o" => {
                if let Some((shop, number)) = v.split_once('/') {
                    p.orders.push((shop.to_string(), number.to_string()));
                }
            }
            "cut" => p.cut = true,
            "leave_out" => p.leave_out = true,
            "download" => {
                p.download = true;
                p.part = v.trim().parse().unwrap_or(1);
            }
            "no_prices" => p.no_prices = true,
            "status" => p.status = v.into_owned(),
            k if k.starts_with("n:") => {
                if let Ok(n) = v.trim().parse::<u32>()
                    && (1..=99).contains(&n)
                {
                    p.parcels.insert(k[2..].to_string(), n);
                }
            }
            "reason" => p.reason = v.into_owned(),
            "format" => p.format = labels::Format::from_id(&v),
            "matching" => p.matching = Some(v.into_owned()),
            _ => {}
        }
    }
    p
}

/// The selection a bulk screen posts, for staff with the form's token: the ticked orders, or
/// "every matching order" expanded from the search it names (none matching is said so).
pub(super) async fn selection(cx: &Console, who: &Staff, body: &[u8]) -> Result<Picked, Response> {
    let mut p = picked(body);
    if let Some(r) = who.refuse(cx, Some(&p.csrf), Role::Staff) {
        return Err(r);
    }
    if let Some(query) = p.matching.take() {
        match super::orders::matching(cx, &query).await {
            Ok(all) if all.is_empty() => {
                let msg = cx.tr(who.lang, "no_matching");
                return Err(cx.error_page(who, StatusCode::UNPROCESSABLE_ENTITY, &msg));
            }
            Ok(all) => p.orders = all,
            Err(e) => return Err(cx.error_page(who, StatusCode::UNPROCESSABLE_ENTITY, &e)),
        }
    }
    Ok(p)
}

fn hidden_selection(p: &Picked) -> Value {
    json!(
        p.orders
            .iter()
            .map(|(s, n)| format!("{s}/{n}"))
            .collect::<Vec<_>>()
    )
}

/// `POST /console/labels` (staff): the preview of the selection's label file in the chosen
/// program's format (B2 unless chosen), or (with `download`) the file itself — for
/// クリックポスト, the `part`-th file of 40 rows.
pub async fn labels(State(cx): State<Console>, who: Staff, body: Bytes) -> Response {
    let p = match selection(&cx, &who, &body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let now = cx.state.clock.now();
    let today = crate::time::jst_date(now);
    let format = p.format.unwrap_or(labels::Format::B2);
    let mut plan = labels::ExportPlan {
        format,
        slips: Vec::new(),
        left_out: Vec::new(),
    };
    let shops: Vec<&crate::config::ShopConfig> = cx.state.config.shops.iter().collect();
    let mut by_shop: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (shop, number) in &p.orders {
        by_shop
            .entry(shop.as_str())
            .or_default()
            .push(number.clone());
    }
    let runs: Vec<(Vec<&crate::config::ShopConfig>, Vec<String>)> = if p.orders.is_empty() {
        vec![(shops, Vec::new())]
    } else {
        let mut runs = Vec::new();
        for (shop, numbers) in by_shop {
            match cx.shop(&who, shop) {
                Ok(s) => runs.push((vec![s], numbers)),
                Err(r) => return *r,
            }
        }
        runs
    };
    for (shops, orders) in runs {
        let sel = Selection {
            status: OrderStatus::AwaitingShipment,
            orders,
            cut: p.cut,
            ship_date: today,
            parcels: p.parcels.clone(),
        };
        match labels::export(&cx.state.store, &shops, &sel, format, now).await {
            Ok(part) => {
                plan.slips.extend(part.slips);
                plan.left_out.extend(part.left_out);
            }
            Err(e) => {
                return cx.error_page(&who, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
            }
        }
    }
    let stopped = plan.stopped().count();
    let files = labels::render_files(&plan);
    if p.download && (stopped == 0 || p.leave_out) && plan.slips.len() > stopped {
        let part = p.part.clamp(1, files.len().max(1));
        let bytes = files.get(part - 1).cloned().unwrap_or_default();
        cx.audit(
            &who.actor(),
            "labels.export",
            &format!(
                "{} slip(s), {} file {part}/{}",
                plan.slips.len() - stopped,
                format.id(),
                files.len()
            ),
        )
        .await;
        let name = match files.len() {
            1 => format!("{}-{}.csv", format.id(), today.format("%Y%m%d")),
            _ => format!("{}-{}-{part}.csv", format.id(), today.format("%Y%m%d")),
        };
        return (
            [
                (
                    header::CONTENT_TYPE,
                    "text/csv; charset=Shift_JIS".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response();
    }
    let slips: Vec<Value> = plan
        .slips
        .iter()
        .map(|s| {
            json!({
                "key": s.key,
                "shop": s.shop,
                "order": s.order,
                "delivery": s.delivery,
                "parcel": s.parcel,
                "parcels": p.parcels.get(&s.order).copied().unwrap_or(1),
                "ok": s.written(),
                "name": s.to_name,
                "address": s.to_address,
                "problems": s.problems.iter().map(|pr| json!({
                    "stops": pr.stops(),
                    "text": problem_text(who.lang, pr),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let left_out: Vec<Value> = plan
        .left_out
        .iter()
        .map(|l| {
            json!({
                "shop": l.shop,
                "order": l.order,
                "delivery": l.delivery,
                "why": left_out_text(who.lang, l),
            })
        })
        .collect();
    let status = if p.download {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    cx.page_with(
        &who,
        status,
        "labels.html",
        "orders",
        json!({
            "slips": slips,
            "left_out": left_out,
            "stopped": stopped,
            "writable": plan.slips.len() - stopped,
            "selection": hidden_selection(&p),
            "cut": p.cut,
            "refused": p.download,
            "format": format.id(),
            "format_name": format.name(),
            "formats": labels::Format::ALL.iter().map(|f| json!({"id": f.id(), "name": f.name()})).collect::<Vec<_>>(),
            "files": (1..=files.len()).collect::<Vec<_>>(),
        }),
    )
}

/// An order as a 納品書 shows it.
fn slip_view(shop_name: &str, o: &Order, no_prices: bool) -> Value {
    let gift = no_prices
        || o.deliveries.iter().flat_map(|d| &d.lines).any(|l| {
            l.option_text.as_deref().is_some_and(|t| {
                t.contains("ギフト") || t.contains("ラッピング") || t.contains("のし")
            })
        });
    let deliveries: Vec<Value> = o
        .deliveries
        .iter()
        .map(|d| {
            json!({
                "no": d.delivery_no,
                "to": d.recipient,
                "lines": d.lines.iter().map(|l| json!({
                    "code": l.item_code,
                    "sku": l.sku_code,
                    "name": l.product_name.clone().unwrap_or_else(|| l.item_code.clone()),
                    "option": l.option_text,
                    "qty": l.quantity,
                    "price": l.unit_price,
                    "amount": l.unit_price.saturating_mul(i64::from(l.quantity)),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "shop": shop_name,
        "number": o.mall_order_number,
        "date": crate::time::display_jst(o.ordered_at),
        "buyer": o.buyer,
        "deliveries": deliveries,
        "amounts": o.amounts,
        "fees": o.fees,
        "discounts": o.discounts,
        "note": o.buyer_note,
        "gift": gift,
    })
}

/// `POST /console/slips` (staff): 納品書 for the selection, one order per page, and the
/// ピッキングリスト of the same orders (items summed by item and SKU code) before them.
pub async fn slips(State(cx): State<Console>, who: Staff, body: Bytes) -> Response {
    let p = match selection(&cx, &who, &body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.orders.is_empty() {
        let msg = cx.tr(who.lang, "select_orders");
        return cx.error_page(&who, StatusCode::UNPROCESSABLE_ENTITY, &msg);
    }
    let mut pages = Vec::new();
    let mut picks: BTreeMap<(String, String), (String, u64)> = BTreeMap::new();
    for (shop, number) in &p.orders {
        let shop_cfg = match cx.shop(&who, shop) {
            Ok(s) => s,
            Err(r) => return *r,
        };
        let detail = match cx.state.store.order_detail(shop, number).await {
            Ok(d) => d,
            Err(e) => return cx.error_page(&who, StatusCode::NOT_FOUND, &e.to_string()),
        };
        for l in detail.order.deliveries.iter().flat_map(|d| &d.lines) {
            let e = picks
                .entry((l.item_code.clone(), l.sku_code.clone()))
                .or_insert_with(|| {
                    (
                        l.product_name
                            .clone()
                            .unwrap_or_else(|| l.item_code.clone()),
                        0,
                    )
                });
            e.1 += u64::from(l.quantity);
        }
        pages.push(slip_view(&shop_cfg.name, &detail.order, p.no_prices));
    }
    let pick: Vec<Value> = picks
        .into_iter()
        .map(|((code, sku), (name, qty))| json!({ "code": code, "sku": sku, "name": name, "qty": qty }))
        .collect();
    cx.audit(
        &who.actor(),
        "orders.slips",
        &format!("{} order(s)", pages.len()),
    )
    .await;
    cx.page(
        &who,
        "slips.html",
        "orders",
        json!({ "pages": pages, "pick": pick, "count": pages.len() }),
    )
}

/// `POST /console/orders/bulk-status` (staff): the ticked orders to one status, with the
/// reason staff give (kept in each order's history and the audit log); each order's result.
pub async fn bulk_status(State(cx): State<Console>, who: Staff, body: Bytes) -> Response {
    let p = match selection(&cx, &who, &body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(status) = OrderStatus::from_id(&p.status) else {
        let msg = format!("{:?} is not a status", p.status);
        return cx.error_page(&who, StatusCode::UNPROCESSABLE_ENTITY, &msg);
    };
    if p.orders.is_empty() || p.reason.trim().is_empty() {
        let key = if p.orders.is_empty() {
            "select_orders"
        } else {
            "reason_needed"
        };
        let msg = cx.tr(who.lang, key);
        return cx.error_page(&who, StatusCode::UNPROCESSABLE_ENTITY, &msg);
    }
    let now = cx.state.clock.now();
    let mut results = Vec::new();
    for (shop, number) in &p.orders {
        let r = cx
            .state
            .store
            .set_status_because(shop, number, status, &p.reason, now)
            .await;
        if r.is_ok() {
            cx.audit(
                &who.actor(),
                "orders.status",
                &format!("{shop} {number} → {}: {}", status.id(), p.reason.trim()),
            )
            .await;
        }
        results.push(json!({
            "shop": shop,
            "order": number,
            "ok": r.is_ok(),
            "error": r.err().map(|e| e.to_string()),
        }));
    }
    let failed = results.iter().filter(|r| r["ok"] == false).count();
    cx.page_with(
        &who,
        if failed > 0 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "bulk.html",
        "orders",
        json!({ "results": results, "status": status.id(), "failed": failed }),
    )
}

fn change_view(c: &labels::RowChange) -> Value {
    json!({
        "line": c.line,
        "shop": c.shop,
        "order": c.order,
        "delivery": c.delivery,
        "old": c.old,
        "new": c.new,
        "carrier": c.carrier,
        "ship_date": c.ship_date.to_string(),
        "pushed": c.pushed,
    })
}

/// `POST /console/labels/import?csrf=` (staff): the label software's issued data. An upload
/// (`file`) shows what it changes (order, delivery, old → new) and the rows refused; the
/// confirmation posts the same bytes back (`data`, base64) with `apply`, and `replace` when
/// staff accept replacing numbers, and applies them in one transaction.
pub async fn import_issued(
    State(cx): State<Console>,
    who: Staff,
    Query(q): Query<CsrfQuery>,
    m: Multipart,
) -> Response {
    use base64::Engine as _;
    let u = match Upload::read_for(&cx, &who, &q.csrf, m, Role::Staff).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let refused = |status: StatusCode, error: String| {
        cx.page_with(
            &who,
            status,
            "labels_import.html",
            "import",
            json!({ "error": error }),
        )
    };
    let (name, bytes) = match u.file("file", "issued.csv") {
        Some((name, bytes)) => (name, bytes.to_vec()),
        None => match base64::engine::general_purpose::STANDARD.decode(u.text("data")) {
            Ok(b) if !b.is_empty() => (u.text("name"), b),
            _ => {
                let msg = cx.tr(who.lang, "file_needed");
                return refused(StatusCode::UNPROCESSABLE_ENTITY, msg);
            }
        },
    };
    let now = cx.state.clock.now();
    let today = crate::time::jst_date(now);
    let plan = match labels::plan_import(
        &cx.state.store,
        &cx.state.config.shops,
        &name,
        &bytes,
        today,
    )
    .await
    {
        Ok(p) => p,
        Err(labels::LabelError::NotIssuedData { path, kind }) => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                not_issued_text(who.lang, &path, &kind),
            );
        }
        Err(e) => return refused(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let apply = u.text("apply") == "1";
    let replace = !u.text("replace").is_empty();
    let skip = !u.text("skip_bad_rows").is_empty();
    let mut ctx = json!({
        "file": name,
        "data": base64::engine::general_purpose::STANDARD.encode(&bytes),
        "format": plan.format.id(),
        "encoding": plan.encoding,
        "rows": plan.rows,
        "set": plan.set.iter().map(change_view).collect::<Vec<_>>(),
        "replace": plan.replace.iter().map(change_view).collect::<Vec<_>>(),
        "unchanged": plan.unchanged.len(),
        "errors": plan.errors.iter().map(|e| json!({
            "line": e.line,
            "column": e.column,
            "key": e.key,
            "reason": issued_text(who.lang, &e.problem),
        })).collect::<Vec<_>>(),
    });
    let mut status = StatusCode::OK;
    if apply {
        let blocked = if !plan.errors.is_empty() && !skip {
            Some(cx.tr(who.lang, "issued_refused_rows"))
        } else if !plan.replace.is_empty() && !replace {
            Some(cx.tr(who.lang, "issued_replaces"))
        } else {
            None
        };
        match blocked {
            Some(msg) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                ctx["error"] = json!(msg);
            }
            None => match labels::apply(&cx.state.store, &plan, replace, now).await {
                Ok(done) => {
                    cx.audit(
                        &who.actor(),
                        "labels.import",
                        &format!("{name}: {} number(s) set", done.updated),
                    )
                    .await;
                    ctx["applied"] = json!(done.updated);
                }
                Err(e) => {
                    status = StatusCode::INTERNAL_SERVER_ERROR;
                    ctx["error"] = json!(e.to_string());
                }
            },
        }
    }
    cx.page_with(&who, status, "labels_import.html", "import", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_is_read_from_repeated_fields() {
        let p = picked(b"csrf=t&o=s1%2FD-1&o=s2%2FA+1%2B2&cut=on&download=1");
        assert_eq!(p.csrf, "t");
        assert_eq!(
            p.orders,
            vec![
                ("s1".to_string(), "D-1".to_string()),
                ("s2".to_string(), "A 1+2".to_string())
            ]
        );
        assert!(p.cut && p.download && !p.leave_out);
    }
}
