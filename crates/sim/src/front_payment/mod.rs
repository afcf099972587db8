//! Stub: answers 501 until implemented.

use std::sync::Arc;

use axum::{http::StatusCode, Router};
use serde_json::{json, Value};

use crate::{
    control::{Action, Common, ControlError, ControlPlane, WebhookTarget},
    delivery::DeliveryPolicy,
};

/// Configuration of the Front Payment simulator.
#[derive(Clone, Debug)]
pub struct FrontPaymentSim {
    /// Port (0 = random).
    pub port: u16,
    /// The token accepted in `Authorization: Bearer …`.
    pub bearer_token: String,
    /// The merchant's secret key in the callback checksum.
    pub secret_key: String,
    /// API base path (default `/api/v1`).
    pub api_prefix: String,
    /// [U] Base paths of the hosted payment-link create (the docs write `/v1` without `/api`;
    /// default accepts both `/v1` and `/api/v1`).
    pub hosted_prefixes: Vec<String>,
    /// Which revision's checksum formula callbacks use (default current).
    pub checksum_formula: ChecksumFormula,
    /// [U] HTTP method of callbacks (default GET; the docs' handler reads `$_GET`).
    pub callback_method: reqwest::Method,
    /// [U] Whether query parameters already in `callbackUrl` count in the checksum
    /// (default false: only Front Payment's own parameters).
    pub checksum_includes_url_params: bool,
    /// [U] `status` of a paid order in callbacks and the status API (default `PAID`; the
    /// docs' example URL shows `success`).
    pub paid_status: String,
    /// [U] Status of an order whose payment link expired (default `EXPIRED`).
    pub expired_status: String,
    /// [U] Whether a declined payment sends a callback (default false: only success is
    /// documented).
    pub failure_callbacks: bool,
    /// [U] `status` of a declined payment's callback when sent (default `FAILED`).
    pub failed_status: String,
    /// [U] HTTP status of validation errors (default 422, Laravel's).
    pub validation_status: u16,
    /// Allowed `products.*.tax` rates (default 0, 12, 15, 25).
    pub allowed_tax_rates: Vec<u32>,
    /// [U] Whether a private customer's invoice order needs BankID first (default false:
    /// providers.md says it goes straight to INVOICED; the seed's example shows a BankID URL).
    pub invoice_private_bankid: bool,
    /// [U] Name of the BankID URL field of an invoice submit (default `bankIdUrl`, the seed's).
    pub invoice_url_field: String,
    /// [U] Whether a (non-hosted) payment-link create returns `paymentUrl` (default false).
    pub payment_link_returns_url: bool,
    /// Callback timeout and retry schedule.
    pub delivery: DeliveryPolicy,
}

impl Default for FrontPaymentSim {
    fn default() -> Self {
        FrontPaymentSim {
            port: 0,
            bearer_token: "fpgo-test-token-kassa-sim-0000000000".into(),
            secret_key: "fpgo-test-secret-kassa-sim".into(),
            api_prefix: "/api/v1".into(),
            hosted_prefixes: vec!["/v1".into(), "/api/v1".into()],
            checksum_formula: ChecksumFormula::Current,
            callback_method: reqwest::Method::GET,
            checksum_includes_url_params: false,
            paid_status: "PAID".into(),
            expired_status: "EXPIRED".into(),
            failure_callbacks: false,
            failed_status: "FAILED".into(),
            validation_status: 422,
            allowed_tax_rates: vec![0, 12, 15, 25],
            invoice_private_bankid: false,
            invoice_url_field: "bankIdUrl".into(),
            payment_link_returns_url: false,
            delivery: DeliveryPolicy::default(),
        }
    }
}

/// The callback checksum formulas the docs have had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumFormula {
    /// sha256(all query values except `checksum`, in order, then the secret key).
    Current,
    /// sha256(orderUuid . status . createdAt . amount . timestamp . secretKey), rev ~1179.
    Rev1179,
    /// sha256(orderUuid . status . createdAt . secretKey), rev ~936.
    Rev936,
    /// sha256(orderUuid . status . createdAt), no secret, rev ~934.
    Rev934,
}

impl std::str::FromStr for ChecksumFormula {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "current" => Ok(ChecksumFormula::Current),
            "rev1179" => Ok(ChecksumFormula::Rev1179),
            "rev936" => Ok(ChecksumFormula::Rev936),
            "rev934" => Ok(ChecksumFormula::Rev934),
            other => Err(format!(
                "unknown checksum formula {other:?} (current, rev1179, rev936, rev934)"
            )),
        }
    }
}

/// State.
#[derive(Debug)]
pub struct FrontPayment {
    /// Configuration.
    pub config: FrontPaymentSim,
    /// Base URL.
    pub url: String,
}

impl FrontPayment {
    /// New.
    pub fn new(config: FrontPaymentSim, url: String, _common: Common) -> Self {
        FrontPayment { config, url }
    }
}

impl ControlPlane for FrontPayment {
    fn state(&self) -> Value {
        json!({})
    }
    async fn act(&self, id: String, _action: Action) -> Result<Value, ControlError> {
        Err(ControlError::not_found(&id))
    }
    fn set_webhook(&self, _target: WebhookTarget) -> Result<(), ControlError> {
        Ok(())
    }
}

/// Routes.
pub fn router(p: Arc<FrontPayment>, common: Common) -> Router {
    Router::new()
        .fallback(|| async { StatusCode::NOT_IMPLEMENTED })
        .merge(crate::control::router(p, common))
}
