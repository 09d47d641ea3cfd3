//! The third mall: a Yahoo!ショッピング shop on contract 0.3.0, beside the d Shopping shop (0.3.0)
//! and a Rakuten one (a 0.2.0 build), in one host. Against the Yahoo! emulator: the whole cycle;
//! the public-key-encrypted signature the host computes; an access token that dies early,
//! refreshed inside the call; one request a second kept over a run with several refreshes; an
//! unpaid order held until the mall says paid; a cancellation with its reason; one carrier per
//! order; and what the order page shows of it all.

use mallhost::model::{OrderStatus, PaymentState, TakeState};
use mallhost::store::ShippingUpdate;
use mallhost::sync::{Exclusion, ExportOptions};
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, RakutenOptions, TestEnv, YahooOptions, rakuten_pass};
use yahoo_emulator::{Endpoint, Order, SELLER};

/// 12 digits passing the carriers' mod-7 check digit.
fn tracking(seed: u64) -> String {
    let body = 40_000_000_000 + seed * 7_919;
    format!("{body:011}{}", body % 7)
}

async fn with_yahoo(y: YahooOptions) -> TestEnv {
    TestEnv::start(Options {
        yahoo: Some(y),
        ..Options::default()
    })
    .await
}

/// Staff ship the Yahoo! order `number` today with ヤマト and the tracking number of `seed`.
async fn ship(env: &TestEnv, number: &str, seed: u64) {
    let today = jst_date(env.clock.now());
    env.store
        .set_shipping(
            "yshop",
            number,
            &ShippingUpdate::new("yamato", &tracking(seed), today),
            env.clock.now(),
        )
        .await
        .unwrap();
}

/// The Yahoo! shop's export of today, sent.
async fn export_today(env: &TestEnv) -> mallhost::sync::ExportReport {
    let today = jst_date(env.clock.now());
    env.syncer()
        .export(env.yshop(), today, today, ExportOptions::SEND)
        .await
        .unwrap()
}

/// A plain order `n` placed `minutes_ago` minutes before the host's now.
fn placed(env: &TestEnv, n: u32, minutes_ago: i64) -> Order {
    Order::plain(
        &format!("{SELLER}-{}", 30_000_000 + n),
        env.clock.now_secs() - minutes_ago * 60,
    )
}

#[tokio::test]
async fn three_malls_run_in_one_host_and_a_yahoo_order_goes_round_once() {
    if !rakuten_pass() {
        return;
    }
    let env = TestEnv::start(Options {
        rakuten: Some(RakutenOptions::default()),
        yahoo: Some(YahooOptions::default()),
        ..Options::default()
    })
    .await;
    let now = env.clock.now_secs();
    env.dshopping().seed_demo(now);
    env.rakuten().seed_demo(now);
    assert_eq!(env.yahoo().seed_demo(now), 5);
    // Three plugins, two contract versions: a 0.2.0 build runs beside 0.3.0 ones.
    let contract = |mall: &str| {
        env.runtime
            .plugin(mall)
            .map(|p| p.info().contract_version.clone())
            .unwrap_or_default()
    };
    assert_eq!(contract("yahoo"), "0.3.0");
    assert_eq!(contract("dshopping"), "0.3.0");
    assert_eq!(contract("rakuten"), "0.2.0");
    let d = env.fetch().await;
    let r = env.fetch_shop(env.rshop()).await;
    let y = env.fetch_shop(env.yshop()).await;
    assert!(!d.ingested.stored.is_empty() && !r.ingested.stored.is_empty());
    assert_eq!(y.ingested.stored.len(), 5, "{y:#?}");
    assert!(y.invalid.is_empty(), "{:?}", y.invalid);
    assert_eq!(y.take.taken.len(), 5, "{y:#?}");
    assert_eq!(y.plugin, "yahoo@0.1.0");
    for n in &y.take.taken {
        assert!(
            env.yahoo().order(n).is_some_and(|o| o.seen),
            "{n} seen on the mall"
        );
    }
    // The host signed every request: none was refused for the token or the signature.
    let seen = env.yahoo().seen();
    assert_eq!(
        (seen.unauthorized, seen.bad_signatures, seen.too_many),
        (0, 0, 0)
    );
    assert_eq!(seen.refreshes, 1, "one access token for the whole run");

    // The gift order: the recipient's company, the message, options, JAN codes, every charge.
    let gift = format!("{SELLER}-10000005");
    let g = env.store.order_detail("yshop", &gift).await.unwrap();
    let delivery = &g.order.deliveries[0];
    assert_eq!(delivery.recipient.company, "株式会社サンプル 総務部");
    assert_eq!(
        delivery.gift_message.as_deref(),
        Some("いつもありがとうございます")
    );
    assert_eq!(delivery.lines[0].jan.as_deref(), Some("4901234567894"));
    assert_eq!(delivery.time_slot.as_deref(), Some("14-16"));
    let labels: Vec<_> = g.order.fees.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(labels, ["送料", "ギフト包装"]);
    assert_eq!(g.order.discounts.len(), 2, "a coupon and points");
    let (ok, shown, err) = env.cli(&["orders", "show", "--shop", "yshop", &gift]).await;
    assert!(ok, "{err}");
    for part in [
        "佐藤 花子, 株式会社サンプル 総務部",
        "gift message: いつもありがとうございます",
        "JAN 4901234567894",
        "+ ギフト包装 ¥300",
        "− クーポン ¥300",
    ] {
        assert!(shown.contains(part), "{part} in `orders show`: {shown}");
    }

    // A second fetch reads no order twice: the host says which it holds.
    let infos = env.yahoo().requests(Endpoint::Info);
    let again = env.fetch_shop(env.yshop()).await;
    assert!(again.ingested.stored.is_empty(), "{again:#?}");
    let asked_again = env.yahoo().requests(Endpoint::Info) - infos;
    assert!(
        asked_again <= 5,
        "the status sync asks each open order once, the fetch none: {asked_again}"
    );

    // Ship the card order: exported once, on the mall with its carrier code.
    let card = format!("{SELLER}-10000001");
    ship(&env, &card, 1).await;
    let e = export_today(&env).await;
    assert_eq!(e.pushed.len(), 1, "{e:#?}");
    let on_mall = env.yahoo().order(&card).unwrap();
    assert_eq!(on_mall.ship_status, 3);
    assert_eq!(on_mall.ship_company, "1001");
    assert_eq!(on_mall.invoices.0, tracking(1));
    let twice = export_today(&env).await;
    assert!(twice.pushed.is_empty(), "{twice:#?}");
    assert_eq!(
        env.yahoo().per_order(Endpoint::ShipStatusChange).get(&card),
        Some(&1),
        "pushed once"
    );
    assert_eq!(
        env.store
            .order_detail("yshop", &card)
            .await
            .unwrap()
            .summary
            .status,
        OrderStatus::Shipped
    );
}

#[tokio::test]
async fn an_access_token_that_dies_early_is_refreshed_once_and_nothing_fails() {
    let env = with_yahoo(YahooOptions::default()).await;
    for n in 1..=3 {
        env.yahoo().put(placed(&env, n, 30));
    }
    let first = env.fetch_shop(env.yshop()).await;
    assert_eq!(first.ingested.stored.len(), 3);
    assert_eq!(env.yahoo().seen().refreshes, 1);
    // The mall drops every token long before its hour; the host still thinks it good.
    env.yahoo().kill_tokens();
    for n in 4..=6 {
        env.yahoo().put(placed(&env, n, 20));
    }
    let second = env.fetch_shop(env.yshop()).await;
    assert_eq!(second.ingested.stored.len(), 3, "{second:#?}");
    assert_eq!(second.take.taken.len(), 3, "{second:#?}");
    assert!(second.states.error.is_none(), "{second:#?}");
    let seen = env.yahoo().seen();
    assert_eq!(
        seen.refreshes, 2,
        "refreshed once, inside the call: {seen:?}"
    );
    assert_eq!(
        seen.unauthorized, 1,
        "one request met the dead token: {seen:?}"
    );
    assert_eq!(
        seen.stale_refreshes, 0,
        "the rotated refresh token was kept: {seen:?}"
    );
}

#[tokio::test]
async fn one_request_a_second_holds_over_a_run_with_several_refreshes() {
    let env = with_yahoo(YahooOptions {
        rate_limited: true,
        pace: "mall".into(),
    })
    .await;
    // Every access token dies after four requests: a run of 13 requests refreshes three times.
    env.yahoo().token_uses(Some(4));
    for n in 1..=4 {
        env.yahoo().put(placed(&env, n, 30));
    }
    let started = std::time::Instant::now();
    let r = env.fetch_shop(env.yshop()).await;
    assert_eq!(r.ingested.stored.len(), 4, "{r:#?}");
    assert_eq!(r.take.taken.len(), 4, "{r:#?}");
    let seen = env.yahoo().seen();
    assert!(seen.refreshes >= 3, "several refreshes: {seen:?}");
    assert_eq!(seen.too_many, 0, "no 429 across refreshes: {seen:?}");
    let requests = env.yahoo().requests(Endpoint::List)
        + env.yahoo().requests(Endpoint::Info)
        + env.yahoo().requests(Endpoint::StatusChange);
    assert!(
        started.elapsed().as_secs_f64() >= f64::from(requests - 1) * 0.95,
        "{requests} requests in {:?}: faster than one a second",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unpaid_order_is_held_until_the_mall_says_paid_then_exported() {
    let env = with_yahoo(YahooOptions::default()).await;
    let (konbini, bank) = (
        placed(&env, 1, 30).paying("payment_a8"),
        placed(&env, 2, 25).paying("payment_a6"),
    );
    let (n, m) = (konbini.id.clone(), bank.id.clone());
    env.yahoo().put(konbini);
    env.yahoo().put(bank);
    let r = env.fetch_shop(env.yshop()).await;
    assert_eq!(r.ingested.stored.len(), 2);
    for (number, seed) in [(&n, 7), (&m, 8)] {
        let d = env.store.order_detail("yshop", number).await.unwrap();
        assert_eq!(d.summary.status, OrderStatus::OnHold);
        assert_eq!(d.order.payment, PaymentState::Unpaid);
        assert!(
            d.summary
                .hold_reason
                .as_deref()
                .is_some_and(|r| r.starts_with("未入金")),
            "{:?}",
            d.summary.hold_reason
        );
        assert_eq!(
            d.summary.take_state,
            TakeState::Taken,
            "the mall knows we have it"
        );
        // Staff enter the shipping data while it waits.
        ship(&env, number, seed).await;
    }
    let export = async || export_today(&env).await;
    let held = export().await;
    assert!(held.pushed.is_empty(), "{held:#?}");
    // Released by hand while still unpaid: the export still refuses it, saying why.
    env.store
        .set_status("yshop", &n, OrderStatus::AwaitingShipment, env.clock.now())
        .await
        .unwrap();
    let unpaid = export().await;
    assert!(unpaid.pushed.is_empty(), "{unpaid:#?}");
    assert!(
        unpaid
            .excluded
            .iter()
            .any(|x| x.mall_order_number == n && x.reason == Exclusion::Unpaid),
        "{unpaid:#?}"
    );
    // The buyer pays at the bank; the next run's status sync reads it and releases the order.
    env.yahoo().pay(&m);
    let synced = env.fetch_shop(env.yshop()).await;
    assert_eq!(
        synced
            .states
            .paid
            .iter()
            .map(|p| p.mall_order_number.clone())
            .collect::<Vec<_>>(),
        vec![m.clone()],
        "{:#?}",
        synced.states
    );
    let d = env.store.order_detail("yshop", &m).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::AwaitingShipment);
    assert_eq!(d.order.payment, PaymentState::Paid);
    assert!(d.history.iter().any(|(_, e, _)| e == "payment_received"));
    let e = export().await;
    assert_eq!(
        e.pushed
            .iter()
            .map(|p| p.mall_order_number.clone())
            .collect::<Vec<_>>(),
        vec![m.clone()],
        "{e:#?}"
    );
    assert_eq!(env.yahoo().order(&m).unwrap().ship_status, 3);
    assert_eq!(
        env.yahoo().order(&n).unwrap().ship_status,
        0,
        "the unpaid one never reached the mall"
    );
}

#[tokio::test]
async fn a_cancellation_reaches_the_host_with_its_reason() {
    let env = with_yahoo(YahooOptions::default()).await;
    let o = placed(&env, 1, 30);
    let n = o.id.clone();
    env.yahoo().put(o);
    env.fetch_shop(env.yshop()).await;
    env.yahoo().cancel(&n, 110, "注文内容の間違い");
    let r = env.fetch_shop(env.yshop()).await;
    assert_eq!(r.states.cancelled.len(), 1, "{:#?}", r.states);
    let note = &r.states.cancelled[0].message;
    assert!(
        note.contains("キャンセル") && note.contains("購入者都合 (110): 注文内容の間違い"),
        "{note}"
    );
    let d = env.store.order_detail("yshop", &n).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::Cancelled);
    assert_eq!(d.mall_status_words, "キャンセル");
    assert!(
        d.history
            .iter()
            .any(|(_, e, detail)| e == "cancelled_on_mall" && detail.contains("注文内容の間違い")),
        "{:?}",
        d.history
    );
}

#[tokio::test]
async fn a_mall_of_one_carrier_per_order_refuses_mixed_parcels_before_the_push() {
    let env = with_yahoo(YahooOptions::default()).await;
    let o = placed(&env, 1, 30);
    let n = o.id.clone();
    env.yahoo().put(o);
    env.fetch_shop(env.yshop()).await;
    let today = jst_date(env.clock.now());
    let at = env.clock.now();
    env.store
        .set_shipping(
            "yshop",
            &n,
            &ShippingUpdate::new("yamato", &tracking(1), today),
            at,
        )
        .await
        .unwrap();
    env.store
        .add_parcel(
            "yshop",
            &n,
            &ShippingUpdate::new("sagawa", &tracking(2), today),
            at,
        )
        .await
        .unwrap();
    let e = export_today(&env).await;
    let why = e
        .excluded
        .iter()
        .find(|x| x.mall_order_number == n)
        .map(|x| x.reason.clone());
    assert_eq!(
        why,
        Some(Exclusion::MixedCarriers {
            carriers: vec!["1001".into(), "1002".into()]
        }),
        "{e:#?}"
    );
    assert!(
        why.is_some_and(|w| w.to_string().contains("one carrier per order")),
        "the reason says what to do"
    );
    assert_eq!(env.yahoo().requests(Endpoint::ShipStatusChange), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_page_shows_the_malls_codes_in_words_and_the_new_fields() {
    use super::console::{PASSWORD, login_http, no_redirects, page_text};
    let env = with_yahoo(YahooOptions::default()).await;
    mallhost::accounts::add_user(
        &env.store,
        "sam",
        mallhost::accounts::Role::Staff,
        PASSWORD,
        env.clock.now(),
    )
    .await
    .unwrap();
    let now = env.clock.now_secs();
    env.yahoo().seed_demo(now);
    env.order_placed(1, 60);
    env.fetch_shop(env.yshop()).await;
    let d = env.fetch().await;
    let config = env.dir.path().join("mallhost.toml");
    let (mut serve, base) = env.serve_with_admin(&config).await;
    let c = no_redirects();
    let cookie = login_http(&c, &base, "sam").await;
    let page = page_text(
        &c,
        &format!("{base}/console/orders/yshop/{SELLER}-10000005"),
        &cookie,
    )
    .await;
    for words in [
        "payment_a1（クレジットカード決済）",
        "処理中",
        "株式会社サンプル 総務部",
        "いつもありがとうございます",
        "JAN 4901234567894",
        "ギフト包装",
        "クーポン",
    ] {
        assert!(
            page.contains(words),
            "{words} on the Yahoo! order page: {page}"
        );
    }
    let konbini = page_text(
        &c,
        &format!("{base}/console/orders/yshop/{SELLER}-10000003"),
        &cookie,
    )
    .await;
    assert!(
        konbini.contains("payment_a8（コンビニ決済）") && konbini.contains("未入金"),
        "{konbini}"
    );
    // On the list, a held order says why where its status is.
    let list = page_text(&c, &format!("{base}/console/orders?shop=yshop"), &cookie).await;
    assert!(list.contains("title=\"未入金: "), "{list}");
    // d Shopping's codes too, in its plugin's words: the payment method, and the mall status
    // before any status sync has read it.
    let number = &d.take.taken[0];
    let page = page_text(
        &c,
        &format!("{base}/console/orders/dshop/{number}"),
        &cookie,
    )
    .await;
    assert!(page.contains("D_BARAI（d払い）"), "{page}");
    assert!(
        page.contains("ORDER_CONFIRM_WAIT（受注確認待ち）"),
        "{page}"
    );
    let _ = serve.kill().await;
}

#[tokio::test]
async fn a_plugin_reads_its_budget_and_hands_back_the_rest_instead_of_failing() {
    // Finding 4: a call sized for bulk malls. With four requests a call, each fetch call lists
    // the page and reads what its budget allows; the next call carries on where it stopped.
    let env = with_yahoo(YahooOptions::default()).await;
    let bytes = std::fs::read(mallhost_tests::yahoo_plugin_path()).unwrap();
    let small = mallhost_tests::write_plugin(
        env.dir.path(),
        "yahoo-small",
        &mallhost_tests::variant(&bytes, 4),
        "yahoo",
        "0.1.0",
        None,
        "[limits]\nmax_requests_per_call = 4",
    );
    env.runtime.load_file(&small).await.unwrap();
    for n in 1..=7 {
        env.yahoo().put(placed(&env, n, 40 - i64::from(n)));
    }
    let r = env.fetch_shop(env.yshop()).await;
    assert_eq!(r.ingested.stored.len(), 7, "{r:#?}");
    assert!(r.invalid.is_empty(), "{r:#?}");
    let lists = env.yahoo().requests(Endpoint::List);
    assert!(lists >= 4, "seven orders at two a call: {lists} lists");
    assert_eq!(
        env.yahoo().per_order(Endpoint::Info).values().max(),
        Some(&1),
        "no order read twice"
    );
    // Takes too: a take call of seven orders has four requests; the plugin hands the rest back
    // as for the next call (transient), and the host asks again in a fresh call.
    assert_eq!(r.take.taken.len(), 7, "{:#?}", r.take);
    assert!(r.take.failed.is_empty(), "{:#?}", r.take);
}

#[tokio::test]
async fn an_order_held_on_the_mall_is_held_here_until_the_mall_lifts_it() {
    let env = with_yahoo(YahooOptions::default()).await;
    let o = placed(&env, 1, 30);
    let n = o.id.clone();
    env.yahoo().put(o);
    env.fetch_shop(env.yshop()).await;
    ship(&env, &n, 3).await;
    // Store staff put it on hold in Yahoo!'s store manager (a buyer's question, say).
    env.yahoo().hold(&n, true);
    let r = env.fetch_shop(env.yshop()).await;
    assert_eq!(r.states.held.len(), 1, "{:#?}", r.states);
    let d = env.store.order_detail("yshop", &n).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::OnHold);
    assert!(
        d.summary
            .hold_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("モールの保留: ")),
        "{:?}",
        d.summary.hold_reason
    );
    let e = export_today(&env).await;
    assert!(e.pushed.is_empty(), "held: {e:#?}");
    // A second sync with the hold still on changes nothing.
    let again = env.fetch_shop(env.yshop()).await;
    assert!(again.states.held.is_empty() && again.states.released.is_empty());
    // Lifted on the mall: released here, and exported.
    env.yahoo().hold(&n, false);
    let r = env.fetch_shop(env.yshop()).await;
    assert_eq!(r.states.released.len(), 1, "{:#?}", r.states);
    let d = env.store.order_detail("yshop", &n).await.unwrap();
    assert_eq!(d.summary.status, OrderStatus::AwaitingShipment);
    assert!(d.history.iter().any(|(_, e, _)| e == "hold_lifted_on_mall"));
    let e = export_today(&env).await;
    assert_eq!(e.pushed.len(), 1, "{e:#?}");
}

#[tokio::test]
async fn staff_hold_is_never_lifted_by_the_mall() {
    let env = with_yahoo(YahooOptions::default()).await;
    let o = placed(&env, 1, 30);
    let n = o.id.clone();
    env.yahoo().put(o);
    env.fetch_shop(env.yshop()).await;
    env.store
        .set_status("yshop", &n, OrderStatus::OnHold, env.clock.now())
        .await
        .unwrap();
    env.yahoo().hold(&n, true);
    env.fetch_shop(env.yshop()).await;
    env.yahoo().hold(&n, false);
    let r = env.fetch_shop(env.yshop()).await;
    assert!(
        r.states.held.is_empty() && r.states.released.is_empty(),
        "{:#?}",
        r.states
    );
    assert_eq!(
        env.store
            .order_detail("yshop", &n)
            .await
            .unwrap()
            .summary
            .status,
        OrderStatus::OnHold,
        "staff's hold stays staff's"
    );
}
