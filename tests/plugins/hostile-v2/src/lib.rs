//! A hostile contract 0.2.0 plugin (mall `hostile2`), written against `wit/0.2.0` as an outsider
//! would: each export attacks the host in the way the shop id names, and `info` changes with the
//! host's clock, so a plugin that loaded well can turn bad later.
//!
//! `info` by the host's `now` (unix seconds):
//!
//! | from | until | declares |
//! | --- | --- | --- |
//! | | 1 900 000 000 | a fair declaration: `x-request-id: {partner_code}:{api_password}` |
//! | 1 900 000 000 | 1 905 000 000 | its auth header `transfer-encoding` |
//! | 1 905 000 000 | 1 910 000 000 | an OAuth 2 token placed in the `host` header |
//! | 1 910 000 000 | 1 920 000 000 | a 1 MB mall name |
//! | 1 920 000 000 | 1 930 000 000 | 20 003 settings |
//! | 1 930 000 000 | 1 950 000 000 | nothing: it spins until stopped |
//! | 1 950 000 000 | | nothing: it traps |
//!
//! `fetch-orders` by shop id:
//!
//! | shop id | does |
//! | --- | --- |
//! | `echo` | an authenticated request to `<base>/echo`, whose answer it logs, prints and returns as its error |
//! | `sign` | asks the host to sign a request a year ahead, a JWT, and the fair message; reports each |
//! | `money` | a page of orders each wrong in one number (and one good: `money-ok`) |
//! | `control` | a good order full of terminal codes (`control-ok`), one whose number holds them, an error whose number forges a log line |
//! | `cursor-same` | an empty page with the cursor `same`, every time |
//! | `cursor-next` | an empty page with the cursor after the one it was given, forever |
//! | `skipped-flood` | 80 000 entries left out |
//! | `errors` | 5 000 orders that fail to map |
//! | `states` | one good order (`states-1`) |
//!
//! `order-states` answers as many as it was asked: the first swapped for `never-asked`,
//! cancelled, the rest open;
//! `take-orders` takes what it is asked; `push-shipments` accepts.

#![allow(missing_docs)]

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/0.2.0",
        world: "mall-connector",
        generate_all,
    });
}

use bindings::exports::mallhost::connector::connector::Guest;
use bindings::mallhost::connector::host::{self, Level, Method, Request};
use bindings::mallhost::connector::types::{
    Address, AuthScheme, CallContext, Capabilities, Carrier, ConnectorError, Delivery, Fee,
    FeeKind, FetchPage, FetchRequest, FetchedOrder, HeaderAuth, MallState, Oauth2RefreshAuth,
    Operations, Order, OrderLine, OrderSource, OrderState, PluginInfo, PushResult, RawOrder,
    RemoteError, SettingSpec, Shipment, SkippedOrder, StateResult, TakeOutcome, TakeResult,
    TokenPlacement,
};

pub struct Hostile2;

fn remote(code: &str, message: String) -> ConnectorError {
    ConnectorError::Remote(RemoteError {
        code: code.into(),
        message,
    })
}

fn setting<'a>(ctx: &'a CallContext, name: &str) -> &'a str {
    ctx.settings
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn spec(name: &str, secret: bool) -> SettingSpec {
    SettingSpec {
        name: name.into(),
        label: name.replace('_', " "),
        secret,
        required: true,
        expires: false,
        help: "hostile2's own screen".into(),
    }
}

fn address(name: &str) -> Address {
    Address {
        name: name.into(),
        name_kana: String::new(),
        postal_code: "100-0001".into(),
        prefecture: "東京都".into(),
        address1: "千代田区1-1".into(),
        address2: String::new(),
        phone: "03-0000-0000".into(),
    }
}

/// A well-formed order: one line of 2 × ¥1,000 at 10 %, ¥500 shipping.
fn order(number: &str) -> Order {
    let now = host::now();
    Order {
        mall_order_number: number.into(),
        ordered_at: now - 3600,
        updated_at: now - 3600,
        mall_status: "NEW".into(),
        payment_method: "CARD".into(),
        buyer: address("山田 太郎"),
        buyer_email: None,
        deliveries: vec![Delivery {
            delivery_no: 1,
            mall_delivery_id: None,
            recipient: address("山田 太郎"),
            delivery_method: "宅配便".into(),
            desired_date: None,
            desired_time_slot: "指定なし".into(),
            lines: vec![OrderLine {
                line_no: 1,
                item_code: "ITEM".into(),
                sku_code: "SKU".into(),
                product_name: Some("品".into()),
                option_text: None,
                quantity: 2,
                unit_price: 1000,
                tax_rate: 10,
                has_add_on_service: false,
            }],
        }],
        prices_include_tax: true,
        items_total: 2000,
        fees: vec![Fee {
            kind: FeeKind::Shipping,
            label: "送料".into(),
            amount: 500,
        }],
        discounts: vec![],
        billing_total: 2500,
        buyer_note: String::new(),
        flags: vec![],
        source: OrderSource::Api,
    }
}

fn fetched(o: Order) -> FetchedOrder {
    FetchedOrder {
        mall_order_number: o.mall_order_number.clone(),
        order: Ok(o),
    }
}

fn page(orders: Vec<FetchedOrder>, next_cursor: Option<String>) -> FetchPage {
    FetchPage {
        orders,
        skipped: vec![],
        next_cursor,
    }
}

/// Orders each wrong in one number, and one good.
fn money() -> Vec<FetchedOrder> {
    let mut out = vec![fetched(order("money-ok"))];
    let mut wrong = |number: &str, change: &dyn Fn(&mut Order)| {
        let mut o = order(number);
        change(&mut o);
        out.push(fetched(o));
    };
    // Wrapping: MAX + MAX + 2 is 0 in two's complement, so 2000 + 0 = billing 2000.
    wrong("money-wrap", &|o| {
        o.fees = [i64::MAX, i64::MAX, 2]
            .into_iter()
            .map(|amount| Fee {
                kind: FeeKind::Other,
                label: "x".into(),
                amount,
            })
            .collect();
        o.billing_total = 2000;
    });
    wrong("money-negative-price", &|o| {
        o.deliveries[0].lines[0].unit_price = -1000;
        o.items_total = -2000;
        o.billing_total = -1500;
    });
    wrong("money-quantity-0", &|o| {
        o.deliveries[0].lines[0].quantity = 0;
        o.items_total = 0;
        o.billing_total = 500;
    });
    wrong("money-tax-99", &|o| o.deliveries[0].lines[0].tax_rate = 99);
    wrong("money-items-total", &|o| {
        o.items_total = 9000;
        o.billing_total = 9500;
    });
    wrong("money-year-9999", &|o| o.ordered_at = 253_402_214_400);
    out
}

fn control() -> FetchPage {
    let mut good = order("control-ok");
    good.buyer = address("\u{1b}]0;pwned\u{7}Evil\rName");
    good.deliveries[0].recipient = address("Rcpt\u{1b}[2J");
    good.deliveries[0].lines[0].product_name = Some("品\u{1b}[31mRED".into());
    good.buyer_note = "line one\n2026-12-06T00:00:00Z  INFO forged: all good\u{7}".into();
    let bad = order("control-\u{1b}[2J-\u{7}\r");
    FetchPage {
        orders: vec![
            fetched(good),
            fetched(bad),
            FetchedOrder {
                mall_order_number: "control-err\n2026-12-06T00:00:00Z  INFO forged".into(),
                order: Err(ConnectorError::InvalidInput(
                    bindings::mallhost::connector::types::FieldError {
                        field: "x".into(),
                        message: "broken on purpose".into(),
                    },
                )),
            },
        ],
        skipped: vec![],
        next_cursor: None,
    }
}

fn sign_all(ctx: &CallContext) -> String {
    let partner = setting(ctx, "partner_code");
    let now = host::now();
    let tries = [
        ("year-ahead", format!("{partner}:{}", now + 31_536_000)),
        (
            "jwt",
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiJ9".to_string(),
        ),
        ("fair", format!("{partner}:{now}")),
    ];
    tries
        .iter()
        .map(|(what, message)| match host::sign(message) {
            Ok(_) => format!("{what}=signed"),
            Err(e) => format!("{what}=refused({e})"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn fair_info() -> PluginInfo {
    PluginInfo {
        mall_id: "hostile2".into(),
        mall_name: "Hostile 2".into(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        contract_version: "0.2.0".into(),
        settings: vec![
            spec("partner_code", false),
            spec("api_password", true),
            spec("signing_key", true),
        ],
        auth: AuthScheme::Header(HeaderAuth {
            header: "x-request-id".into(),
            template: "{partner_code}:{api_password}".into(),
        }),
        pacing: None,
        signing_key: Some("signing_key".into()),
        capabilities: Capabilities {
            operations: Operations::TAKE | Operations::STATUS_SYNC,
            shipping_per_delivery: false,
            max_parcels: 1,
            carriers: vec![Carrier {
                id: "1".into(),
                name: "ヤマト運輸".into(),
            }],
        },
        csv_order_key: None,
    }
}

impl Guest for Hostile2 {
    fn info() -> PluginInfo {
        let now = host::now();
        let mut info = fair_info();
        match now {
            ..1_900_000_000 => {}
            1_900_000_000..1_905_000_000 => {
                info.auth = AuthScheme::Header(HeaderAuth {
                    header: "transfer-encoding".into(),
                    template: "chunked".into(),
                })
            }
            1_905_000_000..1_910_000_000 => {
                info.settings = ["token_url", "client_id", "client_secret", "refresh_token"]
                    .iter()
                    .map(|n| spec(n, matches!(*n, "client_secret" | "refresh_token")))
                    .collect();
                info.signing_key = None;
                info.auth = AuthScheme::Oauth2Refresh(Oauth2RefreshAuth {
                    token_url: "token_url".into(),
                    client_id: "client_id".into(),
                    client_secret: "client_secret".into(),
                    refresh_token: "refresh_token".into(),
                    scope: None,
                    placement: TokenPlacement::Header("host".into()),
                })
            }
            1_910_000_000..1_920_000_000 => info.mall_name = "巨".repeat(1_000_000 / 3),
            1_920_000_000..1_930_000_000 => {
                info.settings
                    .extend((0..20_000).map(|i| spec(&format!("extra_{i}"), false)));
            }
            1_930_000_000..1_950_000_000 => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            _ => panic!("hostile2: info traps on purpose"),
        }
        info
    }

    fn fetch_orders(ctx: CallContext, req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        match ctx.shop_id.as_str() {
            "echo" => {
                let r = host::send(&Request {
                    method: Method::Get,
                    url: format!("{}/echo", ctx.base_url),
                    headers: vec![],
                    body: vec![],
                    authenticate: true,
                })
                .map_err(|e| remote("SEND", format!("{e:?}")))?;
                let text = String::from_utf8_lossy(&r.body).into_owned();
                let echoed: Vec<String> =
                    r.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                host::log(Level::Warn, &format!("the mall echoed: {text}"));
                println!("the mall echoed: {text} / {}", echoed.join(", "));
                Err(remote("ECHO", format!("{text} / {}", echoed.join(", "))))
            }
            "sign" => Err(remote("SIGN", sign_all(&ctx))),
            "money" => Ok(page(money(), None)),
            "control" => Ok(control()),
            "cursor-same" => Ok(page(vec![], Some("same".into()))),
            "cursor-next" => {
                let n: u64 = req
                    .cursor
                    .as_deref()
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                Ok(page(vec![], Some((n + 1).to_string())))
            }
            "skipped-flood" => Ok(FetchPage {
                orders: vec![],
                skipped: (0..80_000)
                    .map(|_| SkippedOrder {
                        mall_order_number: String::new(),
                        reason: String::new(),
                        message: String::new(),
                    })
                    .collect(),
                next_cursor: None,
            }),
            "errors" => Ok(page(
                (0..5_000)
                    .map(|i| FetchedOrder {
                        mall_order_number: format!("err-{i}"),
                        order: Err(remote("BAD", "cannot map".into())),
                    })
                    .collect(),
                None,
            )),
            "states" => Ok(page(vec![fetched(order("states-1"))], None)),
            other => Err(remote("UNKNOWN", format!("no attack named {other}"))),
        }
    }

    fn map_orders(_ctx: CallContext, raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        raws.iter()
            .map(|r| Ok(order(&r.mall_order_number)))
            .collect()
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

    fn push_shipments(_ctx: CallContext, shipments: Vec<Shipment>) -> Vec<PushResult> {
        shipments
            .into_iter()
            .map(|s| PushResult {
                mall_order_number: s.mall_order_number,
                outcome: Ok(()),
            })
            .collect()
    }

    fn order_states(_ctx: CallContext, numbers: Vec<String>) -> Vec<StateResult> {
        let cancelled = |n: String| StateResult {
            mall_order_number: n,
            state: Ok(OrderState {
                state: MallState::Cancelled,
                mall_status: "CANCELLED".into(),
                message: "cancelled by hostile2".into(),
            }),
        };
        let open = |n: String| StateResult {
            mall_order_number: n,
            state: Ok(OrderState {
                state: MallState::Open,
                mall_status: "OPEN".into(),
                message: String::new(),
            }),
        };
        // As many answers as asked (so the count passes), the first swapped for an order it
        // was not asked about, cancelled.
        let mut out: Vec<StateResult> = numbers.into_iter().skip(1).map(open).collect();
        out.push(cancelled("never-asked".into()));
        out
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Hostile2 with_types_in bindings);
