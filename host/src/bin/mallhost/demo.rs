//! `mallhost demo`: one full cycle against the bundled d Shopping emulator, on a fresh SQLite
//! database — orders fetched, stored, taken; staff enter shipping data for some; an export
//! sends them; a summary shows the mall's statuses before and after.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use dshopping_emulator::{Emulator, EmulatorConfig};
use mallhost::config::Config;
use mallhost::model::OrderStatus;
use mallhost::store::{OrderFilter, ShippingUpdate};
use mallhost::sync::ExportOptions;
use mallhost::time::{Clock, SharedClock, SystemClock, jst_date};
use serde::Serialize;

use crate::output::{self, Format};
use mallhost::app::App;

/// A tracking number that passes the carriers' check digit (12 digits, last = first 11 mod 7).
fn tracking_number(seed: u64) -> String {
    let body = 30_000_000_000 + seed * 7_919;
    format!("{body:011}{}", body % 7)
}

#[derive(Serialize)]
struct Summary {
    config_file: String,
    database: String,
    mall_before: BTreeMap<String, usize>,
    mall_after: BTreeMap<String, usize>,
    host_statuses: Vec<(String, i64)>,
    fetch: mallhost::sync::FetchReport,
    export: mallhost::sync::ExportReport,
}

pub async fn run(dir: &Path, plugin: &Path, format: Format) -> anyhow::Result<()> {
    if !plugin.exists() {
        bail!(
            "the d Shopping plugin {} is missing; build it with \
             `cargo build -p plugin-dshopping --target wasm32-wasip2 --release` (scripts/demo.sh does)",
            plugin.display()
        );
    }
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
    std::fs::copy(plugin, plugins_dir.join("dshopping.wasm")).context("copying the plugin")?;

    // The mall: the emulator with the spec's rate limit (2 requests a second) and demo orders.
    let clock: SharedClock = Arc::new(SystemClock) as Arc<dyn Clock>;
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .context("starting the d Shopping emulator")?;
    let seeded = emu.seed_demo(clock.now().timestamp());
    let mall_before = emu.status_counts();
    say(format!(
        "d Shopping emulator on {} with {seeded} orders (test and production)",
        emu.url()
    ));

    let config_path = dir.join("mallhost.toml");
    let toml = format!(
        r#"# Written by `mallhost demo`: a shop on the bundled d Shopping emulator.
database_url = "sqlite://{db}"
plugins_dir = "plugins"

[[shops]]
id = "dshop"
name = "デモ雑貨店"
mall = "dshopping"
base_url = "{url}"
stored_status = "awaiting_shipment"
fetch_days = 7
allow_private_network = true   # the emulator listens on 127.0.0.1

[shops.delivery_methods]   # 配送業者変換: mall label -> your carrier
"宅配便" = "yamato"
"ネコポス" = "yamato"
"メール便" = "japanpost"

[shops.time_slots]         # 配送時間帯変換: mall label -> your time slot
"午前中" = "午前中"
"14-16" = "14-16"
"16-18" = "16-18"
"18-20" = "18-20"
"19-21" = "19-21"
"指定なし" = "指定なし"

[shops.carrier_ids]        # 配送業者ID設定: your carrier -> d Shopping's id
yamato = "01"
japanpost = "03"

[shops.settings]           # what the plugin asks for (`mallhost shops` lists it)
partner_code = "{partner}"

[shops.credentials]        # a real shop: api_password_env = "DSHOP_API_PASSWORD"
api_password = "emulator-secret"
"#,
        db = dir.join("mallhost.db").display(),
        url = emu.url(),
        partner = emu.partner_code(),
    );
    std::fs::write(&config_path, toml).context("writing the demo config")?;
    let config = Config::load(&config_path)?;
    let cx = App::open(config, clock.clone(), true).await?;
    let shop = cx.shop("dshop")?.clone();

    // The product master (商品データ): d Shopping returns no product names. One product is left
    // out on purpose, to show how a missing name looks.
    for (item, sku, name, price) in dshopping_emulator::demo_catalogue().into_iter().skip(1) {
        cx.store
            .upsert_product(item, sku, name, Some(price), clock.now())
            .await?;
    }

    let syncer = cx.syncer();
    say("\n== 1. fetch (受注取込) ==".into());
    let fetch = syncer.fetch(&shop, syncer.days_window(&shop)).await?;
    if text {
        print!("{}", output::fetch_text(&fetch));
    }

    // Staff enter shipping data (伝票番号) for some orders; one ships tomorrow, one has no
    // tracking number yet.
    say("\n== 2. shipping data entered by staff (出荷作業) ==".into());
    let today = jst_date(clock.now());
    let awaiting = cx
        .store
        .list_orders(&OrderFilter {
            shop: Some(shop.id.clone()),
            status: Some(OrderStatus::AwaitingShipment),
            ..OrderFilter::default()
        })
        .await?;
    let mut entered = 0;
    for (i, o) in awaiting.iter().enumerate().take(14) {
        let carrier = o.carrier.clone().unwrap_or_else(|| "yamato".into());
        let (tracking, date) = match i {
            12 => (tracking_number(i as u64), today.succ_opt().unwrap_or(today)),
            13 => (String::new(), today),
            _ => (tracking_number(i as u64), today),
        };
        cx.store
            .set_shipping(
                &shop.id,
                &o.mall_order_number,
                &ShippingUpdate::new(&carrier, &tracking, date),
                clock.now(),
            )
            .await?;
        entered += 1;
    }
    say(format!(
        "  carrier, tracking number and ship date set on {entered} orders"
    ));

    say("\n== 3. export (データ書出 → 発送情報を更新) ==".into());
    let export = syncer
        .export(&shop, today, today, ExportOptions::SEND)
        .await?;
    if text {
        print!("{}", output::export_text(&export));
    }

    let mall_after = emu.status_counts();
    let host_statuses = cx
        .store
        .status_counts(&shop.id)
        .await?
        .into_iter()
        .map(|(s, n)| (format!("{} ({})", s.label(), s.id()), n))
        .collect::<Vec<_>>();
    let summary = Summary {
        config_file: config_path.display().to_string(),
        database: cx.config.database_url.clone(),
        mall_before,
        mall_after,
        host_statuses,
        fetch,
        export,
    };
    if !text {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!("\n== summary ==");
    println!("  d Shopping statuses (production orders)   before → after");
    let labels = ["受注確認待ち", "出荷指示待ち", "出荷完了", "キャンセル"];
    for l in labels {
        let b = summary.mall_before.get(l).copied().unwrap_or(0);
        let a = summary.mall_after.get(l).copied().unwrap_or(0);
        println!("    {l:<12} {b:>4} → {a:>4}");
    }
    println!("  mallhost statuses:");
    for (s, n) in &summary.host_statuses {
        println!("    {s:<28} {n:>4}");
    }
    println!(
        "\n  config {} and database {} are kept; look around with:\n    \
         cargo run -p mallhost -- --config {} orders list\n    \
         cargo run -p mallhost -- --config {} orders show --shop dshop {}",
        summary.config_file,
        summary.database,
        summary.config_file,
        summary.config_file,
        summary
            .fetch
            .ingested
            .stored
            .first()
            .map(String::as_str)
            .unwrap_or("ORDER")
    );
    println!("  (the emulator stops with this command, so fetch and export need a new demo run)");
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
