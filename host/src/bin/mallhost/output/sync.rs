//! Fetch, take and export reports as text.

use mallhost::sync::{ExportReport, FetchReport, TakeReport};
use mallhost::time::display_jst;

use super::{Format, print_or_json, some};

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
        if !r.confirmed.is_empty() {
            s.push_str(&format!(
                ", {} already on the mall (answer lost before; looked up, not sent again)",
                r.confirmed.len()
            ));
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
    for l in &r.confirmed {
        s.push_str(&format!(
            "  = {} carrier id {} tracking {}: on the mall already (looked up)\n",
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
