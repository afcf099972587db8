//! One TCP listener per provider, and the middleware stack every provider API shares.
//!
//! Each provider gets its own port, so its hosted pages have their own origin, as the real
//! providers' do: framing rules, `postMessage` origin checks and CORS behave as in production.

use std::net::{IpAddr, SocketAddr};

use axum::{middleware, Router};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    control::{self, Common},
    faults::{self, ErrorBody, FaultLayer},
};

/// A bound, not yet serving, listener and its base URL (`http://127.0.0.1:PORT`).
#[derive(Debug)]
pub struct Bound {
    /// The socket.
    pub listener: TcpListener,
    /// `http://{ip}:{port}` with no trailing slash.
    pub url: String,
}

/// Binds `ip:port` (port 0 picks a free one).
pub async fn bind(ip: IpAddr, port: u16) -> anyhow::Result<Bound> {
    let listener = TcpListener::bind(SocketAddr::new(ip, port))
        .await
        .map_err(|e| anyhow::anyhow!("binding {ip}:{port}: {e}"))?;
    let addr = listener.local_addr()?;
    let host = match addr.ip() {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    };
    Ok(Bound { listener, url: format!("http://{host}:{}", addr.port()) })
}

/// Serves `router` until `shutdown` turns true.
pub fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let signal = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(signal).await {
            tracing::error!(error = %e, "listener stopped");
        }
    })
}

/// Wraps a provider's API routes in the shared stack, outermost first: request log, outer
/// faults, then whatever `middle` adds (Stripe: auth and idempotency), then inner faults.
pub fn wrap_api(
    api: Router,
    common: &Common,
    error_body: ErrorBody,
    middle: impl FnOnce(Router) -> Router,
) -> Router {
    let api = api.layer(middleware::from_fn(faults::inner));
    let api = middle(api);
    let fault_layer = FaultLayer { faults: common.faults.clone(), error_body };
    api.layer(middleware::from_fn_with_state(fault_layer, faults::outer))
        .layer(middleware::from_fn_with_state(common.requests.clone(), control::record))
}
