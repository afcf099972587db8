//! Stripe's API-key check: `Authorization: Bearer sk_…`, or Basic with the key as username.
//!
//! Only the configured secret key passes. The 401 bodies follow Stripe's wording and show no
//! more of a wrong key than Stripe does (its prefix and last four characters).

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::Engine;

use super::{error::StripeError, Stripe};

/// The authenticated key, for the idempotency store's scope.
#[derive(Clone, Debug)]
pub struct ApiKey(pub String);

/// Rejects requests without the secret key; passes the key on as [`ApiKey`].
pub async fn middleware(
    State(stripe): State<Arc<Stripe>>,
    mut req: Request,
    next: Next,
) -> Response {
    let header =
        req.headers().get(axum::http::header::AUTHORIZATION).map(|v| v.as_bytes().to_vec());
    match check(header.as_deref(), &stripe.config.secret_key) {
        Ok(key) => {
            req.extensions_mut().insert(ApiKey(key));
            next.run(req).await
        }
        Err(error) => error.into_response(),
    }
}

/// Reads the key from an `Authorization` header and compares it with the secret key.
pub fn check(header: Option<&[u8]>, secret_key: &str) -> Result<String, StripeError> {
    let Some(header) = header else {
        return Err(StripeError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, \
             or we can help at https://support.stripe.com/.",
        ));
    };
    let header = std::str::from_utf8(header).map_err(|_| malformed())?;
    let (scheme, rest) = header.trim().split_once(' ').ok_or_else(malformed)?;
    let key = if scheme.eq_ignore_ascii_case("bearer") {
        rest.trim().to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        decoded.split_once(':').map_or(decoded.clone(), |(user, _)| user.to_owned())
    } else {
        return Err(malformed());
    };
    if key == secret_key {
        return Ok(key);
    }
    if key.starts_with("pk_") {
        return Err(StripeError::unauthorized(
            "This API call cannot be made with a publishable API key. Please use a secret API \
             key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
        ));
    }
    Err(StripeError::unauthorized(format!("Invalid API Key provided: {}", redact(&key))))
}

fn malformed() -> StripeError {
    StripeError::unauthorized(
        "Invalid API Key provided. The Authorization header must be 'Bearer <key>' or Basic \
         with the key as the username.",
    )
}

/// `sk_test_abcdefgh1234` → `sk_test_********1234`.
fn redact(key: &str) -> String {
    let prefix_len = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
        .iter()
        .find(|p| key.starts_with(*p))
        .map_or(0, |p| p.len());
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= prefix_len + 4 {
        return format!("{}{}", &key[..prefix_len], "*".repeat(chars.len() - prefix_len));
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{}{}{tail}", &key[..prefix_len], "*".repeat(chars.len() - prefix_len - 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk_test_secret1234";

    #[test]
    fn accepts_bearer_and_basic() {
        assert!(check(Some(b"Bearer sk_test_secret1234"), KEY).is_ok());
        let basic = base64::engine::general_purpose::STANDARD.encode("sk_test_secret1234:");
        assert!(check(Some(format!("Basic {basic}").as_bytes()), KEY).is_ok());
    }

    #[test]
    fn refuses_missing_wrong_and_publishable_keys_without_echoing_them() {
        let missing = check(None, KEY).unwrap_err();
        assert_eq!(missing.status, 401);
        assert!(missing.message.starts_with("You did not provide an API key"));
        let wrong = check(Some(b"Bearer sk_test_wrongwrong9876"), KEY).unwrap_err();
        assert_eq!(wrong.message, "Invalid API Key provided: sk_test_**********9876");
        let pk = check(Some(b"Bearer pk_test_abc"), KEY).unwrap_err();
        assert!(pk.message.contains("publishable API key"));
    }
}
