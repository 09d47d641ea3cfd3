//! How a plugin's API code reaches its mall: a [`Transport`] sends a request and tells the time.
//! In the component it is [`HostTransport`] (the host's `send`, which checks the origin, adds the
//! shop's credentials and paces; and the host's clock); in native unit tests a fake mall
//! (`fake::FakeTransport`, or a plugin's own), so the API code is tested without a host.

use super::host::{HttpError, Request, Response};

/// What the API code needs from its environment.
pub trait Transport {
    /// Performs an HTTP request.
    fn send(&self, req: &Request) -> Result<Response, HttpError>;
    /// The current instant, UTC seconds.
    fn now(&self) -> i64;
}

/// The host's imports as the [`Transport`].
#[derive(Debug, Clone, Copy, Default)]
pub struct HostTransport;

impl Transport for HostTransport {
    fn send(&self, req: &Request) -> Result<Response, HttpError> {
        super::host::send(req)
    }
    fn now(&self) -> i64 {
        super::host::now()
    }
}
