//! Shipping day at 200 orders across two malls: `cargo bench -p mallhost --bench shipping`
//! (SQLite; with `MALLHOST_BENCH_POSTGRES=postgres://…` also PostgreSQL). Seeds 200 orders
//! awaiting shipment in two shops of two malls (some cash on delivery, some with two
//! deliveries, some names with 𠮷), then times the day as staff run it: one B2 label export of
//! both shops (keys issued, every row checked, the file rendered), the 200 orders a print run
//! of 納品書 reads, one import of the issued data (planned and applied in one transaction), and
//! the next export's judgement per shop — every order must then be ready to send its numbers
//! to its mall. Each step the median of 5 runs on a fresh database. Numbers in
//! docs/benchmarks.md, beside the machine's CPU and calibration loop.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use mallhost::config::Config;
use mallhost::labels::{self, Format, Selection};
use mallhost::model::{
    Address, Amounts, Delivery, Order, OrderFlags, OrderLine, OrderSource, OrderStatus, TakeState,
};
use mallhost::store::{NewOrder, Store, WhenStored};
use mallhost::sync::export::{Rules, judge};

#[path = "support/machine.rs"]
mod machine;
#[path = "support/postgres.rs"]
mod postgres;

const ORDERS: u32 = 200;
const RUNS: usize = 5;

const CONFIG: &str = r#"
[[shops]]
id = "shop-a"
mall = "mall-a"
base_url = "http://127.0.0.1:9"
[shops.carrier_ids]
yamato = "01"
[shops.labels]
sender_name = "わたしの雑貨店"
sender_phone = "03-1234-5678"
sender_postal = "100-0001"
sender_address = "東京都千代田区千代田1-1"
b2_customer_code = "012345678901"

[[shops]]
id = "shop-b"
mall = "mall-b"
base_url = "http://127.0.0.1:9"
[shops.carrier_ids]
yamato = "1001"
[shops.labels]
sender_name = "わたしの雑貨店 B店"
sender_phone = "03-1234-5678"
sender_postal = "100-0001"
sender_address = "東京都千代田区千代田1-1"
b2_customer_code = "012345678901"
"#;

fn order(n: u32) -> Order {
    let at = Utc
        .with_ymd_and_hms(2026, 12, 6, 1, 0, 0)
        .single()
        .unwrap_or_default()
        + chrono::Duration::minutes(i64::from(n));
    let name = if n.is_multiple_of(25) {
        "𠮷田 花子"
    } else {
        "佐藤 美咲"
    };
    let to = Address {
        name: format!("{name}{n}"),
        name_kana: "サトウ ミサキ".into(),
        postal_code: "1500001".into(),
        prefecture: "東京都".into(),
        address1: format!("渋谷区神宮前{}-{}-{}", n % 6 + 1, n % 9 + 1, n % 20 + 1),
        address2: if n.is_multiple_of(3) {
            "メゾン青山 201".into()
        } else {
            String::new()
        },
        phone: format!("090{:08}", n),
        company: String::new(),
        department: String::new(),
    };
    let delivery = |no: u32| Delivery {
        delivery_no: no,
        mall_delivery_id: None,
        recipient: to.clone(),
        delivery_method: "宅配便".into(),
        carrier: Some("yamato".into()),
        desired_date: None,
        desired_time_slot: String::new(),
        time_slot: n.is_multiple_of(4).then(|| "午前中".to_string()),
        lines: (1..=n % 3 + 1)
            .map(|l| OrderLine {
                line_no: no * 10 + l,
                item_code: format!("ITEM-{}", (n + l) % 40),
                sku_code: format!("SKU-{}", (n + l) % 40),
                quantity: l,
                unit_price: 1200,
                tax_rate: if l == 2 { 8 } else { 10 },
                has_add_on_service: false,
                product_name: Some(format!("木のスプーン {}", (n + l) % 40)),
                option_text: None,
                jan: None,
            })
            .collect(),
        gift_message: None,
    };
    let deliveries: Vec<Delivery> = if n.is_multiple_of(20) {
        vec![delivery(1), delivery(2)]
    } else {
        vec![delivery(1)]
    };
    let cod = n.is_multiple_of(10) && deliveries.len() == 1;
    let items: i64 = deliveries
        .iter()
        .flat_map(|d| &d.lines)
        .map(|l| l.unit_price * i64::from(l.quantity))
        .sum();
    let cod_fee = if cod { 330 } else { 0 };
    Order {
        mall_order_number: format!("{}-{:05}", if n.is_multiple_of(2) { "A" } else { "B" }, n),
        ordered_at: at,
        mall_updated_at: at,
        mall_status: "NEW".into(),
        payment_method: if cod {
            "代金引換"
        } else {
            "クレジットカード"
        }
        .into(),
        buyer: to.clone(),
        flags: OrderFlags {
            multiple_deliveries: deliveries.len() > 1,
            ..OrderFlags::default()
        },
        deliveries,
        amounts: Amounts {
            items_total: items,
            shipping_fee: 600,
            cod_fee,
            billing_total: items + 600 + cod_fee,
            ..Amounts::default()
        },
        fees: vec![],
        discounts: vec![],
        prices_include_tax: true,
        buyer_email: None,
        marks: vec![],
        buyer_note: String::new(),
        source: OrderSource::Api,
        hold: None,
        payment: mallhost::model::PaymentState::Paid,
    }
}

/// A 12-digit number with the carriers' check digit (the first eleven mod 7).
fn number(body: u64) -> String {
    format!("{body:011}{}", body % 7)
}

/// One shipping day on a fresh database: the time of each step.
async fn day(url: &str, config: &Config) -> anyhow::Result<[Duration; 4]> {
    let store = Store::open(url).await?;
    let now = Utc::now();
    let today = mallhost::time::jst_date(now);
    for (i, shop) in config.shops.iter().enumerate() {
        let orders: Vec<Order> = (0..ORDERS)
            .filter(|n| (*n as usize) % 2 == i)
            .map(order)
            .collect();
        let new: Vec<NewOrder<'_>> = orders
            .iter()
            .map(|o| NewOrder {
                order: o,
                status: OrderStatus::AwaitingShipment,
                hold_reason: None,
            })
            .collect();
        store
            .store_orders(
                &shop.id,
                &shop.mall,
                &new,
                TakeState::Taken,
                WhenStored::Leave,
                now,
            )
            .await?;
    }
    let shops: Vec<&mallhost::config::ShopConfig> = config.shops.iter().collect();
    let sel = Selection {
        status: OrderStatus::AwaitingShipment,
        orders: vec![],
        cut: false,
        ship_date: today,
        parcels: Default::default(),
    };
    // One label export.
    let start = Instant::now();
    let plan = labels::export(&store, &shops, &sel, Format::B2, now).await?;
    let file = labels::render(&plan);
    let export = start.elapsed();
    anyhow::ensure!(
        plan.stopped().count() == 0,
        "a row stopped: {:?}",
        plan.stopped().next()
    );
    anyhow::ensure!(!file.is_empty());
    // One print run: every order's detail, as the 納品書 page reads them.
    let start = Instant::now();
    for shop in &shops {
        for o in store
            .list_orders(&mallhost::store::OrderFilter {
                shop: Some(shop.id.clone()),
                status: Some(OrderStatus::AwaitingShipment),
                ..Default::default()
            })
            .await?
        {
            std::hint::black_box(store.order_detail(&shop.id, &o.mall_order_number).await?);
        }
    }
    let print = start.elapsed();
    // The issued data: B2's layout, 伝票番号 filled.
    let rows: Vec<Vec<String>> = plan
        .slips
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut cells = s.cells.clone();
            cells[3] = number(40_000_000_000 + i as u64);
            cells
        })
        .collect();
    let issued = labels::b2::file(&rows);
    let start = Instant::now();
    let owned: Vec<mallhost::config::ShopConfig> = config.shops.clone();
    let import = labels::plan_import(&store, &owned, "issued.csv", &issued, today).await?;
    anyhow::ensure!(import.errors.is_empty(), "{:?}", import.errors);
    labels::apply(&store, &import, false, now).await?;
    let imported = start.elapsed();
    // The next export: every order ready to send its numbers to its mall.
    let start = Instant::now();
    let mut ready = 0;
    for shop in &shops {
        for c in store
            .export_candidates(&shop.id, now - chrono::Duration::days(1), Utc::now())
            .await?
        {
            if judge(&c, today, &shop.carrier_ids, Rules::default()).is_ok() {
                ready += 1;
            }
        }
    }
    let next = start.elapsed();
    anyhow::ensure!(
        ready == ORDERS,
        "{ready} of {ORDERS} orders ready for the next export"
    );
    drop(store);
    Ok([export, print, imported, next])
}

async fn run(
    label: &str,
    urls: &mut dyn FnMut(usize) -> String,
    config: &Config,
) -> anyhow::Result<()> {
    let mut steps: [Vec<Duration>; 4] = Default::default();
    for run in 0..RUNS {
        let times = day(&urls(run), config).await?;
        for (all, t) in steps.iter_mut().zip(times) {
            all.push(t);
        }
    }
    println!("\n{label}: {ORDERS} orders in two shops of two malls, median of {RUNS} fresh days");
    println!("| step | time |\n| --- | --- |");
    let names = [
        "one B2 label export (keys, checks, file)",
        "a print run's reads (200 orders' details)",
        "one issued-data import (plan + apply)",
        "the next export's judgement (both shops)",
    ];
    let mut total = 0.0;
    for (name, mut all) in names.iter().zip(steps) {
        all.sort();
        let t = all[all.len() / 2].as_secs_f64() * 1000.0;
        total += t;
        println!("| {name} | {t:.1} ms |");
    }
    println!("| **the day, all four** | **{total:.1} ms** |");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    machine::print();
    let config = Config::parse(CONFIG, std::path::Path::new("/tmp"), &|_| None)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let path = dir.path().to_path_buf();
        run(
            "SQLite",
            &mut |i| {
                format!(
                    "sqlite://{}?mode=rwc",
                    path.join(format!("day{i}.db")).display()
                )
            },
            &config,
        )
        .await?;
        if let Ok(server) = std::env::var("MALLHOST_BENCH_POSTGRES") {
            let mut dbs = Vec::new();
            for i in 0..RUNS {
                dbs.push(
                    postgres::BenchDb::create(&server, &format!("mallhost_bench_ship{i}")).await?,
                );
            }
            let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
            let result = run("PostgreSQL", &mut |i| urls[i].clone(), &config).await;
            for db in dbs {
                db.drop_now().await?;
            }
            result?;
        }
        Ok(())
    })
}
