/*! Kassa checkout loader. Paste once:
 *  <script src="https://widget.example/kassa/kassa.js" data-endpoint="https://backend.example" async></script>
 *  <kassa-checkout items='[{"sku":"kayak-2h","quantity":2}]'></kassa-checkout>
 * Loads kassa_widget.js and kassa_widget_bg.wasm (both at once) from the same folder as this
 * file, then registers <kassa-checkout>. A bundle from `cargo xtask dist` fetches the Wasm with its
 * SHA-384 (`integrity`) and refuses one that differs. If WebAssembly cannot run here (a
 * Content-Security-Policy without 'wasm-unsafe-eval', or a failed download), every
 * <kassa-checkout> says so instead of staying blank. No dependencies, no inline styles, no eval.
 * Script API: Kassa.mount(elementOrContainer, {items, locale, endpoint, id, customer})
 * returns {element, update(options), unmount()}.
 * While the Wasm downloads, each <kassa-checkout> shows a placeholder of the picker's height
 * (class kassa--placeholder in kassa.css; the height this browser last saw, else the page's
 * --kassa-placeholder-height, so the page does not jump) and its config and quote
 * requests are already under way: see `prefetch` below. */
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
  /* Prefetch (the contract with the widget): as soon as the loader sees a <kassa-checkout>,
   * it starts the widget's first two requests, GET {endpoint}/v1/checkout/config and
   * POST {endpoint}/v1/checkout/quote, exactly as the widget makes them (Accept and
   * Content-Type JSON, no credentials, 20 s timeout), and leaves them on the element as
   *   el.kassaPrefetch = { config: Promise, quote: Promise, key: string }
   * Each promise resolves to { status, body } (body: the parsed JSON, or null) and never
   * rejects; a network failure is { status: 0, body: null }. key is
   *   JSON.stringify([endpoint, locale, body])
   * with endpoint as the widget uses it (attribute or data-endpoint, trimmed, no trailing /),
   * locale the element's locale attribute ("" when none) and body the exact quote request
   * body sent. The widget uses an answer only when its own request would be identical, then
   * deletes the property; otherwise (or on status 0) it asks itself. The quote is prefetched
   * only for a cart already in the canonical form the widget sends (objects of sku, integer
   * quantity, optional start_date/end_date, in that order); anything else is the widget's
   * to judge and explain. */
  var configs = {};
  var quotes = {};
  function request(method, url, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var init = { method: method, headers: headers, credentials: "omit", body: body };
    if (window.AbortSignal && AbortSignal.timeout) init.signal = AbortSignal.timeout(20000);
    return fetch(url, init).then(function (r) {
      return r.json().then(
        function (json) { return { status: r.status, body: json }; },
        function () { return { status: r.status, body: null }; });
    }, function () { return { status: 0, body: null }; });
  }
  function canonicalItems(text) {
    var lines;
    try { lines = JSON.parse(text); } catch (_) { return null; }
    if (!Array.isArray(lines) || !lines.length) return null;
    var out = [];
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i];
      if (!l || typeof l !== "object" || Array.isArray(l)) return null;
      for (var k in l) if (!/^(sku|quantity|start_date|end_date)$/.test(k)) return null;
      if (typeof l.sku !== "string" || typeof l.quantity !== "number" || l.quantity % 1 !== 0) return null;
      var line = { sku: l.sku, quantity: l.quantity };
      if ("start_date" in l) { if (typeof l.start_date !== "string") return null; line.start_date = l.start_date; }
      if ("end_date" in l) { if (typeof l.end_date !== "string") return null; line.end_date = l.end_date; }
      out.push(line);
    }
    return JSON.stringify({ items: out });
  }
  function prefetch(el) {
    if ("kassaPrefetch" in el || el.__kassa) return;
    var own = (el.getAttribute("endpoint") || "").trim();
    var api = (own || endpoint.trim()).replace(/\/+$/, "");
    var body = canonicalItems(el.getAttribute("items") || "");
    if (!/^https?:\/\/[^?#\s]+$/.test(api) || body === null) return;
    var key = JSON.stringify([api, el.getAttribute("locale") || "", body]);
    if (!configs[api]) configs[api] = request("GET", api + "/v1/checkout/config");
    if (!quotes[key]) quotes[key] = request("POST", api + "/v1/checkout/quote", body);
    el.kassaPrefetch = { config: configs[api], quote: quotes[key], key: key };
  }
  /* The placeholder's height, so the host page does not move when the picker replaces it
   * (layout shift 0). The picker's height depends on the cart, the methods, the language, the
   * width and the page's fonts, which nobody knows before it is drawn, so: the height this
   * browser saw last time for the same endpoint, locale, cart and window width (kept in
   * localStorage at kassa:ready); else the page's own --kassa-placeholder-height (CSS on
   * kassa-checkout, e.g. measured once on the merchant's page); else 30em (kassa.css). It is
   * set as that custom property on the element through the CSSOM, which a strict
   * Content-Security-Policy allows (no style attribute is parsed). */
  var HEIGHT_KEY = "kassa-height:";
  function heightKey(el) {
    var api = ((el.getAttribute("endpoint") || "").trim() || endpoint.trim()).replace(/\/+$/, "");
    /* The window's width, not the container's: the container's depends on whether the
     * page's stylesheet has applied yet when this async script runs, so the same page could
     * look up another key than the one it stored under. */
    var width = Math.round((window.innerWidth || 0) / 10);
    return HEIGHT_KEY + JSON.stringify([api, el.getAttribute("locale") || "", el.getAttribute("items") || "", width]);
  }
  function store() { try { return window.localStorage; } catch (_) { return null; } }
  function rememberHeight(el) {
    var s = store();
    if (!s || el.__kassaHeight) return;
    el.__kassaHeight = true;
    var key = heightKey(el);
    var seen = parseFloat(s.getItem(key));
    if (seen > 0) el.style.setProperty("--kassa-placeholder-height", seen + "px");
    el.addEventListener("kassa:ready", function () {
      /* After the picker's first frame. */
      requestAnimationFrame(function () {
        setTimeout(function () {
          var h = Math.round(el.getBoundingClientRect().height * 100) / 100;
          if (h > 0) {
            try { s.setItem(key, String(h)); } catch (_) { /* storage full or refused */ }
          }
        }, 0);
      });
    });
  }
  /* The placeholder: the widget's shadow root, styled by kassa.css only, at the height of
   * the picker; the widget renders into the same root and replaces it. */
  function placeholder(el) {
    try { rememberHeight(el); } catch (_) { /* the default height */ }
    if (el.shadowRoot || !el.attachShadow) return;
    var root = el.attachShadow({ mode: "open" });
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = base + "/kassa.css";
    var box = document.createElement("div");
    box.className = "kassa kassa--placeholder";
    box.setAttribute("aria-busy", "true");
    box.setAttribute("data-testid", "kassa-placeholder");
    root.appendChild(link);
    root.appendChild(box);
  }
  function prepare(el) {
    if (customElements.get(TAG)) return; /* the widget runs: it asks and draws itself */
    try { prefetch(el); } catch (_) { /* the widget asks itself */ }
    placeholder(el);
  }
  function prepareAll() {
    var els = document.getElementsByTagName(TAG);
    for (var i = 0; i < els.length; i++) prepare(els[i]);
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
      if (supported) prepare(el);
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

  var supported = typeof WebAssembly === "object" && !!window.customElements && !!src;
  if (!supported) {
    var run = function () { fail(new Error("unsupported")); };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
    else run();
    return;
  }

  // Performance marks for `cargo xtask bench` (glue import, Wasm fetch+compile+instantiate, start).
  var mark = function (name) { try { performance.mark(name); } catch (_) { /* no User Timing */ } };
  /* The glue and the Wasm download side by side, from the start: the Wasm's request need not
   * wait for the glue to arrive and run (the bench's timeline shows the two requests). The
   * glue reads the Response when it has run; a failed download rejects there, into `fail`. */
  mark("kassa:import");
  var init = { credentials: "omit" };
  if (WASM_SRI.indexOf("sha384-") === 0) init.integrity = WASM_SRI;
  var wasm = fetch(base + "/kassa_widget_bg.wasm", init);
  wasm.catch(function () { /* reported by the glue's init, below */ });
  var glue = import(base + "/kassa_widget.js");
  prepareAll();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", prepareAll);
  /* The browser's number and date formatting (ICU) starts up on its first use: 10-20 ms for
   * the first Intl.NumberFormat in Chromium, 3-4 ms for the first DateTimeFormat, whatever
   * the locale or currency. The picker's first prices would pay it; the loader pays it here
   * instead, in the next task, while the glue and the Wasm are still downloading
   * (docs/toolchain.md section 7). */
  setTimeout(function () {
    try {
      new Intl.NumberFormat("en", { style: "currency", currency: "EUR" }).format(1);
      new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" }).format(0);
    } catch (_) { /* no Intl: the widget writes plain amounts */ }
  }, 0);
  glue
    .then(function (m) {
      mark("kassa:wasm-init");
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
