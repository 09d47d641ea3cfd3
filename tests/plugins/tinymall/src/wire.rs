//! TinyMall's JSON.

use serde::{Deserialize, Serialize};

/// A page of `GET /orders`.
#[derive(Debug, Deserialize)]
pub struct Page {
    /// The orders.
    pub orders: Vec<serde_json::Value>,
    /// The id to ask after for the next page.
    pub next: Option<String>,
}

/// An order.
#[derive(Debug, Deserialize, Serialize)]
pub struct Order {
    /// Its id.
    pub id: String,
    /// When it was placed, UTC seconds.
    pub placed: i64,
    /// The buyer, who is also the recipient.
    pub buyer: String,
    /// Postal code.
    pub zip: String,
    /// Prefecture.
    pub pref: String,
    /// The rest of the address.
    pub addr: String,
    /// Phone.
    pub tel: String,
    /// The lines.
    pub lines: Vec<Line>,
    /// Shipping fee, yen.
    pub shipping: i64,
    /// What the buyer pays, yen.
    pub total: i64,
}

/// A line.
#[derive(Debug, Deserialize, Serialize)]
pub struct Line {
    /// The merchant's SKU.
    pub sku: String,
    /// The product's name.
    pub name: String,
    /// Quantity.
    pub qty: u32,
    /// Unit price, yen, tax included.
    pub price: i64,
}

/// An error answer.
#[derive(Debug, Deserialize)]
pub struct Error {
    /// What went wrong.
    pub error: String,
}
