//! What can be wrong with an issued-data file or one of its rows (see `import`): each a kind
//! with its facts, so that every reader gets it in its own words — the CLI in English naming its
//! flags (`Display`), the console in Japanese naming its own screens and fields (`console`).

use serde::Serialize;

use super::Format;

/// Why a whole file is not read as issued data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotIssued {
    /// A line is not CSV.
    Unreadable {
        /// The line.
        line: usize,
        /// What the CSV reader said.
        error: String,
    },
    /// Nothing in it.
    Empty,
    /// ゆうプリR's 発送予定 file: no numbers before 発送確定.
    YupriPlanned,
    /// A key column but no tracking-number column.
    NoNumberColumn,
    /// No key column.
    NoKeyColumn,
}

impl NotIssued {
    /// What is wrong, and what to do, in the operator's words.
    pub fn words(&self) -> (String, &'static str) {
        match self {
            NotIssued::Unreadable { line, error } => (
                format!("line {line} cannot be read as CSV ({error})"),
                "bring the file the carrier's program wrote, unchanged",
            ),
            NotIssued::Empty => (
                "the file is empty".into(),
                "bring the issued-data file (発行済データ)",
            ),
            NotIssued::YupriPlanned => (
                "this is ゆうパックプリントR's 発送予定 file: it has no tracking numbers yet (they exist only after 発送確定)".into(),
                "confirm the shipment in ゆうプリR (発送確定), then export its 発送履歴 file and import that",
            ),
            NotIssued::NoNumberColumn => (
                "the header has お客様管理番号 but no tracking-number column (伝票番号, お問い合せ送り状No., お問い合わせ番号)".into(),
                "export the issued data (発行済データ) after printing, which has the numbers",
            ),
            NotIssued::NoKeyColumn => (
                "no お客様管理番号 column: this is not an issued-data file of B2クラウド, e飛伝 or ゆうプリR".into(),
                "bring the issued data (発行済データ / 出荷実績 / 発送履歴) of slips exported from mallhost",
            ),
        }
    }
}

/// Why a row of an issued-data file is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IssuedProblem {
    /// No お客様管理番号 (a slip typed by hand).
    NoKey,
    /// Excel's exponent form of a long number.
    ExcelExponent {
        /// The cell.
        raw: String,
    },
    /// No tracking number: the slip was not issued.
    NoNumber,
    /// Not digits.
    NotDigits {
        /// The cell.
        raw: String,
    },
    /// 9–11 digits: leading zeros lost.
    LeadingZerosLost {
        /// The cell.
        raw: String,
        /// Its digits.
        digits: usize,
    },
    /// Not a date.
    NotADate {
        /// The cell.
        raw: String,
    },
    /// The same key on several lines.
    KeyTwice {
        /// The key.
        key: String,
        /// The lines.
        lines: Vec<usize>,
    },
    /// A key this host never issued.
    UnknownKey {
        /// The key.
        key: String,
    },
    /// The slip's shop is not configured.
    ShopGone {
        /// The shop.
        shop: String,
    },
    /// The slip was exported for another carrier's program.
    OtherProgram {
        /// What it was exported as.
        exported: Format,
        /// What this file is.
        file: Format,
    },
    /// The tracking number breaks the carrier's rule (check digit, length).
    Tracking {
        /// The order.
        order: String,
        /// The delivery.
        delivery: u32,
        /// The rule broken.
        error: crate::tracking::TrackingError,
    },
    /// The shop has no mall id for the carrier.
    NoCarrierId {
        /// The shop.
        shop: String,
        /// The carrier.
        carrier: String,
    },
    /// The delivery is gone from the order.
    DeliveryGone {
        /// The order.
        order: String,
        /// The delivery.
        delivery: u32,
    },
    /// A further parcel has a number already.
    ParcelHasNumber {
        /// The order.
        order: String,
        /// The delivery.
        delivery: u32,
        /// The parcel.
        parcel: u32,
        /// Its number.
        old: String,
    },
    /// A further parcel whose earlier ones are neither stored nor in the file.
    EarlierParcelsMissing {
        /// The order.
        order: String,
        /// The delivery.
        delivery: u32,
        /// The parcel.
        parcel: u32,
    },
}

impl std::fmt::Display for IssuedProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IssuedProblem::NoKey => write!(
                f,
                "no お客様管理番号: a slip typed by hand cannot be matched; enter its number on the order's page"
            ),
            IssuedProblem::ExcelExponent { raw } => write!(
                f,
                "{raw:?} is how Excel shows a long number: its digits are lost; import the file the carrier's program wrote, not one saved again by Excel"
            ),
            IssuedProblem::NoNumber => write!(
                f,
                "no tracking number: the slip was not issued; print it, or leave the row out"
            ),
            IssuedProblem::NotDigits { raw } => {
                write!(f, "{raw:?} is not a tracking number (digits only)")
            }
            IssuedProblem::LeadingZerosLost { raw, digits } => write!(
                f,
                "{raw:?} has {digits} digits, not 12: its leading zeros were lost (Excel drops them); import the file the carrier's program wrote"
            ),
            IssuedProblem::NotADate { raw } => write!(f, "{raw:?} is not a date (YYYY/MM/DD)"),
            IssuedProblem::KeyTwice { key, lines } => write!(
                f,
                "the key {key} is on lines {}: each slip is issued once, so these rows cannot be told apart; keep the right one",
                lines
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            IssuedProblem::UnknownKey { key } => write!(
                f,
                "{key} is not a key this host issued (a slip typed by hand, or from another program); enter its number on the order's page"
            ),
            IssuedProblem::ShopGone { shop } => write!(
                f,
                "the slip is for shop {shop:?}, which is not in the config"
            ),
            IssuedProblem::OtherProgram { exported, file } => write!(
                f,
                "the slip was exported for {} ({}), but this is a file of {}",
                exported.id(),
                exported.carrier(),
                file.id()
            ),
            IssuedProblem::Tracking {
                order,
                delivery,
                error,
            } => write!(f, "order {order} delivery {delivery}: {error}"),
            IssuedProblem::NoCarrierId { shop, carrier } => write!(
                f,
                "shop {shop} has no carrier id for {carrier} (配送業者ID設定); add it under [shops.carrier_ids]"
            ),
            IssuedProblem::DeliveryGone { order, delivery } => {
                write!(f, "order {order} has no delivery {delivery} any more")
            }
            IssuedProblem::ParcelHasNumber {
                order,
                delivery,
                parcel,
                old,
            } => write!(
                f,
                "order {order} delivery {delivery} parcel {parcel} has number {old} already; change it on the order's page"
            ),
            IssuedProblem::EarlierParcelsMissing {
                order,
                delivery,
                parcel,
            } => write!(
                f,
                "order {order} delivery {delivery} parcel {parcel}: the numbers of its earlier parcels are neither stored nor in the file; import them with it"
            ),
        }
    }
}

/// A refused row: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedError {
    /// The line in the file (1 = the header, when there is one).
    pub line: usize,
    /// The row's お客様管理番号, if it has one.
    pub key: Option<String>,
    /// The column, as the file's header names it.
    pub column: Option<String>,
    /// Why.
    pub problem: IssuedProblem,
    /// Why, in the operator's words (the problem's `Display`).
    pub reason: String,
}

impl IssuedError {
    /// The error of row `line`.
    pub fn new(
        line: usize,
        key: Option<String>,
        column: Option<String>,
        problem: IssuedProblem,
    ) -> IssuedError {
        IssuedError {
            line,
            key,
            column,
            reason: problem.to_string(),
            problem,
        }
    }
}
