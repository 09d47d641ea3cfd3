//! `mallhost demo`: one host, every shipped mall. For each plugin the workspace's `plugins.toml`
//! ships, its mall's emulator runs (its binary, built beside the list) and a shop is configured
//! on it from what the emulator says reaches it; all shops share one SQLite database. Orders are
//! fetched, stored and taken; staff enter shipping data for some (a parcel per delivery); an
//! export sends them; a summary shows each mall's statuses before and after. The demo knows no
//! mall: what differs is the list's, the plugins' and the emulators'.

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use mallhost::app::App;
use mallhost::config::{Config, ShopConfig};
use mallhost::model::OrderStatus;
use mallhost::store::{OrderFilter, ShippingUpdate};
use mallhost::sync::ExportOptions;
use mallhost::time::{Clock, SharedClock, SystemClock, jst_date};
use serde::{Deserialize, Serialize};

use crate::output::{self, Format};

/// A tracking number that passes the carriers' check digit (12 digits, last = first 11 mod 7).
fn tracking_number(seed: u64) -> String {
    let body = 30_000_000_000 + seed * 7_919;
    format!("{body:011}{}", body % 7)
}

/// One entry of `plugins.toml`.
#[derive(Deserialize)]
struct Listed {
    package: String,
    mall: String,
    emulator: Option<String>,
    ship: String,
}

/// What an emulator says when it starts (`connector_kit::emulator::announce`).
#[derive(Deserialize)]
struct Announced {
    url: String,
    seeded: usize,
    shop_toml: String,
    #[serde(default)]
    products: Vec<(String, String, String, i64)>,
    status_path: String,
}

/// A mall's emulator running for the demo; killed when dropped.
struct Running {
    mall: String,
    child: std::process::Child,
    said: Announced,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// The mall's statuses now, by its own words.
    async fn status_counts(&self) -> anyhow::Result<BTreeMap<String, usize>> {
        let url = format!("{}{}", self.said.url, self.said.status_path);
        let body = reqwest::get(&url)
            .await
            .with_context(|| format!("asking the {} emulator for its statuses", self.mall))?
            .bytes()
            .await
            .with_context(|| format!("reading the {} emulator's statuses", self.mall))?;
        serde_json::from_slice(&body)
            .with_context(|| format!("the {} emulator's statuses are not JSON", self.mall))
    }
}

/// Starts an emulator's binary on a free loopback port and reads what it announces.
fn start_emulator(mall: &str, bin: &Path) -> anyhow::Result<Running> {
    let mut child = std::process::Command::new(bin)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "starting the {mall} emulator {}; build it with `cargo build -p {}` \
                 (scripts/demo.sh does)",
                bin.display(),
                bin.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            )
        })?;
    let mut first = String::new();
    if let Some(out) = child.stdout.take() {
        let mut out = std::io::BufReader::new(out);
        out.read_line(&mut first)
            .with_context(|| format!("reading the {mall} emulator's first line"))?;
        // Whatever else it writes is read and dropped, so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    }
    let said = first
        .strip_prefix("mallhost-emulator ")
        .and_then(|json| serde_json::from_str::<Announced>(json).ok());
    let Some(said) = said else {
        let _ = child.kill();
        bail!("the {mall} emulator did not announce itself (it said {first:?})");
    };
    Ok(Running {
        mall: mall.to_string(),
        child,
        said,
    })
}

/// One mall's part of the demo.
#[derive(Serialize)]
struct MallSummary {
    shop: String,
    mall: String,
    plugin: String,
    mall_before: BTreeMap<String, usize>,
    mall_after: BTreeMap<String, usize>,
    host_statuses: Vec<(String, i64)>,
    fetch: mallhost::sync::FetchReport,
    export: mallhost::sync::ExportReport,
}

#[derive(Serialize)]
struct Summary {
    config_file: String,
    database: String,
    malls: Vec<MallSummary>,
}

/// The demo's config: one shop per running emulator.
fn config_text(dir: &Path, malls: &[Running]) -> String {
    let mut text = format!(
        r#"# Written by `mallhost demo`: one shop per shipped mall, each on its emulator, in one database.
database_url = "sqlite://{db}"
plugins_dir = "plugins"
dev_loose_plugins = true       # the demo's plugins are loose files; install real ones with
                               # `mallhost plugins install FILE.wasm` (manifest, digest, hosts)
"#,
        db = dir.join("mallhost.db").display(),
    );
    for m in malls {
        text.push_str(&format!(
            "\n[[shops]]\nid = \"demo-{mall}\"\nname = \"デモ {mall}\"\nmall = \"{mall}\"\n\
             stored_status = \"awaiting_shipment\"\nfetch_days = 7\n\
             allow_private_network = true   # the emulator listens on 127.0.0.1\n\
             pace = \"mall\"                  # as fast as the plugin says its mall allows\n{}",
            m.said.shop_toml,
            mall = m.mall,
        ));
    }
    text
}

/// Staff enter shipping data: each delivery of an order gets its own parcel; one order ships
/// tomorrow and one has no tracking number yet, to show why they are left out.
async fn enter_shipping(
    cx: &App,
    shop: &ShopConfig,
    count: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<usize> {
    let today = jst_date(now);
    let awaiting = cx
        .store
        .list_orders(&OrderFilter {
            shop: Some(shop.id.clone()),
            status: Some(OrderStatus::AwaitingShipment),
            ..OrderFilter::default()
        })
        .await?;
    let count = count.min(awaiting.len());
    let mut entered = 0;
    // Oldest first: the demo's multi-delivery orders are among them.
    for (i, o) in awaiting.iter().rev().enumerate().take(count) {
        let carrier = o.carrier.clone().unwrap_or_else(|| "yamato".into());
        let (date, blank) = match i {
            _ if count > 2 && i + 2 == count => (today.succ_opt().unwrap_or(today), false),
            _ if count > 2 && i + 1 == count => (today, true),
            _ => (today, false),
        };
        let detail = cx
            .store
            .order_detail(&shop.id, &o.mall_order_number)
            .await?;
        for d in &detail.order.deliveries {
            let seed = (entered * 10 + d.delivery_no as usize) as u64;
            let tracking = if blank {
                String::new()
            } else {
                tracking_number(seed)
            };
            let update = ShippingUpdate {
                delivery: (detail.order.deliveries.len() > 1).then_some(d.delivery_no),
                ..ShippingUpdate::new(&carrier, &tracking, date)
            };
            cx.store
                .set_shipping(&shop.id, &o.mall_order_number, &update, now)
                .await?;
        }
        entered += 1;
    }
    Ok(entered)
}

/// The shipped plugins of the list, with their components and emulators' binaries.
fn shipped(list: &Path) -> anyhow::Result<Vec<(Listed, PathBuf, PathBuf)>> {
    #[derive(Deserialize)]
    struct List {
        plugin: Vec<Listed>,
    }
    let text =
        std::fs::read_to_string(list).with_context(|| format!("reading {}", list.display()))?;
    let parsed: List = toml::from_str(&text)
        .with_context(|| format!("{} is not a plugin list", list.display()))?;
    let root = list.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for p in parsed.plugin.into_iter().filter(|p| p.ship == "yes") {
        let Some(emulator) = p.emulator.clone() else {
            continue;
        };
        let wasm = root.join(format!(
            "target/wasm32-wasip2/release/{}.wasm",
            p.package.replace('-', "_")
        ));
        if !wasm.exists() {
            bail!(
                "the {} plugin {} is missing; build it with `cargo build -p {} --target \
                 wasm32-wasip2 --release` (scripts/demo.sh does)",
                p.mall,
                wasm.display(),
                p.package
            );
        }
        let bin = root.join("target/debug").join(&emulator);
        out.push((p, wasm, bin));
    }
    if out.is_empty() {
        bail!("{} ships no plugin with an emulator", list.display());
    }
    Ok(out)
}

pub async fn run(dir: &Path, list: &Path, format: Format) -> anyhow::Result<()> {
    let plugins = shipped(list)?;
    let text = format == Format::Text;
    let say = |s: String| {
        if text {
            println!("{s}");
        }
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = &dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    let plugins_dir = dir.join("plugins");
    std::fs::create_dir_all(&plugins_dir)
        .with_context(|| format!("creating {}", plugins_dir.display()))?;

    // The malls: each emulator with its spec's rate limit and demo orders.
    let mut malls = Vec::new();
    for (p, wasm, bin) in &plugins {
        std::fs::copy(wasm, plugins_dir.join(format!("{}.wasm", p.mall)))
            .with_context(|| format!("copying the {} plugin", p.mall))?;
        let running = start_emulator(&p.mall, bin)?;
        say(format!(
            "{} emulator on {} with {} orders",
            p.mall, running.said.url, running.said.seeded
        ));
        malls.push(running);
    }
    let mut before = Vec::new();
    for m in &malls {
        before.push(m.status_counts().await?);
    }

    let clock: SharedClock = Arc::new(SystemClock) as Arc<dyn Clock>;
    let now = clock.now();
    let config_path = dir.join("mallhost.toml");
    std::fs::write(&config_path, config_text(dir, &malls)).context("writing the demo config")?;
    let config = Config::load(&config_path)?;
    let cx = App::open(config, clock.clone(), true).await?;

    // The product master (商品データ), for malls whose orders carry no product names. One product
    // is left out on purpose, to show how a missing name looks.
    for m in &malls {
        for (item, sku, name, price) in m.said.products.iter().skip(1) {
            cx.store
                .upsert_product(item, sku, name, Some(*price), now)
                .await?;
        }
    }

    let syncer = cx.syncer();
    let today = jst_date(now);
    let mut summaries = Vec::new();
    for (m, before) in malls.iter().zip(before) {
        let shop = cx.shop(&format!("demo-{}", m.mall))?.clone();
        let label = &m.mall;
        say(format!("\n== {label}: 1. fetch (受注取込) =="));
        let fetch = syncer.fetch(&shop, syncer.days_window(&shop)).await?;
        if text {
            print!("{}", output::fetch_text(&fetch));
        }
        say(format!(
            "\n== {label}: 2. shipping data entered by staff (出荷作業) =="
        ));
        let entered = enter_shipping(&cx, &shop, 14, clock.now()).await?;
        say(format!(
            "  carrier, tracking number and ship date set on {entered} orders (each delivery its own parcel)"
        ));
        say(format!("\n== {label}: 3. export (データ書出) =="));
        let export = syncer
            .export(&shop, today, today, ExportOptions::SEND)
            .await?;
        if text {
            print!("{}", output::export_text(&export));
        }
        let host_statuses = cx
            .store
            .status_counts(&shop.id)
            .await?
            .into_iter()
            .map(|(s, n)| (format!("{} ({})", s.label(), s.id()), n))
            .collect::<Vec<_>>();
        summaries.push(MallSummary {
            shop: shop.id.clone(),
            mall: shop.mall.clone(),
            plugin: fetch.plugin.clone(),
            mall_before: before,
            mall_after: m.status_counts().await?,
            host_statuses,
            fetch,
            export,
        });
    }
    let summary = Summary {
        config_file: config_path.display().to_string(),
        database: cx.config.database_url.to_string(),
        malls: summaries,
    };
    if !text {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!("\n== summary ==");
    for m in &summary.malls {
        println!(
            "  {} ({}) — mall statuses   before → after",
            m.shop, m.plugin
        );
        let labels: Vec<&String> = m
            .mall_before
            .keys()
            .chain(m.mall_after.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for l in labels {
            let b = m.mall_before.get(l).copied().unwrap_or(0);
            let a = m.mall_after.get(l).copied().unwrap_or(0);
            println!("    {} {b:>4} → {a:>4}", output::pad(l, 14));
        }
        println!("    mallhost statuses:");
        for (s, n) in &m.host_statuses {
            println!("      {} {n:>4}", output::pad(s, 28));
        }
    }
    println!(
        "\n  config {} and database {} are kept; look around with:\n    \
         cargo run -p mallhost -- --config {} orders list\n    \
         cargo run -p mallhost -- --config {} shops",
        summary.config_file, summary.database, summary.config_file, summary.config_file,
    );
    println!("  (the emulators stop with this command, so fetch and export need a new demo run)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_tracking_numbers_pass_the_check_digit() {
        for seed in 0..50 {
            let t = tracking_number(seed);
            assert_eq!(t.len(), 12, "{t}");
            let body: u64 = t[..11].parse().unwrap();
            assert_eq!(body % 7, t[11..].parse::<u64>().unwrap());
        }
    }
}
