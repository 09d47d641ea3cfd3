//! 受注一覧 and 受注詳細: the order search (shop, status, order-date range, buyer, order number,
//! tracking number; paged; counts per status; the result as CSV), one order's page (buyer,
//! deliveries, lines with product names, amounts, flags, history, every push with its result),
//! and what staff change there: 出荷情報入力 per delivery (the tracking number checked as typed
//! through `check-tracking` and again on submit, by `tracking`'s one rule) and a status change
//! or hold release with a reason.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Console, Staff};
use crate::accounts::Role;
use crate::connector::CodeKind;
use crate::model::OrderStatus;
use crate::store::{OrderSearch, OrderSummary};

/// Orders per page.
pub const PER_PAGE: u32 = 50;

/// The status filter's value for 未出荷: every status before 出荷済み (not cancelled).
const UNSHIPPED: &str = "unshipped";

/// The search form, as the query string carries it (empty fields are no filter).
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct SearchQuery {
    #[serde(default)]
    shop: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    buyer: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    tracking: String,
    #[serde(default)]
    page: Option<u32>,
}

fn given(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl SearchQuery {
    /// The search, or what is wrong with a field.
    fn search(&self) -> Result<OrderSearch, String> {
        let unshipped = self.status.trim() == UNSHIPPED;
        let status = match given(&self.status) {
            None => None,
            Some(_) if unshipped => None,
            Some(s) => Some(
                OrderStatus::from_id(&s).ok_or_else(|| format!("status: {s:?} is not a status"))?,
            ),
        };
        Ok(OrderSearch {
            shop: given(&self.shop),
            status,
            from: super::date_field("from", &self.from)?,
            to: super::date_field("to", &self.to)?,
            buyer: given(&self.buyer),
            number: given(&self.number),
            tracking: given(&self.tracking),
            unshipped,
        })
    }

    /// The query string for another page (or another status) of the same search.
    fn link(&self, page: u32, status: Option<&str>) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("shop", &self.shop),
            ("from", &self.from),
            ("to", &self.to),
            ("buyer", &self.buyer),
            ("number", &self.number),
            ("tracking", &self.tracking),
        ] {
            if !v.trim().is_empty() {
                q.append_pair(k, v.trim());
            }
        }
        let status = status.unwrap_or(self.status.as_str());
        if !status.is_empty() {
            q.append_pair("status", status);
        }
        if page > 1 {
            q.append_pair("page", &page.to_string());
        }
        q.finish()
    }

    /// The search in words, for the audit log (`all` when nothing narrows it).
    fn described(&self) -> String {
        let q = self.link(1, None);
        if q.is_empty() { "all".into() } else { q }
    }
}

/// The most orders "every matching order" takes at once.
pub(super) const MAX_MATCHING: usize = 2_000;

/// The orders a search of the order list matches (its query string, as the list's "every
/// matching order" box carries it), as `(shop, number)` in the list's order: what the bulk
/// screens take instead of the ticked rows.
pub(super) async fn matching(cx: &Console, query: &str) -> Result<Vec<(String, String)>, String> {
    let uri: axum::http::Uri = format!("/console/orders?{query}")
        .parse()
        .map_err(|e| format!("the search {query:?} cannot be read: {e}"))?;
    let Query(q) = Query::<SearchQuery>::try_from_uri(&uri)
        .map_err(|e| format!("the search {query:?} cannot be read: {e}"))?;
    let search = q.search()?;
    let all = cx
        .state
        .store
        .search_all(&search)
        .await
        .map_err(|e| e.to_string())?;
    if all.len() > MAX_MATCHING {
        return Err(format!(
            "{} orders match; narrow the search to at most {MAX_MATCHING}",
            all.len()
        ));
    }
    Ok(all
        .into_iter()
        .map(|o| (o.shop_id, o.mall_order_number))
        .collect())
}

fn row(o: &OrderSummary) -> Value {
    json!({
        "shop": o.shop_id,
        "number": o.mall_order_number,
        "status": o.status.id(),
        "hold_reason": o.hold_reason,
        "ordered_at": crate::time::display_jst(o.ordered_at),
        "buyer": o.buyer_name,
        "total": o.billing_total,
        "carrier": o.carrier,
        "tracking": o.tracking_number,
        "ship_date": o.ship_date.map(|d| d.to_string()),
        "missing": o.lines_missing_name,
        "url": format!("/console/orders/{}/{}", enc(&o.shop_id), enc(&o.mall_order_number)),
    })
}

use super::path_segment as enc;

/// `GET /console/orders`.
pub async fn list(State(cx): State<Console>, who: Staff, Query(q): Query<SearchQuery>) -> Response {
    let page = q.page.unwrap_or(1).max(1);
    let (result, error) = match q.search() {
        Ok(search) => match cx.state.store.search_orders(&search, page, PER_PAGE).await {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Err(e) => (None, Some(e)),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (orders, total, counts) = match &result {
        Some(r) => (
            r.orders.iter().map(row).collect::<Vec<_>>(),
            r.total,
            r.counts.clone(),
        ),
        None => (Vec::new(), 0, Vec::new()),
    };
    let pages = (total.max(1) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE);
    let statuses: Vec<Value> = OrderStatus::ALL
        .iter()
        .map(|s| {
            json!({
                "id": s.id(),
                "n": counts.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n),
                "link": q.link(1, Some(s.id())),
            })
        })
        .collect();
    cx.page_with(
        &who,
        status,
        "orders.html",
        "orders",
        json!({
            "q": q,
            "shops": cx.shop_choices(),
            "orders": orders,
            "total": total,
            "found": cx.tr(who.lang, "found").replace("{n}", &total.to_string()),
            "page_of": cx.tr(who.lang, "page_of")
                .replace("{page}", &page.to_string())
                .replace("{pages}", &pages.to_string()),
            "statuses": statuses,
            "all_link": q.link(1, Some("")),
            "unshipped_link": q.link(1, Some(UNSHIPPED)),
            "unshipped_n": counts
                .iter()
                .filter(|(s, _)| !matches!(s, OrderStatus::Shipped | OrderStatus::Cancelled))
                .map(|(_, n)| n)
                .sum::<i64>(),
            "label_formats": crate::labels::Format::ALL
                .iter()
                .map(|f| json!({"id": f.id(), "name": f.name()}))
                .collect::<Vec<_>>(),
            "prev": (page > 1).then(|| q.link(page - 1, None)),
            "next": (i64::from(page) < pages).then(|| q.link(page + 1, None)),
            "csv": q.link(1, None),
            "today": crate::time::jst_date(cx.state.clock.now()).to_string(),
            "error": error,
        }),
    )
}

/// `GET /console/orders.csv`: every order the search finds, as CSV (UTF-8 with a BOM, which
/// Excel reads as UTF-8).
pub async fn csv(State(cx): State<Console>, who: Staff, Query(q): Query<SearchQuery>) -> Response {
    let search = match q.search() {
        Ok(s) => s,
        Err(e) => return cx.error_page(&who, StatusCode::UNPROCESSABLE_ENTITY, &e),
    };
    let header = [
        "shop",
        "order_number",
        "ordered_at_jst",
        "status",
        "mall_status",
        "mall_status_words",
        "buyer",
        "items_total",
        "fees",
        "discounts",
        "billing_total",
        "marks",
        "carrier",
        "tracking_number",
        "ship_date",
    ];
    let orders = match cx.state.store.search_all_shown(&search).await {
        Ok(o) => o,
        Err(e) => return cx.error_page(&who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    // Every fee and discount by its label (`送料 600; 代引手数料 330`), so the sum is there.
    let listed = |items: Vec<(String, i64)>| {
        items
            .iter()
            .map(|(label, yen)| format!("{label} {yen}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    // The mall status in the plugin's words where the status sync has not read it yet.
    let declared = |shop: &str, code: &str| {
        let mall = cx.state.config.shops.iter().find(|s| s.id == shop)?;
        let plugin = cx.state.runtime.plugin(&mall.mall).ok()?;
        plugin
            .info()
            .words_for(CodeKind::MallStatus, code)
            .map(str::to_string)
    };
    let rows = orders.iter().map(|(o, m)| {
        vec![
            o.shop_id.clone(),
            o.mall_order_number.clone(),
            crate::time::display_jst(o.ordered_at),
            o.status.id().to_string(),
            m.mall_status.clone(),
            if m.mall_status_words.is_empty() {
                declared(&o.shop_id, &m.mall_status).unwrap_or_default()
            } else {
                m.mall_status_words.clone()
            },
            o.buyer_name.clone(),
            m.items_total.to_string(),
            listed(m.fees.iter().map(|f| (f.label.clone(), f.amount)).collect()),
            listed(
                m.discounts
                    .iter()
                    .map(|d| (d.label.clone(), d.amount))
                    .collect(),
            ),
            o.billing_total.to_string(),
            m.marks
                .iter()
                .map(|k| k.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
            o.carrier.clone().unwrap_or_default(),
            o.tracking_number.clone().unwrap_or_default(),
            o.ship_date.map(|d| d.to_string()).unwrap_or_default(),
        ]
    });
    let Some(bytes) = crate::csv::written::for_people(&header, rows) else {
        return cx.error_page(
            &who,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the CSV could not be written",
        );
    };
    // Buyers' names leave the host: who took them, and which, is on record.
    cx.audit(
        &who.actor(),
        "orders.csv",
        &format!("{} orders ({})", orders.len(), q.described()),
    )
    .await;
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"orders.csv\"",
            ),
        ],
        bytes,
    )
        .into_response()
}

/// What the shipping form last held, shown again with its error.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct ShipForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    tracking: String,
    #[serde(default)]
    ship_date: String,
    #[serde(default)]
    dummy: Option<String>,
    #[serde(default)]
    delivery: Option<u32>,
}

/// One order's page, with a message (saved, or a form's error) and the form to show again.
async fn order_page(
    cx: &Console,
    who: &Staff,
    shop: &str,
    number: &str,
    status: StatusCode,
    notice: Option<String>,
    error: Option<(String, Value)>,
) -> Response {
    let shop_cfg = match cx.shop(who, shop) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let detail = match cx.state.store.order_detail(shop, number).await {
        Ok(d) => d,
        Err(e @ crate::store::StoreError::NoSuchOrder { .. }) => {
            return cx.error_page(who, StatusCode::NOT_FOUND, &e.to_string());
        }
        Err(e) => return cx.error_page(who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let pushes = match cx.state.store.pushes_of(shop, number).await {
        Ok(p) => p,
        Err(e) => return cx.error_page(who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let today = crate::time::jst_date(cx.state.clock.now());
    let history: Vec<Value> = detail
        .history
        .iter()
        .map(|(at, event, d)| json!({ "at": crate::time::display_jst(*at), "event": event, "detail": d }))
        .collect();
    let (form_error, form) = match error {
        Some((e, f)) => (Some(e), f),
        None => (None, json!({})),
    };
    let (fees, discounts) = detail.order.fee_lists();
    // The mall's codes in the plugin's words: the status as the sync last read it, else as the
    // plugin declares it; the payment method as declared.
    let plugin = cx.state.runtime.plugin(&shop_cfg.mall).ok();
    let words = |kind, code: &str| {
        plugin
            .as_ref()
            .and_then(|p| p.info().words_for(kind, code).map(str::to_string))
            .unwrap_or_default()
    };
    let mall_status_words = if detail.mall_status_words.is_empty() {
        words(CodeKind::MallStatus, &detail.order.mall_status)
    } else {
        detail.mall_status_words.clone()
    };
    let payment_words = words(CodeKind::PaymentMethod, &detail.order.payment_method);
    cx.page_with(
        who,
        status,
        "order.html",
        "orders",
        json!({
            "shop": { "id": shop_cfg.id, "name": shop_cfg.name, "mall": shop_cfg.mall },
            "o": detail.summary,
            "ordered_at": crate::time::display_jst(detail.summary.ordered_at),
            "order": detail.order,
            "history": history,
            "fees": fees,
            "discounts": discounts,
            "mall_status_words": mall_status_words,
            "payment_words": payment_words,
            "payment_state": detail.order.payment.label(),
            "pushes": pushes,
            "carriers": shop_cfg.carrier_ids.keys().collect::<Vec<_>>(),
            "statuses": OrderStatus::ALL.iter().map(|s| s.id()).collect::<Vec<_>>(),
            "today": today.to_string(),
            "notice": notice,
            "form_error": form_error,
            "form": form,
            "base": format!("/console/orders/{}/{}", enc(shop), enc(number)),
        }),
    )
}

/// `GET /console/orders/{shop}/{number}`.
pub async fn show(
    State(cx): State<Console>,
    who: Staff,
    Path((shop, number)): Path<(String, String)>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let notice = q.contains_key("saved").then(|| cx.tr(who.lang, "saved"));
    order_page(&cx, &who, &shop, &number, StatusCode::OK, notice, None).await
}

/// `POST /console/orders/{shop}/{number}/ship` (staff): checks the shipping data as the CLI
/// and the CSV import do, stores it, and shows the order again (or the form with its error).
pub async fn ship(
    State(cx): State<Console>,
    who: Staff,
    Path((shop, number)): Path<(String, String)>,
    axum::Form(form): axum::Form<ShipForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&form.csrf), Role::Staff) {
        return r;
    }
    let shop_cfg = match cx.shop(&who, &shop) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let today = crate::time::jst_date(cx.state.clock.now());
    let refused = |msg: String, form: &ShipForm| {
        let shown = json!(form);
        let (cx, who, shop, number) = (cx.clone(), who.clone(), shop.clone(), number.clone());
        async move {
            order_page(
                &cx,
                &who,
                &shop,
                &number,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some((msg, shown)),
            )
            .await
        }
    };
    let date = match super::date_field("ship date", &form.ship_date) {
        Ok(d) => d.unwrap_or(today),
        Err(e) => return refused(e, &form).await,
    };
    let update = match crate::tracking::shipping_update(
        shop_cfg,
        &number,
        &form.carrier,
        given(&form.tracking).as_deref(),
        form.dummy.is_some(),
        date,
        form.delivery,
    ) {
        Ok(u) => u,
        Err(e) => {
            let text = super::explain::shipping_text(who.lang, &e);
            return refused(format!("{number}: {text}"), &form).await;
        }
    };
    let now = cx.state.clock.now();
    if let Err(e) = cx
        .state
        .store
        .set_shipping(&shop, &number, &update, now)
        .await
    {
        return refused(format!("order {number}: {e}"), &form).await;
    }
    cx.audit(
        &who.actor(),
        "orders.ship",
        &format!(
            "{shop} {number}{}: {} {}{} on {}",
            update
                .delivery
                .map(|d| format!(" delivery {d}"))
                .unwrap_or_default(),
            update.carrier,
            update.tracking,
            if update.dummy { " (dummy)" } else { "" },
            update.ship_date
        ),
    )
    .await;
    saved(&shop, &number)
}

/// Back to the order's page, saying its change was saved (a redirect, so a reload sends
/// nothing twice).
fn saved(shop: &str, number: &str) -> Response {
    Redirect::to(&format!(
        "/console/orders/{}/{}?saved=1",
        enc(shop),
        enc(number)
    ))
    .into_response()
}

/// The status form.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/orders/{shop}/{number}/status` (staff): a status change (a hold release is
/// one) with the reason staff give, kept in the order's history and the audit log.
pub async fn status(
    State(cx): State<Console>,
    who: Staff,
    Path((shop, number)): Path<(String, String)>,
    axum::Form(form): axum::Form<StatusForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&form.csrf), Role::Staff) {
        return r;
    }
    if let Err(r) = cx.shop(&who, &shop) {
        return *r;
    }
    let checked = match OrderStatus::from_id(&form.status) {
        None => Err(format!("{:?} is not a status", form.status)),
        Some(_) if form.reason.trim().is_empty() => Err(cx.tr(who.lang, "reason_needed")),
        Some(s) => Ok(s),
    };
    let status = match checked {
        Ok(s) => s,
        Err(msg) => {
            let shown = json!(form);
            return order_page(
                &cx,
                &who,
                &shop,
                &number,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some((msg, shown)),
            )
            .await;
        }
    };
    let now = cx.state.clock.now();
    if let Err(e) = cx
        .state
        .store
        .set_status_because(&shop, &number, status, &form.reason, now)
        .await
    {
        return cx.error_page(&who, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string());
    }
    cx.audit(
        &who.actor(),
        "orders.status",
        &format!("{shop} {number} → {}: {}", status.id(), form.reason.trim()),
    )
    .await;
    saved(&shop, &number)
}

/// `GET /console/check-tracking?carrier=&number=`: the tracking rule's verdict as staff type.
#[derive(Deserialize)]
pub struct TrackingQuery {
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    number: String,
}

/// Answers `{"ok": bool, "message": "…"}`.
pub async fn check_tracking(who: Staff, Query(q): Query<TrackingQuery>) -> Response {
    let verdict = crate::tracking::validate(&q.carrier, &q.number);
    axum::Json(json!({
        "ok": verdict.is_ok(),
        "check_digit": crate::tracking::has_check_digit(&q.carrier),
        "message": verdict.err().map(|e| super::explain::tracking_text(who.lang, &e)),
    }))
    .into_response()
}
