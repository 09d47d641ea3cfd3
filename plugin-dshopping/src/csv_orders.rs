//! d払い mini-app orders, which the API cannot fetch: the merchant downloads them as CSV from the
//! d Shopping merchant screen. The host decodes the file (Shift_JIS) and groups rows by the
//! order-number column ([`ORDER_KEY`]); this maps one group — UTF-8 CSV text, header row first —
//! to the canonical order.
//!
//! Layout (spec): one row per order line; order-level columns repeat on every row and must
//! agree; rows with different recipients or delivery settings are separate deliveries.

use crate::mapping::{Money, check, invalid};
use crate::time;
use connector_kit::types::{Address, ConnectorError, Delivery, Order, OrderLine, OrderSource};

/// The column whose equal values make one order.
pub const ORDER_KEY: &str = "注文番号";

/// Every column, in the file's order.
pub const COLUMNS: [&str; 30] = [
    "注文番号",
    "注文日時",
    "支払方法",
    "注文者氏名",
    "注文者氏名カナ",
    "注文者郵便番号",
    "注文者都道府県",
    "注文者住所1",
    "注文者住所2",
    "注文者電話番号",
    "送付先氏名",
    "送付先氏名カナ",
    "送付先郵便番号",
    "送付先都道府県",
    "送付先住所1",
    "送付先住所2",
    "送付先電話番号",
    "配送方法",
    "お届け希望日",
    "お届け希望時間帯",
    "商品管理番号",
    "SKU管理番号",
    "数量",
    "単価",
    "税率",
    "送料",
    "ポイント利用額",
    "クーポン値引額",
    "請求金額",
    "備考",
];

/// Columns that belong to the order and must be equal on all its rows.
const ORDER_LEVEL: [&str; 14] = [
    "注文日時",
    "支払方法",
    "注文者氏名",
    "注文者氏名カナ",
    "注文者郵便番号",
    "注文者都道府県",
    "注文者住所1",
    "注文者住所2",
    "注文者電話番号",
    "送料",
    "ポイント利用額",
    "クーポン値引額",
    "請求金額",
    "備考",
];

/// Columns that make a delivery: rows differing in any are different deliveries.
const DELIVERY_LEVEL: [&str; 10] = [
    "送付先氏名",
    "送付先氏名カナ",
    "送付先郵便番号",
    "送付先都道府県",
    "送付先住所1",
    "送付先住所2",
    "送付先電話番号",
    "配送方法",
    "お届け希望日",
    "お届け希望時間帯",
];

/// The payment labels of the merchant screen → the API's codes.
fn payment_code(label: &str) -> String {
    match label {
        "クレジットカード" | "クレジットカード決済" => "CREDIT_CARD",
        "d払い" => "D_BARAI",
        "ドコモ払い" | "ドコモ ケータイ払い" => "CARRIER_BILLING",
        "代金引換" | "代引き" => "COD",
        "コンビニ払い" | "コンビニ決済" => "CONVENIENCE_STORE",
        other => other,
    }
    .to_string()
}

struct Rows {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Rows {
    fn col(&self, name: &str) -> usize {
        // Checked present in `parse`.
        self.header.iter().position(|h| h == name).unwrap_or(0)
    }
}

fn parse(number: &str, body: &str) -> Result<Rows, ConnectorError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            invalid(
                number,
                "header",
                format!("the header row cannot be read: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(
            number,
            "header",
            format!(
                "this is not a d払い mini-app order CSV: column(s) {} missing",
                missing.join(", ")
            ),
        ));
    }
    let mut rows = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let r =
            r.map_err(|e| invalid(number, "row", format!("row {} cannot be read: {e}", i + 1)))?;
        let line = r.position().map_or(i + 2, |p| p.line() as usize);
        rows.push((line, r.iter().map(|v| v.trim().to_string()).collect()));
    }
    if rows.is_empty() {
        return Err(invalid(number, ORDER_KEY, "no rows for this order"));
    }
    Ok(Rows { header, rows })
}

fn number_of<T: std::str::FromStr>(
    order: &str,
    field: &str,
    line: usize,
    v: &str,
) -> Result<T, ConnectorError> {
    v.parse::<T>().map_err(|_| {
        invalid(
            order,
            field,
            format!("line {line}: {v:?} is not a whole number (write digits only, no separators)"),
        )
    })
}

/// Maps the rows of one order (UTF-8 CSV text, header first).
pub fn map_csv(number: &str, body: &str) -> Result<Order, ConnectorError> {
    let t = parse(number, body)?;
    let get = |row: &[String], name: &str| row.get(t.col(name)).cloned().unwrap_or_default();
    let (first_line, first) = &t.rows[0];
    let n = get(first, ORDER_KEY);
    if n.is_empty() {
        return Err(invalid(
            number,
            ORDER_KEY,
            format!("line {first_line}: the order number is empty"),
        ));
    }
    for (line, row) in &t.rows {
        if get(row, ORDER_KEY) != n {
            return Err(invalid(
                &n,
                ORDER_KEY,
                format!("line {line}: belongs to another order"),
            ));
        }
        for col in ORDER_LEVEL {
            if get(row, col) != get(first, col) {
                return Err(invalid(
                    &n,
                    col,
                    format!(
                        "line {line}: {:?} differs from {:?} on line {first_line}; an order's rows must agree",
                        get(row, col),
                        get(first, col)
                    ),
                ));
            }
        }
    }
    let ordered_raw = get(first, "注文日時");
    let ordered_at = time::parse_slash_datetime(&ordered_raw).ok_or_else(|| {
        invalid(
            &n,
            "注文日時",
            format!("line {first_line}: {ordered_raw:?} is not YYYY/MM/DD HH:MM:SS"),
        )
    })?;

    let mut deliveries: Vec<(Vec<String>, Delivery)> = Vec::new();
    for (line, row) in &t.rows {
        let key: Vec<String> = DELIVERY_LEVEL.iter().map(|c| get(row, c)).collect();
        let item = OrderLine {
            line_no: 0,
            item_code: get(row, "商品管理番号"),
            sku_code: {
                let sku = get(row, "SKU管理番号");
                if sku.is_empty() {
                    get(row, "商品管理番号")
                } else {
                    sku
                }
            },
            quantity: number_of(&n, "数量", *line, &get(row, "数量"))?,
            unit_price: number_of(&n, "単価", *line, &get(row, "単価"))?,
            tax_rate: number_of(&n, "税率", *line, get(row, "税率").trim_end_matches('%'))?,
            has_add_on_service: false,
            product_name: None,
            option_text: None,
            jan: None,
        };
        if let Some((_, d)) = deliveries.iter_mut().find(|(k, _)| *k == key) {
            d.lines.push(item);
            continue;
        }
        let date_raw = get(row, "お届け希望日");
        let desired_date = if date_raw.is_empty() {
            None
        } else {
            Some(time::parse_slash_date(&date_raw).ok_or_else(|| {
                invalid(
                    &n,
                    "お届け希望日",
                    format!("line {line}: {date_raw:?} is not YYYY/MM/DD"),
                )
            })?)
        };
        let slot = get(row, "お届け希望時間帯");
        let delivery = Delivery {
            delivery_no: u32::try_from(deliveries.len() + 1).unwrap_or(u32::MAX),
            mall_delivery_id: None,
            recipient: Address {
                name: get(row, "送付先氏名"),
                name_kana: get(row, "送付先氏名カナ"),
                postal_code: get(row, "送付先郵便番号"),
                prefecture: get(row, "送付先都道府県"),
                address1: get(row, "送付先住所1"),
                address2: get(row, "送付先住所2"),
                phone: get(row, "送付先電話番号"),
                company: String::new(),
                department: String::new(),
            },
            delivery_method: get(row, "配送方法"),
            desired_date,
            desired_time_slot: if slot.is_empty() {
                "指定なし".into()
            } else {
                slot
            },
            lines: vec![item],
            gift_message: None,
        };
        deliveries.push((key, delivery));
    }
    let mut line_no = 0;
    let deliveries: Vec<Delivery> = deliveries
        .into_iter()
        .map(|(_, mut d)| {
            for l in &mut d.lines {
                line_no += 1;
                l.line_no = line_no;
            }
            d
        })
        .collect();

    let items_total: i64 = deliveries
        .iter()
        .flat_map(|d| &d.lines)
        .map(|l| l.unit_price.saturating_mul(i64::from(l.quantity)))
        .sum();
    let shipping_fee: i64 = number_of(&n, "送料", *first_line, &get(first, "送料"))?;
    let points_used: i64 = number_of(
        &n,
        "ポイント利用額",
        *first_line,
        &get(first, "ポイント利用額"),
    )?;
    let coupon_discount: i64 = number_of(
        &n,
        "クーポン値引額",
        *first_line,
        &get(first, "クーポン値引額"),
    )?;
    let billing_total: i64 = number_of(&n, "請求金額", *first_line, &get(first, "請求金額"))?;
    let payment_method = payment_code(&get(first, "支払方法"));
    let payment = crate::wire::payment_state(&payment_method);
    // The CSV has no COD-fee column: for cash on delivery it is what the bill adds beyond the rest.
    let rest = items_total + shipping_fee - points_used - coupon_discount;
    let cod_fee = if payment_method == "COD" {
        billing_total - rest
    } else {
        0
    };
    if cod_fee < 0 {
        return Err(invalid(
            &n,
            "請求金額",
            format!("請求金額 {billing_total} is less than the items and fees ({rest})"),
        ));
    }
    let order = Order {
        mall_order_number: n.clone(),
        ordered_at,
        updated_at: ordered_at,
        mall_status: "MINI_APP_CSV".into(),
        payment_method,
        buyer: Address {
            name: get(first, "注文者氏名"),
            name_kana: get(first, "注文者氏名カナ"),
            postal_code: get(first, "注文者郵便番号"),
            prefecture: get(first, "注文者都道府県"),
            address1: get(first, "注文者住所1"),
            address2: get(first, "注文者住所2"),
            phone: get(first, "注文者電話番号"),
            company: String::new(),
            department: String::new(),
        },
        buyer_email: None,
        deliveries,
        prices_include_tax: true,
        items_total: 0,
        fees: Vec::new(),
        discounts: Vec::new(),
        billing_total: 0,
        buyer_note: get(first, "備考"),
        flags: Vec::new(),
        source: OrderSource::Csv,
        hold: None,
        payment,
    };
    let money = Money {
        items_total,
        shipping_fee,
        cod_fee,
        points_used,
        coupon_discount,
        billing_total,
    };
    check(order, money).map_err(|e| match e {
        // Name the CSV's column rather than the API's field where they differ.
        ConnectorError::InvalidInput(mut f) => {
            f.field = match f.field.rsplit('.').next().unwrap_or("") {
                "taxRate" => "税率".into(),
                "quantity" => "数量".into(),
                "unitPrice" => "単価".into(),
                "itemCode" => "商品管理番号".into(),
                "billingTotal" => "請求金額".into(),
                _ => f.field,
            };
            ConnectorError::InvalidInput(f)
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        COLUMNS.join(",")
    }

    fn row(
        n: &str,
        item: &str,
        qty: u32,
        price: i64,
        tax: u8,
        recipient: &str,
        billing: i64,
    ) -> String {
        format!(
            "{n},2026/11/27 21:05:00,d払い,佐藤 花子,サトウ ハナコ,0600001,北海道,札幌市中央区北1条西2-3,,0112223333,\
             {recipient},,0600001,北海道,札幌市中央区北1条西2-3,,0112223333,宅配便,2026/12/01,午前中,\
             {item},{item}-x,{qty},{price},{tax},550,0,0,{billing},"
        )
    }

    fn field(e: ConnectorError) -> (String, String) {
        match e {
            ConnectorError::InvalidInput(f) => (f.field, f.message),
            other => panic!("expected invalid-input, got {other:?}"),
        }
    }

    #[test]
    fn rows_of_one_order_become_one_order() {
        let body = format!(
            "{}\n{}\n{}\n",
            header(),
            row(
                "MA001",
                "matcha-100g",
                2,
                1620,
                8,
                "佐藤 花子",
                2 * 1620 + 3300 + 550
            ),
            row(
                "MA001",
                "tea-set-01",
                1,
                3300,
                10,
                "佐藤 花子",
                2 * 1620 + 3300 + 550
            )
        );
        let o = map_csv("MA001", &body).unwrap();
        assert_eq!(o.mall_order_number, "MA001");
        assert_eq!(o.payment_method, "D_BARAI");
        assert_eq!(o.deliveries.len(), 1);
        let lines = &o.deliveries[0].lines;
        assert_eq!((lines[0].line_no, lines[1].line_no), (1, 2));
        assert_eq!(lines[0].tax_rate, 8);
        assert_eq!(o.items_total, 6540);
        assert_eq!(o.billing_total, 7090);
        assert_eq!(
            o.ordered_at,
            time::parse_instant("2026-11-27T21:05:00+09:00").unwrap()
        );
        assert!(matches!(o.source, OrderSource::Csv));
        let d = o.deliveries[0].desired_date.unwrap();
        assert_eq!((d.month, d.day), (12, 1));
        assert_eq!(o.deliveries[0].desired_time_slot, "午前中");
    }

    #[test]
    fn different_recipients_are_separate_deliveries() {
        let billing = 1620 + 3300 + 550;
        let body = format!(
            "{}\n{}\n{}\n",
            header(),
            row("MA002", "matcha-100g", 1, 1620, 8, "佐藤 花子", billing),
            row("MA002", "tea-set-01", 1, 3300, 10, "田中 健", billing)
        );
        let o = map_csv("MA002", &body).unwrap();
        assert_eq!(o.deliveries.len(), 2);
        assert_eq!(o.deliveries.len(), 2);
    }

    #[test]
    fn disagreeing_rows_and_bad_values_name_the_column_and_line() {
        let body = format!(
            "{}\n{}\n{}\n",
            header(),
            row("MA003", "matcha-100g", 1, 1620, 8, "佐藤 花子", 2170),
            row("MA003", "matcha-100g", 1, 1620, 8, "佐藤 花子", 9999)
        );
        let (f, m) = field(map_csv("MA003", &body).unwrap_err());
        assert_eq!(f, "請求金額");
        assert!(m.contains("line 3") && m.contains("MA003"), "{m}");

        let body = format!(
            "{}\n{}\n",
            header(),
            row("MA004", "matcha-100g", 1, 1620, 8, "x", 2170).replace(",1,1620,", ",1,1,620,")
        );
        assert!(
            map_csv("MA004", &body).is_err(),
            "a thousands separator shifts the columns"
        );

        let bad_date = row("MA005", "matcha-100g", 1, 1620, 8, "x", 2170)
            .replace("2026/11/27 21:05:00", "27-11-2026");
        let (f, _) = field(map_csv("MA005", &format!("{}\n{bad_date}\n", header())).unwrap_err());
        assert_eq!(f, "注文日時");

        let (f, m) = field(
            map_csv(
                "MA006",
                &format!(
                    "{}\n{}\n",
                    header(),
                    row("MA006", "m", 1, 1620, 5, "x", 2170)
                ),
            )
            .unwrap_err(),
        );
        assert_eq!(f, "税率", "{m}");

        let (f, _) = field(
            map_csv(
                "MA007",
                &format!(
                    "{}\n{}\n",
                    header(),
                    row("MA007", "m", 1, 1620, 8, "x", 100)
                ),
            )
            .unwrap_err(),
        );
        assert_eq!(f, "請求金額");

        let (f, m) = field(map_csv("X", "a,b\n1,2\n").unwrap_err());
        assert_eq!(f, "header");
        assert!(m.contains("注文番号"), "{m}");
    }

    #[test]
    fn cash_on_delivery_fee_is_what_the_bill_adds() {
        let r = row("MA008", "matcha-100g", 1, 1620, 8, "x", 1620 + 550 + 330)
            .replace("d払い", "代金引換");
        let o = map_csv("MA008", &format!("{}\n{r}\n", header())).unwrap();
        assert_eq!(o.payment_method, "COD");
        let cod: i64 = o
            .fees
            .iter()
            .filter(|f| f.kind == connector_kit::types::FeeKind::Cod)
            .map(|f| f.amount)
            .sum();
        assert_eq!(cod, 330);
    }
}
