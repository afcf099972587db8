//! Stub: answers 501 until implemented.

use std::sync::Arc;

use axum::{http::StatusCode, Router};
use serde_json::json;

use crate::{
    control::{Action, Common, ControlError, ControlPlane, WebhookTarget},
    delivery::DeliveryPolicy,
};

/// Configuration.
#[derive(Clone, Debug, Default)]
pub struct CheckfrontSim {
    /// Port (0 = random).
    pub port: u16,
    /// Token pair: API key (Basic username).
    pub api_key: String,
    /// Token pair: API secret (Basic password).
    pub api_secret: String,
    /// Webhook URL.
    pub webhook_url: Option<String>,
    /// [U] Pre-booking lifetime (15 or 30 minutes).
    pub prebooking_ttl_secs: i64,
    /// Callback timeout and retry schedule.
    pub delivery: DeliveryPolicy,
}

/// State.
#[derive(Debug)]
pub struct Checkfront {
    /// Configuration.
    pub config: CheckfrontSim,
    /// Base URL.
    pub url: String,
}

impl Checkfront {
    /// New.
    pub fn new(config: CheckfrontSim, url: String, _common: Common) -> Self {
        Checkfront { config, url }
    }
}

impl ControlPlane for Checkfront {
    fn state(&self) -> String {
        json!({}).to_string()
    }
    async fn act(&self, id: String, _action: Action) -> Result<String, ControlError> {
        Err(ControlError::not_found(&id))
    }
    fn set_webhook(&self, _target: WebhookTarget) -> Result<(), ControlError> {
        Ok(())
    }
}

/// Routes.
pub fn router(p: Arc<Checkfront>, common: Common) -> Router {
    Router::new()
        .fallback(|| async { StatusCode::NOT_IMPLEMENTED })
        .merge(crate::control::router(p, common))
}

/// Sweeper.
pub fn spawn_sweeper(
    _c: Arc<Checkfront>,
    _rx: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {})
}
