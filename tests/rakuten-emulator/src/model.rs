//! The emulator's orders, and how they look on the wire (`getOrder`'s order model).

use serde_json::{Value, json};

/// A person: the orderer or a basket's recipient.
#[derive(Debug, Clone)]
pub struct Person {
    /// 姓.
    pub family_name: String,
    /// 名.
    pub first_name: String,
    /// セイ.
    pub family_name_kana: String,
    /// メイ.
    pub first_name_kana: String,
    /// 〒, seven digits.
    pub zip: String,
    /// 都道府県.
    pub prefecture: String,
    /// 市区町村.
    pub city: String,
    /// The rest of the address.
    pub sub_address: String,
    /// Phone, with hyphens.
    pub phone: String,
}

impl Person {
    fn json(&self) -> Value {
        let (z1, z2) = self.zip.split_at(self.zip.len().min(3));
        let mut phone = self.phone.splitn(3, '-');
        json!({
            "familyName": self.family_name, "firstName": self.first_name,
            "familyNameKana": self.family_name_kana, "firstNameKana": self.first_name_kana,
            "zipCode1": z1, "zipCode2": z2, "prefecture": self.prefecture, "city": self.city,
            "subAddress": self.sub_address,
            "phoneNumber1": phone.next().unwrap_or(""), "phoneNumber2": phone.next().unwrap_or(""),
            "phoneNumber3": phone.next().unwrap_or(""),
        })
    }
}

/// One item line.
#[derive(Debug, Clone)]
pub struct Item {
    /// 商品名.
    pub name: String,
    /// 商品管理番号.
    pub manage_number: String,
    /// 商品番号.
    pub item_number: String,
    /// The merchant's SKU id, if the item has SKUs.
    pub sku: Option<String>,
    /// The SKU's words (カラー:赤).
    pub sku_info: String,
    /// Unit price, tax included.
    pub price: i64,
    /// Quantity.
    pub units: i64,
    /// 10 or 8.
    pub tax_percent: u8,
    /// 項目・選択肢 (ラッピング, のし …), lines joined by `\n`.
    pub choice: String,
}

/// A registered parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipping {
    /// `shippingDetailId`.
    pub detail_id: i64,
    /// `deliveryCompany`.
    pub company: String,
    /// `shippingNumber`.
    pub number: String,
    /// `shippingDate`.
    pub date: String,
}

/// A basket (送付先).
#[derive(Debug, Clone)]
pub struct Basket {
    /// `basketId`.
    pub id: i64,
    /// のし, if asked for.
    pub noshi: Option<String>,
    /// Who receives it.
    pub recipient: Person,
    /// Its lines.
    pub items: Vec<Item>,
    /// Its registered parcels.
    pub shippings: Vec<Shipping>,
}

/// An order as the emulator keeps it.
#[derive(Debug, Clone)]
pub struct RakutenOrder {
    /// `orderNumber`.
    pub number: String,
    /// `orderProgress`: 100, 200, 300, 500, 800, 900 …
    pub progress: i32,
    /// When placed, UTC seconds.
    pub ordered_at: i64,
    /// Desired date, `yyyy-MM-dd`.
    pub delivery_date: Option<String>,
    /// `shippingTerm`: 0, 1 or hhHH.
    pub shipping_term: i64,
    /// The buyer's note.
    pub remarks: String,
    /// 送料.
    pub postage: i64,
    /// 代引手数料.
    pub cod_fee: i64,
    /// 決済手数料.
    pub payment_fee: i64,
    /// クーポン.
    pub coupon: i64,
    /// ポイント.
    pub points: i64,
    /// 決済方法.
    pub settlement: String,
    /// 配送方法.
    pub delivery_name: String,
    /// The orderer.
    pub orderer: Person,
    /// The relay e-mail address.
    pub email: String,
    /// ラッピング (name, price), charged on top.
    pub wrapping: Option<(String, i64)>,
    /// The baskets.
    pub baskets: Vec<Basket>,
}

impl RakutenOrder {
    /// Σ price × units.
    pub fn goods_price(&self) -> i64 {
        self.baskets
            .iter()
            .flat_map(|b| &b.items)
            .map(|i| i.price * i.units)
            .sum()
    }

    /// What the buyer pays.
    pub fn request_price(&self) -> i64 {
        self.total_price() - self.coupon - self.points
    }

    fn total_price(&self) -> i64 {
        self.goods_price()
            + self.postage
            + self.cod_fee
            + self.payment_fee
            + self.wrapping.as_ref().map_or(0, |w| w.1)
    }

    /// The order model `getOrder` answers.
    pub fn json(&self) -> Value {
        let packages: Vec<Value> = self
            .baskets
            .iter()
            .map(|b| {
                json!({
                    "basketId": b.id,
                    "postagePrice": 0, "deliveryPrice": 0,
                    "goodsPrice": b.items.iter().map(|i| i.price * i.units).sum::<i64>(),
                    "noshi": b.noshi,
                    "SenderModel": b.recipient.json(),
                    "ItemModelList": b.items.iter().enumerate().map(|(k, i)| json!({
                        "itemDetailId": k + 1, "itemName": i.name, "manageNumber": i.manage_number,
                        "itemNumber": i.item_number, "price": i.price, "units": i.units,
                        "includeTaxFlag": 1, "taxRate": f64::from(i.tax_percent) / 100.0,
                        "selectedChoice": i.choice,
                        "SkuModelList": i.sku.iter().map(|s| json!({
                            "merchantDefinedSkuId": s, "skuInfo": i.sku_info})).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "ShippingModelList": b.shippings.iter().map(|s| json!({
                        "shippingDetailId": s.detail_id, "deliveryCompany": s.company,
                        "deliveryCompanyName": crate::carrier_name(&s.company),
                        "shippingNumber": s.number, "shippingDate": s.date})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut orderer = self.orderer.json();
        orderer["emailAddress"] = json!(self.email);
        json!({
            "orderNumber": self.number,
            "orderProgress": self.progress,
            "orderDatetime": crate::format_instant(self.ordered_at),
            "deliveryDate": self.delivery_date,
            "shippingTerm": self.shipping_term,
            "remarks": self.remarks,
            "severalSenderFlag": i32::from(self.baskets.len() > 1),
            "goodsPrice": self.goods_price(), "postagePrice": self.postage,
            "deliveryPrice": self.cod_fee, "paymentCharge": self.payment_fee,
            "totalPrice": self.total_price(), "requestPrice": self.request_price(),
            "couponAllTotalPrice": self.coupon,
            "OrdererModel": orderer,
            "SettlementModel": { "settlementMethodCode": 1, "settlementMethod": self.settlement },
            "DeliveryModel": { "deliveryName": self.delivery_name },
            "PointModel": { "usedPoint": self.points },
            "WrappingModel1": self.wrapping.as_ref().map(|(n, p)| json!({"title": 1, "name": n, "price": p})),
            "WrappingModel2": null,
            "isGift": 0,
            "PackageModelList": packages,
        })
    }
}
