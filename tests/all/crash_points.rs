//! The CLI stopped dead at each named crash point in turn (`host/src/crash.rs`, compiled into
//! the tests' build with the `failpoints` feature), then run clean: each time the stop is shown
//! to have landed where it is named (orders stored and not taken, a take applied on the mall and
//! not recorded, a push claimed and not sent, a push applied and not recorded), and the clean
//! run repairs it — each order stored once, taken once (at most one take the mall accepted, and
//! no more calls than the lost answer plus one), each shipment applied once and sent once.

use dshopping_emulator::{Endpoint, Status};
use mallhost::model::TakeState;
use mallhost::store::ShippingUpdate;
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, TestEnv};

/// 12 digits passing the carriers' mod-7 check digit.
fn tracking(seed: u64) -> String {
    let body = 50_000_000_000 + seed * 7_919;
    format!("{body:011}{}", body % 7)
}

/// Runs `mallhost ARGS` stopping at `point`; asserts that it stopped there (and did not finish).
async fn stopped_at(env: &TestEnv, point: &str, args: &[&str]) {
    let out = env
        .cli_command(args)
        .env("FAILPOINTS", format!("{point}=return"))
        .output()
        .await
        .expect("mallhost runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains(&format!("stopped at crash point {point}")),
        "`mallhost {}` stops at {point}: {:?} {err}",
        args.join(" "),
        out.status
    );
}

/// `count` orders placed an hour ago.
fn placed(env: &TestEnv, count: u32) -> Vec<String> {
    (0..count).map(|i| env.order_placed(i, 60)).collect()
}

/// Each order stored once, taken on the mall once (one accepted take), none pending, and no
/// order asked more often than `calls_at_most` times.
async fn stored_and_taken_once(env: &TestEnv, numbers: &[String], calls_at_most: u32) {
    assert_eq!(
        env.stored_count().await,
        numbers.len() as i64,
        "each stored once"
    );
    assert_eq!(
        env.dshopping().acknowledged_ok(),
        numbers.len() as u32,
        "each taken once on the mall"
    );
    let calls = env.dshopping().calls_per_order(Endpoint::Acknowledge);
    for n in numbers {
        let c = calls.get(n).copied().unwrap_or(0);
        assert!(
            (1..=calls_at_most).contains(&c),
            "{n}: {c} take calls (at most {calls_at_most}): {calls:?}"
        );
        let d = env.store.order_detail("dshop", n).await.unwrap();
        assert_eq!(d.summary.take_state, TakeState::Taken, "{n}");
    }
    assert!(env.store.pending_takes("dshop").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_fetch_stopped_between_storing_and_taking_leaves_orders_to_take_and_loses_none() {
    if !mallhost_tests::first_pass("the crash points are") {
        return;
    }
    let env = TestEnv::start(Options::default()).await;
    let numbers = placed(&env, 5);
    stopped_at(
        &env,
        "fetch:stored-before-take",
        &["fetch", "--shop", "dshop"],
    )
    .await;
    // The stop landed after the store's commit and before any take.
    assert_eq!(env.stored_count().await, 5);
    assert_eq!(env.store.pending_takes("dshop").await.unwrap().len(), 5);
    assert!(
        env.dshopping()
            .calls_per_order(Endpoint::Acknowledge)
            .is_empty()
    );
    let (code, out, err) = env.cli_code(&["fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "{out}{err}");
    stored_and_taken_once(&env, &numbers, 1).await;
}

#[tokio::test]
async fn a_take_the_mall_applied_before_the_process_stopped_is_not_taken_twice() {
    if !mallhost_tests::first_pass("the crash points are") {
        return;
    }
    let env = TestEnv::start(Options::default()).await;
    let numbers = placed(&env, 5);
    stopped_at(
        &env,
        "take:taken-before-record",
        &["fetch", "--shop", "dshop"],
    )
    .await;
    // The mall took them; the host has not recorded it.
    for n in &numbers {
        assert_eq!(
            env.dshopping().status_of(n),
            Some(Status::ShipInstructionWait)
        );
    }
    assert_eq!(env.store.pending_takes("dshop").await.unwrap().len(), 5);
    let (code, out, err) = env.cli_code(&["fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "{out}{err}");
    // The lost answer plus one: the clean run asks again and hears "taken already".
    stored_and_taken_once(&env, &numbers, 2).await;
}

/// Fetched, taken and given shipping data: ready to export.
async fn ready_to_ship(env: &TestEnv, count: u32) -> Vec<String> {
    let numbers = placed(env, count);
    env.fetch().await;
    let today = jst_date(env.clock.now());
    for (i, n) in numbers.iter().enumerate() {
        env.store
            .set_shipping(
                "dshop",
                n,
                &ShippingUpdate::new("yamato", &tracking(i as u64), today),
                env.clock.now(),
            )
            .await
            .unwrap();
    }
    numbers
}

/// Each shipment applied once on the mall and sent in one call.
fn shipped_and_sent_once(env: &TestEnv, numbers: &[String]) {
    let applied = env.dshopping().shipments_applied();
    let calls = env.dshopping().calls_per_order(Endpoint::Shipments);
    for n in numbers {
        assert_eq!(applied.get(n), Some(&1), "{n} applied once: {applied:?}");
        assert_eq!(calls.get(n), Some(&1), "{n} sent once: {calls:?}");
    }
}

#[tokio::test]
async fn a_push_claimed_and_not_sent_is_sent_once_by_the_next_export() {
    if !mallhost_tests::first_pass("the crash points are") || !mallhost_tests::on_contract_0_2() {
        return;
    }
    let env = TestEnv::start(Options::default()).await;
    let numbers = ready_to_ship(&env, 4).await;
    stopped_at(
        &env,
        "export:claimed-before-send",
        &["export", "--shop", "dshop"],
    )
    .await;
    // Claimed in the outbox, never sent.
    assert!(
        env.dshopping()
            .calls_per_order(Endpoint::Shipments)
            .is_empty()
    );
    let sending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM shipment_pushes WHERE outcome = 'sending'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
    assert_eq!(sending, 4);
    let (code, out, err) = env.cli_code(&["export", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "{out}{err}");
    shipped_and_sent_once(&env, &numbers);
}

#[tokio::test]
async fn a_push_the_mall_applied_before_the_process_stopped_is_looked_up_not_sent_again() {
    if !mallhost_tests::first_pass("the crash points are") || !mallhost_tests::on_contract_0_2() {
        return;
    }
    let env = TestEnv::start(Options::default()).await;
    let numbers = ready_to_ship(&env, 4).await;
    stopped_at(
        &env,
        "export:sent-before-settle",
        &["export", "--shop", "dshop"],
    )
    .await;
    // Applied on the mall, still "sending" in the outbox.
    for n in &numbers {
        assert_eq!(env.dshopping().status_of(n), Some(Status::Shipped));
    }
    let (code, out, err) = env.cli_code(&["--json", "export", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        report["confirmed"].as_array().map(Vec::len),
        Some(4),
        "found on the mall: {report}"
    );
    shipped_and_sent_once(&env, &numbers);
}

#[tokio::test]
async fn a_process_stopped_at_its_lease_renewal_leaves_the_job_to_the_next_process_at_once() {
    if !mallhost_tests::first_pass("the crash points are") {
        return;
    }
    let env = TestEnv::start(Options {
        policy: mallhost::config::SyncPolicy {
            lease: std::time::Duration::from_secs(3),
            ..Options::default().policy
        },
        ..Options::default()
    })
    .await;
    let numbers = placed(&env, 3);
    // The mall holds the fetch's first request: the run is still going when its lease renews.
    env.dshopping().hold(Endpoint::SearchOrders);
    stopped_at(&env, "lease:renew", &["fetch", "--shop", "dshop"]).await;
    env.dshopping().release(Endpoint::SearchOrders);
    let runs = env.store.job_runs(Some("dshop"), 10).await.unwrap();
    assert!(
        runs.iter()
            .any(|r| r.job == "fetch" && r.ended_at.is_none()),
        "the stopped run holds its lease: {runs:?}"
    );
    // Its process is gone: the next run takes the job over without waiting for the lease.
    let (code, out, err) = env.cli_code(&["fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "{out}{err}");
    stored_and_taken_once(&env, &numbers, 1).await;
}

#[tokio::test]
async fn a_shipments_file_import_stopped_half_way_applies_none_of_it() {
    if !mallhost_tests::first_pass("the crash points are") {
        return;
    }
    let env = TestEnv::start(Options::default()).await;
    let numbers = placed(&env, 6);
    env.fetch().await;
    let mut csv = String::from("order_number,carrier,tracking_number\n");
    for (i, n) in numbers.iter().enumerate() {
        csv.push_str(&format!("{n},yamato,{}\n", tracking(i as u64)));
    }
    let file = env.write("shipments.csv", csv.as_bytes());
    stopped_at(
        &env,
        "import:shipments-half",
        &["import", "shipments", "--shop", "dshop", &file],
    )
    .await;
    for n in &numbers {
        let d = env.store.order_detail("dshop", n).await.unwrap();
        assert!(
            d.summary
                .tracking_number
                .as_deref()
                .is_none_or(str::is_empty),
            "{n}: nothing applied: {:?}",
            d.summary.tracking_number
        );
    }
    let (code, out, err) = env
        .cli_code(&["import", "shipments", "--shop", "dshop", &file])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    for n in &numbers {
        let d = env.store.order_detail("dshop", n).await.unwrap();
        assert!(d.summary.tracking_number.is_some(), "{n}: all applied");
    }
}

#[tokio::test]
async fn a_product_master_import_stopped_half_way_stores_none_of_it() {
    if !mallhost_tests::first_pass("the crash points are") {
        return;
    }
    let env = TestEnv::start(Options::default()).await;
    let mut csv = String::from("item_code,name\n");
    for i in 0..40 {
        csv.push_str(&format!("item-{i},商品{i}\n"));
    }
    let file = env.write("products.csv", csv.as_bytes());
    stopped_at(&env, "import:products-half", &["import", "products", &file]).await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM products")
            .fetch_one(env.store.pool())
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0, "nothing of the half import is kept");
    let (code, out, err) = env.cli_code(&["import", "products", &file]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(count().await, 40);
}

#[test]
fn every_crash_point_is_visited_by_a_test_here() {
    let source = include_str!("crash_points.rs");
    for point in mallhost::crash::POINTS {
        assert!(
            source.matches(&format!("\"{point}\"")).count() >= 1,
            "crash point {point} has no test"
        );
    }
}
