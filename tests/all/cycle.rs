//! Fetch → store → take, against the emulator.

use dshopping_emulator::Status;
use mallhost::model::{OrderStatus, TakeState};
use mallhost::store::OrderFilter;
use mallhost::time::Clock as _;
use mallhost_tests::{Options, TestEnv};

#[tokio::test]
async fn a_full_fetch_stores_converts_and_takes() {
    let env = TestEnv::start(Options::default()).await;
    let now = env.clock.now_secs();
    let seeded = env.dshopping().seed_demo(now);
    assert!(seeded > 20);
    let report = env.fetch().await;

    // 24 plain + add-on + multi-delivery = 26 new orders; the test order and the two recent
    // ones are left out; the taken and shipped ones are not new.
    assert_eq!(report.ingested.stored.len(), 26, "{report:#?}");
    assert_eq!(report.skipped_test.len(), 1);
    assert_eq!(
        report.skipped_too_recent.len(),
        2,
        "the 3- and 9-minute orders are held back"
    );
    assert!(report.invalid.is_empty(), "{:?}", report.invalid);
    assert_eq!(report.take.taken.len(), 26);
    assert!(report.take.failed.is_empty());
    assert_eq!(report.plugin, mallhost_tests::dshopping_label());

    // Every stored order moved to 出荷指示待ち on the mall.
    for n in &report.ingested.stored {
        assert_eq!(
            env.dshopping().status_of(n),
            Some(Status::ShipInstructionWait),
            "{n}"
        );
    }
    assert_eq!(env.stored_count().await, 26);

    // Stored in the shop's status; the multi-delivery order on hold with its reason.
    let all = env
        .store
        .list_orders(&OrderFilter::default())
        .await
        .unwrap();
    let held: Vec<_> = all
        .iter()
        .filter(|o| o.status == OrderStatus::OnHold)
        .collect();
    assert_eq!(held.len(), 1);
    assert!(
        held[0]
            .hold_reason
            .as_deref()
            .unwrap_or("")
            .contains("複数配送")
    );
    assert!(
        all.iter()
            .filter(|o| o.status != OrderStatus::OnHold)
            .all(|o| o.status == OrderStatus::AwaitingShipment)
    );
    assert!(all.iter().all(|o| o.take_state == TakeState::Taken));

    // Conversion tables applied; product names missing (no master yet) and counted.
    let one = &report.ingested.stored[0];
    let d = env.store.order_detail("dshop", one).await.unwrap();
    let delivery = &d.order.deliveries[0];
    assert!(
        delivery.carrier.is_some(),
        "delivery method {} converted",
        delivery.delivery_method
    );
    assert!(delivery.time_slot.is_some());
    assert!(d.summary.lines_missing_name > 0);
    assert!(d.order.flags.no_buyer_email);
    assert!(d.history.iter().any(|(_, e, _)| e == "stored"));
    assert!(d.history.iter().any(|(_, e, _)| e == "taken"));
}

#[tokio::test]
async fn fetching_twice_stores_nothing_twice() {
    let env = TestEnv::start(Options::default()).await;
    for n in 0..5 {
        env.order_placed(n, 60 + i64::from(n));
    }
    let syncer = env.syncer();
    let w = syncer.days_window(env.shop());
    let first = syncer.fetch(env.shop(), w).await.unwrap();
    assert_eq!(first.ingested.stored.len(), 5);
    // The mall lists one again as new (as if the take had been lost): fetched again, stored
    // once, taken again.
    let again = env.order_placed(2, 62);
    let second = syncer.fetch(env.shop(), w).await.unwrap();
    assert!(second.ingested.stored.is_empty(), "{second:#?}");
    assert_eq!(second.ingested.already_stored, vec![again.clone()]);
    assert_eq!(second.take.taken, vec![again]);
    assert_eq!(env.stored_count().await, 5);
    let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_lines")
        .fetch_one(env.store.pool())
        .await
        .unwrap();
    assert_eq!(lines, 10, "each order's two lines once");
}

#[tokio::test]
async fn an_order_is_fetched_only_once_it_is_ten_minutes_old() {
    let env = TestEnv::start(Options::default()).await;
    let n = env.order_placed(1, 9);
    let report = env.fetch().await;
    assert!(report.ingested.stored.is_empty());
    assert_eq!(
        env.dshopping().status_of(&n),
        Some(Status::OrderConfirmWait),
        "not taken either"
    );
    env.clock.advance(chrono::Duration::minutes(1));
    let report = env.fetch().await;
    assert_eq!(report.ingested.stored, vec![n.clone()]);
    assert_eq!(
        env.dshopping().status_of(&n),
        Some(Status::ShipInstructionWait)
    );
}

#[tokio::test]
async fn a_test_environment_order_is_never_stored() {
    let env = TestEnv::start(Options::default()).await;
    let n = env.order_placed(1, 60);
    let mut o = env.dshopping().order(&n).unwrap();
    o.test_order = true;
    env.dshopping().add_order(o);
    let report = env.fetch().await;
    assert_eq!(report.skipped_test, vec![n.clone()]);
    assert_eq!(env.stored_count().await, 0);
    assert_eq!(
        env.dshopping().status_of(&n),
        Some(Status::OrderConfirmWait),
        "left alone on the mall"
    );
}

#[tokio::test]
async fn a_date_range_fetch_takes_only_that_range_and_refuses_nonsense() {
    let env = TestEnv::start(Options::default()).await;
    let now = env.clock.now();
    let old = env.order_placed(1, 3 * 24 * 60); // three days ago
    let recent = env.order_placed(2, 60);
    let syncer = env.syncer();
    let today = mallhost::time::jst_date(now);
    let w = syncer.range_window(env.shop(), today, today).unwrap();
    let report = syncer.fetch(env.shop(), w).await.unwrap();
    assert_eq!(report.ingested.stored, vec![recent]);
    assert_eq!(
        env.dshopping().status_of(&old),
        Some(Status::OrderConfirmWait)
    );

    let tomorrow = today.succ_opt().unwrap();
    let e = syncer
        .range_window(env.shop(), tomorrow, tomorrow)
        .unwrap_err()
        .to_string();
    assert!(e.contains("future"), "{e}");
    let e = syncer
        .range_window(env.shop(), today, today.pred_opt().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("reversed"), "{e}");
}

#[tokio::test]
async fn many_pages_are_fetched_completely() {
    let env = TestEnv::start(Options::default()).await;
    env.dshopping().seed_bulk(env.clock.now_secs(), 1000, 250);
    let report = env.fetch().await;
    assert_eq!(report.ingested.stored.len(), 250);
    assert!(report.pages >= 3, "{}", report.pages);
    assert_eq!(report.take.taken.len(), 250);
    assert_eq!(
        env.dshopping().status_counts().get("出荷指示待ち"),
        Some(&250)
    );
}

#[tokio::test]
async fn paging_survives_orders_leaving_the_new_set_between_page_reads() {
    // After every page it serves, the mall sees another client take half of that page: the
    // new orders shift by 50 between reads, so a reader paging by page number would skip 50
    // orders a page. The keyset cursor misses none.
    let env = TestEnv::start(Options::default()).await;
    env.dshopping().seed_bulk(env.clock.now_secs(), 1000, 250);
    env.dshopping().taken_by_others_after_each_page(50);
    let report = env.fetch().await;
    assert_eq!(report.ingested.stored.len(), 250, "{:?}", report.pages);
    assert!(report.pages >= 3, "{}", report.pages);
    // What the other client took counts as taken (the mall has it beyond new already).
    assert_eq!(
        report.take.taken.len() + report.take.already_taken.len(),
        250
    );
    assert!(!report.take.already_taken.is_empty());
    assert!(report.take.failed.is_empty(), "{:?}", report.take.failed);
    assert_eq!(
        env.dshopping().status_counts().get("出荷指示待ち"),
        Some(&250)
    );
}

#[tokio::test]
async fn an_unmappable_order_is_listed_with_its_field_left_untaken_and_fetched_again() {
    let env = TestEnv::start(Options::default()).await;
    let good = env.order_placed(1, 60);
    let bad = env.order_placed(2, 60);
    let mut o = env.dshopping().order(&bad).unwrap();
    o.deliveries[0].items[0].tax_rate = 5;
    env.dshopping().add_order(o.clone());
    let r = env.fetch().await;
    assert_eq!(r.ingested.stored, vec![good.clone()]);
    assert_eq!(r.invalid.len(), 1, "{r:?}");
    let note = &r.invalid[0];
    assert_eq!(note.mall_order_number, bad);
    assert!(
        note.message.contains("deliveries[0].items[0].taxRate")
            && note.message.contains("dshopping@"),
        "names the field and the plugin: {}",
        note.message
    );
    // Left untaken on the mall, not stored.
    assert_eq!(
        env.dshopping().status_of(&bad).map(|s| s.code()),
        Some("ORDER_CONFIRM_WAIT")
    );
    assert_eq!(env.stored_count().await, 1);
    // Next run: still reported; once the mall's record is right, it is stored and taken.
    let again = env.fetch().await;
    assert_eq!(again.invalid.len(), 1);
    o.deliveries[0].items[0].tax_rate = 8;
    env.dshopping().add_order(o);
    let fixed = env.fetch().await;
    assert!(fixed.invalid.is_empty(), "{:?}", fixed.invalid);
    assert_eq!(fixed.ingested.stored, vec![bad.clone()]);
    assert_eq!(fixed.take.taken, vec![bad]);
}

#[tokio::test]
async fn an_order_the_mall_lists_as_new_again_is_taken_again_not_stored_again() {
    let env = TestEnv::start(Options::default()).await;
    let n = env.order_placed(1, 60);
    let first = env.fetch().await;
    assert_eq!(first.take.taken, vec![n.clone()]);
    // The mall's take did not hold: it shows the order as new (受注確認待ち) again.
    let mut o = env.dshopping().order(&n).unwrap();
    o.status = dshopping_emulator::Status::OrderConfirmWait;
    env.dshopping().add_order(o);
    let second = env.fetch().await;
    assert_eq!(second.ingested.already_stored, vec![n.clone()]);
    assert_eq!(second.take.taken, vec![n.clone()], "taken again");
    assert_eq!(env.stored_count().await, 1);
    let d = env.store.order_detail("dshop", &n).await.unwrap();
    assert!(
        d.history.iter().any(|(_, e, _)| e == "take_again"),
        "{:?}",
        d.history
    );
}

#[tokio::test]
async fn the_runtime_says_where_plugin_time_went() {
    let env = TestEnv::start(Options::default()).await;
    env.order_placed(1, 60);
    let before = env.runtime.usage();
    env.fetch().await;
    let after = env.runtime.usage();
    // fetch-orders and take-orders at least, each with HTTP inside.
    assert!(after.calls >= before.calls + 2, "{before:?} → {after:?}");
    assert!(after.host > before.host, "the mall's answers are host time");
    assert!(after.wall >= after.host);
    assert!(after.guest_and_boundary() > before.guest_and_boundary());
}
