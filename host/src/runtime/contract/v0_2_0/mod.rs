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

version_calls!();

/// A fetched page in the newest version's types, then the host's, within the return limit.
fn returned_page(p: wit::FetchPage, max_return: usize) -> Result<c::FetchPage, Returned> {
    let p = convert::page_up(p);
    check_size(newest::page_size(&p), max_return)?;
    Ok(newest::fetch_page(p))
}

/// Mapped records in the newest version's types, then the host's, each checked.
fn returned_orders(
    outcome: Vec<Result<wit::Order, wit::ConnectorError>>,
    asked: usize,
    max_return: usize,
) -> Result<Vec<Result<m::Order, Returned>>, Returned> {
    let outcome = outcome
        .into_iter()
        .map(|r| r.map(convert::order_up).map_err(convert::error_up))
        .collect();
    super::mapped(
        outcome,
        asked,
        max_return,
        newest::order_size,
        newest::error,
        newest::order,
    )
}

/// An order's state in the host's types (0.2.0 says nothing of payment, reason or hold).
fn state_of(s: wit::OrderState) -> c::OrderState {
    c::OrderState {
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
    }
}
