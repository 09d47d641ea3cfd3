//! Shipping day through the CLI against the d Shopping emulator: orders fetched, one B2クラウド
//! label export, the issued data (numbers filled, as B2 writes it) imported, and the next export
//! sends every number to the mall — nothing typed per order. A second import changes nothing.

use mallhost_tests::{Options, TestEnv};

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// A 12-digit number with Yamato's check digit (the first eleven mod 7).
fn number(body: u64) -> String {
    format!("{body:011}{}", body % 7)
}

#[tokio::test]
async fn one_label_export_one_import_and_the_mall_has_every_number() {
    let env = TestEnv::start(Options::default()).await;
    let config = env.dir.path().join("mallhost.toml");
    let mut toml = std::fs::read_to_string(&config).expect("config");
    toml.push_str(
        "\n[shops.labels]\nsender_name = \"わたしの雑貨店\"\nsender_phone = \"03-1234-5678\"\n\
         sender_postal = \"100-0001\"\nsender_address = \"東京都千代田区千代田1-1\"\n\
         b2_customer_code = \"012345678901\"\n\
         b2_time_slots = { \"am\" = \"0812\", \"none\" = \"\" }\n",
    );
    std::fs::write(&config, toml).expect("config written");
    for n in 0..3 {
        env.order_placed(n, 60 + i64::from(n));
    }
    let (ok, out, err) = env.cli(&["--json", "fetch", "--shop", "dshop"]).await;
    assert!(ok, "{err}");
    let numbers: Vec<String> = json(&out)["stored"]
        .as_array()
        .expect("stored")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert_eq!(numbers.len(), 3);

    // The preview first: every slip, nothing written; the メール便 order is 日本郵便's.
    let (ok, out, err) = env
        .cli(&[
            "--json",
            "labels",
            "export",
            "--format",
            "b2",
            "--shop",
            "dshop",
            "--preview",
        ])
        .await;
    assert!(ok, "{err}");
    let preview = json(&out);
    let slips: Vec<String> = preview["slips"]
        .as_array()
        .expect("slips")
        .iter()
        .filter_map(|s| s["order"].as_str().map(str::to_string))
        .collect();
    let left_out = preview["left_out"].as_array().expect("left out");
    assert_eq!(slips.len() + left_out.len(), 3, "{out}");
    assert!(slips.len() >= 2, "{out}");
    assert!(
        left_out
            .iter()
            .all(|l| l["reason"]["carrier"].as_str() == Some("japanpost")),
        "{out}"
    );
    assert!(
        preview["slips"]
            .as_array()
            .expect("slips")
            .iter()
            .all(|s| s["problems"].as_array().is_some_and(Vec::is_empty)),
        "the shop's time-slot codes are used: {out}"
    );
    assert!(!env.dir.path().join("b2.csv").exists());
    let file = env.dir.path().join("b2.csv");
    let shown = file.display().to_string();
    let (ok, out, err) = env
        .cli(&[
            "labels", "export", "--format", "b2", "--shop", "dshop", "-o", &shown,
        ])
        .await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("wrote {} slip(s)", slips.len())),
        "{out}"
    );
    let bytes = std::fs::read(&file).expect("the label file");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad, "CP932");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines.len(),
        1 + slips.len(),
        "a header and a row per slip: {text}"
    );
    assert!(lines[0].starts_with("\"お客様管理番号\""));

    // B2 prints them and writes its issued data: the same rows, 伝票番号 filled.
    let mut issued = String::new();
    issued.push_str(lines[0]);
    issued.push_str("\r\n");
    let mut given = Vec::new();
    for (i, line) in lines[1..].iter().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        let n = number(81_000_000_101 + i as u64);
        cells[3] = format!("\"{n}\"");
        given.push(n);
        issued.push_str(&cells.join(","));
        issued.push_str("\r\n");
    }
    let cp932 = |text: &str| encoding_rs::SHIFT_JIS.encode(text).0.into_owned();
    let path = env.write("issued.csv", &cp932(&issued));
    let (ok, out, err) = env
        .cli(&["--json", "labels", "import", &path, "--dry-run"])
        .await;
    assert!(ok, "{err}");
    let preview = json(&out);
    assert_eq!(
        preview["set"].as_array().map(Vec::len),
        Some(slips.len()),
        "{out}"
    );
    let (ok, out, err) = env.cli(&["labels", "import", &path]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("{} tracking number(s) set", slips.len())),
        "{out}"
    );

    // The next export sends them.
    let (ok, out, err) = env.cli(&["export", "--shop", "dshop"]).await;
    assert!(ok, "{err}");
    assert!(out.contains(&format!("{} sent", slips.len())), "{out}");
    assert_eq!(numbers.len(), 3);
    let mut at_mall: Vec<String> = slips
        .iter()
        .map(|n| {
            env.dshopping()
                .order(n)
                .and_then(|o| o.shipment)
                .map(|s| s.tracking_number)
                .unwrap_or_default()
        })
        .collect();
    at_mall.sort();
    given.sort();
    assert_eq!(at_mall, given);

    // The same file again changes nothing.
    let (ok, out, err) = env.cli(&["labels", "import", &path]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!(
            "0 tracking number(s) set, {} unchanged",
            slips.len()
        )),
        "{out}"
    );
    // Another number for a sent delivery needs --replace, and says the mall has the old one.
    let changed = issued.replace(&given[0], &number(81_000_000_999));
    let changed = env.write("changed.csv", &cp932(&changed));
    let (ok, out, err) = env.cli(&["labels", "import", &changed]).await;
    assert!(!ok && err.contains("--replace"), "{err}");
    assert!(out.contains("the mall has the old number"), "{out}");
}

/// The test config with `[shops.labels]` (the d Shopping shop is the file's last).
fn with_labels(env: &TestEnv) -> std::path::PathBuf {
    let config = env.dir.path().join("mallhost.toml");
    let mut toml = std::fs::read_to_string(&config).expect("config");
    toml.push_str(
        "\n[shops.labels]\nsender_name = \"わたしの雑貨店\"\nb2_customer_code = \"012345678901\"\n\
         b2_time_slots = { \"am\" = \"0812\", \"none\" = \"\" }\n",
    );
    std::fs::write(&config, toml).expect("config written");
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_tick_orders_on_the_list_then_get_the_label_file_slips_and_pick_list() {
    use super::console::{csrf_of, env_with_staff, login_http, no_redirects, page_text, post};
    use mallhost::time::Clock as _;
    let env = env_with_staff().await;
    let config = with_labels(&env);
    for n in 0..3 {
        env.order_placed(n, 60 + i64::from(n));
    }
    let numbers = env.fetch().await.take.taken;
    assert_eq!(numbers.len(), 3);
    let (mut serve, base) = env.serve_with_admin(&config).await;
    let c = no_redirects();
    let cookie = login_http(&c, &base, "sam").await;
    let list = page_text(&c, &format!("{base}/console/orders"), &cookie).await;
    for n in &numbers {
        assert!(
            list.contains(&format!("value=\"dshop/{n}\" form=\"selection\"")),
            "a checkbox for {n}"
        );
    }
    // 今日: the orders of today (JST) a click away.
    let today = mallhost::time::jst_date(env.clock.now()).to_string();
    assert!(
        list.contains(&format!("?from={today}&amp;to={today}\" id=\"tab-today\"")),
        "{list}"
    );
    let todays = page_text(
        &c,
        &format!("{base}/console/orders?from={today}&to={today}"),
        &cookie,
    )
    .await;
    assert!(numbers.iter().all(|n| todays.contains(n.as_str())));
    let csrf = csrf_of(&list);
    let ticked: Vec<String> = numbers.iter().map(|n| format!("dshop/{n}")).collect();
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend(ticked.iter().map(|o| ("o", o.as_str())));

    // The preview: a slip per 宅配便 order, the メール便 one left out, saying why.
    let r = post(&c, &format!("{base}/console/labels"), &cookie, &form).await;
    assert_eq!(r.status().as_u16(), 200);
    let preview = r.text().await.expect("html");
    let slips = preview.matches("<tr class=\"ok\">").count();
    assert!(slips >= 2, "{preview}");
    assert!(
        preview.contains("id=\"left-out\"") && preview.contains("「日本郵便」"),
        "left out in the staff's words: {preview}"
    );
    assert!(preview.contains("MH0000000"));
    assert!(
        preview.contains("B2クラウド（ヤマト運輸）"),
        "the program by its name"
    );
    // The same ticked orders as ゆうプリR's file: the メール便 order is the one that goes in.
    let mut yupri = form.clone();
    yupri.push(("format", "yupri"));
    let r = post(&c, &format!("{base}/console/labels"), &cookie, &yupri).await;
    let page = r.text().await.expect("html");
    assert_eq!(
        page.matches("<tr class=\"ok\">").count(),
        3 - slips,
        "{page}"
    );
    assert!(page.contains("ゆうプリR（日本郵便）") && page.contains("「ヤマト運輸」"));
    yupri.push(("download", "1"));
    let r = post(&c, &format!("{base}/console/labels"), &cookie, &yupri).await;
    assert!(
        r.headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("yupri-")),
        "{:?}",
        r.headers()
    );
    let bytes = r.bytes().await.expect("the file");
    assert!(bytes.starts_with(b"\"MH"), "ゆうプリR's file has no header");
    // Two parcels for an order: a slip (and a key) for each.
    let parcels_field = preview
        .split("name=\"n:")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|order| format!("n:{order}"))
        .expect("a parcels field per order");
    let mut two = form.clone();
    two.push((&parcels_field, "2"));
    let r = post(&c, &format!("{base}/console/labels"), &cookie, &two).await;
    let again = r.text().await.expect("html");
    assert_eq!(
        again.matches("<tr class=\"ok\">").count(),
        slips + 1,
        "{again}"
    );
    // The file.
    let mut download = form.clone();
    download.push(("download", "1"));
    let r = post(&c, &format!("{base}/console/labels"), &cookie, &download).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=Shift_JIS")
    );
    let bytes = r.bytes().await.expect("the file");
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert_eq!(text.matches("\r\n").count(), 1 + slips, "{text}");
    // Without the token, or as a viewer: refused.
    let r = post(
        &c,
        &format!("{base}/console/labels"),
        &cookie,
        &download[1..],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    let viewer = login_http(&c, &base, "vic").await;
    let r = post(&c, &format!("{base}/console/labels"), &viewer, &download).await;
    assert_eq!(r.status().as_u16(), 403);

    // 納品書, one sheet per order, after the pick list summing every line.
    let r = post(&c, &format!("{base}/console/slips"), &cookie, &form).await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.expect("html");
    assert_eq!(html.matches("class=\"sheet slip\"").count(), 3, "{html}");
    assert!(html.contains("id=\"pick-list\""));
    // "Every matching order" instead of ticked rows: the search's orders, on every page.
    assert!(list.contains("id=\"select-matching\""), "{list}");
    let matching = format!("status=awaiting_shipment&from={today}");
    let r = post(
        &c,
        &format!("{base}/console/slips"),
        &cookie,
        &[("csrf", csrf.as_str()), ("matching", matching.as_str())],
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let all = r.text().await.expect("html");
    assert_eq!(all.matches("class=\"sheet slip\"").count(), 3, "{all}");
    let r = post(
        &c,
        &format!("{base}/console/slips"),
        &cookie,
        &[("csrf", csrf.as_str()), ("matching", "status=shipped")],
    )
    .await;
    assert_eq!(
        r.status().as_u16(),
        422,
        "nothing matches: said so, not every order"
    );
    let none = r.text().await.expect("html");
    assert!(none.contains("検索に一致する受注がありません"), "{none}");
    for n in &numbers {
        assert!(html.contains(n.as_str()), "{n} has its slip");
    }

    // B2's issued data back through データ取込: a preview first, then applied.
    let mut issued = String::new();
    for (i, line) in text.split("\r\n").filter(|l| !l.is_empty()).enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if i > 0 {
            cells[3] = format!("\"{}\"", number(81_000_000_201 + i as u64));
        }
        issued.push_str(&cells.join(","));
        issued.push_str("\r\n");
    }
    let issued = encoding_rs::SHIFT_JIS.encode(&issued).0.into_owned();
    let url = format!("{base}/console/labels/import?csrf={csrf}");
    let upload = |fields: Vec<(&str, String)>, file: Option<&[u8]>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (ctype, body) = super::console::multipart(
            &fields,
            ("file", "発行済データ.csv", file.unwrap_or_default()),
        );
        c.post(&url)
            .header("cookie", &cookie)
            .header("content-type", ctype)
            .body(body)
            .send()
    };
    let r = upload(vec![], Some(&issued)).await.expect("uploaded");
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.expect("html");
    assert!(
        page.contains(&format!("id=\"issued-set\">{slips}<")),
        "{page}"
    );
    let data = page
        .split("name=\"data\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the file goes back with the confirmation")
        // As a browser reads the attribute: minijinja escapes `/` (and would `&`, quotes).
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x2b;", "+");
    let r = upload(
        vec![
            ("data", data),
            ("name", "発行済データ.csv".into()),
            ("apply", "1".into()),
        ],
        None,
    )
    .await
    .expect("applied");
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.expect("html");
    assert!(page.contains("id=\"issued-applied\""), "{page}");
    let mut tracked = 0;
    for n in &numbers {
        let ds = env.store.delivery_shipping("dshop", n).await.expect("read");
        tracked += ds.iter().filter(|d| d.tracking.is_some()).count();
    }
    assert_eq!(tracked, slips);

    // Held in bulk with one reason, each in its history; a status change without a reason is
    // refused.
    let mut hold = form.clone();
    hold.extend([("status", "on_hold"), ("reason", "住所確認中")]);
    let r = post(
        &c,
        &format!("{base}/console/orders/bulk-status"),
        &cookie,
        &hold,
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    for n in &numbers {
        let d = env.store.order_detail("dshop", n).await.expect("order");
        assert_eq!(d.summary.status, mallhost::model::OrderStatus::OnHold);
        assert!(
            d.history
                .iter()
                .any(|(_, _, detail)| detail.contains("住所確認中"))
        );
    }
    let mut no_reason = form.clone();
    no_reason.extend([("status", "awaiting_shipment"), ("reason", " ")]);
    let r = post(
        &c,
        &format!("{base}/console/orders/bulk-status"),
        &cookie,
        &no_reason,
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);

    // 未出荷: the held orders are not shipped yet; the history says what happened in words.
    let unshipped = page_text(
        &c,
        &format!("{base}/console/orders?status=unshipped"),
        &cookie,
    )
    .await;
    assert!(
        unshipped.contains("id=\"tab-unshipped\" class=\"on\""),
        "{unshipped}"
    );
    assert!(numbers.iter().all(|n| unshipped.contains(n.as_str())));
    let page = page_text(
        &c,
        &format!("{base}/console/orders/dshop/{}", numbers[0]),
        &cookie,
    )
    .await;
    assert!(
        page.contains("<td>ステータス変更</td>") && page.contains("<td>取込</td>"),
        "{page}"
    );
    assert!(!page.contains("<td>status</td>") && !page.contains("<td>stored</td>"));
    // Every fee by its label, and the mall status where the page says it.
    assert!(page.contains("<tr class=\"fee\"><th>"), "{page}");
    assert!(page.contains("id=\"mall-status\""));

    // 設定 shows what the label software gets.
    let settings = page_text(&c, &format!("{base}/console/settings"), &cookie).await;
    assert!(
        settings.contains("012345678901") && settings.contains("0812"),
        "{settings}"
    );
    assert!(
        settings.contains("佐川急便 → e飛伝III（佐川急便）"),
        "which program each carrier prints with: {settings}"
    );

    let _ = serve.kill().await;
    let audit = env.store.audit_log(40).await.expect("audit");
    assert!(audit.iter().any(|a| a.action == "labels.export"));
    assert!(audit.iter().any(|a| a.action == "orders.slips"));
    assert!(audit.iter().any(|a| a.action == "labels.import"));
}
