//! Issued data read back: every delivery (and parcel) set once, B2, e飛伝 and ゆうプリR, and
//! the bad files staff bring, each refused with its reason.

use super::*;

#[tokio::test]
async fn issued_data_sets_every_delivery_and_a_second_import_changes_nothing() {
    let t = stored().await;
    let shops = vec![shop()];
    let plan = planned(&t, false).await;
    let file = issued(&plan, 81_000_000_001);
    let import = plan_import(&t.store, &shops, "issued.csv", &file, today())
        .await
        .expect("read");
    assert_eq!(import.format, Format::B2);
    assert_eq!(import.encoding, "Shift_JIS");
    assert!(import.errors.is_empty(), "{:?}", import.errors);
    assert_eq!(
        import.set.len(),
        plan.slips.iter().filter(|s| s.written()).count()
    );
    apply(&t.store, &import, false, now())
        .await
        .expect("applied");
    for s in plan.slips.iter().filter(|s| s.written()) {
        let d = t
            .store
            .delivery_shipping("s1", &s.order)
            .await
            .expect("read");
        let d = d
            .iter()
            .find(|d| d.delivery == s.delivery)
            .expect("delivery");
        assert!(
            d.tracking.is_some(),
            "{} {} has its number",
            s.order,
            s.delivery
        );
        assert_eq!(d.carrier.as_deref(), Some("yamato"));
    }
    let again = plan_import(&t.store, &shops, "issued.csv", &file, today())
        .await
        .expect("read");
    assert!(again.set.is_empty() && again.replace.is_empty());
    assert_eq!(again.unchanged.len(), import.set.len());
    // The next label export leaves the numbered deliveries out.
    let next = planned(&t, false).await;
    assert!(
        next.slips
            .iter()
            .all(|s| !s.written() || s.order == "D-1005")
    );
    // Another number for a numbered delivery is a replacement, shown, applied only when asked.
    let other = issued(&plan, 82_000_000_001);
    let changed = plan_import(&t.store, &shops, "issued2.csv", &other, today())
        .await
        .expect("read");
    assert_eq!(changed.replace.len(), import.set.len());
    assert!(changed.replace.iter().all(|c| c.old.is_some()));
}

#[tokio::test]
async fn bad_issued_files_are_refused_with_their_reason() {
    let t = stored().await;
    let shops = vec![shop()];
    let plan = planned(&t, false).await;
    let written: Vec<&PlannedSlip> = plan.slips.iter().filter(|s| s.written()).collect();
    let key = &written[0].key;
    let header = b2::HEADER.join(",");
    let sjis = |text: &str| encoding_rs::SHIFT_JIS.encode(text).0.into_owned();
    let row = |key: &str, number: &str| {
        let mut cells = vec![String::new(); 42];
        cells[0] = key.to_string();
        cells[3] = number.to_string();
        cells[4] = "2026/12/07".into();
        cells.join(",")
    };
    let read = |bytes: Vec<u8>| {
        let store = t.store.clone();
        let shops = shops.clone();
        async move { plan_import(&store, &shops, "f.csv", &bytes, today()).await }
    };
    // Excel's exponent.
    let p = read(sjis(&format!(
        "{header}\r\n{}\r\n",
        row(key, "8.11029E+11")
    )))
    .await
    .expect("read");
    assert!(
        p.set.is_empty() && p.errors[0].reason.contains("Excel"),
        "{:?}",
        p.errors
    );
    // Leading zeros lost.
    let p = read(sjis(&format!(
        "{header}\r\n{}\r\n",
        row(key, "12345678901")
    )))
    .await
    .expect("read");
    assert!(
        p.errors[0].reason.contains("leading zeros"),
        "{:?}",
        p.errors
    );
    // A wrong check digit.
    let p = read(sjis(&format!(
        "{header}\r\n{}\r\n",
        row(key, "123456789019")
    )))
    .await
    .expect("read");
    assert!(
        p.errors[0].reason.contains(&written[0].order),
        "{:?}",
        p.errors
    );
    // A key this host never issued; a key seen twice (neither applied).
    let p = read(sjis(&format!(
        "{header}\r\n{}\r\n{}\r\n{}\r\n",
        row("MH99999999", &number(81_000_000_001)),
        row(key, &number(81_000_000_002)),
        row(key, &number(81_000_000_003))
    )))
    .await
    .expect("read");
    assert_eq!(p.errors.len(), 3, "{:?}", p.errors);
    assert!(p.errors[0].reason.contains("not a key this host issued"));
    assert!(p.errors[1].reason.contains("lines 3, 4"), "{:?}", p.errors);
    assert!(p.set.is_empty());
    // ゆうプリR's 発送予定 file: no numbers yet.
    let p = read(sjis(
        "お客様側管理番号,発送予定日,お届け先郵便番号\r\nMH00000001,2026/12/07,1500001\r\n",
    ))
    .await;
    let e = p.expect_err("refused").to_string();
    assert!(e.contains("発送予定") && e.contains("発送履歴"), "{e}");
    // Not an issued-data file at all.
    let e = read(sjis("注文番号,配送業者\r\nA,yamato\r\n"))
        .await
        .expect_err("refused")
        .to_string();
    assert!(e.contains("お客様管理番号"), "{e}");
    // Headers with full-width digits and a UTF-8 BOM: e飛伝III's issued data, by its own key.
    let sagawa = t
        .store
        .issue_slips("s1", &[("D-1006".to_string(), 1, 1)], "ehiden", now())
        .await
        .expect("issued");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(
        format!(
            "お問い合せ送り状Ｎｏ．,出荷日,お客様管理番号\r\n{},2026/12/08,{}\r\n",
            number(41_000_000_001),
            sagawa[0]
        )
        .as_bytes(),
    );
    let p = read(bom).await.expect("read");
    assert_eq!(p.format, Format::Ehiden);
    assert_eq!(p.encoding, "UTF-8 (BOM)");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.set[0].order, "D-1006");
    assert_eq!(p.set[0].carrier, "sagawa");
    assert_eq!(
        p.set[0].ship_date,
        NaiveDate::from_ymd_opt(2026, 12, 8).expect("date")
    );
}

#[tokio::test]
async fn yupri_shipping_history_brings_japan_posts_numbers_back() {
    let t = stored().await;
    let shops = vec![shop()];
    let plan = planned_as(&t, Format::Yupri).await;
    let mut history = String::from("お客様側管理番号,お問い合わせ番号,発送予定日\r\n");
    for (i, s) in plan.slips.iter().enumerate() {
        history.push_str(&format!(
            "{},{},2026/12/08\r\n",
            s.key,
            number(61_000_000_001 + i as u64)
        ));
    }
    let bytes = encoding_rs::SHIFT_JIS.encode(&history).0.into_owned();
    let p = plan_import(&t.store, &shops, "発送履歴.csv", &bytes, today())
        .await
        .expect("read");
    assert_eq!(p.format, Format::Yupri);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.set.len(), 2);
    assert!(p.set.iter().all(|c| c.carrier == "japanpost"));
    apply(&t.store, &p, false, now()).await.expect("applied");
    let d = t
        .store
        .delivery_shipping("s1", "D-1008")
        .await
        .expect("read");
    assert_eq!(
        d[0].tracking.as_deref(),
        Some(number(61_000_000_002).as_str())
    );
    // A B2 file with these keys is refused: the slips were 日本郵便's.
    let mut b2 = String::from("お客様管理番号,送り状種類,クール区分,伝票番号\r\n");
    b2.push_str(&format!(
        "{},0,0,{}\r\n",
        plan.slips[0].key,
        number(81_000_000_001)
    ));
    let bytes = encoding_rs::SHIFT_JIS.encode(&b2).0.into_owned();
    let p = plan_import(&t.store, &shops, "b2.csv", &bytes, today())
        .await
        .expect("read");
    assert!(p.errors[0].reason.contains("yupri"), "{:?}", p.errors);
}

#[tokio::test]
async fn ehiden_round_trip_its_own_layout_comes_back_with_numbers() {
    let t = stored().await;
    let shops = vec![shop()];
    let plan = planned_as(&t, Format::Ehiden).await;
    // e飛伝 gives the same layout back with お問い合せ送り状No. filled.
    let rows: Vec<Vec<String>> = plan
        .slips
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut cells = s.cells.clone();
            cells[ehiden::NUMBER_COLUMN] = number(51_000_000_001 + i as u64);
            cells
        })
        .collect();
    let bytes = ehiden::file(&rows);
    let p = plan_import(&t.store, &shops, "ehiden.csv", &bytes, today())
        .await
        .expect("read");
    assert_eq!(p.format, Format::Ehiden);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.set.len(), 2);
    assert!(p.set.iter().all(|c| c.carrier == "sagawa"));
    assert!(
        p.set
            .iter()
            .all(|c| c.ship_date == NaiveDate::from_ymd_opt(2026, 12, 7).expect("date")),
        "出荷日 is the ship date"
    );
    apply(&t.store, &p, false, now()).await.expect("applied");
    for (i, order) in ["D-1006", "D-1009"].iter().enumerate() {
        let d = t.store.delivery_shipping("s1", order).await.expect("read");
        assert_eq!(
            d[0].tracking.as_deref(),
            Some(number(51_000_000_001 + i as u64).as_str()),
            "{order}"
        );
    }
    // Once more: nothing changes.
    let again = plan_import(&t.store, &shops, "ehiden.csv", &bytes, today())
        .await
        .expect("read");
    assert!(again.set.is_empty() && again.errors.is_empty(), "{again:?}");
}

#[tokio::test]
async fn several_parcels_get_a_slip_each_and_every_number_lands() {
    let t = stored().await;
    let shops = vec![shop()];
    let mut sel = selection(false);
    sel.orders = vec!["D-1003".into()];
    sel.parcels.insert("D-1003".into(), 3);
    let plan = export(&t.store, &[&shops[0]], &sel, Format::B2, now())
        .await
        .expect("planned");
    let keys: Vec<&str> = plan.slips.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(plan.slips.len(), 3, "{keys:?}");
    assert_eq!(
        plan.slips.iter().map(|s| s.parcel).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(keys[0] != keys[1] && keys[1] != keys[2]);
    // Only the third parcel's row: refused, nothing guessed.
    let mut third = plan.clone();
    third.slips.retain(|s| s.parcel == 3);
    let p = plan_import(
        &t.store,
        &shops,
        "f.csv",
        &issued(&third, 81_000_000_301),
        today(),
    )
    .await
    .expect("read");
    assert!(
        p.set.is_empty() && p.errors[0].reason.contains("earlier parcels"),
        "{:?}",
        p.errors
    );
    // The whole file, rows in any order: all three numbers, the first as the delivery's.
    let mut shuffled = plan.clone();
    shuffled.slips.reverse();
    let file = issued(&shuffled, 81_000_000_301);
    let p = plan_import(&t.store, &shops, "f.csv", &file, today())
        .await
        .expect("read");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.set.len(), 3);
    apply(&t.store, &p, false, now()).await.expect("applied");
    let d = t
        .store
        .delivery_shipping("s1", "D-1003")
        .await
        .expect("read");
    let mut all = vec![d[0].tracking.clone().expect("first")];
    all.extend(d[0].more.clone());
    assert_eq!(all.len(), 3, "{all:?}");
    // parcel 1 was the last row of the reversed file
    assert_eq!(all[0], number(81_000_000_303));
    let again = plan_import(&t.store, &shops, "f.csv", &file, today())
        .await
        .expect("read");
    assert_eq!((again.set.len(), again.unchanged.len()), (0, 3));
}
