//! 日本郵便's two files. ゆうパックプリントR's import file: positional, no header, CP932 and
//! CRLF, read through an import filter the shop registers once in ゆうプリR with the columns of
//! [`YUPRI_COLUMNS`] (the one table both the file and the docs are made from). クリックポスト's
//! まとめ申込 file: 8 columns with a header, name and each address line at most 20 全角, 内容品
//! at most 15, and at most [`CLICKPOST_ROWS`] rows a file. Each field is fitted and measured by
//! [`Fields`], as for B2.

use super::b2::{Slip, cash_on_delivery, collected};
use super::fields::Fields;
use super::text::Fitter;
use super::{Problem, ProblemKind};

/// The columns of mallhost's ゆうプリR file, in order, with their limits in CP932 bytes (0: a
/// code or a number): register an import filter in ゆうプリR that reads them so.
pub const YUPRI_COLUMNS: &[(&str, usize)] = &[
    ("お客様側管理番号", 0),
    ("発送予定日", 0),
    ("お届け先郵便番号", 0),
    ("お届け先住所１", 50),
    ("お届け先住所２", 50),
    ("お届け先住所３", 50),
    ("お届け先名称１", 50),
    ("お届け先名称２", 50),
    ("お届け先電話番号", 0),
    ("品名", 50),
    ("個数", 0),
    ("代引金額", 0),
    ("お届け希望日", 0),
];

/// The most rows クリックポスト takes in one まとめ申込 file.
pub const CLICKPOST_ROWS: usize = 40;

/// クリックポスト's まとめ申込 header.
pub const CLICKPOST_HEADER: [&str; 8] = [
    "お届け先郵便番号",
    "お届け先氏名",
    "お届け先敬称",
    "お届け先住所1行目",
    "お届け先住所2行目",
    "お届け先住所3行目",
    "お届け先住所4行目",
    "内容品",
];

fn item_names(slip: &Slip<'_>) -> String {
    let names: Vec<String> = slip
        .delivery
        .lines
        .iter()
        .map(|l| {
            l.product_name
                .clone()
                .unwrap_or_else(|| l.item_code.clone())
        })
        .collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        n => format!("{} 他{}点", names[0], n - 1),
    }
}

/// The ゆうプリR row of one slip, and its problems.
pub fn yupri_row(slip: &Slip<'_>, fitter: &Fitter, cut: bool) -> (Vec<String>, Vec<Problem>) {
    let (order, d) = (slip.order, slip.delivery);
    let mut f = Fields::new(&order.mall_order_number, d.delivery_no, fitter, cut);
    let r = &d.recipient;
    let address = f.lines(
        "お届け先住所",
        &format!("{}{}", r.prefecture, r.address1),
        50,
        2,
    );
    let building = f.text("お届け先住所３", &r.address2, 50);
    let name = f.text("お届け先名称１", &r.name, 50);
    let item = f.text("品名", &item_names(slip), 50);
    let cod = if cash_on_delivery(order) {
        collected(&mut f, order, "代引金額").to_string()
    } else {
        String::new()
    };
    let date = |d: chrono::NaiveDate| d.format("%Y/%m/%d").to_string();
    let cells = vec![
        slip.key.to_string(),
        date(slip.ship_date),
        r.postal_code.trim().to_string(),
        address[0].clone(),
        address[1].clone(),
        building,
        name,
        String::new(), // 名称２: a company or department (ゆうプリR adds the 敬称 itself)
        r.phone.trim().to_string(),
        item,
        "1".to_string(),
        cod,
        d.desired_date.map(date).unwrap_or_default(),
    ];
    (cells, f.problems)
}

/// The クリックポスト row of one slip, and its problems (no cash on delivery there).
pub fn clickpost_row(slip: &Slip<'_>, fitter: &Fitter, cut: bool) -> (Vec<String>, Vec<Problem>) {
    let (order, d) = (slip.order, slip.delivery);
    let mut f = Fields::new(&order.mall_order_number, d.delivery_no, fitter, cut);
    if cash_on_delivery(order) {
        f.problem(
            "内容品",
            ProblemKind::NoCashOnDelivery {
                method: d.delivery_method.clone(),
                slip_type: "クリックポスト".into(),
            },
        );
    }
    let r = &d.recipient;
    let name = f.text("お届け先氏名", &r.name, 40);
    let mut lines = f.lines(
        "お届け先住所",
        &format!("{}{}", r.prefecture, r.address1),
        40,
        3,
    );
    lines.push(f.text("お届け先住所4行目", &r.address2, 40));
    let item = f.text("内容品", &item_names(slip), 30);
    let mut cells = vec![r.postal_code.trim().to_string(), name, "様".to_string()];
    cells.extend(lines);
    cells.push(item);
    (cells, f.problems)
}
