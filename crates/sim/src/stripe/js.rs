//! A stand-in for Stripe.js (`/v3`, `/{release}/stripe.js`) with the embedded-checkout API.
//!
//! The real Stripe.js cannot run offline, so the widget loads this script from the
//! simulator's Stripe origin instead. It offers the same surface: `Stripe(pk, {stripeAccount})`
//! → `initEmbeddedCheckout(opts)` (and dahlia's `createEmbeddedCheckoutPage(opts)`) → a Promise
//! of `{mount, unmount, destroy}`. `mount` inserts an iframe of `/embedded/{id}`; the frame
//! reports its height and completion by `postMessage`, which the script accepts only from the
//! simulator's origin and that very frame. Errors are `Error`s named `IntegrationError`.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use super::Stripe;

/// The script routes.
pub fn router(stripe: Arc<Stripe>) -> Router {
    Router::new()
        .route("/v3", get(v3))
        .route("/v3/", get(v3))
        .route("/{release}/stripe.js", get(release))
        .with_state(stripe)
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

async fn v3(State(stripe): State<Arc<Stripe>>, headers: HeaderMap) -> Response {
    script(&origin(&stripe, &headers), false, stripe.config.single_embedded_instance)
}

async fn release(
    State(stripe): State<Arc<Stripe>>,
    Path(release): Path<String>,
    headers: HeaderMap,
) -> Response {
    let dahlia = match release.as_str() {
        "acacia" | "basil" | "clover" => false,
        "dahlia" => true,
        _ => return (StatusCode::NOT_FOUND, "unknown Stripe.js release").into_response(),
    };
    script(&origin(&stripe, &headers), dahlia, stripe.config.single_embedded_instance)
}

fn script(origin: &str, dahlia: bool, single_instance: bool) -> Response {
    let origin_literal = serde_json::to_string(origin).unwrap_or_else(|_| "\"\"".into());
    let body = SCRIPT
        .replace("__ORIGIN__", &origin_literal)
        .replace("__DAHLIA__", if dahlia { "true" } else { "false" })
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

/// The script; `__ORIGIN__`, `__DAHLIA__` and `__SINGLE__` are filled in per request.
const SCRIPT: &str = r#"/* kassa-sim: Stripe.js stand-in (embedded checkout only). Not the real Stripe.js. */
(function () {
  "use strict";
  var ORIGIN = __ORIGIN__;
  var DAHLIA = __DAHLIA__;
  var SINGLE_INSTANCE = __SINGLE__;
  var live = null;

  function integrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  function resolveTarget(target) {
    if (typeof target === "string") {
      var found = document.querySelector(target);
      if (!found) {
        throw integrationError("mount(): no element matches the selector " + target);
      }
      return found;
    }
    if (target && target.nodeType === 1) {
      return target;
    }
    throw integrationError("mount() expects a CSS selector or a DOM element.");
  }

  function createCheckout(publishableKey, account, options) {
    if (!options || typeof options !== "object") {
      return Promise.reject(integrationError("Embedded Checkout needs an options object."));
    }
    if (typeof options.fetchClientSecret !== "function" && typeof options.clientSecret !== "string") {
      return Promise.reject(integrationError("Embedded Checkout needs fetchClientSecret (or clientSecret)."));
    }
    if (SINGLE_INSTANCE && live && !live.destroyed) {
      return Promise.reject(integrationError("You cannot have multiple embedded checkouts at once: call destroy() on the existing one first."));
    }
    var state = { destroyed: false };
    live = state;
    var secretPromise = typeof options.fetchClientSecret === "function"
      ? Promise.resolve().then(function () { return options.fetchClientSecret(); })
      : Promise.resolve(options.clientSecret);
    return secretPromise.then(function (clientSecret) {
      if (typeof clientSecret !== "string" || clientSecret.indexOf("_secret_") < 1) {
        throw integrationError("Invalid client secret: expected the Checkout Session's client_secret.");
      }
      var sessionId = clientSecret.slice(0, clientSecret.indexOf("_secret_"));
      var iframe = null;

      function onMessage(event) {
        if (!iframe || event.origin !== ORIGIN || event.source !== iframe.contentWindow) {
          return;
        }
        var data = event.data || {};
        if (data.type === "kassa-sim:stripe:resize" && typeof data.height === "number") {
          iframe.style.height = Math.ceil(data.height) + "px";
        } else if (data.type === "kassa-sim:stripe:complete") {
          if (data.redirect_on_completion === "always" && typeof data.return_url === "string") {
            try { window.top.location.href = data.return_url; }
            catch (e) { window.location.href = data.return_url; }
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
          if (state.destroyed) { throw integrationError("This embedded checkout was destroyed; create a new one."); }
          if (iframe) { throw integrationError("This embedded checkout is already mounted."); }
          var element = resolveTarget(target);
          var src = ORIGIN + "/embedded/" + encodeURIComponent(sessionId) +
            "?client_secret=" + encodeURIComponent(clientSecret) +
            "&pk=" + encodeURIComponent(publishableKey) +
            (account ? "&account=" + encodeURIComponent(account) : "") +
            "&origin=" + encodeURIComponent(window.location.origin);
          iframe = document.createElement("iframe");
          iframe.setAttribute("title", "Secure checkout");
          iframe.setAttribute("allow", "payment *");
          iframe.setAttribute("frameborder", "0");
          iframe.setAttribute("data-kassa-sim", "stripe-embedded-checkout");
          iframe.style.width = "100%";
          iframe.style.border = "0";
          iframe.style.height = "480px";
          iframe.src = src;
          window.addEventListener("message", onMessage);
          element.appendChild(iframe);
        },
        unmount: unmount,
        destroy: function () {
          unmount();
          state.destroyed = true;
          if (live === state) { live = null; }
        }
      };
    }, function (error) {
      state.destroyed = true;
      if (live === state) { live = null; }
      throw error;
    }).catch(function (error) {
      state.destroyed = true;
      if (live === state) { live = null; }
      throw error;
    });
  }

  function Stripe(publishableKey, options) {
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_") !== 0) {
      throw integrationError("Invalid value for Stripe(): apiKey should be a publishable key (pk_...).");
    }
    var account = options && typeof options.stripeAccount === "string" ? options.stripeAccount : null;
    var create = function (opts) { return createCheckout(publishableKey, account, opts); };
    return {
      _kassaSim: true,
      initEmbeddedCheckout: DAHLIA
        ? function () { return Promise.reject(integrationError("initEmbeddedCheckout was renamed createEmbeddedCheckoutPage in this Stripe.js release.")); }
        : create,
      createEmbeddedCheckoutPage: create
    };
  }

  window.Stripe = Stripe;
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn placeholders_are_all_filled() {
        let response = script("http://127.0.0.1:1234", true, false);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("__"), "no placeholder is left");
        assert!(text.contains("var ORIGIN = \"http://127.0.0.1:1234\";"));
        assert!(text.contains("var DAHLIA = true;"));
    }
}
