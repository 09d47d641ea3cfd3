//! What `mallhost serve --admin ADDRESS` answers, on one address: the JSON admin API
//! ([`crate::admin`]), the web console ([`crate::console`], under `/console`), health and
//! metrics — behind one `Host` check ([`hosts`]), every answer with the same security headers
//! ([`headers`]). The top of the host's layers: it only puts together what the layers below it
//! serve.

mod headers;
mod hosts;

use std::sync::Arc;

use axum::Router;

pub use headers::{CONTENT_SECURITY_POLICY, security_headers};
pub use hosts::{HostAllowlist, check_host};

use crate::app::ServeState;

/// Everything `serve --admin` answers: this API and the web console (`console`), behind the
/// `Host` allowlist (addresses, `localhost` and `[console] allowed_hosts`).
pub fn app(state: ServeState) -> Router {
    let hosts = Arc::new(HostAllowlist::new(&state.config.console.allowed_hosts));
    crate::admin::router(state.clone())
        .merge(crate::console::router(state))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn_with_state(hosts, check_host))
}

/// Serves the admin API and the console until `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServeState,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
}
