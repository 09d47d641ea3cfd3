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
            .all(|l| l[3].as_str().is_some_and(|w| w.contains("japanpost"))),
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
