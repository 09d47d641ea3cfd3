//! Plugin benchmarks (a bench binary, no harness): per-call instantiation; `map-order` over
//! 10,000 orders through WASM against the same mapping code run natively; start-up with and
//! without the compiled cache; a full fetch + store + take of 10,000 orders from the d Shopping
//! emulator, and the same through the Rakuten plugin from the Rakuten emulator.
//!
//! Run: `cargo build -p plugin-dshopping -p plugin-rakuten --target wasm32-wasip2 --release` then
//! `cargo bench -p mallhost --bench plugin`. Results go to standard output as a Markdown table
//! (copied into `docs/benchmarks.md`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use dshopping_emulator::{Emulator, EmulatorConfig};
use mallhost::config::Config;
use mallhost::connector::RawOrder;
use mallhost::model::OrderSource;
use mallhost::runtime::{CompiledCache, PluginLimits, Runtime};
use mallhost::store::Store;

#[path = "support/machine.rs"]
mod machine;
#[path = "support/postgres.rs"]
mod postgres;
use mallhost::sync::Syncer;
use mallhost::time::{Clock, SharedClock, SystemClock};
use postgres::BenchDb;

/// The allocator of the `mallhost` binary, so the numbers are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ORDERS: u32 = 10_000;
const PAGE: usize = 100;
/// Rounds of the map-order comparison (each one WASM pass and one native pass).
const ROUNDS: usize = 11;

fn plugin() -> anyhow::Result<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/wasm32-wasip2/release/plugin_dshopping.wasm");
    anyhow::ensure!(
        p.exists(),
        "build the plugin first: {} is missing",
        p.display()
    );
    Ok(p)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fastest(v: Vec<Duration>) -> Duration {
    v.into_iter().min().unwrap_or_default()
}

fn main() -> anyhow::Result<()> {
    machine::print();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock) as Arc<dyn Clock>;
    let wasm = plugin()?;
    let tmp = tempfile::tempdir()?;
    let mut rows: Vec<(String, String)> = Vec::new();
    // MALLHOST_BENCH_ONLY=map-order runs only that phase (e.g. under callgrind);
    // MALLHOST_BENCH_ONLY=map-order-wasm only its WASM side, 50 times (e.g. under perf).
    let only = std::env::var("MALLHOST_BENCH_ONLY").unwrap_or_default();
    let wasm_only = only == "map-order-wasm";
    let only_map = wasm_only || only == "map-order";

    // Start-up: a new runtime loading the plugin, compiling it vs. reading the compiled cache.
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for i in 0..if only_map { 0 } else { 5 } {
        let cache = CompiledCache::new(tmp.path().join(format!("cache-{i}")));
        let t = Instant::now();
        let r = Runtime::new(clock.clone(), PluginLimits::default())?.with_cache(cache.clone());
        let p = r.load_file(&wasm).await?;
        cold.push(t.elapsed());
        anyhow::ensure!(!p.from_cache());
        let t = Instant::now();
        let r = Runtime::new(clock.clone(), PluginLimits::default())?.with_cache(cache);
        let p = r.load_file(&wasm).await?;
        warm.push(t.elapsed());
        anyhow::ensure!(p.from_cache());
    }
    if !only_map {
        let (cold, warm) = (median(cold), median(warm));
        rows.push((
            "start-up, compiling the plugin (median of 5)".into(),
            format!("{:.1} ms", cold.as_secs_f64() * 1e3),
        ));
        rows.push((
            "start-up, from the compiled cache (median of 5)".into(),
            format!("{:.1} ms", warm.as_secs_f64() * 1e3),
        ));
        rows.push((
            "start-up speed-up from the cache".into(),
            format!("{:.1}×", cold.as_secs_f64() / warm.as_secs_f64()),
        ));
    }

    // One shop on an emulator without rate limit.
    let emu = Emulator::start(EmulatorConfig {
        rate_per_second: None,
        ..EmulatorConfig::default()
    })
    .await?;
    let now = clock.now().timestamp();
    emu.seed_bulk(now, 1, ORDERS);
    let toml = format!(
        "database_url = \"sqlite://{}\"\n[[shops]]\nid = \"bench\"\nmall = \"dshopping\"\nbase_url = \"{}\"\n\
         allow_private_network = true\npace = \"off\"\n\
         [shops.delivery_methods]\n\"宅配便\" = \"yamato\"\n[shops.carrier_ids]\nyamato = \"01\"\n\
         [shops.settings]\npartner_code = \"P0001234\"\n[shops.credentials]\napi_password = \"emulator-secret\"\n",
        tmp.path().join("bench.db").display(),
        emu.url()
    );
    let config = Config::parse(&toml, tmp.path(), &|_| None)?;
    let shop = config.shops[0].clone();
    let runtime = Runtime::new(clock.clone(), PluginLimits::default())?
        .with_cache(CompiledCache::new(tmp.path().join("cache")));
    runtime.load_file(&wasm).await?;
    let connector = runtime.connector(&shop);

    // Per-call instantiation: a fresh store and instance from the pre-instantiated component,
    // with no work in it (map-order of nothing).
    for _ in 0..200 {
        connector.map_orders(&[]).await?;
    }
    let calls = 5_000;
    let t = Instant::now();
    for _ in 0..calls {
        connector.map_orders(&[]).await?;
    }
    let per_call = t.elapsed() / calls;
    rows.push((
        "instantiation per call (fresh store + instance, pre-instantiated)".into(),
        format!("{:.1} µs", per_call.as_secs_f64() * 1e6),
    ));

    // map-order over 10,000 orders: WASM in pages of 100 (as a fetch does) vs. native.
    let bodies: Vec<(String, String)> = (0..ORDERS)
        .map(|i| {
            let o = dshopping_emulator::plain_order(i + 1, now - 3600);
            Ok((o.order_number.clone(), serde_json::to_string(&o)?))
        })
        .collect::<Result<_, serde_json::Error>>()?;
    let raws: Vec<RawOrder> = bodies
        .iter()
        .map(|(n, b)| RawOrder {
            mall_order_number: n.clone(),
            source: OrderSource::Api,
            body: b.clone(),
        })
        .collect();
    use connector_kit::types as wit;
    let native_raws: Vec<wit::RawOrder> = bodies
        .iter()
        .map(|(n, b)| wit::RawOrder {
            mall_order_number: n.clone(),
            source: wit::OrderSource::Api,
            body: b.clone(),
        })
        .collect();
    // Rounds alternate WASM and native, so a slow spell of the machine hits both alike.
    let mut wasm_runs = Vec::new();
    let mut native_runs = Vec::new();
    for _ in 0..if wasm_only { 50 } else { ROUNDS } {
        let t = Instant::now();
        let mut mapped = 0;
        for page in raws.chunks(PAGE) {
            for r in connector.map_orders(page).await? {
                r?;
                mapped += 1;
            }
        }
        anyhow::ensure!(mapped == ORDERS);
        wasm_runs.push(t.elapsed());
        if wasm_only {
            continue;
        }
        let t = Instant::now();
        for r in &native_raws {
            let o =
                plugin_dshopping::mapping::map_order(r).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            std::hint::black_box(o);
        }
        native_runs.push(t.elapsed());
    }
    // The fastest run of each: the machine's noise only ever adds time.
    let (w, n) = (fastest(wasm_runs), fastest(native_runs));
    rows.push((
        format!("map-order × 10,000 through WASM (pages of 100, fastest of {ROUNDS})"),
        format!("{:.1} ms", w.as_secs_f64() * 1e3),
    ));
    rows.push((
        format!("map-order × 10,000 natively (fastest of {ROUNDS})"),
        format!("{:.1} ms", n.as_secs_f64() * 1e3),
    ));
    rows.push((
        "WASM / native ratio".into(),
        format!("{:.2}", w.as_secs_f64() / n.as_secs_f64()),
    ));

    if only_map {
        print_rows(&rows);
        return Ok(());
    }
    // Full fetch + store + take of 10,000 orders.
    let store = Store::open(&config.database_url)
        .await
        .context("bench database")?;
    cycle(&mut rows, "", &store, &runtime, &shop, &clock, &config).await?;

    // The same on PostgreSQL (MALLHOST_BENCH_POSTGRES names a server; a database is created for
    // the run and dropped), with an emulator of its own.
    if let Some(server) = std::env::var("MALLHOST_BENCH_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
    {
        let pemu = Emulator::start(EmulatorConfig {
            rate_per_second: None,
            ..EmulatorConfig::default()
        })
        .await?;
        pemu.seed_bulk(now, 1, ORDERS);
        let db = BenchDb::create(&server, "mh_bench_cycle").await?;
        let db_url = db.url.clone();
        let toml = toml
            .replace(
                &format!("sqlite://{}", tmp.path().join("bench.db").display()),
                &db_url,
            )
            .replace(&emu.url(), &pemu.url());
        let pconfig = Config::parse(&toml, tmp.path(), &|_| None)?;
        let pstore = Store::open(&pconfig.database_url)
            .await
            .context("PostgreSQL bench database")?;
        cycle(
            &mut rows,
            "PostgreSQL: ",
            &pstore,
            &runtime,
            &pconfig.shops[0],
            &clock,
            &pconfig,
        )
        .await?;
        pstore.pool().close().await;
        db.drop_now().await?;
    }

    // The same through the Rakuten plugin, on its emulator without rate limit.
    let rakuten_wasm = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/wasm32-wasip2/release/plugin_rakuten.wasm");
    anyhow::ensure!(
        rakuten_wasm.exists(),
        "build the Rakuten plugin first: {} is missing",
        rakuten_wasm.display()
    );
    let remu = rakuten_emulator::Emulator::start(rakuten_emulator::EmulatorConfig {
        rate_per_second: None,
        ..rakuten_emulator::EmulatorConfig::default()
    })
    .await?;
    remu.seed_bulk(now, 1, ORDERS);
    let toml = format!(
        "database_url = \"sqlite://{}\"\n[[shops]]\nid = \"rbench\"\nmall = \"rakuten\"\nbase_url = \"{}\"\n\
         allow_private_network = true\npace = \"off\"\n\
         [shops.delivery_methods]\n\"宅配便\" = \"yamato\"\n[shops.carrier_ids]\nyamato = \"1001\"\n\
         [shops.credentials]\nservice_secret = \"{}\"\nlicense_key = \"{}\"\n",
        tmp.path().join("rakuten.db").display(),
        remu.url(),
        remu.service_secret(),
        remu.license_key(),
    );
    let rconfig = Config::parse(&toml, tmp.path(), &|_| None)?;
    let rshop = rconfig.shops[0].clone();
    runtime.load_file(&rakuten_wasm).await?;
    let rstore = Store::open(&rconfig.database_url)
        .await
        .context("Rakuten bench database")?;
    cycle(
        &mut rows,
        "Rakuten: ",
        &rstore,
        &runtime,
        &rshop,
        &clock,
        &rconfig,
    )
    .await?;

    print_rows(&rows);
    Ok(())
}

/// A full fetch + store + take (+ status sync) of [`ORDERS`] orders, with the per-phase rows.
async fn cycle(
    rows: &mut Vec<(String, String)>,
    prefix: &str,
    store: &Store,
    runtime: &Runtime,
    shop: &mallhost::config::ShopConfig,
    clock: &SharedClock,
    config: &Config,
) -> anyhow::Result<()> {
    let syncer = Syncer::new(store, runtime, clock.clone(), config.sync.clone());
    let before = runtime.usage();
    let t = Instant::now();
    let report = syncer.fetch(shop, syncer.days_window(shop)).await?;
    let took = t.elapsed();
    let after = runtime.usage();
    anyhow::ensure!(
        report.ingested.stored.len() == ORDERS as usize
            && report.take.taken.len() == ORDERS as usize,
        "{prefix}stored {}, taken {}",
        report.ingested.stored.len(),
        report.take.taken.len()
    );
    rows.push((
        format!("{prefix}fetch + store + take of 10,000 orders (emulator, no rate limit)"),
        format!("{:.2} s", took.as_secs_f64()),
    ));
    rows.push((
        format!("{prefix}throughput"),
        format!("{:.0} orders/s", f64::from(ORDERS) / took.as_secs_f64()),
    ));
    let wasm = after.guest_and_boundary() - before.guest_and_boundary();
    let http = after.host - before.host;
    rows.push((
        format!("{prefix}  plugin calls' HTTP (host calls) in the cycle"),
        format!("{:.0} ms", http.as_secs_f64() * 1e3),
    ));
    rows.push((
        format!("{prefix}  guest + boundary in the cycle (the WASM share)"),
        format!(
            "{:.0} ms, {:.1} % of the cycle",
            wasm.as_secs_f64() * 1e3,
            100.0 * wasm.as_secs_f64() / took.as_secs_f64()
        ),
    ));
    let t = report.timings;
    for (phase, ms) in [
        (
            "fetch-orders calls (HTTP, paging, mapping, crossing)",
            t.fetch_ms,
        ),
        ("store (tables, holds, database writes)", t.store_ms),
        ("take (calls and bookkeeping)", t.take_ms),
        ("status sync", t.states_ms),
    ] {
        rows.push((format!("{prefix}  phase: {phase}"), format!("{ms} ms")));
    }
    Ok(())
}

fn print_rows(rows: &[(String, String)]) {
    println!("| measure | result |\n| --- | --- |");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
