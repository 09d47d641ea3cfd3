//! `mallhost demo`: one host, two malls. A d Shopping shop and a Rakuten shop, each on its
//! bundled emulator, in one SQLite database: orders fetched, stored and taken; staff enter
//! shipping data for some (a parcel per basket for Rakuten's multi-basket order); an export sends
//! them; a summary shows each mall's statuses before and after.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use mallhost::app::App;
use mallhost::config::{Config, ShopConfig};
use mallhost::model::OrderStatus;
use mallhost::store::{OrderFilter, ShippingUpdate};
use mallhost::sync::ExportOptions;
use mallhost::time::{Clock, SharedClock, SystemClock, jst_date};
use serde::Serialize;

use crate::output::{self, Format};

/// A tracking number that passes the carriers' check digit (12 digits, last = first 11 mod 7).
fn tracking_number(seed: u64) -> String {
    let body = 30_000_000_000 + seed * 7_919;
    format!("{body:011}{}", body % 7)
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

/// The compiled plugins the demo loads.
pub struct DemoPlugins<'a> {
    /// d Shopping's.
    pub dshopping: &'a Path,
    /// Rakuten's.
    pub rakuten: &'a Path,
}

fn config_text(
    dir: &Path,
    dshop_url: &str,
    partner: &str,
    rakuten_url: &str,
    secret: &str,
    key: &str,
    key_expires: &str,
) -> String {
    format!(
        r#"# Written by `mallhost demo`: two shops, one per bundled mall emulator, in one database.
database_url = "sqlite://{db}"
plugins_dir = "plugins"
dev_loose_plugins = true       # the demo's plugins are loose files; install real ones with
                               # `mallhost plugins install FILE.wasm` (manifest, digest, hosts)

[[shops]]
id = "dshop"
name = "デモ雑貨店"
mall = "dshopping"
base_url = "{dshop_url}"
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

[[shops]]
id = "rshop"
name = "デモ楽天市場店"
mall = "rakuten"
base_url = "{rakuten_url}"
stored_status = "awaiting_shipment"
fetch_days = 7
allow_private_network = true
pace = "mall"                  # 1 request a second per licence key, as the plugin declares

[shops.delivery_methods]
"宅配便" = "yamato"
"メール便" = "japanpost"

[shops.time_slots]         # Rakuten's shippingTerm: 1 = 午前中, 1416 = 14-16 …, 0 = 指定なし
"午前中" = "午前中"
"14-16" = "14-16"
"19-21" = "19-21"
"指定なし" = "指定なし"

[shops.carrier_ids]        # your carrier -> Rakuten's deliveryCompany code
yamato = "1001"
sagawa = "1002"
japanpost = "1003"

[shops.credentials]        # a real shop: service_secret_env / license_key_env
service_secret = "{secret}"
license_key = "{key}"
license_key_expires = "{key_expires}"   # RMS shows it when the key is issued (90 days)
"#,
        db = dir.join("mallhost.db").display(),
    )
}

/// Staff enter shipping data: each basket of a multi-basket order gets its own parcel; one
/// order ships tomorrow and one has no tracking number yet, to show why they are left out.
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
    let mut entered = 0;
    // Oldest first: the demo's multi-basket gift order is among them.
    for (i, o) in awaiting.iter().rev().enumerate().take(count) {
        let carrier = o.carrier.clone().unwrap_or_else(|| "yamato".into());
        let (date, blank) = match i {
            _ if i + 2 == count => (today.succ_opt().unwrap_or(today), false),
            _ if i + 1 == count => (today, true),
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

pub async fn run(dir: &Path, plugins: DemoPlugins<'_>, format: Format) -> anyhow::Result<()> {
    for (mall, p, package) in [
        ("d Shopping", plugins.dshopping, "plugin-dshopping"),
        ("Rakuten", plugins.rakuten, "plugin-rakuten"),
    ] {
        if !p.exists() {
            bail!(
                "the {mall} plugin {} is missing; build it with `cargo build -p {package} \
                 --target wasm32-wasip2 --release` (scripts/demo.sh does)",
                p.display()
            );
        }
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
    std::fs::copy(plugins.dshopping, plugins_dir.join("dshopping.wasm"))
        .context("copying the d Shopping plugin")?;
    std::fs::copy(plugins.rakuten, plugins_dir.join("rakuten.wasm"))
        .context("copying the Rakuten plugin")?;

    // The malls: each emulator with its spec's rate limit and demo orders.
    let clock: SharedClock = Arc::new(SystemClock) as Arc<dyn Clock>;
    let now = clock.now();
    let dshop = dshopping_emulator::Emulator::start(dshopping_emulator::EmulatorConfig::default())
        .await
        .context("starting the d Shopping emulator")?;
    let seeded_d = dshop.seed_demo(now.timestamp());
    let rakuten = rakuten_emulator::Emulator::start(rakuten_emulator::EmulatorConfig::default())
        .await
        .context("starting the Rakuten emulator")?;
    let seeded_r = rakuten.seed_demo(now.timestamp());
    let before = [dshop.status_counts(), rakuten.status_counts()];
    say(format!(
        "d Shopping emulator on {} with {seeded_d} orders (test and production)\n\
         Rakuten emulator on {} with {seeded_r} orders (1 request a second)",
        dshop.url(),
        rakuten.url()
    ));

    let config_path = dir.join("mallhost.toml");
    let expires = (jst_date(now) + chrono::Days::new(80)).to_string();
    let toml = config_text(
        dir,
        &dshop.url(),
        dshop.partner_code(),
        &rakuten.url(),
        rakuten.service_secret(),
        rakuten.license_key(),
        &expires,
    );
    std::fs::write(&config_path, toml).context("writing the demo config")?;
    let config = Config::load(&config_path)?;
    let cx = App::open(config, clock.clone(), true).await?;

    // The product master (商品データ): d Shopping returns no product names (Rakuten does). One
    // product is left out on purpose, to show how a missing name looks.
    for (item, sku, name, price) in dshopping_emulator::demo_catalogue().into_iter().skip(1) {
        cx.store
            .upsert_product(item, sku, name, Some(price), now)
            .await?;
    }

    let syncer = cx.syncer();
    let today = jst_date(now);
    let mut malls = Vec::new();
    for (k, (shop_id, label, ship_count)) in [("dshop", "d Shopping", 14), ("rshop", "Rakuten", 4)]
        .into_iter()
        .enumerate()
    {
        let shop = cx.shop(shop_id)?.clone();
        say(format!("\n== {label}: 1. fetch (受注取込) =="));
        let fetch = syncer.fetch(&shop, syncer.days_window(&shop)).await?;
        if text {
            print!("{}", output::fetch_text(&fetch));
        }
        say(format!(
            "\n== {label}: 2. shipping data entered by staff (出荷作業) =="
        ));
        let entered = enter_shipping(&cx, &shop, ship_count, clock.now()).await?;
        say(format!(
            "  carrier, tracking number and ship date set on {entered} orders (each basket its own parcel)"
        ));
        say(format!("\n== {label}: 3. export (データ書出) =="));
        let export = syncer
            .export(&shop, today, today, ExportOptions::SEND)
            .await?;
        if text {
            print!("{}", output::export_text(&export));
        }
        let mall_after = if k == 0 {
            dshop.status_counts()
        } else {
            rakuten.status_counts()
        };
        let host_statuses = cx
            .store
            .status_counts(&shop.id)
            .await?
            .into_iter()
            .map(|(s, n)| (format!("{} ({})", s.label(), s.id()), n))
            .collect::<Vec<_>>();
        malls.push(MallSummary {
            shop: shop.id.clone(),
            mall: shop.mall.clone(),
            plugin: fetch.plugin.clone(),
            mall_before: before[k].clone(),
            mall_after,
            host_statuses,
            fetch,
            export,
        });
    }
    let summary = Summary {
        config_file: config_path.display().to_string(),
        database: cx.config.database_url.to_string(),
        malls,
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
