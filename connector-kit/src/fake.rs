//! A fake mall for a plugin's native unit tests: a [`Transport`] that answers each request with
//! a handler of the test's (or the next canned answer), records every request, and tells a time
//! the test sets.
//!
//! ```
//! use connector_kit::fake::{FakeTransport, json};
//! use connector_kit::host::{Method, Request};
//! use connector_kit::Transport;
//!
//! let mall = FakeTransport::new(1_795_836_000, |req: &Request| {
//!     Ok(json(200, &format!(r#"{{"path":"{}"}}"#, req.url)))
//! });
//! let req = connector_kit::http::json_request(Method::Get, "https://mall.example/orders", Vec::new());
//! assert_eq!(mall.send(&req).unwrap().status, 200);
//! assert_eq!(mall.requests().len(), 1);
//! assert_eq!(mall.now(), 1_795_836_000);
//! ```

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use super::Transport;
use super::host::{HttpError, Request, Response};

/// A scripted mall.
pub struct FakeTransport<H> {
    handler: H,
    now: Cell<i64>,
    requests: RefCell<Vec<Request>>,
    canned: RefCell<VecDeque<Result<Response, HttpError>>>,
}

impl<H: Fn(&Request) -> Result<Response, HttpError>> FakeTransport<H> {
    /// A mall answering with `handler`, at `now` (UTC seconds).
    pub fn new(now: i64, handler: H) -> Self {
        FakeTransport {
            handler,
            now: Cell::new(now),
            requests: RefCell::default(),
            canned: RefCell::default(),
        }
    }

    /// The next request is answered with `answer` instead of the handler's.
    pub fn then_answer(&self, answer: Result<Response, HttpError>) {
        self.canned.borrow_mut().push_back(answer);
    }

    /// Every request sent so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.borrow().clone()
    }

    /// Moves the clock.
    pub fn set_now(&self, now: i64) {
        self.now.set(now);
    }
}

impl<H: Fn(&Request) -> Result<Response, HttpError>> Transport for FakeTransport<H> {
    fn send(&self, req: &Request) -> Result<Response, HttpError> {
        self.requests.borrow_mut().push(req.clone());
        if let Some(a) = self.canned.borrow_mut().pop_front() {
            return a;
        }
        (self.handler)(req)
    }

    fn now(&self) -> i64 {
        self.now.get()
    }
}

/// An answer with a JSON body.
pub fn json(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

/// An answer with `headers` and a text body.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}
