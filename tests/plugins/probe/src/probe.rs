// A contract 0.2.0 test plugin that probes what the host grants a plugin, by the shop id of the
// call. Built twice: `probe` declares a plain `seller`, a secret `token` that expires (sent as
// a bearer token) and a secret `signing_key`; `probe-oauth` declares an OAuth 2 refresh grant. `fetch-orders` does what the shop id names and reports what it
// got as a `remote` error `PROBE`, so a test reads exactly what the plugin could see.
//
// | shop id | does |
// | --- | --- |
// | `sign` | signs `"<seller>:<now>"` with the host and sends it to `<base>/verify` |
// | `api` | an authenticated request to `<base>/echo` (the shop's API origin) |
// | `other` | an authenticated request to the `other` setting's origin |
// | `userinfo` | a request with `user:password@` in the URL |
// | `own-header` | sets the auth header itself |
// | `api-oauth` | an authenticated request to `<base>/api` (the OAuth 2 build) |

// Included by `probe/src/lib.rs` (bearer token) and `probe-oauth/src/lib.rs` (an OAuth 2
// refresh grant), each with its own `bindings` and `OAUTH`.

use bindings::exports::mallhost::connector::connector::Guest;
use bindings::mallhost::connector::host::{self, Method, Request};
use bindings::mallhost::connector::types::{
    AuthScheme, CallContext, Oauth2RefreshAuth, TokenPlacement, Capabilities, ConnectorError, FetchPage, FetchRequest, Operations,
    Order, PluginInfo, PushResult, RawOrder, RemoteError, SettingSpec, Shipment, StateResult,
    TakeResult,
};

pub struct Probe;

fn report(message: String) -> ConnectorError {
    ConnectorError::Remote(RemoteError {
        code: "PROBE".into(),
        message,
    })
}

fn setting<'a>(ctx: &'a CallContext, name: &str) -> &'a str {
    ctx.settings
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn get(url: String, headers: Vec<(String, String)>, authenticate: bool) -> String {
    let req = Request {
        method: Method::Get,
        url,
        headers,
        body: vec![],
        authenticate,
    };
    match host::send(&req) {
        Ok(r) => format!(
            "status {} body {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ),
        Err(e) => format!("refused {e:?}"),
    }
}

impl Guest for Probe {
    fn info() -> PluginInfo {
        let spec = |name: &str, secret: bool, expires: bool| SettingSpec {
            name: name.into(),
            label: name.replace('_', " "),
            secret,
            required: name != "other",
            expires,
            help: "the probe's own screen".into(),
        };
        let (mall_id, settings, auth) = if OAUTH {
            (
                "probe-oauth",
                vec![
                    spec("token_url", false, false),
                    spec("client_id", false, false),
                    spec("client_secret", true, false),
                    spec("refresh_token", true, false),
                ],
                AuthScheme::Oauth2Refresh(Oauth2RefreshAuth {
                    token_url: "token_url".into(),
                    client_id: "client_id".into(),
                    client_secret: "client_secret".into(),
                    refresh_token: "refresh_token".into(),
                    scope: None,
                    placement: TokenPlacement::Bearer,
                }),
            )
        } else {
            (
                "probe",
                vec![
                    spec("seller", false, false),
                    spec("other", false, false),
                    spec("token", true, true),
                    spec("signing_key", true, false),
                ],
                AuthScheme::Bearer("token".into()),
            )
        };
        PluginInfo {
            mall_id: mall_id.into(),
            mall_name: mall_id.into(),
            plugin_version: env!("CARGO_PKG_VERSION").into(),
            contract_version: "0.2.0".into(),
            settings,
            auth,
            pacing: None,
            signing_key: (!OAUTH).then(|| "signing_key".into()),
            capabilities: Capabilities {
                operations: Operations::empty(),
                shipping_per_delivery: false,
                max_parcels: 1,
                carriers: vec![],
            },
            csv_order_key: None,
        }
    }

    fn fetch_orders(ctx: CallContext, _req: FetchRequest) -> Result<FetchPage, ConnectorError> {
        let base = ctx.base_url.clone();
        let got = match ctx.shop_id.as_str() {
            "sign" => {
                let message = format!("{}:{}", setting(&ctx, "seller"), host::now());
                match host::sign(&message) {
                    Ok(sig) => get(
                        format!("{base}/verify"),
                        vec![("x-message".into(), message), ("x-signature".into(), sig)],
                        false,
                    ),
                    Err(e) => format!("no signature: {e}"),
                }
            }
            "api" => get(format!("{base}/echo"), vec![], true),
            "api-oauth" => get(format!("{base}/api"), vec![], true),
            "other" => get(format!("{}/echo", setting(&ctx, "other")), vec![], true),
            "userinfo" => {
                let url = base.replacen("://", "://probe:guess@", 1);
                get(format!("{url}/echo"), vec![], false)
            }
            "own-header" => get(
                format!("{base}/echo"),
                vec![("Authorization".into(), "Bearer mine".into())],
                false,
            ),
            other => format!("unknown probe {other}"),
        };
        Err(report(got))
    }

    fn map_orders(_ctx: CallContext, raws: Vec<RawOrder>) -> Vec<Result<Order, ConnectorError>> {
        raws.iter()
            .map(|_| Err(ConnectorError::Unsupported("the probe maps nothing".into())))
            .collect()
    }

    fn take_orders(_ctx: CallContext, _numbers: Vec<String>) -> Vec<TakeResult> {
        vec![]
    }

    fn push_shipments(_ctx: CallContext, _shipments: Vec<Shipment>) -> Vec<PushResult> {
        vec![]
    }

    fn order_states(_ctx: CallContext, _numbers: Vec<String>) -> Vec<StateResult> {
        vec![]
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(Probe with_types_in bindings);
