//! The console at 100,000 orders: `cargo bench -p mallhost --bench console` (SQLite; with
//! `MALLHOST_BENCH_POSTGRES=postgres://…` also PostgreSQL). Seeds 100,000 orders over a year in
//! two shops (every status, 1 in 3 with a tracking number), then times the order list's
//! queries — the first page, a status tab, a shop and status, a deep page, a buyer's name, a
//! buyer in one month, an order number, a tracking number — and whole rendered pages over HTTP
//! from `mallhost serve`, each the median of 20 runs. Numbers in docs/benchmarks.md.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use mallhost::model::{
    Address, Amounts, Delivery, Order, OrderFlags, OrderLine, OrderSource, OrderStatus, TakeState,
};
use mallhost::store::{NewOrder, OrderSearch, Store, WhenStored};

#[path = "support/machine.rs"]
mod machine;
#[path = "support/postgres.rs"]
mod postgres;

const ORDERS: u32 = 100_000;
const RUNS: usize = 20;
const NAMES: [&str; 10] = [
    "山田 太郎",
    "佐藤 花子",
    "鈴木 一郎",
    "高橋 美咲",
    "田中 健",
    "伊藤 さくら",
    "渡辺 翔",
    "中村 結衣",
    "小林 大輔",
    "加藤 愛",
];

fn order(n: u32) -> Order {
    let at = Utc
        .with_ymd_and_hms(2026, 11, 28, 3, 0, 0)
        .single()
        .unwrap_or_default()
        - chrono::Duration::minutes(i64::from(n) * 5);
    let buyer = Address {
        name: format!("{}{}", NAMES[n as usize % NAMES.len()], n % 997),
        postal_code: "1000001".into(),
        prefecture: "東京都".into(),
        address1: "千代田区1-1".into(),
        ..Address::default()
    };
    Order {
        mall_order_number: format!("B{:08}", n),
        ordered_at: at,
        mall_updated_at: at,
        mall_status: "NEW".into(),
        payment_method: "CARD".into(),
        buyer: buyer.clone(),
        deliveries: vec![Delivery {
            delivery_no: 1,
            mall_delivery_id: None,
            recipient: buyer,
            delivery_method: "宅配便".into(),
            carrier: Some("yamato".into()),
            desired_date: None,
            desired_time_slot: "指定なし".into(),
            time_slot: Some("none".into()),
            lines: vec![OrderLine {
                line_no: 1,
                item_code: format!("ITEM-{}", n % 500),
                sku_code: String::new(),
                quantity: 1,
                unit_price: 1200,
                tax_rate: 10,
                has_add_on_service: false,
                product_name: Some("商品".into()),
                option_text: None,
                jan: None,
            }],
            gift_message: None,
        }],
        amounts: Amounts {
            items_total: 1200,
            billing_total: 1750,
            shipping_fee: 550,
            ..Amounts::default()
        },
        fees: vec![],
        discounts: vec![],
        prices_include_tax: true,
        buyer_email: None,
        marks: vec![],
        buyer_note: String::new(),
        flags: OrderFlags::default(),
        source: OrderSource::Api,
        hold: None,
        payment: mallhost::model::PaymentState::Paid,
    }
}

async fn seed(store: &Store) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let now = Utc::now();
    for shop in 0..2u32 {
        let orders: Vec<Order> = (0..ORDERS / 2).map(|i| order(i * 2 + shop)).collect();
        for chunk in orders.chunks(5_000) {
            let news: Vec<NewOrder<'_>> = chunk
                .iter()
                .enumerate()
                .map(|(i, o)| NewOrder {
                    order: o,
                    status: OrderStatus::ALL[i % OrderStatus::ALL.len()],
                    hold_reason: None,
                })
                .collect();
            store
                .store_orders(
                    &format!("shop{shop}"),
                    "bench",
                    &news,
                    TakeState::Taken,
                    WhenStored::Leave,
                    now,
                )
                .await?;
        }
    }
    // 1 in 3 shipped: the tracking number on the order and its delivery, as staff enter it.
    sqlx::query(
        "UPDATE orders SET tracking_number = '4' || mall_order_number
         WHERE id % 3 = 0",
    )
    .execute(store.pool())
    .await?;
    sqlx::query(
        "UPDATE order_deliveries SET tracking_number =
            (SELECT o.tracking_number FROM orders o WHERE o.id = order_id)
         WHERE order_id % 3 = 0",
    )
    .execute(store.pool())
    .await?;
    // As a database that has run a while is: statistics gathered (and, on PostgreSQL, the
    // visibility map that index-only scans need, which autovacuum keeps).
    let analyze = match store.backend() {
        mallhost::store::Backend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    sqlx::query(analyze).execute(store.pool()).await?;
    Ok(t.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time<F, Fut>(mut f: F) -> anyhow::Result<(Duration, i64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<i64>>,
{
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        found = f().await?;
        times.push(t.elapsed());
    }
    Ok((median(times), found))
}

async fn queries(store: &Store) -> anyhow::Result<Vec<(String, Duration, i64)>> {
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day);
    let cases: Vec<(&str, OrderSearch, u32)> = vec![
        ("first page, no filter", OrderSearch::default(), 1),
        (
            "status tab (出荷待ち)",
            OrderSearch {
                status: Some(OrderStatus::AwaitingShipment),
                ..OrderSearch::default()
            },
            1,
        ),
        (
            "shop + status",
            OrderSearch {
                shop: Some("shop1".into()),
                status: Some(OrderStatus::OnHold),
                ..OrderSearch::default()
            },
            1,
        ),
        ("page 1,000 (offset 49,950)", OrderSearch::default(), 1000),
        (
            "buyer name (part)",
            OrderSearch {
                buyer: Some("佐藤 花子1".into()),
                ..OrderSearch::default()
            },
            1,
        ),
        (
            "buyer in one month",
            OrderSearch {
                buyer: Some("山田".into()),
                from: d(2026, 6, 1),
                to: d(2026, 6, 30),
                ..OrderSearch::default()
            },
            1,
        ),
        (
            "order number",
            OrderSearch {
                number: Some("B00054321".into()),
                ..OrderSearch::default()
            },
            1,
        ),
        (
            "tracking number",
            OrderSearch {
                tracking: Some("4B00012346".into()),
                ..OrderSearch::default()
            },
            1,
        ),
    ];
    let mut out = Vec::new();
    for (name, search, page) in cases {
        let (t, found) = time(|| {
            let search = search.clone();
            async move { Ok(store.search_orders(&search, page, 50).await?.total) }
        })
        .await?;
        out.push((name.to_string(), t, found));
    }
    Ok(out)
}

/// `mallhost serve --admin` on the seeded database; the console's pages timed over HTTP as a
/// signed-in member of staff.
async fn pages(store: &Store, url: &str) -> anyhow::Result<Vec<(String, Duration, i64)>> {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("plugins"))?;
    let config = dir.path().join("mallhost.toml");
    let mut text = format!("database_url = \"{url}\"\nplugins_dir = \"plugins\"\n");
    for shop in 0..2 {
        text.push_str(&format!(
            "\n[[shops]]\nid = \"shop{shop}\"\nname = \"Shop {shop}\"\nmall = \"bench\"\norder_api = false\nbase_url = \"http://127.0.0.1:9\"\n"
        ));
    }
    std::fs::write(&config, text)?;
    mallhost::accounts::add_user(
        store,
        "bench",
        mallhost::accounts::Role::Staff,
        "bench password 1",
        Utc::now(),
    )
    .await?;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mallhost"))
        .arg("--config")
        .arg(&config)
        .args(["serve", "--admin", "127.0.0.1:0"])
        .env("MALLHOST_LOG", "off")
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut lines = std::io::BufReader::new(
        child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
    )
    .lines();
    let first = lines.next().transpose()?.unwrap_or_default();
    let base = first
        .strip_prefix("admin API on ")
        .ok_or_else(|| anyhow::anyhow!("serve said {first:?}"))?
        .to_string();
    std::thread::spawn(move || for _ in lines {});
    let result = async {
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let login = c.get(format!("{base}/console/login")).send().await?;
        let pre = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.split(';').next().filter(|kv| kv.starts_with("mh_login=")))
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no login cookie"))?;
        let html = login.text().await?;
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .ok_or_else(|| anyhow::anyhow!("no csrf field"))?
            .to_string();
        let r = c
            .post(format!("{base}/console/login"))
            .header("cookie", pre)
            .form(&[
                ("name", "bench"),
                ("password", "bench password 1"),
                ("csrf", &csrf),
            ])
            .send()
            .await?;
        let session = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()
                    .filter(|kv| kv.starts_with("mh_session="))
            })
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("login refused"))?;
        let mut out = Vec::new();
        for (name, path) in [
            ("受注一覧 page, no filter", "/console/orders".to_string()),
            (
                "受注一覧, buyer in one month",
                "/console/orders?buyer=%E5%B1%B1%E7%94%B0&from=2026-06-01&to=2026-06-30"
                    .to_string(),
            ),
            (
                "受注一覧, page 1,000",
                "/console/orders?page=1000".to_string(),
            ),
            ("受注詳細", "/console/orders/shop0/B00054320".to_string()),
            ("ダッシュボード", "/console".to_string()),
        ] {
            let (t, bytes) = time(|| {
                let (c, url, session) = (c.clone(), format!("{base}{path}"), session.clone());
                async move {
                    let r = c.get(url).header("cookie", session).send().await?;
                    anyhow::ensure!(r.status().is_success(), "{}", r.status());
                    Ok(r.bytes().await?.len() as i64)
                }
            })
            .await?;
            out.push((name.to_string(), t, bytes));
        }
        anyhow::Ok(out)
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn run(label: &str, url: &str) -> anyhow::Result<()> {
    let store = Store::open(url).await?;
    let seeded = seed(&store).await?;
    println!(
        "\n{label}: {ORDERS} orders seeded in {:.1} s",
        seeded.as_secs_f64()
    );
    println!("| query | median of {RUNS} | orders found |\n| --- | --- | --- |");
    for (name, t, found) in queries(&store).await? {
        println!("| {name} | {:.2} ms | {found} |", t.as_secs_f64() * 1000.0);
    }
    println!("\n| page over HTTP | median of {RUNS} | bytes |\n| --- | --- | --- |");
    for (name, t, bytes) in pages(&store, url).await? {
        println!("| {name} | {:.2} ms | {bytes} |", t.as_secs_f64() * 1000.0);
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    machine::print();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("console.db");
        run("SQLite", &format!("sqlite://{}?mode=rwc", file.display())).await?;
        if let Ok(server) = std::env::var("MALLHOST_BENCH_POSTGRES") {
            let db = postgres::BenchDb::create(&server, "mallhost_bench_console").await?;
            let result = run("PostgreSQL", &db.url).await;
            db.drop_now().await?;
            result?;
        }
        Ok(())
    })
}
