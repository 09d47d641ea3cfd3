//! Contract 0.3.0 end to end, and 0.1.0 beside it: both builds of the d Shopping plugin run
//! the full cycle in one host; a cancellation on the mall after the take reaches the host by
//! status sync and blocks export; the host paces requests to the mall's declared rate; a
//! carrier id the mall does not know is refused when the plugins load.

use dshopping_emulator::Status;
use mallhost::model::OrderStatus;
use mallhost::store::ShippingUpdate;
use mallhost::sync::{Exclusion, ExportOptions};
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, TestEnv, plugin_path, plugin_v0_1_0_path, write_plugin};

const GOOD_TRACKING: &str = "123456789013";

/// Fetches, ships one order and exports it; returns the order's number.
async fn full_cycle(env: &TestEnv, n: u32) -> String {
    let number = env.order_placed(n, 60);
    let r = env.fetch().await;
    assert_eq!(r.ingested.stored, vec![number.clone()], "{r:?}");
    assert_eq!(r.take.taken, vec![number.clone()]);
    let today = jst_date(env.clock.now());
    env.store
        .set_shipping(
            "dshop",
            &number,
            &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
            env.clock.now(),
        )
        .await
        .unwrap();
    let e = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(e.pushed.len(), 1, "{e:?}");
    assert_eq!(env.dshopping().status_of(&number), Some(Status::Shipped));
    number
}

#[tokio::test]
async fn the_0_1_0_and_0_3_0_plugins_both_run_the_full_cycle_in_one_host() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::on_contract_0_2() {
        return;
    }
    let active = env.runtime.plugin("dshopping").unwrap();
    assert_eq!(active.info().contract_version, "0.3.0");
    full_cycle(&env, 1).await;

    // The same host swaps to the 0.1.0 build and runs the cycle again, then back.
    let bytes = std::fs::read(plugin_v0_1_0_path()).unwrap();
    let old = write_plugin(
        env.dir.path(),
        "old",
        &bytes,
        "dshopping",
        "0.1.0",
        None,
        "",
    );
    let p = env.runtime.load_file(&old).await.unwrap();
    assert_eq!(p.info().contract_version, "0.1.0");
    full_cycle(&env, 2).await;
    let p = env.runtime.load_file(&plugin_path()).await.unwrap();
    assert_eq!(p.info().contract_version, "0.3.0");
    full_cycle(&env, 3).await;
    assert_eq!(env.stored_count().await, 3);
}

#[tokio::test]
async fn a_cancellation_on_the_mall_after_the_take_reaches_the_host_and_blocks_export() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::on_contract_0_2() {
        return;
    }
    let n = env.order_placed(1, 60);
    let kept = env.order_placed(2, 60);
    let first = env.fetch().await;
    assert_eq!(first.take.taken.len(), 2);
    assert_eq!(
        first.states.checked, 0,
        "status sync leaves out the orders this run has just taken"
    );
    assert!(first.states.cancelled.is_empty());
    // The buyer cancels on the mall; staff had already entered shipping data.
    assert!(env.dshopping().cancel(&n));
    let today = jst_date(env.clock.now());
    for number in [&n, &kept] {
        env.store
            .set_shipping(
                "dshop",
                number,
                &ShippingUpdate::new("yamato", GOOD_TRACKING, today),
                env.clock.now(),
            )
            .await
            .unwrap();
    }
    // The next cycle learns it.
    let second = env.fetch().await;
    assert_eq!(second.states.cancelled.len(), 1, "{:?}", second.states);
    assert_eq!(second.states.cancelled[0].mall_order_number, n);
    let fetched_with = env
        .store
        .order_detail("dshop", &kept)
        .await
        .unwrap()
        .order
        .mall_status;
    let d = env.store.order_detail("dshop", &n).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::Cancelled);
    assert!(
        d.history.iter().any(|(_, e, _)| e == "cancelled_on_mall"),
        "{:?}",
        d.history
    );
    // The stored mall status follows the sync (Yahoo finding 7: a cancelled order still said
    // the status it was fetched with), with the plugin's words for it.
    assert_ne!(
        d.order.mall_status, fetched_with,
        "the mall status is the one the sync read"
    );
    assert!(!d.mall_status_words.is_empty(), "{d:?}");
    // Export leaves it out, and sends the other.
    let e = env
        .syncer()
        .export(env.shop(), today, today, ExportOptions::SEND)
        .await
        .unwrap();
    assert_eq!(e.pushed.len(), 1);
    assert_eq!(e.pushed[0].mall_order_number, kept);
    let left: Vec<_> = e
        .excluded
        .iter()
        .map(|x| (x.mall_order_number.as_str(), &x.reason))
        .collect();
    assert!(
        matches!(left.as_slice(), [(m, Exclusion::Status { status: OrderStatus::Cancelled, .. })] if *m == n),
        "{left:?}"
    );
    assert_eq!(
        env.dshopping().status_of(&n),
        Some(Status::Cancelled),
        "never pushed"
    );
    // A third cycle does not ask about it any more.
    let third = env.fetch().await;
    assert_eq!(
        third.states.checked, 0,
        "shipped and cancelled orders are not open"
    );
}

#[tokio::test]
async fn requests_keep_to_the_malls_declared_pace_without_a_single_429() {
    // The mall allows 2 requests a second with a burst of 2, as the plugin declares; the host
    // paces to it. 120 orders: 2 pages, 2 takes of 100 and a status sync, each paced.
    let env = TestEnv::start(Options {
        rate: Some(2),
        pace: "mall".into(),
        ..Options::default()
    })
    .await;
    if !mallhost_tests::on_contract_0_2() {
        return;
    }
    env.dshopping().seed_bulk(env.clock.now_secs(), 1, 120);
    let r = env.fetch().await;
    assert_eq!(r.ingested.stored.len(), 120);
    assert_eq!(r.take.taken.len(), 120);
    assert_eq!(env.dshopping().rate_limited_count(), 0, "not one 429");
}

#[tokio::test]
async fn fifty_requests_under_the_declared_two_a_second_meet_no_429() {
    // The plugin declares d Shopping's 2 requests a second; the mall enforces exactly that.
    // Fifty fetches in a row: about 25 seconds, none refused.
    let env = TestEnv::start(Options {
        rate: Some(2),
        pace: "mall".into(),
        ..Options::default()
    })
    .await;
    if !mallhost_tests::on_contract_0_2() {
        return;
    }
    let connector = env.runtime.connector(env.shop());
    let window = env.syncer().days_window(env.shop());
    for _ in 0..50 {
        connector.fetch_orders(window, None).await.unwrap();
    }
    assert_eq!(env.dshopping().rate_limited_count(), 0);
    assert_eq!(
        env.dshopping()
            .request_count(dshopping_emulator::Endpoint::SearchOrders),
        50
    );
}

#[tokio::test]
async fn fifty_requests_at_a_granted_pace_meet_no_429() {
    // A shop granted 20 requests a second (`pace = "20/s"`) against a mall enforcing 20: fifty
    // fetches in a row, none refused.
    let env = TestEnv::start(Options {
        rate: Some(20),
        pace: "20/s".into(),
        ..Options::default()
    })
    .await;
    let connector = env.runtime.connector(env.shop());
    let window = env.syncer().days_window(env.shop());
    for _ in 0..50 {
        connector.fetch_orders(window, None).await.unwrap();
    }
    assert_eq!(env.dshopping().rate_limited_count(), 0);
    assert_eq!(
        env.dshopping()
            .request_count(dshopping_emulator::Endpoint::SearchOrders),
        50
    );
}

#[tokio::test]
async fn a_carrier_id_the_mall_does_not_know_is_refused_when_the_plugins_load() {
    let env = TestEnv::start(Options::default()).await;
    if !mallhost_tests::on_contract_0_2() {
        return;
    }
    let path = env.dir.path().join("mallhost.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        good.replace("japanpost = \"03\"", "japanpost = \"07\""),
    )
    .unwrap();
    let (ok, _, err) = env.cli(&["fetch", "--shop", "dshop"]).await;
    assert!(!ok);
    assert!(
        err.contains("shop \"dshop\"")
            && err.contains("carrier \"japanpost\"")
            && err.contains("\"07\"")
            && err.contains("03 日本郵便"),
        "{err}"
    );
}

/// Every file below `dir`, recursively.
fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_mall_is_named_in_the_host_library_or_the_contract() {
    // Mall knowledge lives in its plugin and its emulator. The host's binary may name the
    // bundled demo's mall; the library and the WIT may not.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all = Vec::new();
    files(&root.join("host/src"), &mut all);
    files(&root.join("wit"), &mut all);
    let bin = root.join("host/src/bin");
    let names = [
        "dshopping",
        "d shopping",
        "rakuten",
        "楽天",
        "dショッピング",
        "yahoo",
        "amazon",
    ];
    let mut found = Vec::new();
    for path in all.iter().filter(|p| !p.starts_with(&bin)) {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let lower = text.to_lowercase();
        for (i, line) in lower.lines().enumerate() {
            if let Some(name) = names.iter().find(|n| line.contains(*n)) {
                found.push(format!("{}:{}: {name}", path.display(), i + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "mall names in the host or the contract:\n{}",
        found.join("\n")
    );
}
