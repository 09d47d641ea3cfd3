//! Shipping day: the carriers' label software round trip. [`export`] writes the import file of
//! the carrier's program (B2クラウド, e飛伝III, ゆうプリR, クリックポスト) for the orders ready to go, one row per slip, each
//! with its own short お客様管理番号 the host issues and keeps (`store::slips`); everything that
//! would go wrong in the carrier's program (characters outside JIS X 0208, byte limits, cash on
//! delivery) is found first and listed per order and field ([`Problem`]). [`import`] reads the
//! issued-data file back (B2, e飛伝 or ゆうプリR's 発送履歴, CP932 or UTF-8 with BOM), matches rows
//! by that key, refuses what Excel damaged, and sets every delivery's tracking number in one
//! transaction, so the next export sends them to the mall. [`text`] is the character and byte
//! rules, `fields` a slip's fields on their way in, [`b2`] B2's layout, [`ehiden`] e飛伝III's and
//! [`post`] 日本郵便's (ゆうプリR, クリックポスト).

pub mod b2;
pub mod ehiden;
mod export;
mod fields;
mod import;
mod issued;
pub mod post;
pub mod text;

pub use export::{
    ExportPlan, LeftOut, LeftOutReason, PlannedSlip, Selection, export, render, render_files,
};
pub use import::{ImportPlan, IssuedRow, LabelImport, RowChange, apply, plan_import};
pub use issued::{IssuedError, IssuedProblem, NotIssued};

use serde::Serialize;

/// A label file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum Format {
    /// ヤマト運輸 B2クラウド.
    B2,
    /// 佐川急便 e飛伝III (標準_飛脚宅急便_CSV_ヘッダ有り).
    Ehiden,
    /// 日本郵便 ゆうパックプリントR.
    Yupri,
    /// 日本郵便 クリックポスト (まとめ申込; no issued data to read back).
    ClickPost,
}

impl Format {
    /// The id in the database, the CLI and the config.
    pub fn id(self) -> &'static str {
        match self {
            Format::B2 => "b2",
            Format::Ehiden => "ehiden",
            Format::Yupri => "yupri",
            Format::ClickPost => "clickpost",
        }
    }

    /// Every format, in the order the console offers them.
    pub const ALL: [Format; 4] = [Format::B2, Format::Ehiden, Format::Yupri, Format::ClickPost];

    /// The name staff know the program by.
    pub fn name(self) -> &'static str {
        match self {
            Format::B2 => "B2クラウド（ヤマト運輸）",
            Format::Ehiden => "e飛伝III（佐川急便）",
            Format::Yupri => "ゆうプリR（日本郵便）",
            Format::ClickPost => "クリックポスト（日本郵便）",
        }
    }

    /// The carrier (the merchant's carrier id) whose program the format is.
    pub fn carrier(self) -> &'static str {
        match self {
            Format::B2 => "yamato",
            Format::Ehiden => "sagawa",
            Format::Yupri | Format::ClickPost => "japanpost",
        }
    }

    /// The format of an id.
    pub fn from_id(id: &str) -> Option<Format> {
        match id {
            "b2" => Some(Format::B2),
            "ehiden" => Some(Format::Ehiden),
            "yupri" => Some(Format::Yupri),
            "clickpost" => Some(Format::ClickPost),
            _ => None,
        }
    }
}

/// Something found in a slip's row before the file is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The mall's order number.
    pub order: String,
    /// The delivery.
    pub delivery: u32,
    /// The field, as the carrier's program names it.
    pub field: &'static str,
    /// What.
    pub kind: ProblemKind,
}

/// What is wrong with a field, or was changed on its way into the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// Longer than the format allows (CP932 bytes).
    TooLong {
        /// Its length.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Cut to the limit with a `…`, as asked (`--cut`).
    Cut {
        /// Its length before.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A character outside JIS X 0208 with no replacement.
    NoReplacement {
        /// The character.
        ch: char,
    },
    /// A character replaced through the table.
    Replaced {
        /// What the order says.
        from: char,
        /// What the file gets.
        to: String,
    },
    /// Cash on delivery outside what the carrier collects.
    CashOnDeliveryRange {
        /// The billing total.
        amount: i64,
    },
    /// Cash on delivery over several deliveries: the carrier collects per slip.
    CashOnDeliverySplit {
        /// Deliveries.
        deliveries: usize,
        /// The billing total.
        amount: i64,
    },
    /// Cash on delivery with a slip type that cannot collect (ネコポス, DM便).
    NoCashOnDelivery {
        /// The mall's delivery method.
        method: String,
        /// The slip type configured for it.
        slip_type: String,
    },
    /// A time slot the format has no code for: left empty (指定なし).
    TimeSlotDropped {
        /// The merchant's time slot.
        slot: String,
        /// The shop's table of the format's codes, under `[shops.labels]`.
        table: &'static str,
    },
    /// A setting the format needs is not in the config.
    Missing {
        /// The key under `[shops.labels]`.
        key: &'static str,
    },
}

impl Problem {
    /// Whether the row cannot be written (the others are listed, and the row goes in).
    pub fn stops(&self) -> bool {
        !matches!(
            self.kind,
            ProblemKind::Cut { .. }
                | ProblemKind::Replaced { .. }
                | ProblemKind::TimeSlotDropped { .. }
        )
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "order {} delivery {}, {}: ",
            self.order, self.delivery, self.field
        )?;
        match &self.kind {
            ProblemKind::TooLong { bytes, limit } => write!(
                f,
                "{bytes} bytes, {} over the limit of {limit} (CP932, 全角 = 2); shorten it on the order, or export with --cut to cut it with a visible …",
                bytes - limit
            ),
            ProblemKind::Cut { bytes, limit } => {
                write!(f, "cut from {bytes} to {limit} bytes, marked with …")
            }
            ProblemKind::NoReplacement { ch } => write!(
                f,
                "{ch:?} (U+{:04X}) is outside JIS X 0208, which the label software takes, and has no replacement; add one under [shops.labels] replace, e.g. \"{ch}\" = \"…\"",
                u32::from(*ch)
            ),
            ProblemKind::Replaced { from, to } => write!(f, "{from:?} written as {to:?}"),
            ProblemKind::CashOnDeliveryRange { amount } => write!(
                f,
                "cash on delivery of {amount} yen is outside 1..={} yen, what the carrier collects; take the payment another way",
                b2::MAX_COD
            ),
            ProblemKind::CashOnDeliverySplit { deliveries, amount } => write!(
                f,
                "cash on delivery of {amount} yen over {deliveries} deliveries: the carrier collects per slip; make these slips by hand with each slip's share"
            ),
            ProblemKind::NoCashOnDelivery { method, slip_type } => write!(
                f,
                "cash on delivery, but {method:?} is sent as slip type {slip_type:?}, which cannot collect; change the delivery method or b2_slip_types"
            ),
            ProblemKind::TimeSlotDropped { slot, table } => write!(
                f,
                "time slot {slot:?} has no code in the format: left empty (指定なし); give it one under [shops.labels] {table}"
            ),
            ProblemKind::Missing { key } => {
                write!(f, "no {key} under [shops.labels] in the config file")
            }
        }
    }
}

/// Why a label export or import could not be done at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// The database.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The file could not be read.
    #[error(transparent)]
    File(#[from] crate::csv::CsvError),
    /// The file is not an issued-data file this host reads.
    #[error("{path}: {}; {}; nothing was imported", kind.words().0, kind.words().1)]
    NotIssuedData {
        /// The file.
        path: String,
        /// What it is not.
        kind: NotIssued,
    },
}

#[cfg(test)]
mod tests;
