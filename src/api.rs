//! The merchant backend client: `fetch`, the browser's JSON parser (`Response.json()`), and
//! serde into the `kassa-wire` types through `json.rs`. No serde_json: the browser already
//! parses JSON, and that keeps the widget small.
//!
//! Every failure becomes an [`ApiFailure`] (`ApiFailure::for_answer`): no answer or a 5xx is
//! "unreachable" (the widget offers Retry), a 4xx or a provider's refusal carries the
//! backend's [`ApiError`], written for people.

use std::marker::PhantomData;

use js_sys::Promise;
use kassa_wire::{
    ApiError, CartItem, CheckoutConfig, CreateSession, Quote, QuoteRequest, Session,
    IDEMPOTENCY_KEY_HEADER,
};
use serde::{de::DeserializeOwned, Serialize};

use crate::json;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestCredentials, RequestInit, Response};

use crate::state::ApiFailure;

/// How long a request may take before the backend counts as unreachable.
const TIMEOUT_MS: u32 = 20_000;

/// A client for one backend base URL (no trailing `/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    base: String,
}

impl Api {
    /// A client for `base`, already checked by `options::parse_endpoint`.
    pub fn new(base: String) -> Self {
        Api { base }
    }

    /// `GET /v1/checkout/config`.
    pub fn config(&self) -> Pending<CheckoutConfig> {
        self.start("GET", "/v1/checkout/config", None, None)
    }

    /// `POST /v1/checkout/quote`.
    pub fn quote(&self, items: &[CartItem]) -> Pending<Quote> {
        let body = encode(&QuoteRequest { items: items.to_vec() });
        self.start("POST", "/v1/checkout/quote", Some(body), None)
    }

    /// `POST /v1/checkout/sessions` under `key`.
    pub fn create_session(&self, body: &CreateSession, key: &str) -> Pending<Session> {
        self.start("POST", "/v1/checkout/sessions", Some(encode(body)), Some(key))
    }

    /// `GET /v1/checkout/sessions/{id}`.
    pub fn session(&self, id: &str) -> Pending<Session> {
        self.start("GET", &session_path(id, ""), None, None)
    }

    /// `POST /v1/checkout/sessions/{id}/cancel`.
    pub fn cancel(&self, id: &str) -> Pending<Session> {
        self.start("POST", &session_path(id, "/cancel"), None, None)
    }

    /// Sends one request now; its answer is read by [`Pending::answer`]. Two requests
    /// started one after the other are in flight together.
    fn start<T>(
        &self,
        method: &str,
        path: &str,
        body: Option<Result<String, ApiFailure>>,
        key: Option<&str>,
    ) -> Pending<T> {
        Pending { fetch: self.fetch(method, path, body, key), answer: PhantomData }
    }

    fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<Result<String, ApiFailure>>,
        key: Option<&str>,
    ) -> Result<JsFuture, ApiFailure> {
        let unreachable = |_| ApiFailure::Unreachable(None);
        let headers = Headers::new().map_err(unreachable)?;
        let _ = headers.set("Accept", "application/json");
        let init = RequestInit::new();
        init.set_method(method);
        // The backend is another origin; it needs no cookies from the page.
        init.set_credentials(RequestCredentials::Omit);
        if has_abort_timeout() {
            init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS)));
        }
        if let Some(body) = body {
            let _ = headers.set("Content-Type", "application/json");
            init.set_body(&JsValue::from_str(&body?));
        }
        if let Some(key) = key {
            let _ = headers.set(IDEMPOTENCY_KEY_HEADER, key);
        }
        init.set_headers(&headers);
        let mut url = self.base.clone();
        url.push_str(path);
        let window = web_sys::window().ok_or(ApiFailure::Unreachable(None))?;
        Ok(JsFuture::from(window.fetch_with_str_and_init(&url, &init)))
    }
}

/// A request in flight whose answer is a `T`.
#[must_use = "a request's answer must be read"]
pub struct Pending<T> {
    fetch: Result<JsFuture, ApiFailure>,
    answer: PhantomData<T>,
}

impl<T: DeserializeOwned> Pending<T> {
    /// The parsed answer, or why there is none.
    pub async fn answer(self) -> Result<T, ApiFailure> {
        json::from_js(read(self.fetch?).await?).map_err(|_| ApiFailure::Malformed)
    }
}

/// The parsed JSON body of a 2xx answer; otherwise the failure.
async fn read(fetch: JsFuture) -> Result<JsValue, ApiFailure> {
    let response: Response =
        fetch.await.map_err(|_| ApiFailure::Unreachable(None))?.unchecked_into();
    let status = response.status();
    let json = match response.json() {
        Ok(p) => JsFuture::from(p).await.ok(),
        Err(_) => None,
    };
    if response.ok() {
        return json.ok_or(ApiFailure::Malformed);
    }
    let error = json.and_then(|j| json::from_js::<ApiError>(j).ok());
    Err(ApiFailure::for_answer(status, error))
}

/// `AbortSignal.timeout` exists (not in Safari before 16): calling a missing function would
/// throw through the Wasm module.
fn has_abort_timeout() -> bool {
    let key = |k: &str| JsValue::from_str(k);
    js_sys::Reflect::get(&js_sys::global(), &key("AbortSignal"))
        .and_then(|ctor| js_sys::Reflect::get(&ctor, &key("timeout")))
        .is_ok_and(|f| f.is_function())
}

fn session_path(id: &str, suffix: &str) -> String {
    let mut p = String::from("/v1/checkout/sessions/");
    p.push_str(&String::from(js_sys::encode_uri_component(id)));
    p.push_str(suffix);
    p
}

fn encode<T: Serialize>(value: &T) -> Result<String, ApiFailure> {
    json::to_json(value).map_err(|_| ApiFailure::Malformed)
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}
