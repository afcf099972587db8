/*! Kassa checkout loader. Paste once:
 *  <script src="https://widget.example/kassa/kassa.js" data-endpoint="https://backend.example" async></script>
 *  <kassa-checkout items='[{"sku":"kayak-2h","quantity":2}]'></kassa-checkout>
 * Loads kassa_widget.js and kassa_widget_bg.wasm from the same folder as this file, then
 * registers <kassa-checkout>. A bundle from `cargo xtask dist` fetches the Wasm with its
 * SHA-384 (`integrity`) and refuses one that differs. If WebAssembly cannot run here (a
 * Content-Security-Policy without 'wasm-unsafe-eval', or a failed download), every
 * <kassa-checkout> says so instead of staying blank. No dependencies, no inline styles, no eval.
 * Script API: Kassa.mount(elementOrContainer, {items, locale, endpoint, id, customer})
 * returns {element, update(options), unmount()}. */
(function () {
  "use strict";
  var TAG = "kassa-checkout";
  if (window.__kassaLoader) return;
  window.__kassaLoader = true;

  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src]");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/kassa\.js(\?|#|$)/.test(all[i].src)) { script = all[i]; break; }
    }
  }
  var src = script ? script.src.split(/[?#]/)[0] : "";
  var base = src.slice(0, src.lastIndexOf("/"));
  var endpoint = (script && script.getAttribute("data-endpoint")) || "";

  // Filled in by `cargo xtask dist`; left as is in a development build.
  var WASM_SRI = "__KASSA_WASM_SRI__";

  var ATTRS = { items: "items", locale: "locale", endpoint: "endpoint", id: "id" };
  var CUSTOMER = ["name", "email", "phone", "type", "personal_number", "organisation_id",
    "street_address", "postal_code", "city", "country"];
  function apply(el, options) {
    options = options || {};
    for (var key in ATTRS) {
      if (!(key in options)) continue;
      var value = options[key];
      if (value === null || value === undefined) el.removeAttribute(ATTRS[key]);
      else el.setAttribute(ATTRS[key], key === "items" && typeof value !== "string" ? JSON.stringify(value) : String(value));
    }
    var customer = options.customer || {};
    for (var i = 0; i < CUSTOMER.length; i++) {
      var c = CUSTOMER[i];
      if (c in customer) el.setAttribute("customer-" + c.replace(/_/g, "-"), String(customer[c]));
    }
  }
  window.Kassa = {
    /* Mounts a checkout in `target` (a <kassa-checkout>, or a container that gets one).
     * `update` sets new options (new items are priced again); `unmount` removes it and
     * everything it holds: requests, timers, listeners, frames. */
    mount: function (target, options) {
      if (!target || target.nodeType !== 1) throw new TypeError("Kassa.mount needs an element");
      var own = target.localName !== TAG;
      var el = own ? document.createElement(TAG) : target;
      apply(el, options);
      if (own) target.appendChild(el);
      return {
        element: el,
        update: function (next) { apply(el, next); },
        unmount: function () { if (el.parentNode) el.parentNode.removeChild(el); }
      };
    }
  };

  var CSP = "This checkout can't start: the page's Content-Security-Policy blocks WebAssembly. " +
    "The site owner can allow it with 'wasm-unsafe-eval' in script-src.";
  var FAILED = "The checkout could not be loaded. Please reload the page or try again later.";
  var cspBlocked = false;
  document.addEventListener("securitypolicyviolation", function (e) {
    if (/eval/.test(e.blockedURI || "") || /eval/.test(e.violatedDirective || "")) cspBlocked = true;
  });

  function render(el, text) {
    var root = el.shadowRoot || el.attachShadow({ mode: "open" });
    while (root.firstChild) root.removeChild(root.firstChild);
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = base + "/kassa.css";
    var box = document.createElement("div");
    box.className = "kassa";
    box.setAttribute("data-state", "error");
    box.setAttribute("data-testid", "kassa-root");
    var p = document.createElement("p");
    p.className = "kassa-status kassa-status--error kassa-load-error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-testid", "kassa-load-error");
    p.textContent = text;
    box.appendChild(p);
    root.appendChild(link);
    root.appendChild(box);
  }

  function fail(error) {
    var name = error && error.name;
    var message = String((error && error.message) || "");
    var csp = cspBlocked || name === "EvalError" ||
      (name === "CompileError" && /unsafe-eval|Content.Security|CSP/i.test(message));
    var text = csp ? CSP : FAILED;
    if (window.console) console.error("Kassa: " + text, error);
    var els = document.getElementsByTagName(TAG);
    for (var i = 0; i < els.length; i++) render(els[i], text);
    if (window.customElements && !customElements.get(TAG)) {
      // Elements added later say the same.
      var Failed = function () { return Reflect.construct(HTMLElement, [], Failed); };
      Failed.prototype = Object.create(HTMLElement.prototype);
      Failed.prototype.constructor = Failed;
      Failed.prototype.connectedCallback = function () { render(this, text); };
      Object.setPrototypeOf(Failed, HTMLElement);
      customElements.define(TAG, Failed);
    }
  }

  if (typeof WebAssembly !== "object" || !window.customElements || !src) {
    var run = function () { fail(new Error("unsupported")); };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
    else run();
    return;
  }

  // Performance marks for `cargo xtask bench` (glue import, Wasm fetch+compile+instantiate, start).
  var mark = function (name) { try { performance.mark(name); } catch (_) { /* no User Timing */ } };
  mark("kassa:import");
  import(base + "/kassa_widget.js")
    .then(function (m) {
      mark("kassa:wasm-init");
      var wasm = base + "/kassa_widget_bg.wasm";
      if (WASM_SRI.indexOf("sha384-") === 0) wasm = fetch(wasm, { integrity: WASM_SRI, credentials: "omit" });
      return m.default({ module_or_path: wasm }).then(function () {
        mark("kassa:wasm-ready");
        m.start(base, endpoint);
        mark("kassa:started");
      });
    })
    .catch(function (e) {
      var run = function () { fail(e); };
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
      else run();
    });
})();
