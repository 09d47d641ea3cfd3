//! The host side of contract 0.3.0's `host` interface, the newest: what a plugin imports
//! (`send`, `sign`, `log`, `now`, `budget`, `held`), each delegating to its capability
//! ([`crate::capabilities`]).
//! The one implementation of the host's imports: older contract versions convert their
//! arguments and call these.

use super::{wit, wit_host};
use crate::capabilities::{self, PluginState};

impl wit::Host for PluginState {}

impl wit_host::Host for PluginState {
    async fn send(
        &mut self,
        req: wit_host::Request,
    ) -> wasmtime::Result<Result<wit_host::Response, wit_host::HttpError>> {
        use capabilities::http::{HttpError as E, Method as M, Request};
        let req = Request {
            method: match req.method {
                wit_host::Method::Get => M::Get,
                wit_host::Method::Post => M::Post,
                wit_host::Method::Put => M::Put,
                wit_host::Method::Delete => M::Delete,
            },
            url: req.url,
            headers: req.headers,
            body: req.body,
            authenticate: req.authenticate,
        };
        let started = std::time::Instant::now();
        let result = self.http.send(req).await;
        self.meter.add_host_time(started.elapsed());
        Ok(match result {
            Ok(r) => Ok(wit_host::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }),
            Err(e) => Err(match e {
                E::Denied(m) => wit_host::HttpError::Denied(m),
                E::InvalidRequest(m) => wit_host::HttpError::InvalidRequest(m),
                E::Transport(m) => wit_host::HttpError::Transport(m),
                E::TooLarge(n) => wit_host::HttpError::TooLarge(n),
                E::BudgetExhausted(n) => wit_host::HttpError::BudgetExhausted(n),
            }),
        })
    }

    async fn sign(&mut self, message: String) -> wasmtime::Result<Result<String, String>> {
        Ok(match &self.signer {
            Some(s) => s.sign(&message, capabilities::clock::now(&self.clock)),
            None => Err(
                "this call is not made for a shop, or the plugin declares no signing key".into(),
            ),
        })
    }

    async fn log(&mut self, level: wit_host::Level, message: String) -> wasmtime::Result<()> {
        use capabilities::log::Level as L;
        let level = match level {
            wit_host::Level::Debug => L::Debug,
            wit_host::Level::Info => L::Info,
            wit_host::Level::Warn => L::Warn,
            wit_host::Level::Error => L::Error,
        };
        self.log.log(level, &message);
        Ok(())
    }

    async fn now(&mut self) -> wasmtime::Result<wit::Instant> {
        Ok(capabilities::clock::now(&self.clock))
    }

    async fn budget(&mut self) -> wasmtime::Result<wit_host::CallBudget> {
        Ok(wit_host::CallBudget {
            requests_left: self.http.requests_left(),
            millis_left: u64::try_from(self.meter.wall_left().as_millis()).unwrap_or(u64::MAX),
        })
    }

    async fn held(&mut self, numbers: Vec<String>) -> wasmtime::Result<Vec<String>> {
        // Each question costs a request of the call's budget: a plugin cannot turn the host's
        // database into a loop of its own. Spent, or outside a shop's call: none held (the
        // plugin reads them as new; unique order numbers keep each stored once).
        let Some(held) = self.held.clone() else {
            return Ok(Vec::new());
        };
        if !self.http.spend_one() {
            return Ok(Vec::new());
        }
        let started = std::time::Instant::now();
        let found = held.held(numbers).await;
        self.meter.add_host_time(started.elapsed());
        Ok(found)
    }
}
