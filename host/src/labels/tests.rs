//! The label round trip against a fresh database: a fixture order set exported in B2's layout
//! and compared byte for byte with a reviewed file (`testdata/b2_expected.csv`), then its
//! issued data read back — and the bad files staff bring, each refused with its message and
//! nothing half-applied.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::config::{Config, ShopConfig};
use crate::model::{
    Address, Amounts, Delivery, Order, OrderFlags, OrderLine, OrderSource, OrderStatus, TakeState,
};
use crate::store::testing::{TestStore, fresh};
use crate::store::{NewOrder, WhenStored};

const SHOP: &str = r#"
[[shops]]
id = "s1"
mall = "m"
base_url = "https://api.mall.example/v1"
[shops.carrier_ids]
yamato = "01"
sagawa = "02"
japanpost = "03"
[shops.labels]
sender_name = "わたしの雑貨店"
sender_phone = "03-1234-5678"
sender_postal = "100-0001"
sender_address = "東京都千代田区千代田1-1"
b2_customer_code = "012345678901"
b2_slip_types = { "ネコポス" = "A" }
replace = { "😀" = "" }
"#;

fn shop() -> ShopConfig {
    Config::parse(SHOP, std::path::Path::new("/tmp"), &|_| None)
        .expect("the test config loads")
        .shops[0]
        .clone()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date")
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 1, 0, 0)
        .single()
        .expect("an instant")
}

fn person(name: &str, kana: &str, address1: &str, address2: &str) -> Address {
    let prefecture = match address1 {
        a if a.starts_with("大阪") => "大阪府",
        a if a.starts_with("札幌") => "北海道",
        a if a.starts_with("横浜") || a.starts_with("足柄") => "神奈川県",
        a if a.starts_with("福岡") => "福岡県",
        _ => "東京都",
    };
    Address {
        name: name.into(),
        name_kana: kana.into(),
        postal_code: "150-0001".into(),
        prefecture: prefecture.into(),
        address1: address1.into(),
        address2: address2.into(),
        phone: "090-1111-2222".into(),
    }
}

fn line(no: u32, code: &str, name: &str, qty: u32, price: i64) -> OrderLine {
    OrderLine {
        line_no: no,
        item_code: code.into(),
        sku_code: format!("{code}-S"),
        quantity: qty,
        unit_price: price,
        tax_rate: 10,
        has_add_on_service: false,
        product_name: Some(name.into()),
        option_text: None,
    }
}

fn delivery(no: u32, to: Address, method: &str, carrier: &str, lines: Vec<OrderLine>) -> Delivery {
    Delivery {
        delivery_no: no,
        mall_delivery_id: None,
        recipient: to,
        delivery_method: method.into(),
        carrier: Some(carrier.into()),
        desired_date: None,
        desired_time_slot: String::new(),
        time_slot: None,
        lines,
    }
}

fn order(number: &str, deliveries: Vec<Delivery>, payment: &str, cod_fee: i64) -> Order {
    let at = Utc
        .with_ymd_and_hms(2026, 12, 6, 1, 0, 0)
        .single()
        .expect("an instant");
    let items: i64 = deliveries
        .iter()
        .flat_map(|d| &d.lines)
        .map(|l| l.unit_price * i64::from(l.quantity))
        .sum();
    Order {
        mall_order_number: number.into(),
        ordered_at: at,
        mall_updated_at: at,
        mall_status: "2".into(),
        payment_method: payment.into(),
        buyer: deliveries[0].recipient.clone(),
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
        buyer_note: "よろしく😀".into(),
        source: OrderSource::Api,
    }
}

/// Multi-delivery, cash on delivery with a time slot, ネコポス, 𠮷 and 髙 in names, an emoji,
/// a building over 32 bytes, an address no one can fit, a character with no replacement, and
/// a 佐川 delivery the B2 file leaves out.
fn fixture() -> Vec<Order> {
    let mut cod = order(
        "D-1002",
        vec![delivery(
            1,
            person("髙橋 一郎", "タカハシ イチロウ", "渋谷区神南1-2-3", ""),
            "宅配便",
            "yamato",
            vec![
                line(1, "A-1", "木のスプーン", 2, 1200),
                line(2, "B-2", "麻のふきん", 1, 800),
            ],
        )],
        "代金引換",
        330,
    );
    cod.deliveries[0].time_slot = Some("午前中".into());
    cod.deliveries[0].desired_date = NaiveDate::from_ymd_opt(2026, 12, 9);
    vec![
        order(
            "D-1001",
            vec![
                delivery(
                    1,
                    person(
                        "𠮷田 花子",
                        "ヨシダ ハナコ",
                        "渋谷区神宮前6-7-8",
                        "グランドメゾン表参道ヒルズ南館1203号室",
                    ),
                    "宅配便",
                    "yamato",
                    vec![line(1, "C-3", "陶器のマグカップ 白", 1, 2400)],
                ),
                delivery(
                    2,
                    person("𠮷田 次郎", "ヨシダ ジロウ", "大阪市北区梅田1-1", ""),
                    "宅配便",
                    "yamato",
                    vec![
                        line(2, "D-4", "帆布トート", 1, 3000),
                        line(3, "E-5", "革のキーケース", 1, 4500),
                        line(4, "F-6", "真鍮のしおり", 1, 900),
                    ],
                ),
            ],
            "クレジットカード",
            0,
        ),
        cod,
        order(
            "D-1003",
            vec![delivery(
                1,
                person(
                    "佐藤 😀 美咲",
                    "サトウ ミサキ",
                    "札幌市中央区北1条西2丁目",
                    "",
                ),
                "ネコポス",
                "yamato",
                vec![line(1, "G-7", "ギフト用ハンカチ", 1, 1500)],
            )],
            "クレジットカード",
            0,
        ),
        order(
            "D-1004",
            vec![delivery(
                1,
                person(
                    "山田 太郎",
                    "",
                    "足柄上郡開成町吉田島字長者屋敷四千三百二十一番地の二十三先の角の家の奥",
                    "",
                ),
                "宅配便",
                "yamato",
                vec![line(1, "H-8", "木の箸", 1, 700)],
            )],
            "クレジットカード",
            0,
        ),
        order(
            "D-1005",
            vec![delivery(
                1,
                person("鈴木 🎁 一", "", "横浜市西区1-1", ""),
                "宅配便",
                "yamato",
                vec![line(1, "H-8", "木の箸", 1, 700)],
            )],
            "クレジットカード",
            0,
        ),
        {
            let mut o = order(
                "D-1007",
                vec![delivery(
                    1,
                    person(
                        "中村 悠",
                        "ナカムラ ユウ",
                        "福岡市博多区博多駅前2-1-1",
                        "博多ビル5F",
                    ),
                    "ゆうパック",
                    "japanpost",
                    vec![line(1, "J-9", "木のトレー", 2, 1800)],
                )],
                "代金引換",
                330,
            );
            o.deliveries[0].desired_date = NaiveDate::from_ymd_opt(2026, 12, 10);
            o
        },
        order(
            "D-1008",
            vec![delivery(
                1,
                person(
                    "木村 由美",
                    "",
                    "足柄上郡開成町吉田島字長者屋敷四千三百二十一番地の二十三",
                    "",
                ),
                "ゆうパック",
                "japanpost",
                vec![line(1, "K-1", "麻のふきん", 3, 800)],
            )],
            "クレジットカード",
            0,
        ),
        order(
            "D-1006",
            vec![delivery(
                1,
                person("高田 三郎", "", "福岡市博多区1-1", ""),
                "飛脚便",
                "sagawa",
                vec![line(1, "H-8", "木の箸", 1, 700)],
            )],
            "クレジットカード",
            0,
        ),
    ]
}

async fn stored() -> TestStore {
    let t = fresh().await;
    let orders = fixture();
    let new: Vec<NewOrder<'_>> = orders
        .iter()
        .map(|o| NewOrder {
            order: o,
            status: OrderStatus::AwaitingShipment,
            hold_reason: None,
        })
        .collect();
    t.store
        .store_orders("s1", "m", &new, TakeState::Taken, WhenStored::Leave, now())
        .await
        .expect("the fixture is stored");
    t
}

fn selection(cut: bool) -> Selection {
    Selection {
        status: OrderStatus::AwaitingShipment,
        orders: vec![],
        cut,
        ship_date: today(),
    }
}

async fn planned(t: &TestStore, cut: bool) -> ExportPlan {
    let shop = shop();
    export(&t.store, &[&shop], &selection(cut), Format::B2, now())
        .await
        .expect("the export plans")
}

/// A 12-digit number with Yamato's check digit (the first eleven mod 7).
fn number(body: u64) -> String {
    format!("{body:011}{}", body % 7)
}

/// B2's issued data for the plan's written slips: the same layout, 伝票番号 filled.
fn issued(plan: &ExportPlan, first: u64) -> Vec<u8> {
    let mut rows = Vec::new();
    for (i, s) in plan.slips.iter().filter(|s| s.written()).enumerate() {
        let mut cells = s.cells.clone();
        cells[3] = number(first + i as u64);
        rows.push(cells);
    }
    b2::file(&rows)
}

#[tokio::test]
async fn the_b2_file_is_the_reviewed_one_byte_for_byte() {
    let t = stored().await;
    let plan = planned(&t, false).await;
    let bytes = render(&plan);
    let expected_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/labels/testdata/b2_expected.csv");
    if std::env::var_os("MALLHOST_BLESS").is_some() {
        std::fs::write(&expected_path, &bytes).expect("blessed");
    }
    let expected = std::fs::read(&expected_path).expect("the reviewed file");
    assert!(
        bytes == expected,
        "the B2 file differs from {}",
        expected_path.display()
    );
    // CP932 and CRLF, a header row and one row per written slip.
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert_eq!(
        text.matches("\r\n").count(),
        1 + plan.slips.iter().filter(|s| s.written()).count()
    );
    assert!(!text.replace("\r\n", "").contains('\n'));
}

#[tokio::test]
async fn every_problem_is_named_before_the_file_is_written() {
    let t = stored().await;
    let plan = planned(&t, false).await;
    let find = |order: &str, delivery: u32| {
        plan.slips
            .iter()
            .find(|s| s.order == order && s.delivery == delivery)
            .unwrap_or_else(|| panic!("a slip for {order}/{delivery}"))
    };
    // Two deliveries, two slips, two keys.
    assert_ne!(find("D-1001", 1).key, find("D-1001", 2).key);
    // 𠮷 replaced and listed; the building over 32 bytes stops the row, saying by how much.
    let first = find("D-1001", 1);
    assert!(first.problems.iter().any(|p| p.kind
        == ProblemKind::Replaced {
            from: '𠮷',
            to: "吉".into()
        }));
    let over = first
        .problems
        .iter()
        .find(|p| p.field == "お届け先アパートマンション名")
        .expect("the building is over");
    assert_eq!(
        over.kind,
        ProblemKind::TooLong {
            bytes: 38,
            limit: 32
        }
    );
    assert!(
        over.to_string().contains("6 over the limit of 32"),
        "{over}"
    );
    assert!(!first.written());
    // Three lines: the second name says how many more.
    assert_eq!(find("D-1001", 2).cells[29], "革のキーケース 他1点");
    // Cash on delivery: コレクト, the billing total and its tax; 午前中 is 0812.
    let cod = find("D-1002", 1);
    assert_eq!(cod.cells[1], "2");
    assert_eq!(cod.cells[33], "4130");
    assert_eq!(cod.cells[34], "375");
    assert_eq!(cod.cells[6], "0812");
    assert_eq!(cod.cells[5], "2026/12/09");
    assert_eq!(cod.cells[15], "高橋 一郎");
    assert_eq!(cod.cells[16], "ﾀｶﾊｼ ｲﾁﾛｳ");
    assert!(cod.written());
    // ネコポス as the shop's slip type; the emoji removed through the shop's table.
    let nekopos = find("D-1003", 1);
    assert_eq!(nekopos.cells[1], "A");
    assert_eq!(nekopos.cells[15], "佐藤  美咲");
    // An address no one can fit; a character with no replacement, named.
    assert!(!find("D-1004", 1).written());
    let gift = find("D-1005", 1);
    let refused = gift.problems.iter().find(|p| p.stops()).expect("refused");
    assert_eq!(refused.kind, ProblemKind::NoReplacement { ch: '🎁' });
    assert!(refused.to_string().contains("U+1F381"), "{refused}");
    // 佐川 is not B2's.
    assert!(
        plan.left_out
            .iter()
            .any(|(_, o, _, why)| o == "D-1006" && why.contains("sagawa"))
    );
    // Asked to cut: the over-long rows go in with a visible mark, listed.
    let cut = planned(&t, true).await;
    let building = &cut
        .slips
        .iter()
        .find(|s| s.order == "D-1001")
        .expect("slip")
        .cells[12];
    assert!(
        building.ends_with('…') && text::cp932_len(building) <= 32,
        "{building}"
    );
    assert!(
        cut.slips
            .iter()
            .filter(|s| s.order != "D-1005")
            .all(PlannedSlip::written)
    );
}

#[tokio::test]
async fn exporting_again_gives_the_same_keys() {
    let t = stored().await;
    let a = planned(&t, false).await;
    let b = planned(&t, false).await;
    let keys = |p: &ExportPlan| p.slips.iter().map(|s| s.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
    assert!(keys(&a).iter().all(|k| k.len() <= 12 && k.is_ascii()));
}

#[tokio::test]
async fn issued_data_sets_every_delivery_and_a_second_import_changes_nothing() {
    let t = stored().await;
    let shops = vec![shop()];
    let plan = planned(&t, false).await;
    let file = issued(&plan, 81_000_000_001);
    let import = plan_import(&t.store, &shops, "issued.csv", &file, today())
        .await
        .expect("read");
    assert_eq!(import.format, Format::B2);
    assert_eq!(import.encoding, "Shift_JIS");
    assert!(import.errors.is_empty(), "{:?}", import.errors);
    assert_eq!(
        import.set.len(),
        plan.slips.iter().filter(|s| s.written()).count()
    );
    apply(&t.store, &import, false, now())
        .await
        .expect("applied");
    for s in plan.slips.iter().filter(|s| s.written()) {
        let d = t
            .store
            .delivery_shipping("s1", &s.order)
            .await
            .expect("read");
        let d = d
            .iter()
            .find(|d| d.delivery == s.delivery)
            .expect("delivery");
        assert!(
            d.tracking.is_some(),
            "{} {} has its number",
            s.order,
            s.delivery
        );
        assert_eq!(d.carrier.as_deref(), Some("yamato"));
    }
    let again = plan_import(&t.store, &shops, "issued.csv", &file, today())
        .await
        .expect("read");
    assert!(again.set.is_empty() && again.replace.is_empty());
    assert_eq!(again.unchanged.len(), import.set.len());
    // The next label export leaves the numbered deliveries out.
    let next = planned(&t, false).await;
    assert!(
        next.slips
            .iter()
            .all(|s| !s.written() || s.order == "D-1005")
    );
    // Another number for a numbered delivery is a replacement, shown, applied only when asked.
    let other = issued(&plan, 82_000_000_001);
    let changed = plan_import(&t.store, &shops, "issued2.csv", &other, today())
        .await
        .expect("read");
    assert_eq!(changed.replace.len(), import.set.len());
    assert!(changed.replace.iter().all(|c| c.old.is_some()));
}

#[tokio::test]
async fn bad_issued_files_are_refused_with_their_reason() {
    let t = stored().await;
    let shops = vec![shop()];
    let plan = planned(&t, false).await;
    let written: Vec<&PlannedSlip> = plan.slips.iter().filter(|s| s.written()).collect();
    let key = &written[0].key;
    let header = b2::HEADER.join(",");
    let sjis = |text: &str| encoding_rs::SHIFT_JIS.encode(text).0.into_owned();
    let row = |key: &str, number: &str| {
        let mut cells = vec![String::new(); 42];
        cells[0] = key.to_string();
        cells[3] = number.to_string();
        cells[4] = "2026/12/07".into();
        cells.join(",")
    };
    let read = |bytes: Vec<u8>| {
        let store = t.store.clone();
        let shops = shops.clone();
        async move { plan_import(&store, &shops, "f.csv", &bytes, today()).await }
    };
    // Excel's exponent.
    let p = read(sjis(&format!(
        "{header}\r\n{}\r\n",
        row(key, "8.11029E+11")
    )))
    .await
    .expect("read");
    assert!(
        p.set.is_empty() && p.errors[0].reason.contains("Excel"),
        "{:?}",
        p.errors
    );
    // Leading zeros lost.
    let p = read(sjis(&format!(
        "{header}\r\n{}\r\n",
        row(key, "12345678901")
    )))
    .await
    .expect("read");
    assert!(
        p.errors[0].reason.contains("leading zeros"),
        "{:?}",
        p.errors
    );
    // A wrong check digit.
    let p = read(sjis(&format!(
        "{header}\r\n{}\r\n",
        row(key, "123456789019")
    )))
    .await
    .expect("read");
    assert!(
        p.errors[0].reason.contains(&written[0].order),
        "{:?}",
        p.errors
    );
    // A key this host never issued; a key seen twice (neither applied).
    let p = read(sjis(&format!(
        "{header}\r\n{}\r\n{}\r\n{}\r\n",
        row("MH99999999", &number(81_000_000_001)),
        row(key, &number(81_000_000_002)),
        row(key, &number(81_000_000_003))
    )))
    .await
    .expect("read");
    assert_eq!(p.errors.len(), 3, "{:?}", p.errors);
    assert!(p.errors[0].reason.contains("not a key this host issued"));
    assert!(p.errors[1].reason.contains("lines 3, 4"), "{:?}", p.errors);
    assert!(p.set.is_empty());
    // ゆうプリR's 発送予定 file: no numbers yet.
    let p = read(sjis(
        "お客様側管理番号,発送予定日,お届け先郵便番号\r\nMH00000001,2026/12/07,1500001\r\n",
    ))
    .await;
    let e = p.expect_err("refused").to_string();
    assert!(e.contains("発送予定") && e.contains("発送履歴"), "{e}");
    // Not an issued-data file at all.
    let e = read(sjis("注文番号,配送業者\r\nA,yamato\r\n"))
        .await
        .expect_err("refused")
        .to_string();
    assert!(e.contains("お客様管理番号"), "{e}");
    // Headers with full-width digits and a UTF-8 BOM: e飛伝III's issued data, by its own key.
    let sagawa = t
        .store
        .issue_slips("s1", &[("D-1006".to_string(), 1)], "ehiden", now())
        .await
        .expect("issued");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(
        format!(
            "お問い合せ送り状Ｎｏ．,出荷日,お客様管理番号\r\n{},2026/12/08,{}\r\n",
            number(41_000_000_001),
            sagawa[0]
        )
        .as_bytes(),
    );
    let p = read(bom).await.expect("read");
    assert_eq!(p.format, Format::Ehiden);
    assert_eq!(p.encoding, "UTF-8 (BOM)");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.set[0].order, "D-1006");
    assert_eq!(p.set[0].carrier, "sagawa");
    assert_eq!(
        p.set[0].ship_date,
        NaiveDate::from_ymd_opt(2026, 12, 8).expect("date")
    );
}

async fn planned_as(t: &TestStore, format: Format) -> ExportPlan {
    let shop = shop();
    export(&t.store, &[&shop], &selection(false), format, now())
        .await
        .expect("the export plans")
}

#[tokio::test]
async fn the_yupri_file_is_the_reviewed_one_without_a_header() {
    let t = stored().await;
    let plan = planned_as(&t, Format::Yupri).await;
    let orders: Vec<&str> = plan.slips.iter().map(|s| s.order.as_str()).collect();
    assert_eq!(orders, ["D-1007", "D-1008"], "日本郵便's deliveries only");
    assert!(
        plan.slips.iter().all(PlannedSlip::written),
        "{:?}",
        plan.slips
    );
    // The long address over two parts of 50 bytes; cash on delivery with its amount.
    let long = &plan.slips[1].cells;
    assert!(
        text::cp932_len(&long[3]) <= 50 && !long[4].is_empty(),
        "{long:?}"
    );
    assert_eq!(plan.slips[0].cells[11], "4530");
    assert_eq!(plan.slips[0].cells.len(), post::YUPRI_COLUMNS.len());
    let bytes = render(&plan);
    let expected_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/labels/testdata/yupri_expected.csv");
    if std::env::var_os("MALLHOST_BLESS").is_some() {
        std::fs::write(&expected_path, &bytes).expect("blessed");
    }
    let expected = std::fs::read(&expected_path).expect("the reviewed file");
    assert!(
        bytes == expected,
        "the ゆうプリR file differs from {}",
        expected_path.display()
    );
    assert!(bytes.starts_with(b"\"MH"), "no header row");
}

#[tokio::test]
async fn clickpost_files_hold_forty_rows_each_and_refuse_cash_on_delivery() {
    let t = fresh().await;
    let orders: Vec<Order> = (0..45)
        .map(|i| {
            order(
                &format!("C-{i:03}"),
                vec![delivery(
                    1,
                    person("中村 悠", "", "福岡市博多区博多駅前2-1-1", ""),
                    "クリックポスト",
                    "japanpost",
                    vec![line(1, "J-9", "木のトレー", 1, 1800)],
                )],
                if i == 0 {
                    "代金引換"
                } else {
                    "クレジットカード"
                },
                0,
            )
        })
        .collect();
    let new: Vec<NewOrder<'_>> = orders
        .iter()
        .map(|o| NewOrder {
            order: o,
            status: OrderStatus::AwaitingShipment,
            hold_reason: None,
        })
        .collect();
    t.store
        .store_orders("s1", "m", &new, TakeState::Taken, WhenStored::Leave, now())
        .await
        .expect("stored");
    let plan = planned_as(&t, Format::ClickPost).await;
    assert_eq!(plan.slips.len(), 45);
    let stopped: Vec<&str> = plan.stopped().map(|s| s.order.as_str()).collect();
    assert_eq!(stopped, ["C-000"], "クリックポスト cannot collect");
    let files = render_files(&plan);
    assert_eq!(files.len(), 2, "44 rows: 40 and 4");
    for (f, rows) in files.iter().zip([40, 4]) {
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(f);
        assert!(!bad);
        assert!(text.starts_with("\"お届け先郵便番号\""));
        assert_eq!(text.matches("\r\n").count(), 1 + rows);
    }
}

#[tokio::test]
async fn yupri_shipping_history_brings_japan_posts_numbers_back() {
    let t = stored().await;
    let shops = vec![shop()];
    let plan = planned_as(&t, Format::Yupri).await;
    let mut history = String::from("お客様側管理番号,お問い合わせ番号,発送予定日\r\n");
    for (i, s) in plan.slips.iter().enumerate() {
        history.push_str(&format!(
            "{},{},2026/12/08\r\n",
            s.key,
            number(61_000_000_001 + i as u64)
        ));
    }
    let bytes = encoding_rs::SHIFT_JIS.encode(&history).0.into_owned();
    let p = plan_import(&t.store, &shops, "発送履歴.csv", &bytes, today())
        .await
        .expect("read");
    assert_eq!(p.format, Format::Yupri);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.set.len(), 2);
    assert!(p.set.iter().all(|c| c.carrier == "japanpost"));
    apply(&t.store, &p, false, now()).await.expect("applied");
    let d = t
        .store
        .delivery_shipping("s1", "D-1008")
        .await
        .expect("read");
    assert_eq!(
        d[0].tracking.as_deref(),
        Some(number(61_000_000_002).as_str())
    );
    // A B2 file with these keys is refused: the slips were 日本郵便's.
    let mut b2 = String::from("お客様管理番号,送り状種類,クール区分,伝票番号\r\n");
    b2.push_str(&format!(
        "{},0,0,{}\r\n",
        plan.slips[0].key,
        number(81_000_000_001)
    ));
    let bytes = encoding_rs::SHIFT_JIS.encode(&b2).0.into_owned();
    let p = plan_import(&t.store, &shops, "b2.csv", &bytes, today())
        .await
        .expect("read");
    assert!(p.errors[0].reason.contains("yupri"), "{:?}", p.errors);
}
