//! mallhost: keeps a merchant's marketplace (モール) orders in one database, through connector
//! plugins that run as sandboxed WebAssembly components.
//!
//! ## Layers
//!
//! Arrows point down: a module imports only modules of its own layer or below, never in a
//! cycle; what it needs from above it takes as a value or a trait (the store is the OAuth
//! capability's `TokenVault`, wired in `runtime`). A test (`layers`) reads this table and
//! fails on an import that points up.
//!
//! | layer | modules |
//! | --- | --- |
//! | 7 serving | [`server`] |
//! | 6 surfaces | [`admin`], [`console`] |
//! | 5 application | [`app`] |
//! | 4 flows | [`sync`], [`alerts`], [`metrics`] |
//! | 3 rules and files | [`tracking`], [`csv`], [`labels`], [`health`], [`accounts`] |
//! | 2 plugins | [`capabilities`], [`runtime`] |
//! | 1 storage | [`store`] |
//! | 0 foundations | [`time`], [`model`], [`digest`], [`hostkey`], [`config`], [`connector`], [`crash`] |
//!
//! ## Where each concern lives
//!
//! - [`server`]: what `serve --admin` answers on one address (the admin API, the console,
//!   health, metrics), behind one `Host` check.
//! - [`admin`]: the JSON admin API (plugins, rollback, jobs, runs, audit, health, metrics).
//! - [`console`]: the web console (Japanese, with English): orders, shipping, imports, exports,
//!   plugins, settings, audit log; sessions, CSRF, login limit.
//! - [`app`]: what every entry point builds from a config (database, runtime, plugins folder,
//!   clock), handing out the syncer, the scheduler and `serve`'s state.
//! - [`sync`]: fetch → store → take, status sync, export, retries, file imports, the scheduler.
//! - [`alerts`]: telling operators once per incident (webhook) when a shop's sync stops.
//! - [`metrics`]: the same health, and orders per status, for Prometheus.
//! - [`tracking`]: tracking-number rules (check digits, dummies).
//! - [`csv`]: files merchants bring: product master, shipping data, mini-app orders.
//! - [`labels`]: shipping day: the carriers' label files written, their issued data read back.
//! - [`health`]: how every shop's jobs and credentials stand, from the recorded runs.
//! - [`accounts`]: staff accounts, roles, API tokens (who may do what).
//! - [`runtime`]: the wasmtime engine, loaded plugins, calls into them; the WIT contract
//!   versions behind one seam (`runtime::contract`, a module per version).
//! - [`capabilities`]: what a plugin may use (http, credentials, oauth, signing, pace, log,
//!   clock), each in its own module.
//! - [`store`]: the database (sqlx over SQLite or PostgreSQL), migrations and queries.
//! - [`config`]: the TOML configuration and its validation (plain settings types).
//! - [`connector`]: what the host asks of a connector, in the host's own types.
//! - [`model`]: the canonical order, its checks and the host's statuses.
//! - [`time`]: UTC instants, JST dates, the injectable clock.
//! - [`digest`], [`hostkey`]: SHA-256 in hex; the host's own key file.
//! - [`crash`]: crash points for the tests (compiled in with the `failpoints` feature only).

#![deny(missing_docs)]

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod app;
pub mod capabilities;
pub mod config;
pub mod connector;
pub mod console;
pub mod crash;
pub mod csv;
pub mod digest;
pub mod health;
pub mod hostkey;
pub mod labels;
#[cfg(test)]
mod layers;
pub mod metrics;
pub mod model;
pub mod runtime;
pub mod server;
pub mod store;
pub mod sync;
pub mod time;
pub mod tracking;
