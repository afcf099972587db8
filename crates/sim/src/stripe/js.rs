//! A strict stand-in for Stripe.js's embedded checkout, one script per release train.
//!
//! The real Stripe.js cannot run offline, so the widget loads this script from the
//! simulator's Stripe origin instead. It is meant to be at least as strict as the real one,
//! so that a widget that would break under Stripe.js breaks here first:
//!
//! - **Release trains.** `/v3` (and `/acacia|basil|clover/stripe.js`) is the pre-dahlia train:
//!   it has `initEmbeddedCheckout` only. `/dahlia/stripe.js` has `createEmbeddedCheckoutPage`
//!   only; calling the old name throws `stripe.initEmbeddedCheckout() has been removed. Please
//!   use stripe.createEmbeddedCheckoutPage() instead.` (docs.stripe.com changelog
//!   "dahlia/2026-03-25/rename-init-embedded-checkout-to-create-embedded-checkout-page";
//!   the message as reported in joshnuss/svelte-stripe#141).
//! - **Light DOM only.** `mount()` on an element inside a shadow root throws `IntegrationError:
//!   Elements cannot be mounted in a ShadowRoot. Please mount in the Light DOM.` (the message of
//!   stripe/stripe-js#399, #662, #143; Stripe does not publish whether embedded checkout throws
//!   or only logs, so this throws). An element that is not in the document is refused too.
//! - **One embedded checkout per page.** A second one, also while the first is still starting,
//!   is refused with `You cannot have multiple Embedded Checkout objects.` (svelte-stripe#97,
//!   #135), and a second `destroy()` throws `This Embedded Checkout instance has been destroyed
//!   and can't be used anymore. Please create a new one.` (stripe/stripe-js#685).
//! - **Completion.** With `redirect_on_completion: if_required`, a method that needs a redirect
//!   (the embedded page's "Pay with bank redirect") sends the **top window** to `return_url`;
//!   the others call `onComplete`. `always` always redirects (stripe-node `Checkout/Sessions.ts`,
//!   `redirect_on_completion`).
//! - **Network.** Starting fetches the session from the simulator's API origin (as Stripe.js
//!   fetches `api.stripe.com`), so a page's `connect-src` must allow it; the frame comes from
//!   the same origin (`frame-src`).
//!
//! Faults for tests (`/__sim/stripe-js`, none of this exists at Stripe): the next script load
//! fails (`load_error`), the next start rejects (`init_error`), the next `mount()` throws
//! (`mount_error`), or the next start never settles (`init_hang`). A start that hangs does not
//! hold the page's one instance (the real one would, until the page reloads).

use std::sync::{Arc, Mutex};

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{SessionStatus, Stripe};

/// What goes wrong with Stripe.js next, as posted to `/__sim/stripe-js`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptFault {
    /// The script itself answers 500, so its `<script>` fires `error`.
    LoadError,
    /// Starting an embedded checkout rejects with an `IntegrationError`.
    InitError,
    /// Starting an embedded checkout never settles.
    InitHang,
    /// `mount()` throws an `IntegrationError`.
    MountError,
}

impl ScriptFault {
    fn at_load(self) -> bool {
        self == ScriptFault::LoadError
    }
}

/// A queued fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptFaultSpec {
    /// What goes wrong.
    pub fault: ScriptFault,
    /// How many times (default 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// The pending Stripe.js faults of one listener. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct ScriptFaults(Arc<Mutex<Vec<ScriptFaultSpec>>>);

impl ScriptFaults {
    fn pending(&self) -> Vec<ScriptFaultSpec> {
        self.0.lock().map(|q| q.clone()).unwrap_or_default()
    }

    fn push(&self, spec: ScriptFaultSpec) {
        if let Ok(mut q) = self.0.lock() {
            if spec.count > 0 {
                q.push(spec);
            }
        }
    }

    fn clear(&self) {
        if let Ok(mut q) = self.0.lock() {
            q.clear();
        }
    }

    /// Takes one use of the first queued fault of the given phase.
    fn take(&self, at_load: bool) -> Option<ScriptFault> {
        let mut q = self.0.lock().ok()?;
        let i = q.iter().position(|s| s.fault.at_load() == at_load)?;
        let fault = q[i].fault;
        q[i].count -= 1;
        if q[i].count == 0 {
            q.remove(i);
        }
        Some(fault)
    }
}

#[derive(Clone)]
struct JsState {
    stripe: Arc<Stripe>,
    faults: ScriptFaults,
}

/// The script routes, the session fetch Stripe.js makes while starting, and
/// `/__sim/stripe-js`.
pub fn router(stripe: Arc<Stripe>) -> Router {
    let state = JsState { stripe, faults: ScriptFaults::default() };
    Router::new()
        .route("/v3", get(v3))
        .route("/v3/", get(v3))
        .route("/{release}/stripe.js", get(release))
        .route("/v1/payment_pages/{id}/init", get(init))
        .route("/__sim/stripe-js", get(list_faults).post(add_fault).delete(clear_faults))
        .with_state(state)
}

/// The origin the browser reached this listener at: the `Host` it asked for, so the iframe
/// and the `postMessage` check use the same origin as the `<script src>` did.
fn origin(stripe: &Stripe, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()) && !h.contains('/'))
        .map_or_else(|| stripe.url.clone(), |host| format!("http://{host}"))
}

/// A release train of Stripe.js.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Train {
    /// `js.stripe.com/v3` and the pre-dahlia release paths: `initEmbeddedCheckout`.
    PreDahlia,
    /// `js.stripe.com/dahlia/stripe.js` and later: `createEmbeddedCheckoutPage`.
    Dahlia,
}

impl Train {
    /// The train a release path names, if Stripe.js has one by that name.
    pub fn of_release(release: &str) -> Option<Train> {
        match release {
            "acacia" | "basil" | "clover" => Some(Train::PreDahlia),
            "dahlia" => Some(Train::Dahlia),
            _ => None,
        }
    }
}

async fn v3(State(s): State<JsState>, headers: HeaderMap) -> Response {
    serve(&s, &headers, Train::PreDahlia)
}

async fn release(
    State(s): State<JsState>,
    Path(release): Path<String>,
    headers: HeaderMap,
) -> Response {
    match Train::of_release(&release) {
        Some(train) => serve(&s, &headers, train),
        None => (StatusCode::NOT_FOUND, "unknown Stripe.js release").into_response(),
    }
}

fn serve(s: &JsState, headers: &HeaderMap, train: Train) -> Response {
    if s.faults.take(true).is_some() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "kassa-sim: injected Stripe.js load error")
            .into_response();
    }
    script(&origin(&s.stripe, headers), train, s.stripe.config.single_embedded_instance)
}

fn script(origin: &str, train: Train, single_instance: bool) -> Response {
    let origin_literal = serde_json::to_string(origin).unwrap_or_else(|_| "\"\"".into());
    let body = SCRIPT
        .replace("__ORIGIN__", &origin_literal)
        .replace("__DAHLIA__", if train == Train::Dahlia { "true" } else { "false" })
        .replace("__SINGLE__", if single_instance { "true" } else { "false" });
    (
        [
            (header::CONTENT_TYPE, "application/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The query of the session fetch.
#[derive(Debug, Deserialize)]
struct InitQuery {
    client_secret: Option<String>,
    pk: Option<String>,
    account: Option<String>,
}

/// `GET /v1/payment_pages/{id}/init`: what Stripe.js learns about the session before it
/// mounts anything. Answers with CORS for any origin, as Stripe's publishable-key endpoints do.
async fn init(
    State(s): State<JsState>,
    Path(id): Path<String>,
    Query(q): Query<InitQuery>,
) -> Response {
    let cors = |mut r: Response| {
        r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        r
    };
    let found = super::pages::embedded_session(
        &s.stripe,
        &id,
        q.client_secret.as_deref(),
        q.pk.as_deref(),
        q.account.as_deref(),
    );
    let session = match found {
        Ok(session) => session,
        Err((status, message)) => {
            return cors((status, Json(json!({"error": {"message": message}}))).into_response())
        }
    };
    let fault = s.faults.take(false);
    let status = match session.status {
        SessionStatus::Open => "open",
        SessionStatus::Complete => "complete",
        SessionStatus::Expired => "expired",
    };
    cors(Json(json!({ "status": status, "fault": fault })).into_response())
}

async fn list_faults(State(s): State<JsState>) -> Json<Vec<ScriptFaultSpec>> {
    Json(s.faults.pending())
}

async fn add_fault(
    State(s): State<JsState>,
    Json(spec): Json<ScriptFaultSpec>,
) -> Json<Vec<ScriptFaultSpec>> {
    s.faults.push(spec);
    Json(s.faults.pending())
}

async fn clear_faults(State(s): State<JsState>) -> StatusCode {
    s.faults.clear();
    StatusCode::NO_CONTENT
}

/// The script; `__ORIGIN__`, `__DAHLIA__` and `__SINGLE__` are filled in per request.
const SCRIPT: &str = r#"/* kassa-sim: Stripe.js stand-in (embedded checkout only). Not the real Stripe.js. */
(function () {
  "use strict";
  var ORIGIN = __ORIGIN__;
  var DAHLIA = __DAHLIA__;
  var SINGLE_INSTANCE = __SINGLE__;
  var DESTROYED = "This Embedded Checkout instance has been destroyed and can't be used anymore. Please create a new one.";
  // The page's one embedded checkout, from the moment its creation starts.
  var live = null;

  function integrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  function resolveTarget(target) {
    var element = target;
    if (typeof target === "string") {
      element = document.querySelector(target);
      if (!element) {
        throw integrationError("The selector you specified (" + target + ") applies to no DOM elements that are currently on the page.\nMake sure the element exists on the page before calling mount().");
      }
    }
    if (!element || element.nodeType !== 1) {
      throw integrationError("Invalid DOM element. Make sure to call mount() with a valid DOM element or selector.");
    }
    var root = element.getRootNode();
    if (typeof ShadowRoot !== "undefined" && root instanceof ShadowRoot) {
      throw integrationError("Elements cannot be mounted in a ShadowRoot. Please mount in the Light DOM.");
    }
    if (root !== document || !element.isConnected) {
      throw integrationError("The element you passed to mount() is not in the document. Attach it to the page before calling mount().");
    }
    return element;
  }

  function setImportant(el, styles) {
    for (var name in styles) { el.style.setProperty(name, styles[name], "important"); }
  }

  function createCheckout(publishableKey, account, options) {
    if (!options || typeof options !== "object") {
      return Promise.reject(integrationError("Embedded Checkout needs an options object."));
    }
    if (typeof options.fetchClientSecret !== "function" && typeof options.clientSecret !== "string") {
      return Promise.reject(integrationError("Embedded Checkout needs fetchClientSecret (or clientSecret)."));
    }
    if (SINGLE_INSTANCE && live) {
      return Promise.reject(integrationError("You cannot have multiple Embedded Checkout objects."));
    }
    var state = { destroyed: false };
    live = state;
    function release() {
      state.destroyed = true;
      if (live === state) { live = null; }
    }
    var secretPromise = typeof options.fetchClientSecret === "function"
      ? Promise.resolve().then(function () { return options.fetchClientSecret(); })
      : Promise.resolve(options.clientSecret);
    return secretPromise.then(function (clientSecret) {
      if (typeof clientSecret !== "string" || clientSecret.indexOf("_secret_") < 1) {
        throw integrationError("Invalid client secret: expected the Checkout Session's client_secret.");
      }
      var sessionId = clientSecret.slice(0, clientSecret.indexOf("_secret_"));
      var query = "?client_secret=" + encodeURIComponent(clientSecret) +
        "&pk=" + encodeURIComponent(publishableKey) +
        (account ? "&account=" + encodeURIComponent(account) : "");
      return fetch(ORIGIN + "/v1/payment_pages/" + encodeURIComponent(sessionId) + "/init" + query,
        { credentials: "omit" })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) {
              throw integrationError((body && body.error && body.error.message) || "Embedded Checkout could not start.");
            }
            return body;
          });
        }, function () {
          throw integrationError("Failed to fetch the Checkout Session: check the page's Content-Security-Policy (connect-src) and the network.");
        })
        .then(function (session) {
          if (session.fault === "init_error") {
            throw integrationError("kassa-sim: injected fault: Embedded Checkout failed to start.");
          }
          if (session.fault === "init_hang") {
            release();
            return new Promise(function () {});
          }
          return makeCheckout(state, release, publishableKey, account, options, sessionId, query,
            session.fault === "mount_error");
        });
    }).catch(function (error) {
      release();
      throw error;
    });
  }

  function makeCheckout(state, release, publishableKey, account, options, sessionId, query, failMount) {
    var iframe = null;

    function onMessage(event) {
      if (!iframe || event.origin !== ORIGIN || event.source !== iframe.contentWindow) {
        return;
      }
      var data = event.data || {};
      if (data.type === "kassa-sim:stripe:resize" && typeof data.height === "number") {
        iframe.style.setProperty("height", Math.ceil(data.height) + "px", "important");
      } else if (data.type === "kassa-sim:stripe:complete") {
        var mode = data.redirect_on_completion;
        var redirect = mode === "always" || (mode === "if_required" && data.needs_redirect === true);
        if (redirect && typeof data.return_url === "string") {
          // The top window, not this frame's parent: a page inside a frame leaves as a whole.
          window.top.location.href = data.return_url;
        } else if (typeof options.onComplete === "function") {
          options.onComplete();
        }
      }
    }

    function unmount() {
      if (iframe) {
        window.removeEventListener("message", onMessage);
        if (iframe.parentNode) { iframe.parentNode.removeChild(iframe); }
        iframe = null;
      }
    }

    return {
      mount: function (target) {
        if (state.destroyed) { throw integrationError(DESTROYED); }
        if (iframe) { throw integrationError("This Embedded Checkout is already mounted. Call unmount() first."); }
        var element = resolveTarget(target);
        if (failMount) {
          failMount = false;
          throw integrationError("kassa-sim: injected fault: Embedded Checkout failed to mount.");
        }
        iframe = document.createElement("iframe");
        iframe.setAttribute("title", "Secure checkout");
        iframe.setAttribute("allow", "payment *");
        iframe.setAttribute("frameborder", "0");
        iframe.setAttribute("data-kassa-sim", "stripe-embedded-checkout");
        // As Stripe's own frames do: inline !important, so no page stylesheet can move them.
        setImportant(iframe, {
          "display": "block", "visibility": "visible", "opacity": "1", "position": "static",
          "border": "0", "margin": "0", "padding": "0", "width": "100%", "min-width": "100%",
          "max-width": "none", "height": "480px", "max-height": "none", "transform": "none",
          "box-sizing": "border-box", "overflow": "hidden", "color-scheme": "light only"
        });
        iframe.src = ORIGIN + "/embedded/" + encodeURIComponent(sessionId) + query +
          "&origin=" + encodeURIComponent(window.location.origin);
        window.addEventListener("message", onMessage);
        element.appendChild(iframe);
      },
      unmount: function () {
        if (state.destroyed) { throw integrationError(DESTROYED); }
        unmount();
      },
      destroy: function () {
        if (state.destroyed) { throw integrationError(DESTROYED); }
        unmount();
        release();
      }
    };
  }

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) { return new Stripe(publishableKey, options); }
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_") !== 0) {
      throw integrationError("Invalid value for Stripe(): apiKey should be a publishable key (pk_...).");
    }
    var account = options && typeof options.stripeAccount === "string" ? options.stripeAccount : null;
    var create = function (opts) { return createCheckout(publishableKey, account, opts); };
    this._kassaSim = true;
    if (DAHLIA) {
      this.createEmbeddedCheckoutPage = create;
      this.initEmbeddedCheckout = function () {
        throw integrationError("stripe.initEmbeddedCheckout() has been removed. Please use stripe.createEmbeddedCheckoutPage() instead.");
      };
    } else {
      this.initEmbeddedCheckout = create;
    }
  }

  window.Stripe = Stripe;
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    async fn script_text(train: Train) -> String {
        let response = script("http://127.0.0.1:1234", train, true);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn placeholders_are_all_filled() {
        let text = script_text(Train::Dahlia).await;
        assert!(!text.contains("__ORIGIN__") && !text.contains("__DAHLIA__"));
        assert!(!text.contains("__SINGLE__"), "no placeholder is left");
        assert!(text.contains("var ORIGIN = \"http://127.0.0.1:1234\";"));
        assert!(text.contains("var DAHLIA = true;"));
        assert!(script_text(Train::PreDahlia).await.contains("var DAHLIA = false;"));
    }

    #[test]
    fn release_paths_name_their_train() {
        assert_eq!(Train::of_release("clover"), Some(Train::PreDahlia));
        assert_eq!(Train::of_release("dahlia"), Some(Train::Dahlia));
        assert_eq!(Train::of_release("v4"), None);
    }

    #[test]
    fn faults_are_taken_once_per_count_and_by_phase() {
        let faults = ScriptFaults::default();
        faults.push(ScriptFaultSpec { fault: ScriptFault::MountError, count: 2 });
        faults.push(ScriptFaultSpec { fault: ScriptFault::LoadError, count: 1 });
        assert_eq!(faults.take(true), Some(ScriptFault::LoadError));
        assert_eq!(faults.take(true), None);
        assert_eq!(faults.take(false), Some(ScriptFault::MountError));
        assert_eq!(faults.take(false), Some(ScriptFault::MountError));
        assert_eq!(faults.take(false), None);
    }
}
