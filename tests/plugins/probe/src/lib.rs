//! The probe test plugin, declaring a bearer token (see `probe.rs`).

#![allow(missing_docs)]

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/0.2.0",
        world: "mall-connector",
        generate_all,
    });
}

const OAUTH: bool = false;

include!("probe.rs");
