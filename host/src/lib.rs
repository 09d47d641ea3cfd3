//! mallhost: keeps a merchant's marketplace (モール) orders in one database, through connector
//! plugins that run as sandboxed WebAssembly components.
//!
//! Where each concern lives:
//! - [`app`]: what every entry point builds from a config (database, runtime, plugins folder,
//!   clock), handing out the syncer, scheduler and admin state.
//! - [`accounts`]: staff accounts, roles, API tokens (who may do what).
//! - [`admin`]: the JSON admin API of `mallhost serve` (plugins, rollback, jobs, health,
//!   metrics).
//! - [`console`]: the web console of `mallhost serve` (Japanese, with English): orders,
//!   shipping, imports, exports, plugins, settings, audit log; sessions, CSRF, Host allowlist.
//! - [`health`]: how every shop's jobs and credentials stand, from the recorded runs.
//! - [`alerts`]: telling operators once per incident (webhook) when a shop's sync stops.
//! - [`metrics`]: the same health, and orders per status, for Prometheus.
//! - [`runtime`]: the wasmtime engine, loaded plugins, calls into them; the WIT contract
//!   versions behind one seam (`runtime::contract`, a module per version).
//! - [`capabilities`]: what a plugin may use (http, log, clock), each in its own module.
//! - [`connector`]: what the host asks of a connector, in the host's own types.
//! - [`model`]: the canonical order and the host's statuses.
//! - [`store`]: the database (sqlx over SQLite or PostgreSQL), migrations and queries.
//! - [`sync`]: fetch → store → take, export, retries.
//! - [`config`]: the TOML configuration and its validation.
//! - [`csv`]: files merchants bring: product master, shipping data, mini-app orders.
//! - [`time`]: UTC instants, JST dates, the injectable clock.
//! - [`tracking`]: tracking-number rules (check digits, dummies).

#![deny(missing_docs)]

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod app;
pub mod capabilities;
pub mod config;
pub mod connector;
pub mod console;
pub mod csv;
pub mod digest;
pub mod health;
pub mod hostkey;
pub mod metrics;
pub mod model;
pub mod runtime;
pub mod server;
pub mod store;
pub mod sync;
pub mod time;
pub mod tracking;
