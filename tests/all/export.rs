//! Export (データ書出): the manual's four conditions, carrier ids, at-most-once pushes.

use dshopping_emulator::{Endpoint, Status};
use mallhost::model::OrderStatus;
use mallhost::store::ShippingUpdate;
use mallhost::sync::{Exclusion, ExportOptions};
use mallhost::time::Clock as _;
use mallhost::time::jst_date;
use mallhost_tests::{Options, TestEnv};

/// Stores and takes `count` orders; returns their numbers.
async fn taken_orders(env: &TestEnv, count: u32) -> Vec<String> {
    for n in 0..count {
        env.order_placed(n, 60 + i64::from(n));
    }
    let r = env.fetch().await;
    assert_eq!(r.take.taken.len(), count as usize);
    r.take.taken
}

const GOOD_TRACKING: &str = "123456789013"; // 12345678901 mod 7 = 3

#[tokio::test]
async fn only_orders_meeting_all_four_conditions_are_pushed() {
    let env = TestEnv::start(Options::default()).await;
    let n = taken_orders(&env, 6).await;
    let today = jst_date(env.clock.now());
    let tomorrow = today.succ_opt().unwrap();
    let s = &env.store;
    let now = env.clock.now();
    s.set_shipping(
        "dshop",
        &n[0],
        &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
        now,
    )
    .await
    .unwrap(); // ok
    s.set_shipping(
        "dshop",
        &n[1],
        &ShippingUpdate::new("yamato", GOOD_TRACKING, tomorrow),
        now,
    )
    .await
    .unwrap(); // future date
    s.set_shipping(
        "dshop",
        &n[2],
        &ShippingUpdate::new("yamato", "", today),
        now,
    )
    .await
    .unwrap(); // no tracking
    s.set_shipping(
        "dshop",
        &n[3],
        &ShippingUpdate::new("", GOOD_TRACKING, today),
        now,
    )
    .await
    .unwrap(); // no carrier
    s.set_shipping(
        "dshop",
        &n[4],
        &ShippingUpdate::new("sagawa", GOOD_TRACKING, today),
        now,
    )
    .await
    .unwrap(); // no carrier id
    s.set_status("dshop", &n[5], OrderStatus::OnHold, now)
        .await
        .unwrap(); // on hold

    let syncer = env.syncer();
    let dry = syncer
        .export(env.shop(), today, today, ExportOptions::DRY_RUN)
        .await
        .unwrap();
    assert_eq!(dry.pushed.len(), 1);
    assert_eq!(
        env.dshopping().status_of(&n[0]),
        Some(Status::ShipInstructionWait),
        "a dry run sends nothing"
    );

    let report = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(report.pushed.len(), 1, "{report:#?}");
    assert_eq!(report.pushed[0].mall_order_number, n[0]);
    assert_eq!(report.pushed[0].carrier_id, "01");
    let reason = |i: usize| {
        report
            .excluded
            .iter()
            .find(|x| x.mall_order_number == n[i])
            .map(|x| x.reason.clone())
    };
    assert!(matches!(reason(1), Some(Exclusion::FutureShipDate { .. })));
    assert_eq!(reason(2), Some(Exclusion::NoTracking));
    assert_eq!(reason(3), Some(Exclusion::NoCarrier));
    assert!(matches!(reason(4), Some(Exclusion::NoCarrierId { .. })));
    assert!(matches!(
        reason(5),
        Some(Exclusion::Status {
            status: OrderStatus::OnHold,
            ..
        })
    ));

    assert_eq!(env.dshopping().status_of(&n[0]), Some(Status::Shipped));
    let shipped = env.dshopping().order(&n[0]).unwrap().shipment.unwrap();
    assert_eq!(
        (
            shipped.carrier_id.as_str(),
            shipped.tracking_number.as_str()
        ),
        ("01", GOOD_TRACKING)
    );
    for other in &n[1..] {
        assert_eq!(
            env.dshopping().status_of(other),
            Some(Status::ShipInstructionWait),
            "order {other}"
        );
    }
    let d = env.store.order_detail("dshop", &n[0]).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::Shipped);
    assert!(d.history.iter().any(|(_, e, _)| e == "push_ok"));
}

#[tokio::test]
async fn an_exported_order_is_not_pushed_again() {
    let env = TestEnv::start(Options::default()).await;
    let n = taken_orders(&env, 1).await;
    let today = jst_date(env.clock.now());
    env.store
        .set_shipping(
            "dshop",
            &n[0],
            &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
            env.clock.now(),
        )
        .await
        .unwrap();
    let syncer = env.syncer();
    let first = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(first.pushed.len(), 1);
    let second = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(second.pushed.is_empty());
    assert_eq!(second.excluded[0].reason, Exclusion::AlreadyExported);
    let pushes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shipment_pushes")
        .fetch_one(env.store.pool())
        .await
        .unwrap();
    assert_eq!(pushes, 1);
}

#[tokio::test]
async fn a_refused_shipment_keeps_its_reason_and_waits_for_new_data() {
    let env = TestEnv::start(Options::default()).await;
    let n = taken_orders(&env, 1).await;
    let today = jst_date(env.clock.now());
    let now = env.clock.now();
    // Fails Yamato's check digit.
    env.store
        .set_shipping(
            "dshop",
            &n[0],
            &ShippingUpdate::new("yamato", "123456789012", today),
            now,
        )
        .await
        .unwrap();
    let syncer = env.syncer();
    let r = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(r.rejected.len(), 1);
    assert!(
        r.rejected[0].message.contains("trackingNumber"),
        "names the field: {:?}",
        r.rejected
    );
    let again = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(matches!(
        again.excluded[0].reason,
        Exclusion::RejectedBefore { .. }
    ));
    // Corrected data is sent.
    env.store
        .set_shipping(
            "dshop",
            &n[0],
            &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
            now,
        )
        .await
        .unwrap();
    let fixed = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(fixed.pushed.len(), 1);
    assert_eq!(env.dshopping().status_of(&n[0]), Some(Status::Shipped));
}

#[tokio::test]
async fn the_export_period_is_the_last_update_time() {
    let env = TestEnv::start(Options::default()).await;
    let n = taken_orders(&env, 1).await;
    let today = jst_date(env.clock.now());
    env.store
        .set_shipping(
            "dshop",
            &n[0],
            &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
            env.clock.now(),
        )
        .await
        .unwrap();
    let syncer = env.syncer();
    let yesterday = today.pred_opt().unwrap();
    let r = syncer
        .export(env.shop(), yesterday, yesterday, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(
        r.pushed.is_empty() && r.excluded.is_empty(),
        "updated today, outside yesterday"
    );
    let r = syncer
        .export(env.shop(), yesterday, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(r.pushed.len(), 1);
}

#[tokio::test]
async fn a_push_that_was_not_delivered_is_sent_by_the_next_export() {
    let env = TestEnv::start(Options::default()).await;
    let n = taken_orders(&env, 1).await;
    let today = jst_date(env.clock.now());
    env.store
        .set_shipping(
            "dshop",
            &n[0],
            &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
            env.clock.now(),
        )
        .await
        .unwrap();
    // The mall is down for every attempt of the first export (first try and each retry).
    let attempts = 1 + env.config.sync.transient_retries;
    env.dshopping()
        .fail_next(Endpoint::Shipments, attempts, 503);
    let syncer = env.syncer();
    let first = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(
        first.pushed.is_empty() && first.rejected.is_empty(),
        "{first:?}"
    );
    // A 5xx may come after the mall applied it: its outcome is unknown, never "refused".
    assert_eq!(
        first.unknown.len(),
        1,
        "outcome unknown, not refused: {first:?}"
    );
    assert_eq!(
        env.dshopping().status_of(&n[0]),
        Some(Status::ShipInstructionWait)
    );
    let second = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(second.pushed.len(), 1, "{second:?}");
    assert_eq!(env.dshopping().status_of(&n[0]), Some(Status::Shipped));
    let d = env.store.order_detail("dshop", &n[0]).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::Shipped);
}

#[tokio::test]
async fn retry_rejected_sends_a_refused_shipment_again_with_unchanged_data() {
    let env = TestEnv::start(Options::default()).await;
    let n = taken_orders(&env, 1).await;
    let today = jst_date(env.clock.now());
    // Fails Yamato's check digit: the mall refuses it every time.
    env.store
        .set_shipping(
            "dshop",
            &n[0],
            &ShippingUpdate::new("yamato", "123456789012", today),
            env.clock.now(),
        )
        .await
        .unwrap();
    let syncer = env.syncer();
    let r = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(r.rejected.len(), 1);
    let sent = env.dshopping().request_count(Endpoint::Shipments);
    // Without the flag: left out, nothing sent.
    let plain = syncer
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(matches!(
        plain.excluded[0].reason,
        Exclusion::RejectedBefore { .. }
    ));
    assert_eq!(env.dshopping().request_count(Endpoint::Shipments), sent);
    // With it, from the command line: sent again, and refused again with the mall's reason.
    let (code, out, err) = env
        .cli_code(&["--json", "export", "--shop", "dshop", "--retry-rejected"])
        .await;
    assert_eq!(
        code, 2,
        "done, but a shipment was refused: exit code 2; {err}"
    );
    assert_eq!(env.dshopping().request_count(Endpoint::Shipments), sent + 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["rejected"][0]["mall_order_number"],
        n[0].as_str(),
        "{out}"
    );
    assert!(
        report["rejected"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("trackingNumber"),
        "{out}"
    );
}

#[tokio::test]
async fn a_further_parcel_is_kept_and_a_mall_taking_one_leaves_the_order_out_saying_why() {
    let env = TestEnv::start(Options::default()).await;
    let n = taken_order_numbers(&env).await;
    // A further parcel needs the first.
    let (ok, _, err) = env
        .cli(&[
            "orders",
            "ship",
            "--shop",
            "dshop",
            &n,
            "--carrier",
            "yamato",
            "--tracking",
            GOOD_TRACKING,
            "--more",
        ])
        .await;
    assert!(!ok && err.contains("set the first parcel"), "{err}");
    let (ok, _, err) = env
        .cli(&[
            "orders",
            "ship",
            "--shop",
            "dshop",
            &n,
            "--carrier",
            "yamato",
            "--tracking",
            GOOD_TRACKING,
        ])
        .await;
    assert!(ok, "{err}");
    let (ok, _, err) = env
        .cli(&[
            "orders",
            "ship",
            "--shop",
            "dshop",
            &n,
            "--carrier",
            "japanpost",
            "--tracking",
            "123456789024",
            "--more",
        ])
        .await;
    assert!(ok, "{err}");
    let d = env.store.order_detail("dshop", &n).await.unwrap();
    assert!(
        d.history
            .iter()
            .any(|(_, e, detail)| e == "parcel_added" && detail.contains("parcel 2")),
        "{:?}",
        d.history
    );
    // d Shopping takes one carrier and number per order: the export leaves it out and says why.
    let today = jst_date(env.clock.now());
    let r = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(r.pushed.is_empty(), "{r:?}");
    assert_eq!(
        r.excluded[0].reason,
        Exclusion::TooManyParcels {
            delivery: 1,
            parcels: 2,
            max: 1
        }
    );
    assert!(
        r.excluded[0].message.contains("at most 1"),
        "{}",
        r.excluded[0].message
    );
}

/// Stores and takes one order; returns its number.
async fn taken_order_numbers(env: &TestEnv) -> String {
    taken_orders(env, 1).await.remove(0)
}
