//! What the host asks of a mall connector, in the host's own types: independent of the WIT
//! contract version a plugin was built against (each version's module converts to these).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::model::OrderSource;

/// What a plugin says it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginInfo {
    /// Mall id, e.g. `dshopping`.
    pub mall_id: String,
    /// Mall name, e.g. `dショッピング`.
    pub mall_name: String,
    /// The plugin's version.
    pub plugin_version: String,
    /// The contract version it implements, e.g. `0.1.0`.
    pub contract_version: String,
    /// CSV imports: the header whose equal values group rows into one order.
    pub csv_order_key: Option<String>,
}

impl PluginInfo {
    /// `mall@version`, how errors and logs name the plugin.
    pub fn label(&self) -> String {
        format!("{}@{}", self.mall_id, self.plugin_version)
    }
}

/// A record as the mall gave it; only the plugin reads `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOrder {
    /// The mall's order number.
    pub mall_order_number: String,
    /// Where it came from.
    pub source: OrderSource,
    /// The plugin's own encoding of the record.
    pub body: String,
}

/// Why a fetched order was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// From the mall's verification environment.
    TestOrder,
    /// Younger than the mall's hold time (d Shopping: 10 minutes).
    TooRecent,
}

/// One page of a fetch.
#[derive(Debug, Clone, Default)]
pub struct FetchPage {
    /// New orders.
    pub orders: Vec<RawOrder>,
    /// Orders left out, with the reason.
    pub skipped: Vec<(String, SkipReason)>,
    /// Where to carry on, if anywhere.
    pub next_cursor: Option<String>,
}

/// A fetch window, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Earliest order time.
    pub start: DateTime<Utc>,
    /// Latest order time.
    pub end: DateTime<Utc>,
}

/// A shipment to register on a mall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    /// The mall's order number.
    pub mall_order_number: String,
    /// The mall's carrier id.
    pub carrier_id: String,
    /// Tracking number.
    pub tracking_number: String,
    /// Ship date (JST).
    pub shipped_date: NaiveDate,
}

/// How a take ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeOutcome {
    /// Taken now.
    Taken,
    /// An earlier take had already worked.
    AlreadyTaken,
}

/// An error a connector reports for a call or an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConnectorError {
    /// The mall refused the credentials.
    #[error("authentication failed: {message} (check the shop's partner code and API password)")]
    Auth {
        /// The mall's words.
        message: String,
    },
    /// The mall asks to wait.
    #[error("rate limited by the mall: retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after_secs: u32,
    },
    /// A fault that may pass.
    #[error("temporary failure: {message}")]
    Transient {
        /// What happened.
        message: String,
    },
    /// A field of the request or record is wrong.
    #[error("invalid `{field}`: {message}")]
    InvalidInput {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Not supported by the mall or plugin.
    #[error("unsupported: {message}")]
    Unsupported {
        /// What.
        message: String,
    },
    /// The mall's own error for this order.
    #[error("the mall answered {code}: {message}")]
    Remote {
        /// The mall's code.
        code: String,
        /// The mall's message.
        message: String,
    },
    /// The host refused one of the plugin's requests.
    #[error("the host refused a request of the plugin: {message}")]
    HostRefused {
        /// Why.
        message: String,
    },
}

impl ConnectorError {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ConnectorError::RateLimited { .. } | ConnectorError::Transient { .. }
        )
    }
}
