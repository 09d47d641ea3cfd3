//! The hostile plugin (`../hostile/src/plugin.rs`) built to claim a mall id and a version that
//! are paths out of the plugins folder: installing it must be refused before either is used.

#![allow(missing_docs)]

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/0.1.0",
        world: "mall-connector",
        generate_all,
    });
}

const MALL_ID: &str = "../../x";
const VERSION: &str = "../../../y";

include!("../../hostile/src/plugin.rs");
