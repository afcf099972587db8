//! One checkout attempt and its `Idempotency-Key`: one key per attempt, kept when the same
//! request is retried after the backend may have acted on it, replaced when the customer
//! starts a new attempt. Pure apart from [`new_key`].

use kassa_wire::{CustomerDetails, ErrorCode, MethodId, Quote, QuoteId};

use crate::problem::ApiFailure;

/// One checkout attempt: what was asked for, under which idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The `Idempotency-Key`.
    pub key: String,
    /// The method id.
    pub method: MethodId,
    /// The quote whose total the customer saw on the Pay button.
    pub quote_id: QuoteId,
    /// The details sent.
    pub customer: CustomerDetails,
}

/// The attempt for a Pay press: the pending one when it asks for the same thing (same method,
/// quote and details: its earlier request may have reached the backend), otherwise a new one
/// with a fresh key.
pub fn attempt_for(
    pending: Option<&Attempt>,
    method: &MethodId,
    quote_id: &QuoteId,
    customer: &CustomerDetails,
    new_key: impl FnOnce() -> String,
) -> Attempt {
    match pending {
        Some(a) if a.method == *method && a.quote_id == *quote_id && a.customer == *customer => {
            a.clone()
        }
        _ => Attempt {
            key: new_key(),
            method: method.clone(),
            quote_id: quote_id.clone(),
            customer: customer.clone(),
        },
    }
}

/// Whether an attempt stays pending (and its key is reused) after this failure: yes when the
/// backend may have acted on the request (no answer, 5xx) or asks us to come back later.
pub fn key_survives(failure: &ApiFailure) -> bool {
    match failure {
        ApiFailure::Unreachable(_) | ApiFailure::Malformed => true,
        ApiFailure::Api(e) => {
            matches!(e.code, ErrorCode::IdempotencyKeyInFlight | ErrorCode::RateLimited)
        }
    }
}

/// What a session request refused for its quote asks of the widget (contracts: a 409 with
/// `quote_expired` or `price_changed` creates nothing and carries the fresh quote).
#[derive(Clone, Debug, PartialEq)]
pub enum Repriced {
    /// The quote only ran out of time and the total is the one the customer saw: send the
    /// same request again at once with the fresh quote (once).
    Renew(Quote),
    /// The price differs: show the new total and let the customer press Pay again.
    Changed(Quote),
    /// The quote ran out of time again right after a renewal: keep the fresh quote and say
    /// that the payment did not start; Pay asks again.
    Stale(Quote),
}

/// Reads a refusal for its quote; `None` for any other failure. `renewed` is true when the
/// refused request was itself the widget's own renewal.
pub fn repriced(failure: &ApiFailure, renewed: bool) -> Option<Repriced> {
    let ApiFailure::Api(e) = failure else { return None };
    let quote = e.quote.clone()?;
    match e.code {
        ErrorCode::PriceChanged => Some(Repriced::Changed(quote)),
        ErrorCode::QuoteExpired if renewed => Some(Repriced::Stale(quote)),
        ErrorCode::QuoteExpired => Some(Repriced::Renew(quote)),
        _ => None,
    }
}

/// A fresh idempotency key: `crypto.randomUUID()`, or a v4 UUID from `getRandomValues`
/// where `randomUUID` is missing (insecure contexts).
pub fn new_key() -> String {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    let Some(crypto) = crypto else { return String::from("kassa-no-crypto") };
    let has_uuid = js_sys::Reflect::get(&crypto, &wasm_bindgen::JsValue::from_str("randomUUID"))
        .is_ok_and(|f| f.is_function());
    if has_uuid {
        return crypto.random_uuid();
    }
    let mut bytes = [0u8; 16];
    let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::{
        lang::Locale,
        problem::problem_for,
        screen::{Next, Retry},
    };
    use kassa_wire::{ApiError, CustomerDetails};

    use super::*;

    #[test]
    fn a_retry_after_a_network_error_reuses_the_key() {
        let customer = CustomerDetails::default();
        let (vipps, q1) = (MethodId::parse("vipps").unwrap(), QuoteId::parse("q1").unwrap());
        let first = attempt_for(None, &vipps, &q1, &customer, || "k1".into());
        assert!(key_survives(&ApiFailure::Unreachable(None)));
        let again = attempt_for(Some(&first), &vipps, &q1, &customer, || "k2".into());
        assert_eq!(again.key, "k1");
    }

    #[test]
    fn a_different_request_gets_a_new_key() {
        let customer = CustomerDetails::default();
        let (vipps, q1) = (MethodId::parse("vipps").unwrap(), QuoteId::parse("q1").unwrap());
        let first = attempt_for(None, &vipps, &q1, &customer, || "k1".into());
        assert_eq!(
            attempt_for(Some(&first), &MethodId::parse("card").unwrap(), &q1, &customer, || "k2"
                .into())
            .key,
            "k2"
        );
        let other = CustomerDetails { email: Some("a@b.no".into()), ..CustomerDetails::default() };
        assert_eq!(attempt_for(Some(&first), &vipps, &q1, &other, || "k3".into()).key, "k3");
        let q2 = QuoteId::parse("q2").unwrap();
        assert_eq!(
            attempt_for(Some(&first), &vipps, &q2, &customer, || "k4".into()).key,
            "k4",
            "a new quote (a new total on the button) is a new request"
        );
    }

    fn refusal(code: ErrorCode, quote: Option<Quote>) -> ApiFailure {
        ApiFailure::Api(Box::new(ApiError {
            code,
            message: "m".into(),
            field: None,
            retryable: false,
            quote,
            detail: None,
            reference: None,
        }))
    }

    #[test]
    fn an_expired_quote_is_renewed_once_and_a_new_price_is_shown() {
        let fresh = Quote {
            id: QuoteId::parse("q2").unwrap(),
            expires_at: "2026-12-01T12:30:00Z".into(),
            lines: vec![],
            total: kassa_wire::Money::from_minor(150_000, kassa_wire::Currency::NOK).unwrap(),
        };
        let expired = refusal(ErrorCode::QuoteExpired, Some(fresh.clone()));
        assert_eq!(repriced(&expired, false), Some(Repriced::Renew(fresh.clone())));
        assert_eq!(repriced(&expired, true), Some(Repriced::Stale(fresh.clone())), "once");
        let changed = refusal(ErrorCode::PriceChanged, Some(fresh.clone()));
        assert_eq!(repriced(&changed, false), Some(Repriced::Changed(fresh.clone())));
        assert_eq!(repriced(&changed, true), Some(Repriced::Changed(fresh.clone())));
        assert_eq!(repriced(&refusal(ErrorCode::PriceChanged, None), false), None);
        assert_eq!(repriced(&refusal(ErrorCode::UnknownSku, Some(fresh)), false), None);
        assert_eq!(repriced(&ApiFailure::Malformed, false), None);
    }

    #[test]
    fn a_definite_refusal_ends_the_attempt() {
        let refused = ApiError {
            code: ErrorCode::UnknownSku,
            message: "We don't sell that.".into(),
            field: None,
            retryable: false,
            quote: None,
            detail: None,
            reference: None,
        };
        assert!(!key_survives(&ApiFailure::Api(Box::new(refused.clone()))));
        let in_flight = ApiError {
            code: ErrorCode::IdempotencyKeyInFlight,
            retryable: true,
            ..refused.clone()
        };
        assert!(key_survives(&ApiFailure::Api(Box::new(in_flight))));
        let p = problem_for(
            &ApiFailure::Api(Box::new(refused)),
            Retry::Create,
            Next::Picker,
            Locale::en,
        );
        assert_eq!(p.title, "We don't sell that.");
        assert_eq!(p.next, Next::Picker);
        assert_eq!(p.code, "unknown_sku");
        let refused = ApiFailure::Api(Box::new(ApiError {
            code: ErrorCode::UnknownSku,
            message: "We don't sell that.".into(),
            field: None,
            retryable: false,
            quote: None,
            detail: None,
            reference: None,
        }));
        let de = problem_for(&refused, Retry::Create, Next::Picker, Locale::de);
        assert_eq!(
            de.title, "Die Zahlung konnte nicht gestartet werden.",
            "no English on a German page"
        );
    }
}
