//! An `orderInfo` answer's `<OrderInfo>` → the canonical order (contract 0.3.0), and the
//! order's state as the status sync reads it. Yahoo!ショッピング's shape: one recipient per order
//! (`<Ship>`), the buyer in `<Pay>` (`Bill…`), charges and discounts in `<Detail>`, lines in
//! `<Item>` with options, inscriptions (のし) and JAN codes, whether the buyer has paid in
//! `PayStatus`, a company in `…Section1Value`, a gift message in `GiftWrapMessage`.
//!
//! Read liberally: a missing amount is 0, a missing optional text is none; what the order
//! cannot stand without (its id, its time, a line's quantity and price) is an error naming the
//! field.

use connector_kit::money::{billing_total, discounts, fees, lines_total};
use connector_kit::time::{parse_date, parse_instant};
use connector_kit::types::{
    Address, ConnectorError, Delivery, DiscountKind, Email, FeeKind, FieldError, MallState, Order,
    OrderFlag, OrderLine, OrderSource, OrderState, PaymentState,
};
use connector_kit::xml::Element;

/// The words of an order on hold at the mall (`OrderStatus` 3, 保留).
pub const HELD: &str = "Yahoo!ショッピングのストアクリエイターで保留中";

/// The payment method paid to the carrier on delivery (商品代引).
pub const COD: &str = "payment_b1";

/// Order statuses in the store manager's words.
pub const STATUS_WORDS: [(&str, &str); 5] = [
    ("1", "予約中"),
    ("2", "処理中"),
    ("3", "保留"),
    ("4", "キャンセル"),
    ("5", "完了"),
];

/// Payment methods in the store manager's words.
pub const PAYMENT_WORDS: [(&str, &str); 4] = [
    ("payment_a1", "クレジットカード決済"),
    ("payment_a6", "銀行振込"),
    ("payment_a8", "コンビニ決済"),
    (COD, "商品代引"),
];

fn bad(field: &str, message: String) -> ConnectorError {
    ConnectorError::InvalidInput(FieldError {
        field: field.into(),
        message,
    })
}

fn yen(e: &Element, field: &str) -> Result<i64, ConnectorError> {
    let t = e.text_of(field);
    if t.is_empty() {
        return Ok(0);
    }
    t.parse()
        .map_err(|_| bad(field, format!("{t:?} is not an amount in yen")))
}

/// Whether the buyer has paid: `PayStatus` 1, or cash on delivery.
pub fn payment(pay: &Element) -> PaymentState {
    if pay.text_of("PayMethod") == COD {
        PaymentState::OnDelivery
    } else if pay.text_of("PayStatus") == "1" {
        PaymentState::Paid
    } else {
        PaymentState::Unpaid
    }
}

fn person(block: &Element, prefix: &str) -> Address {
    let f = |k: &str| block.text_of(&format!("{prefix}{k}"));
    let join = |a: String, b: String| {
        if b.is_empty() { a } else { format!("{a} {b}") }
    };
    Address {
        name: join(f("LastName"), f("FirstName")),
        name_kana: join(f("LastNameKana"), f("FirstNameKana")),
        postal_code: f("ZipCode"),
        prefecture: f("Prefecture"),
        address1: format!("{}{}", f("City"), f("Address1")),
        address2: f("Address2"),
        phone: f("PhoneNumber"),
        company: f("Section1Value"),
        department: f("Section2Value"),
    }
}

/// `Name:Value` pairs of an item's `<ItemOption>` and `<Inscription>` elements.
fn options(item: &Element) -> Option<String> {
    let pairs: Vec<String> = item
        .children_named("ItemOption")
        .chain(item.children_named("Inscription"))
        .map(|o| format!("{}:{}", o.text_of("Name"), o.text_of("Value")))
        .filter(|p| p != ":")
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("、"))
}

fn line(item: &Element, no: u32) -> Result<OrderLine, ConnectorError> {
    let quantity = item.text_of("Quantity");
    let quantity: u32 = quantity
        .parse()
        .ok()
        .filter(|q| *q > 0)
        .ok_or_else(|| bad("Item.Quantity", format!("{quantity:?} is not a quantity")))?;
    let price = item.text_of("UnitPrice");
    let unit_price: i64 = price.parse().map_err(|_| {
        bad(
            "Item.UnitPrice",
            format!("{price:?} is not an amount in yen"),
        )
    })?;
    let nonempty = |k: &str| item.get(k).filter(|t| !t.is_empty());
    Ok(OrderLine {
        line_no: item.text_of("LineId").parse().unwrap_or(no),
        item_code: item.text_of("ItemId"),
        sku_code: item.text_of("SubCode"),
        product_name: nonempty("Title"),
        option_text: options(item),
        quantity,
        unit_price,
        tax_rate: item.text_of("ItemTaxRatio").parse().unwrap_or(10),
        has_add_on_service: false,
        jan: nonempty("Jan"),
    })
}

/// Maps an `<OrderInfo>` to the canonical order.
pub fn map_order(info: &Element) -> Result<Order, ConnectorError> {
    let id = info.text_of("OrderId");
    if id.is_empty() {
        return Err(bad("OrderId", "the order has no id".into()));
    }
    let ordered_at = parse_instant(&info.text_of("OrderTime")).ok_or_else(|| {
        bad(
            "OrderTime",
            format!("{:?} is not an ISO 8601 time", info.text_of("OrderTime")),
        )
    })?;
    let updated_at = parse_instant(&info.text_of("LastUpdateTime")).unwrap_or(ordered_at);
    let empty = Element::default();
    let pay = info.child("Pay").unwrap_or(&empty);
    let ship = info.child("Ship").unwrap_or(&empty);
    let detail = info.child("Detail").unwrap_or(&empty);
    let lines = info
        .children_named("Item")
        .zip(1..)
        .map(|(item, no)| line(item, no))
        .collect::<Result<Vec<_>, _>>()?;
    if lines.is_empty() {
        return Err(bad("Item", format!("order {id} has no lines")));
    }
    let items_total =
        lines_total(&lines).ok_or_else(|| bad("Item", "the lines' total overflows".into()))?;
    let method = pay.text_of("PayMethod");
    let fee_list = fees(&[
        (FeeKind::Shipping, "送料", yen(ship, "ShipCharge")?),
        if method == COD {
            (FeeKind::Cod, "代引手数料", yen(detail, "PayCharge")?)
        } else {
            (FeeKind::Payment, "決済手数料", yen(detail, "PayCharge")?)
        },
        (
            FeeKind::Wrapping,
            "ギフト包装",
            yen(detail, "GiftWrapCharge")?,
        ),
    ]);
    let discount_list = discounts(&[
        (DiscountKind::Other, "値引き", yen(detail, "Discount")?),
        (
            DiscountKind::Coupon,
            "クーポン",
            yen(detail, "TotalCouponDiscount")?,
        ),
        (
            DiscountKind::Points,
            "ポイント利用",
            yen(detail, "UsePoint")?,
        ),
    ]);
    let computed = billing_total(items_total, &fee_list, &discount_list)
        .ok_or_else(|| bad("Detail", "the order's total overflows".into()))?;
    let billing = match detail.get("TotalPrice").filter(|t| !t.is_empty()) {
        Some(_) => yen(detail, "TotalPrice")?,
        None => computed,
    };
    let gift_message = ship.get("GiftWrapMessage").filter(|m| !m.is_empty());
    let mut flags = Vec::new();
    if !ship.text_of("GiftWrapType").is_empty() || gift_message.is_some() {
        flags.push(OrderFlag {
            code: "gift".into(),
            message: "ギフト (包装・メッセージ)".into(),
        });
    }
    let time_slot = ship.text_of("ShipRequestTime");
    let status = info.text_of("OrderStatus");
    Ok(Order {
        mall_order_number: id,
        ordered_at,
        updated_at,
        hold: (status == "3").then(|| HELD.to_string()),
        mall_status: status,
        payment: payment(pay),
        payment_method: method,
        buyer: person(pay, "Bill"),
        buyer_email: pay
            .get("BillMailAddress")
            .filter(|a| !a.is_empty())
            .map(|address| Email {
                address,
                relay: false,
            }),
        deliveries: vec![Delivery {
            delivery_no: 1,
            mall_delivery_id: None,
            recipient: person(ship, "Ship"),
            delivery_method: ship.text_of("ShipMethodName"),
            desired_date: ship
                .get("ShipRequestDate")
                .and_then(|d| parse_date(&d, "%Y%m%d")),
            desired_time_slot: if time_slot.is_empty() {
                "指定なし".into()
            } else {
                time_slot
            },
            lines,
            gift_message,
        }],
        prices_include_tax: true,
        items_total,
        fees: fee_list,
        discounts: discount_list,
        billing_total: billing,
        buyer_note: info.text_of("BuyerComments"),
        flags,
        source: OrderSource::Api,
    })
}

/// Why an order was cancelled, in words: who (1xx the buyer, 2xx the store) and the detail.
pub fn cancel_reason(info: &Element) -> Option<String> {
    let code = info.text_of("CancelReason");
    let detail = info.text_of("CancelReasonDetail");
    if code.is_empty() && detail.is_empty() {
        return None;
    }
    let who = match code.chars().next() {
        Some('1') => "購入者都合",
        Some('2') => "ストア都合",
        _ => "理由",
    };
    Some(match (code.is_empty(), detail.is_empty()) {
        (false, false) => format!("{who} ({code}): {detail}"),
        (false, true) => format!("{who} ({code})"),
        _ => detail,
    })
}

/// The mall's state of an order from its `<OrderInfo>`.
pub fn order_state(info: &Element) -> OrderState {
    let status = info.text_of("OrderStatus");
    let empty = Element::default();
    let ship = info.child("Ship").unwrap_or(&empty);
    let pay = info.child("Pay").unwrap_or(&empty);
    let shipped = matches!(ship.text_of("ShipStatus").as_str(), "3" | "4");
    let state = match status.as_str() {
        "4" => MallState::Cancelled,
        "5" => MallState::Shipped,
        _ if shipped => MallState::Shipped,
        _ => MallState::Open,
    };
    let words = STATUS_WORDS.iter().find(|(c, _)| *c == status).map_or_else(
        || format!("OrderStatus {status}"),
        |(_, w)| (*w).to_string(),
    );
    let hold = (status == "3").then(|| HELD.to_string());
    OrderState {
        state,
        message: words,
        mall_status: status,
        payment: Some(payment(pay)),
        cancel_reason: if state == MallState::Cancelled {
            cancel_reason(info)
        } else {
            None
        },
        hold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIFT: &str = r#"<OrderInfo><OrderId>store-10000005</OrderId>
      <OrderTime>2026-12-01T10:15:00+09:00</OrderTime><LastUpdateTime>2026-12-01T10:20:00+09:00</LastUpdateTime>
      <OrderStatus>2</OrderStatus><IsSeen>false</IsSeen><BuyerComments>置き配希望 &amp; 午後着</BuyerComments>
      <Pay><PayStatus>0</PayStatus><PayMethod>payment_a8</PayMethod><BillLastName>山田</BillLastName>
        <BillFirstName>太郎</BillFirstName><BillLastNameKana>ヤマダ</BillLastNameKana><BillFirstNameKana>タロウ</BillFirstNameKana>
        <BillZipCode>1000001</BillZipCode><BillPrefecture>東京都</BillPrefecture><BillCity>千代田区</BillCity>
        <BillAddress1>千代田1-1</BillAddress1><BillAddress2/><BillPhoneNumber>0312345678</BillPhoneNumber>
        <BillMailAddress>taro@example.jp</BillMailAddress></Pay>
      <Ship><ShipStatus>0</ShipStatus><ShipMethodName>宅配便</ShipMethodName><ShipRequestDate>20261204</ShipRequestDate>
        <ShipRequestTime>14:00-16:00</ShipRequestTime><ShipLastName>佐藤</ShipLastName><ShipFirstName>花子</ShipFirstName>
        <ShipZipCode>5300001</ShipZipCode><ShipPrefecture>大阪府</ShipPrefecture><ShipCity>大阪市北区</ShipCity>
        <ShipAddress1>梅田1-1</ShipAddress1><ShipAddress2>梅田ビル 10F</ShipAddress2><ShipPhoneNumber>0661234567</ShipPhoneNumber>
        <ShipSection1Field>会社名</ShipSection1Field><ShipSection1Value>株式会社サンプル 総務部</ShipSection1Value>
        <ShipCharge>500</ShipCharge><GiftWrapType>1</GiftWrapType><GiftWrapMessage>いつもありがとうございます</GiftWrapMessage></Ship>
      <Detail><PayCharge>0</PayCharge><GiftWrapCharge>300</GiftWrapCharge><Discount>0</Discount>
        <TotalCouponDiscount>300</TotalCouponDiscount><UsePoint>100</UsePoint><TotalPrice>5200</TotalPrice></Detail>
      <Item><LineId>1</LineId><ItemId>tea-01</ItemId><SubCode>tea-01-red</SubCode><Title>緑茶 100g 缶入り</Title>
        <Quantity>1</Quantity><UnitPrice>2400</UnitPrice><ItemTaxRatio>10</ItemTaxRatio><Jan>4901234567894</Jan>
        <ItemOption Index="1"><Name>缶の色</Name><Value>赤</Value></ItemOption>
        <Inscription Index="1"><Name>のし</Name><Value>御礼</Value></Inscription></Item>
      <Item><LineId>2</LineId><ItemId>cake-02</ItemId><Title>抹茶ケーキ</Title><Quantity>2</Quantity>
        <UnitPrice>1200</UnitPrice><ItemTaxRatio>8</ItemTaxRatio><Jan/></Item></OrderInfo>"#;

    fn gift() -> Element {
        connector_kit::xml::parse(GIFT).expect("fixture parses")
    }

    #[test]
    fn a_gift_order_keeps_its_company_message_options_jan_and_every_charge() {
        let o = map_order(&gift()).expect("maps");
        assert_eq!(o.mall_order_number, "store-10000005");
        assert_eq!(o.ordered_at, 1_796_087_700);
        assert_eq!(
            o.payment,
            PaymentState::Unpaid,
            "a convenience-store order not yet paid"
        );
        assert_eq!(o.buyer.name, "山田 太郎");
        assert_eq!(o.buyer.address1, "千代田区千代田1-1");
        let d = &o.deliveries[0];
        assert_eq!(d.recipient.company, "株式会社サンプル 総務部");
        assert_eq!(
            d.gift_message.as_deref(),
            Some("いつもありがとうございます")
        );
        assert_eq!(d.desired_time_slot, "14:00-16:00");
        assert_eq!(d.lines[0].jan.as_deref(), Some("4901234567894"));
        assert_eq!(
            d.lines[0].option_text.as_deref(),
            Some("缶の色:赤、のし:御礼")
        );
        assert_eq!(d.lines[1].jan, None);
        assert_eq!(d.lines[1].tax_rate, 8);
        assert_eq!(o.items_total, 4_800);
        let fee_labels: Vec<_> = o
            .fees
            .iter()
            .map(|f| (f.label.as_str(), f.amount))
            .collect();
        assert_eq!(fee_labels, [("送料", 500), ("ギフト包装", 300)]);
        let off: Vec<_> = o
            .discounts
            .iter()
            .map(|d| (d.label.as_str(), d.amount))
            .collect();
        assert_eq!(off, [("クーポン", 300), ("ポイント利用", 100)]);
        assert_eq!(o.billing_total, 5_200);
        assert_eq!(o.buyer_note, "置き配希望 & 午後着");
        assert!(o.flags.iter().any(|f| f.code == "gift"));
        assert_eq!(o.hold, None);
    }

    #[test]
    fn cash_on_delivery_is_paid_on_delivery_and_its_charge_is_the_cod_fee() {
        let doc = GIFT
            .replace("payment_a8", COD)
            .replace("<PayCharge>0</PayCharge>", "<PayCharge>330</PayCharge>")
            .replace(
                "<TotalPrice>5200</TotalPrice>",
                "<TotalPrice>5530</TotalPrice>",
            );
        let o = map_order(&connector_kit::xml::parse(&doc).expect("parses")).expect("maps");
        assert_eq!(o.payment, PaymentState::OnDelivery);
        assert!(
            o.fees
                .iter()
                .any(|f| f.kind == FeeKind::Cod && f.amount == 330)
        );
    }

    #[test]
    fn a_broken_line_names_its_field() {
        let doc = GIFT.replace("<Quantity>2</Quantity>", "<Quantity>two</Quantity>");
        let e = map_order(&connector_kit::xml::parse(&doc).expect("parses")).expect_err("bad");
        assert!(
            matches!(&e, ConnectorError::InvalidInput(f) if f.field == "Item.Quantity"),
            "{e:?}"
        );
    }

    #[test]
    fn states_read_cancellation_with_its_reason_shipping_and_payment() {
        let cancelled = GIFT.replace("<OrderStatus>2</OrderStatus>", "<OrderStatus>4</OrderStatus><CancelReason>110</CancelReason><CancelReasonDetail>注文間違い</CancelReasonDetail>");
        let s = order_state(&connector_kit::xml::parse(&cancelled).expect("parses"));
        assert_eq!(s.state, MallState::Cancelled);
        assert_eq!(
            s.cancel_reason.as_deref(),
            Some("購入者都合 (110): 注文間違い")
        );
        assert_eq!(s.message, "キャンセル");
        let paid = GIFT.replace("<PayStatus>0</PayStatus>", "<PayStatus>1</PayStatus>");
        let s = order_state(&connector_kit::xml::parse(&paid).expect("parses"));
        assert_eq!(
            (s.state, s.payment),
            (MallState::Open, Some(PaymentState::Paid))
        );
        assert_eq!(s.hold, None);
        let held = GIFT.replace(
            "<OrderStatus>2</OrderStatus>",
            "<OrderStatus>3</OrderStatus>",
        );
        let s = order_state(&connector_kit::xml::parse(&held).expect("parses"));
        assert_eq!((s.state, s.hold.as_deref()), (MallState::Open, Some(HELD)));
        let shipped = GIFT.replace("<ShipStatus>0</ShipStatus>", "<ShipStatus>3</ShipStatus>");
        let s = order_state(&connector_kit::xml::parse(&shipped).expect("parses"));
        assert_eq!(s.state, MallState::Shipped);
    }
}
