//! The host side of contract 0.2.0's `host` interface: each import converts its arguments to
//! the newest version's ([`super::super::v0_3_0`]) and calls that one implementation.

use super::super::v0_3_0::{wit as new_types, wit_host as new};
use super::{wit, wit_host};
use crate::capabilities::PluginState;

impl wit::Host for PluginState {}

impl wit_host::Host for PluginState {
    async fn send(
        &mut self,
        req: wit_host::Request,
    ) -> wasmtime::Result<Result<wit_host::Response, wit_host::HttpError>> {
        let req = new::Request {
            method: match req.method {
                wit_host::Method::Get => new::Method::Get,
                wit_host::Method::Post => new::Method::Post,
                wit_host::Method::Put => new::Method::Put,
                wit_host::Method::Delete => new::Method::Delete,
            },
            url: req.url,
            headers: req.headers,
            body: req.body,
            authenticate: req.authenticate,
        };
        Ok(match new::Host::send(self, req).await? {
            Ok(r) => Ok(wit_host::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }),
            Err(e) => Err(match e {
                new::HttpError::Denied(m) => wit_host::HttpError::Denied(m),
                new::HttpError::InvalidRequest(m) => wit_host::HttpError::InvalidRequest(m),
                new::HttpError::Transport(m) => wit_host::HttpError::Transport(m),
                new::HttpError::TooLarge(n) => wit_host::HttpError::TooLarge(n),
                new::HttpError::BudgetExhausted(n) => wit_host::HttpError::BudgetExhausted(n),
            }),
        })
    }

    async fn sign(&mut self, message: String) -> wasmtime::Result<Result<String, String>> {
        new::Host::sign(self, message).await
    }

    async fn log(&mut self, level: wit_host::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            wit_host::Level::Debug => new::Level::Debug,
            wit_host::Level::Info => new::Level::Info,
            wit_host::Level::Warn => new::Level::Warn,
            wit_host::Level::Error => new::Level::Error,
        };
        new::Host::log(self, level, message).await
    }

    async fn now(&mut self) -> wasmtime::Result<wit::Instant> {
        let now: new_types::Instant = new::Host::now(self).await?;
        Ok(now)
    }
}
