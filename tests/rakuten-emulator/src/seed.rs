//! Seeded Japanese data: baskets, のし and ラッピング, cash on delivery, a payment fee, coupons,
//! points, relay e-mail addresses, an order under review (200) and one cancelled (900).

use crate::model::{Basket, Item, Person, RakutenOrder};

/// The shop number in order numbers (店舗ID).
pub const SHOP: &str = "391234";

/// `name`: 姓, 名, セイ, メイ; `address`: 都道府県, 市区町村, the rest.
fn person(name: [&str; 4], zip: &str, address: [&str; 3], phone: &str) -> Person {
    Person {
        family_name: name[0].into(),
        first_name: name[1].into(),
        family_name_kana: name[2].into(),
        first_name_kana: name[3].into(),
        zip: zip.into(),
        prefecture: address[0].into(),
        city: address[1].into(),
        sub_address: address[2].into(),
        phone: phone.into(),
    }
}

/// The demo catalogue: (manageNumber, itemNumber, name, price).
pub fn catalogue() -> Vec<(&'static str, &'static str, &'static str, i64)> {
    vec![
        (
            "tea-set-01",
            "tea-set-01-red",
            "有田焼 ティーセット 赤",
            3300,
        ),
        ("tea-100", "tea-100", "静岡 深蒸し緑茶 100g", 1080),
        (
            "towel-02",
            "towel-02-navy",
            "今治タオル ギフトセット 紺",
            2750,
        ),
        ("rice-5kg", "rice-5kg", "新潟県産コシヒカリ 5kg", 3980),
        ("sake-720", "sake-720", "純米吟醸 720ml", 2420),
    ]
}

fn item(k: usize, units: i64, choice: &str) -> Item {
    let (m, n, name, price) = catalogue()[k % 5];
    Item {
        name: name.into(),
        manage_number: m.into(),
        item_number: n.into(),
        sku: (m != n).then(|| format!("{n}-sku")),
        sku_info: if m != n {
            "カラー:赤".into()
        } else {
            String::new()
        },
        price,
        units,
        tax_percent: if m.starts_with("tea-100") || m.starts_with("rice") {
            8
        } else {
            10
        },
        choice: choice.into(),
    }
}

fn number(ordered_at: i64, n: u32) -> String {
    format!("{SHOP}-{}-{n:07}", crate::jst_ymd(ordered_at))
}

/// A plain, valid order `n` placed at `ordered_at`: one basket, one item, credit card.
pub fn plain_order(n: u32, ordered_at: i64) -> RakutenOrder {
    let buyer = person(
        ["山田", "太郎", "ヤマダ", "タロウ"],
        "1000005",
        ["東京都", "千代田区", "丸の内1-1-3"],
        "03-1234-5678",
    );
    RakutenOrder {
        number: number(ordered_at, n),
        progress: 100,
        ordered_at,
        delivery_date: None,
        shipping_term: 0,
        remarks: String::new(),
        postage: 0,
        cod_fee: 0,
        payment_fee: 0,
        coupon: 0,
        points: 0,
        settlement: "クレジットカード".into(),
        delivery_name: "宅配便".into(),
        orderer: buyer.clone(),
        email: format!("b{n:07}@pc.fw.rakuten.ne.jp"),
        wrapping: None,
        baskets: vec![Basket {
            id: 2_000_000_000 + i64::from(n) * 10,
            noshi: None,
            recipient: buyer,
            items: vec![item(n as usize, 1, "")],
            shippings: vec![],
        }],
    }
}

/// The demo orders, placed relative to `now` (UTC seconds).
pub fn demo_orders(now: i64) -> Vec<RakutenOrder> {
    let day = 86_400;
    let date = |secs: i64| crate::jst_date(secs);
    let mut out = Vec::new();

    // 1. A gift for two: two baskets, のし, wrapping on top, a coupon and points.
    let mut o = plain_order(1, now - 2 * day);
    o.orderer = person(
        ["佐藤", "花子", "サトウ", "ハナコ"],
        "5300001",
        ["大阪府", "大阪市北区", "梅田1-1 梅田ビル3F"],
        "06-1111-2222",
    );
    o.delivery_date = Some(date(now + 3 * day));
    o.shipping_term = 1416;
    o.remarks = "不在時は宅配ボックスへ".into();
    o.postage = 660;
    o.coupon = 500;
    o.points = 300;
    o.wrapping = Some(("ラッピング".into(), 330));
    o.baskets = vec![
        Basket {
            id: 2_000_000_101,
            noshi: Some("御歳暮".into()),
            recipient: person(
                ["鈴木", "一郎", "スズキ", "イチロウ"],
                "2310023",
                ["神奈川県", "横浜市中区", "山下町1-2"],
                "045-222-3333",
            ),
            items: vec![item(0, 2, "ラッピング:希望する\nのし:御歳暮")],
            shippings: vec![],
        },
        Basket {
            id: 2_000_000_102,
            noshi: Some("御歳暮".into()),
            recipient: person(
                ["高橋", "次郎", "タカハシ", "ジロウ"],
                "4600008",
                ["愛知県", "名古屋市中区", "栄3-4-5 栄マンション201"],
                "052-333-4444",
            ),
            items: vec![item(2, 1, "のし:御歳暮")],
            shippings: vec![],
        },
    ];
    out.push(o);

    // 2. Cash on delivery (代金引換), morning delivery.
    let mut o = plain_order(2, now - day - 3600);
    o.settlement = "代金引換".into();
    o.cod_fee = 330;
    o.shipping_term = 1;
    o.delivery_date = Some(date(now + 2 * day));
    o.baskets[0].items = vec![item(3, 1, ""), item(1, 2, "")];
    out.push(o);

    // 3. 後払い with a payment fee (決済手数料), evening slot.
    let mut o = plain_order(3, now - day);
    o.settlement = "後払い".into();
    o.payment_fee = 209;
    o.shipping_term = 1921;
    o.baskets[0].items = vec![item(4, 1, "")];
    out.push(o);

    // 4-9. Plain orders over the last days.
    for n in 4..10u32 {
        let mut o = plain_order(n, now - i64::from(n) * 7_200);
        o.points = i64::from(n) * 10;
        o.baskets[0].items = vec![item(n as usize, i64::from(n % 3) + 1, "")];
        out.push(o);
    }

    // 10. Under Rakuten's review (楽天処理中): not to be fetched yet.
    let mut o = plain_order(10, now - 5_400);
    o.progress = 200;
    out.push(o);

    // 11. Cancelled by the buyer before the shop saw it.
    let mut o = plain_order(11, now - 3 * day);
    o.progress = 900;
    out.push(o);
    out
}
