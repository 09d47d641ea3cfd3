//! The Rakuten RMS order API's wire types (JSON), as `shared/spec/rakuten-order-api.md` models
//! them. Only this plugin (and its emulator) knows this format. Parsing is lenient on purpose:
//! the real model carries many more fields, and a field the mall adds must not stop imports.

use serde::{Deserialize, Serialize};

/// `orderProgress` of a new order the shop should confirm (注文確認待ち): what a fetch asks for.
pub const PROGRESS_NEW: i32 = 100;
/// Under Rakuten's review (楽天処理中): not actionable yet.
pub const PROGRESS_REVIEW: i32 = 200;
/// Confirmed by the shop, awaiting shipment (発送待ち).
pub const PROGRESS_CONFIRMED: i32 = 300;
/// Shipping registered for every basket (発送済).
pub const PROGRESS_SHIPPED: i32 = 500;
/// Cancellation pending (キャンセル確定待ち).
pub const PROGRESS_CANCEL_PENDING: i32 = 800;
/// Cancelled (キャンセル確定).
pub const PROGRESS_CANCELLED: i32 = 900;

/// The Japanese label of a progress code, for messages.
pub fn progress_label(code: i32) -> &'static str {
    match code {
        100 => "注文確認待ち",
        200 => "楽天処理中",
        300 => "発送待ち",
        400 => "変更確定待ち",
        500 => "発送済",
        600 => "支払手続き中",
        700 => "支払手続き済",
        800 => "キャンセル確定待ち",
        900 => "キャンセル確定",
        _ => "unknown progress",
    }
}

/// One entry of `MessageModelList`: an `INFO` or `ERROR`, for one order when it names one.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub message_type: String,
    pub message_code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub order_number: Option<String>,
}

impl Message {
    /// An `ERROR` entry.
    pub fn is_error(&self) -> bool {
        self.message_type.eq_ignore_ascii_case("ERROR")
    }
}

/// Any answer's message list (errors and the per-order outcomes of batch methods).
#[derive(Debug, Default, Deserialize)]
pub struct Messages {
    #[serde(rename = "MessageModelList", default)]
    pub list: Vec<Message>,
}

/// `searchOrder` request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    pub order_progress_list: Vec<i32>,
    pub date_type: u8,
    pub start_datetime: String,
    pub end_datetime: String,
    #[serde(rename = "PaginationRequestModel")]
    pub pagination: PaginationRequest,
    #[serde(rename = "SortModelList")]
    pub sort: Vec<Sort>,
}

/// Which page of a search.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationRequest {
    pub request_records_amount: u32,
    pub request_page: u32,
}

/// A sort key of a search.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sort {
    pub sort_column: u8,
    pub sort_direction: u8,
}

/// `searchOrder` response.
#[derive(Debug, Deserialize)]
pub struct SearchResponse {
    #[serde(rename = "orderNumberList", default)]
    pub order_numbers: Vec<String>,
    #[serde(rename = "PaginationResponseModel")]
    pub pagination: Option<PaginationResponse>,
}

/// Where a search page sits.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationResponse {
    #[serde(default)]
    pub total_records_amount: u64,
    #[serde(default)]
    pub total_pages: u32,
    #[serde(default)]
    pub request_page: u32,
}

/// `getOrder` / `confirmOrder` request (a list of order numbers).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumbersRequest<'a> {
    pub order_number_list: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

/// `getOrder` response: the orders as their JSON text (each is parsed on its own, so one bad
/// record spoils only itself) and the messages of numbers the mall does not know.
#[derive(Debug, Deserialize)]
pub struct GetOrderResponse {
    #[serde(rename = "OrderModelList", default)]
    pub orders: Vec<Box<serde_json::value::RawValue>>,
    #[serde(rename = "MessageModelList", default)]
    pub messages: Vec<Message>,
}

/// Just the number of an order model.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderNumberOnly {
    pub order_number: String,
}

/// The fields of an order that fetch, take and status sync read before mapping.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderHead {
    pub order_number: String,
    pub order_progress: i32,
    #[serde(default)]
    pub order_datetime: Option<String>,
}

/// One order as the mapping reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_number: String,
    pub order_progress: i32,
    pub order_datetime: String,
    /// Not in every model: the order date-time stands in for it.
    #[serde(default)]
    pub update_datetime: Option<String>,
    #[serde(default)]
    pub delivery_date: Option<String>,
    #[serde(default)]
    pub shipping_term: Option<i64>,
    #[serde(default)]
    pub remarks: Option<String>,
    #[serde(default)]
    pub several_sender_flag: Option<i32>,
    pub goods_price: i64,
    #[serde(default)]
    pub postage_price: i64,
    /// 代引手数料 (cash-on-delivery fee).
    #[serde(default)]
    pub delivery_price: i64,
    /// 決済手数料.
    #[serde(default)]
    pub payment_charge: i64,
    #[serde(default)]
    pub total_price: Option<i64>,
    pub request_price: i64,
    #[serde(default)]
    pub coupon_all_total_price: i64,
    #[serde(rename = "OrdererModel")]
    pub orderer: Person,
    #[serde(rename = "SettlementModel", default)]
    pub settlement: Option<Settlement>,
    #[serde(rename = "DeliveryModel", default)]
    pub delivery: Option<DeliveryMethod>,
    #[serde(rename = "PointModel", default)]
    pub point: Option<Point>,
    #[serde(rename = "WrappingModel1", default)]
    pub wrapping1: Option<Wrapping>,
    #[serde(rename = "WrappingModel2", default)]
    pub wrapping2: Option<Wrapping>,
    #[serde(rename = "PackageModelList", default)]
    pub packages: Vec<Package>,
}

/// The orderer (`OrdererModel`) or a basket's recipient (`SenderModel`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub family_name_kana: String,
    #[serde(default)]
    pub first_name_kana: String,
    #[serde(default)]
    pub zip_code1: String,
    #[serde(default)]
    pub zip_code2: String,
    #[serde(default)]
    pub prefecture: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub sub_address: String,
    #[serde(default)]
    pub phone_number1: String,
    #[serde(default)]
    pub phone_number2: String,
    #[serde(default)]
    pub phone_number3: String,
    #[serde(default)]
    pub email_address: Option<String>,
}

/// `SettlementModel`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settlement {
    #[serde(default)]
    pub settlement_method_code: Option<i64>,
    #[serde(default)]
    pub settlement_method: String,
}

/// `DeliveryModel`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryMethod {
    #[serde(default)]
    pub delivery_name: String,
}

/// `PointModel`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    #[serde(default)]
    pub used_point: i64,
}

/// `WrappingModel1` / `WrappingModel2`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wrapping {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub price: i64,
}

/// One basket (送付先) of an order.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    pub basket_id: i64,
    #[serde(default)]
    pub noshi: Option<String>,
    #[serde(rename = "SenderModel")]
    pub sender: Person,
    #[serde(rename = "ItemModelList", default)]
    pub items: Vec<Item>,
    #[serde(rename = "ShippingModelList", default)]
    pub shippings: Vec<ShippingEntry>,
}

/// One item line of a basket.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    #[serde(default)]
    pub item_name: String,
    #[serde(default)]
    pub manage_number: String,
    #[serde(default)]
    pub item_number: String,
    pub price: i64,
    pub units: i64,
    #[serde(default = "one")]
    pub include_tax_flag: i32,
    pub tax_rate: f64,
    #[serde(default)]
    pub selected_choice: Option<String>,
    #[serde(rename = "SkuModelList", default)]
    pub skus: Vec<Sku>,
}

fn one() -> i32 {
    1
}

/// `SkuModelList` entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sku {
    #[serde(default)]
    pub merchant_defined_sku_id: Option<String>,
    #[serde(default)]
    pub sku_info: Option<String>,
}

/// A registered parcel of a basket (`ShippingModelList` entry), as `getOrder` shows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingEntry {
    #[serde(default)]
    pub shipping_detail_id: Option<i64>,
    #[serde(default)]
    pub delivery_company: String,
    #[serde(default)]
    pub shipping_number: String,
}

/// The baskets' registered parcels of one order: all a push needs to know first.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingView {
    pub order_number: String,
    pub order_progress: i32,
    #[serde(rename = "PackageModelList", default)]
    pub packages: Vec<PackageShippings>,
}

/// One basket's registered parcels.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageShippings {
    pub basket_id: i64,
    #[serde(rename = "ShippingModelList", default)]
    pub shippings: Vec<ShippingEntry>,
}

/// `updateOrderShipping` request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateShippingRequest {
    pub order_number: String,
    #[serde(rename = "BasketidModelList")]
    pub baskets: Vec<BasketShipping>,
}

/// One basket's entries to add or change.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BasketShipping {
    pub basket_id: i64,
    #[serde(rename = "ShippingModelList")]
    pub shippings: Vec<NewShipping>,
}

/// An entry to add (no id) or change (with the id of the entry it replaces).
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NewShipping {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_detail_id: Option<i64>,
    pub delivery_company: String,
    pub shipping_number: String,
    pub shipping_date: String,
}
