//! Seeded, realistic data: Japanese names and addresses, several payment methods, 8% and 10%
//! lines, a test order, a multi-delivery order, orders only minutes old.

use crate::model::{EmuAmounts, EmuDelivery, EmuItem, EmuOrder, EmuPerson, Status, jst_instant};

const PEOPLE: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "山田 太郎",
        "ヤマダ タロウ",
        "1000001",
        "東京都",
        "千代田区千代田1-1",
        "",
        "0312345678",
    ),
    (
        "佐藤 花子",
        "サトウ ハナコ",
        "0600001",
        "北海道",
        "札幌市中央区北1条西2-3",
        "サッポロビル502",
        "0112223333",
    ),
    (
        "鈴木 一郎",
        "スズキ イチロウ",
        "5300001",
        "大阪府",
        "大阪市北区梅田3-1-1",
        "",
        "0665551234",
    ),
    (
        "高橋 美咲",
        "タカハシ ミサキ",
        "4600008",
        "愛知県",
        "名古屋市中区栄2-10-19",
        "栄ハイツ203",
        "0529876543",
    ),
    (
        "田中 健",
        "タナカ ケン",
        "8100001",
        "福岡県",
        "福岡市中央区天神1-8-1",
        "",
        "0927654321",
    ),
    (
        "伊藤 さくら",
        "イトウ サクラ",
        "9800811",
        "宮城県",
        "仙台市青葉区一番町4-6-1",
        "",
        "0223334444",
    ),
    (
        "渡辺 翔太",
        "ワタナベ ショウタ",
        "0700031",
        "北海道",
        "旭川市一条通8丁目",
        "",
        "0166223344",
    ),
    (
        "中村 由美",
        "ナカムラ ユミ",
        "9000006",
        "沖縄県",
        "那覇市おもろまち4-1",
        "メゾン那覇1101",
        "0988612345",
    ),
];

/// (item code, sku code, unit price, tax rate): food at the reduced 8%, goods at 10%.
const ITEMS: &[(&str, &str, i64, u8)] = &[
    ("tea-set-01", "tea-set-01-red", 3300, 10),
    ("tea-set-01", "tea-set-01-blue", 3300, 10),
    ("matcha-100g", "matcha-100g", 1620, 8),
    ("senbei-box", "senbei-box-24", 2160, 8),
    ("furoshiki", "furoshiki-l-indigo", 2750, 10),
    ("yuzu-jam", "yuzu-jam-200", 972, 8),
    ("hinoki-cup", "hinoki-cup", 4400, 10),
];

/// The merchant's product master for the demo shop (item code, SKU code, name, price): names
/// the mall's API does not return.
pub fn demo_catalogue() -> Vec<(&'static str, &'static str, &'static str, i64)> {
    vec![
        ("hinoki-cup", "hinoki-cup", "木曽檜のぐい呑み", 4400),
        (
            "tea-set-01",
            "tea-set-01-red",
            "有田焼 茶器セット（赤）",
            3300,
        ),
        (
            "tea-set-01",
            "tea-set-01-blue",
            "有田焼 茶器セット（青）",
            3300,
        ),
        ("matcha-100g", "matcha-100g", "宇治抹茶 100g", 1620),
        ("senbei-box", "senbei-box-24", "草加せんべい 24枚入", 2160),
        ("furoshiki", "furoshiki-l-indigo", "風呂敷 大判（藍）", 2750),
        ("yuzu-jam", "yuzu-jam-200", "高知県産 柚子ジャム 200g", 972),
    ]
}

const METHODS: &[(&str, &[&str])] = &[
    (
        "宅配便",
        &["午前中", "14-16", "16-18", "18-20", "19-21", "指定なし"],
    ),
    ("メール便", &["指定なし"]),
    ("ネコポス", &["指定なし"]),
];

const PAYMENTS: &[&str] = &[
    "CREDIT_CARD",
    "D_BARAI",
    "CARRIER_BILLING",
    "COD",
    "CONVENIENCE_STORE",
];

fn person(i: usize) -> EmuPerson {
    let p = PEOPLE[i % PEOPLE.len()];
    EmuPerson {
        name: p.0.into(),
        name_kana: p.1.into(),
        postal_code: p.2.into(),
        prefecture: p.3.into(),
        address1: p.4.into(),
        address2: p.5.into(),
        phone: p.6.into(),
    }
}

fn item(line_no: u32, i: usize, quantity: u32) -> EmuItem {
    let it = ITEMS[i % ITEMS.len()];
    EmuItem {
        line_no,
        item_code: it.0.into(),
        sku_code: it.1.into(),
        quantity,
        unit_price: it.2,
        tax_rate: it.3,
        has_add_on_service: false,
    }
}

fn date_after(secs: i64, days: i64) -> String {
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp(secs + days * 86_400, 0)
        .map(|t| t.with_timezone(&jst).format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A plain, valid order number `n` placed at `ordered_at`.
pub fn plain_order(n: u32, ordered_at: i64) -> EmuOrder {
    let i = n as usize;
    let (method, slots) = METHODS[i % METHODS.len()];
    let lines = vec![item(1, i, 1 + (n % 3)), item(2, i + 2, 1)];
    let delivery = EmuDelivery {
        delivery_no: 1,
        recipient: person(i + 1),
        delivery_method: method.into(),
        desired_date: i.is_multiple_of(4).then(|| date_after(ordered_at, 3)),
        desired_time_slot: slots[i % slots.len()].into(),
        items: lines,
    };
    let payment = PAYMENTS[i % PAYMENTS.len()];
    let cod_fee = if payment == "COD" { 330 } else { 0 };
    let shipping = if method == "宅配便" { 550 } else { 250 };
    let points = if i.is_multiple_of(5) { 100 } else { 0 };
    let deliveries = vec![delivery];
    EmuOrder {
        order_number: format!("DS{}", 2_611_280_000_000u64 + u64::from(n)),
        ordered_at: jst_instant(ordered_at),
        updated_at: jst_instant(ordered_at),
        status: Status::OrderConfirmWait,
        test_order: false,
        payment_method: payment.into(),
        orderer: person(i),
        amounts: EmuAmounts::compute(&deliveries, shipping, cod_fee, points),
        deliveries,
        buyer_note: if i.is_multiple_of(3) {
            "不在の場合は宅配ボックスへ".into()
        } else {
            String::new()
        },
        shipment: None,
        ordered_at_secs: ordered_at,
    }
}

/// The demo data set, relative to `now`: 24 ordinary orders placed over the last three days,
/// one with an add-on service, one multi-delivery order (複数配送), one test-environment order,
/// two orders placed 3 and 9 minutes ago (held back by the 10-minute rule), and two orders that
/// another system already took or shipped.
pub fn demo_orders(now: i64) -> Vec<EmuOrder> {
    let mut out = Vec::new();
    for n in 1..=24u32 {
        out.push(plain_order(n, now - 3 * 86_400 + i64::from(n) * 10_000));
    }
    // An add-on service (e.g. gift wrapping) whose content the API does not return.
    let mut addon = plain_order(25, now - 5 * 3600);
    addon.deliveries[0].items[0].has_add_on_service = true;
    addon.buyer_note = "のし紙: 御歳暮".into();
    out.push(addon);
    // Several destinations in one order.
    let mut multi = plain_order(26, now - 4 * 3600);
    let mut second = multi.deliveries[0].clone();
    second.delivery_no = 2;
    second.recipient = person(5);
    second.items = vec![item(3, 3, 2)];
    multi.deliveries.push(second);
    multi.amounts = EmuAmounts::compute(&multi.deliveries, 1100, 0, 0);
    out.push(multi);
    // Placed in the verification environment: never to be imported.
    let mut test = plain_order(27, now - 2 * 3600);
    test.test_order = true;
    test.orderer.name = "テスト 注文".into();
    out.push(test);
    // Too recent: the buyer may still change them.
    out.push(plain_order(28, now - 9 * 60));
    out.push(plain_order(29, now - 3 * 60));
    // Already handled elsewhere.
    let mut taken = plain_order(30, now - 2 * 86_400);
    taken.status = Status::ShipInstructionWait;
    out.push(taken);
    let mut shipped = plain_order(31, now - 2 * 86_400 - 600);
    shipped.status = Status::Shipped;
    out.push(shipped);
    out
}
