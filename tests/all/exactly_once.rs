//! Exactly once, whatever happens: answers lost after the mall applied a push, two exports at
//! once, processes killed at random points of fetch and export, malformed records among good
//! ones, a lagging search, a fetch cut off after its first page — and exit codes that say so.

use std::time::Duration;

use dshopping_emulator::{Endpoint, LostAnswer, Status};
use mallhost::model::{OrderStatus, TakeState};
use mallhost::store::ShippingUpdate;
use mallhost::sync::ExportOptions;
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, TestEnv};

/// 12 digits passing the carriers' mod-7 check digit.
fn tracking(seed: u64) -> String {
    let body = 40_000_000_000 + seed * 7_919;
    format!("{body:011}{}", body % 7)
}

/// `count` orders placed over an hour ago, fetched and taken; returns their numbers.
async fn taken(env: &TestEnv, first: u32, count: u32) -> Vec<String> {
    let numbers: Vec<String> = (first..first + count)
        .map(|i| env.order_placed(i, 60 + i64::from(i % 50)))
        .collect();
    let r = env.fetch().await;
    assert_eq!(r.take.taken.len(), count as usize, "{r:#?}");
    numbers
}

async fn ship_all(env: &TestEnv, numbers: &[String]) {
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
}

async fn outcomes(env: &TestEnv, outcome: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM shipment_pushes WHERE outcome = $1")
        .bind(outcome)
        .fetch_one(env.store.pool())
        .await
        .unwrap()
}

/// Each shipment reached the mall in one call: no resend of what the mall had.
fn sent_once(env: &TestEnv, numbers: &[String]) {
    let calls = env.dshopping().calls_per_order(Endpoint::Shipments);
    for n in numbers {
        assert_eq!(calls.get(n), Some(&1), "order {n} sent once: {calls:?}");
    }
}

/// Each shipment moved its order to 出荷完了 exactly once on the mall.
fn each_applied_once(env: &TestEnv, numbers: &[String]) {
    let applied = env.dshopping().shipments_applied();
    for n in numbers {
        assert_eq!(applied.get(n), Some(&1), "order {n}: {applied:?}");
        assert_eq!(env.dshopping().status_of(n), Some(Status::Shipped), "{n}");
    }
}

#[tokio::test]
async fn answers_lost_after_the_mall_applied_a_push_are_never_refusals_and_converge() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::on_contract_0_2() {
        return; // the frozen 0.1.0 plugin reads an HTML answer as the mall's refusal
    }
    let today = jst_date(env.clock.now());
    let mut all = Vec::new();
    for (round, how) in [
        LostAnswer::Html,
        LostAnswer::Truncated,
        LostAnswer::ServerError,
    ]
    .into_iter()
    .enumerate()
    {
        let numbers = taken(&env, 100 * round as u32, 4).await;
        ship_all(&env, &numbers).await;
        // The mall applies every push of the export, and each answer is lost.
        env.dshopping()
            .lose_next_answers(Endpoint::Shipments, 10, how);
        let first = env
            .syncer()
            .export(env.shop(), today, today, ExportOptions::SEND)
            .await
            .unwrap();
        assert!(
            first.rejected.is_empty(),
            "{how:?}: never a refusal: {first:#?}"
        );
        // Each lost answer is looked up on the mall after a backoff: found shipped, settled,
        // not sent again.
        assert!(
            first.pushed.is_empty() && first.unknown.is_empty() && first.confirmed.len() == 4,
            "{how:?}: confirmed by lookup: {first:#?}"
        );
        for n in &numbers {
            assert_eq!(
                env.dshopping().status_of(n),
                Some(Status::Shipped),
                "applied on the mall"
            );
        }
        env.dshopping()
            .lose_next_answers(Endpoint::Shipments, 0, how);
        // The next export has nothing to send.
        let second = env
            .syncer()
            .export(env.shop(), today, today, ExportOptions::SEND)
            .await
            .unwrap();
        assert!(
            second.pushed.is_empty() && second.confirmed.is_empty(),
            "{how:?}: {second:#?}"
        );
        for n in &numbers {
            let d = env.store.order_detail("dshop", n).await.unwrap();
            assert_eq!(d.summary.status, OrderStatus::Shipped);
            assert!(
                d.history
                    .iter()
                    .any(|(_, e, detail)| e == "push_ok" && detail.contains("lookup")),
                "{:?}",
                d.history
            );
        }
        all.extend(numbers);
    }
    each_applied_once(&env, &all);
    sent_once(&env, &all);
    assert_eq!(outcomes(&env, "rejected").await, 0);
    // A third export sends nothing.
    let third = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert!(third.pushed.is_empty() && third.unknown.is_empty());
}

#[tokio::test]
async fn three_exports_at_once_send_each_shipment_once() {
    let env = TestEnv::start(Options::default()).await;
    let numbers = taken(&env, 0, 6).await;
    ship_all(&env, &numbers).await;
    // The first export's pushes wait at the mall while two more exports start.
    env.dshopping().hold(Endpoint::Shipments);
    let first = {
        let env = &env;
        async move { env.cli_code(&["export", "--shop", "dshop"]).await }
    };
    let others = async {
        for _ in 0..200 {
            if env.dshopping().waiting(Endpoint::Shipments) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            env.dshopping().waiting(Endpoint::Shipments),
            1,
            "the first export is at the mall"
        );
        let second = env.cli_code(&["export", "--shop", "dshop"]).await;
        let third = env
            .syncer()
            .export(
                env.shop(),
                jst_date(env.clock.now()),
                jst_date(env.clock.now()),
                ExportOptions::SEND,
            )
            .await;
        env.dshopping().release(Endpoint::Shipments);
        (second, third)
    };
    let ((code, _, err), ((code2, _, err2), third)) = tokio::join!(first, others);
    assert_eq!(code, 0, "{err}");
    assert_eq!(code2, 1, "the second export is refused: {err2}");
    assert!(
        err2.contains("running in another process"),
        "names the holder: {err2}"
    );
    let third = third.expect_err("the third (in a third process's place) is refused too");
    assert!(third.to_string().contains("export is running"), "{third}");
    each_applied_once(&env, &numbers);
    assert_eq!(
        env.dshopping().shipment_repeats(),
        0,
        "not even an identical second push"
    );
    let runs = env.store.job_runs(Some("dshop"), 50).await.unwrap();
    assert!(
        runs.iter()
            .any(|r| r.job == "export" && r.outcome.as_deref() == Some("ok")),
        "{runs:?}"
    );
}

/// A small deterministic generator for kill times.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// Starts the CLI with `args` in the background, quiet (killed when dropped).
fn spawn_cli(env: &TestEnv, args: &[&str]) -> tokio::process::Child {
    env.cli_command(args)
        .env("MALLHOST_LOG", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("mallhost runs")
}

/// Runs the CLI with `args` and SIGKILLs it after `after`.
async fn killed(env: &TestEnv, args: &[&str], after: Duration) {
    let mut child = spawn_cli(env, args);
    tokio::time::sleep(after).await;
    let _ = child.start_kill(); // SIGKILL; it may have finished already
    let _ = child.wait().await;
}

/// Runs of `job` that started and never ended (their process was killed).
async fn interrupted(env: &TestEnv, job: &str) -> usize {
    env.store
        .job_runs(Some("dshop"), 1000)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.job == job && r.ended_at.is_none())
        .count()
}

#[tokio::test]
async fn fetches_and_exports_killed_at_random_points_lose_and_double_nothing() {
    if !mallhost_tests::first_pass("the crash trials") {
        return;
    }
    const KILLS: u32 = 50;
    const PER_RUN: u32 = 3;
    const ORDERS: u32 = KILLS * PER_RUN;
    let env = TestEnv::start(Options::default()).await;
    // Applied work answers after a while: kills land between the mall's work and the answer.
    env.dshopping().delay_answers(Duration::from_millis(150));
    let mut rng = Lcg(0x6d61_6c6c_686f_7374);
    // How long the CLI takes to start and open the database on this machine now (a loaded
    // machine starts slower): kills land that much later, so they keep cutting runs mid-way.
    let started = std::time::Instant::now();
    let (ok, _, _) = env.cli(&["runs", "--limit", "1"]).await;
    assert!(ok);
    let startup = started.elapsed().saturating_sub(Duration::from_millis(20));
    // Orders keep arriving: every killed run has new ones to store and take.
    let mut numbers = Vec::new();
    let started = std::time::Instant::now();
    for k in 0..KILLS {
        for i in 0..PER_RUN {
            numbers.push(env.order_placed(k * PER_RUN + i, 60 + i64::from(k)));
        }
        killed(
            &env,
            &["fetch", "--shop", "dshop"],
            startup + Duration::from_millis(20 + rng.next(260)),
        )
        .await;
    }
    eprintln!("{KILLS} killed fetches in {:?}", started.elapsed());
    let cut = interrupted(&env, "fetch").await;
    assert!(
        cut >= 10,
        "the trial cut runs short in their work: {cut} of {KILLS}"
    );
    // What the killed runs left: the clean run takes only what is still pending.
    let pending_before: std::collections::BTreeSet<String> = env
        .store
        .pending_takes("dshop")
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut known_before = std::collections::BTreeSet::new();
    for n in &numbers {
        if env.store.order_detail("dshop", n).await.is_ok() {
            known_before.insert(n.clone());
        }
    }
    let takes_before = env.dshopping().calls_per_order(Endpoint::Acknowledge);
    let (code, out, err) = env.cli_code(&["fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "the clean run finishes the work: {out}{err}");
    let takes = env.dshopping().calls_per_order(Endpoint::Acknowledge);
    for n in &numbers {
        let (before, after) = (
            takes_before.get(n).copied().unwrap_or(0),
            takes.get(n).copied().unwrap_or(0),
        );
        let to_take = pending_before.contains(n) || !known_before.contains(n);
        assert!(
            after - before <= u32::from(to_take),
            "{n}: the clean run took it {} time(s); pending or not stored before it: {to_take}",
            after - before,
        );
        // Every call beyond the first was a killed run's, whose answer was lost.
        assert!(
            (1..=1 + cut as u32).contains(&after),
            "{n}: {after} take calls for {cut} cut runs"
        );
    }
    assert_eq!(
        env.stored_count().await,
        i64::from(ORDERS),
        "each stored once"
    );
    assert_eq!(
        env.dshopping().acknowledged_ok(),
        ORDERS,
        "each taken once on the mall"
    );
    assert!(
        env.store.pending_takes("dshop").await.unwrap().is_empty(),
        "nothing pending"
    );
    for n in &numbers {
        assert_eq!(
            env.dshopping().status_of(n),
            Some(Status::ShipInstructionWait),
            "{n}"
        );
        let d = env.store.order_detail("dshop", n).await.unwrap();
        assert_eq!(d.summary.take_state, TakeState::Taken, "{n}");
    }

    // Staff keep entering shipping data: every killed export has new shipments to send.
    let today = jst_date(env.clock.now());
    for (k, chunk) in numbers.chunks(PER_RUN as usize).enumerate() {
        for (i, n) in chunk.iter().enumerate() {
            let seed = (k * PER_RUN as usize + i) as u64;
            env.store
                .set_shipping(
                    "dshop",
                    n,
                    &ShippingUpdate::new("yamato", &tracking(seed), today),
                    env.clock.now(),
                )
                .await
                .unwrap();
        }
        killed(
            &env,
            &["export", "--shop", "dshop"],
            startup + Duration::from_millis(20 + rng.next(260)),
        )
        .await;
    }
    let cut = interrupted(&env, "export").await;
    assert!(cut >= 10, "the trial cut exports short: {cut} of {KILLS}");
    let (code, out, err) = env.cli_code(&["export", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "the clean run finishes the export: {out}{err}");
    each_applied_once(&env, &numbers);
    // A push whose answer a kill cut off is looked up on the mall before anything is sent
    // again: each shipment reached the mall in one call, none was repeated.
    let cut_off = outcomes(&env, "unknown").await
        + sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM order_history WHERE event = 'push_ok' AND detail LIKE '%lookup%'",
        )
        .fetch_one(env.store.pool())
        .await
        .unwrap();
    assert!(cut_off > 0, "the trial cut pushes off");
    sent_once(&env, &numbers);
    assert_eq!(env.dshopping().shipment_repeats(), 0, "nothing sent twice");
    assert_eq!(outcomes(&env, "rejected").await, 0, "no false refusal");
    assert_eq!(outcomes(&env, "sending").await, 0, "no push left in flight");
    for n in &numbers {
        let d = env.store.order_detail("dshop", n).await.unwrap();
        assert_eq!(d.summary.status, OrderStatus::Shipped, "{n}");
    }
}

#[tokio::test]
async fn a_malformed_order_fails_alone_on_any_page_and_is_tried_again() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::on_contract_0_2() {
        return; // the frozen 0.1.0 plugin fails the page
    }
    let numbers: Vec<String> = (0..150)
        .map(|i| env.order_placed(i, 60 + i64::from(i)))
        .collect();
    // Page 1 (oldest first): an impossible date; page 2: a flag of the wrong type, a number
    // where text belongs, and a duplicate line number the database refuses.
    let (bad_date, bad_flag, bad_number, dup_line) =
        (&numbers[149], &numbers[10], &numbers[20], &numbers[30]);
    env.dshopping().corrupt(
        bad_date,
        "orderedAt",
        serde_json::json!("2026-02-30T10:00:00+09:00"),
    );
    env.dshopping()
        .corrupt(bad_flag, "testOrder", serde_json::json!("no"));
    env.dshopping()
        .corrupt(bad_number, "orderNumber", serde_json::json!(12345));
    let mut deliveries =
        serde_json::to_value(env.dshopping().order(dup_line).unwrap()).unwrap()["deliveries"]
            .clone();
    deliveries[0]["items"][1]["lineNo"] = serde_json::json!(1);
    env.dshopping().corrupt(dup_line, "deliveries", deliveries);
    let (code, out, err) = env.cli_code(&["--json", "fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 2, "done, with orders that failed: {err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["stored"].as_array().unwrap().len(), 146, "{out}");
    assert_eq!(r["take"]["taken"].as_array().unwrap().len(), 146);
    let failed: Vec<(String, String)> = r["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["store_failed"].as_array().unwrap())
        .map(|n| {
            (
                n["mall_order_number"].as_str().unwrap().to_string(),
                n["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    let says = |n: &str, what: &str| failed.iter().any(|(m, msg)| m == n && msg.contains(what));
    assert!(says(bad_date, "orderedAt"), "{failed:?}");
    assert!(
        says(bad_flag, "testOrder") || says(bad_flag, "invalid type"),
        "{failed:?}"
    );
    assert!(
        failed.iter().any(|(m, _)| m.starts_with('#')),
        "named by position: {failed:?}"
    );
    assert!(
        says(dup_line, dup_line),
        "the database's refusal names the order: {failed:?}"
    );
    for n in [bad_date, bad_flag, bad_number, dup_line] {
        assert_eq!(
            env.dshopping().status_of(n),
            Some(Status::OrderConfirmWait),
            "{n} left untaken"
        );
    }
    // The next run reports them again, and stores and takes nothing twice.
    let (code, out, _) = env.cli_code(&["--json", "fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 2);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(r["stored"].as_array().unwrap().is_empty(), "{out}");
    assert_eq!(
        r["invalid"].as_array().unwrap().len() + r["store_failed"].as_array().unwrap().len(),
        4
    );
    assert_eq!(env.dshopping().acknowledged_ok(), 146);
}

#[tokio::test]
async fn a_fetch_cut_off_after_its_first_page_has_taken_that_page() {
    let env = TestEnv::start(Options::default()).await;
    for i in 0..150 {
        env.order_placed(i, 60 + i64::from(i));
    }
    // Page 1 answers; every try at page 2 fails.
    let tries = 1 + env.config.sync.transient_retries;
    env.dshopping()
        .fail_after(Endpoint::SearchOrders, 1, tries, 503);
    let syncer = env.syncer();
    let e = syncer
        .fetch(env.shop(), syncer.days_window(env.shop()))
        .await;
    assert!(e.is_err(), "page 2 never came");
    assert_eq!(env.stored_count().await, 100);
    assert_eq!(
        env.dshopping().acknowledged_ok(),
        100,
        "page 1 was taken as soon as it was stored"
    );
    assert!(env.store.pending_takes("dshop").await.unwrap().is_empty());
    // The next fetch does the rest.
    let r = env.fetch().await;
    assert_eq!(r.ingested.stored.len(), 50);
    assert_eq!(env.dshopping().acknowledged_ok(), 150);
}

#[tokio::test]
async fn an_order_a_lagging_search_lists_again_is_not_stuck_pending() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::on_contract_0_2() {
        return; // the frozen 0.1.0 plugin reads "shipped" as an error
    }
    let numbers = taken(&env, 0, 2).await;
    ship_all(&env, &numbers[..1]).await;
    let today = jst_date(env.clock.now());
    let e = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(e.pushed.len(), 1);
    let n = &numbers[0];
    env.dshopping().list_stale(n);
    for _ in 0..3 {
        let r = env.fetch().await;
        assert!(r.take.failed.is_empty(), "{:?}", r.take.failed);
    }
    assert!(
        env.store.pending_takes("dshop").await.unwrap().is_empty(),
        "not stuck"
    );
    let d = env.store.order_detail("dshop", n).await.unwrap();
    assert_eq!(d.summary.take_state, TakeState::Taken);
    assert_eq!(d.summary.status, OrderStatus::Shipped, "still shipped");
}

#[tokio::test]
async fn a_shipment_not_delivered_is_sent_by_a_later_export_whatever_its_period() {
    let env = TestEnv::start(Options::default()).await;
    let numbers = taken(&env, 0, 1).await;
    ship_all(&env, &numbers).await;
    let today = jst_date(env.clock.now());
    // The mall is down for every try of today's export.
    env.dshopping().fail_next(
        Endpoint::Shipments,
        1 + env.config.sync.transient_retries,
        503,
    );
    let first = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(first.unknown.len() + first.failed.len(), 1, "{first:#?}");
    // Three days later, the automatic export's period is that day: the shipment still goes.
    env.clock.advance(chrono::Duration::days(3));
    let later = jst_date(env.clock.now());
    let second = env
        .syncer()
        .export(env.shop(), later, later, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(
        second.pushed.len(),
        1,
        "due whatever its update time: {second:#?}"
    );
    each_applied_once(&env, &numbers);
}

#[tokio::test]
async fn exit_codes_and_errors_say_each_thing_once() {
    let env = TestEnv::start(Options::default()).await;
    env.order_placed(1, 60);
    let (code, _, err) = env.cli_code(&["fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "all done: {err}");
    // Every take fails: done, with failures.
    env.order_placed(2, 60);
    env.dshopping().fail_next(Endpoint::Acknowledge, 100, 400);
    let (code, out, _) = env.cli_code(&["fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 2, "{out}");
    // An error: exit 1, said once.
    let (code, _, err) = env.cli_code(&["fetch", "--shop", "nosuch"]).await;
    assert_eq!(code, 1);
    assert!(err.lines().any(|l| l.starts_with("error:")), "{err}");
    assert_eq!(err.matches("nosuch").count(), 1, "said once in all: {err}");
    // An error that quotes its cause is not followed by the cause again.
    let wrong = TestEnv::start(Options {
        password: "wrong".into(),
        ..Options::default()
    })
    .await;
    let (code, _, err) = wrong.cli_code(&["fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 1);
    assert!(err.lines().any(|l| l.starts_with("error:")), "{err}");
    assert_eq!(
        err.matches("AUTH_FAILED").count(),
        1,
        "said once in all: {err}"
    );
}

#[tokio::test]
async fn serve_and_manual_exports_at_once_send_each_shipment_once() {
    if !mallhost_tests::first_pass("the serve trial") {
        return;
    }
    let env = TestEnv::start(Options {
        shop_toml: "auto_fetch = false\nauto_export = true\nauto_export_every = \"1s\"".into(),
        ..Options::default()
    })
    .await;
    let numbers = taken(&env, 0, 20).await;
    ship_all(&env, &numbers).await;
    // serve's automatic export reaches the mall and waits there.
    env.dshopping().hold(Endpoint::Shipments);
    let mut serve = spawn_cli(&env, &["serve"]);
    for _ in 0..250 {
        if env.dshopping().waiting(Endpoint::Shipments) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        env.dshopping().waiting(Endpoint::Shipments),
        1,
        "serve's export is at the mall"
    );
    // Staff run an export by hand meanwhile: refused, naming serve's run.
    let (code, _, err) = env.cli_code(&["export", "--shop", "dshop"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("running in another process"), "{err}");
    env.dshopping().release(Endpoint::Shipments);
    for _ in 0..250 {
        if numbers
            .iter()
            .all(|n| env.dshopping().status_of(n) == Some(Status::Shipped))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And again, with serve still ticking: nothing left to send, nothing sent twice.
    let (code, _, err) = env.cli_code(&["export", "--shop", "dshop"]).await;
    assert!(
        code == 0 || err.contains("running in another process"),
        "{code}: {err}"
    );
    let _ = serve.start_kill();
    let _ = serve.wait().await;
    each_applied_once(&env, &numbers);
    assert_eq!(
        env.dshopping().shipment_repeats(),
        0,
        "no shipment pushed twice"
    );
}

#[tokio::test]
async fn a_live_claim_of_another_export_is_never_taken_an_expired_one_is() {
    let env = TestEnv::start(Options::default()).await;
    let numbers = taken(&env, 0, 2).await;
    ship_all(&env, &numbers).await;
    // Another machine's export claimed the first shipment a moment ago and is sending it.
    let claim = |until: chrono::DateTime<chrono::Utc>| {
        let (pool, n) = (env.store.pool().clone(), numbers[0].clone());
        async move {
            sqlx::query(
                "INSERT INTO shipment_pushes (order_id, carrier, carrier_id, tracking_number,
                    ship_date, attempted_at, outcome, holder, lease_until, attempt, data_key)
                 SELECT id, 'yamato', '01', 'x', '2026-11-28', '2026-11-28T03:00:00Z', 'sending',
                    'elsewhere:4242:beef', $1, 1, 'k' FROM orders WHERE mall_order_number = $2",
            )
            .bind(mallhost::time::to_db(until))
            .bind(n)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    claim(chrono::Utc::now() + chrono::Duration::minutes(5)).await;
    let today = jst_date(env.clock.now());
    let e = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(e.pushed.len(), 1, "only the unclaimed one: {e:#?}");
    assert!(e.excluded.iter().any(|x| x.mall_order_number == numbers[0]
        && x.reason == mallhost::sync::Exclusion::ClaimedElsewhere));
    assert_eq!(
        env.dshopping().status_of(&numbers[0]),
        Some(Status::ShipInstructionWait)
    );
    // Its lease passes without an answer: the outcome is unknown, and the next export sends it.
    sqlx::query(
        "UPDATE shipment_pushes SET lease_until = '2000-01-01T00:00:00Z' WHERE outcome = 'sending'",
    )
    .execute(env.store.pool())
    .await
    .unwrap();
    let e = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(e.pushed.len(), 1, "{e:#?}");
    each_applied_once(&env, &numbers);
    let d = env.store.order_detail("dshop", &numbers[0]).await.unwrap();
    assert!(
        d.history
            .iter()
            .any(|(_, ev, det)| ev == "push_unknown" && det.contains("elsewhere:4242"))
    );
}
