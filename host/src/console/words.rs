//! The staff's words for the values the store keeps as ids or in the operator's English: an
//! order history event and its detail, a push's outcome, a carrier id. One table each, used by
//! the console's pages through template filters (`event`, `detail`, `outcome`, `carrier`) so
//! that no page shows a raw code where staff read Japanese. English keeps the stored words.

use super::Lang;

/// History events: (id, 日本語, English).
const EVENTS: &[(&str, &str, &str)] = &[
    ("stored", "取込", "Stored"),
    (
        "take_again",
        "再取込（モールで未確認）",
        "Stored again (not taken)",
    ),
    ("taken", "モールで受注確認", "Taken on the mall"),
    ("take_failed", "モールの受注確認に失敗", "Taking failed"),
    (
        "cancelled",
        "モールでキャンセル済み",
        "Cancelled on the mall",
    ),
    (
        "cancelled_on_mall",
        "モールでキャンセル",
        "Cancelled on the mall",
    ),
    ("shipped_on_mall", "モールで出荷済み", "Shipped on the mall"),
    ("payment_received", "入金確認", "Payment received"),
    ("held_on_mall", "モールで保留", "Held on the mall"),
    (
        "hold_lifted_on_mall",
        "モールで保留解除",
        "Hold lifted on the mall",
    ),
    ("shipping_set", "配送情報を登録", "Shipping set"),
    ("parcel_added", "荷物（個口）を追加", "Parcel added"),
    ("status", "ステータス変更", "Status changed"),
    ("push_ok", "モールへ出荷通知", "Shipment sent"),
    (
        "push_rejected",
        "モールが出荷通知を拒否",
        "Shipment refused",
    ),
    (
        "push_failed",
        "出荷通知に失敗（再送します）",
        "Shipment failed (retried)",
    ),
    (
        "push_unknown",
        "出荷通知の結果不明（照会します）",
        "Shipment unknown (looked up)",
    ),
    ("push_sending", "出荷通知を送信中", "Shipment sending"),
];

/// Push outcomes: (id, 日本語).
const OUTCOMES: &[(&str, &str)] = &[
    ("ok", "完了"),
    ("rejected", "拒否"),
    ("failed", "失敗（再送）"),
    ("unknown", "結果不明（照会）"),
    ("sending", "送信中"),
];

/// The usual carrier ids: (id, 日本語).
const CARRIERS: &[(&str, &str)] = &[
    ("yamato", "ヤマト運輸"),
    ("sagawa", "佐川急便"),
    ("japanpost", "日本郵便"),
    ("seino", "西濃運輸"),
    ("fukuyama", "福山通運"),
    ("other", "その他"),
];

/// Fixed openings of history details, in the staff's words: (English, 日本語).
const DETAIL_OPENINGS: &[(&str, &str)] = &[
    ("stored from ", "取込元: "),
    ("cancelled on the mall: ", "モールでキャンセル: "),
    ("the mall says: ", "モールの状態: "),
    (
        "the mall says the buyer has paid; released from hold to ",
        "モールで入金確認、保留を解除: ",
    ),
    ("the mall says the buyer has paid", "モールで入金確認"),
    ("the mall holds it: ", "モールで保留: "),
    (
        "the mall lifted its hold; released to ",
        "モールで保留解除、解除先: ",
    ),
    ("status set to ", "ステータス: "),
    ("shipment sent to the mall: ", "モールへ送信: "),
    ("shipment on the mall ", "モールに登録済み "),
    ("shipment push ", "出荷通知 "),
    ("taken on the mall", "モールで受注確認"),
    ("the export that sent it ", "送信した書き出し "),
];

/// Words inside details: (English, 日本語).
const DETAIL_WORDS: &[(&str, &str)] = &[
    ("delivery ", "配送先 "),
    ("carrier id ", "配送会社コード "),
    ("carrier ", "配送会社 "),
    ("tracking number ", "伝票番号 "),
    ("tracking ", "伝票番号 "),
    ("ship date ", "出荷日 "),
    (" added", " 追加"),
    ("parcel ", "個口 "),
    (" (dummy)", "（ダミー）"),
];

/// An order history event in the staff's words (an unknown id as it is).
pub(crate) fn event(lang: Lang, id: &str) -> String {
    EVENTS
        .iter()
        .find(|(e, _, _)| *e == id)
        .map(|(_, ja, en)| if lang == Lang::Ja { *ja } else { *en })
        .unwrap_or(id)
        .to_string()
}

/// A history event's detail in the staff's words: the host's own phrases translated; what a
/// mall or a person said (a cancellation's message, a status change's reason, an error) kept.
pub(crate) fn detail(lang: Lang, text: &str) -> String {
    if lang == Lang::En {
        return text.to_string();
    }
    /// Openings after which the rest is someone else's words.
    const QUOTING: &[&str] = &[
        "cancelled on the mall: ",
        "the mall says: ",
        "shipment push ",
        "status set to ",
        "stored from ",
        "the export that sent it ",
    ];
    let words = |s: &str| {
        DETAIL_WORDS
            .iter()
            .fold(s.to_string(), |acc, (en, ja)| acc.replace(en, ja))
    };
    match DETAIL_OPENINGS.iter().find(|(en, _)| text.starts_with(en)) {
        Some((en, ja)) if QUOTING.contains(en) => format!("{ja}{}", &text[en.len()..]),
        Some((en, ja)) => format!("{ja}{}", words(&text[en.len()..])),
        None => words(text),
    }
}

/// A push outcome in the staff's words.
pub(crate) fn outcome(lang: Lang, id: &str) -> String {
    if lang == Lang::En {
        return id.to_string();
    }
    OUTCOMES
        .iter()
        .find(|(o, _)| *o == id)
        .map_or(id, |(_, ja)| *ja)
        .to_string()
}

/// A carrier id as staff know the carrier (an id of the merchant's own as it is).
pub(crate) fn carrier_name(id: &str) -> String {
    CARRIERS
        .iter()
        .find(|(c, _)| *c == id)
        .map_or(id, |(_, ja)| *ja)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_the_store_writes_has_words() {
        // The events the store and the sync write (store::orders, store::pushes, sync::states).
        for id in [
            "stored",
            "take_again",
            "taken",
            "take_failed",
            "cancelled",
            "cancelled_on_mall",
            "shipped_on_mall",
            "payment_received",
            "held_on_mall",
            "hold_lifted_on_mall",
            "shipping_set",
            "parcel_added",
            "status",
            "push_ok",
            "push_rejected",
            "push_failed",
            "push_unknown",
            "push_sending",
        ] {
            let ja = event(Lang::Ja, id);
            assert_ne!(ja, id, "{id} has no Japanese word");
            assert!(!ja.is_ascii(), "{id}: {ja}");
        }
        assert_eq!(event(Lang::Ja, "something_new"), "something_new");
    }

    #[test]
    fn details_are_translated_but_the_malls_words_are_kept() {
        assert_eq!(
            detail(
                Lang::Ja,
                "delivery 2: carrier yamato, tracking number 123456789013, ship date 2026-12-07"
            ),
            "配送先 2: 配送会社 yamato, 伝票番号 123456789013, 出荷日 2026-12-07"
        );
        assert_eq!(
            detail(Lang::Ja, "cancelled on the mall: delivery refused"),
            "モールでキャンセル: delivery refused"
        );
        assert_eq!(
            detail(Lang::Ja, "status set to on_hold (保留): 住所確認"),
            "ステータス: on_hold (保留): 住所確認"
        );
        assert_eq!(
            detail(
                Lang::Ja,
                "the mall says the buyer has paid; released from hold to awaiting_shipment (出荷待ち)"
            ),
            "モールで入金確認、保留を解除: awaiting_shipment (出荷待ち)"
        );
        assert_eq!(detail(Lang::En, "status set to x"), "status set to x");
    }

    #[test]
    fn carriers_and_outcomes_have_names() {
        assert_eq!(carrier_name("yamato"), "ヤマト運輸");
        assert_eq!(carrier_name("my-truck"), "my-truck");
        assert_eq!(outcome(Lang::Ja, "ok"), "完了");
        assert_eq!(outcome(Lang::En, "ok"), "ok");
    }
}
