//! The emulator's orders, serialized exactly as the API's ORDER object.

use serde::{Deserialize, Serialize};

/// An order status on d Shopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// 受注確認待ち: new, not yet taken.
    OrderConfirmWait,
    /// 出荷指示待ち: taken, awaiting shipment.
    ShipInstructionWait,
    /// 出荷完了: shipment registered.
    Shipped,
    /// キャンセル.
    Cancelled,
}

impl Status {
    /// The API's code, e.g. `ORDER_CONFIRM_WAIT`.
    pub fn code(self) -> &'static str {
        match self {
            Status::OrderConfirmWait => "ORDER_CONFIRM_WAIT",
            Status::ShipInstructionWait => "SHIP_INSTRUCTION_WAIT",
            Status::Shipped => "SHIPPED",
            Status::Cancelled => "CANCELLED",
        }
    }

    /// The label d Shopping shows, e.g. 受注確認待ち.
    pub fn label(self) -> &'static str {
        match self {
            Status::OrderConfirmWait => "受注確認待ち",
            Status::ShipInstructionWait => "出荷指示待ち",
            Status::Shipped => "出荷完了",
            Status::Cancelled => "キャンセル",
        }
    }

    /// Reads an API code.
    pub fn from_code(s: &str) -> Option<Status> {
        [
            Status::OrderConfirmWait,
            Status::ShipInstructionWait,
            Status::Shipped,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|st| st.code() == s)
    }
}

/// An orderer or recipient.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmuPerson {
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// 郵便番号, seven digits.
    pub postal_code: String,
    /// 都道府県.
    pub prefecture: String,
    /// 住所1.
    pub address1: String,
    /// 住所2.
    pub address2: String,
    /// 電話番号.
    pub phone: String,
}

/// One item line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmuItem {
    /// Line number.
    pub line_no: u32,
    /// 商品管理番号.
    pub item_code: String,
    /// SKU管理番号.
    pub sku_code: String,
    /// Quantity.
    pub quantity: u32,
    /// Unit price, yen, tax included.
    pub unit_price: i64,
    /// 10 or 8.
    pub tax_rate: u8,
    /// An add-on service is attached (its content is not returned).
    pub has_add_on_service: bool,
}

/// One delivery destination.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmuDelivery {
    /// Delivery number.
    pub delivery_no: u32,
    /// Recipient.
    pub recipient: EmuPerson,
    /// The shop's delivery-method label.
    pub delivery_method: String,
    /// `YYYY-MM-DD` or none.
    pub desired_date: Option<String>,
    /// The shop's time-slot label, `指定なし` for none.
    pub desired_time_slot: String,
    /// Items.
    pub items: Vec<EmuItem>,
}

/// Money of an order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmuAmounts {
    /// Σ quantity × unit price.
    pub items_total: i64,
    /// Shipping fee.
    pub shipping_fee: i64,
    /// COD fee.
    pub cod_fee: i64,
    /// Points used.
    pub points_used: i64,
    /// Coupon discount.
    pub coupon_discount: i64,
    /// Billing total.
    pub billing_total: i64,
}

impl EmuAmounts {
    /// Amounts for the given deliveries and fees, with totals that add up.
    pub fn compute(
        deliveries: &[EmuDelivery],
        shipping_fee: i64,
        cod_fee: i64,
        points: i64,
    ) -> Self {
        let items_total = deliveries
            .iter()
            .flat_map(|d| &d.items)
            .map(|i| i.unit_price * i64::from(i.quantity))
            .sum::<i64>();
        EmuAmounts {
            items_total,
            shipping_fee,
            cod_fee,
            points_used: points,
            coupon_discount: 0,
            billing_total: items_total + shipping_fee + cod_fee - points,
        }
    }
}

/// A shipment registered on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmuShipment {
    /// Carrier id (`01` …).
    pub carrier_id: String,
    /// Tracking number.
    pub tracking_number: String,
    /// `YYYY-MM-DD`.
    pub shipped_date: String,
}

/// An order as the API returns it (plus the registered shipment, not part of the ORDER object).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmuOrder {
    /// 注文番号.
    pub order_number: String,
    /// ISO 8601 with `+09:00`.
    pub ordered_at: String,
    /// ISO 8601 with `+09:00`.
    pub updated_at: String,
    /// Status.
    pub status: Status,
    /// Placed in the verification environment.
    pub test_order: bool,
    /// Payment method code.
    pub payment_method: String,
    /// Orderer.
    pub orderer: EmuPerson,
    /// Deliveries.
    pub deliveries: Vec<EmuDelivery>,
    /// Money.
    pub amounts: EmuAmounts,
    /// Buyer's note.
    pub buyer_note: String,
    /// The registered shipment, once there is one.
    #[serde(skip)]
    pub shipment: Option<EmuShipment>,
    /// `orderedAt` as UTC seconds (for filtering and sorting).
    #[serde(skip)]
    pub ordered_at_secs: i64,
}

/// Formats UTC seconds as the API's JST instant.
pub fn jst_instant(secs: i64) -> String {
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| {
            t.with_timezone(&jst)
                .format("%Y-%m-%dT%H:%M:%S+09:00")
                .to_string()
        })
        .unwrap_or_default()
}
