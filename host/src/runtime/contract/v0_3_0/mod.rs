//! Contract `mallhost:connector@0.3.0` (`wit/0.3.0/`), the newest: the generated bindings and
//! each export called with the host's types. The host side of its `host` interface is `host`
//! (the one implementation of the host's imports: older versions delegate to it); the
//! conversions and checks between its types and the host's are `convert` (older versions
//! convert their types to this version's and call it, so each check is written once).

pub(super) mod convert;
mod host;

use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

use super::{BatchResults, CallContext, Returned, check_count, check_size};
use crate::capabilities::PluginState;
use crate::connector as c;
use crate::model as m;
use convert::{date_to, error, fetch_page, order, order_size, page_size, plugin_info, source_to};

wasmtime::component::bindgen!({
    path: "../wit/0.3.0",
    world: "mall-connector",
    imports: { default: async | trappable },
    exports: { default: async },
    // Arguments to the plugin's exports borrow from the host's values.
    ownership: Borrowing { duplicate_if_necessary: true },
});

pub(super) use self::mallhost::connector::host as wit_host;
pub(super) use self::mallhost::connector::types as wit;

/// The contract version this module implements.
pub const VERSION: &str = "0.3.0";

version_calls!();

/// A fetched page in the host's types, within the return limit.
fn returned_page(p: wit::FetchPage, max_return: usize) -> Result<c::FetchPage, Returned> {
    check_size(page_size(&p), max_return)?;
    Ok(fetch_page(p))
}

/// Mapped records in the host's types, each checked.
fn returned_orders(
    outcome: Vec<Result<wit::Order, wit::ConnectorError>>,
    asked: usize,
    max_return: usize,
) -> Result<Vec<Result<m::Order, Returned>>, Returned> {
    super::mapped(outcome, asked, max_return, order_size, error, order)
}

/// An order's state in the host's types: the mall's payment, cancel reason and hold too.
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
        payment: s.payment.map(convert::payment),
        cancel_reason: s
            .cancel_reason
            .map(|r| super::plugin_text(&r, super::MAX_PLUGIN_TEXT)),
        hold: s
            .hold
            .map(|h| super::plugin_text(&h, super::MAX_PLUGIN_TEXT)),
    }
}
