//! The probe test plugin built to declare an OAuth 2 refresh grant (see `../probe/src/probe.rs`):
//! a component going through the host's grant end to end.

#![allow(missing_docs)]

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/0.2.0",
        world: "mall-connector",
        generate_all,
    });
}

const OAUTH: bool = true;

include!("../../probe/src/probe.rs");
