//! What the mall does wrong: failed takes, refused credentials, rate limits, 5xx, and answers
//! lost after the mall did the work.

use dshopping_emulator::{Endpoint, LostAnswer, Status};
use mallhost::model::{OrderStatus, TakeState};
use mallhost::store::{OrderFilter, ShippingUpdate};
use mallhost::sync::ExportOptions;
use mallhost::time::Clock as _;
use mallhost_tests::{Options, TestEnv};

#[tokio::test]
async fn a_failed_take_leaves_the_order_stored_and_pending_until_the_next_run() {
    let env = TestEnv::start(Options::default()).await;
    let n = env.order_placed(1, 30);
    // One try and two retries, all refused with 500.
    env.dshopping().fail_next(Endpoint::Acknowledge, 3, 500);
    let report = env.fetch().await;
    assert_eq!(report.ingested.stored, vec![n.clone()]);
    assert_eq!(report.take.failed.len(), 1);
    assert!(
        report.take.failed[0].message.contains("temporary failure"),
        "{:?}",
        report.take.failed
    );
    assert_eq!(env.dshopping().request_count(Endpoint::Acknowledge), 3);
    let pending = env
        .store
        .list_orders(&OrderFilter {
            take_state: Some(TakeState::Pending),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert!(
        pending[0]
            .take_error
            .as_deref()
            .unwrap_or("")
            .contains("500"),
        "{:?}",
        pending[0].take_error
    );
    assert_eq!(
        env.dshopping().status_of(&n),
        Some(Status::OrderConfirmWait)
    );

    // The next run stores nothing new and takes it.
    let report = env.fetch().await;
    assert!(report.ingested.stored.is_empty());
    assert_eq!(report.take.taken, vec![n.clone()]);
    assert_eq!(
        env.dshopping().status_of(&n),
        Some(Status::ShipInstructionWait)
    );
    assert_eq!(env.stored_count().await, 1);
}

#[tokio::test]
async fn a_take_the_mall_already_applied_counts_as_taken() {
    let env = TestEnv::start(Options::default()).await;
    let n = env.order_placed(1, 30);
    env.dshopping().fail_next(Endpoint::Acknowledge, 3, 500);
    let syncer = env.syncer();
    env.fetch().await;
    // Someone took it on the mall meanwhile (or our take had gone through after all).
    let mut o = env.dshopping().order(&n).unwrap();
    o.status = Status::ShipInstructionWait;
    env.dshopping().add_order(o);
    let report = syncer.take_pending(env.shop()).await.unwrap();
    assert_eq!(report.already_taken, vec![n]);
    assert!(env.store.pending_takes("dshop").await.unwrap().is_empty());
}

#[tokio::test]
async fn wrong_credentials_say_so_and_store_nothing() {
    let env = TestEnv::start(Options {
        password: "not-the-password-x9".into(),
        ..Options::default()
    })
    .await;
    env.order_placed(1, 30);
    let syncer = env.syncer();
    let err = syncer
        .fetch(env.shop(), syncer.days_window(env.shop()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("authentication failed"), "{err}");
    assert!(
        err.contains("dshop") && err.contains(&mallhost_tests::dshopping_label()),
        "names shop and plugin: {err}"
    );
    assert!(err.contains("API password"), "says what to check: {err}");
    assert!(
        !err.contains("not-the-password-x9"),
        "never shows the secret: {err}"
    );
    assert_eq!(env.stored_count().await, 0);
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_the_fetch_completes() {
    // The spec's 2 requests a second: three pages and three take batches must wait.
    let env = TestEnv::start(Options {
        rate: Some(2),
        ..Options::default()
    })
    .await;
    env.dshopping().seed_bulk(env.clock.now_secs(), 1, 250);
    let report = env.fetch().await;
    assert!(
        env.dshopping().rate_limited_count() > 0,
        "the emulator did refuse some requests"
    );
    assert_eq!(report.ingested.stored.len(), 250);
    assert_eq!(report.take.taken.len(), 250);
    assert!(report.take.failed.is_empty());
}

#[tokio::test]
async fn whatever_retry_after_the_mall_sends_is_waited_out() {
    // `Retry-After: 0` ("now") must not spin the bounded number of waits away before the
    // mall's limit lifts; 2 s is waited as asked.
    for (retry_after, orders) in [(0, 250), (2, 1)] {
        let env = TestEnv::start(Options {
            rate: Some(if retry_after == 0 { 2 } else { 1 }),
            retry_after: Some(retry_after),
            ..Options::default()
        })
        .await;
        env.dshopping().seed_bulk(env.clock.now_secs(), 1, orders);
        let started = std::time::Instant::now();
        let report = env.fetch().await;
        assert!(
            env.dshopping().rate_limited_count() > 0,
            "Retry-After {retry_after}"
        );
        // Waited as asked: at least the mall's Retry-After for each refusal it answered.
        let refused = u64::from(env.dshopping().rate_limited_count());
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(retry_after * refused),
            "Retry-After {retry_after} × {refused} refusals waited: {:?}",
            started.elapsed()
        );
        assert_eq!(report.ingested.stored.len(), orders as usize);
        assert_eq!(report.take.taken.len(), orders as usize);
    }
}

#[tokio::test]
async fn a_transient_search_failure_is_retried() {
    let env = TestEnv::start(Options::default()).await;
    let n = env.order_placed(1, 30);
    env.dshopping().fail_next(Endpoint::SearchOrders, 2, 503);
    let report = env.fetch().await;
    assert_eq!(report.ingested.stored, vec![n]);
    assert_eq!(env.dshopping().request_count(Endpoint::SearchOrders), 3);
}

#[tokio::test]
async fn a_mall_down_for_long_is_reported_after_bounded_retries() {
    let env = TestEnv::start(Options::default()).await;
    env.order_placed(1, 30);
    env.dshopping().fail_next(Endpoint::SearchOrders, 100, 500);
    let syncer = env.syncer();
    let err = syncer
        .fetch(env.shop(), syncer.days_window(env.shop()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("temporary failure") && err.contains("INTERNAL_ERROR"),
        "{err}"
    );
    assert_eq!(
        env.dshopping().request_count(Endpoint::SearchOrders),
        3,
        "one try, two retries"
    );
    assert_eq!(env.stored_count().await, 0);
}

/// Takes with every kind of lost answer: the mall took the order, the host did not hear so.
#[tokio::test]
async fn a_take_applied_on_the_mall_whose_answer_was_lost_converges() {
    for how in [
        LostAnswer::ServerError,
        LostAnswer::Truncated,
        LostAnswer::Html,
    ] {
        let env = TestEnv::start(Options::default()).await;
        let n = env.order_placed(1, 30);
        env.dshopping()
            .lose_next_answers(Endpoint::Acknowledge, 1, how);
        for _ in 0..2 {
            env.fetch().await;
        }
        assert_eq!(
            env.dshopping().acknowledged_ok(),
            1,
            "{how:?}: applied once"
        );
        // The lost answer plus one: asked twice, and not a third time.
        assert_eq!(
            env.dshopping()
                .calls_per_order(Endpoint::Acknowledge)
                .get(&n),
            Some(&2),
            "{how:?}"
        );
        assert_eq!(
            env.dshopping().status_of(&n),
            Some(Status::ShipInstructionWait)
        );
        let pending = env.store.pending_takes("dshop").await.unwrap();
        assert!(
            pending.is_empty(),
            "{how:?}: nothing left pending: {pending:?}"
        );
        assert_eq!(env.stored_count().await, 1, "{how:?}");
    }
}

/// Pushes whose answer was lost after the mall registered the shipment: the next export
/// converges, and nothing is recorded as refused. (A garbled 200, `LostAnswer::Html`, is still
/// recorded as a refusal today: the exactly-once work's "unknown outcome" state fixes that.)
#[tokio::test]
async fn a_push_applied_on_the_mall_whose_answer_was_lost_converges() {
    for how in [LostAnswer::ServerError, LostAnswer::Truncated] {
        let env = TestEnv::start(Options::default()).await;
        let n = env.order_placed(1, 30);
        let syncer = env.syncer();
        env.fetch().await;
        let today = mallhost::time::jst_date(env.clock.now());
        env.store
            .set_shipping(
                "dshop",
                &n,
                &ShippingUpdate::new("yamato", "123456789013", today),
                env.clock.now(),
            )
            .await
            .unwrap();
        env.dshopping()
            .lose_next_answers(Endpoint::Shipments, 1, how);
        for _ in 0..2 {
            syncer
                .export(env.shop(), today, today, ExportOptions::SEND)
                .await
                .unwrap();
        }
        assert_eq!(
            env.dshopping().status_of(&n),
            Some(Status::Shipped),
            "{how:?}"
        );
        let d = env.store.order_detail("dshop", &n).await.unwrap();
        assert_eq!(d.summary.status, OrderStatus::Shipped, "{how:?}");
        let refused: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM shipment_pushes WHERE outcome = 'rejected'")
                .fetch_one(env.store.pool())
                .await
                .unwrap();
        assert_eq!(refused, 0, "{how:?}: no false refusal");
        let accepted: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM shipment_pushes WHERE outcome = 'ok'")
                .fetch_one(env.store.pool())
                .await
                .unwrap();
        assert_eq!(accepted, 1, "{how:?}: accepted once");
    }
}

#[tokio::test]
async fn a_rate_limit_during_the_status_sync_is_waited_out_per_order() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::on_contract_0_2() {
        return; // 0.1.0 has no status sync
    }
    for i in 0..30 {
        env.order_placed(i, 60);
    }
    let first = env.fetch().await;
    assert_eq!(first.take.taken.len(), 30);
    // The next run asks the mall about the 30 open orders; its first question is refused.
    env.dshopping()
        .fail_next(Endpoint::SearchOtherStatus, 1, 429);
    let asked_before = env.dshopping().request_count(Endpoint::SearchOtherStatus);
    let second = env.fetch().await;
    assert_eq!(second.states.checked, 30);
    assert!(
        second.states.failed.is_empty() && second.states.error.is_none(),
        "waited out, not 30 failures: {:?}",
        second.states
    );
    assert!(
        env.dshopping().request_count(Endpoint::SearchOtherStatus) > asked_before + 1,
        "asked again after the wait"
    );
}
