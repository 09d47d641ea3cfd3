//! ヤマト運輸 B2クラウド's import file (外部データから発行): one row per slip in B2's 42 core
//! columns, a header row (取込開始行 = 2), CP932 and CRLF. Every field is fitted to JIS X 0208
//! and measured in CP932 bytes against B2's limits before the file is written: a row that does
//! not fit is reported with its order, field and bytes over, never cut unless staff ask (then
//! with a visible `…`, and listed). Cash on delivery (コレクト) carries the amount the buyer pays
//! and its tax, checked against the order's billing total. The rules are one pure function
//! ([`row`]) with a test each.

use chrono::NaiveDate;

use super::fields::Fields;
use super::text::Fitter;
use super::{Problem, ProblemKind};
use crate::config::LabelConfig;
use crate::model::{Delivery, Order};

/// B2's 42 core columns, in order.
pub const HEADER: [&str; 42] = [
    "お客様管理番号",
    "送り状種類",
    "クール区分",
    "伝票番号",
    "出荷予定日",
    "お届け予定日",
    "配達時間帯",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先電話番号枝番",
    "お届け先郵便番号",
    "お届け先住所",
    "お届け先アパートマンション名",
    "お届け先会社・部門１",
    "お届け先会社・部門２",
    "お届け先名",
    "お届け先名(ｶﾅ)",
    "敬称",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主電話番号枝番",
    "ご依頼主郵便番号",
    "ご依頼主住所",
    "ご依頼主アパートマンション",
    "ご依頼主名",
    "ご依頼主名(ｶﾅ)",
    "品名コード１",
    "品名１",
    "品名コード２",
    "品名２",
    "荷扱い１",
    "荷扱い２",
    "記事",
    "ｺﾚｸﾄ代金引換額（税込)",
    "内消費税額等",
    "止置き",
    "営業所コード",
    "発行枚数",
    "個数口表示フラグ",
    "請求先顧客コード",
    "請求先分類コード",
    "運賃管理番号",
];

/// The highest amount B2 collects on delivery (コレクト), in yen.
pub const MAX_COD: i64 = 300_000;

/// 送り状種類: 発払い.
pub const PREPAID: &str = "0";
/// 送り状種類: コレクト (cash on delivery).
pub const COLLECT: &str = "2";
/// 送り状種類: 宅急便コンパクト.
pub const COMPACT: &str = "8";
/// 送り状種類: 宅急便コンパクトコレクト.
pub const COMPACT_COLLECT: &str = "9";

/// B2's 配達時間帯 codes for the merchant's time slots (a shop's `b2_time_slots` is laid over
/// them). `12-14` is no B2 slot any more: it is left empty, saying so.
pub const DEFAULT_TIME_SLOTS: &[(&str, &str)] = &[
    ("午前中", "0812"),
    ("14-16", "1416"),
    ("16-18", "1618"),
    ("18-20", "1820"),
    ("19-21", "1921"),
    ("指定なし", ""),
];

/// One slip to write: the host's key, the order and the delivery it carries.
#[derive(Debug, Clone, Copy)]
pub struct Slip<'a> {
    /// お客様管理番号, issued and kept by the host.
    pub key: &'a str,
    /// The order.
    pub order: &'a Order,
    /// The delivery (one slip each).
    pub delivery: &'a Delivery,
    /// 出荷予定日.
    pub ship_date: NaiveDate,
}

/// Whether the buyer pays on delivery (代金引換): a COD fee, a COD fee line (even of 0 yen, a
/// shop that waives it), or a payment method that says so in words or as the usual code.
pub fn cash_on_delivery(order: &Order) -> bool {
    let method = order.payment_method.trim();
    order.amounts.cod_fee > 0
        || order
            .fees
            .iter()
            .any(|f| f.kind == crate::model::FeeKind::Cod)
        || method.contains("代引")
        || method.contains("代金引換")
        || method
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w.eq_ignore_ascii_case("cod"))
        || method.eq_ignore_ascii_case("cash_on_delivery")
}

/// Each line's name as a slip shows it: the mall's or the product master's (else the item
/// code), with the options the buyer chose.
pub fn line_names(d: &Delivery) -> Vec<String> {
    d.lines
        .iter()
        .map(|l| {
            let n = l
                .product_name
                .clone()
                .unwrap_or_else(|| l.item_code.clone());
            match &l.option_text {
                Some(o) if !o.is_empty() => format!("{n} {o}"),
                _ => n,
            }
        })
        .collect()
}

/// The amount the carrier collects for `order` (its billing total), with the problems of
/// `field` when it cannot: several deliveries (the carrier collects per slip), or outside
/// 1..=[`MAX_COD`] yen.
pub(super) fn collected(f: &mut Fields<'_>, order: &Order, field: &'static str) -> i64 {
    let amount = order.amounts.billing_total;
    if order.deliveries.len() > 1 {
        f.problem(
            field,
            ProblemKind::CashOnDeliverySplit {
                deliveries: order.deliveries.len(),
                amount,
            },
        );
    } else if !(1..=MAX_COD).contains(&amount) {
        f.problem(field, ProblemKind::CashOnDeliveryRange { amount });
    }
    amount
}

/// The consumption tax included in `amount` (the buyer's total), shared out over the order's
/// tax rates by the lines' gross amounts (fees at 10 %), rounded down per rate.
pub fn included_tax(order: &Order, amount: i64) -> i64 {
    let mut by_rate: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for d in &order.deliveries {
        for l in &d.lines {
            let gross = l.unit_price.saturating_mul(i64::from(l.quantity));
            *by_rate.entry(i64::from(l.tax_rate)).or_default() += gross;
        }
    }
    let fees = order.amounts.shipping_fee + order.amounts.cod_fee;
    *by_rate.entry(10).or_default() += fees;
    let gross: i64 = by_rate.values().sum();
    if gross <= 0 || amount <= 0 {
        return 0;
    }
    by_rate
        .iter()
        .map(|(rate, part)| {
            let share = i128::from(amount) * i128::from(*part) / i128::from(gross);
            let tax = share * i128::from(*rate) / i128::from(100 + rate);
            i64::try_from(tax).unwrap_or(0)
        })
        .sum()
}

/// Full-width katakana (and spaces) as B2's half-width ｶﾅ; anything else is left out.
pub fn half_width_kana(text: &str) -> String {
    const FULL: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォッャュョーガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ・";
    const HALF: [&str; 83] = [
        "ｱ", "ｲ", "ｳ", "ｴ", "ｵ", "ｶ", "ｷ", "ｸ", "ｹ", "ｺ", "ｻ", "ｼ", "ｽ", "ｾ", "ｿ", "ﾀ", "ﾁ", "ﾂ",
        "ﾃ", "ﾄ", "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", "ﾊ", "ﾋ", "ﾌ", "ﾍ", "ﾎ", "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", "ﾔ",
        "ﾕ", "ﾖ", "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", "ﾜ", "ｦ", "ﾝ", "ｧ", "ｨ", "ｩ", "ｪ", "ｫ", "ｯ", "ｬ", "ｭ",
        "ｮ", "ｰ", "ｶﾞ", "ｷﾞ", "ｸﾞ", "ｹﾞ", "ｺﾞ", "ｻﾞ", "ｼﾞ", "ｽﾞ", "ｾﾞ", "ｿﾞ", "ﾀﾞ", "ﾁﾞ", "ﾂﾞ", "ﾃﾞ", "ﾄﾞ", "ﾊﾞ",
        "ﾋﾞ", "ﾌﾞ", "ﾍﾞ", "ﾎﾞ", "ﾊﾟ", "ﾋﾟ", "ﾌﾟ", "ﾍﾟ", "ﾎﾟ", "ｳﾞ", "･",
    ];
    let mut out = String::new();
    for c in text.chars() {
        if let Some(i) = FULL.chars().position(|f| f == c) {
            out.push_str(HALF[i]);
        } else if c == ' ' || c == '\u{3000}' {
            out.push(' ');
        } else if ('\u{FF61}'..='\u{FF9F}').contains(&c) || c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// The row of one slip, and what is wrong with it or was changed on the way. `cut`: fields
/// over their limit are cut with a `…` (and listed) instead of stopping the row.
pub fn row(
    slip: &Slip<'_>,
    cfg: &LabelConfig,
    fitter: &Fitter,
    cut: bool,
) -> (Vec<String>, Vec<Problem>) {
    let order = slip.order;
    let d = slip.delivery;
    let mut f = Fields::new(&order.mall_order_number, d.delivery_no, fitter, cut);
    let r = &d.recipient;
    let name = f.text("お届け先名", &r.name, 32);
    let address = f.text(
        "お届け先住所",
        &format!("{}{}", r.prefecture, r.address1),
        64,
    );
    let building = f.text("お届け先アパートマンション名", &r.address2, 32);
    let kana = half_width_kana(&r.name_kana);
    let kana = f.text("お届け先名(ｶﾅ)", &kana, 50);
    let names = line_names(d);
    let item1 = f.text("品名１", names.first().map_or("", String::as_str), 50);
    let item2 = match names.len() {
        0 | 1 => String::new(),
        2 => f.text("品名２", &names[1], 50),
        n => f.text("品名２", &format!("{} 他{}点", names[1], n - 2), 50),
    };
    let sender_name = f.text("ご依頼主名", &cfg.sender_name, 32);
    let sender_address = f.text("ご依頼主住所", &cfg.sender_address, 64);
    let sender_building = f.text("ご依頼主アパートマンション", &cfg.sender_building, 32);
    let cod = cash_on_delivery(order);
    let configured = cfg.b2_slip_types.get(&d.delivery_method).cloned();
    let slip_type = match (configured.as_deref(), cod) {
        (None, false) => PREPAID.to_string(),
        (None, true) => COLLECT.to_string(),
        (Some(COMPACT), true) => COMPACT_COLLECT.to_string(),
        (Some(t @ (PREPAID | COLLECT | COMPACT_COLLECT)), true) => {
            if t == PREPAID {
                COLLECT.to_string()
            } else {
                t.to_string()
            }
        }
        (Some(t), true) => {
            f.problem(
                "送り状種類",
                ProblemKind::NoCashOnDelivery {
                    method: d.delivery_method.clone(),
                    slip_type: t.to_string(),
                },
            );
            t.to_string()
        }
        (Some(t), false) => t.to_string(),
    };
    let (cod_amount, cod_tax) = if slip_type == COLLECT || slip_type == COMPACT_COLLECT {
        let amount = collected(&mut f, order, "ｺﾚｸﾄ代金引換額（税込)");
        (amount.to_string(), included_tax(order, amount).to_string())
    } else {
        (String::new(), String::new())
    };
    let slot_code = match d.time_slot.as_deref() {
        None | Some("") => String::new(),
        Some(slot) => match cfg.b2_time_slots.get(slot) {
            Some(code) => code.clone(),
            None => match DEFAULT_TIME_SLOTS.iter().find(|(s, _)| *s == slot) {
                Some((_, code)) => (*code).to_string(),
                None => {
                    f.problem(
                        "配達時間帯",
                        ProblemKind::TimeSlotDropped {
                            slot: slot.to_string(),
                            table: "b2_time_slots",
                        },
                    );
                    String::new()
                }
            },
        },
    };
    if cfg.b2_customer_code.is_empty() {
        f.problem(
            "請求先顧客コード",
            ProblemKind::Missing {
                key: "b2_customer_code",
            },
        );
    }
    let date = |d: NaiveDate| d.format("%Y/%m/%d").to_string();
    let cells = vec![
        slip.key.to_string(),
        slip_type,
        "0".to_string(),
        String::new(),
        date(slip.ship_date),
        d.desired_date.map(date).unwrap_or_default(),
        slot_code,
        String::new(),
        r.phone.trim().to_string(),
        String::new(),
        r.postal_code.trim().to_string(),
        address,
        building,
        String::new(),
        String::new(),
        name,
        kana,
        "様".to_string(),
        String::new(),
        cfg.sender_phone.clone(),
        String::new(),
        cfg.sender_postal.clone(),
        sender_address,
        sender_building,
        sender_name,
        String::new(),
        String::new(),
        item1,
        String::new(),
        item2,
        String::new(),
        String::new(),
        String::new(),
        cod_amount,
        cod_tax,
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        cfg.b2_customer_code.clone(),
        String::new(),
        cfg.b2_freight_no.clone(),
    ];
    (cells, f.problems)
}

/// The file: the header and the rows, CRLF, every field quoted, in CP932.
pub fn file(rows: &[Vec<String>]) -> Vec<u8> {
    super::text::cp932_csv(Some(&HEADER), rows)
}
