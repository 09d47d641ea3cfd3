// The hostile plugin's code, shared by its builds (`lib.rs` here, `../hostile-traversal`),
// which set `MALL_ID` and `VERSION`.

use bindings::exports::mallhost::connector::connector::Guest;
use bindings::mallhost::connector::host::{self, Method, Request};
use bindings::mallhost::connector::types::{
    Address, Amounts, CallContext, ConnectorError, Delivery, FetchPage, FetchRequest, Order,
    OrderFlags, OrderLine, OrderSource, PluginInfo, PushResult, RawOrder, RemoteError, Shipment,
    TakeOutcome, TakeResult,
};

/// Calls this instance has served: a fresh instance per call always reports 1.
static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn raw(number: &str) -> RawOrder {
    RawOrder {
        mall_order_number: number.into(),
        source: OrderSource::Api,
        body: String::new(),
    }
}

/// A minimal well-formed order.
fn good_order(number: String) -> Order {
    let address = Address {
        name: "山田 太郎".into(),
        name_kana: String::new(),
        postal_code: "100-0001".into(),
        prefecture: "東京都".into(),
        address1: "千代田区1-1".into(),
        address2: String::new(),
        phone: "03-0000-0000".into(),
    };
    let now = host::now();
    Order {
        mall_order_number: number,
        ordered_at: now - 3600,
        updated_at: now - 3600,
        mall_status: "NEW".into(),
        payment_method: "CARD".into(),
        buyer: address.clone(),
        deliveries: vec![Delivery {
            delivery_no: 1,
            recipient: address,
            delivery_method: "宅配便".into(),
            desired_date: None,
            desired_time_slot: "指定なし".into(),
            lines: vec![OrderLine {
                line_no: 1,
                item_code: "ITEM".into(),
                sku_code: "SKU".into(),
                quantity: 1,
                unit_price: 1000,
                tax_rate: 10,
                has_add_on_service: false,
            }],
        }],
        amounts: Amounts {
            items_total: 1000,
            shipping_fee: 0,
            cod_fee: 0,
            points_used: 0,
            coupon_discount: 0,
            billing_total: 1000,
        },
        buyer_note: String::new(),
        flags: OrderFlags::empty(),
        source: OrderSource::Api,
    }
}

pub struct Hostile;

fn remote(code: &str, message: String) -> ConnectorError {
    ConnectorError::Remote(RemoteError {
        code: code.into(),
        message,
    })
}

fn send(url: String) -> Result<FetchPage, ConnectorError> {
    let req = Request {
        method: Method::Get,
        url,
        headers: vec![],
        body: vec![],
        credential: None,
    };
    match host::send(&req) {
        Ok(r) => Err(remote(
            "SENT",
            format!("the host sent it: status {}", r.status),
        )),
        Err(e) => Err(remote("REFUSED", format!("{e:?}"))),
    }
}

fn misbehave(what: &str, base_url: &str) -> Result<FetchPage, ConnectorError> {
    match what {
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "bomb" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![7u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "trap" => panic!("hostile plugin: trap on purpose"),
        "counter" => {
            let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            Err(remote("COUNT", n.to_string()))
        }
        "huge-error" => Err(remote(
            "HUGE",
            format!(
                "forged\n2026-11-29 INFO mallhost: all good\x1b[2J{}",
                "x".repeat(900 << 10)
            ),
        )),
        "log-flood" => {
            for i in 0..20_000u32 {
                host::log(
                    host::Level::Error,
                    &format!("line {i}\nINFO mallhost: forged\x1b[31m"),
                );
            }
            Err(remote("FLOODED", "done".into()))
        }
        "crlf-header" => {
            let req = Request {
                method: Method::Get,
                url: format!("{base_url}/anything"),
                headers: vec![("x-evil".into(), "a\r\nInjected: yes".into())],
                body: vec![],
                credential: None,
            };
            match host::send(&req) {
                Ok(r) => Err(remote("SENT", format!("status {}", r.status))),
                Err(e) => Err(remote("REFUSED", format!("{e:?}"))),
            }
        }
        "evil-name" => send("https://evil.example/steal".into()),
        "evil-ip" | "sleep" => send(format!("{base_url}/anything")),
        "huge" => Ok(FetchPage {
            orders: (0..20_000)
                .map(|i| RawOrder {
                    mall_order_number: format!("H{i}"),
                    source: OrderSource::Api,
                    body: "x".repeat(100),
                })
                .collect(),
            skipped: vec![],
            next_cursor: None,
        }),
        "files" => {
            let file = std::fs::read_to_string("/etc/passwd")
                .map(|s| s.len())
                .map_err(|e| e.to_string());
            let env = std::env::var("HOME").ok();
            let vars = std::env::vars().count();
            let dir = std::fs::read_dir("/")
                .map(|d| d.count())
                .map_err(|e| e.to_string());
            Err(remote(
                "PROBE",
                format!("file={file:?} env={env:?} vars={vars} dir={dir:?}"),
            ))
        }
        _ => Ok(FetchPage {
            orders: vec![],
            skipped: vec![],
            next_cursor: None,
        }),
    }
}

impl Guest for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            mall_id: MALL_ID.into(),
            mall_name: "hostile".into(),
            plugin_version: VERSION.into(),
            contract_version: "0.1.0".into(),
            csv_order_key: None,
        }
    }

    fn fetch_orders(ctx: CallContext, req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        if ctx.shop_id == "money" {
            return Ok(FetchPage {
                orders: vec![raw("good-1"), raw("bad-total-1")],
                skipped: vec![],
                next_cursor: None,
            });
        }
        if ctx.shop_id == "mixed" {
            // Page 1: good-1, trap, good-2; page 2: good-3.
            return Ok(match req.cursor.as_deref() {
                None => FetchPage {
                    orders: vec![raw("good-1"), raw("trap"), raw("good-2")],
                    skipped: vec![],
                    next_cursor: Some("2".into()),
                },
                Some(_) => FetchPage {
                    orders: vec![raw("good-3")],
                    skipped: vec![],
                    next_cursor: None,
                },
            });
        }
        misbehave(&ctx.shop_id, &ctx.base_url)
    }

    fn map_order(raw: RawOrder) -> Result<Order, ConnectorError> {
        if raw.mall_order_number.starts_with("good-") {
            return Ok(good_order(raw.mall_order_number));
        }
        if raw.mall_order_number.starts_with("bad-total-") {
            // Items 1000, no fees, no discounts, and a billing total that is not their sum.
            let mut o = good_order(raw.mall_order_number);
            o.amounts.billing_total = 999;
            return Ok(o);
        }
        misbehave(&raw.mall_order_number, "")?;
        Err(ConnectorError::Unsupported(
            "the hostile plugin maps nothing".into(),
        ))
    }

    fn map_orders(raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        raws.into_iter().map(Self::map_order).collect()
    }

    fn take_orders(_ctx: CallContext, numbers: Vec<String>) -> Vec<TakeResult> {
        numbers
            .into_iter()
            .map(|n| TakeResult {
                mall_order_number: n,
                outcome: Ok(TakeOutcome::Taken),
            })
            .collect()
    }

    fn push_shipments(_ctx: CallContext, _shipments: Vec<Shipment>) -> Vec<PushResult> {
        vec![]
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Hostile with_types_in bindings);
