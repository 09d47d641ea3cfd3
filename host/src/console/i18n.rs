//! The console's words: Japanese first (what a shop's staff read), English beside it. Every
//! label a page shows is a key here; templates read them as `t.KEY`. A language is chosen with
//! the switch in the page header (a cookie, `mh_lang`).

use std::collections::BTreeMap;

use axum::http::HeaderMap;

/// A language pages are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 日本語 (the default).
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// The language a request asks for (its `mh_lang` cookie), Japanese by default.
    pub fn of(headers: &HeaderMap) -> Lang {
        match super::auth::cookie(headers, "mh_lang") {
            Some("en") => Lang::En,
            _ => Lang::Ja,
        }
    }

    /// Its code (`ja`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

/// (key, 日本語, English).
const WORDS: &[(&str, &str, &str)] = &[
    (
        "labels_again",
        "この内容で確認し直す",
        "Check again with these",
    ),
    ("parcels", "個数（送り状枚数）", "Parcels (slips)"),
    ("today", "今日", "Today"),
    ("unshipped", "未出荷", "Not shipped"),
    ("plugin_off", "停止中", "OFF"),
    (
        "plugin_off_fix",
        "このモールの注文は取り込まれていません。直した版を入れるか、管理者が mallhost plugins remove --mall {mall} で外してください",
        "This mall's orders are not fetched. Install a fixed version, or take it out with mallhost plugins remove --mall {mall}",
    ),
    (
        "no_matching",
        "検索に一致する受注がありません",
        "No order matches the search",
    ),
    (
        "select_matching",
        "検索に一致する {n} 件すべて（ページをまたいで）",
        "All {n} matching orders (every page)",
    ),
    (
        "buyer_hint",
        "氏名・カナ・電話番号（全体か下4桁）",
        "Name, kana or phone (whole or last 4 digits)",
    ),
    (
        "scan",
        "伝票番号の連続入力",
        "Tracking numbers, one order after another",
    ),
    (
        "scan_save",
        "登録して次へ（Enter）",
        "Save and next (Enter)",
    ),
    ("scan_skip", "この注文を飛ばす", "Skip this order"),
    (
        "scan_done",
        "選んだ {n} 件を最後まで進みました",
        "Through all {n} ticked orders",
    ),
    (
        "to_scan",
        "伝票番号を続けて入力",
        "Enter tracking numbers in a row",
    ),
    (
        "bulk_status",
        "選んだ注文のステータス変更",
        "Status of the ticked orders",
    ),
    (
        "bulk_apply",
        "選んだ注文をこのステータスに",
        "Set the ticked orders to",
    ),
    ("labels_settings", "送り状ソフト", "Label software"),
    ("labels_sender", "ご依頼主", "Sender"),
    (
        "labels_prepaid_default",
        "すべて発払い（代金引換はコレクト）",
        "All prepaid (cash on delivery: collect)",
    ),
    ("labels_replace", "文字の置き換え", "Character replacements"),
    (
        "issued_import",
        "送り状発行済データの取込",
        "Issued label data",
    ),
    (
        "issued_intro",
        "送り状ソフト（B2クラウド・e飛伝・ゆうプリRの発送履歴）の発行済データから伝票番号を取り込みます。先に変更内容を表示します",
        "Tracking numbers from the label software's issued data (B2 Cloud, e-Hiden, Yu-Print R's shipping history); what changes is shown first",
    ),
    ("issued_set", "新しく登録", "To set"),
    ("issued_unchanged", "変更なし", "Unchanged"),
    ("issued_replace", "番号の置き換え", "To replace"),
    (
        "issued_pushed",
        "モールに送信済み：新しい番号を送り直します",
        "Sent to the mall: the new number is sent again",
    ),
    (
        "issued_replace_ok",
        "番号の置き換えを確認しました",
        "I have checked the replacements",
    ),
    (
        "issued_skip",
        "取り込めない行を除いて取り込む",
        "Import the other rows",
    ),
    ("issued_apply", "この内容で取り込む", "Import these numbers"),
    (
        "issued_applied",
        "{n} 件の伝票番号を登録しました。次の書き出しでモールへ送られます",
        "{n} tracking number(s) set; the next export sends them to the malls",
    ),
    (
        "issued_refused_rows",
        "取り込めない行があります。ファイルを直すか「取り込めない行を除いて取り込む」を選んでください。何も取り込んでいません",
        "Some rows are refused: fix the file, or tick “import the other rows”. Nothing was imported.",
    ),
    (
        "issued_replaces",
        "登録済みの番号を置き換える行があります。確認してチェックを入れてください。何も取り込んでいません",
        "Some rows replace numbers already set: check them and tick the box. Nothing was imported.",
    ),
    ("labels", "送り状データ", "Label file"),
    ("labels_format", "送り状ソフト", "Label program"),
    (
        "labels_summary",
        "送り状 {n} 件（うち書き出せないもの {stopped} 件）、対象外の配送先 {left} 件",
        "{n} slip(s), {stopped} that cannot be written; {left} delivery(ies) left out",
    ),
    (
        "labels_stopped_refused",
        "書き出せない送り状があります。直すか、「書き出せないものを除く」を選んでください。ファイルは作っていません",
        "Some slips cannot be written: fix them, or tick “leave those out”. No file was made.",
    ),
    (
        "labels_cut",
        "長い項目は … を付けて切る",
        "Cut over-long fields, marked with …",
    ),
    (
        "labels_leave_out",
        "書き出せないものを除いて書き出す",
        "Leave out the slips that cannot be written",
    ),
    (
        "labels_download",
        "B2クラウド用CSVをダウンロード",
        "Download the B2 Cloud CSV",
    ),
    ("labels_key", "お客様管理番号", "Slip key"),
    ("labels_stopped", "書き出せません", "Stopped"),
    ("labels_left_out", "対象外の配送先", "Deliveries left out"),
    (
        "slips",
        "納品書・ピッキングリスト",
        "Packing slips and pick list",
    ),
    ("print", "印刷する", "Print"),
    ("orders_count", "件の注文", "order(s)"),
    ("pick_list", "ピッキングリスト", "Pick list"),
    ("packing_slip", "納品書", "Packing slip"),
    ("amount", "金額", "Amount"),
    (
        "select_orders",
        "注文を選んでください（一覧のチェックボックス）",
        "Select orders first (the list's checkboxes)",
    ),
    (
        "select_all",
        "このページをすべて選ぶ",
        "Select every order on this page",
    ),
    (
        "to_labels",
        "送り状データ（B2クラウド）",
        "Label file (B2 Cloud)",
    ),
    (
        "to_slips",
        "納品書・ピッキングリストを印刷",
        "Print packing slips and pick list",
    ),
    (
        "no_prices",
        "納品書に価格を載せない",
        "No prices on the slips",
    ),
    (
        "select_hint",
        "チェックした注文が対象です。送り状データは、選ばなければ全店舗の出荷待ちの注文が対象です",
        "The ticked orders; with none ticked, the label file covers every shop's orders awaiting shipment",
    ),
    ("app", "mallhost 受注管理", "mallhost orders"),
    ("dashboard", "ダッシュボード", "Dashboard"),
    ("orders", "受注一覧", "Orders"),
    ("import", "データ取込", "Import"),
    ("export", "データ書出", "Export"),
    ("plugins", "プラグイン", "Plugins"),
    ("settings", "設定", "Settings"),
    ("audit", "監査ログ", "Audit log"),
    ("logout", "ログアウト", "Log out"),
    ("other_lang", "English", "日本語"),
    ("other_lang_code", "en", "ja"),
    ("signed_in_as", "ログイン中", "Signed in as"),
    // Login and refusals.
    ("login_title", "ログイン", "Log in"),
    ("name", "ユーザー名", "User name"),
    ("password", "パスワード", "Password"),
    ("login_button", "ログイン", "Log in"),
    (
        "login_failed",
        "ユーザー名またはパスワードが違います。",
        "Wrong user name or password.",
    ),
    (
        "login_limited",
        "ログインの失敗が続いたため受け付けを止めています。{minutes} 分後にもう一度お試しください。",
        "Too many failed logins: try again in {minutes} minute(s).",
    ),
    (
        "csrf_refused",
        "フォームの確認用トークンが一致しません。ページを開き直してから、もう一度送信してください。",
        "The form's security token does not match: reload the page and send it again.",
    ),
    (
        "role_refused",
        "{name} さんの権限は {role} です。この操作には {needed} 以上の権限が必要です。",
        "{name} is a {role}; this needs {needed} or above.",
    ),
    (
        "upload_too_large",
        "ファイルが大きすぎます（{mib} MiB まで）。",
        "The upload is too large (at most {mib} MiB).",
    ),
    (
        "upload_unreadable",
        "アップロードを読み取れません",
        "The upload cannot be read",
    ),
    // My account.
    ("account", "アカウント", "My account"),
    ("change_password", "パスワード変更", "Change password"),
    ("current_password", "現在のパスワード", "Current password"),
    ("new_password", "新しいパスワード", "New password"),
    (
        "password_changed",
        "パスワードを変更しました。ほかの端末のログインは終了しました。",
        "Password changed; your other sessions were ended.",
    ),
    (
        "wrong_current_password",
        "現在のパスワードが違います。",
        "The current password is wrong.",
    ),
    (
        "end_other_sessions",
        "ほかの端末からログアウト",
        "Log out everywhere else",
    ),
    (
        "sessions_ended",
        "ほかの端末のログイン {n} 件を終了しました。",
        "{n} other session(s) ended.",
    ),
    ("reset_password", "パスワード再設定", "Reset password"),
    (
        "password_reset_done",
        "{name} さんのパスワードを再設定しました。{name} さんのログインはすべて終了しました。",
        "{name}'s password was reset; all of {name}'s sessions were ended.",
    ),
    ("error", "エラー", "Error"),
    ("back", "戻る", "Back"),
    // Dashboard.
    ("shop", "ショップ", "Shop"),
    ("mall", "モール", "Mall"),
    ("plugin", "プラグイン", "Plugin"),
    ("job", "ジョブ", "Job"),
    ("job_fetch", "受注取得", "Fetch orders"),
    ("job_export", "出荷情報書出", "Export shipments"),
    ("last_run", "前回実行", "Last run"),
    ("result", "結果", "Result"),
    ("counts", "件数", "Counts"),
    ("next_run", "次回実行", "Next run"),
    ("failures_in_row", "連続失敗", "Failures in a row"),
    ("stale", "停滞", "Stale"),
    ("healthy", "正常", "Healthy"),
    ("unhealthy", "異常", "Unhealthy"),
    ("outcome_ok", "成功", "Done"),
    ("outcome_partial", "一部失敗", "Partly failed"),
    ("outcome_failed", "失敗", "Failed"),
    ("never", "未実行", "Never"),
    ("manual", "手動", "Manual"),
    (
        "credential_expiry",
        "認証情報の有効期限",
        "Credential expiry",
    ),
    ("days_left", "あと {days} 日", "{days} day(s) left"),
    ("expired", "期限切れ", "Expired"),
    ("no_plugin", "プラグイン未導入", "No plugin"),
    ("run_now", "今すぐ実行", "Run now"),
    (
        "run_started",
        "実行を開始しました（実行番号 {run}）。",
        "Started (run {run}).",
    ),
    ("running", "実行中", "Running"),
    ("orders_by_status", "ステータス別件数", "Orders by status"),
    // Orders.
    ("search", "検索", "Search"),
    ("status", "ステータス", "Status"),
    ("all", "すべて", "All"),
    ("date_from", "注文日（から）", "Ordered from"),
    ("date_to", "注文日（まで）", "Ordered to"),
    ("buyer", "購入者", "Buyer"),
    ("order_number", "注文番号", "Order number"),
    ("tracking_number", "伝票番号", "Tracking number"),
    ("ordered_at", "注文日時", "Ordered at"),
    ("billing_total", "請求金額", "Billed"),
    ("carrier", "配送業者", "Carrier"),
    ("ship_date", "出荷日", "Ship date"),
    ("found", "{n} 件", "{n} order(s)"),
    ("prev", "前へ", "Previous"),
    ("next", "次へ", "Next"),
    (
        "page_of",
        "{page} / {pages} ページ",
        "Page {page} of {pages}",
    ),
    ("download_csv", "CSV ダウンロード", "Download CSV"),
    (
        "no_orders",
        "該当する受注はありません。",
        "No orders match.",
    ),
    ("missing_names", "商品名未設定", "Names missing"),
    // Order detail.
    ("deliveries", "配送先", "Deliveries"),
    ("delivery", "配送先", "Delivery"),
    ("recipient", "お届け先", "Recipient"),
    ("address", "住所", "Address"),
    ("phone", "電話番号", "Phone"),
    ("delivery_method", "配送方法", "Delivery method"),
    ("desired_date", "お届け希望日", "Desired date"),
    ("time_slot", "時間帯", "Time slot"),
    ("lines", "商品", "Lines"),
    ("item_code", "商品管理番号", "Item code"),
    ("sku_code", "SKU", "SKU"),
    ("product_name", "商品名", "Product name"),
    ("quantity", "数量", "Qty"),
    ("unit_price", "単価", "Unit price"),
    (
        "name_missing",
        "（商品マスタに未登録）",
        "(not in the product master)",
    ),
    ("amounts", "金額", "Amounts"),
    ("items_total", "商品合計", "Items"),
    ("shipping_fee", "送料", "Shipping"),
    ("cod_fee", "代引手数料", "COD fee"),
    ("points_used", "ポイント利用", "Points used"),
    ("coupon_discount", "クーポン値引", "Coupon"),
    ("payment_method", "支払方法", "Payment"),
    ("gift_message", "ギフトメッセージ", "Gift message"),
    ("mall_status", "モール側ステータス", "Mall status"),
    ("take_state", "受注確認（モール）", "Taken on the mall"),
    ("flags", "フラグ", "Flags"),
    ("flag_multiple", "複数配送先", "Several deliveries"),
    ("flag_add_on", "付帯サービスあり", "Add-on service"),
    ("flag_no_email", "メールアドレスなし", "No buyer e-mail"),
    ("buyer_note", "備考", "Buyer's note"),
    ("history", "履歴", "History"),
    ("pushes", "出荷情報の送信", "Shipment pushes"),
    ("attempted_at", "送信日時", "Sent at"),
    ("attempt", "回目", "Attempt"),
    ("outcome", "結果", "Outcome"),
    ("no_pushes", "まだ送信していません。", "Not sent yet."),
    ("hold_reason", "保留理由", "On hold because"),
    ("change_status", "ステータス変更", "Change status"),
    ("release_hold", "保留解除", "Release hold"),
    ("reason", "理由", "Reason"),
    (
        "reason_needed",
        "理由を入力してください。",
        "Give a reason.",
    ),
    ("save", "保存", "Save"),
    ("saved", "保存しました。", "Saved."),
    ("shipping_entry", "出荷情報入力", "Enter shipping"),
    (
        "dummy",
        "ダミー伝票番号（追跡なしの郵便）",
        "Dummy number (untracked mail)",
    ),
    ("register", "登録", "Save shipping"),
    ("check_ok", "チェックデジット OK", "Check digit OK"),
    (
        "viewer_read_only",
        "閲覧者の権限では変更できません。",
        "Viewers cannot change orders.",
    ),
    // Import.
    ("import_products", "商品マスタ", "Product master"),
    ("import_shipments", "出荷情報", "Shipping data"),
    (
        "import_orders",
        "d払いミニアプリ等の受注 CSV",
        "Order CSV (mini-app)",
    ),
    ("kind", "種類", "Kind"),
    ("file", "ファイル", "File"),
    ("encoding", "文字コード", "Encoding"),
    ("enc_auto", "自動判定", "Detect"),
    ("upload", "取込", "Import"),
    ("uploading", "アップロード中", "Uploading"),
    ("processing", "取込処理中…", "Importing…"),
    ("rows", "行数", "Rows"),
    ("imported", "取込件数", "Imported"),
    ("row_errors", "取り込めなかった行", "Rows not imported"),
    ("line", "行", "Line"),
    ("column", "列", "Column"),
    ("key", "キー", "Key"),
    (
        "download_errors",
        "エラー一覧を CSV で保存",
        "Save the errors as CSV",
    ),
    (
        "no_row_errors",
        "すべての行を取り込みました。",
        "Every row was imported.",
    ),
    (
        "lines_filled",
        "商品名を補完した明細",
        "Order lines named now",
    ),
    (
        "already_stored",
        "登録済み（重複せず）",
        "Stored before (not doubled)",
    ),
    (
        "file_needed",
        "ファイルを選んでください。",
        "Choose a file.",
    ),
    // Export.
    ("date_range", "期間（更新日）", "Period (updated)"),
    (
        "preview",
        "送信内容を確認（ドライラン）",
        "Preview (dry run)",
    ),
    ("send", "モールへ送信", "Send to the mall"),
    ("would_send", "送信する受注", "Would send"),
    ("left_out", "対象外の受注", "Left out"),
    ("sent", "送信済み", "Sent"),
    ("rejected", "モールが拒否", "Rejected by the mall"),
    (
        "failed",
        "送信失敗（次回再送）",
        "Failed (sent again next time)",
    ),
    (
        "unknown",
        "結果不明（次回再送）",
        "Outcome unknown (sent again next time)",
    ),
    ("nothing", "ありません。", "None."),
    ("export_results", "送信結果", "Results"),
    ("deliveries_count", "配送先数", "Deliveries"),
    (
        "no_api",
        "このショップは API 連携がありません（CSV 取込のみ）。",
        "This shop has no order API (CSV only).",
    ),
    // Plugins.
    ("version", "バージョン", "Version"),
    ("contract", "契約バージョン", "Contract"),
    ("digest", "SHA-256", "SHA-256"),
    ("active", "使用中", "Active"),
    ("previous", "以前の版", "Earlier"),
    ("rollback", "一つ前に戻す", "Roll back"),
    ("install", "インストール", "Install"),
    ("component", "コンポーネント（.wasm）", "Component (.wasm)"),
    ("manifest", "マニフェスト（.toml）", "Manifest (.toml)"),
    (
        "installed_now",
        "{label} を使用中にしました。",
        "{label} is active now.",
    ),
    ("admin_only", "管理者のみ", "Admins only"),
    // Settings and audit.
    ("setting", "項目", "Setting"),
    ("value", "値", "Value"),
    ("given", "設定済み", "Given"),
    ("not_given", "未設定", "Missing"),
    ("required", "必須", "Required"),
    ("credentials", "認証情報", "Credentials"),
    ("carrier_ids", "配送業者 ID", "Carrier ids"),
    ("auto_fetch", "自動取得", "Auto fetch"),
    ("auto_export", "自動書出", "Auto export"),
    ("off", "オフ", "Off"),
    ("problem", "問題", "Problem"),
    ("at", "日時", "When"),
    ("actor", "実行者", "Who"),
    ("action", "操作", "Action"),
    ("detail", "内容", "Detail"),
    // Accounts.
    ("users", "利用者", "Users"),
    ("role", "権限", "Role"),
    ("role_admin", "管理者", "Admin"),
    ("role_staff", "担当者", "Staff"),
    ("role_viewer", "閲覧者", "Viewer"),
    ("enabled", "有効", "Enabled"),
    ("disabled", "停止中", "Switched off"),
    ("enable", "有効にする", "Switch on"),
    ("disable", "停止する", "Switch off"),
    ("add_user", "利用者を追加", "Add a user"),
    ("password_again", "パスワード（確認）", "Password again"),
    (
        "passwords_differ",
        "2 つのパスワードが一致しません。",
        "The two passwords differ.",
    ),
    ("user_added", "{name} を追加しました。", "{name} was added."),
    (
        "not_yourself",
        "自分のアカウントは停止できません。",
        "You cannot switch off your own account.",
    ),
    // Statuses.
    ("status_new", "新規受付", "New"),
    ("status_confirmed", "受注確認", "Confirmed"),
    ("status_awaiting_shipment", "出荷待ち", "Awaiting shipment"),
    ("status_on_hold", "保留", "On hold"),
    ("status_shipped", "出荷済み", "Shipped"),
    ("status_cancelled", "キャンセル", "Cancelled"),
];

/// Every word in `lang`, by key.
pub fn words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS
        .iter()
        .map(|(k, ja, en)| (*k, if lang == Lang::En { *en } else { *ja }))
        .collect()
}

/// One word; the key itself when there is none (a missing key shows, and a test catches it).
pub fn word(lang: Lang, key: &str) -> &'static str {
    WORDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("?", |(_, ja, en)| if lang == Lang::En { *en } else { *ja })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_listed_once_with_both_languages() {
        let mut seen = std::collections::BTreeSet::new();
        for (k, ja, en) in WORDS {
            assert!(seen.insert(*k), "{k} twice");
            assert!(!ja.is_empty() && !en.is_empty(), "{k}");
        }
        for s in crate::model::OrderStatus::ALL {
            assert_eq!(word(Lang::Ja, &format!("status_{}", s.id())), s.label());
        }
    }

    #[test]
    fn every_key_a_template_uses_exists() {
        let keys = words(Lang::Ja);
        for (name, text) in super::super::TEMPLATES {
            let mut rest = *text;
            while let Some(i) = rest.find("t.") {
                let tail = &rest[i + 2..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                let key = &tail[..end];
                let before = rest[..i].chars().last();
                if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && !key.is_empty()
                {
                    assert!(
                        keys.contains_key(key),
                        "{name} uses t.{key}, which is not a word"
                    );
                }
                rest = &tail[end..];
            }
        }
    }
}
