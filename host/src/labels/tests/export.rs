//! Label files written: the reviewed files byte for byte, every problem named, keys kept,
//! クリックポスト's 40-row files.

use super::*;

#[tokio::test]
async fn the_b2_file_is_the_reviewed_one_byte_for_byte() {
    let t = stored().await;
    let plan = planned(&t, false).await;
    let bytes = render(&plan);
    let expected_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/labels/testdata/b2_expected.csv");
    if std::env::var_os("MALLHOST_BLESS").is_some() {
        std::fs::write(&expected_path, &bytes).expect("blessed");
    }
    let expected = std::fs::read(&expected_path).expect("the reviewed file");
    assert!(
        bytes == expected,
        "the B2 file differs from {}",
        expected_path.display()
    );
    // CP932 and CRLF, a header row and one row per written slip.
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert_eq!(
        text.matches("\r\n").count(),
        1 + plan.slips.iter().filter(|s| s.written()).count()
    );
    assert!(!text.replace("\r\n", "").contains('\n'));
}

#[tokio::test]
async fn every_problem_is_named_before_the_file_is_written() {
    let t = stored().await;
    let plan = planned(&t, false).await;
    let find = |order: &str, delivery: u32| {
        plan.slips
            .iter()
            .find(|s| s.order == order && s.delivery == delivery)
            .unwrap_or_else(|| panic!("a slip for {order}/{delivery}"))
    };
    // Two deliveries, two slips, two keys.
    assert_ne!(find("D-1001", 1).key, find("D-1001", 2).key);
    // 𠮷 replaced and listed; the building over 32 bytes stops the row, saying by how much.
    let first = find("D-1001", 1);
    assert!(first.problems.iter().any(|p| p.kind
        == ProblemKind::Replaced {
            from: '𠮷',
            to: "吉".into()
        }));
    let over = first
        .problems
        .iter()
        .find(|p| p.field == "お届け先アパートマンション名")
        .expect("the building is over");
    assert_eq!(
        over.kind,
        ProblemKind::TooLong {
            bytes: 38,
            limit: 32
        }
    );
    assert!(
        over.to_string().contains("6 over the limit of 32"),
        "{over}"
    );
    assert!(!first.written());
    // Three lines: the second name says how many more.
    assert_eq!(find("D-1001", 2).cells[29], "革のキーケース 他1点");
    // Cash on delivery: コレクト, the billing total and its tax; 午前中 is 0812.
    let cod = find("D-1002", 1);
    assert_eq!(cod.cells[1], "2");
    assert_eq!(cod.cells[33], "4130");
    assert_eq!(cod.cells[34], "375");
    assert_eq!(cod.cells[6], "0812");
    assert_eq!(cod.cells[5], "2026/12/09");
    assert_eq!(cod.cells[15], "高橋 一郎");
    assert_eq!(cod.cells[16], "ﾀｶﾊｼ ｲﾁﾛｳ");
    assert!(cod.written());
    // ネコポス as the shop's slip type; the emoji removed through the shop's table.
    let nekopos = find("D-1003", 1);
    assert_eq!(nekopos.cells[1], "A");
    assert_eq!(nekopos.cells[15], "佐藤  美咲");
    // An address no one can fit; a character with no replacement, named.
    assert!(!find("D-1004", 1).written());
    let gift = find("D-1005", 1);
    let refused = gift.problems.iter().find(|p| p.stops()).expect("refused");
    assert_eq!(refused.kind, ProblemKind::NoReplacement { ch: '🎁' });
    assert!(refused.to_string().contains("U+1F381"), "{refused}");
    // 佐川 is not B2's.
    assert!(plan.left_out.iter().any(|l| l.order == "D-1006"
        && l.to_string().contains("\"sagawa\"")
        && l.to_string().contains("ehiden")));
    // Asked to cut: the over-long rows go in with a visible mark, listed.
    let cut = planned(&t, true).await;
    let building = &cut
        .slips
        .iter()
        .find(|s| s.order == "D-1001")
        .expect("slip")
        .cells[12];
    assert!(
        building.ends_with('…') && text::cp932_len(building) <= 32,
        "{building}"
    );
    assert!(
        cut.slips
            .iter()
            .filter(|s| s.order != "D-1005")
            .all(PlannedSlip::written)
    );
}

#[tokio::test]
async fn exporting_again_gives_the_same_keys() {
    let t = stored().await;
    let a = planned(&t, false).await;
    let b = planned(&t, false).await;
    let keys = |p: &ExportPlan| p.slips.iter().map(|s| s.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
    assert!(keys(&a).iter().all(|k| k.len() <= 12 && k.is_ascii()));
}

#[tokio::test]
async fn the_yupri_file_is_the_reviewed_one_without_a_header() {
    let t = stored().await;
    let plan = planned_as(&t, Format::Yupri).await;
    let orders: Vec<&str> = plan.slips.iter().map(|s| s.order.as_str()).collect();
    assert_eq!(orders, ["D-1007", "D-1008"], "日本郵便's deliveries only");
    assert!(
        plan.slips.iter().all(PlannedSlip::written),
        "{:?}",
        plan.slips
    );
    // The long address over two parts of 50 bytes; cash on delivery with its amount.
    let long = &plan.slips[1].cells;
    assert!(
        text::cp932_len(&long[3]) <= 50 && !long[4].is_empty(),
        "{long:?}"
    );
    assert_eq!(plan.slips[0].cells[11], "4530");
    assert_eq!(plan.slips[0].cells.len(), post::YUPRI_COLUMNS.len());
    let bytes = render(&plan);
    let expected_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/labels/testdata/yupri_expected.csv");
    if std::env::var_os("MALLHOST_BLESS").is_some() {
        std::fs::write(&expected_path, &bytes).expect("blessed");
    }
    let expected = std::fs::read(&expected_path).expect("the reviewed file");
    assert!(
        bytes == expected,
        "the ゆうプリR file differs from {}",
        expected_path.display()
    );
    assert!(bytes.starts_with(b"\"MH"), "no header row");
}

#[tokio::test]
async fn clickpost_files_hold_forty_rows_each_and_refuse_cash_on_delivery() {
    let t = fresh().await;
    let orders: Vec<Order> = (0..45)
        .map(|i| {
            order(
                &format!("C-{i:03}"),
                vec![delivery(
                    1,
                    person("中村 悠", "", "福岡市博多区博多駅前2-1-1", ""),
                    "クリックポスト",
                    "japanpost",
                    vec![line(1, "J-9", "木のトレー", 1, 1800)],
                )],
                if i == 0 {
                    "代金引換"
                } else {
                    "クレジットカード"
                },
                0,
            )
        })
        .collect();
    store_all(&t, &orders).await;
    let plan = planned_as(&t, Format::ClickPost).await;
    assert_eq!(plan.slips.len(), 45);
    let stopped: Vec<&str> = plan.stopped().map(|s| s.order.as_str()).collect();
    assert_eq!(stopped, ["C-000"], "クリックポスト cannot collect");
    let files = render_files(&plan);
    assert_eq!(files.len(), 2, "44 rows: 40 and 4");
    for (f, rows) in files.iter().zip([40, 4]) {
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(f);
        assert!(!bad);
        assert!(text.starts_with("\"お届け先郵便番号\""));
        assert_eq!(text.matches("\r\n").count(), 1 + rows);
    }
}

#[tokio::test]
async fn the_ehiden_file_is_the_reviewed_one_with_its_74_columns() {
    let t = stored().await;
    let plan = planned_as(&t, Format::Ehiden).await;
    let orders: Vec<&str> = plan.slips.iter().map(|s| s.order.as_str()).collect();
    assert_eq!(orders, ["D-1006", "D-1009"], "佐川's deliveries only");
    let cod = &plan.slips[1];
    assert!(cod.written(), "{:?}", cod.problems);
    assert_eq!(cod.cells.len(), ehiden::COLUMNS.len());
    assert_eq!(
        cod.cells[ehiden::KEY_COLUMN],
        cod.key,
        "お客様管理番号 in column 10"
    );
    assert_eq!(
        cod.cells[ehiden::NUMBER_COLUMN],
        "",
        "お問い合せ送り状No. empty"
    );
    // The address over two parts of 16 全角, the building in the third; 髙 replaced.
    assert!(text::cp932_len(&cod.cells[4]) <= 32 && !cod.cells[5].is_empty());
    assert_eq!(cod.cells[6], "十二階");
    assert_eq!(cod.cells[7], "高木 優子");
    // Five 品名: the fifth says how many more; e-コレクト with the total and its tax.
    assert_eq!(cod.cells[28], "木の器 5号 他1点");
    assert_eq!(
        cod.cells[47], "6930",
        "6,000 + 600 shipping + 330 代引手数料"
    );
    assert_eq!(cod.cells[48], "630");
    assert_eq!(cod.cells[45], "18", "18-20 from the built-in table");
    assert_eq!(
        cod.cells[42], "000",
        "the shop's スピード指定 for 飛脚宅配便"
    );
    assert_eq!(cod.cells[44], "2026/12/10");
    assert_eq!(cod.cells[60], "2026/12/07");
    // The shop's sender block.
    assert_eq!(cod.cells[21], "わたしの雑貨店");
    let bytes = render(&plan);
    let expected_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/labels/testdata/ehiden_expected.csv");
    if std::env::var_os("MALLHOST_BLESS").is_some() {
        std::fs::write(&expected_path, &bytes).expect("blessed");
    }
    let expected = std::fs::read(&expected_path).expect("the reviewed file");
    assert!(
        bytes == expected,
        "the e飛伝 file differs from {}",
        expected_path.display()
    );
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert!(text.starts_with("\"お届け先コード取得区分\""));
    assert_eq!(text.matches("\r\n").count(), 3, "a header and two rows");
}

#[test]
fn cash_on_delivery_is_seen_in_the_fee_and_in_the_payment_methods_words_or_code() {
    let mut o = crate::model::testing::bare_order("C1");
    o.payment_method = "CREDIT".into();
    assert!(!b2::cash_on_delivery(&o));
    // A shop that waives the COD fee: the code alone says it (the slip must collect).
    for method in [
        "COD",
        "cod",
        "PAY_COD",
        "代金引換",
        "代引き",
        "cash_on_delivery",
    ] {
        o.payment_method = method.into();
        assert!(b2::cash_on_delivery(&o), "{method}");
    }
    o.payment_method = "CODE_PAY".into();
    assert!(
        !b2::cash_on_delivery(&o),
        "a word that merely starts with COD"
    );
    o.fees.push(crate::model::Fee {
        kind: crate::model::FeeKind::Cod,
        label: "代引手数料".into(),
        amount: 0,
    });
    assert!(b2::cash_on_delivery(&o), "a COD fee line of 0 yen");
}
