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
//! | `mixed` | two pages of orders `good-N` (mapped well) with one `trap` (mapping it panics) |
//! | `counter` | reports how many calls this instance has served (a static counter) |
//! | `huge-error` | fails with a 900 KiB error holding a forged log line and a terminal escape |
//! | `log-flood` | logs 20,000 lines with forged line breaks |
//! | `crlf-header` | sends a request with a header value holding CR LF |
//!
//! The code is in `plugin.rs`; `../hostile-traversal` builds it claiming a mall id and version
//! that are paths.

#![allow(missing_docs)]

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/0.1.0",
        world: "mall-connector",
        generate_all,
    });
}

const MALL_ID: &str = "hostile";
const VERSION: &str = env!("CARGO_PKG_VERSION");

include!("plugin.rs");
