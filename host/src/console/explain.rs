//! Why something was refused or left out, in the staff's words: a label slip's problems, a
//! delivery left out of a label export, an issued-data file or row refused, a tracking number
//! or shipping entry refused. The rules' own types carry the facts (`labels`, `tracking`) and
//! speak English to the operator; here they speak Japanese to staff and name the console's own
//! screens and fields, never a config key's CLI twin or a command-line flag.

use super::Lang;
use crate::labels::{self, IssuedProblem, NotIssued, Problem, ProblemKind};
use crate::tracking::{ShippingError, TrackingError};

/// A problem in the staff's words.
pub(crate) fn problem_text(lang: Lang, p: &Problem) -> String {
    if lang == Lang::En {
        return p.to_string();
    }
    let what = match &p.kind {
        ProblemKind::TooLong { bytes, limit } => format!(
            "{bytes}バイトで、上限{limit}バイトを{}バイト超えています（全角は2バイト）。受注を直すか「長い項目は…で切る」を選んでください",
            bytes - limit
        ),
        ProblemKind::Cut { bytes, limit } => {
            format!("{bytes}バイトを{limit}バイトに切り、…を付けました")
        }
        ProblemKind::NoReplacement { ch } => format!(
            "「{ch}」(U+{:04X}) は送り状ソフトが扱えない文字で、置き換えがありません。設定の [shops.labels] replace に置き換えを加えてください",
            u32::from(*ch)
        ),
        ProblemKind::Replaced { from, to } => format!("「{from}」を「{to}」として書き出します"),
        ProblemKind::CashOnDeliveryRange { amount } => format!(
            "代金引換額 {amount}円 は運送会社が扱える 1〜{}円 の範囲外です",
            labels::b2::MAX_COD
        ),
        ProblemKind::CashOnDeliverySplit { deliveries, amount } => format!(
            "代金引換 {amount}円 の注文に配送先が{deliveries}件あります。送り状ごとの金額を手で分けてください"
        ),
        ProblemKind::NoCashOnDelivery { method, slip_type } => format!(
            "代金引換ですが、配送方法「{method}」は送り状種類 {slip_type} で、代金を集金できません"
        ),
        ProblemKind::TimeSlotDropped { slot, .. } => {
            format!("時間帯「{slot}」は送り状ソフトに番号がないため、指定なしにします")
        }
        ProblemKind::Missing { key } => {
            format!("設定ファイルの [shops.labels] に {key} がありません")
        }
    };
    format!("{}: {what}", p.field)
}

/// Why a delivery is left out, in the staff's words.
pub(crate) fn left_out_text(lang: Lang, l: &labels::LeftOut) -> String {
    if lang == Lang::En {
        return l.to_string();
    }
    match &l.reason {
        labels::LeftOutReason::Tracked => "伝票番号が登録済みです".to_string(),
        labels::LeftOutReason::OtherCarrier {
            carrier, format, ..
        } => {
            let program = format
                .as_deref()
                .and_then(labels::Format::from_id)
                .map_or("送り状ソフトの設定なし", labels::Format::name);
            format!(
                "配送会社が「{}」で、{program}で発行します。その形式で書き出してください",
                super::words::carrier_name(carrier.as_deref().unwrap_or(""))
            )
        }
    }
}

/// Why an issued-data file is not read, in the staff's words.
pub(crate) fn not_issued_text(lang: Lang, path: &str, kind: &NotIssued) -> String {
    if lang == Lang::En {
        let (problem, fix) = kind.words();
        return format!("{path}: {problem}; {fix}; nothing was imported");
    }
    let what = match kind {
        NotIssued::Unreadable { line, .. } => format!(
            "{line}行目がCSVとして読めません。送り状ソフトが書き出したファイルを、開いて保存し直さずにそのまま選んでください"
        ),
        NotIssued::Empty => "ファイルが空です。送り状ソフトの発行済データを選んでください".into(),
        NotIssued::YupriPlanned => "ゆうプリRの「発送予定」ファイルです。伝票番号は発送確定の後にしかありません。ゆうプリRで発送確定をしてから「発送履歴」を書き出して取り込んでください".into(),
        NotIssued::NoNumberColumn => "お客様管理番号の列はありますが、伝票番号の列（伝票番号・お問い合せ送り状No.・お問い合わせ番号）がありません。印刷した後の発行済データを書き出してください".into(),
        NotIssued::NoKeyColumn => "お客様管理番号の列がありません。B2クラウド・e飛伝・ゆうプリRの発行済データ（mallhostから書き出した送り状のもの）を選んでください".into(),
    };
    format!("{path}: {what}。何も取り込んでいません")
}

/// Why a row of an issued-data file is refused, in the staff's words.
pub(crate) fn issued_text(lang: Lang, p: &IssuedProblem) -> String {
    if lang == Lang::En {
        return p.to_string();
    }
    match p {
        IssuedProblem::NoKey => "お客様管理番号がありません。手書きの送り状は照合できないので、受注詳細で伝票番号を登録してください".into(),
        IssuedProblem::ExcelExponent { raw } => format!("「{raw}」はExcelが長い数字を指数で表示した形で、桁が失われています。Excelで保存し直す前の、送り状ソフトが書いたファイルを取り込んでください"),
        IssuedProblem::NoNumber => "伝票番号がありません。送り状が発行されていません。印刷するか、この行を除いてください".into(),
        IssuedProblem::NotDigits { raw } => format!("「{raw}」は伝票番号ではありません（数字のみ）"),
        IssuedProblem::LeadingZerosLost { raw, digits } => format!("「{raw}」は{digits}桁で、12桁ではありません。先頭の0が失われています（Excelが消します）。送り状ソフトが書いたファイルを取り込んでください"),
        IssuedProblem::NotADate { raw } => format!("「{raw}」は日付ではありません（YYYY/MM/DD）"),
        IssuedProblem::KeyTwice { key, lines } => format!("お客様管理番号 {key} が {} 行目にあります。送り状は一度しか発行されないので、どちらが正しいか分かりません。正しい行だけを残してください", lines.iter().map(usize::to_string).collect::<Vec<_>>().join("・")),
        IssuedProblem::UnknownKey { key } => format!("{key} はmallhostが発行したお客様管理番号ではありません（手書きの送り状か、他のソフトのもの）。受注詳細で伝票番号を登録してください"),
        IssuedProblem::ShopGone { shop } => format!("送り状のショップ「{shop}」は今の設定にありません。管理者に確認してください"),
        IssuedProblem::OtherProgram { exported, file } => format!("この送り状は{}用に書き出したものですが、ファイルは{}のものです", exported.name(), file.name()),
        IssuedProblem::Tracking { order, delivery, error } => format!("受注 {order} 配送先 {delivery}: {}", tracking_text(lang, error)),
        IssuedProblem::NoCarrierId { shop, carrier } => format!("ショップ「{shop}」に{}の配送業者IDがありません。管理者に設定（配送業者ID）を頼んでください", super::words::carrier_name(carrier)),
        IssuedProblem::DeliveryGone { order, delivery } => format!("受注 {order} に配送先 {delivery} がもうありません"),
        IssuedProblem::ParcelHasNumber { order, delivery, parcel, old } => format!("受注 {order} 配送先 {delivery} の{parcel}個口目には伝票番号 {old} が登録済みです。変えるときは受注詳細で変更してください"),
        IssuedProblem::EarlierParcelsMissing { order, delivery, parcel } => format!("受注 {order} 配送先 {delivery} の{parcel}個口目: それより前の個口の伝票番号が登録もファイルにもありません。一緒に取り込んでください"),
    }
}

/// Why a tracking number is refused, in the staff's words.
pub(crate) fn tracking_text(lang: Lang, e: &TrackingError) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        TrackingError::Empty => {
            "伝票番号が空です。追跡のない郵便は「ダミー番号」にチェックしてください".into()
        }
        TrackingError::Shape { carrier, number } => format!(
            "{}の伝票番号は12桁の数字です。「{number}」は違います",
            super::words::carrier_name(carrier)
        ),
        TrackingError::CheckDigit {
            carrier,
            number,
            expected,
        } => format!(
            "「{number}」は{}のチェックディジットが合いません（最後の桁は {expected} のはずです）。打ち間違いがないか確かめてください",
            super::words::carrier_name(carrier)
        ),
        TrackingError::Characters { number } => {
            format!("「{number}」に使えるのは英数字と「-」だけで、30文字までです")
        }
    }
}

/// Why shipping data is refused, in the staff's words.
pub(crate) fn shipping_text(lang: Lang, e: &ShippingError) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        ShippingError::UnknownCarrier { shop, carrier, .. } => format!("ショップ「{shop}」に配送会社「{}」の配送業者IDがありません。別の配送会社を選ぶか、管理者に設定を頼んでください", super::words::carrier_name(carrier)),
        ShippingError::NoTracking => "伝票番号を入力してください。追跡のない郵便（定形外など）は「ダミー番号」にチェックしてください".into(),
        ShippingError::Tracking(t) => tracking_text(lang, t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_told_in_japanese() {
        let p = Problem {
            order: "D-1".into(),
            delivery: 1,
            field: "お届け先名",
            kind: ProblemKind::TooLong {
                bytes: 38,
                limit: 32,
            },
        };
        let ja = problem_text(Lang::Ja, &p);
        assert!(
            ja.starts_with("お届け先名: 38バイト") && ja.contains("6バイト超えて"),
            "{ja}"
        );
        assert!(problem_text(Lang::En, &p).contains("6 over the limit"));
    }

    #[test]
    fn issued_rows_and_tracking_numbers_are_told_in_japanese_naming_the_screens_fields() {
        let t = tracking_text(
            Lang::Ja,
            &TrackingError::CheckDigit {
                carrier: "yamato".into(),
                number: "123456789010".into(),
                expected: 3,
            },
        );
        assert!(
            t.contains("ヤマト運輸のチェックディジット") && t.contains("3"),
            "{t}"
        );
        let e = shipping_text(Lang::Ja, &ShippingError::NoTracking);
        assert!(
            e.contains("「ダミー番号」") && !e.contains("--dummy"),
            "{e}"
        );
        assert!(shipping_text(Lang::En, &ShippingError::NoTracking).contains("--dummy"));
        let r = issued_text(
            Lang::Ja,
            &IssuedProblem::LeadingZerosLost {
                raw: "81102934".into(),
                digits: 8,
            },
        );
        assert!(r.contains("先頭の0") && r.contains("8桁"), "{r}");
        let f = not_issued_text(Lang::Ja, "a.csv", &NotIssued::YupriPlanned);
        assert!(f.contains("発送確定") && f.contains("発送履歴"), "{f}");
        let n = issued_text(
            Lang::Ja,
            &IssuedProblem::NoCarrierId {
                shop: "s1".into(),
                carrier: "sagawa".into(),
            },
        );
        assert!(!n.contains("[shops") && n.contains("佐川急便"), "{n}");
    }
}
