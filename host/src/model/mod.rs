//! The host's own order model: what every contract version's types are converted into, what the
//! store keeps and the CLI shows, and what must hold of every order ([`Order::check`], in
//! `check`). Instants are UTC; calendar dates are JST.

mod check;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use check::{MAX_CODE, OrderProblem, TAX_RATES};

/// A person at an address (orderer or recipient).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    /// Full name.
    pub name: String,
    /// Name in katakana; may be empty.
    pub name_kana: String,
    /// Seven-digit postal code.
    pub postal_code: String,
    /// Prefecture.
    pub prefecture: String,
    /// City and street.
    pub address1: String,
    /// Building and room.
    pub address2: String,
    /// Phone number.
    pub phone: String,
    /// Company, or empty (contract 0.3.0 on).
    #[serde(default)]
    pub company: String,
    /// Department, or empty (contract 0.3.0 on).
    #[serde(default)]
    pub department: String,
}

/// One product line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The mall's line number.
    pub line_no: u32,
    /// Item code (key into the product master).
    pub item_code: String,
    /// SKU code (key into the product master).
    pub sku_code: String,
    /// Units.
    pub quantity: u32,
    /// Yen per unit, tax included.
    pub unit_price: i64,
    /// 10 or 8 (percent).
    pub tax_rate: u8,
    /// An add-on service is attached (content unknown).
    pub has_add_on_service: bool,
    /// The name the mall gives, else the product master's; `None` while neither has one
    /// ("name missing").
    pub product_name: Option<String>,
    /// Options the buyer chose (のし, ラッピング, colour …), as the mall words them.
    #[serde(default)]
    pub option_text: Option<String>,
    /// The product's JAN code, if the mall gives it (contract 0.3.0 on).
    #[serde(default)]
    pub jan: Option<String>,
}

/// One destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The mall's delivery number.
    pub delivery_no: u32,
    /// The mall's own id of the delivery (e.g. a basket id), needed to ship it.
    #[serde(default)]
    pub mall_delivery_id: Option<String>,
    /// Recipient.
    pub recipient: Address,
    /// The mall's delivery-method label, as received.
    pub delivery_method: String,
    /// The merchant's carrier the label converts to, if the conversion table knows it.
    pub carrier: Option<String>,
    /// Desired delivery date.
    pub desired_date: Option<NaiveDate>,
    /// The mall's time-slot label, as received.
    pub desired_time_slot: String,
    /// The merchant's time slot the label converts to, if the conversion table knows it.
    pub time_slot: Option<String>,
    /// Lines.
    pub lines: Vec<OrderLine>,
    /// The buyer's gift message for this delivery, if any (contract 0.3.0 on).
    #[serde(default)]
    pub gift_message: Option<String>,
}

/// Money of an order, integer yen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Amounts {
    /// Σ quantity × unit price.
    pub items_total: i64,
    /// Shipping fee.
    pub shipping_fee: i64,
    /// Cash-on-delivery fee.
    pub cod_fee: i64,
    /// Points used.
    pub points_used: i64,
    /// Coupon discount.
    pub coupon_discount: i64,
    /// Billed.
    pub billing_total: i64,
}

/// What the mall reports about an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OrderFlags {
    /// From the mall's verification environment (never stored).
    pub test_order: bool,
    /// Several destinations (複数配送).
    pub multiple_deliveries: bool,
    /// An add-on service is attached somewhere (付加サービス).
    pub add_on_service: bool,
    /// The mall gives no buyer e-mail: nothing can be mailed to the buyer.
    pub no_buyer_email: bool,
}

/// What a fee is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    /// Shipping (送料).
    Shipping,
    /// Cash on delivery (代引手数料).
    Cod,
    /// Payment (決済手数料).
    Payment,
    /// Gift wrapping (ラッピング).
    Wrapping,
    /// Other gift services (のし …).
    Gift,
    /// Anything else; the label says what.
    Other,
}

/// A fee on top of the items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// What it is for.
    pub kind: FeeKind,
    /// The mall's words.
    pub label: String,
    /// Yen.
    pub amount: i64,
}

/// What a discount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    /// Points used.
    Points,
    /// A coupon.
    Coupon,
    /// Anything else; the label says what.
    Other,
}

/// A discount off the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    /// What it is.
    pub kind: DiscountKind,
    /// The mall's words (e.g. the coupon's owner).
    pub label: String,
    /// Yen, positive.
    pub amount: i64,
}

/// The buyer's e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The address.
    pub address: String,
    /// A relay address of the mall that forwards to the buyer.
    pub relay: bool,
}

/// Something a mall says about an order that the host does not act on, shown to staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderMark {
    /// The plugin's open code, e.g. `gift`.
    pub code: String,
    /// In words.
    pub message: String,
}

impl Order {
    /// Every fee and discount by its label: the mall's lists, or — for an order whose plugin
    /// gave only the summary (contract 0.1.0) — the summary's as lists.
    pub fn fee_lists(&self) -> (Vec<Fee>, Vec<Discount>) {
        self.amounts
            .lists_or(self.fees.clone(), self.discounts.clone())
    }
}

impl Amounts {
    /// `fees` and `discounts` as the mall listed them, or — when it listed none (contract
    /// 0.1.0) — this summary's as lists.
    pub fn lists_or(&self, fees: Vec<Fee>, discounts: Vec<Discount>) -> (Vec<Fee>, Vec<Discount>) {
        if fees.is_empty() && discounts.is_empty() {
            self.as_lists()
        } else {
            (fees, discounts)
        }
    }

    /// The fee and discount lists of a summary (for a mall that gives only the summary).
    pub fn as_lists(&self) -> (Vec<Fee>, Vec<Discount>) {
        let fees = [
            (FeeKind::Shipping, "送料", self.shipping_fee),
            (FeeKind::Cod, "代引手数料", self.cod_fee),
        ];
        let discounts = [
            (DiscountKind::Points, "ポイント利用", self.points_used),
            (DiscountKind::Coupon, "クーポン値引", self.coupon_discount),
        ];
        (
            fees.into_iter()
                .filter(|f| f.2 != 0)
                .map(|(kind, label, amount)| Fee {
                    kind,
                    label: label.into(),
                    amount,
                })
                .collect(),
            discounts
                .into_iter()
                .filter(|d| d.2 != 0)
                .map(|(kind, label, amount)| Discount {
                    kind,
                    label: label.into(),
                    amount,
                })
                .collect(),
        )
    }

    /// The summary of fee and discount lists: shipping, COD, points and coupons summed by kind;
    /// fees and discounts of other kinds are in the lists only.
    pub fn summarize(
        items_total: i64,
        fees: &[Fee],
        discounts: &[Discount],
        billing: i64,
    ) -> Amounts {
        let fee = |k: FeeKind| fees.iter().filter(|f| f.kind == k).map(|f| f.amount).sum();
        let off = |k: DiscountKind| {
            discounts
                .iter()
                .filter(|d| d.kind == k)
                .map(|d| d.amount)
                .sum()
        };
        Amounts {
            items_total,
            shipping_fee: fee(FeeKind::Shipping),
            cod_fee: fee(FeeKind::Cod),
            points_used: off(DiscountKind::Points),
            coupon_discount: off(DiscountKind::Coupon),
            billing_total: billing,
        }
    }
}

fn yes() -> bool {
    true
}

/// How an order reached the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSource {
    /// The mall's API.
    Api,
    /// A CSV file.
    Csv,
}

impl OrderSource {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderSource::Api => "api",
            OrderSource::Csv => "csv",
        }
    }
}

/// A mall order in canonical form, as a plugin's `map-order` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The mall's order number.
    pub mall_order_number: String,
    /// When the buyer placed it (UTC).
    pub ordered_at: DateTime<Utc>,
    /// When the mall last changed it (UTC).
    pub mall_updated_at: DateTime<Utc>,
    /// The mall's status code.
    pub mall_status: String,
    /// The mall's payment-method code.
    pub payment_method: String,
    /// Orderer.
    pub buyer: Address,
    /// Destinations.
    pub deliveries: Vec<Delivery>,
    /// Money: the summary (shipping, COD, points, coupons, billed).
    pub amounts: Amounts,
    /// Every fee the mall lists (shipping and COD included).
    #[serde(default)]
    pub fees: Vec<Fee>,
    /// Every discount the mall lists (points and coupons included).
    #[serde(default)]
    pub discounts: Vec<Discount>,
    /// Prices include consumption tax.
    #[serde(default = "yes")]
    pub prices_include_tax: bool,
    /// The buyer's e-mail, if the mall gives one.
    #[serde(default)]
    pub buyer_email: Option<Email>,
    /// Buyer's note.
    pub buyer_note: String,
    /// Flags the host acts on.
    pub flags: OrderFlags,
    /// Other things the mall says about the order, shown to staff.
    #[serde(default)]
    pub marks: Vec<OrderMark>,
    /// Source.
    pub source: OrderSource,
    /// Whether the buyer has paid (contract 0.3.0 on; earlier plugins' orders count as paid).
    #[serde(default)]
    pub payment: PaymentState,
    /// The plugin asks the host to hold the order, for this reason in words (contract 0.3.0 on).
    #[serde(default)]
    pub hold: Option<String>,
}

/// How the hold reason of an order the mall (or its plugin) holds begins: the status sync
/// releases such an order when the mall lifts its hold.
pub const MALL_HOLD: &str = "モールの保留";

/// How the hold reason of an order held unpaid begins: the status sync releases such an order
/// when the mall says it is paid.
pub const UNPAID_HOLD: &str = "未入金";

/// Whether the buyer has paid for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Paid: the order may ship.
    #[default]
    Paid,
    /// Not paid yet (bank transfer, convenience store): held from export until the mall says paid.
    Unpaid,
    /// Paid to the carrier on delivery: the order may ship.
    OnDelivery,
}

impl PaymentState {
    /// Stable identifier, as stored.
    pub fn id(self) -> &'static str {
        match self {
            PaymentState::Paid => "paid",
            PaymentState::Unpaid => "unpaid",
            PaymentState::OnDelivery => "on_delivery",
        }
    }

    /// Reads an identifier.
    pub fn from_id(s: &str) -> Option<PaymentState> {
        [
            PaymentState::Paid,
            PaymentState::Unpaid,
            PaymentState::OnDelivery,
        ]
        .into_iter()
        .find(|p| p.id() == s)
    }

    /// In words, for staff.
    pub fn label(self) -> &'static str {
        match self {
            PaymentState::Paid => "入金済み",
            PaymentState::Unpaid => "未入金",
            PaymentState::OnDelivery => "代引",
        }
    }
}

/// Something said about one order in a report (why it is held, why it failed, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderNote {
    /// The mall's order number.
    pub mall_order_number: String,
    /// What happened, in words.
    pub message: String,
}

impl OrderNote {
    /// A note.
    pub fn new(mall_order_number: impl Into<String>, message: impl Into<String>) -> OrderNote {
        OrderNote {
            mall_order_number: mall_order_number.into(),
            message: message.into(),
        }
    }
}

/// The host's order statuses. Stable English identifiers in config and JSON; Japanese labels
/// where staff see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// 新規受付
    New,
    /// 受注確認
    Confirmed,
    /// 出荷待ち
    AwaitingShipment,
    /// 保留
    OnHold,
    /// 出荷済み
    Shipped,
    /// キャンセル
    Cancelled,
}

impl OrderStatus {
    /// Every status, in workflow order.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::New,
        OrderStatus::Confirmed,
        OrderStatus::AwaitingShipment,
        OrderStatus::OnHold,
        OrderStatus::Shipped,
        OrderStatus::Cancelled,
    ];

    /// Stable identifier, e.g. `awaiting_shipment`.
    pub fn id(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::AwaitingShipment => "awaiting_shipment",
            OrderStatus::OnHold => "on_hold",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Japanese label, e.g. 出荷待ち.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::New => "新規受付",
            OrderStatus::Confirmed => "受注確認",
            OrderStatus::AwaitingShipment => "出荷待ち",
            OrderStatus::OnHold => "保留",
            OrderStatus::Shipped => "出荷済み",
            OrderStatus::Cancelled => "キャンセル",
        }
    }

    /// Reads an identifier.
    pub fn from_id(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.id() == s)
    }

    /// The manual's export rule: orders in 新規受付, 保留 or キャンセル are never exported.
    pub fn exportable(self) -> bool {
        !matches!(
            self,
            OrderStatus::New | OrderStatus::OnHold | OrderStatus::Cancelled
        )
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Whether the mall has been told the host handles an order (take-after-commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeState {
    /// Stored; the mall has not acknowledged it yet (a take failed or has not run).
    Pending,
    /// The mall moved it to its "being handled" status.
    Taken,
    /// Never needs taking (e.g. imported from CSV).
    NotNeeded,
}

impl TakeState {
    /// Stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            TakeState::Pending => "pending",
            TakeState::Taken => "taken",
            TakeState::NotNeeded => "not_needed",
        }
    }

    /// Reads an identifier.
    pub fn from_id(s: &str) -> Option<TakeState> {
        [TakeState::Pending, TakeState::Taken, TakeState::NotNeeded]
            .into_iter()
            .find(|t| t.id() == s)
    }
}

/// Orders for tests of any module.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// An order with nothing in it but its number: no deliveries, no money, paid by card.
    pub(crate) fn bare_order(number: &str) -> Order {
        let at = DateTime::from_timestamp(1_793_491_200, 0).unwrap_or_default();
        Order {
            mall_order_number: number.into(),
            ordered_at: at,
            mall_updated_at: at,
            mall_status: "NEW".into(),
            payment_method: "CARD".into(),
            buyer: Address::default(),
            deliveries: vec![],
            amounts: Amounts::default(),
            fees: vec![],
            discounts: vec![],
            prices_include_tax: true,
            buyer_email: None,
            buyer_note: String::new(),
            flags: OrderFlags::default(),
            marks: vec![],
            source: OrderSource::Api,
            hold: None,
            payment: crate::model::PaymentState::Paid,
        }
    }

    /// A delivery to `to` with no lines.
    pub(crate) fn bare_delivery(no: u32, to: Address) -> Delivery {
        Delivery {
            delivery_no: no,
            mall_delivery_id: None,
            recipient: to,
            delivery_method: "宅配便".into(),
            carrier: None,
            desired_date: None,
            desired_time_slot: String::new(),
            time_slot: None,
            lines: vec![],
            gift_message: None,
        }
    }
}
