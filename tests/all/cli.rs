//! The `mallhost` command as staff use it: CSV imports in both encodings, shipping entry,
//! export, JSON output, configuration errors, secrets. The CSV fixtures are made here.

use mallhost::time::Clock as _;
use mallhost_tests::{Options, TestEnv};

fn sjis(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable, "fixture text is Shift_JIS-safe");
    bytes.into_owned()
}

fn crlf(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// An environment whose clock the `mallhost` runs share (`--now`), whatever the real time.
async fn env_now() -> TestEnv {
    TestEnv::start(Options::default()).await
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[tokio::test]
async fn products_import_from_utf8_bom_and_shift_jis_reporting_bad_rows() {
    let env = env_now().await;
    let utf8 = crlf(&[
        "商品管理番号,SKU管理番号,商品名,価格,JANコード",
        "tea-set-01,tea-set-01-red,有田焼 茶器セット（赤）,3300,4901234567894",
        "matcha-100g,matcha-100g,宇治抹茶 100g,1620,",
        ",x,名前のない行,100,",
        "yuzu-jam,yuzu-jam-200,柚子ジャム,千円,",
        "hinoki-cup,hinoki-cup,,4400,",
    ]);
    let bom = [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat();
    let path = env.write("products-utf8.csv", &bom);
    let (code, out, err) = env.cli_code(&["--json", "import", "products", &path]).await;
    assert_eq!(code, 2, "imported, with rows refused: {err}");
    let r = json(&out);
    assert_eq!(r["encoding"], "UTF-8 (BOM)");
    assert_eq!(r["imported"], 2);
    let lines: Vec<u64> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 5, 6], "each bad row by its line: {out}");
    assert!(r["errors"][1]["reason"].as_str().unwrap().contains("千円"));

    let sj = sjis(&crlf(&[
        "商品管理番号,SKU管理番号,商品名",
        "senbei-box,senbei-box-24,草加せんべい 24枚入",
    ]));
    let path = env.write("products-sjis.csv", &sj);
    let (ok, out, err) = env.cli(&["import", "products", &path]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("Shift_JIS") && out.contains("1 imported"),
        "{out}"
    );
    let (ok, out, _) = env
        .cli(&["--json", "import", "products", "--encoding", "utf-8", &path])
        .await;
    assert!(
        !ok && out.is_empty(),
        "the wrong encoding, chosen, imports nothing"
    );

    // Not a CSV at all: nothing imported, and the message says why.
    let path = env.write("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
    let (ok, _, err) = env.cli(&["import", "products", &path]).await;
    assert!(
        !ok && err.contains("not a text file") && err.contains("nothing was imported"),
        "{err}"
    );
    let path = env.write("other.csv", "date,amount\n2026-01-01,5\n".as_bytes());
    let (ok, _, err) = env.cli(&["import", "products", &path]).await;
    assert!(
        !ok && err.contains("商品名"),
        "names the missing columns: {err}"
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products")
        .fetch_one(env.store.pool())
        .await
        .unwrap();
    assert_eq!(count, 3);
}

const ORDER_HEADER: &str = "注文番号,注文日時,支払方法,注文者氏名,注文者氏名カナ,注文者郵便番号,注文者都道府県,注文者住所1,注文者住所2,注文者電話番号,送付先氏名,送付先氏名カナ,送付先郵便番号,送付先都道府県,送付先住所1,送付先住所2,送付先電話番号,配送方法,お届け希望日,お届け希望時間帯,商品管理番号,SKU管理番号,数量,単価,税率,送料,ポイント利用額,クーポン値引額,請求金額,備考";

/// One CSV row: order number, (item, SKU, quantity, unit price, tax rate), billing total, note.
fn order_row(n: &str, line: (&str, &str, u32, i64, u8), billing: i64, note: &str) -> String {
    let (item, sku, qty, price, tax) = line;
    format!(
        "{n},2026/11/27 21:05:00,d払い,伊藤 さくら,イトウ サクラ,9800811,宮城県,仙台市青葉区一番町4-6-1,,0223334444,\
         伊藤 さくら,イトウ サクラ,9800811,宮城県,仙台市青葉区一番町4-6-1,,0223334444,宅配便,,指定なし,\
         {item},{sku},{qty},{price},{tax},550,0,0,{billing},{note}"
    )
}

#[tokio::test]
async fn mini_app_orders_import_from_shift_jis_through_the_plugin() {
    let env = env_now().await;
    env.store
        .upsert_product(
            "matcha-100g",
            "matcha-100g",
            "宇治抹茶 100g",
            None,
            env.clock.now(),
        )
        .await
        .unwrap();
    let good_total = 2 * 1620 + 3300 + 550;
    let rows = [
        ORDER_HEADER.to_string(),
        order_row(
            "MA0001",
            ("matcha-100g", "matcha-100g", 2, 1620, 8),
            good_total,
            "熨斗不要",
        ),
        order_row(
            "MA0001",
            ("tea-set-01", "tea-set-01-red", 1, 3300, 10),
            good_total,
            "熨斗不要",
        ),
        // Rows of one order that disagree on an order-level column.
        order_row(
            "MA0002",
            ("matcha-100g", "matcha-100g", 1, 1620, 8),
            2170,
            "",
        ),
        order_row("MA0002", ("yuzu-jam", "yuzu-jam-200", 1, 972, 8), 9999, ""),
        // A bad number.
        order_row("MA0003", ("yuzu-jam", "yuzu-jam-200", 1, 972, 5), 1522, ""),
    ];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let path = env.write("miniapp.csv", &sjis(&crlf(&refs)));
    let (code, out, err) = env
        .cli_code(&["--json", "import", "orders", "--shop", "dshop", &path])
        .await;
    assert_eq!(code, 2, "imported, with orders refused: {err}");
    let r = json(&out);
    assert_eq!(r["encoding"], "Shift_JIS");
    assert_eq!(r["orders"], 3);
    assert_eq!(r["stored"], serde_json::json!(["MA0001"]));
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{out}");
    assert_eq!(errors[0]["key"], "MA0002");
    assert!(
        errors[0]["reason"].as_str().unwrap().contains("請求金額"),
        "{out}"
    );
    assert_eq!(errors[1]["key"], "MA0003");
    assert!(
        errors[1]["reason"].as_str().unwrap().contains("税率"),
        "{out}"
    );

    // Stored like a fetched order: converted, named, nothing half-stored.
    let d = env.store.order_detail("dshop", "MA0001").await.unwrap();
    assert_eq!(d.order.deliveries[0].lines.len(), 2);
    assert_eq!(d.order.deliveries[0].carrier.as_deref(), Some("yamato"));
    assert_eq!(
        d.order.deliveries[0].lines[0].product_name.as_deref(),
        Some("宇治抹茶 100g")
    );
    assert_eq!(d.order.buyer_note, "熨斗不要");
    assert_eq!(d.summary.take_state, mallhost::model::TakeState::NotNeeded);
    assert!(env.store.order_detail("dshop", "MA0002").await.is_err());
    let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_lines")
        .fetch_one(env.store.pool())
        .await
        .unwrap();
    assert_eq!(lines, 2);

    // The same file again stores nothing twice (its two bad orders are refused again).
    let (code, out, _) = env
        .cli_code(&["--json", "import", "orders", "--shop", "dshop", &path])
        .await;
    assert_eq!(code, 2);
    assert_eq!(json(&out)["already_stored"], serde_json::json!(["MA0001"]));
    assert_eq!(env.stored_count().await, 1);
}

#[tokio::test]
async fn a_mini_app_order_too_big_for_the_plugin_is_that_orders_error() {
    let env = env_now().await;
    // A 10 MB note: more than the plugin's memory holds once parsed and mapped.
    let note = "あ".repeat(10 * 1024 * 1024 / 3);
    let rows = [
        ORDER_HEADER.to_string(),
        order_row(
            "MA0100",
            ("matcha-100g", "matcha-100g", 1, 1620, 8),
            2170,
            &note,
        ),
        order_row(
            "MA0101",
            ("matcha-100g", "matcha-100g", 1, 1620, 8),
            2170,
            "ok",
        ),
    ];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let path = env.write("big-note.csv", crlf(&refs).as_bytes());
    let (code, out, err) = env
        .cli_code(&["--json", "import", "orders", "--shop", "dshop", &path])
        .await;
    assert_eq!(code, 2, "the other order is imported: {err}");
    let r = json(&out);
    assert_eq!(
        r["stored"],
        serde_json::json!(["MA0101"]),
        "{}",
        &out[..out.len().min(2000)]
    );
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["key"], "MA0100");
    let reason = errors[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("memory") && !reason.contains("wasm backtrace"),
        "{reason}"
    );
    assert!(
        reason.len() < 1000,
        "a reason, not a dump: {} bytes",
        reason.len()
    );
}

#[tokio::test]
async fn staff_enter_shipping_by_hand_and_in_bulk_then_export() {
    let env = env_now().await;
    for n in 0..4 {
        env.order_placed(n, 60 + i64::from(n));
    }
    let (ok, out, err) = env.cli(&["--json", "fetch", "--shop", "dshop"]).await;
    assert!(ok, "{err}");
    let fetched = json(&out);
    let numbers: Vec<String> = fetched["stored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers.len(), 4);
    assert_eq!(fetched["take"]["taken"].as_array().unwrap().len(), 4);

    // By hand: a bad check digit is refused and says which digit it expects.
    let (ok, _, err) = env
        .cli(&[
            "orders",
            "ship",
            "--shop",
            "dshop",
            &numbers[0],
            "--carrier",
            "yamato",
            "--tracking",
            "123456789012",
        ])
        .await;
    assert!(
        !ok && err.contains("check digit") && err.contains(&numbers[0]),
        "{err}"
    );
    let (ok, _, err) = env
        .cli(&[
            "orders",
            "ship",
            "--shop",
            "dshop",
            &numbers[0],
            "--carrier",
            "sagawa-x",
            "--tracking",
            "1",
        ])
        .await;
    assert!(!ok && err.contains("carrier_ids"), "{err}");
    let (ok, out, err) = env
        .cli(&[
            "--json",
            "orders",
            "ship",
            "--shop",
            "dshop",
            &numbers[0],
            "--carrier",
            "japanpost",
            "--dummy",
        ])
        .await;
    assert!(ok, "{err}");
    let dummy = json(&out)["tracking_number"].as_str().unwrap().to_string();
    assert_eq!(
        dummy.len(),
        12,
        "a dummy that passes Japan Post's rule: {dummy}"
    );

    // In bulk, with per-row errors.
    let csv = format!(
        "注文番号,配送業者,伝票番号,出荷日\n{},yamato,123456789013,\n{},yamato,1234-5678-9024,\n{},seino,ABC,\nNOPE,yamato,123456789013,\n{},yamato,123456789013,2026/13/01\n",
        numbers[1], numbers[2], numbers[3], numbers[3]
    );
    let path = env.write("shipments.csv", csv.as_bytes());
    let (code, out, err) = env
        .cli_code(&["--json", "import", "shipments", "--shop", "dshop", &path])
        .await;
    assert_eq!(code, 2, "imported, with rows refused: {err}");
    let r = json(&out);
    assert_eq!(r["updated"], 2, "{out}");
    let reasons: Vec<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e["line"], e["reason"]))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with("4:") && reasons[0].contains("seino"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("5:") && reasons[1].contains("NOPE"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].starts_with("6:") && reasons[2].contains("2026/13/01"),
        "{reasons:?}"
    );

    // Dry run first, then the export.
    let (ok, out, _) = env
        .cli(&["--json", "export", "--shop", "dshop", "--dry-run"])
        .await;
    assert!(ok);
    let dry = json(&out);
    assert_eq!(dry["pushed"].as_array().unwrap().len(), 3);
    assert_eq!(dry["excluded"][0]["reason"], "no_ship_date");
    assert_eq!(dry["excluded"][0]["mall_order_number"], numbers[3].as_str());
    let (ok, out, err) = env.cli(&["export", "--shop", "dshop"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("3 sent"), "{out}");
    assert_eq!(
        env.dshopping()
            .order(&numbers[0])
            .unwrap()
            .shipment
            .unwrap()
            .carrier_id,
        "03"
    );
    assert_eq!(
        env.dshopping()
            .order(&numbers[2])
            .unwrap()
            .shipment
            .unwrap()
            .tracking_number,
        "123456789024"
    );
    let (ok, out, _) = env
        .cli(&["orders", "show", "--shop", "dshop", &numbers[0]])
        .await;
    assert!(
        ok && out.contains("(dummy)") && out.contains("push_ok"),
        "{out}"
    );
    // Every fee and discount by its label (Yahoo finding 7: a fixed table left some out).
    let d = env.store.order_detail("dshop", &numbers[0]).await.unwrap();
    let (fees, discounts) = d.order.fee_lists();
    assert!(!fees.is_empty(), "{d:?}");
    for label in fees
        .iter()
        .map(|f| &f.label)
        .chain(discounts.iter().map(|x| &x.label))
    {
        assert!(out.contains(&format!(" {label} ¥")), "{label}: {out}");
    }
}

#[tokio::test]
async fn a_bad_config_stops_before_anything_runs_and_secrets_never_show() {
    let env = env_now().await;
    let path = env.dir.path().join("mallhost.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        good.replace(
            "stored_status = \"awaiting_shipment\"",
            "stored_status = \"packing\"",
        ),
    )
    .unwrap();
    let (ok, _, err) = env.cli(&["orders", "list"]).await;
    assert!(!ok);
    assert!(
        err.contains("shop \"dshop\"")
            && err.contains("stored_status")
            && err.contains("on_hold (保留)"),
        "{err}"
    );

    std::fs::write(
        &path,
        good.replace(
            "api_password = \"emulator-secret\"",
            "api_password = \"hunter2-secret\"",
        ),
    )
    .unwrap();
    env.order_placed(1, 30);
    // With every log line on: neither the password nor the Basic header built from it shows.
    let (ok, out, err) = env
        .cli_logging(&["fetch", "--shop", "dshop"], "trace")
        .await;
    assert!(!ok && err.contains("authentication failed"), "{err}");
    assert!(
        err.contains("DEBUG") || err.contains("TRACE"),
        "debug logging is on: {err}"
    );
    assert_secret_absent(&out, &err, "P0001234", "hunter2-secret");
    let (_, out, err) = env.cli_logging(&["--json", "plugins"], "trace").await;
    assert_secret_absent(&out, &err, "P0001234", "hunter2-secret");
    assert!(out.contains("\"mall_id\": \"dshopping\""), "{out}");

    // The right password, a whole cycle at trace level: it never shows either.
    std::fs::write(&path, &good).unwrap();
    let (ok, out, err) = env
        .cli_logging(&["fetch", "--shop", "dshop"], "trace")
        .await;
    assert!(ok, "{err}");
    assert_secret_absent(&out, &err, "P0001234", "emulator-secret");
}

/// Neither the password, nor the HTTP Basic credentials built from it (in base64, with and
/// without padding), appear in the output.
fn assert_secret_absent(out: &str, err: &str, user: &str, password: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let basic = b64.encode(format!("{user}:{password}"));
    let forms = [
        password.to_string(),
        basic.clone(),
        basic.trim_end_matches('=').to_string(),
        b64.encode(password),
    ];
    for form in &forms {
        assert!(
            !out.contains(form.as_str()) && !err.contains(form.as_str()),
            "a form of the password shows ({form}):\n{out}\n{err}"
        );
    }
}

#[tokio::test]
async fn missing_names_and_unconverted_labels_are_listed() {
    let env = env_now().await;
    let n = env.order_placed(1, 60);
    let mut o = env.dshopping().order(&n).unwrap();
    o.deliveries[0].delivery_method = "チルド便".into();
    env.dshopping().add_order(o);
    let (ok, out, err) = env.cli(&["fetch", "--shop", "dshop"]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("チルド便") && out.contains("conversion table"),
        "warned: {out}"
    );
    let (ok, out, _) = env.cli(&["orders", "unconverted", "--shop", "dshop"]).await;
    assert!(
        ok && out.contains("delivery_method \"チルド便\": 1 order(s)"),
        "{out}"
    );
    let (ok, out, _) = env.cli(&["--json", "orders", "missing-names"]).await;
    assert!(ok);
    let codes: Vec<String> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["item_code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 2, "both lines' products lack names: {codes:?}");
}

#[tokio::test]
async fn the_demo_runs_every_shipped_mall_in_one_host_against_the_bundled_emulators() {
    let env = env_now().await;
    let demo_dir = env.dir.path().join("demo");
    let list = mallhost_tests::emulators_built();
    let (ok, out, err) = env
        .cli(&[
            "--json",
            "demo",
            "--dir",
            &demo_dir.display().to_string(),
            "--list",
            &list.display().to_string(),
        ])
        .await;
    assert!(
        ok,
        "the demo runs (a binary built with --features demo): {err}"
    );
    let s = json(&out);
    let malls = s["malls"].as_array().expect("a summary per mall");
    let mall = |id: &str| {
        malls
            .iter()
            .find(|m| m["mall"] == id)
            .unwrap_or_else(|| panic!("{id} in {s}"))
    };
    // Each mall: orders went from new to taken and on to shipped, as many as the export sent.
    for (id, new, shipped) in [
        ("dshopping", "受注確認待ち", "出荷完了"),
        ("rakuten", "注文確認待ち", "発送済"),
        ("yahoo", "新規 (未読)", "出荷済み"),
    ] {
        let m = mall(id);
        let count = |side: &str, status: &str| m[side][status].as_u64().unwrap_or(0);
        assert!(
            count("mall_after", new) < count("mall_before", new),
            "{id}: {m}"
        );
        let pushed = m["export"]["pushed"].as_array().map_or(0, Vec::len) as u64;
        assert!(pushed > 0, "{id}: {m}");
        assert_eq!(
            count("mall_after", shipped) - count("mall_before", shipped),
            pushed,
            "{id}: every shipment the export sent shows on the mall: {m}"
        );
        assert!(!m["fetch"]["stored"].as_array().unwrap().is_empty(), "{m}");
        assert!(m["export"]["failed"].as_array().unwrap().is_empty(), "{m}");
    }
    assert_eq!(
        s["database"].as_str().map(|d| d.starts_with("sqlite://")),
        Some(true),
        "one database for all: {s}"
    );
    assert!(demo_dir.join("mallhost.toml").exists());
}

#[tokio::test]
async fn shops_lists_each_shops_plugin_settings_and_credential_states() {
    let env = env_now().await;
    if !mallhost_tests::on_contract_0_2() {
        return;
    }
    let (ok, out, err) = env.cli(&["shops"]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains(
            "shop dshop (テスト雑貨店) — mall dshopping, plugin dshopping@0.3.0 (contract 0.3.0)"
        ) && out.contains("setting partner_code (パートナーコード (partner code)): set")
            && out.contains("credential api_password (APIパスワード (API password)): valid"),
        "{out}"
    );
    assert!(!out.contains("emulator-secret"), "no secret shown: {out}");
    // Without the password, the shop shows what is missing and how to fix it — and `fetch`
    // refuses to start.
    let path = env.dir.path().join("mallhost.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        good.replace("api_password = \"emulator-secret\"", ""),
    )
    .unwrap();
    let (ok, out, err) = env.cli(&["--json", "shops"]).await;
    assert!(ok, "{err}");
    let list = json(&out);
    assert_eq!(list[0]["credentials"][0]["state"], "missing", "{out}");
    assert!(
        list[0]["problem"]
            .as_str()
            .unwrap_or("")
            .contains("credentials.api_password"),
        "{out}"
    );
    let (ok, _, err) = env.cli(&["fetch", "--shop", "dshop"]).await;
    assert!(!ok && err.contains("api_password_env"), "{err}");
}

#[tokio::test]
async fn a_relative_database_is_beside_the_config_and_reading_never_creates_one() {
    let env = env_now().await;
    let config = std::fs::read_to_string(env.dir.path().join("mallhost.toml")).unwrap();
    std::fs::write(
        env.dir.path().join("mallhost.toml"),
        config.replace(&env.db.url, "sqlite://relative/here.db"),
    )
    .unwrap();
    // A command that only reads: refused, and nothing created.
    let (code, _, err) = env.cli_code(&["orders", "list"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no database at") && err.contains("relative/here.db"),
        "{err}"
    );
    assert!(!env.dir.path().join("relative/here.db").exists());
    // A fetch creates it beside the config file, wherever the command runs from.
    std::fs::create_dir_all(env.dir.path().join("relative")).unwrap();
    env.order_placed(1, 60);
    let (code, _, err) = env.cli_code(&["fetch", "--shop", "dshop"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(env.dir.path().join("relative/here.db").exists());
    let (code, out, _) = env.cli_code(&["orders", "list"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("DS"), "{out}");
}

#[tokio::test]
async fn without_an_admin_account_the_admin_api_is_never_served_beyond_this_machine() {
    let env = env_now().await;
    for addr in ["0.0.0.0:0", "[::]:0", "192.0.2.10:8930"] {
        let (code, out, err) = env.cli_code(&["serve", "--admin", addr]).await;
        assert_eq!(code, 1, "{addr}: {out}");
        assert!(err.contains("loopback"), "{addr}: {err}");
        assert!(!out.contains("admin API on"), "{addr}: nothing was served");
    }
}

#[tokio::test]
async fn logs_are_json_lines_with_the_shop_as_a_field_and_rust_log_is_honoured() {
    let env = env_now().await;
    env.order_placed(1, 60);
    let out = env
        .cli_command(&["--log-format", "json", "fetch", "--shop", "dshop"])
        .env_remove("MALLHOST_LOG")
        .env("RUST_LOG", "mallhost=info")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["shop"] == "dshop"
            && l["level"] == "INFO"
            && l["timestamp"].as_str().is_some_and(|t| t.starts_with("20"))
            && l["message"].as_str().is_some_and(|m| !m.contains("dshop"))),
        "the shop is a field of its own: {err}"
    );
    // RUST_LOG is honoured when MALLHOST_LOG is not set.
    env.order_placed(2, 60);
    let out = env
        .cli_command(&["fetch", "--shop", "dshop"])
        .env_remove("MALLHOST_LOG")
        .env("RUST_LOG", "off")
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
