//! Stripe's error envelope: `{"error": {"type", "code"?, "message", "param"?, "doc_url"?}}`.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Map, Value};

/// One Stripe API error, ready to answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeError {
    /// HTTP status.
    pub status: StatusCode,
    /// `invalid_request_error`, `idempotency_error`, `api_error`, `card_error`.
    pub kind: &'static str,
    /// Machine-readable code such as `resource_missing`.
    pub code: Option<&'static str>,
    /// Human-readable message.
    pub message: String,
    /// The offending parameter, bracket syntax (`line_items[0][quantity]`).
    pub param: Option<String>,
}

impl StripeError {
    /// 400 `invalid_request_error` about `param`.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        StripeError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: None,
            message: message.into(),
            param: Some(param.into()),
        }
    }

    /// Adds a machine-readable code.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// 400 `parameter_missing`.
    pub fn missing(param: &str) -> Self {
        Self::invalid(param, format!("Missing required param: {param}."))
            .with_code("parameter_missing")
    }

    /// 400 `parameter_unknown`.
    pub fn unknown(param: &str) -> Self {
        Self::invalid(param, format!("Received unknown parameter: {param}"))
            .with_code("parameter_unknown")
    }

    /// 400 `parameter_invalid_integer`.
    pub fn invalid_integer(param: &str, value: &str) -> Self {
        Self::invalid(param, format!("Invalid integer: {value}"))
            .with_code("parameter_invalid_integer")
    }

    /// 400 for a value outside an enum.
    pub fn invalid_enum(param: &str, allowed: &[&str]) -> Self {
        let list = match allowed.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{}, or {last}", rest.join(", ")),
            Some((last, _)) => (*last).to_owned(),
            None => String::new(),
        };
        Self::invalid(param, format!("Invalid {param}: must be one of {list}"))
    }

    /// 404 `resource_missing` for `No such {object}: '{id}'`.
    pub fn no_such(object: &str, id: &str, param: &str) -> Self {
        StripeError {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: Some("resource_missing"),
            message: format!("No such {object}: '{id}'"),
            param: Some(param.to_owned()),
        }
    }

    /// 400 without a parameter (a state error such as expiring a completed session).
    pub fn request(message: impl Into<String>) -> Self {
        StripeError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: None,
            message: message.into(),
            param: None,
        }
    }

    /// 401 with Stripe's key message.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        StripeError {
            status: StatusCode::UNAUTHORIZED,
            kind: "invalid_request_error",
            code: None,
            message: message.into(),
            param: None,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        if let Some(code) = self.code {
            error.insert("code".into(), json!(code));
            error.insert(
                "doc_url".into(),
                json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-"))),
            );
        }
        error.insert("message".into(), json!(self.message));
        if let Some(param) = &self.param {
            error.insert("param".into(), json!(param));
        }
        error.insert("type".into(), json!(self.kind));
        json!({ "error": error })
    }
}

impl IntoResponse for StripeError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Stripe\""),
            );
        }
        response
    }
}

/// The body an injected fault answers with, in Stripe's envelope.
pub fn fault_body(status: StatusCode) -> Response {
    let (kind, code, message) = match status.as_u16() {
        429 => (
            "invalid_request_error",
            Some("rate_limit"),
            "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.",
        ),
        409 => ("invalid_request_error", Some("lock_timeout"), "This object cannot be accessed right now because another API request or Stripe process is currently accessing it."),
        s if s >= 500 => ("api_error", None, "An unknown error occurred"),
        _ => ("invalid_request_error", None, "The request could not be processed."),
    };
    let error = StripeError { status, kind, code, message: message.into(), param: None };
    error.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_stripe_shape() {
        let body = StripeError::no_such("checkout.session", "cs_test_x", "session").body();
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(body["error"]["code"], "resource_missing");
        assert_eq!(body["error"]["message"], "No such checkout.session: 'cs_test_x'");
        assert_eq!(body["error"]["param"], "session");
    }

    #[test]
    fn enum_message_lists_the_allowed_values() {
        let e = StripeError::invalid_enum("ui_mode", &["hosted", "embedded", "custom"]);
        assert_eq!(e.message, "Invalid ui_mode: must be one of hosted, embedded, or custom");
        assert_eq!(e.param.as_deref(), Some("ui_mode"));
    }
}
