//! Every mapped field of a Rakuten order model, and each check that names the field.

use super::*;
use serde_json::{Value, json};

/// The spec's example order, with a second basket (several senders) and a 深夜 slot.
fn two_baskets() -> Value {
    json!({
        "orderNumber": "391234-20261128-0000012",
        "orderProgress": 100,
        "orderDatetime": "2026-11-28T10:15:00+0900",
        "deliveryDate": "2026-12-02",
        "shippingTerm": 1416,
        "remarks": "不在時は宅配ボックスへ",
        "severalSenderFlag": 1,
        "goodsPrice": 8800, "postagePrice": 660, "deliveryPrice": 330, "paymentCharge": 0,
        "totalPrice": 10120, "requestPrice": 9120, "couponAllTotalPrice": 500,
        "OrdererModel": { "familyName": "山田", "firstName": "太郎", "familyNameKana": "ヤマダ",
            "firstNameKana": "タロウ", "zipCode1": "100", "zipCode2": "0005", "prefecture": "東京都",
            "city": "千代田区", "subAddress": "丸の内1-1-3", "phoneNumber1": "03",
            "phoneNumber2": "1234", "phoneNumber3": "5678",
            "emailAddress": "a1b2c3d4e5f6@pc.fw.rakuten.ne.jp" },
        "SettlementModel": { "settlementMethodCode": 2, "settlementMethod": "代金引換" },
        "DeliveryModel": { "deliveryName": "宅配便" },
        "PointModel": { "usedPoint": 500 },
        "WrappingModel1": { "title": 1, "name": "ラッピング", "price": 330 },
        "WrappingModel2": null,
        "someFieldRakutenAddedLater": {"x": 1},
        "PackageModelList": [ {
            "basketId": 2000000101, "postagePrice": 330, "deliveryPrice": 330,
            "goodsPrice": 6600, "noshi": "御歳暮",
            "SenderModel": { "familyName": "佐藤", "firstName": "花子", "zipCode1": "530",
                "zipCode2": "0001", "prefecture": "大阪府", "city": "大阪市北区",
                "subAddress": "梅田1-1 梅田ビル3F", "phoneNumber1": "06", "phoneNumber2": "1111",
                "phoneNumber3": "2222" },
            "ItemModelList": [ { "itemDetailId": 1, "itemName": "有田焼 ティーセット 赤",
                "manageNumber": "tea-set-01", "itemNumber": "tea-set-01-red", "price": 3300,
                "units": 2, "includeTaxFlag": 1, "taxRate": 0.1,
                "selectedChoice": "ラッピング:希望する(+330円)\nのし:御歳暮",
                "SkuModelList": [ { "merchantDefinedSkuId": "tea-set-01-red-sku",
                    "skuInfo": "カラー:赤" } ] } ],
            "ShippingModelList": []
        }, {
            "basketId": 2000000102, "postagePrice": 330, "deliveryPrice": 0,
            "goodsPrice": 2200, "noshi": null,
            "SenderModel": { "familyName": "山田", "firstName": "太郎", "zipCode1": "100",
                "zipCode2": "0005", "prefecture": "東京都", "city": "千代田区",
                "subAddress": "丸の内1-1-3", "phoneNumber1": "03", "phoneNumber2": "1234",
                "phoneNumber3": "5678" },
            "ItemModelList": [ { "itemDetailId": 2, "itemName": "緑茶 100g",
                "manageNumber": "tea-100", "itemNumber": "tea-100", "price": 1100,
                "units": 2, "includeTaxFlag": 1, "taxRate": 0.08, "selectedChoice": "",
                "SkuModelList": [] } ]
        } ]
    })
}

fn mapped(v: Value) -> Order {
    match map_value(v) {
        Ok(o) => o,
        Err(e) => panic!("maps: {e:?}"),
    }
}

fn field_of(e: ConnectorError) -> (String, String) {
    match e {
        ConnectorError::InvalidInput(f) => (f.field, f.message),
        other => panic!("not invalid input: {other:?}"),
    }
}

#[test]
fn header_buyer_and_relay_email() {
    let o = mapped(two_baskets());
    assert_eq!(o.mall_order_number, "391234-20261128-0000012");
    assert_eq!(o.ordered_at, 1_795_828_500);
    assert_eq!(
        o.updated_at, o.ordered_at,
        "no updateDatetime: the order time stands in"
    );
    assert_eq!(o.mall_status, "100");
    assert_eq!(o.payment_method, "代金引換");
    assert_eq!(o.buyer.name, "山田 太郎");
    assert_eq!(o.buyer.name_kana, "ヤマダ タロウ");
    assert_eq!(o.buyer.postal_code, "100-0005");
    assert_eq!(o.buyer.prefecture, "東京都");
    assert_eq!(o.buyer.address1, "千代田区丸の内1-1-3");
    assert_eq!(o.buyer.phone, "03-1234-5678");
    let email = o.buyer_email.expect("an e-mail");
    assert_eq!(email.address, "a1b2c3d4e5f6@pc.fw.rakuten.ne.jp");
    assert!(email.relay, "a rakuten.ne.jp address is the mall's relay");
    assert_eq!(o.buyer_note, "不在時は宅配ボックスへ");
    assert!(matches!(o.source, OrderSource::Api));
}

#[test]
fn a_plain_address_is_not_a_relay() {
    let mut v = two_baskets();
    v["OrdererModel"]["emailAddress"] = json!("taro@example.jp");
    assert!(!mapped(v).buyer_email.unwrap().relay);
    let mut v = two_baskets();
    v["OrdererModel"]["emailAddress"] = json!("");
    assert!(mapped(v).buyer_email.is_none());
}

#[test]
fn baskets_become_deliveries_with_their_basket_ids_and_recipients() {
    let o = mapped(two_baskets());
    assert_eq!(o.deliveries.len(), 2);
    let (a, b) = (&o.deliveries[0], &o.deliveries[1]);
    assert_eq!((a.delivery_no, b.delivery_no), (1, 2));
    assert_eq!(a.mall_delivery_id.as_deref(), Some("2000000101"));
    assert_eq!(b.mall_delivery_id.as_deref(), Some("2000000102"));
    assert_eq!(a.recipient.name, "佐藤 花子");
    assert_eq!(a.recipient.address1, "大阪市北区梅田1-1 梅田ビル3F");
    assert_eq!(a.recipient.postal_code, "530-0001");
    assert_eq!(b.recipient.name, "山田 太郎");
    assert_eq!(a.delivery_method, "宅配便");
    let d = a.desired_date.as_ref().unwrap();
    assert_eq!((d.year, d.month, d.day), (2026, 12, 2));
    assert_eq!(a.desired_time_slot, "14-16");
    assert_eq!(b.desired_time_slot, "14-16");
}

#[test]
fn lines_carry_names_options_noshi_and_sku_codes() {
    let o = mapped(two_baskets());
    let l = &o.deliveries[0].lines[0];
    assert_eq!(l.line_no, 1);
    assert_eq!(l.item_code, "tea-set-01");
    assert_eq!(
        l.sku_code, "tea-set-01-red-sku",
        "merchantDefinedSkuId wins"
    );
    assert_eq!(l.product_name.as_deref(), Some("有田焼 ティーセット 赤"));
    assert_eq!(
        l.option_text.as_deref(),
        Some("ラッピング:希望する(+330円)\nのし:御歳暮\nカラー:赤"),
        "the choice, then the SKU's words; のし is in the choice already"
    );
    assert_eq!((l.quantity, l.unit_price, l.tax_rate), (2, 3300, 10));
    let m = &o.deliveries[1].lines[0];
    assert_eq!(m.sku_code, "tea-100", "no SKU model: the item number");
    assert_eq!(m.tax_rate, 8);
    assert_eq!(m.option_text, None, "an empty choice is no option");
    assert!(o.prices_include_tax);
}

#[test]
fn noshi_not_in_the_choice_is_added_to_the_options_and_flagged() {
    let mut v = two_baskets();
    v["PackageModelList"][0]["ItemModelList"][0]["selectedChoice"] = json!("ラッピング:希望する");
    let o = mapped(v);
    let l = &o.deliveries[0].lines[0];
    assert!(l.option_text.as_deref().unwrap().contains("のし:御歳暮"));
    assert!(
        o.flags
            .iter()
            .any(|f| f.code == GIFT && f.message == "のし: 御歳暮")
    );
}

#[test]
fn fees_and_discounts_add_up_to_the_request_price() {
    let o = mapped(two_baskets());
    assert_eq!(o.items_total, 8800);
    let fees: Vec<(String, i64)> = o.fees.iter().map(|f| (f.label.clone(), f.amount)).collect();
    assert_eq!(
        fees,
        vec![
            ("送料".to_string(), 660),
            ("代引手数料".to_string(), 330),
            ("ラッピング".to_string(), 330)
        ]
    );
    assert!(matches!(o.fees[1].kind, FeeKind::Cod));
    assert!(matches!(o.fees[2].kind, FeeKind::Wrapping));
    let off: Vec<(String, i64)> = o
        .discounts
        .iter()
        .map(|d| (d.label.clone(), d.amount))
        .collect();
    assert_eq!(
        off,
        vec![
            ("楽天ポイント利用".to_string(), 500),
            ("クーポン利用".to_string(), 500)
        ]
    );
    assert!(matches!(o.discounts[0].kind, DiscountKind::Points));
    assert!(matches!(o.discounts[1].kind, DiscountKind::Coupon));
    assert_eq!(o.billing_total, 9120);
}

#[test]
fn a_payment_fee_is_a_payment_fee() {
    let mut v = two_baskets();
    v["paymentCharge"] = json!(220);
    v["requestPrice"] = json!(9340);
    let o = mapped(v);
    let f = o
        .fees
        .iter()
        .find(|f| f.label == "決済手数料")
        .expect("payment fee");
    assert!(matches!(f.kind, FeeKind::Payment));
    assert_eq!(f.amount, 220);
}

#[test]
fn wrapping_inside_the_item_price_is_shown_not_added_twice() {
    // The spec's own example: the wrapping's 330 yen is in the item price (the choice says
    // "+330円"), and requestPrice leaves it out.
    let mut v = two_baskets();
    v["requestPrice"] = json!(8790);
    let o = mapped(v);
    assert!(o.fees.iter().all(|f| !matches!(f.kind, FeeKind::Wrapping)));
    assert!(
        o.flags
            .iter()
            .any(|f| f.code == GIFT && f.message.contains("ラッピング"))
    );
    assert_eq!(o.billing_total, 8790);
}

#[test]
fn sums_that_do_not_add_up_name_the_field() {
    let mut v = two_baskets();
    v["requestPrice"] = json!(1);
    let (field, message) = field_of(map_value(v).unwrap_err());
    assert_eq!(field, "requestPrice");
    assert!(message.contains("391234-20261128-0000012"), "{message}");
    let mut v = two_baskets();
    v["goodsPrice"] = json!(9999);
    assert_eq!(field_of(map_value(v).unwrap_err()).0, "goodsPrice");
}

#[test]
fn time_slots_from_shipping_term() {
    assert_eq!(time_slot(0).as_deref(), Some("指定なし"));
    assert_eq!(time_slot(1).as_deref(), Some("午前中"));
    assert_eq!(time_slot(1416).as_deref(), Some("14-16"));
    assert_eq!(time_slot(1921).as_deref(), Some("19-21"));
    assert_eq!(time_slot(812).as_deref(), Some("8-12"));
    assert_eq!(time_slot(1614), None, "a range must run forward");
    assert_eq!(time_slot(2599), None);
    assert_eq!(time_slot(7), None);
    let mut v = two_baskets();
    v["shippingTerm"] = json!(1614);
    assert_eq!(field_of(map_value(v).unwrap_err()).0, "shippingTerm");
    let mut v = two_baskets();
    v["shippingTerm"] = Value::Null;
    assert_eq!(mapped(v).deliveries[0].desired_time_slot, "指定なし");
}

#[test]
fn bad_dates_and_lines_name_the_field() {
    let mut v = two_baskets();
    v["orderDatetime"] = json!("2026-02-30T10:00:00+0900");
    assert_eq!(field_of(map_value(v).unwrap_err()).0, "orderDatetime");
    let mut v = two_baskets();
    v["deliveryDate"] = json!("12/02");
    assert_eq!(field_of(map_value(v).unwrap_err()).0, "deliveryDate");
    let mut v = two_baskets();
    v["deliveryDate"] = Value::Null;
    assert!(mapped(v).deliveries[0].desired_date.is_none());
    let mut v = two_baskets();
    v["PackageModelList"][1]["ItemModelList"][0]["taxRate"] = json!(0.05);
    assert_eq!(
        field_of(map_value(v).unwrap_err()).0,
        "PackageModelList[1].ItemModelList[0].taxRate"
    );
    let mut v = two_baskets();
    v["PackageModelList"][0]["ItemModelList"][0]["units"] = json!(0);
    assert_eq!(
        field_of(map_value(v).unwrap_err()).0,
        "PackageModelList[0].ItemModelList[0].units"
    );
    let mut v = two_baskets();
    v["PackageModelList"] = json!([]);
    assert_eq!(field_of(map_value(v).unwrap_err()).0, "PackageModelList");
    let mut v = two_baskets();
    v["goodsPrice"] = json!("8800");
    let (field, message) = field_of(map_value(v).unwrap_err());
    assert_eq!(field, "order");
    assert!(message.contains("391234-20261128-0000012"), "{message}");
}

#[test]
fn tax_excluded_prices_are_said_so() {
    let mut v = two_baskets();
    v["PackageModelList"][1]["ItemModelList"][0]["includeTaxFlag"] = json!(0);
    assert!(!mapped(v).prices_include_tax);
}
