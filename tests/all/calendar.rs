//! The calendar edges: the mall's and the merchant's calendar is JST, instants are UTC. Noon
//! JST hides a mix-up (the UTC date is the same); just after midnight JST the UTC date is still
//! yesterday, and just before midnight the next JST day is minutes away. Every date-based rule
//! runs at all three: the ship date "today", the export period, automatic export's "yesterday
//! and today", and a ship date in the future.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use dshopping_emulator::Status;
use mallhost::store::ShippingUpdate;
use mallhost::sync::scheduler::{Job, Scheduler};
use mallhost::sync::{Exclusion, ExportOptions};
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, TestEnv};

const GOOD_TRACKING: &str = "123456789013";

/// 12:00, 00:30 and 23:30 JST on 2026-11-28, with the JST date each one is on.
fn instants() -> [(DateTime<Utc>, NaiveDate, &'static str); 3] {
    let utc = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap();
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    [
        (utc(28, 3, 0), day(28), "12:00 JST"),
        (utc(27, 15, 30), day(28), "00:30 JST"),
        (utc(28, 14, 30), day(28), "23:30 JST"),
    ]
}

async fn env_at(now: DateTime<Utc>) -> TestEnv {
    TestEnv::start(Options {
        now: Some(now),
        ..Options::default()
    })
    .await
}

/// Stores and takes one order placed an hour before the clock's now.
async fn taken_order(env: &TestEnv) -> String {
    let n = env.order_placed(1, 60);
    let r = env.fetch().await;
    assert_eq!(r.take.taken, vec![n.clone()]);
    n
}

#[tokio::test]
async fn staff_ship_today_and_export_today_on_the_jst_calendar() {
    for (now, today, label) in instants() {
        let env = env_at(now).await;
        assert_eq!(jst_date(env.clock.now()), today, "{label}");
        let n = taken_order(&env).await;
        // `orders ship` without --date: today in JST.
        let (ok, out, err) = env
            .cli(&[
                "--json",
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
        assert!(ok, "{label}: {err}");
        let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(shown["ship_date"], today.to_string(), "{label}: {out}");
        // `export` without a period: today in JST, which covers what was just entered.
        let (ok, out, err) = env.cli(&["--json", "export", "--shop", "dshop"]).await;
        assert!(ok, "{label}: {err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            report["pushed"][0]["mall_order_number"],
            n.as_str(),
            "{label}: {out}"
        );
        assert_eq!(
            env.dshopping().status_of(&n),
            Some(Status::Shipped),
            "{label}"
        );
        let shipped = env
            .dshopping()
            .order(&n)
            .unwrap()
            .shipment
            .unwrap()
            .shipped_date;
        assert_eq!(shipped, today.to_string(), "{label}");
    }
}

#[tokio::test]
async fn the_export_period_is_a_span_of_jst_days() {
    for (now, today, label) in instants() {
        let env = env_at(now).await;
        let n = taken_order(&env).await;
        env.store
            .set_shipping(
                "dshop",
                &n,
                &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
                env.clock.now(),
            )
            .await
            .unwrap();
        let syncer = env.syncer();
        let yesterday = today.pred_opt().unwrap();
        let r = syncer
            .export(env.shop(), yesterday, yesterday, ExportOptions::DRY_RUN)
            .await
            .unwrap();
        assert!(r.pushed.is_empty(), "{label}: updated today, not yesterday");
        let r = syncer
            .export(env.shop(), today, today, ExportOptions::DRY_RUN)
            .await
            .unwrap();
        assert_eq!(r.pushed.len(), 1, "{label}: {r:?}");
    }
}

#[tokio::test]
async fn a_ship_date_tomorrow_in_jst_waits() {
    for (now, today, label) in instants() {
        let env = env_at(now).await;
        let n = taken_order(&env).await;
        let tomorrow = today.succ_opt().unwrap();
        env.store
            .set_shipping(
                "dshop",
                &n,
                &ShippingUpdate::new("yamato", GOOD_TRACKING, tomorrow),
                env.clock.now(),
            )
            .await
            .unwrap();
        let r = env
            .syncer()
            .export(env.shop(), today, today, ExportOptions::SEND)
            .await
            .unwrap();
        assert_eq!(
            r.excluded[0].reason,
            Exclusion::FutureShipDate { date: tomorrow },
            "{label}"
        );
        assert_eq!(
            env.dshopping().status_of(&n),
            Some(Status::ShipInstructionWait)
        );
    }
}

#[tokio::test]
async fn automatic_export_covers_yesterday_and_today_in_jst() {
    for (now, today, label) in instants() {
        // Shipping entered an hour ago: at 00:30 JST that was yesterday (JST), and the UTC
        // date of both is the day before that.
        let env = env_at(now - chrono::Duration::hours(1)).await;
        let n = taken_order(&env).await;
        let entered = jst_date(env.clock.now());
        env.store
            .set_shipping(
                "dshop",
                &n,
                &ShippingUpdate::new("yamato", GOOD_TRACKING, entered),
                env.clock.now(),
            )
            .await
            .unwrap();
        env.clock.set(now);
        assert_eq!(jst_date(env.clock.now()), today);
        let mut shop = env.shop().clone();
        shop.auto_export = Some(Duration::from_secs(3600));
        let sched = Scheduler::start(
            env.store.clone(),
            Arc::clone(&env.runtime),
            env.clock.clone(),
            env.config.sync.clone(),
            vec![shop],
        );
        // The loop's first tick runs at once; wait for it, then stop.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while sched.stats()[0].runs == 0 {
            assert!(std::time::Instant::now() < deadline, "{label}: no run");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let stats = sched.shutdown().await;
        assert_eq!(stats[0].job, Job::Export);
        assert_eq!(stats[0].failures, 0, "{label}: {stats:?}");
        assert_eq!(
            env.dshopping().status_of(&n),
            Some(Status::Shipped),
            "{label}: entered {entered}, exported on {today}"
        );
    }
}
