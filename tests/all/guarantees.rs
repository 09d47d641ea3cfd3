//! Guarantees of the README's "What mallhost guarantees" that had no test of their own: an order
//! cancelled when the host takes it is recorded as cancelled and never pushed; a push that was
//! not delivered is recorded `failed` and sent by the next export; a run keeps its lease by
//! renewing it and stops when another process has taken it over; fields a mall adds are
//! ignored; calls beyond the instance pool wait for room; a call in flight finishes on the
//! plugin version it started on.

use std::time::Duration;

use dshopping_emulator::{Endpoint, Status};
use mallhost::config::SyncPolicy;
use mallhost::model::OrderStatus;
use mallhost::store::ShippingUpdate;
use mallhost::sync::{ExportOptions, SyncError};
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, TestEnv};

const GOOD_TRACKING: &str = "123456789013";

/// Waits until `count` requests wait at the held `endpoint`.
async fn waiting(env: &TestEnv, endpoint: Endpoint, count: u32) {
    for _ in 0..500 {
        if env.dshopping().waiting(endpoint) >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{count} requests never waited at {endpoint:?} ({} do)",
        env.dshopping().waiting(endpoint)
    );
}

#[tokio::test]
async fn an_order_cancelled_when_the_host_takes_it_is_recorded_cancelled_and_never_pushed() {
    let env = TestEnv::start(Options::default()).await;
    let n = env.order_placed(1, 60);
    // The mall holds the take: the buyer cancels while the host has stored the order and not
    // yet taken it.
    env.dshopping().hold(Endpoint::Acknowledge);
    let fetch = async { env.fetch().await };
    let cancel = async {
        waiting(&env, Endpoint::Acknowledge, 1).await;
        assert!(env.dshopping().cancel(&n));
        env.dshopping().release(Endpoint::Acknowledge);
    };
    let (report, ()) = tokio::join!(fetch, cancel);
    if !mallhost_tests::on_contract_0_2() {
        return; // 0.1.0 has no "cancelled" take outcome: its refusal stays pending
    }
    assert_eq!(report.take.cancelled.len(), 1, "{:?}", report.take);
    let d = env.store.order_detail("dshop", &n).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::Cancelled);
    env.store
        .set_shipping(
            "dshop",
            &n,
            &ShippingUpdate::new("yamato", GOOD_TRACKING, jst_date(env.clock.now())),
            env.clock.now(),
        )
        .await
        .unwrap();
    let today = jst_date(env.clock.now());
    let e = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(e.pushed.is_empty(), "{e:?}");
    assert!(
        env.dshopping()
            .calls_per_order(Endpoint::Shipments)
            .is_empty()
    );
}

#[tokio::test]
async fn a_push_not_delivered_is_recorded_failed_and_sent_by_the_next_export() {
    // The mall refuses with 429 and the run may not wait: nothing was delivered.
    let env = TestEnv::start(Options {
        policy: SyncPolicy {
            rate_limit_waits: 0,
            ..Options::default().policy
        },
        ..Options::default()
    })
    .await;
    let n = env.order_placed(1, 60);
    env.fetch().await;
    let today = jst_date(env.clock.now());
    env.store
        .set_shipping(
            "dshop",
            &n,
            &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
            env.clock.now(),
        )
        .await
        .unwrap();
    env.dshopping().fail_next(Endpoint::Shipments, 1, 429);
    let first = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(first.failed.len(), 1, "{first:?}");
    assert!(first.unknown.is_empty() && first.rejected.is_empty());
    let failed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM shipment_pushes WHERE outcome = 'failed'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
    assert_eq!(failed, 1);
    assert_eq!(
        env.dshopping().status_of(&n),
        Some(Status::ShipInstructionWait)
    );
    let second = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(second.pushed.len(), 1, "{second:?}");
    assert_eq!(env.dshopping().status_of(&n), Some(Status::Shipped));
    assert_eq!(
        env.dshopping().calls_per_order(Endpoint::Shipments).get(&n),
        Some(&1),
        "the refused request was never a delivery"
    );
}

/// An environment whose runs hold two-second leases.
async fn short_leases() -> TestEnv {
    TestEnv::start(Options {
        policy: SyncPolicy {
            lease: Duration::from_secs(2),
            ..Options::default().policy
        },
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_run_longer_than_its_lease_keeps_it_by_renewing() {
    let env = short_leases().await;
    env.order_placed(1, 60);
    // The mall holds the fetch for three lease periods.
    env.dshopping().hold(Endpoint::SearchOrders);
    let long = async {
        env.syncer()
            .fetch(env.shop(), env.syncer().days_window(env.shop()))
            .await
    };
    let meanwhile = async {
        waiting(&env, Endpoint::SearchOrders, 1).await;
        tokio::time::sleep(Duration::from_secs(6)).await;
        // Past its first lease, the run still holds the job: another run is refused.
        let other = env.syncer().take_pending(env.shop()).await;
        env.dshopping().release(Endpoint::SearchOrders);
        other
    };
    let (long, other) = tokio::join!(long, meanwhile);
    assert!(matches!(other, Err(SyncError::Busy { .. })), "{other:?}");
    let report = long.expect("the long run finishes");
    assert_eq!(report.ingested.stored.len(), 1);
}

#[tokio::test]
async fn a_run_whose_lease_another_process_took_over_stops() {
    let env = short_leases().await;
    env.order_placed(1, 60);
    env.order_placed(2, 61);
    env.dshopping().hold(Endpoint::SearchOrders);
    let run = async {
        env.syncer()
            .fetch(env.shop(), env.syncer().days_window(env.shop()))
            .await
    };
    let take_over = async {
        waiting(&env, Endpoint::SearchOrders, 1).await;
        // Another process took the job over (this one had stalled past its lease).
        sqlx::query("UPDATE job_leases SET holder = 'elsewhere:1:0#9' WHERE shop_id = 'dshop'")
            .execute(env.store.pool())
            .await
            .unwrap();
        // Its next renewal learns it (a third of the lease).
        tokio::time::sleep(Duration::from_millis(1500)).await;
        env.dshopping().release(Endpoint::SearchOrders);
    };
    let (run, ()) = tokio::join!(run, take_over);
    assert!(
        matches!(run, Err(SyncError::LeaseLost { .. })),
        "the run stops at its next step: {run:?}"
    );
    assert_eq!(
        env.stored_count().await,
        0,
        "it stored nothing after losing the lease"
    );
}

#[tokio::test]
async fn fields_a_mall_adds_are_ignored() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::on_contract_0_2() {
        return; // the frozen 0.1.0 build refused unknown fields; the shipped plugin ignores them
    }
    let n = env.order_placed(1, 60);
    env.dshopping()
        .corrupt(&n, "loyaltyProgramme", serde_json::json!({"tier": "gold"}));
    env.dshopping()
        .corrupt(&n, "newestField", serde_json::json!([1, 2, 3]));
    let r = env.fetch().await;
    assert_eq!(r.ingested.stored, vec![n], "{r:?}");
    assert!(r.invalid.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_instance_pool_wait_for_room_and_all_finish() {
    let env = TestEnv::start(Options::default()).await;
    let total = mallhost::runtime::MAX_CONCURRENT_CALLS as u32 + 36;
    // The mall holds every search: each call keeps its instance while it waits there.
    env.dshopping().hold(Endpoint::SearchOrders);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..total {
        let (runtime, shop, window) = (
            env.runtime.clone(),
            env.shop().clone(),
            env.syncer().days_window(env.shop()),
        );
        calls.spawn(async move {
            runtime
                .connector(&shop)
                .fetch_orders(window, None)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    }
    // As many calls as the pool has room for reach the mall; the rest wait for room, and
    // none fails for the want of it.
    waiting(&env, Endpoint::SearchOrders, 1).await;
    let mut in_flight = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = env.dshopping().waiting(Endpoint::SearchOrders);
        if now == in_flight {
            break;
        }
        in_flight = now;
    }
    // The component instantiates three core instances a call (its bundles of exports take
    // nothing from the pool): the 64 call slots are the bound, not the pool's instances.
    assert_eq!(
        in_flight,
        mallhost::runtime::MAX_CONCURRENT_CALLS as u32,
        "{in_flight} of {total} calls at the mall at once"
    );
    assert!(
        calls.try_join_next().is_none(),
        "none has finished or failed yet"
    );
    env.dshopping().release(Endpoint::SearchOrders);
    let mut failed = Vec::new();
    while let Some(r) = calls.join_next().await {
        if let Err(e) = r.expect("the task ran") {
            failed.push(e);
        }
    }
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(
        env.dshopping().request_count(Endpoint::SearchOrders),
        total,
        "every call reached the mall in its turn"
    );
}

#[tokio::test]
async fn a_call_in_flight_finishes_on_the_version_it_started_on() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::first_pass("the swap test") {
        return;
    }
    env.order_placed(1, 60);
    let old = env.runtime.plugin("dshopping").unwrap();
    let (newer, _) = mallhost_tests::dshopping_variant(env.dir.path(), "newer", 31);
    env.dshopping().hold(Endpoint::SearchOrders);
    let in_flight = async {
        env.runtime
            .connector(env.shop())
            .fetch_orders(env.syncer().days_window(env.shop()), None)
            .await
    };
    let swap = async {
        waiting(&env, Endpoint::SearchOrders, 1).await;
        let calls_before = old.calls();
        let new = env.runtime.load_file(&newer).await.unwrap();
        assert!(!std::sync::Arc::ptr_eq(&new, &old));
        env.dshopping().release(Endpoint::SearchOrders);
        (calls_before, new)
    };
    let (page, (calls_before, new)) = tokio::join!(in_flight, swap);
    let page = page.expect("the call in flight finishes");
    assert_eq!(page.orders.len(), 1);
    assert_eq!(
        old.calls(),
        calls_before,
        "no new call went to the old version"
    );
    // The next call is the new version's.
    let new_before = new.calls();
    env.fetch().await;
    assert!(new.calls() > new_before);
    assert_eq!(old.calls(), calls_before);
}

#[tokio::test]
async fn a_mall_slower_than_a_calls_wall_still_gets_every_shipment_once() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::first_pass("the slow mall") || !mallhost_tests::on_contract_0_2() {
        return;
    }
    // The plugin may take 3 s a call; the mall takes 1 s to answer each request of 50.
    let bytes = std::fs::read(mallhost_tests::plugin_path()).unwrap();
    let slow = mallhost_tests::write_plugin(
        env.dir.path(),
        "walled",
        &mallhost_tests::variant(&bytes, 41),
        "dshopping",
        &mallhost_tests::dshopping_version(),
        None,
        "[limits]\ncall_timeout_secs = 3",
    );
    env.runtime.load_file(&slow).await.unwrap();
    let numbers: Vec<String> = (0..200).map(|i| env.order_placed(i, 60)).collect();
    env.fetch().await;
    let today = jst_date(env.clock.now());
    for (i, n) in numbers.iter().enumerate() {
        let body = 60_000_000_000 + i as u64 * 7_919;
        env.store
            .set_shipping(
                "dshop",
                n,
                &ShippingUpdate::new("yamato", &format!("{body:011}{}", body % 7), today),
                env.clock.now(),
            )
            .await
            .unwrap();
    }
    env.dshopping().delay_answers(Duration::from_millis(1000));
    let mut exports = 0;
    while exports < 5 {
        exports += 1;
        let e = env
            .syncer()
            .export(env.shop(), today, today, ExportOptions::SEND)
            .await
            .unwrap();
        if e.unknown.is_empty() && e.failed.is_empty() {
            break;
        }
    }
    let applied = env.dshopping().shipments_applied();
    let calls = env.dshopping().calls_per_order(Endpoint::Shipments);
    for n in &numbers {
        assert_eq!(applied.get(n), Some(&1), "{n} applied once");
        assert_eq!(calls.get(n), Some(&1), "{n} sent once ({exports} exports)");
    }
}
