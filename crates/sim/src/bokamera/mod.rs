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
pub struct BokameraSim {
    /// Port (0 = random).
    pub port: u16,
    /// The `x-api-key`.
    pub api_key: String,
    /// The company id (GUID).
    pub company_id: String,
    /// Callback timeout and retry schedule.
    pub delivery: DeliveryPolicy,
}

/// State.
#[derive(Debug)]
pub struct Bokamera {
    /// Configuration.
    pub config: BokameraSim,
    /// Base URL.
    pub url: String,
}

impl Bokamera {
    /// New.
    pub fn new(
        config: BokameraSim,
        url: String,
        _common: Common,
        _stripe: Arc<crate::stripe::Stripe>,
    ) -> Self {
        Bokamera { config, url }
    }
}

impl ControlPlane for Bokamera {
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
pub fn router(p: Arc<Bokamera>, common: Common) -> Router {
    Router::new()
        .fallback(|| async { StatusCode::NOT_IMPLEMENTED })
        .merge(crate::control::router(p, common))
}
