//! `[shops.labels]`: what the carriers' label software needs of a shop (see `labels`): the
//! sender (ご依頼主) block, B2クラウド's 請求先顧客コード and 運賃管理番号, the 送り状種類 per mall
//! delivery method, time-slot codes, e飛伝's お客様コード, time-slot and speed codes, which label
//! program each carrier prints with, and the shop's own character replacements. Checked when
//! the config loads: codes of the shape B2 takes, one character per replacement key.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ConfigError;

/// A shop's label settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelConfig {
    /// ご依頼主名 (the shop's name on the slip).
    pub sender_name: String,
    /// ご依頼主電話番号.
    pub sender_phone: String,
    /// ご依頼主郵便番号.
    pub sender_postal: String,
    /// ご依頼主住所.
    pub sender_address: String,
    /// ご依頼主アパートマンション.
    pub sender_building: String,
    /// B2's 請求先顧客コード (the shop's, required by B2).
    pub b2_customer_code: String,
    /// B2's 運賃管理番号 (`01` unless Yamato gave another).
    pub b2_freight_no: String,
    /// The mall's delivery-method label → B2's 送り状種類 (`0` 発払い, `8` コンパクト, `A` or
    /// `7` ネコポス …); a method not listed is 発払い (コレクト when the buyer pays on delivery).
    pub b2_slip_types: BTreeMap<String, String>,
    /// The merchant's time slot → B2's 配達時間帯 code, over the built-in table.
    pub b2_time_slots: BTreeMap<String, String>,
    /// A character outside JIS X 0208 → what to write instead, over the built-in table.
    pub replace: BTreeMap<char, String>,
    /// e飛伝's お客様コード (optional: e飛伝 fills the logged-in customer's).
    pub ehiden_customer_code: String,
    /// The merchant's time slot → e飛伝's 配達指定時間帯 code, over the built-in table.
    pub ehiden_time_slots: BTreeMap<String, String>,
    /// The mall's delivery-method label → e飛伝's スピード指定 code (not listed: empty, e飛伝's
    /// default service).
    pub ehiden_speeds: BTreeMap<String, String>,
    /// Our carrier id → the label program it prints with (`b2`, `ehiden`, `yupri`,
    /// `clickpost`), over [`DEFAULT_FORMATS`]: an export in a format takes the deliveries of the
    /// carriers that use it.
    pub formats: BTreeMap<String, String>,
}

/// Which label program each of the usual carrier ids prints with, unless a shop says otherwise.
pub const DEFAULT_FORMATS: &[(&str, &str)] = &[
    ("yamato", "b2"),
    ("sagawa", "ehiden"),
    ("japanpost", "yupri"),
];

/// The label formats there are.
pub const FORMAT_IDS: &[&str] = &["b2", "ehiden", "yupri", "clickpost"];

impl LabelConfig {
    /// The label program `carrier`'s slips are printed with, if any.
    pub fn format_of(&self, carrier: &str) -> Option<&str> {
        self.formats.get(carrier).map(String::as_str).or_else(|| {
            DEFAULT_FORMATS
                .iter()
                .find(|(c, _)| *c == carrier)
                .map(|(_, f)| *f)
        })
    }

    /// Every carrier with its label program: the shop's over the defaults.
    pub fn all_formats(&self) -> Vec<(String, String)> {
        let mut all: BTreeMap<String, String> = DEFAULT_FORMATS
            .iter()
            .map(|(c, f)| (c.to_string(), f.to_string()))
            .collect();
        all.extend(self.formats.clone());
        all.into_iter().collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLabels {
    sender_name: Option<String>,
    sender_phone: Option<String>,
    sender_postal: Option<String>,
    sender_address: Option<String>,
    sender_building: Option<String>,
    b2_customer_code: Option<String>,
    b2_freight_no: Option<String>,
    #[serde(default)]
    b2_slip_types: BTreeMap<String, String>,
    #[serde(default)]
    b2_time_slots: BTreeMap<String, String>,
    #[serde(default)]
    replace: BTreeMap<String, String>,
    ehiden_customer_code: Option<String>,
    #[serde(default)]
    ehiden_time_slots: BTreeMap<String, String>,
    #[serde(default)]
    ehiden_speeds: BTreeMap<String, String>,
    #[serde(default)]
    formats: BTreeMap<String, String>,
}

/// The slip types B2 knows.
const SLIP_TYPES: &[&str] = &["0", "2", "3", "4", "5", "6", "7", "8", "9", "A"];

/// `[shops.labels]`, checked.
pub(super) fn labels(shop: &str, raw: &RawLabels) -> Result<LabelConfig, ConfigError> {
    let err = |key: &str, problem: String, fix: &str| ConfigError::Shop {
        shop: shop.to_string(),
        key: format!("labels.{key}"),
        problem,
        fix: fix.to_string(),
    };
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_string();
    let customer = text(&raw.b2_customer_code);
    let digits = customer.len() <= 12 && customer.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(err(
            "b2_customer_code",
            format!("{customer:?} is not a 請求先顧客コード"),
            "write the digits Yamato gave the shop (e.g. \"012345678901\")",
        ));
    }
    let freight = raw
        .b2_freight_no
        .as_deref()
        .map_or("01", str::trim)
        .to_string();
    if !(freight.len() == 2 && freight.bytes().all(|b| b.is_ascii_digit())) {
        return Err(err(
            "b2_freight_no",
            format!("{freight:?} is not a 運賃管理番号"),
            "write two digits, usually \"01\"",
        ));
    }
    for (method, code) in &raw.b2_slip_types {
        if !SLIP_TYPES.contains(&code.as_str()) {
            return Err(err(
                "b2_slip_types",
                format!("{method:?} = {code:?} is not a 送り状種類"),
                "use 0 発払い, 2 コレクト, 3 DM便, 4 タイム, 5 着払い, 7 or A ネコポス, 8 宅急便コンパクト, 9 コンパクトコレクト",
            ));
        }
    }
    for (slot, code) in &raw.b2_time_slots {
        if !(code.is_empty() || code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit())) {
            return Err(err(
                "b2_time_slots",
                format!("{slot:?} = {code:?} is not a 配達時間帯 code"),
                "use four digits (0812 午前中, 1416, 1618, 1820, 1921) or \"\" for 指定なし",
            ));
        }
    }
    let ehiden_customer = text(&raw.ehiden_customer_code);
    if !(ehiden_customer.len() <= 12 && ehiden_customer.bytes().all(|b| b.is_ascii_digit())) {
        return Err(err(
            "ehiden_customer_code",
            format!("{ehiden_customer:?} is not an e飛伝 お客様コード"),
            "write the digits Sagawa gave the shop, or leave the key out",
        ));
    }
    let code = |c: &str, max: usize| c.len() <= max && c.bytes().all(|b| b.is_ascii_digit());
    for (slot, c) in &raw.ehiden_time_slots {
        if !code(c, 2) {
            return Err(err(
                "ehiden_time_slots",
                format!("{slot:?} = {c:?} is not a 配達指定時間帯 code"),
                "use two digits (the built-in table: 01 午前中, 12, 14, 16, 18, 19, 04 18-21) or \"\" for 指定なし",
            ));
        }
    }
    for (method, c) in &raw.ehiden_speeds {
        if !code(c, 3) {
            return Err(err(
                "ehiden_speeds",
                format!("{method:?} = {c:?} is not a スピード指定 code"),
                "use the digits of e飛伝's スピード指定 (at most three), or \"\"",
            ));
        }
    }
    for (carrier, f) in &raw.formats {
        if !FORMAT_IDS.contains(&f.as_str()) {
            return Err(err(
                "formats",
                format!("{carrier:?} = {f:?} is not a label format"),
                "use b2, ehiden, yupri or clickpost",
            ));
        }
    }
    let mut replace = BTreeMap::new();
    for (from, to) in &raw.replace {
        let mut chars = from.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => {
                replace.insert(c, to.clone());
            }
            _ => {
                return Err(err(
                    "replace",
                    format!("{from:?} is not one character"),
                    "write one entry per character, e.g. \"髙\" = \"高\"",
                ));
            }
        }
    }
    Ok(LabelConfig {
        sender_name: text(&raw.sender_name),
        sender_phone: text(&raw.sender_phone),
        sender_postal: text(&raw.sender_postal),
        sender_address: text(&raw.sender_address),
        sender_building: text(&raw.sender_building),
        b2_customer_code: customer,
        b2_freight_no: freight,
        b2_slip_types: raw.b2_slip_types.clone(),
        b2_time_slots: raw.b2_time_slots.clone(),
        replace,
        ehiden_customer_code: ehiden_customer,
        ehiden_time_slots: raw.ehiden_time_slots.clone(),
        ehiden_speeds: raw.ehiden_speeds.clone(),
        formats: raw.formats.clone(),
    })
}
