//! What contract 0.3.0 added, turned on the host by a hostile plugin (`tests/plugins/hostile-v3`,
//! mall `hostile3`): `held` answers for the call's own shop only — another shop's order numbers
//! are held by nobody as far as the plugin can tell — and asking it in a loop spends the call's
//! request budget, after which it answers nothing and `send` is refused, so a plugin cannot turn
//! the host's database into a loop of its own.

use mallhost::config::{Config, ShopConfig};
use mallhost::connector::Window;
use mallhost::time::Clock as _;
use mallhost_tests::{Options, TestEnv, first_pass, hostile_v3_plugin_path, write_plugin};

/// A `hostile3` shop with id `id` and the plugin's `mode` and `numbers` settings.
fn shop(env: &TestEnv, id: &str, mode: &str, numbers: &[String]) -> ShopConfig {
    let toml = format!(
        "[[shops]]\nid = \"{id}\"\nmall = \"hostile3\"\nbase_url = \"http://127.0.0.1:9\"\n\
         stored_status = \"awaiting_shipment\"\nfetch_days = 7\nallow_private_network = true\n\
         pace = \"off\"\n[shops.settings]\nmode = \"{mode}\"\nnumbers = \"{}\"\n",
        numbers.join(",")
    );
    Config::parse(&toml, env.dir.path(), &|_| None)
        .expect("the shop entry reads")
        .shops
        .remove(0)
}

async fn fetch_error(env: &TestEnv, shop: &ShopConfig) -> String {
    let now = env.clock.now();
    let window = Window {
        start: now - chrono::Duration::days(1),
        end: now,
    };
    match env.runtime.connector(shop).fetch_orders(window, None).await {
        Ok(_) => panic!("{}: the plugin reports by failing", shop.id),
        Err(e) => e.to_string(),
    }
}

async fn with_hostile3() -> TestEnv {
    let env = TestEnv::start(Options::default()).await;
    let bytes = std::fs::read(hostile_v3_plugin_path()).unwrap();
    let wasm = write_plugin(
        env.dir.path(),
        "hostile3",
        &bytes,
        "hostile3",
        "3.6.6",
        None,
        "",
    );
    let p = env.runtime.load_file(&wasm).await.unwrap();
    assert_eq!(p.info().contract_version, "0.3.0");
    env
}

#[tokio::test]
async fn held_answers_for_the_calls_own_shop_only() {
    if !first_pass("the hostile 0.3.0 plugin's tests are") {
        return;
    }
    let env = with_hostile3().await;
    for n in 1..=3 {
        env.order_placed(n, 60);
    }
    let stored = env.fetch().await.ingested.stored;
    assert_eq!(stored.len(), 3);
    // Asked in a call for the shop that holds them: all three (the question works).
    let own = fetch_error(&env, &shop(&env, "dshop", "held", &stored)).await;
    assert!(own.contains("held 3 of 3"), "{own}");
    // Asked in another shop's call: none, whatever the plugin knows of the numbers.
    let other = fetch_error(&env, &shop(&env, "elsewhere", "held", &stored)).await;
    assert!(other.contains("held 0 of 3"), "{other}");
}

#[tokio::test]
async fn held_in_a_loop_spends_the_calls_budget_then_answers_nothing() {
    if !first_pass("the hostile 0.3.0 plugin's tests are") {
        return;
    }
    let env = with_hostile3().await;
    let started = std::time::Instant::now();
    let said = fetch_error(&env, &shop(&env, "flood", "flood", &[])).await;
    // The default budget is 200 requests a call: 200 questions, then nothing left and the
    // request refused for the budget, not sent.
    assert!(
        said.contains("asked 200 times, 0 requests left") && said.contains("BudgetExhausted(200)"),
        "{said}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "bounded by the budget, not the wall: {:?}",
        started.elapsed()
    );
}
