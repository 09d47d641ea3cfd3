//! The manual's rules as a merchant meets them, through the library: multi-delivery orders,
//! conversion tables, product names, overlapping windows, the scheduler.

use std::sync::Arc;
use std::time::Duration;

use dshopping_emulator::{Endpoint, Status};
use mallhost::model::OrderStatus;
use mallhost::store::ShippingUpdate;
use mallhost::sync::scheduler::{Job, Scheduler};
use mallhost::sync::{Exclusion, ExportOptions};
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, TestEnv};

const T1: &str = "123456789013";
const T2: &str = "123456789024"; // 12345678902 mod 7 = 4

/// Adds an order with two destinations and fetches it; returns its number.
async fn multi_delivery_order(env: &TestEnv) -> String {
    let n = env.order_placed(1, 60);
    let mut o = env.dshopping().order(&n).unwrap();
    let mut second = o.deliveries[0].clone();
    second.delivery_no = 2;
    second.recipient.name = "田中 健".into();
    second.items[0].line_no = 9;
    o.deliveries.push(second);
    o.amounts = dshopping_emulator::EmuAmounts::compute(&o.deliveries, 1100, 0, 0);
    env.dshopping().add_order(o);
    env.fetch().await;
    n
}

#[tokio::test]
async fn a_multi_delivery_order_is_held_and_exported_only_with_a_number_per_delivery() {
    let env = TestEnv::start(Options::default()).await;
    let n = multi_delivery_order(&env).await;
    let d = env.store.order_detail("dshop", &n).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::OnHold);
    assert!(
        d.summary
            .hold_reason
            .as_deref()
            .unwrap()
            .contains("複数配送")
    );
    assert_eq!(d.order.deliveries.len(), 2, "every delivery stored");
    assert_eq!(d.order.deliveries[1].recipient.name, "田中 健");
    assert!(!d.order.deliveries[1].lines.is_empty(), "with its lines");

    let today = jst_date(env.clock.now());
    let now = env.clock.now();
    env.store
        .set_shipping("dshop", &n, &ShippingUpdate::new("yamato", T1, today), now)
        .await
        .unwrap();
    let syncer = env.syncer();
    let r = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(
        matches!(
            r.excluded[0].reason,
            Exclusion::Status {
                status: OrderStatus::OnHold,
                ..
            }
        ),
        "held: {r:?}"
    );

    env.store
        .set_status("dshop", &n, OrderStatus::AwaitingShipment, now)
        .await
        .unwrap();
    let r = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(
        r.excluded[0].reason,
        Exclusion::DeliveriesUntracked {
            deliveries: vec![2]
        }
    );
    assert_eq!(
        env.dshopping().status_of(&n),
        Some(Status::ShipInstructionWait)
    );

    let second = ShippingUpdate {
        delivery: Some(2),
        ..ShippingUpdate::new("yamato", T2, today)
    };
    env.store
        .set_shipping("dshop", &n, &second, now)
        .await
        .unwrap();
    let r = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(r.pushed.len(), 1, "{r:?}");
    assert_eq!(
        r.pushed[0].tracking_number, T1,
        "the mall keeps one number: the first delivery's"
    );
    assert_eq!(env.dshopping().status_of(&n), Some(Status::Shipped));

    let missing = ShippingUpdate {
        delivery: Some(3),
        ..ShippingUpdate::new("yamato", T2, today)
    };
    let e = env
        .store
        .set_shipping("dshop", &n, &missing, now)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no delivery 3"), "{e}");
}

#[tokio::test]
async fn an_unknown_label_is_stored_raw_warned_and_listed() {
    let env = TestEnv::start(Options::default()).await;
    let n = env.order_placed(1, 60);
    let mut o = env.dshopping().order(&n).unwrap();
    o.deliveries[0].delivery_method = "チルド便".into();
    o.deliveries[0].desired_time_slot = "20-21".into();
    env.dshopping().add_order(o);
    let r = env.fetch().await;
    assert_eq!(r.ingested.stored, vec![n.clone()], "not blocked");
    let kinds: Vec<_> = r
        .ingested
        .unknown_labels
        .iter()
        .map(|u| (u.kind, u.label.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![("delivery_method", "チルド便"), ("time_slot", "20-21")]
    );
    let d = env.store.order_detail("dshop", &n).await.unwrap();
    assert_eq!(d.order.deliveries[0].delivery_method, "チルド便");
    assert_eq!(d.order.deliveries[0].carrier, None);
    let listed = env.store.unconverted_labels("dshop").await.unwrap();
    assert_eq!(
        listed,
        vec![
            ("delivery_method".to_string(), "チルド便".to_string(), 1),
            ("time_slot".to_string(), "20-21".to_string(), 1),
        ]
    );
    // Without a carrier the order is not exported, and says why.
    let today = jst_date(env.clock.now());
    env.store
        .set_status("dshop", &n, OrderStatus::AwaitingShipment, env.clock.now())
        .await
        .unwrap();
    let dry = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::DRY_RUN)
        .await
        .unwrap();
    assert_eq!(dry.excluded[0].reason, Exclusion::NoShipDate);
}

#[tokio::test]
async fn product_names_come_from_the_master_and_fill_in_later() {
    let env = TestEnv::start(Options::default()).await;
    let now = env.clock.now();
    env.store
        .upsert_product(
            "tea-set-01",
            "tea-set-01-blue",
            "有田焼 茶器セット（青）",
            Some(3300),
            now,
        )
        .await
        .unwrap();
    let n = env.order_placed(1, 60); // lines: tea-set-01-blue ×2, senbei-box-24 ×1
    env.fetch().await;
    let d = env.store.order_detail("dshop", &n).await.unwrap();
    let names: Vec<_> = d.order.deliveries[0]
        .lines
        .iter()
        .map(|l| l.product_name.clone())
        .collect();
    assert_eq!(
        names,
        vec![Some("有田焼 茶器セット（青）".to_string()), None]
    );
    let missing = env.store.missing_names().await.unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(
        (missing[0].item_code.as_str(), missing[0].lines),
        ("senbei-box", 1)
    );
    // The master gains it (item-level name, empty SKU): the stored order gets it at once.
    let filled = env
        .store
        .upsert_product("senbei-box", "", "草加せんべい", None, now)
        .await
        .unwrap();
    assert_eq!(filled, 1);
    assert!(env.store.missing_names().await.unwrap().is_empty());
    let d = env.store.order_detail("dshop", &n).await.unwrap();
    assert_eq!(
        d.order.deliveries[0].lines[1].product_name.as_deref(),
        Some("草加せんべい")
    );
}

#[tokio::test]
async fn overlapping_windows_store_a_boundary_order_once() {
    let env = TestEnv::start(Options::default()).await;
    let syncer = env.syncer();
    // An order near the end of the first window, whose take fails in the first run: it is still
    // new on the mall when the next, overlapping window reads it again.
    let first = syncer.days_window(env.shop());
    let at_boundary = env
        .dshopping()
        .add_plain_order(7, first.end.timestamp() - 600);
    // Every attempt of the first run fails (the first try and each retry of the policy).
    let attempts = 1 + env.config.sync.transient_retries;
    env.dshopping()
        .fail_next(Endpoint::Acknowledge, attempts, 500);
    let r1 = syncer.fetch(env.shop(), first).await.unwrap();
    assert_eq!(r1.ingested.stored, vec![at_boundary.clone()]);
    assert_eq!(r1.take.failed.len(), 1, "{:?}", r1.take);
    // The next run's window overlaps the first by most of a week and returns the order again.
    env.clock.advance(chrono::Duration::minutes(15));
    let second = syncer.days_window(env.shop());
    assert!(second.start < first.end && second.end > first.end);
    let r2 = syncer.fetch(env.shop(), second).await.unwrap();
    assert_eq!(r2.fetched, 1, "the overlap returned it again");
    assert!(r2.ingested.stored.is_empty(), "{r2:?}");
    assert_eq!(r2.ingested.already_stored, vec![at_boundary.clone()]);
    assert_eq!(r2.take.taken, vec![at_boundary.clone()]);
    assert_eq!(env.stored_count().await, 1);
    let stored_rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM order_history WHERE event = 'stored'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
    assert_eq!(stored_rows, 1, "stored once, with one history row");
}

#[tokio::test]
async fn a_job_never_runs_beside_itself() {
    // The mall holds every search unanswered, so the scheduler's first fetch run stays in
    // progress for as long as the test needs.
    let env = TestEnv::start(Options::default()).await;
    env.order_placed(1, 30);
    env.dshopping().hold(Endpoint::SearchOrders);
    let mut shop = env.shop().clone();
    shop.auto_fetch = Some(Duration::from_millis(20));
    let sched = Scheduler::start(
        env.store.clone(),
        Arc::clone(&env.runtime),
        env.clock.clone(),
        env.config.sync.clone(),
        vec![shop],
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while env.dshopping().waiting(Endpoint::SearchOrders) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never reached the mall"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A run started from elsewhere while it goes (the admin API's /jobs/run) is refused at once;
    // a broken lock would start a second run, which would wait at the mall's door too.
    let ran =
        tokio::time::timeout(Duration::from_secs(10), sched.run_now("dshop", Job::Fetch)).await;
    assert_eq!(ran, Ok(false), "a second run was started beside the first");
    // Ticks passed meanwhile; none started a run either.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        env.dshopping().waiting(Endpoint::SearchOrders),
        1,
        "one run at the mall"
    );
    assert_eq!(sched.stats()[0].runs, 0, "the first run is still going");
    assert!(sched.stats()[0].skipped_busy >= 1);

    env.dshopping().release(Endpoint::SearchOrders);
    let stats = sched.shutdown().await;
    assert!(stats[0].runs >= 1 && stats[0].failures == 0, "{stats:?}");
    assert_eq!(env.stored_count().await, 1);
    // Once the first run is over, a run from elsewhere goes ahead.
    assert!(sched.run_now("dshop", Job::Fetch).await);
}

#[tokio::test]
async fn the_scheduler_goes_on_after_failed_runs() {
    // A slow mall: 2 requests a second, and a fetch of 250 orders needs several waits.
    let env = TestEnv::start(Options {
        rate: Some(2),
        ..Options::default()
    })
    .await;
    env.dshopping().seed_bulk(env.clock.now_secs(), 1, 250);
    // The first run fails (the mall is down for it), the next ones succeed.
    env.dshopping().fail_next(Endpoint::SearchOrders, 3, 500);
    let mut shop = env.shop().clone();
    shop.auto_fetch = Some(Duration::from_millis(50));
    let shared: mallhost::time::SharedClock = env.clock.clone();
    let sched = Scheduler::start(
        env.store.clone(),
        Arc::clone(&env.runtime),
        shared,
        env.config.sync.clone(),
        vec![shop],
    );
    // Wait until at least two runs have finished, the second a success.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let s = &sched.stats()[0];
        if s.runs >= 2 && env.stored_count().await == 250 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "scheduler made no progress: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = sched.shutdown().await;
    let s = &stats[0];
    assert!(s.failures >= 1, "the failed run was counted: {s:?}");
    assert!(
        s.last_error
            .as_deref()
            .unwrap_or("")
            .contains("INTERNAL_ERROR"),
        "{s:?}"
    );
    assert_eq!(env.stored_count().await, 250);
    assert_eq!(
        env.dshopping().status_counts().get("出荷指示待ち"),
        Some(&250)
    );
}
