//! Several host processes on one PostgreSQL database: three `serve` processes and manual
//! exports share twenty shops of two malls while orders arrive and staff enter shipping data,
//! and one process is SIGKILLed and restarted every few seconds. Nothing is lost or doubled,
//! and no (shop, job) ever runs twice at once. Runs in the PostgreSQL pass only
//! (`MALLHOST_TEST_POSTGRES`); SQLite is one machine's database.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dshopping_emulator::{Emulator as DEmulator, EmulatorConfig as DConfig, Status};
use mallhost::model::TakeState;
use mallhost::store::{OrderFilter, ShippingUpdate, Store};
use mallhost::time::{Clock as _, jst_date};
use mallhost_tests::{Options, RakutenOptions, TestEnv, mallhost_bin};
use rakuten_emulator::{Emulator as REmulator, EmulatorConfig as RConfig};

const SHOPS_PER_MALL: usize = 10;
const WAVES: u32 = 10;
const PER_WAVE: u32 = 10; // orders per shop per wave: 20 shops × 10 waves × 10 = 2,000

/// 12 digits passing the carriers' mod-7 check digit.
fn tracking(seed: u64) -> String {
    let body = 50_000_000_000 + seed * 7_919;
    format!("{body:011}{}", body % 7)
}

fn shop_toml(id: &str, mall: &str, url: &str, creds: &str, carriers: &str) -> String {
    format!(
        r#"
[[shops]]
id = "{id}"
mall = "{mall}"
base_url = "{url}"
stored_status = "awaiting_shipment"
fetch_days = 7
allow_private_network = true
pace = "off"
auto_fetch = true
auto_fetch_every = "1s"
auto_export = true
auto_export_every = "1s"
[shops.delivery_methods]
"宅配便" = "yamato"
"メール便" = "japanpost"
[shops.time_slots]
"午前中" = "am"
"14-16" = "14-16"
"19-21" = "19-21"
"指定なし" = "none"
[shops.carrier_ids]
{carriers}
{creds}
"#
    )
}

fn serve(config: &Path, now: &str) -> tokio::process::Child {
    tokio::process::Command::new(mallhost_bin())
        .arg("--config")
        .arg(config)
        .arg("--now")
        .arg(now)
        .arg("serve")
        .env_remove("MALLHOST_CONFIG")
        .env("MALLHOST_LOG", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("mallhost serve runs")
}

/// Shipping data for every taken order of `shop` that has none yet; returns how many.
async fn ship_taken(
    store: &Store,
    shop: &str,
    seed: &mut u64,
    now: chrono::DateTime<chrono::Utc>,
) -> usize {
    let orders = store
        .list_orders(&OrderFilter {
            shop: Some(shop.into()),
            take_state: Some(TakeState::Taken),
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    let mut n = 0;
    for o in orders.iter().filter(|o| o.tracking_number.is_none()) {
        *seed += 1;
        store
            .set_shipping(
                shop,
                &o.mall_order_number,
                &ShippingUpdate::new("yamato", &tracking(*seed), jst_date(now)),
                now,
            )
            .await
            .unwrap();
        n += 1;
    }
    n
}

#[tokio::test]
async fn three_hosts_share_twenty_shops_and_a_killed_one_loses_and_doubles_nothing() {
    let Some(server) = mallhost_tests::database::postgres_only("the several-hosts trial") else {
        return;
    };
    if !mallhost_tests::first_pass("the multi-host trial") {
        return;
    }
    let env = TestEnv::start(Options {
        rakuten: Some(RakutenOptions::default()),
        postgres: Some(server),
        ..Options::default()
    })
    .await;
    let clock = env.clock.clone();
    let mut dmalls = Vec::new();
    let mut rmalls = Vec::new();
    let mut shops = String::new();
    for i in 0..SHOPS_PER_MALL {
        let c = clock.clone();
        let d = DEmulator::start(DConfig {
            rate_per_second: None,
            clock: Arc::new(move || c.now().timestamp()),
            ..DConfig::default()
        })
        .await
        .unwrap();
        shops.push_str(&shop_toml(
            &format!("d{i:02}"),
            "dshopping",
            &d.url(),
            "[shops.settings]\npartner_code = \"P0001234\"\n[shops.credentials]\napi_password = \"emulator-secret\"",
            "yamato = \"01\"\njapanpost = \"03\"",
        ));
        dmalls.push(d);
        let c = clock.clone();
        let r = REmulator::start(RConfig {
            rate_per_second: None,
            clock: Arc::new(move || c.now().timestamp()),
            ..RConfig::default()
        })
        .await
        .unwrap();
        shops.push_str(&shop_toml(
            &format!("r{i:02}"),
            "rakuten",
            &r.url(),
            &format!(
                "[shops.credentials]\nservice_secret = \"{}\"\nlicense_key = \"{}\"\nlicense_key_expires = \"2030-01-01\"",
                r.service_secret(),
                r.license_key()
            ),
            "yamato = \"1001\"\njapanpost = \"1003\"",
        ));
        rmalls.push(r);
    }
    let config = env.dir.path().join("hosts.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{db}\"\nplugins_dir = \"plugins\"\ncompiled_cache_dir = \"{cache}\"\n\
             secrets_key_file = \"{key}\"\ndev_loose_plugins = true\n\
             [sync]\nlease_secs = 3\nworkers = 4\ntransient_retries = 1\nbackoff_ms = 50\n{shops}",
            db = env.db.url,
            cache = mallhost_tests::shared_cache_dir().display(),
            key = mallhost_tests::shared_key_file().display(),
        ),
    )
    .unwrap();
    let now = clock.now().to_rfc3339();
    let mut hosts: Vec<_> = (0..3).map(|_| serve(&config, &now)).collect();
    // Which processes serve (the manual exports beside them are not "work shared"), and when
    // each killed one was killed.
    let mut serve_pids: std::collections::BTreeSet<u32> =
        hosts.iter().filter_map(|h| h.id()).collect();
    let mut killed_at: BTreeMap<u32, String> = BTreeMap::new();

    // Orders arrive in waves; staff enter shipping data for what was taken; a manual export
    // runs beside the hosts; and one host is killed and restarted every wave.
    let placed_at = clock.now().timestamp() - 3_600;
    let mut numbers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seed = 0_u64;
    let mut kills = 0;
    for wave in 0..WAVES {
        for (i, (d, r)) in dmalls.iter().zip(&rmalls).enumerate() {
            for j in 0..PER_WAVE {
                let n = wave * PER_WAVE + j;
                numbers
                    .entry(format!("d{i:02}"))
                    .or_default()
                    .push(d.add_plain_order(n, placed_at));
                numbers
                    .entry(format!("r{i:02}"))
                    .or_default()
                    .push(r.add_plain_order(n, placed_at));
            }
        }
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        for shop in numbers.keys() {
            ship_taken(&env.store, shop, &mut seed, clock.now()).await;
        }
        let manual = format!("{}{:02}", if wave % 2 == 0 { "d" } else { "r" }, wave % 10);
        let _ = tokio::process::Command::new(mallhost_bin())
            .arg("--config")
            .arg(&config)
            .arg("--now")
            .arg(&now)
            .args(["export", "--shop", &manual])
            .env("MALLHOST_LOG", "off")
            .output()
            .await
            .unwrap();
        let victim = wave as usize % hosts.len();
        let pid = hosts[victim].id();
        let _ = hosts[victim].start_kill(); // SIGKILL
        let _ = hosts[victim].wait().await;
        if let Some(pid) = pid {
            killed_at.insert(pid, mallhost::time::to_db(chrono::Utc::now()));
        }
        kills += 1;
        hosts[victim] = serve(&config, &now);
        serve_pids.extend(hosts[victim].id());
    }

    // The hosts finish the work: every order stored and taken, every shipment on the mall.
    let started = Instant::now();
    let total: usize = numbers.values().map(Vec::len).sum();
    loop {
        for shop in numbers.keys() {
            ship_taken(&env.store, shop, &mut seed, clock.now()).await;
        }
        let d_done = dmalls
            .iter()
            .zip(numbers.iter().filter(|(s, _)| s.starts_with('d')))
            .all(|(m, (_, ns))| ns.iter().all(|n| m.status_of(n) == Some(Status::Shipped)));
        let r_done = rmalls
            .iter()
            .all(|m| m.parcels_added() as usize == (WAVES * PER_WAVE) as usize);
        if d_done && r_done {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the hosts did not finish: d Shopping done {d_done}, Rakuten parcels {:?}",
            rmalls.iter().map(|m| m.parcels_added()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The hosts stop as an operator stops them (SIGTERM: runs in progress finish), and one
    // clean export per shop settles what the killed processes left in flight: their claims'
    // holders are gone, so those pushes are unknown and sent again, which the malls make
    // harmless (the checks below still see each shipment applied once).
    for h in &mut hosts {
        if let Some(pid) = h.id() {
            let _ = std::process::Command::new("sh")
                .args(["-c", &format!("kill -TERM {pid}")])
                .status();
        }
        let stopped = tokio::time::timeout(Duration::from_secs(30), h.wait()).await;
        if stopped.is_err()
            && let Some(pid) = h.id()
        {
            killed_at.insert(pid, mallhost::time::to_db(chrono::Utc::now()));
        }
        let _ = h.start_kill();
        let _ = h.wait().await;
    }
    for shop in numbers.keys() {
        let out = tokio::process::Command::new(mallhost_bin())
            .arg("--config")
            .arg(&config)
            .arg("--now")
            .arg(&now)
            .args(["export", "--shop", shop])
            .env("MALLHOST_LOG", "off")
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{shop}: the clean export: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    eprintln!(
        "{total} orders through 3 hosts, {kills} kills, done in {:?} after the last wave",
        started.elapsed()
    );

    // Each order stored once and taken once, nothing pending.
    assert_eq!(env.stored_count().await as usize, total, "each stored once");
    for shop in numbers.keys() {
        assert!(
            env.store.pending_takes(shop).await.unwrap().is_empty(),
            "{shop}: nothing pending"
        );
    }
    for (m, (shop, ns)) in dmalls
        .iter()
        .zip(numbers.iter().filter(|(s, _)| s.starts_with('d')))
    {
        assert_eq!(
            m.acknowledged_ok() as usize,
            ns.len(),
            "{shop}: each taken once"
        );
        let applied = m.shipments_applied();
        // Every call the mall saw, per order: a take at most twice (a killed run's lost answer
        // and the take after it), a push once (one cut off is looked up, never sent again).
        let takes = m.calls_per_order(dshopping_emulator::Endpoint::Acknowledge);
        let pushes = m.calls_per_order(dshopping_emulator::Endpoint::Shipments);
        for n in ns {
            assert_eq!(applied.get(n), Some(&1), "{shop} {n}: shipped once");
            assert!(
                (1..=1 + kills).contains(takes.get(n).unwrap_or(&0)),
                "{shop} {n}: taken by {:?} calls for {kills} kills",
                takes.get(n)
            );
            assert_eq!(pushes.get(n), Some(&1), "{shop} {n}: sent once: {pushes:?}");
        }
    }
    for (m, (shop, ns)) in rmalls
        .iter()
        .zip(numbers.iter().filter(|(s, _)| s.starts_with('r')))
    {
        assert_eq!(
            m.confirmed_ok() as usize,
            ns.len(),
            "{shop}: each confirmed once"
        );
        assert_eq!(
            m.parcels_added() as usize,
            ns.len(),
            "{shop}: one parcel each, none twice"
        );
        let confirms = m.calls_per_order(rakuten_emulator::Method::ConfirmOrder);
        for n in ns {
            assert!(
                (1..=1 + kills).contains(confirms.get(n).unwrap_or(&0)),
                "{shop} {n}: confirmed by {:?} calls for {kills} kills",
                confirms.get(n)
            );
        }
    }
    let in_flight: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM shipment_pushes WHERE outcome = 'sending'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
    assert_eq!(in_flight, 0, "no push left in flight");
    let refused: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM shipment_pushes WHERE outcome = 'rejected'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
    assert_eq!(refused, 0, "no false refusal");

    // No (shop, job) ever ran twice at once: its runs never overlap — a killed run's span
    // ending when its process was killed. Every run without an end is a killed process's, and
    // the kills hit running jobs.
    let runs = env.store.job_runs(None, 1_000_000).await.unwrap();
    let pid_of = |holder: &str| holder.split(':').nth(1).and_then(|p| p.parse::<u32>().ok());
    let mut by_job: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    let mut serving = std::collections::BTreeSet::new();
    let mut cut_by_kills = 0;
    for r in &runs {
        let pid = pid_of(&r.holder);
        if let Some(p) = pid.filter(|p| serve_pids.contains(p)) {
            serving.insert(p);
        }
        let end = match &r.ended_at {
            Some(end) => end.clone(),
            None => {
                let killed = pid.and_then(|p| killed_at.get(&p));
                let Some(at) = killed else {
                    panic!("a run with no end whose process was not killed: {r:?}");
                };
                cut_by_kills += 1;
                at.clone()
            }
        };
        by_job
            .entry((r.shop.clone(), r.job.clone()))
            .or_default()
            .push((r.started_at.clone(), end));
    }
    for (key, spans) in &mut by_job {
        spans.sort();
        for w in spans.windows(2) {
            assert!(
                w[0].1 <= w[1].0,
                "{key:?} ran twice at once: {:?} and {:?}",
                w[0],
                w[1]
            );
        }
    }
    assert!(
        cut_by_kills > 0,
        "a SIGKILL hit a running job ({kills} kills, no run cut)"
    );
    assert!(
        serving.len() >= 3,
        "the work was shared between serve processes: {serving:?} of {serve_pids:?}"
    );
}

#[tokio::test]
async fn db_copy_moves_a_sqlite_database_to_postgres_with_every_row() {
    let Some(server) = mallhost_tests::database::postgres_only("the copy to PostgreSQL") else {
        return;
    };
    if !mallhost_tests::first_pass("the database copy") {
        return;
    }
    let env = TestEnv::start(Options::default()).await;
    // A SQLite database with every kind of row: orders with deliveries and lines, products,
    // history, pushes, runs.
    let sqlite = format!("sqlite://{}", env.dir.path().join("source.db").display());
    let config = env.dir.path().join("mallhost.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&env.db.url, &sqlite);
    let source_config = env.dir.path().join("source.toml");
    std::fs::write(&source_config, text).unwrap();
    let cli = |args: Vec<String>| {
        let mut c = env.cli_command_with(&source_config, &[]);
        c.args(args);
        c
    };
    for i in 0..30 {
        env.order_placed(i, 60 + i64::from(i));
    }
    let out = cli(vec!["fetch".into(), "--shop".into(), "dshop".into()])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let source = Store::open(&sqlite).await.unwrap();
    source
        .upsert_product("item-1", "", "テスト商品", Some(1_200), env.clock.now())
        .await
        .unwrap();
    let first = source.list_orders(&OrderFilter::default()).await.unwrap();
    for (i, o) in first.iter().take(10).enumerate() {
        source
            .set_shipping(
                "dshop",
                &o.mall_order_number,
                &ShippingUpdate::new("yamato", &tracking(i as u64), jst_date(env.clock.now())),
                env.clock.now(),
            )
            .await
            .unwrap();
    }
    let out = cli(vec!["export".into(), "--shop".into(), "dshop".into()])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dest = mallhost_tests::database::TestDb::postgres(&server).await;
    let out = cli(vec![
        "--json".into(),
        "db".into(),
        "copy".into(),
        "--to".into(),
        dest.url.clone(),
    ])
    .output()
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tables: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let target = Store::open(&dest.url).await.unwrap();
    for t in tables.as_array().unwrap() {
        let name = t["table"].as_str().unwrap();
        assert_eq!(t["matches"], true, "{t}");
        // Counted again here, on each side, not taken from the command's word.
        let count = |s: &Store| {
            let pool = s.pool().clone();
            let sql = format!("SELECT COUNT(*) FROM {name}");
            async move {
                sqlx::query_scalar::<_, i64>(&sql)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        let (a, b) = (count(&source).await, count(&target).await);
        assert_eq!(a, b, "{name}");
        assert_eq!(t["source_rows"].as_i64(), Some(a), "{name}");
    }
    for table in [
        "orders",
        "order_lines",
        "order_history",
        "shipment_pushes",
        "products",
        "job_runs",
    ] {
        let row = tables
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .unwrap();
        assert!(
            row["source_rows"].as_u64().unwrap() > 0,
            "{table} had rows to copy"
        );
    }
    // Every order reads back the same, and the copy takes new work (ids continue).
    for o in &first {
        let a = source
            .order_detail("dshop", &o.mall_order_number)
            .await
            .unwrap();
        let b = target
            .order_detail("dshop", &o.mall_order_number)
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::to_value(&b).unwrap(),
            "{}",
            o.mall_order_number
        );
    }
    target
        .set_status(
            "dshop",
            &first[20].mall_order_number,
            mallhost::model::OrderStatus::OnHold,
            env.clock.now(),
        )
        .await
        .unwrap();
    // A second copy into a database that holds orders is refused, naming why.
    let out = cli(vec![
        "db".into(),
        "copy".into(),
        "--to".into(),
        dest.url.clone(),
    ])
    .output()
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("holds 30 orders already"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_credential_keep_the_malls_pace_together() {
    let Some(server) = mallhost_tests::database::postgres_only("the shared pace") else {
        return;
    };
    if !mallhost_tests::first_pass("the shared pace") {
        return;
    }
    // The mall lets one credential make two requests a second, as the plugin declares.
    let env = TestEnv::start(Options {
        rate: Some(2),
        pace: "mall".into(),
        postgres: Some(server),
        ..Options::default()
    })
    .await;
    // A second shop of the same seller (the same credential), its work done by a second process.
    let config = env.dir.path().join("mallhost.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let at = text.find("[[shops]]").unwrap();
    let second = text[at..].replacen("id = \"dshop\"", "id = \"dshop2\"", 1);
    std::fs::write(&config, format!("{text}\n{second}")).unwrap();
    // Several pages of new orders for each process to read and take.
    env.dshopping()
        .seed_bulk(env.clock.now().timestamp() - 3600, 0, 600);
    let run = |shop: &'static str| {
        let mut cmd = env.cli_command(&["fetch", "--shop", shop]);
        async move { cmd.output().await.unwrap() }
    };
    let (a, b) = tokio::join!(run("dshop"), run("dshop2"));
    for out in [&a, &b] {
        assert!(
            out.status.success() || out.status.code() == Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let requests = env.dshopping().requests_seen();
    assert!(requests >= 12, "enough requests to matter: {requests}");
    assert_eq!(
        env.dshopping().rate_limited_count(),
        0,
        "two processes at one credential's pace: {requests} requests, no 429"
    );
}
