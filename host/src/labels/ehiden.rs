//! 佐川急便 e飛伝III's import file, the standard template 「標準_飛脚宅急便_CSV_ヘッダ有り」: a
//! header row and 74 columns ([`COLUMNS`], the one table the file and the docs are made from),
//! CP932 and CRLF, one row per slip. The host's お客様管理番号 goes in column 10, which e飛伝
//! echoes in its issued data beside お問い合せ送り状No. (column 62, empty here). Addresses are
//! split over お届け先住所１–３ and names kept to 16 全角 each; cash on delivery (e-コレクト)
//! carries the buyer's total and its tax. The codes of 配達指定時間帯 and スピード指定 are not
//! confirmed from Sagawa's own specification: the time slots come from a built-in table a shop
//! can lay its own over (`ehiden_time_slots`), the speed from the shop's table per delivery
//! method (`ehiden_speeds`, empty = e飛伝's default service).

use super::b2::{Slip, cash_on_delivery, collected, included_tax, line_names};
use super::fields::Fields;
use super::text::Fitter;
use super::{Problem, ProblemKind};
use crate::config::LabelConfig;

/// The template's 74 columns, in order.
pub const COLUMNS: [&str; 74] = [
    "お届け先コード取得区分",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先郵便番号",
    "お届け先住所１",
    "お届け先住所２",
    "お届け先住所３",
    "お届け先名称１",
    "お届け先名称２",
    "お客様管理番号",
    "お客様コード",
    "部署ご担当者コード取得区分",
    "部署ご担当者コード",
    "部署ご担当者名称",
    "荷送人電話番号",
    "ご依頼主コード取得区分",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主郵便番号",
    "ご依頼主住所１",
    "ご依頼主住所２",
    "ご依頼主名称１",
    "ご依頼主名称２",
    "荷姿",
    "品名１",
    "品名２",
    "品名３",
    "品名４",
    "品名５",
    "荷札荷姿",
    "荷札品名１",
    "荷札品名２",
    "荷札品名３",
    "荷札品名４",
    "荷札品名５",
    "荷札品名６",
    "荷札品名７",
    "荷札品名８",
    "荷札品名９",
    "荷札品名１０",
    "荷札品名１１",
    "出荷個数",
    "スピード指定",
    "クール便指定",
    "配達日",
    "配達指定時間帯",
    "配達指定時間（時分）",
    "代引金額",
    "消費税",
    "決済種別",
    "保険金額",
    "指定シール１",
    "指定シール２",
    "指定シール３",
    "営業所受取",
    "SRC区分",
    "営業所受取営業所コード",
    "元着区分",
    "メールアドレス",
    "ご不在時連絡先",
    "出荷日",
    "お問い合せ送り状No.",
    "出荷場印字区分",
    "集約解除指定",
    "編集０１",
    "編集０２",
    "編集０３",
    "編集０４",
    "編集０５",
    "編集０６",
    "編集０７",
    "編集０８",
    "編集０９",
    "編集１０",
];

/// The column of お客様管理番号 (0-based; column 10 of the template).
pub const KEY_COLUMN: usize = 9;
/// The column of お問い合せ送り状No. (0-based; column 62), empty on import.
pub const NUMBER_COLUMN: usize = 61;

/// The limit of a name or address part: 16 全角, in CP932 bytes.
const PART: usize = 32;

/// 配達指定時間帯 codes for the merchant's time slots (unconfirmed: a shop's `ehiden_time_slots`
/// is laid over them).
pub const DEFAULT_TIME_SLOTS: &[(&str, &str)] = &[
    ("午前中", "01"),
    ("12-14", "12"),
    ("14-16", "14"),
    ("16-18", "16"),
    ("18-20", "18"),
    ("19-21", "19"),
    ("18-21", "04"),
    ("指定なし", ""),
];

/// 元着区分: 元払い (the shop pays the freight).
const PREPAID: &str = "1";

/// The row of one slip, and what is wrong with it or was changed on the way.
pub fn row(
    slip: &Slip<'_>,
    cfg: &LabelConfig,
    fitter: &Fitter,
    cut: bool,
) -> (Vec<String>, Vec<Problem>) {
    let (order, d) = (slip.order, slip.delivery);
    let mut f = Fields::new(&order.mall_order_number, d.delivery_no, fitter, cut);
    let r = &d.recipient;
    let mut cells = vec![String::new(); COLUMNS.len()];
    cells[2] = r.phone.trim().to_string();
    cells[3] = r.postal_code.trim().to_string();
    let address = f.lines(
        "お届け先住所１",
        &format!("{}{}", r.prefecture, r.address1),
        PART,
        2,
    );
    cells[4] = address[0].clone();
    cells[5] = address[1].clone();
    cells[6] = f.text("お届け先住所３", &r.address2, PART);
    cells[7] = f.text("お届け先名称１", &r.name, PART);
    cells[KEY_COLUMN] = slip.key.to_string();
    cells[10] = cfg.ehiden_customer_code.clone();
    cells[17] = cfg.sender_phone.clone();
    cells[18] = cfg.sender_postal.clone();
    let sender = f.lines("ご依頼主住所１", &cfg.sender_address, PART, 2);
    cells[19] = sender[0].clone();
    cells[20] = match (sender[1].is_empty(), cfg.sender_building.is_empty()) {
        (_, true) => sender[1].clone(),
        (true, false) => f.text("ご依頼主住所２", &cfg.sender_building, PART),
        (false, false) => f.text(
            "ご依頼主住所２",
            &format!("{}{}", sender[1], cfg.sender_building),
            PART,
        ),
    };
    cells[21] = f.text("ご依頼主名称１", &cfg.sender_name, PART);
    // 品名１–５: a line each; a fifth of more says how many more.
    let names = line_names(d);
    const ITEM_FIELDS: [&str; 5] = ["品名１", "品名２", "品名３", "品名４", "品名５"];
    for (i, field) in ITEM_FIELDS.iter().enumerate() {
        let text = match names.get(i) {
            None => continue,
            Some(n) if i == 4 && names.len() > 5 => format!("{n} 他{}点", names.len() - 5),
            Some(n) => n.clone(),
        };
        cells[24 + i] = f.text(field, &text, PART);
    }
    cells[41] = "1".to_string();
    cells[42] = cfg
        .ehiden_speeds
        .get(&d.delivery_method)
        .cloned()
        .unwrap_or_default();
    let date = |d: chrono::NaiveDate| d.format("%Y/%m/%d").to_string();
    cells[44] = d.desired_date.map(date).unwrap_or_default();
    cells[45] = match d.time_slot.as_deref() {
        None | Some("") => String::new(),
        Some(slot) => match cfg
            .ehiden_time_slots
            .get(slot)
            .map(String::as_str)
            .or_else(|| {
                DEFAULT_TIME_SLOTS
                    .iter()
                    .find(|(s, _)| *s == slot)
                    .map(|(_, c)| *c)
            }) {
            Some(code) => code.to_string(),
            None => {
                f.problem(
                    "配達指定時間帯",
                    ProblemKind::TimeSlotDropped {
                        slot: slot.to_string(),
                        table: "ehiden_time_slots",
                    },
                );
                String::new()
            }
        },
    };
    if cash_on_delivery(order) {
        let amount = collected(&mut f, order, "代引金額");
        cells[47] = amount.to_string();
        cells[48] = included_tax(order, amount).to_string();
    }
    cells[57] = PREPAID.to_string();
    cells[60] = date(slip.ship_date);
    (cells, f.problems)
}

/// The file: the header and the rows, CRLF, every field quoted, in CP932.
pub fn file(rows: &[Vec<String>]) -> Vec<u8> {
    super::text::cp932_csv(Some(&COLUMNS), rows)
}
