//! The kit on contract `mallhost:connector@0.3.0` (`wit/0.3.0/`): its bindings, generated once for
//! every plugin on it, and the kit's helpers compiled against its types.

/// The contract `mallhost:connector@0.3.0`, generated once for every plugin on it.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/0.3.0",
        world: "mall-connector",
        generate_all,
        pub_export_macro: true,
        export_macro_name: "export_bindings",
        default_bindings_module: "connector_kit::v0_3_0::bindings",
    });
}

/// What a plugin implements: the contract's `connector` interface.
pub use bindings::exports::mallhost::connector::connector::Guest;
/// The host's imports.
pub use bindings::mallhost::connector::host;
/// The contract's data types: orders, shipments, declarations, errors.
pub use bindings::mallhost::connector::types;

/// The contract version this kit binds.
pub const CONTRACT_VERSION: &str = "0.3.0";

#[path = "../common.rs"]
mod common;
#[path = "../fake.rs"]
pub mod fake;
#[path = "../http.rs"]
pub mod http;
#[path = "../money.rs"]
pub mod money;
#[path = "../time.rs"]
pub mod time;
#[path = "../transport.rs"]
mod transport;

pub use common::*;
pub use transport::{HostTransport, Transport};

/// A declaration with the kit's defaults filled in: no settings, no auth, no computed headers,
/// no pacing, no operations, the host's batch sizes, no words — a plugin sets what its mall
/// needs on the value it returns.
pub fn info(mall_id: &str, mall_name: &str, plugin_version: &str) -> types::PluginInfo {
    types::PluginInfo {
        mall_id: mall_id.into(),
        mall_name: mall_name.into(),
        plugin_version: plugin_version.into(),
        contract_version: CONTRACT_VERSION.into(),
        settings: Vec::new(),
        auth: types::AuthScheme::None,
        computed_headers: Vec::new(),
        pacing: None,
        signing_key: None,
        capabilities: types::Capabilities {
            operations: types::Operations::empty(),
            shipping_per_delivery: false,
            max_parcels: 1,
            carriers: Vec::new(),
            one_carrier_per_order: false,
        },
        csv_order_key: None,
        batch: types::BatchSizes {
            take: 0,
            push: 0,
            states: 0,
        },
        words: Vec::new(),
    }
}

/// Words for a mall's codes of one kind, from `(code, words)` pairs.
pub fn words(kind: types::CodeKind, table: &[(&str, &str)]) -> Vec<types::CodeWord> {
    table
        .iter()
        .map(|(code, words)| types::CodeWord {
            kind,
            code: (*code).into(),
            words: (*words).into(),
        })
        .collect()
}

/// A line for the helpers' tests.
#[cfg(test)]
fn test_line(quantity: u32, unit_price: i64) -> types::OrderLine {
    types::OrderLine {
        line_no: 1,
        item_code: "I".into(),
        sku_code: String::new(),
        quantity,
        unit_price,
        tax_rate: 10,
        has_add_on_service: false,
        product_name: None,
        option_text: None,
        jan: None,
    }
}
