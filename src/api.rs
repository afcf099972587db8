//! The merchant backend client: requests through `gloo-net`, answers parsed by the browser
//! (`Response.json()`) and read into the `kassa-wire` types by `serde-wasm-bindgen`. No
//! serde_json in the widget: the browser already parses JSON, and that keeps the Wasm small.
//!
//! Every failure becomes an [`ApiFailure`] (`ApiFailure::for_answer`): no answer or a 5xx is
//! "unreachable" (the widget offers Retry), a 4xx or a provider's refusal carries the
//! backend's [`ApiError`], written for people.

use std::future::Future;

use gloo_net::http::{Request, RequestBuilder};
use js_sys::{Array, Promise, Reflect};
use kassa_wire::{
    ApiError, CartItem, CheckoutConfig, CreateSession, Quote, QuoteRequest, Session,
    IDEMPOTENCY_KEY_HEADER,
};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestCredentials;

use crate::problem::ApiFailure;

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

    /// The backend base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /v1/checkout/config`.
    pub async fn config(&self) -> Result<CheckoutConfig, ApiFailure> {
        send(Request::get(&self.url("/v1/checkout/config")), None).await
    }

    /// `POST /v1/checkout/quote`.
    pub async fn quote(&self, items: &[CartItem]) -> Result<Quote, ApiFailure> {
        let body = QuoteRequest { items: items.to_vec() };
        send(Request::post(&self.url("/v1/checkout/quote")), Some(json_text(&body)?)).await
    }

    /// `POST /v1/checkout/sessions` under the idempotency `key`.
    pub async fn create_session(
        &self,
        body: &CreateSession,
        key: &str,
    ) -> Result<Session, ApiFailure> {
        let request =
            Request::post(&self.url("/v1/checkout/sessions")).header(IDEMPOTENCY_KEY_HEADER, key);
        send(request, Some(json_text(body)?)).await
    }

    /// `GET /v1/checkout/sessions/{id}`.
    pub async fn session(&self, id: &str) -> Result<Session, ApiFailure> {
        send(Request::get(&self.session_url(id, "")), None).await
    }

    /// `POST /v1/checkout/sessions/{id}/cancel`.
    pub async fn cancel(&self, id: &str) -> Result<Session, ApiFailure> {
        send(Request::post(&self.session_url(id, "/cancel")), None).await
    }

    fn url(&self, path: &str) -> String {
        let mut url = self.base.clone();
        url.push_str(path);
        url
    }

    fn session_url(&self, id: &str, suffix: &str) -> String {
        let mut url = self.url("/v1/checkout/sessions/");
        url.push_str(&String::from(js_sys::encode_uri_component(id)));
        url.push_str(suffix);
        url
    }
}

/// Sends `request` (with a JSON `body`, if any) and reads its answer.
async fn send<T: DeserializeOwned>(
    request: RequestBuilder,
    body: Option<String>,
) -> Result<T, ApiFailure> {
    let (status, body) = exchange(request, body).await;
    judge(status, body)
}

/// The request/answer exchange itself, kept apart from the typed reading in [`judge`] so that
/// it exists once in the Wasm rather than once per answer type: the answer's status (0 when
/// there was none) and its JSON body as the browser parsed it (`None` when it was not JSON).
async fn exchange(request: RequestBuilder, body: Option<String>) -> (u16, Option<JsValue>) {
    // The backend is another origin; it needs no cookies from the page.
    let mut request =
        request.header("Accept", "application/json").credentials(RequestCredentials::Omit);
    let timeout = has_abort_timeout().then(|| web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS));
    request = request.abort_signal(timeout.as_ref());
    let request = match body {
        Some(text) => {
            request.header("Content-Type", "application/json").body(JsValue::from_str(&text))
        }
        None => request.build(),
    };
    let Ok(request) = request else { return (0, None) };
    let Ok(response) = request.send().await else { return (0, None) };
    let response = web_sys::Response::from(response);
    let body = match response.json() {
        Ok(p) => JsFuture::from(p).await.ok(),
        Err(_) => None,
    };
    (response.status(), body)
}

/// The answer `T` of a request that ended with `status` and the parsed JSON `body` (`None`
/// when it was not JSON); status 0 means no answer at all. Also reads answers the loader
/// fetched before the Wasm started (`kassaPrefetch`), which come in this shape.
pub fn judge<T: DeserializeOwned>(status: u16, body: Option<JsValue>) -> Result<T, ApiFailure> {
    if status == 0 {
        return Err(ApiFailure::Unreachable(None));
    }
    let body = body.filter(|b| !b.is_null() && !b.is_undefined());
    if (200..300).contains(&status) {
        return body
            .and_then(|b| serde_wasm_bindgen::from_value(b).ok())
            .ok_or(ApiFailure::Malformed);
    }
    let error = body.and_then(|b| serde_wasm_bindgen::from_value::<ApiError>(b).ok());
    Err(ApiFailure::for_answer(status, error))
}

/// The answers the loader (`www/kassa.js`) fetched while the Wasm downloaded: it leaves
/// `kassaPrefetch = {config, quote, key}` on the element, each a promise of
/// `{status, body}` that never rejects (status 0: no answer), and `key` the JSON text of
/// `[endpoint, locale attribute, quote request body]` it asked with.
pub struct Prefetched {
    config: JsValue,
    quote: JsValue,
}

impl Prefetched {
    /// Takes the loader's answers off `host` (the property goes either way) when they were
    /// asked for exactly as this widget would ask: the same endpoint, `locale` attribute and
    /// quote request body.
    pub fn take(host: &JsValue, api: &Api, locale_attr: &str, items: &[CartItem]) -> Option<Self> {
        let name = JsValue::from_str("kassaPrefetch");
        let found = Reflect::get(host, &name).ok().filter(JsValue::is_object)?;
        let _ = Reflect::delete_property(host.unchecked_ref::<js_sys::Object>(), &name);
        let body = json_text(&QuoteRequest { items: items.to_vec() }).ok()?;
        let parts = [api.base(), locale_attr, body.as_str()];
        let ours =
            js_sys::JSON::stringify(&parts.iter().map(|p| JsValue::from_str(p)).collect::<Array>());
        let theirs = Reflect::get(&found, &JsValue::from_str("key")).ok()?.as_string()?;
        let get = |key: &str| Reflect::get(&found, &JsValue::from_str(key)).ok();
        if ours.ok().map(String::from)? != theirs {
            return None;
        }
        Some(Prefetched { config: get("config")?, quote: get("quote")? })
    }

    /// The prefetched config and quote; for either the loader got no answer to, the widget's
    /// own request.
    pub async fn answers(
        self,
        api: &Api,
        items: &[CartItem],
    ) -> (Result<CheckoutConfig, ApiFailure>, Result<Quote, ApiFailure>) {
        futures::future::join(
            answer_or(self.config, api.config()),
            answer_or(self.quote, api.quote(items)),
        )
        .await
    }
}

/// The `{status, body}` that `promise` resolves to, read as a `T`; `own` (not started until
/// needed) when there is none or the loader got no answer (status 0).
async fn answer_or<T: DeserializeOwned>(
    promise: JsValue,
    own: impl Future<Output = Result<T, ApiFailure>>,
) -> Result<T, ApiFailure> {
    if let Ok(promise) = promise.dyn_into::<Promise>() {
        if let Ok(answer) = JsFuture::from(promise).await {
            let get = |key: &str| Reflect::get(&answer, &JsValue::from_str(key)).ok();
            let status = get("status").and_then(|s| s.as_f64()).unwrap_or(0.0);
            if (100.0..600.0).contains(&status) {
                return judge(status as u16, get("body"));
            }
        }
    }
    own.await
}

/// `value` as JSON text, through the browser's `JSON.stringify`.
fn json_text<T: Serialize + ?Sized>(value: &T) -> Result<String, ApiFailure> {
    let value = to_js(value).ok_or(ApiFailure::Malformed)?;
    js_sys::JSON::stringify(&value).ok().map(String::from).ok_or(ApiFailure::Malformed)
}

/// `value` as a plain JavaScript value (objects, not `Map`s), for request bodies, event
/// details and messages.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Option<JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)).ok()
}

/// `AbortSignal.timeout` exists (not in Safari before 16): calling a missing function would
/// throw through the Wasm module.
fn has_abort_timeout() -> bool {
    let key = |k: &str| JsValue::from_str(k);
    js_sys::Reflect::get(&js_sys::global(), &key("AbortSignal"))
        .and_then(|ctor| js_sys::Reflect::get(&ctor, &key("timeout")))
        .is_ok_and(|f| f.is_function())
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
