//! 伝票番号の連続入力: a scan-friendly screen for the orders ticked on 受注一覧. One order at a time
//! with its recipient and deliveries; staff type or scan the number, Enter saves it (checked by
//! `tracking`'s one rule, full-width digits and hyphens read as half-width) and the next order
//! of the selection comes up. A refused number stays on its order with the reason.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{Console, Staff};

/// Full-width digits, letters and hyphens (as an IME or a scanner in 全角 mode types them) as
/// half-width; spaces dropped.
pub(crate) fn typed_number(text: &str) -> String {
    crate::labels::text::half_width(text)
        .replace(['ー', '－'], "-")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// `POST /console/scan` (staff): the selection's order at `at` (the first when the list's
/// button sends the selection); with `tracking`, saves it for that order first.
pub async fn scan(State(cx): State<Console>, who: Staff, body: Bytes) -> Response {
    let p = match super::labels::selection(&cx, &who, &body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.orders.is_empty() {
        let msg = cx.tr(who.lang, "select_orders");
        return cx.error_page(&who, StatusCode::UNPROCESSABLE_ENTITY, &msg);
    }
    let field = |name: &str| {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let mut at: usize = field("at").parse().unwrap_or(0);
    let mut error = None;
    let mut saved = None;
    let typed = typed_number(&field("tracking"));
    if !typed.is_empty()
        && let Some((shop, number)) = p.orders.get(at)
    {
        let now = cx.state.clock.now();
        let today = crate::time::jst_date(now);
        let delivery = field("delivery").parse::<u32>().ok();
        let result = match cx.shop(&who, shop) {
            Err(r) => return *r,
            Ok(cfg) => crate::tracking::shipping_update(
                cfg,
                number,
                &field("carrier"),
                Some(&typed),
                false,
                today,
                delivery,
            )
            .map_err(|e| super::explain::shipping_text(who.lang, &e)),
        };
        let stored = match result {
            Ok(update) => cx
                .state
                .store
                .set_shipping(shop, number, &update, now)
                .await
                .map(|()| update)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match stored {
            Ok(update) => {
                cx.audit(
                    &who.actor(),
                    "orders.ship",
                    &format!(
                        "{shop} {number}: {} {} (scanned)",
                        update.carrier, update.tracking
                    ),
                )
                .await;
                saved = Some(format!("{number}: {}", update.tracking));
                at += 1;
            }
            Err(e) => error = Some(format!("{number}: {e}")),
        }
    }
    let selection: Vec<String> = p.orders.iter().map(|(s, n)| format!("{s}/{n}")).collect();
    let Some((shop, number)) = p.orders.get(at) else {
        return cx.page(
            &who,
            "scan.html",
            "orders",
            json!({ "done": true, "count": p.orders.len(), "saved": saved, "selection": selection }),
        );
    };
    let detail = match cx.state.store.order_detail(shop, number).await {
        Ok(d) => d,
        Err(e) => return cx.error_page(&who, StatusCode::NOT_FOUND, &e.to_string()),
    };
    let carriers: Vec<String> = cx
        .state
        .config
        .shop(shop)
        .map(|s| s.carrier_ids.keys().cloned().collect())
        .unwrap_or_default();
    let deliveries: Vec<_> = detail
        .order
        .deliveries
        .iter()
        .map(|d| {
            json!({
                "no": d.delivery_no,
                "to": d.recipient,
                "carrier": d.carrier,
                "lines": d.lines.len(),
            })
        })
        .collect();
    let first_carrier = detail
        .order
        .deliveries
        .first()
        .and_then(|d| d.carrier.clone());
    cx.page_with(
        &who,
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "scan.html",
        "orders",
        json!({
            "done": false,
            "at": at,
            "position": at + 1,
            "count": p.orders.len(),
            "shop": shop,
            "number": number,
            "deliveries": deliveries,
            "carriers": carriers,
            "carrier": first_carrier,
            "selection": selection,
            "saved": saved,
            "error": error,
            "typed": if error.is_some() { typed } else { String::new() },
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_hyphens_are_read_half_width() {
        assert_eq!(
            typed_number("１２３４－５６７８－９０１３"),
            "1234-5678-9013"
        );
        assert_eq!(typed_number(" 1234 5678 9013 "), "123456789013");
        assert_eq!(typed_number("１２３４ー５６７８"), "1234-5678");
    }
}
