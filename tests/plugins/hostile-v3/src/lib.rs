//! A hostile contract 0.3.0 plugin (mall `hostile3`), on the connector kit: `fetch-orders` turns
//! the imports 0.3.0 added on the host, by the shop's setting `mode`, and reports what it got as
//! its error (the test reads it):
//!
//! | mode | does |
//! | --- | --- |
//! | `held` | asks `held` about the order numbers in the setting `numbers` |
//! | `flood` | asks `held` 100 000 times with 1 000 numbers, then reads its budget and sends |

#![allow(missing_docs)]

use connector_kit::host::{self, Method, Request};
use connector_kit::types::{
    CallContext, ConnectorError, FetchPage, FetchRequest, Order, PluginInfo, PushResult, RawOrder,
    RemoteError, SettingSpec, Shipment, StateResult, TakeResult,
};
use connector_kit::{Guest, unsupported_for};

pub struct Hostile3;

fn report(code: &str, message: String) -> ConnectorError {
    ConnectorError::Remote(RemoteError {
        code: code.into(),
        message,
    })
}

impl Guest for Hostile3 {
    fn info() -> PluginInfo {
        PluginInfo {
            settings: ["mode", "numbers"]
                .iter()
                .map(|name| SettingSpec {
                    name: (*name).into(),
                    label: (*name).into(),
                    secret: false,
                    required: false,
                    expires: false,
                    help: String::new(),
                })
                .collect(),
            ..connector_kit::info("hostile3", "Hostile 3", env!("CARGO_PKG_VERSION"))
        }
    }

    fn fetch_orders(ctx: CallContext, _req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        let setting = |name: &str| {
            ctx.settings
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        match setting("mode").as_str() {
            "held" => {
                let asked: Vec<String> =
                    setting("numbers").split(',').map(str::to_string).collect();
                let found = host::held(&asked);
                Err(report(
                    "HELD",
                    format!("held {} of {}: {found:?}", found.len(), asked.len()),
                ))
            }
            "flood" => {
                let numbers: Vec<String> = (0..1_000).map(|n| format!("N-{n}")).collect();
                let mut answered = 0u32;
                for _ in 0..100_000 {
                    host::held(&numbers);
                    answered += 1;
                    if host::budget().requests_left == 0 {
                        break;
                    }
                }
                let left = host::budget().requests_left;
                let sent = host::send(&Request {
                    method: Method::Get,
                    url: format!("{}/after-the-flood", ctx.base_url),
                    headers: vec![],
                    body: vec![],
                    authenticate: false,
                });
                Err(report(
                    "FLOOD",
                    format!("asked {answered} times, {left} requests left, then send: {sent:?}"),
                ))
            }
            other => Err(report("MODE", format!("no behaviour for mode {other:?}"))),
        }
    }

    fn map_orders(_: CallContext, raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        raws.iter()
            .map(|_| Err(ConnectorError::Unsupported("no files".into())))
            .collect()
    }

    fn take_orders(_: CallContext, numbers: Vec<String>) -> Vec<TakeResult> {
        unsupported_for(numbers, "take", |n, e| TakeResult {
            mall_order_number: n,
            outcome: Err(e),
        })
    }

    fn push_shipments(_: CallContext, s: Vec<Shipment>) -> Vec<PushResult> {
        let numbers = s.into_iter().map(|s| s.mall_order_number).collect();
        unsupported_for(numbers, "push", |n, e| PushResult {
            mall_order_number: n,
            outcome: Err(e),
        })
    }

    fn order_states(_: CallContext, numbers: Vec<String>) -> Vec<StateResult> {
        unsupported_for(numbers, "status sync", |n, e| StateResult {
            mall_order_number: n,
            state: Err(e),
        })
    }
}

connector_kit::export_connector!(Hostile3);
