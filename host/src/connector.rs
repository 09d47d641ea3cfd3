//! What the host asks of a mall connector, in the host's own types: independent of the WIT
//! contract version a plugin was built against (each version's module converts to these).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::model::{Order, OrderSource};

/// What a plugin says it is and needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginInfo {
    /// Mall id, e.g. `mymall`.
    pub mall_id: String,
    /// Mall name, e.g. `マイモール`.
    pub mall_name: String,
    /// The plugin's version.
    pub plugin_version: String,
    /// The contract version it implements, e.g. `0.1.0`.
    pub contract_version: String,
    /// CSV imports: the header whose equal values group rows into one order.
    pub csv_order_key: Option<String>,
    /// The shop settings it needs.
    pub settings: Vec<SettingSpec>,
    /// How its mall authenticates requests.
    pub auth: AuthScheme,
    /// How fast its mall lets one credential go, if it limits.
    pub pacing: Option<Pacing>,
    /// The secret holding the shop's signing key, for malls that want signed headers.
    pub signing_key: Option<String>,
    /// What its mall supports.
    pub capabilities: Capabilities,
    /// Headers the host computes for every authenticated request, beside `auth`'s (0.3.0 on).
    pub computed_headers: Vec<ComputedHeader>,
    /// Orders per call, where the mall's pace needs smaller calls (0.3.0 on; 0 = the host's).
    pub batch: BatchSizes,
    /// The mall's status and payment codes in words (0.3.0 on).
    pub words: Vec<CodeWord>,
}

/// How the host computes a header's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HeaderValue {
    /// A template: `{name}` is the setting `name`, `{unix-time}` the host's clock.
    Template {
        /// The template.
        template: String,
    },
    /// A template encrypted with the public key in the setting `key` (RSA PKCS#1 v1.5, base64).
    Encrypted {
        /// The setting holding the PEM.
        key: String,
        /// The template.
        template: String,
    },
}

/// A header the host computes for every authenticated request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComputedHeader {
    /// The header's name.
    pub header: String,
    /// How its value is made.
    pub value: HeaderValue,
}

/// Orders per call a plugin asks for; 0 leaves the host's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct BatchSizes {
    /// Orders per `take-orders` call.
    pub take: u32,
    /// Shipments per `push-shipments` call.
    pub push: u32,
    /// Orders per `order-states` call.
    pub states: u32,
}

impl BatchSizes {
    /// The size of a call: the plugin's, within the host's `most`.
    pub fn of(declared: u32, most: usize) -> usize {
        match declared {
            0 => most,
            n => (n as usize).min(most),
        }
    }
}

/// Which code a word is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// The mall's status code.
    MallStatus,
    /// The mall's payment-method code.
    PaymentMethod,
}

/// A code of the mall in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeWord {
    /// Which code.
    pub kind: CodeKind,
    /// The code.
    pub code: String,
    /// Its words.
    pub words: String,
}

impl PluginInfo {
    /// The plugin's words for a code of `kind`, if it gives them.
    pub fn words_for(&self, kind: CodeKind, code: &str) -> Option<&str> {
        self.words
            .iter()
            .find(|w| w.kind == kind && w.code == code)
            .map(|w| w.words.as_str())
    }
}

/// A shop setting a plugin needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingSpec {
    /// The key, e.g. `partner_code`.
    pub name: String,
    /// What staff call it.
    pub label: String,
    /// A secret: kept by the host, never handed to the plugin.
    pub secret: bool,
    /// The shop cannot run without it.
    pub required: bool,
    /// It expires; the shop gives the date as `<name>_expires`.
    pub expires: bool,
    /// Where the merchant finds or renews it.
    pub help: String,
}

/// Where an access token goes on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "header", rename_all = "snake_case")]
pub enum TokenPlacement {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A header of this name holds the token.
    Header(String),
}

/// How a mall authenticates a request (setting names, never values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scheme", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthScheme {
    /// No credentials.
    None,
    /// HTTP Basic.
    Basic {
        /// The user-name setting.
        user: String,
        /// The password setting.
        password: String,
    },
    /// `<word> base64(first:second)`.
    WordBase64 {
        /// The scheme word, e.g. `ESA`.
        word: String,
        /// The setting before the colon.
        first: String,
        /// The setting after the colon.
        second: String,
    },
    /// `Authorization: Bearer <setting>`.
    Bearer {
        /// The token setting.
        token: String,
    },
    /// A header from a template with `{setting}` placeholders.
    Header {
        /// The header name.
        header: String,
        /// The value template.
        template: String,
    },
    /// A host-run OAuth 2 refresh-token grant.
    OAuth2Refresh {
        /// The token endpoint's URL setting.
        token_url: String,
        /// The client id setting.
        client_id: String,
        /// The client secret setting.
        client_secret: String,
        /// The first refresh token's setting.
        refresh_token: String,
        /// The scope, if any.
        scope: Option<String>,
        /// Where the access token goes.
        placement: TokenPlacement,
    },
}

/// How fast a mall lets one credential go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pacing {
    /// Requests per period.
    pub requests: u32,
    /// The period, milliseconds.
    pub per_millis: u32,
    /// Requests at once after a quiet spell.
    pub burst: u32,
}

/// A carrier as the mall codes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Carrier {
    /// The mall's code.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// What a mall supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Orders can be taken.
    pub take: bool,
    /// Shipments can be registered.
    pub push: bool,
    /// The mall answers the current state of orders.
    pub status_sync: bool,
    /// Orders can come from files.
    pub file_import: bool,
    /// Shipping is registered per delivery (else per order: the first delivery's parcels).
    pub shipping_per_delivery: bool,
    /// Most parcels per delivery (or per order).
    pub max_parcels: u32,
    /// The mall's carrier codes; empty when the plugin does not publish them.
    pub carriers: Vec<Carrier>,
    /// The mall takes one carrier per order (0.3.0 on).
    pub one_carrier_per_order: bool,
}

impl PluginInfo {
    /// What is known of a component before its `info` answers: its contract version.
    pub(crate) fn unknown(contract_version: &str) -> PluginInfo {
        PluginInfo {
            mall_id: String::new(),
            mall_name: String::new(),
            plugin_version: "?".into(),
            contract_version: contract_version.into(),
            csv_order_key: None,
            settings: Vec::new(),
            auth: AuthScheme::None,
            pacing: None,
            signing_key: None,
            capabilities: Capabilities {
                take: false,
                push: false,
                status_sync: false,
                file_import: false,
                shipping_per_delivery: false,
                max_parcels: 0,
                carriers: Vec::new(),
                one_carrier_per_order: false,
            },
            batch: BatchSizes::default(),
            computed_headers: Vec::new(),
            words: Vec::new(),
        }
    }

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// From the mall's verification environment.
    TestOrder,
    /// Younger than the mall's hold time.
    TooRecent,
    /// Another reason, as the plugin's open code and words (e.g. under the mall's review).
    Other {
        /// The code.
        code: String,
        /// In words.
        message: String,
    },
}

/// One page of a fetch: the new orders, each mapped by the plugin (or the error naming why
/// not), the orders left out, and where to carry on.
#[derive(Debug, Clone, Default)]
pub struct FetchPage<E = ConnectorError> {
    /// New orders by the mall's order number (or its position, when unreadable).
    pub orders: Vec<(String, Result<Order, E>)>,
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

/// One parcel: the mall's carrier id and a tracking number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parcel {
    /// The mall's carrier id.
    pub carrier_id: String,
    /// Tracking number.
    pub tracking_number: String,
}

/// The parcels of one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryShipment {
    /// The delivery's number in the order.
    pub delivery_no: u32,
    /// The mall's id of the delivery, if it has one.
    pub mall_delivery_id: Option<String>,
    /// Its parcels.
    pub parcels: Vec<Parcel>,
}

/// Shipping to register on a mall for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shipment {
    /// The mall's order number.
    pub mall_order_number: String,
    /// Ship date (JST).
    pub shipped_date: NaiveDate,
    /// Per delivery, at least one, the first first.
    pub deliveries: Vec<DeliveryShipment>,
}

impl Shipment {
    /// The shipment's data as one key: the date and every delivery's parcels. Two pushes with
    /// the same key sent the same thing; a changed number, an added parcel or another date is a
    /// new version to send.
    pub fn data_key(&self) -> String {
        let mut key = self.shipped_date.to_string();
        for d in &self.deliveries {
            key.push_str(&format!("|{}:", d.delivery_no));
            for (i, p) in d.parcels.iter().enumerate() {
                if i > 0 {
                    key.push(',');
                }
                key.push_str(&format!("{}/{}", p.carrier_id, p.tracking_number));
            }
        }
        key
    }

    /// The first parcel (what a mall that ships per order with one number gets).
    pub fn first_parcel(&self) -> Option<&Parcel> {
        self.deliveries.first().and_then(|d| d.parcels.first())
    }
}

/// How a take ended (without an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeOutcome {
    /// Taken now.
    Taken,
    /// An earlier take had already worked.
    AlreadyTaken,
    /// Cancelled on the mall (its words): never counted as taken.
    Cancelled(String),
}

/// The mall's state of an order, as the host acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MallState {
    /// Not taken yet.
    New,
    /// Taken, being handled.
    Open,
    /// Shipped.
    Shipped,
    /// Cancelled.
    Cancelled,
}

/// An order's state on the mall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderState {
    /// The host's reading.
    pub state: MallState,
    /// The mall's status code.
    pub mall_status: String,
    /// In words.
    pub message: String,
    /// Whether the buyer has paid, if the mall says (0.3.0 on).
    pub payment: Option<crate::model::PaymentState>,
    /// Why it was cancelled, in words (0.3.0 on).
    pub cancel_reason: Option<String>,
    /// The mall holds the order, in its words (0.3.0 on).
    pub hold: Option<String>,
}

/// An error a connector reports for a call or an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConnectorError {
    /// The mall refused the credentials.
    #[error("authentication failed: {message} (check the shop's credentials in the config file)")]
    Auth {
        /// The mall's words.
        message: String,
    },
    /// The mall asks to wait.
    #[error("rate limited by the mall: retry after {} s", *retry_after_ms as f64 / 1000.0)]
    RateLimited {
        /// Milliseconds to wait.
        retry_after_ms: u32,
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

    /// The error with `f` applied to each of its texts: `message` (`message`), and the field and
    /// code names (`name`).
    pub fn map_texts(
        self,
        message: impl Fn(String) -> String,
        name: impl Fn(String) -> String,
    ) -> ConnectorError {
        use ConnectorError as E;
        match self {
            E::Auth { message: m } => E::Auth {
                message: message(m),
            },
            E::RateLimited { retry_after_ms } => E::RateLimited { retry_after_ms },
            E::Transient { message: m } => E::Transient {
                message: message(m),
            },
            E::InvalidInput { field, message: m } => E::InvalidInput {
                field: name(field),
                message: message(m),
            },
            E::Unsupported { message: m } => E::Unsupported {
                message: message(m),
            },
            E::Remote { code, message: m } => E::Remote {
                code: name(code),
                message: message(m),
            },
            E::HostRefused { message: m } => E::HostRefused {
                message: message(m),
            },
        }
    }
}
