//! Contract `mallhost:connector@0.2.0` (`wit/0.2.0/`): the generated bindings and each export
//! called with the host's types. Its host side (`host`) and what its plugins return (`convert`)
//! are converted to the newest version's terms and handled there, so a 0.2.0 plugin keeps
//! working as the contract grows.

mod convert;
mod host;

use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

use super::v0_3_0::convert as newest;
use super::{BatchResults, CallContext, Returned, check_count, check_size};
use crate::capabilities::PluginState;
use crate::connector as c;
use crate::model as m;
use convert::{date_to, error, plugin_info, source_to};

wasmtime::component::bindgen!({
    path: "../wit/0.2.0",
    world: "mall-connector",
    imports: { default: async | trappable },
    exports: { default: async },
    // Arguments to the plugin's exports borrow from the host's values.
    ownership: Borrowing { duplicate_if_necessary: true },
});

use self::mallhost::connector::host as wit_host;
use self::mallhost::connector::types as wit;

/// The contract version this module implements.
pub const VERSION: &str = "0.2.0";

/// Adds this version's host interface to `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    MallConnector::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

pub(super) async fn info(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
) -> wasmtime::Result<Result<c::PluginInfo, Returned>> {
    let i = pre.instantiate_async(&mut *store).await?;
    let info = i.mallhost_connector_connector().call_info(store).await?;
    Ok(plugin_info(info).map_err(Returned::Malformed))
}

pub(super) async fn fetch_orders(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    window: c::Window,
    cursor: Option<&str>,
    max_return: usize,
) -> wasmtime::Result<Result<c::FetchPage, Returned>> {
    let settings = settings(&ctx);
    let i = pre.instantiate_async(&mut *store).await?;
    let req = wit::FetchRequest {
        window: wit::Window {
            start: window.start.timestamp(),
            end: window.end.timestamp(),
        },
        cursor,
    };
    let page = i
        .mallhost_connector_connector()
        .call_fetch_orders(store, context(&ctx, &settings), req)
        .await?;
    Ok(page
        .map_err(|e| Returned::Connector(error(e)))
        .and_then(|p| {
            let p = convert::page_up(p);
            check_size(newest::page_size(&p), max_return)?;
            Ok(newest::fetch_page(p))
        }))
}

pub(super) async fn map_orders(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    raws: &[c::RawOrder],
    max_return: usize,
) -> wasmtime::Result<Result<Vec<Result<m::Order, Returned>>, Returned>> {
    let settings = settings(&ctx);
    let wit: Vec<_> = raws
        .iter()
        .map(|r| wit::RawOrder {
            mall_order_number: &r.mall_order_number,
            source: source_to(r.source),
            body: &r.body,
        })
        .collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let outcome = i
        .mallhost_connector_connector()
        .call_map_orders(store, context(&ctx, &settings), &wit)
        .await?;
    let outcome = outcome
        .into_iter()
        .map(|r| r.map(convert::order_up).map_err(convert::error_up))
        .collect();
    Ok(super::mapped(
        outcome,
        raws.len(),
        max_return,
        newest::order_size,
        newest::error,
        newest::order,
    ))
}

pub(super) async fn take_orders(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    numbers: &[String],
) -> wasmtime::Result<Result<BatchResults<c::TakeOutcome>, Returned>> {
    let settings = settings(&ctx);
    let numbers_ref: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let r = i
        .mallhost_connector_connector()
        .call_take_orders(store, context(&ctx, &settings), &numbers_ref)
        .await?;
    Ok(check_count("orders", r.len(), numbers.len()).map(|()| {
        r.into_iter()
            .map(|r| {
                let outcome = match r.outcome {
                    Ok(wit::TakeOutcome::Taken) => Ok(c::TakeOutcome::Taken),
                    Ok(wit::TakeOutcome::AlreadyTaken) => Ok(c::TakeOutcome::AlreadyTaken),
                    Ok(wit::TakeOutcome::Cancelled(m)) => Ok(c::TakeOutcome::Cancelled(
                        super::plugin_text(&m, super::MAX_PLUGIN_TEXT),
                    )),
                    Err(e) => Err(error(e)),
                };
                (r.mall_order_number, outcome)
            })
            .collect()
    }))
}

pub(super) async fn push_shipments(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    shipments: &[c::Shipment],
) -> wasmtime::Result<Result<BatchResults<()>, Returned>> {
    let settings = settings(&ctx);
    let parcels: Vec<Vec<Vec<wit::Parcel<'_>>>> = shipments
        .iter()
        .map(|s| {
            s.deliveries
                .iter()
                .map(|d| {
                    d.parcels
                        .iter()
                        .map(|p| wit::Parcel {
                            carrier_id: &p.carrier_id,
                            tracking_number: &p.tracking_number,
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let deliveries: Vec<Vec<wit::DeliveryShipment<'_>>> = shipments
        .iter()
        .zip(&parcels)
        .map(|(s, ps)| {
            s.deliveries
                .iter()
                .zip(ps)
                .map(|(d, p)| wit::DeliveryShipment {
                    delivery_no: d.delivery_no,
                    mall_delivery_id: d.mall_delivery_id.as_deref(),
                    parcels: p,
                })
                .collect()
        })
        .collect();
    let wit: Vec<_> = shipments
        .iter()
        .zip(&deliveries)
        .map(|(s, d)| wit::Shipment {
            mall_order_number: &s.mall_order_number,
            shipped_date: date_to(s.shipped_date),
            deliveries: d,
        })
        .collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let r = i
        .mallhost_connector_connector()
        .call_push_shipments(store, context(&ctx, &settings), &wit)
        .await?;
    Ok(
        check_count("shipments", r.len(), shipments.len()).map(|()| {
            r.into_iter()
                .map(|r| (r.mall_order_number, r.outcome.map_err(error)))
                .collect()
        }),
    )
}

pub(super) async fn order_states(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    numbers: &[String],
) -> wasmtime::Result<Result<BatchResults<c::OrderState>, Returned>> {
    let settings = settings(&ctx);
    let numbers_ref: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let r = i
        .mallhost_connector_connector()
        .call_order_states(store, context(&ctx, &settings), &numbers_ref)
        .await?;
    Ok(check_count("orders", r.len(), numbers.len()).map(|()| {
        r.into_iter()
            .map(|r| {
                let state = r.state.map_err(error).map(|s| c::OrderState {
                    state: match s.state {
                        wit::MallState::New => c::MallState::New,
                        wit::MallState::Open => c::MallState::Open,
                        wit::MallState::Shipped => c::MallState::Shipped,
                        wit::MallState::Cancelled => c::MallState::Cancelled,
                    },
                    mall_status: s.mall_status,
                    message: super::plugin_text(&s.message, super::MAX_PLUGIN_TEXT),
                    payment: None,
                    cancel_reason: None,
                    hold: None,
                });
                (r.mall_order_number, state)
            })
            .collect()
    }))
}

/// The shop's plain settings as the call context carries them.
fn settings<'a>(ctx: &CallContext<'a>) -> Vec<(&'a str, &'a str)> {
    ctx.settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn context<'a>(ctx: &CallContext<'a>, settings: &'a [(&'a str, &'a str)]) -> wit::CallContext<'a> {
    wit::CallContext {
        shop_id: ctx.shop_id,
        base_url: ctx.base_url,
        settings,
    }
}
