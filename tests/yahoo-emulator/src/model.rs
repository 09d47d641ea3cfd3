//! The emulated store's orders as Yahoo!ショッピング keeps them, and their XML as `orderList` and
//! `orderInfo` answer it (shared/spec/yahoo-order-api.md): an order id `<seller>-<number>`,
//! `OrderStatus` 1–5, `IsSeen`, a `<Pay>` block with `PayStatus`, a `<Ship>` block, a `<Detail>`
//! block of charges and discounts, and `<Item>` lines with options, inscriptions and JAN codes.

use connector_kit::time::{Offset, format_instant, format_local};
use connector_kit::xml::el;

/// A person at an address, as the `Bill…` and `Ship…` fields give one.
#[derive(Debug, Clone)]
pub struct Person {
    /// Family name.
    pub last: String,
    /// Given name.
    pub first: String,
    /// Family name in katakana.
    pub last_kana: String,
    /// Given name in katakana.
    pub first_kana: String,
    /// Postal code, digits.
    pub zip: String,
    /// 都道府県.
    pub prefecture: String,
    /// City.
    pub city: String,
    /// Street.
    pub address1: String,
    /// Building.
    pub address2: String,
    /// Phone.
    pub phone: String,
    /// Company or department (`…Section1Value`), or empty.
    pub section: String,
}

impl Person {
    /// 山田 太郎 in 千代田区.
    pub fn yamada() -> Person {
        Person {
            last: "山田".into(),
            first: "太郎".into(),
            last_kana: "ヤマダ".into(),
            first_kana: "タロウ".into(),
            zip: "1000001".into(),
            prefecture: "東京都".into(),
            city: "千代田区".into(),
            address1: "千代田1-1".into(),
            address2: String::new(),
            phone: "0312345678".into(),
            section: String::new(),
        }
    }

    fn xml(&self, prefix: &str) -> String {
        [
            ("LastName", &self.last),
            ("FirstName", &self.first),
            ("LastNameKana", &self.last_kana),
            ("FirstNameKana", &self.first_kana),
            ("ZipCode", &self.zip),
            ("Prefecture", &self.prefecture),
            ("City", &self.city),
            ("Address1", &self.address1),
            ("Address2", &self.address2),
            ("PhoneNumber", &self.phone),
        ]
        .iter()
        .map(|(k, v)| el(&format!("{prefix}{k}"), v))
        .chain((!self.section.is_empty()).then(|| {
            el(&format!("{prefix}Section1Field"), "会社名")
                + &el(&format!("{prefix}Section1Value"), &self.section)
        }))
        .collect()
    }
}

/// One line of an order.
#[derive(Debug, Clone)]
pub struct Item {
    /// The merchant's item id.
    pub item_id: String,
    /// The merchant's sub code (SKU), or empty.
    pub sub_code: String,
    /// The title.
    pub title: String,
    /// Quantity.
    pub quantity: u32,
    /// Unit price, tax included.
    pub unit_price: i64,
    /// 8 or 10.
    pub tax_ratio: u8,
    /// JAN code, or empty.
    pub jan: String,
    /// Options (name, value).
    pub options: Vec<(String, String)>,
    /// Inscriptions, e.g. のし (name, value).
    pub inscriptions: Vec<(String, String)>,
}

impl Item {
    /// A plain line.
    pub fn plain(item_id: &str, title: &str, quantity: u32, unit_price: i64) -> Item {
        Item {
            item_id: item_id.into(),
            sub_code: String::new(),
            title: title.into(),
            quantity,
            unit_price,
            tax_ratio: 10,
            jan: String::new(),
            options: Vec::new(),
            inscriptions: Vec::new(),
        }
    }
}

/// An order in the store.
#[derive(Debug, Clone)]
pub struct Order {
    /// `<seller>-<number>`.
    pub id: String,
    /// When it was placed (UTC seconds).
    pub placed: i64,
    /// When it last changed (UTC seconds).
    pub updated: i64,
    /// 1 予約中, 2 処理中, 3 保留, 4 キャンセル, 5 完了.
    pub status: u8,
    /// Staff (or a client) have opened it.
    pub seen: bool,
    /// 0 unpaid, 1 paid.
    pub pay_status: u8,
    /// The payment method's code, e.g. `payment_a8`.
    pub pay_method: String,
    /// Its name.
    pub pay_method_name: String,
    /// The buyer (`Bill…`).
    pub buyer: Person,
    /// The buyer's e-mail.
    pub email: String,
    /// The recipient (`Ship…`).
    pub recipient: Person,
    /// The shipping method's name.
    pub ship_method_name: String,
    /// Desired date, `YYYYMMDD` or empty.
    pub ship_request_date: String,
    /// Desired time, e.g. `14:00-16:00`, or empty.
    pub ship_request_time: String,
    /// 0 出荷不可, 1 出荷可, 2 出荷処理中, 3 出荷済み, 4 着荷済み.
    pub ship_status: u8,
    /// The carrier code shipped with.
    pub ship_company: String,
    /// Tracking numbers.
    pub invoices: (String, String),
    /// The day it shipped, `YYYYMMDD`.
    pub ship_date: String,
    /// The gift message, or empty.
    pub gift_message: String,
    /// The buyer's comments.
    pub comments: String,
    /// Cancellation: reason code and detail.
    pub cancel: Option<(u16, String)>,
    /// Lines.
    pub items: Vec<Item>,
    /// ShipCharge.
    pub ship_charge: i64,
    /// PayCharge.
    pub pay_charge: i64,
    /// GiftWrapCharge.
    pub gift_wrap_charge: i64,
    /// Discount.
    pub discount: i64,
    /// TotalCouponDiscount.
    pub coupon: i64,
    /// UsePoint.
    pub use_point: i64,
}

/// Payment methods: code, name, paid when ordered.
pub const PAY_METHODS: [(&str, &str, bool); 4] = [
    ("payment_a1", "クレジットカード決済", true),
    ("payment_a6", "銀行振込", false),
    ("payment_a8", "コンビニ決済", false),
    ("payment_b1", "商品代引", true),
];

impl Order {
    /// A plain order `id`, placed at `placed`, paid by card.
    pub fn plain(id: &str, placed: i64) -> Order {
        Order {
            id: id.into(),
            placed,
            updated: placed,
            status: 2,
            seen: false,
            pay_status: 1,
            pay_method: "payment_a1".into(),
            pay_method_name: "クレジットカード決済".into(),
            buyer: Person::yamada(),
            email: "taro@example.jp".into(),
            recipient: Person::yamada(),
            ship_method_name: "宅配便".into(),
            ship_request_date: String::new(),
            ship_request_time: String::new(),
            ship_status: 1,
            ship_company: String::new(),
            invoices: (String::new(), String::new()),
            ship_date: String::new(),
            gift_message: String::new(),
            comments: String::new(),
            cancel: None,
            items: vec![Item::plain("tea-01", "緑茶 100g", 2, 1_000)],
            ship_charge: 500,
            pay_charge: 0,
            gift_wrap_charge: 0,
            discount: 0,
            coupon: 0,
            use_point: 0,
        }
    }

    /// Paid by `code` (one of [`PAY_METHODS`]), unpaid if the method is paid later.
    pub fn paying(mut self, code: &str) -> Order {
        if let Some((c, name, paid)) = PAY_METHODS.iter().find(|m| m.0 == code) {
            self.pay_method = (*c).into();
            self.pay_method_name = (*name).into();
            self.pay_status = u8::from(*paid);
            self.ship_status = u8::from(*paid);
        }
        self
    }

    /// Σ quantity × unit price.
    pub fn items_total(&self) -> i64 {
        self.items
            .iter()
            .map(|i| i64::from(i.quantity) * i.unit_price)
            .sum()
    }

    /// What the buyer pays.
    pub fn total_price(&self) -> i64 {
        self.items_total() + self.ship_charge + self.pay_charge + self.gift_wrap_charge
            - self.discount
            - self.coupon
            - self.use_point
    }

    /// Its row in an `orderList` answer.
    pub fn list_xml(&self, index: usize) -> String {
        format!(
            "<OrderInfo>{}{}{}{}{}{}</OrderInfo>",
            el("Index", &index.to_string()),
            el("OrderId", &self.id),
            el("OrderTime", &format_instant(self.placed, Offset::Colon)),
            el("OrderStatus", &self.status.to_string()),
            el("IsSeen", if self.seen { "true" } else { "false" }),
            el(
                "LastUpdateTime",
                &format_instant(self.updated, Offset::Colon)
            ),
        )
    }

    /// Its `<OrderInfo>` in an `orderInfo` answer.
    pub fn info_xml(&self) -> String {
        let (reason, detail) = self
            .cancel
            .as_ref()
            .map(|(c, d)| (c.to_string(), d.clone()))
            .unwrap_or_default();
        let pairs = |tag: &str, list: &[(String, String)]| -> String {
            list.iter()
                .enumerate()
                .map(|(n, (k, v))| {
                    format!(
                        "<{tag} Index=\"{}\">{}{}</{tag}>",
                        n + 1,
                        el("Name", k),
                        el("Value", v)
                    )
                })
                .collect()
        };
        let items: String = self
            .items
            .iter()
            .enumerate()
            .map(|(n, i)| {
                format!(
                    "<Item>{}{}{}{}{}{}{}{}{}{}</Item>",
                    el("LineId", &(n + 1).to_string()),
                    el("ItemId", &i.item_id),
                    el("SubCode", &i.sub_code),
                    el("Title", &i.title),
                    el("Quantity", &i.quantity.to_string()),
                    el("UnitPrice", &i.unit_price.to_string()),
                    el("ItemTaxRatio", &i.tax_ratio.to_string()),
                    el("Jan", &i.jan),
                    pairs("ItemOption", &i.options),
                    pairs("Inscription", &i.inscriptions),
                )
            })
            .collect();
        format!(
            "<OrderInfo>{order}<Pay>{pay}</Pay><Ship>{ship}</Ship><Detail>{detail}</Detail>\
             {items}</OrderInfo>",
            order = [
                el("OrderId", &self.id),
                el("OrderTime", &format_instant(self.placed, Offset::Colon)),
                el(
                    "LastUpdateTime",
                    &format_instant(self.updated, Offset::Colon)
                ),
                el("OrderStatus", &self.status.to_string()),
                el("IsSeen", if self.seen { "true" } else { "false" }),
                el("IsActive", if self.status == 4 { "false" } else { "true" }),
                el("DeviceType", "1"),
                el("CancelReason", &reason),
                el("CancelReasonDetail", &detail),
                el("BuyerComments", &self.comments),
            ]
            .concat(),
            pay = [
                el("PayStatus", &self.pay_status.to_string()),
                el("PayMethod", &self.pay_method),
                el("PayMethodName", &self.pay_method_name),
                self.buyer.xml("Bill"),
                el("BillMailAddress", &self.email),
            ]
            .concat(),
            ship = [
                el("ShipStatus", &self.ship_status.to_string()),
                el("ShipMethod", "postage1"),
                el("ShipMethodName", &self.ship_method_name),
                el("ShipRequestDate", &self.ship_request_date),
                el("ShipRequestTime", &self.ship_request_time),
                el("ShipNotes", ""),
                self.recipient.xml("Ship"),
                el("ShipCharge", &self.ship_charge.to_string()),
                el("ShipCompanyCode", &self.ship_company),
                el("ShipInvoiceNumber1", &self.invoices.0),
                el("ShipInvoiceNumber2", &self.invoices.1),
                el("ShipDate", &self.ship_date),
                el(
                    "GiftWrapType",
                    if self.gift_wrap_charge > 0 { "1" } else { "" },
                ),
                el("GiftWrapMessage", &self.gift_message),
            ]
            .concat(),
            detail = [
                el("PayCharge", &self.pay_charge.to_string()),
                el("GiftWrapCharge", &self.gift_wrap_charge.to_string()),
                el("Discount", &self.discount.to_string()),
                el("TotalCouponDiscount", &self.coupon.to_string()),
                el("UsePoint", &self.use_point.to_string()),
                el("TotalPrice", &self.total_price().to_string()),
            ]
            .concat(),
        )
    }

    /// The mall's status in the store manager's words (what the demo counts).
    pub fn words(&self) -> &'static str {
        match (self.status, self.seen, self.ship_status) {
            (4, _, _) => "キャンセル",
            (_, _, 3 | 4) => "出荷済み",
            (5, _, _) => "完了",
            (1, _, _) => "予約中",
            (3, _, _) => "保留",
            (_, false, _) => "新規 (未読)",
            (_, true, _) if self.pay_status == 0 => "入金待ち",
            _ => "処理中",
        }
    }
}

/// The demo's orders of a store, placed over the two hours before `now`: paid by card, by
/// bank transfer and at a convenience store (both unpaid), cash on delivery, and a gift to a
/// company with a message, options, a のし and JAN codes, a coupon and points.
pub fn demo(seller: &str, now: i64) -> Vec<Order> {
    let id = |n: u32| format!("{seller}-{}", 10_000_000 + n);
    let at = |n: i64| now - 7_200 + n * 600;
    let mut gift = Order::plain(&id(5), at(5));
    gift.recipient = Person {
        last: "佐藤".into(),
        first: "花子".into(),
        last_kana: "サトウ".into(),
        first_kana: "ハナコ".into(),
        zip: "5300001".into(),
        prefecture: "大阪府".into(),
        city: "大阪市北区".into(),
        address1: "梅田1-1".into(),
        address2: "梅田ビル 10F".into(),
        phone: "0661234567".into(),
        section: "株式会社サンプル 総務部".into(),
    };
    gift.gift_message = "いつもありがとうございます".into();
    gift.gift_wrap_charge = 300;
    gift.ship_request_date = format_local(now + 3 * 86_400, "%Y%m%d");
    gift.ship_request_time = "14:00-16:00".into();
    gift.items = vec![
        Item {
            sub_code: "tea-01-red".into(),
            jan: "4901234567894".into(),
            options: vec![("缶の色".into(), "赤".into())],
            inscriptions: vec![("のし".into(), "御礼".into())],
            ..Item::plain("tea-01", "緑茶 100g 缶入り", 1, 2_400)
        },
        Item {
            tax_ratio: 8,
            jan: "4909876543217".into(),
            ..Item::plain("cake-02", "抹茶ケーキ", 2, 1_200)
        },
    ];
    gift.coupon = 300;
    gift.use_point = 100;
    gift.comments = "置き配希望 & 午後着".into();
    let mut cod = Order::plain(&id(4), at(4)).paying("payment_b1");
    cod.pay_charge = 330;
    vec![
        Order::plain(&id(1), at(1)),
        Order::plain(&id(2), at(2)).paying("payment_a6"),
        Order::plain(&id(3), at(3)).paying("payment_a8"),
        cod,
        gift,
    ]
}
