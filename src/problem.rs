//! How a failed request or a refused URL becomes a [`Problem`] for the customer: the words
//! (in the customer's language where the error code says enough), the `kassa:error` code and
//! the way on. Pure.

use kassa_wire::{ApiError, ErrorCode};

use crate::{
    lang::{fill, Locale},
    navigate::UrlError,
    screen::{Next, Problem, Retry},
    t,
};

/// How a request to the backend failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiFailure {
    /// The request never got an answer, or the answer was a 5xx (with its body, if any).
    Unreachable(Option<Box<ApiError>>),
    /// A 4xx with an [`ApiError`] body (boxed: it may carry a whole fresh quote), or a
    /// provider's refusal.
    Api(Box<ApiError>),
    /// An answer the widget cannot read.
    Malformed,
}

impl ApiFailure {
    /// The failure for an answer that was not a 2xx: its status and the [`ApiError`] in its
    /// body, if one could be read. A 5xx means the backend (or what is behind it) is not
    /// there, except a provider that answered and refused the payment (a 502:
    /// `provider_rejected`, e.g. a total under the provider's minimum charge, or
    /// `provider_price_mismatch`, a booking system with a price of its own). Retrying cannot
    /// help with those, so they are said in the customer's language with the order reference
    /// and another way to pay; the provider's reason (`detail`) is the developer's and stays
    /// in the answer and the backend's log.
    pub fn for_answer(status: u16, error: Option<ApiError>) -> ApiFailure {
        match (status >= 500, error.map(Box::new)) {
            (true, Some(e)) if provider_refused(e.code) => ApiFailure::Api(e),
            (true, e) => ApiFailure::Unreachable(e),
            (false, Some(e)) => ApiFailure::Api(e),
            (false, None) => ApiFailure::Malformed,
        }
    }

    /// The `kassa:error` code: the backend's error code as the contract names it, or the
    /// widget's own for an answer that never came or could not be read.
    pub fn code(&self) -> String {
        match self {
            ApiFailure::Unreachable(_) => String::from("unreachable"),
            ApiFailure::Malformed => String::from("malformed_response"),
            ApiFailure::Api(e) => e.code.as_str().to_owned(),
        }
    }
}

/// True for the codes of a provider that answered and would not take the payment.
fn provider_refused(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::ProviderRejected | ErrorCode::ProviderPriceMismatch)
}

/// The problem screen for a failed request. `retry` is what "Retry" repeats; `otherwise` is
/// offered when retrying cannot help.
///
/// The backend writes its messages in English; where the customer can act on the error code
/// alone, the widget says it in the customer's language and keeps the backend's text out.
pub fn problem_for(failure: &ApiFailure, retry: Retry, otherwise: Next, l: Locale) -> Problem {
    let (title, detail, next) = match failure {
        ApiFailure::Unreachable(e) => {
            // The backend's own words, in English, only for an English page.
            let detail = e.as_ref().filter(|_| l == Locale::en).map(|e| e.message.clone());
            (t!(l, unreachable).into(), detail, Next::Retry(retry))
        }
        ApiFailure::Malformed => (t!(l, malformed).into(), None, Next::Retry(retry)),
        ApiFailure::Api(e) if provider_refused(e.code) => {
            let next = if e.retryable { Next::Retry(retry) } else { otherwise };
            let reference = e.reference.as_deref().map(|r| fill(t!(l, order_reference), r));
            let title = match e.code {
                ErrorCode::ProviderPriceMismatch => t!(l, provider_price_differs),
                _ => t!(l, provider_refused),
            };
            (title.into(), reference, next)
        }
        ApiFailure::Api(e) => {
            let next = if e.retryable { Next::Retry(retry) } else { otherwise };
            let title = match e.code {
                ErrorCode::ProviderUnavailable => t!(l, provider_unavailable).into(),
                ErrorCode::RateLimited => t!(l, rate_limited).into(),
                _ if l == Locale::en => e.message.clone(),
                _ => t!(l, not_started).into(),
            };
            (title, None, next)
        }
    };
    Problem { title, detail, next, code: failure.code() }
}

/// The problem screen for a refused payment URL (the reason goes to the console).
pub fn problem_for_url(error: &UrlError, l: Locale) -> Problem {
    web_log(&error.message());
    Problem {
        title: t!(l, url_refused).into(),
        detail: Some(t!(l, url_refused_text).into()),
        next: Next::Picker,
        code: String::from("url_refused"),
    }
}

/// A problem with the page's own setup: the detail is for the website owner, in English.
pub fn page_problem(message: String, l: Locale) -> Problem {
    Problem {
        title: t!(l, cant_start).into(),
        detail: Some(message),
        next: Next::Nothing,
        code: String::from("invalid_page"),
    }
}

#[cfg(target_arch = "wasm32")]
fn web_log(message: &str) {
    web_sys::console::error_1(&wasm_bindgen::JsValue::from_str(message));
}

#[cfg(not(target_arch = "wasm32"))]
fn web_log(_message: &str) {}

#[cfg(test)]
mod tests {
    use kassa_wire::ApiError;

    use crate::screen::Screen;

    use super::*;

    #[test]
    fn a_provider_that_refused_the_payment_is_not_an_unreachable_backend() {
        let refused = ApiError {
            code: ErrorCode::ProviderRejected,
            message: "The total 2.00 NOK is below Stripe's minimum charge of 3.00 NOK.".into(),
            field: None,
            retryable: false,
            quote: None,
            detail: None,
            reference: None,
        };
        let failure = ApiFailure::for_answer(502, Some(refused.clone()));
        assert_eq!(failure, ApiFailure::Api(Box::new(refused.clone())));
        let p = problem_for(&failure, Retry::Create, Next::Picker, Locale::en);
        assert_eq!(p.title, t!(Locale::en, provider_refused));
        assert_eq!(p.next, Next::Picker, "another way to pay, not a retry of the same");
        let down = ApiError { code: ErrorCode::ProviderUnavailable, ..refused };
        assert!(matches!(ApiFailure::for_answer(503, Some(down)), ApiFailure::Unreachable(_)));
        assert_eq!(ApiFailure::for_answer(500, None), ApiFailure::Unreachable(None));
        assert_eq!(ApiFailure::for_answer(404, None), ApiFailure::Malformed);
    }

    #[test]
    fn a_refusal_is_told_in_the_customers_language_with_the_reference_never_the_reason() {
        let refused = ApiError {
            code: ErrorCode::ProviderRejected,
            message: "the payment provider refused this payment; `detail` gives its reason".into(),
            field: None,
            retryable: false,
            quote: None,
            detail: Some(
                "front_payment rejected the request: an 11-digit personal number is required"
                    .into(),
            ),
            reference: Some("ks_0123abcd".into()),
        };
        for l in [Locale::en, Locale::nb, Locale::sv, Locale::da, Locale::de] {
            let p = problem_for(
                &ApiFailure::for_answer(502, Some(refused.clone())),
                Retry::Create,
                Next::Picker,
                l,
            );
            assert_eq!(p.title, t!(l, provider_refused), "{l:?}");
            let detail = p.detail.unwrap_or_default();
            assert!(detail.contains("ks_0123abcd"), "{l:?}: the reference is shown: {detail}");
            let shown = [p.title.as_str(), detail.as_str()].concat();
            assert!(!shown.contains("front_payment"), "{l:?}: no developer words: {shown}");
            assert!(!shown.contains("refused this payment"), "{l:?}: {shown}");
        }
        let no_order = ApiError { reference: None, ..refused };
        let p = problem_for(
            &ApiFailure::Api(Box::new(no_order)),
            Retry::Create,
            Next::Picker,
            Locale::nb,
        );
        assert_eq!(p.detail, None, "no reference to give");
    }

    #[test]
    fn a_provider_with_a_price_of_its_own_is_told_as_such_with_the_reference_and_another_way() {
        let differs = ApiError {
            code: ErrorCode::ProviderPriceMismatch,
            message: "the payment provider priced this order differently from the quote".into(),
            field: None,
            retryable: false,
            quote: None,
            detail: Some(
                "bokamera priced the order at 1460.00 NOK, the quote was 1450.00 NOK".into(),
            ),
            reference: Some("ks_0123abcd".into()),
        };
        for l in [Locale::en, Locale::nb, Locale::sv, Locale::da, Locale::de] {
            let failure = ApiFailure::for_answer(502, Some(differs.clone()));
            assert_eq!(failure.code(), "provider_price_mismatch", "{l:?}");
            let p = problem_for(&failure, Retry::Create, Next::Picker, l);
            assert_eq!(p.title, t!(l, provider_price_differs), "{l:?}");
            assert_ne!(p.title, t!(l, provider_refused), "{l:?}: not a decline");
            assert_eq!(p.next, Next::Picker, "{l:?}: another way to pay, not the same again");
            let detail = p.detail.unwrap_or_default();
            assert!(detail.contains("ks_0123abcd"), "{l:?}: the reference is shown: {detail}");
            assert!(!detail.contains("1460"), "{l:?}: no developer words: {detail}");
        }
    }

    #[test]
    fn an_unreachable_backend_offers_retry() {
        let p = problem_for(&ApiFailure::Unreachable(None), Retry::Load, Next::Nothing, Locale::en);
        assert_eq!(p.title, t!(Locale::en, unreachable));
        assert_eq!(p.next, Next::Retry(Retry::Load));
        assert_eq!(Screen::Problem(p).as_str(), "error");
    }
}
