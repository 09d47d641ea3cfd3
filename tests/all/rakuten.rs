//! The second mall: a Rakuten shop beside the d Shopping one, in one host and one database,
//! each on its own emulator. Fetch, take, per-basket export, cancellations, the licence key, the
//! mall's pace, and a d Shopping plugin swap that leaves the Rakuten sync alone.

use mallhost::model::{OrderStatus, TakeState};
use mallhost::store::{OrderFilter, ShippingUpdate};
use mallhost::sync::{Exclusion, ExportOptions};
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, RakutenOptions, TestEnv, rakuten_pass};
use rakuten_emulator::Method;

/// 12 digits passing the carriers' mod-7 check digit.
fn tracking(seed: u64) -> String {
    let body = 30_000_000_000 + seed * 7_919;
    format!("{body:011}{}", body % 7)
}

async fn two_malls(r: RakutenOptions) -> TestEnv {
    TestEnv::start(Options {
        rakuten: Some(r),
        ..Options::default()
    })
    .await
}

/// A Rakuten shop on an emulator that limits to 1 request a second, at the plugin's declared
/// pace, with pages of 30 and `orders` new orders.
async fn paced_with_orders(orders: u32) -> TestEnv {
    let env = two_malls(RakutenOptions {
        rate: Some(1),
        pace: "mall".into(),
        settings_toml: "search_page_size = \"30\"".into(),
        ..RakutenOptions::default()
    })
    .await;
    for i in 0..orders {
        env.rakuten_order_placed(i, 60 + i64::from(i));
    }
    env
}

#[tokio::test]
async fn both_malls_fetch_take_and_export_in_one_host() {
    if !rakuten_pass() {
        return;
    }
    let env = two_malls(RakutenOptions::default()).await;
    let now = env.clock.now_secs();
    env.dshopping().seed_demo(now);
    let seeded = env.rakuten().seed_demo(now);
    assert_eq!(seeded, 11);

    let d = env.fetch().await;
    let r = env.fetch_shop(env.rshop()).await;
    assert!(!d.ingested.stored.is_empty());
    // 9 new orders; the one under review (200) and the cancelled one (900) are not fetched.
    assert_eq!(r.ingested.stored.len(), 9, "{r:#?}");
    assert!(r.invalid.is_empty(), "{:?}", r.invalid);
    assert_eq!(r.take.taken.len(), 9);
    assert_eq!(r.plugin, "rakuten@0.1.0");
    for n in &r.take.taken {
        assert_eq!(env.rakuten().progress_of(n), Some(300), "{n} confirmed");
    }
    // Each shop's orders are its own.
    let rakuten_rows = env
        .store
        .list_orders(&OrderFilter {
            shop: Some("rshop".into()),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(rakuten_rows.len(), 9);
    assert!(
        rakuten_rows
            .iter()
            .all(|o| o.take_state == TakeState::Taken)
    );
    assert_eq!(
        env.stored_count().await,
        (9 + d.ingested.stored.len()) as i64
    );

    // The gift order: two baskets stored as two deliveries (not held: Rakuten ships per basket),
    // names and options from the mall, the relay e-mail, fees and discounts.
    let gift = r
        .ingested
        .stored
        .iter()
        .find(|n| n.ends_with("0000001"))
        .expect("the gift order");
    let g = env.store.order_detail("rshop", gift).await.unwrap();
    assert_eq!(g.summary.status, OrderStatus::AwaitingShipment);
    assert_eq!(g.order.deliveries.len(), 2);
    assert_eq!(
        g.order.deliveries[0].mall_delivery_id.as_deref(),
        Some("2000000101")
    );
    assert_eq!(g.order.deliveries[0].time_slot.as_deref(), Some("14-16"));
    assert_eq!(g.order.deliveries[0].carrier.as_deref(), Some("yamato"));
    let line = &g.order.deliveries[0].lines[0];
    assert_eq!(line.product_name.as_deref(), Some("有田焼 ティーセット 赤"));
    assert!(
        line.option_text
            .as_deref()
            .unwrap_or("")
            .contains("のし:御歳暮")
    );
    let email = g.order.buyer_email.as_ref().expect("relay e-mail");
    assert!(email.relay && email.address.ends_with("rakuten.ne.jp"));
    let fee = |label: &str| {
        g.order
            .fees
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.amount)
    };
    assert_eq!(fee("送料"), Some(660));
    assert_eq!(fee("ラッピング"), Some(330));
    assert_eq!(g.order.discounts.len(), 2, "points and a coupon");

    // Staff ship: the gift order a parcel per basket, plus a d Shopping order.
    let today = jst_date(env.clock.now());
    let at = env.clock.now();
    for (i, basket) in [(1u64, 1u32), (2, 2)] {
        env.store
            .set_shipping(
                "rshop",
                gift,
                &ShippingUpdate {
                    delivery: Some(basket),
                    ..ShippingUpdate::new("yamato", &tracking(i), today)
                },
                at,
            )
            .await
            .unwrap();
    }
    let dshop_order = &d.take.taken[0];
    env.store
        .set_shipping(
            "dshop",
            dshop_order,
            &ShippingUpdate::new("yamato", &tracking(9), today),
            at,
        )
        .await
        .unwrap();
    let syncer = env.syncer();
    let re = syncer
        .export(env.rshop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(re.pushed.len(), 1, "{re:#?}");
    assert!(re.failed.is_empty() && re.rejected.is_empty(), "{re:#?}");
    let de = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(de.pushed.len(), 1, "{de:#?}");

    let on_mall = env.rakuten().order(gift).unwrap();
    assert_eq!(on_mall.progress, 500, "every basket has its parcel: 発送済");
    for (b, i) in on_mall.baskets.iter().zip([1u64, 2]) {
        assert_eq!(b.shippings.len(), 1, "basket {}", b.id);
        assert_eq!(b.shippings[0].company, "1001");
        assert_eq!(b.shippings[0].number, tracking(i));
    }
    assert_eq!(
        env.store
            .order_detail("rshop", gift)
            .await
            .unwrap()
            .summary
            .status,
        OrderStatus::Shipped
    );
    assert_eq!(
        env.dshopping().status_of(dshop_order),
        Some(dshopping_emulator::Status::Shipped)
    );
}

#[tokio::test]
async fn a_second_parcel_of_a_basket_is_sent_beside_the_first() {
    if !rakuten_pass() {
        return;
    }
    let env = two_malls(RakutenOptions::default()).await;
    let n = env.rakuten_order_placed(41, 60);
    env.fetch_shop(env.rshop()).await;
    let today = jst_date(env.clock.now());
    let at = env.clock.now();
    env.store
        .set_shipping(
            "rshop",
            &n,
            &ShippingUpdate::new("yamato", &tracking(1), today),
            at,
        )
        .await
        .unwrap();
    env.store
        .add_parcel(
            "rshop",
            &n,
            &ShippingUpdate::new("sagawa", &tracking(2), today),
            at,
        )
        .await
        .unwrap();
    let e = env
        .syncer()
        .export(env.rshop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(e.pushed.len(), 1, "{e:#?}");
    let b = &env.rakuten().order(&n).unwrap().baskets[0];
    let parcels: Vec<(&str, String)> = b
        .shippings
        .iter()
        .map(|s| (s.company.as_str(), s.number.clone()))
        .collect();
    assert_eq!(parcels, vec![("1001", tracking(1)), ("1002", tracking(2))]);
    assert_eq!(env.rakuten().parcels_added(), 2);
}

#[tokio::test]
async fn fetching_twice_stores_and_confirms_nothing_twice() {
    if !rakuten_pass() {
        return;
    }
    let env = two_malls(RakutenOptions::default()).await;
    for i in 0..5 {
        env.rakuten_order_placed(i, 30 + i64::from(i));
    }
    let first = env.fetch_shop(env.rshop()).await;
    assert_eq!(first.ingested.stored.len(), 5);
    let second = env.fetch_shop(env.rshop()).await;
    assert!(second.ingested.stored.is_empty(), "{second:#?}");
    assert!(second.take.taken.is_empty());
    assert_eq!(env.stored_count().await, 5);
    assert_eq!(env.rakuten().confirmed_ok(), 5);
    let confirms = env
        .rakuten()
        .calls_per_order(rakuten_emulator::Method::ConfirmOrder);
    assert!(
        confirms.len() == 5 && confirms.values().all(|&c| c == 1),
        "each asked once: {confirms:?}"
    );
}

#[tokio::test]
async fn a_wrong_licence_key_is_an_auth_error_naming_the_shop_and_the_key() {
    if !rakuten_pass() {
        return;
    }
    let env = two_malls(RakutenOptions {
        license_key: Some("SL391234_revoked".into()),
        ..RakutenOptions::default()
    })
    .await;
    env.rakuten_order_placed(1, 60);
    let syncer = env.syncer();
    let err = syncer
        .fetch(env.rshop(), syncer.days_window(env.rshop()))
        .await
        .expect_err("refused");
    let text = format!("{err:#}");
    assert!(text.contains("rshop"), "{text}");
    assert!(
        text.contains("licenseKey") && text.contains("ES04-01"),
        "{text}"
    );
    assert!(
        !text.contains("SL391234_revoked"),
        "the key itself is never shown: {text}"
    );
    assert_eq!(
        env.rakuten().auth_refused_count(),
        1,
        "no retries of a refused key"
    );
    assert_eq!(env.stored_count().await, 0);
    // The d Shopping shop in the same host is not affected.
    env.order_placed(1, 60);
    assert_eq!(env.fetch().await.ingested.stored.len(), 1);
}

#[tokio::test]
async fn an_expired_licence_key_refuses_before_any_request() {
    if !rakuten_pass() {
        return;
    }
    let env = two_malls(RakutenOptions {
        expires: "2026-11-27".into(), // the day before the tests' now
        ..RakutenOptions::default()
    })
    .await;
    env.rakuten_order_placed(1, 60);
    let syncer = env.syncer();
    let err = syncer
        .fetch(env.rshop(), syncer.days_window(env.rshop()))
        .await
        .expect_err("refused");
    let text = format!("{err:#}");
    assert!(
        text.contains("rshop") && text.contains("license_key") && text.contains("2026-11-27"),
        "{text}"
    );
    for m in [Method::SearchOrder, Method::GetOrder, Method::ConfirmOrder] {
        assert_eq!(env.rakuten().request_count(m), 0, "{m:?}");
    }
    assert_eq!(
        env.rakuten().auth_refused_count(),
        0,
        "nothing reached the mall"
    );
    // `mallhost shops` shows it.
    let (ok, out, _) = env.cli(&["shops"]).await;
    assert!(ok);
    assert!(
        out.contains("license_key") && out.contains("EXPIRED on 2026-11-27"),
        "{out}"
    );
}

#[tokio::test]
async fn a_buyer_cancellation_after_the_take_reaches_the_host_and_is_never_pushed() {
    if !rakuten_pass() {
        return;
    }
    let env = two_malls(RakutenOptions::default()).await;
    let n = env.rakuten_order_placed(1, 60);
    let kept = env.rakuten_order_placed(2, 60);
    let first = env.fetch_shop(env.rshop()).await;
    assert_eq!(first.take.taken.len(), 2);
    // The buyer cancels on Rakuten (through the emulator's control endpoint); staff had
    // already entered shipping data for both.
    let resp = reqwest::Client::new()
        .post(format!("{}/control/cancel", env.rakuten().url()))
        .header("content-type", "application/json")
        .body(serde_json::json!({ "orderNumber": n }).to_string())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(env.rakuten().progress_of(&n), Some(900));
    let today = jst_date(env.clock.now());
    for (i, number) in [&n, &kept].into_iter().enumerate() {
        env.store
            .set_shipping(
                "rshop",
                number,
                &ShippingUpdate::new("yamato", &tracking(i as u64), today),
                env.clock.now(),
            )
            .await
            .unwrap();
    }
    let second = env.fetch_shop(env.rshop()).await;
    assert_eq!(second.states.cancelled.len(), 1, "{:?}", second.states);
    assert_eq!(second.states.cancelled[0].mall_order_number, n);
    let d = env.store.order_detail("rshop", &n).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::Cancelled);
    let e = env
        .syncer()
        .export(env.rshop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(e.pushed.len(), 1);
    assert_eq!(e.pushed[0].mall_order_number, kept);
    assert!(e.excluded.iter().any(|x| x.mall_order_number == n
        && matches!(
            x.reason,
            Exclusion::Status {
                status: OrderStatus::Cancelled,
                ..
            }
        )));
    assert!(
        env.rakuten().order(&n).unwrap().baskets[0]
            .shippings
            .is_empty(),
        "never pushed"
    );
}

#[tokio::test]
async fn an_order_cancelled_before_the_take_is_reported_never_taken() {
    if !rakuten_pass() {
        return;
    }
    let env = two_malls(RakutenOptions::default()).await;
    let n = env.rakuten_order_placed(1, 60);
    // Cancelled between the fetch's search and the confirmation.
    env.rakuten().cancel(&n);
    let results = env
        .runtime
        .connector(env.rshop())
        .take_orders(std::slice::from_ref(&n))
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    assert!(
        matches!(&results[0].1, Ok(mallhost::connector::TakeOutcome::Cancelled(m)) if m.contains("900")),
        "{:?}",
        results[0].1
    );
    assert_eq!(env.rakuten().confirmed_ok(), 0);
}

#[tokio::test]
async fn the_malls_pace_of_one_request_a_second_meets_no_429_over_many_pages() {
    if !rakuten_pass() {
        return;
    }
    let env = paced_with_orders(65).await;
    let started = std::time::Instant::now();
    let r = env.fetch_shop(env.rshop()).await;
    let took = started.elapsed();
    assert_eq!(r.ingested.stored.len(), 65, "{r:#?}");
    assert_eq!(r.take.taken.len(), 65);
    assert_eq!(
        env.rakuten().rate_limited_count(),
        0,
        "no 429 at the declared pace"
    );
    let searches = env.rakuten().request_count(Method::SearchOrder);
    assert!(
        searches >= 3,
        "65 orders are at least three pages of 30: {searches}"
    );
    let requests = searches
        + env.rakuten().request_count(Method::GetOrder)
        + env.rakuten().request_count(Method::ConfirmOrder);
    assert!(
        took.as_secs_f64() >= f64::from(requests - 1) * 0.99,
        "{requests} requests in {took:?}: faster than 1 a second"
    );
}

#[tokio::test]
async fn a_dshopping_plugin_swap_during_a_rakuten_sync_leaves_it_untouched() {
    if !rakuten_pass() {
        return;
    }
    let env = paced_with_orders(40).await;
    let rakuten_before = env.runtime.plugin("rakuten").unwrap();
    let (first, _) = mallhost_tests::dshopping_variant(env.dir.path(), "dshopping-first", 6);
    let dshopping_before = env
        .app
        .plugin_dir()
        .install(&env.runtime, &first, None)
        .await
        .expect("first install");
    let sync = async {
        let r = env.fetch_shop(env.rshop()).await;
        (r, std::time::Instant::now())
    };
    let swap = async {
        // While the Rakuten fetch waits on its pace: install a d Shopping build, then roll back.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let (file, digest) = mallhost_tests::dshopping_variant(env.dir.path(), "dshopping-next", 7);
        let installed = env
            .app
            .plugin_dir()
            .install(&env.runtime, &file, None)
            .await
            .expect("install");
        assert_eq!(installed.digest(), digest);
        let back = env
            .app
            .plugin_dir()
            .rollback(&env.runtime, "dshopping")
            .await
            .expect("rollback");
        (
            installed.digest().to_string(),
            back.digest().to_string(),
            std::time::Instant::now(),
        )
    };
    let ((report, synced_at), (installed, back, swapped_at)) = tokio::join!(sync, swap);
    assert!(
        swapped_at < synced_at,
        "the swap happened while the Rakuten sync ran"
    );
    assert_ne!(installed, dshopping_before.digest());
    assert_eq!(
        back,
        dshopping_before.digest(),
        "rolled back to the first build"
    );
    assert_eq!(report.ingested.stored.len(), 40, "{report:#?}");
    assert_eq!(report.take.taken.len(), 40);
    let rakuten_after = env.runtime.plugin("rakuten").unwrap();
    assert_eq!(rakuten_after.digest(), rakuten_before.digest());
    assert!(
        std::sync::Arc::ptr_eq(&rakuten_before, &rakuten_after),
        "the Rakuten plugin was not reloaded"
    );
    assert_eq!(env.rakuten().rate_limited_count(), 0);
}

#[tokio::test]
async fn the_emulators_fault_control_reaches_the_host_as_a_transient_fault_then_clears() {
    if !rakuten_pass() {
        return;
    }
    let env = two_malls(RakutenOptions::default()).await;
    env.rakuten_order_placed(1, 60);
    let tries = 1 + env.config.sync.transient_retries;
    let resp = reqwest::Client::new()
        .post(format!("{}/control/fault", env.rakuten().url()))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"method": "searchOrder", "count": tries, "status": 503}).to_string(),
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let syncer = env.syncer();
    let e = syncer
        .fetch(env.rshop(), syncer.days_window(env.rshop()))
        .await
        .expect_err("the mall is down for every try");
    assert!(e.to_string().contains("Rakuten 503"), "{e}");
    assert_eq!(env.rakuten().request_count(Method::SearchOrder), tries);
    // The faults are spent: the next run fetches.
    assert_eq!(env.fetch_shop(env.rshop()).await.ingested.stored.len(), 1);
}
