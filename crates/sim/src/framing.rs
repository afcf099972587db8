//! Whether a provider's HTML pages may be framed: `GET`/`POST /__sim/framing`.
//!
//! Real providers change this without notice (a security review adds `X-Frame-Options:
//! DENY` to a hosted page), so a checkout that frames provider pages must cope with a
//! refusal. This lets a test make any listener's pages refuse, the way real pages do it:
//! with `X-Frame-Options` or with a CSP `frame-ancestors` directive. A page that already
//! states its own rule (Stripe's hosted page always refuses) keeps it.

use std::sync::{Arc, Mutex};

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
    Json,
};
use serde::{Deserialize, Serialize};

/// What a listener's HTML pages say about being framed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FramePolicy {
    /// Nothing: any page may frame them (the default, and what the providers' docs show).
    #[default]
    Allow,
    /// `X-Frame-Options: DENY`.
    Deny,
    /// `X-Frame-Options: SAMEORIGIN`: only the provider's own pages may frame them.
    SameOrigin,
    /// `Content-Security-Policy: frame-ancestors 'none'`.
    AncestorsNone,
    /// `Content-Security-Policy: frame-ancestors 'self'`.
    AncestorsSelf,
}

impl FramePolicy {
    /// The header this policy adds, if any.
    fn header(self) -> Option<(header::HeaderName, &'static str)> {
        match self {
            FramePolicy::Allow => None,
            FramePolicy::Deny => Some((header::X_FRAME_OPTIONS, "DENY")),
            FramePolicy::SameOrigin => Some((header::X_FRAME_OPTIONS, "SAMEORIGIN")),
            FramePolicy::AncestorsNone => {
                Some((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
            }
            FramePolicy::AncestorsSelf => {
                Some((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'self'"))
            }
        }
    }
}

/// One listener's current policy. Cheap to clone; clones share it.
#[derive(Clone, Debug, Default)]
pub struct Framing(Arc<Mutex<FramePolicy>>);

impl Framing {
    /// The policy now in force.
    pub fn get(&self) -> FramePolicy {
        self.0.lock().map(|p| *p).unwrap_or_default()
    }

    /// Puts `policy` in force for every later response.
    pub fn set(&self, policy: FramePolicy) {
        if let Ok(mut p) = self.0.lock() {
            *p = policy;
        }
    }
}

/// The body of `POST /__sim/framing` and of its answers.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct FramingBody {
    /// The policy.
    pub policy: FramePolicy,
}

/// `GET /__sim/framing`.
pub async fn get(State(framing): State<Framing>) -> Json<FramingBody> {
    Json(FramingBody { policy: framing.get() })
}

/// `POST /__sim/framing {"policy"}`.
pub async fn set(
    State(framing): State<Framing>,
    Json(body): Json<FramingBody>,
) -> Json<FramingBody> {
    framing.set(body.policy);
    tracing::info!(policy = ?body.policy, "framing policy changed");
    Json(body)
}

/// Middleware adding the policy's header to HTML responses that state no framing rule.
pub async fn apply(State(framing): State<Framing>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let Some((name, value)) = framing.get().header() else { return response };
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let states_a_rule = headers.contains_key(header::X_FRAME_OPTIONS)
        || headers
            .get_all(header::CONTENT_SECURITY_POLICY)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.contains("frame-ancestors")));
    if is_html && !states_a_rule {
        headers.append(name, HeaderValue::from_static(value));
    }
    response
}
