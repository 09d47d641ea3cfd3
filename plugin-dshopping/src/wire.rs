//! The d Shopping order API's wire types (JSON), as `shared/spec/dshopping-order-api.md` defines
//! them. Only this plugin (and the emulator) knows this format.

use serde::{Deserialize, Serialize};

/// Status code of an order awaiting confirmation (受注確認待ち): what a fetch asks for.
pub const ORDER_CONFIRM_WAIT: &str = "ORDER_CONFIRM_WAIT";
/// Status code of a taken order awaiting shipment (出荷指示待ち).
pub const SHIP_INSTRUCTION_WAIT: &str = "SHIP_INSTRUCTION_WAIT";
/// Status code of a cancelled order (キャンセル).
pub const CANCELLED: &str = "CANCELLED";
/// Status code of a shipped order (出荷完了).
pub const SHIPPED: &str = "SHIPPED";

/// The order statuses in the words of the merchant screen.
pub const STATUS_WORDS: [(&str, &str); 4] = [
    (ORDER_CONFIRM_WAIT, "受注確認待ち"),
    (SHIP_INSTRUCTION_WAIT, "出荷指示待ち"),
    (SHIPPED, "出荷完了"),
    (CANCELLED, "キャンセル"),
];

/// The payment methods (`paymentMethod`) in the words of the merchant screen.
pub const PAYMENT_WORDS: [(&str, &str); 5] = [
    ("CREDIT_CARD", "クレジットカード決済"),
    ("D_BARAI", "d払い"),
    ("CARRIER_BILLING", "ドコモ払い"),
    ("COD", "代金引換"),
    ("CONVENIENCE_STORE", "コンビニ決済"),
];

/// Whether the buyer has paid, by the payment method: 代金引換 is paid to the carrier; d Shopping
/// lists an order for confirmation once its payment is settled (it has no unpaid state in our
/// model of the API), so every other method counts as paid.
pub fn payment_state(method: &str) -> connector_kit::types::PaymentState {
    if method == "COD" {
        connector_kit::types::PaymentState::OnDelivery
    } else {
        connector_kit::types::PaymentState::Paid
    }
}

/// `GET /orders` response. Orders are kept as JSON values so a record is handed to `map-order`
/// exactly as the mall sent it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersPage {
    pub orders: Vec<serde_json::Value>,
    pub page: u32,
    pub total_pages: u32,
    #[allow(dead_code)]
    pub total_count: u64,
}

/// The fields of an order the fetch itself needs before mapping.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderHead {
    pub order_number: String,
    pub ordered_at: String,
    pub status: String,
    #[serde(default)]
    pub test_order: bool,
}

/// One order, as `map-order` reads it. Fields the mall adds later are ignored: an API addition
/// must not stop imports.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_number: String,
    pub ordered_at: String,
    pub updated_at: String,
    pub status: String,
    #[serde(default)]
    pub test_order: bool,
    pub payment_method: String,
    pub orderer: Person,
    pub deliveries: Vec<Delivery>,
    pub amounts: Amounts,
    #[serde(default)]
    pub buyer_note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub name: String,
    #[serde(default)]
    pub name_kana: Option<String>,
    pub postal_code: String,
    pub prefecture: String,
    pub address1: String,
    #[serde(default)]
    pub address2: Option<String>,
    pub phone: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub delivery_no: u32,
    pub recipient: Person,
    pub delivery_method: String,
    pub desired_date: Option<String>,
    pub desired_time_slot: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub line_no: u32,
    pub item_code: String,
    pub sku_code: String,
    pub quantity: u32,
    pub unit_price: i64,
    pub tax_rate: u8,
    #[serde(default)]
    pub has_add_on_service: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Amounts {
    pub items_total: i64,
    pub shipping_fee: i64,
    pub cod_fee: i64,
    pub points_used: i64,
    pub coupon_discount: i64,
    pub billing_total: i64,
}

/// `POST /orders/acknowledge` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgeRequest<'a> {
    pub order_numbers: &'a [String],
}

/// `POST /shipments` body.
#[derive(Debug, Serialize)]
pub struct ShipmentsRequest {
    pub shipments: Vec<ShipmentEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentEntry {
    pub order_number: String,
    pub carrier_id: String,
    pub tracking_number: String,
    pub shipped_date: String,
}

/// Per-entry results of acknowledge and shipments.
#[derive(Debug, Deserialize)]
pub struct ResultsResponse {
    pub results: Vec<EntryResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryResult {
    pub order_number: String,
    pub result: String,
    #[serde(default)]
    pub error: Option<EntryError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryError {
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub current_status: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
}

/// The body of every error response.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub errors: Vec<ApiError>,
}

#[derive(Debug, Deserialize)]
pub struct ApiError {
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}
