//! Many shops and several host processes: the release `mallhost serve` over in-process d
//! Shopping emulators (no rate limit), timed from outside as an operator would see it. Prints a
//! Markdown table; the numbers are in docs/benchmarks.md.
//!
//! - 1,000 shops × 10 orders in one `serve` (SQLite, and PostgreSQL when
//!   `MALLHOST_BENCH_POSTGRES` names a server): wall time until all 10,000 orders are stored and
//!   taken, the process's peak RSS and CPU time, and its CPU use over 10 s idle afterwards — the
//!   scheduler's own cost with 1,000 shops on its schedule.
//! - 1, 2 and 3 `serve` processes on one PostgreSQL database sharing 20 shops × 5,000 orders,
//!   six workers in all split between them: time until all are taken, throughput, and each
//!   process's CPU time. `MALLHOST_BENCH_ONLY=processes` runs only this part.
//!
//! Run: `cargo build -p plugin-dshopping --target wasm32-wasip2 --release`, then
//! `MALLHOST_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo bench -p mallhost --bench hosts`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use dshopping_emulator::{Emulator, EmulatorConfig};
use mallhost::store::Store;

#[path = "support/machine.rs"]
mod machine;
#[path = "support/postgres.rs"]
mod postgres;
use postgres::BenchDb;

fn plugin() -> anyhow::Result<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/wasm32-wasip2/release/plugin_dshopping.wasm");
    anyhow::ensure!(
        p.exists(),
        "build the plugin first: cargo build -p plugin-dshopping --target wasm32-wasip2 --release"
    );
    Ok(p)
}

fn shop(i: usize, url: &str, every: &str) -> String {
    format!(
        "[[shops]]\nid = \"s{i:04}\"\nmall = \"dshopping\"\nbase_url = \"{url}\"\n\
         allow_private_network = true\npace = \"off\"\nauto_fetch = true\nauto_fetch_every = \"{every}\"\n\
         [shops.delivery_methods]\n\"宅配便\" = \"yamato\"\n[shops.carrier_ids]\nyamato = \"01\"\n\
         [shops.settings]\npartner_code = \"P0001234\"\n[shops.credentials]\napi_password = \"emulator-secret\"\n"
    )
}

/// A folder with the config (database, plugin as a loose file) for `shops` emulators.
async fn setup(
    dir: &Path,
    db: &str,
    shops: usize,
    orders_each: u32,
    workers: u32,
) -> anyhow::Result<(PathBuf, Vec<Emulator>)> {
    std::fs::create_dir_all(dir.join("plugins"))?;
    std::fs::copy(plugin()?, dir.join("plugins/dshopping.wasm"))?;
    let now = chrono::Utc::now().timestamp();
    let mut emus = Vec::with_capacity(shops);
    let mut text = format!(
        "database_url = \"{db}\"\nplugins_dir = \"plugins\"\ncompiled_cache_dir = \"cache\"\n\
         dev_loose_plugins = true\n[sync]\nworkers = {workers}\n"
    );
    for i in 0..shops {
        let emu = Emulator::start(EmulatorConfig {
            rate_per_second: None,
            ..EmulatorConfig::default()
        })
        .await?;
        emu.seed_bulk(now, 1, orders_each);
        text.push_str(&shop(i, &emu.url(), "1h"));
        emus.push(emu);
    }
    let config = dir.join("mallhost.toml");
    std::fs::write(&config, text)?;
    // The compiled cache is filled once, outside the timing.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mallhost"))
        .arg("--config")
        .arg(&config)
        .args(["plugins", "list"])
        .env("MALLHOST_LOG", "off")
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((config, emus))
}

fn serve(config: &Path) -> anyhow::Result<std::process::Child> {
    Ok(std::process::Command::new(env!("CARGO_BIN_EXE_mallhost"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env("MALLHOST_LOG", "off")
        .stdout(std::process::Stdio::null())
        .spawn()?)
}

/// Waits until `total` orders are stored and taken.
async fn all_taken(store: &Store, total: i64, limit: Duration) -> anyhow::Result<Duration> {
    let t = Instant::now();
    loop {
        let taken: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE take_state = 'taken'")
                .fetch_one(store.pool())
                .await?;
        if taken >= total {
            return Ok(t.elapsed());
        }
        anyhow::ensure!(t.elapsed() < limit, "only {taken} of {total} taken");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (peak RSS in MiB, CPU seconds) of a process, from /proc.
fn usage(pid: u32) -> anyhow::Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let hwm_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmHWM")?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    Ok((hwm_kb / 1024.0, ticks / 100.0))
}

/// A fresh database URL: SQLite in `dir`, or a new PostgreSQL database (dropped with
/// [`drop_database`]).
async fn database(
    server: Option<&str>,
    dir: &Path,
    name: &str,
) -> anyhow::Result<(String, Option<BenchDb>)> {
    match server {
        None => Ok((format!("sqlite://{}", dir.join("hosts.db").display()), None)),
        Some(server) => {
            let db = BenchDb::create(server, name).await?;
            Ok((db.url.clone(), Some(db)))
        }
    }
}

async fn drop_database(db: Option<BenchDb>) -> anyhow::Result<()> {
    match db {
        Some(db) => db.drop_now().await,
        None => Ok(()),
    }
}

async fn thousand_shops(
    rows: &mut Vec<(String, String)>,
    server: Option<&str>,
) -> anyhow::Result<()> {
    const SHOPS: usize = 1_000;
    const EACH: u32 = 10;
    let label = if server.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let tmp = tempfile::tempdir()?;
    let (db, guard) = database(server, tmp.path(), "mh_bench_1000").await?;
    let (config, _emus) = setup(tmp.path(), &db, SHOPS, EACH, 8).await?;
    let store = Store::open(&db).await?;
    let mut child = serve(&config)?;
    let took = all_taken(
        &store,
        (SHOPS as i64) * i64::from(EACH),
        Duration::from_secs(600),
    )
    .await?;
    let (peak, cpu) = usage(child.id())?;
    // Idle: every shop is fetched; the schedule holds 1,000 jobs due in an hour.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, before) = usage(child.id())?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (peak_after, after) = usage(child.id())?;
    let _ = child.kill();
    let _ = child.wait();
    store.pool().close().await;
    drop_database(guard).await?;
    rows.push((
        format!("{label}: 1,000 shops × 10 orders in one serve, until all 10,000 are taken"),
        format!(
            "{:.1} s ({:.0} orders/s)",
            took.as_secs_f64(),
            10_000.0 / took.as_secs_f64()
        ),
    ));
    rows.push((
        format!("{label}:   serve's peak RSS (after the work; after 10 s more idle)"),
        format!("{peak:.0} MiB; {peak_after:.0} MiB"),
    ));
    rows.push((
        format!("{label}:   serve's CPU time for the work"),
        format!("{cpu:.1} s"),
    ));
    rows.push((
        format!("{label}:   scheduler overhead idle, 1,000 jobs scheduled (CPU over 10 s)"),
        format!("{:.2} % of one core", (after - before) * 10.0),
    ));
    Ok(())
}

async fn processes(rows: &mut Vec<(String, String)>, server: &str) -> anyhow::Result<()> {
    const SHOPS: usize = 20;
    const EACH: u32 = 5_000;
    // The same six workers in all, split between the processes: what is measured is what
    // sharing costs, not more parallel work on the same two cores.
    const WORKERS: u32 = 6;
    let total = (SHOPS as f64) * f64::from(EACH);
    for k in 1..=3_u32 {
        let tmp = tempfile::tempdir()?;
        let (db, guard) = database(Some(server), tmp.path(), "mh_bench_procs").await?;
        let (config, _emus) = setup(tmp.path(), &db, SHOPS, EACH, WORKERS / k).await?;
        let store = Store::open(&db).await?;
        let mut children = (0..k)
            .map(|_| serve(&config))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let took = all_taken(
            &store,
            (SHOPS as i64) * i64::from(EACH),
            Duration::from_secs(600),
        )
        .await?;
        let cpu: Vec<String> = children
            .iter()
            .map(|c| usage(c.id()).map(|(_, cpu)| format!("{cpu:.1}")))
            .collect::<anyhow::Result<_>>()?;
        let holders: Vec<String> = sqlx::query_scalar("SELECT holder FROM job_runs")
            .fetch_all(store.pool())
            .await?;
        // `host:pid:nonce#run`: the processes that ran something.
        let runs = holders
            .iter()
            .map(|h| h.split('#').next().unwrap_or_default())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        for c in &mut children {
            let _ = c.kill();
            let _ = c.wait();
        }
        store.pool().close().await;
        drop_database(guard).await?;
        rows.push((
            format!(
                "PostgreSQL: {k} serve process(es) × {} workers, 20 shops × 5,000 orders",
                WORKERS / k
            ),
            format!(
                "{:.2} s, {:.0} orders/s ({runs} process(es) ran jobs; CPU s per process: {})",
                took.as_secs_f64(),
                total / took.as_secs_f64(),
                cpu.join(", ")
            ),
        ));
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    machine::print();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let server = std::env::var("MALLHOST_BENCH_POSTGRES")
            .ok()
            .filter(|s| !s.is_empty());
        let only = std::env::var("MALLHOST_BENCH_ONLY").unwrap_or_default();
        let mut rows = Vec::new();
        if only != "processes" {
            thousand_shops(&mut rows, None).await?;
        }
        if let Some(server) = &server {
            if only != "processes" {
                thousand_shops(&mut rows, Some(server)).await?;
            }
            processes(&mut rows, server).await?;
        }
        println!("| measure | result |\n| --- | --- |");
        for (k, v) in &rows {
            println!("| {k} | {v} |");
        }
        Ok(())
    })
}
