//! Component tests of `<kassa-checkout>` in headless Chromium.
//!
//! `window.fetch` is replaced by a stub that answers from a route table and records every
//! call, so each test says exactly what the backend answers and counts what was sent.
//! Tests wait on the widget's `data-state` attribute, never on fixed sleeps.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p kassa --target wasm32-unknown-unknown --test dom`
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

// ---------------------------------------------------------------- harness

fn window() -> web_sys::Window {
    web_sys::window().unwrap()
}

fn document() -> web_sys::Document {
    window().document().unwrap()
}

fn origin() -> String {
    window().location().origin().unwrap()
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap()
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    Reflect::set(target, &JsValue::from_str(key), value).unwrap();
}

/// Installs the fetch stub (once) and clears routes, calls and held answers.
fn install_fetch() {
    let w: JsValue = window().into();
    if get(&w, "__kassaStub").is_undefined() {
        let stub = Function::new_with_args(
            "url, init",
            r#"
            // The widget's requests come as `Request` objects (gloo-net); the body is read
            // before the answer is given, so a recorded call always has its body.
            var req = url instanceof Request ? url : new Request(url, init);
            var path = new URL(req.url).pathname;
            var call = { method: req.method, path: path, key: req.headers.get("Idempotency-Key") };
            window.__kassaCalls.push(call);
            var r = window.__kassaRoutes[req.method + " " + path];
            return req.text().then(function (text) {
              if (text) call.body = text;
              if (!r || r.reject) return Promise.reject(new TypeError("Failed to fetch"));
              var make = function () {
                return new Response(JSON.stringify(r.body), {
                  status: r.status || 200, headers: { "Content-Type": "application/json" } });
              };
              if (r.hold) return new Promise(function (res) { window.__kassaHeld.push(function () { res(make()); }); });
              return make();
            });
            "#,
        );
        set(&w, "__kassaStub", &stub);
        set(&w, "fetch", &stub);
    }
    set(&w, "__kassaRoutes", &Object::new());
    set(&w, "__kassaCalls", &Array::new());
    set(&w, "__kassaHeld", &Array::new());
}

/// Answers `method path` with `status` and the JSON `body`.
fn route(method_path: &str, status: u16, body: &str) {
    let r = Object::new();
    set(&r, "status", &JsValue::from(status));
    set(&r, "body", &JSON::parse(body).expect(body));
    set(&get(&window().into(), "__kassaRoutes"), method_path, &r);
}

/// Makes `method path` hang until [`release_held`].
fn hold(method_path: &str) {
    let routes = get(&window().into(), "__kassaRoutes");
    set(&get(&routes, method_path), "hold", &JsValue::TRUE);
}

fn release_held() {
    let held: Array = get(&window().into(), "__kassaHeld").unchecked_into();
    for f in held.iter() {
        f.unchecked_into::<Function>().call0(&JsValue::NULL).unwrap();
    }
    held.set_length(0);
}

/// Makes `method path` fail like a network error.
fn reject(method_path: &str) {
    let r = Object::new();
    set(&r, "reject", &JsValue::TRUE);
    set(&get(&window().into(), "__kassaRoutes"), method_path, &r);
}

/// Recorded calls as `(method, path, idempotency key)`.
fn calls() -> Vec<(String, String, Option<String>)> {
    let calls: Array = get(&window().into(), "__kassaCalls").unchecked_into();
    calls
        .iter()
        .map(|c| {
            (
                get(&c, "method").as_string().unwrap(),
                get(&c, "path").as_string().unwrap(),
                get(&c, "key").as_string(),
            )
        })
        .collect()
}

fn calls_to(method: &str, path: &str) -> Vec<Option<String>> {
    calls().into_iter().filter(|(m, p, _)| m == method && p == path).map(|(_, _, k)| k).collect()
}

fn last_body(method: &str, path: &str) -> JsValue {
    let calls: Array = get(&window().into(), "__kassaCalls").unchecked_into();
    let c = calls
        .iter()
        .rfind(|c| {
            get(c, "method").as_string().as_deref() == Some(method)
                && get(c, "path").as_string().as_deref() == Some(path)
        })
        .expect("no such call");
    JSON::parse(&get(&c, "body").as_string().unwrap()).unwrap()
}

/// What `Intl.NumberFormat(locale, {style: "currency", currency})` writes for `decimal`.
fn intl_money(locale: &str, currency: &str, decimal: &str) -> String {
    let opts = Object::new();
    set(&opts, "style", &JsValue::from_str("currency"));
    set(&opts, "currency", &JsValue::from_str(currency));
    let nf = js_sys::Intl::NumberFormat::new(&Array::of1(&JsValue::from_str(locale)), &opts);
    nf.format().call1(&JsValue::NULL, &JsValue::from_str(decimal)).unwrap().as_string().unwrap()
}

/// What `Intl.DateTimeFormat(locale, {dateStyle: "medium", timeZone: "UTC"})` writes for `iso`.
fn intl_date(locale: &str, iso: &str) -> String {
    let opts = Object::new();
    set(&opts, "dateStyle", &JsValue::from_str("medium"));
    set(&opts, "timeZone", &JsValue::from_str("UTC"));
    let dtf = js_sys::Intl::DateTimeFormat::new(&Array::of1(&JsValue::from_str(locale)), &opts);
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    dtf.format().call1(&JsValue::NULL, &date).unwrap().as_string().unwrap()
}

/// Resolves once every task queued before it has run: the zero-delay timers set before it
/// (timers of equal delay fire in the order they were set) and, before each task, every
/// microtask (Leptos's effects and spawned tasks). For checking that something did *not*
/// happen in reaction to what the test just did: an ordering barrier, not a wait for time.
async fn next_task() {
    sleep(0).await;
}

/// Resolves once every message posted to this window before it has been dispatched (and
/// what its listeners spawned has run): posts one more and waits for it, since a window's
/// messages from one source arrive in the order they were posted.
async fn after_posted_messages() {
    let marker = "kassa-test:barrier";
    let p = Promise::new(&mut |res, _| {
        let f =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                if ev.data().as_string().as_deref() == Some(marker) {
                    res.call0(&JsValue::NULL).unwrap();
                }
            });
        window().add_event_listener_with_callback("message", f.as_ref().unchecked_ref()).unwrap();
        f.forget();
    });
    window().post_message(&JsValue::from_str(marker), &origin()).unwrap();
    JsFuture::from(p).await.unwrap();
    next_task().await;
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |res, _| {
        window().set_timeout_with_callback_and_timeout_and_arguments_0(&res, ms).unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// Polls `cond` for up to 5 s.
async fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        sleep(10).await;
    }
    panic!("timed out waiting for {what}");
}

struct Widget {
    host: HtmlElement,
    shadow: ShadowRoot,
    events: std::rc::Rc<std::cell::RefCell<Vec<(String, JsValue)>>>,
    _listeners: Vec<Closure<dyn FnMut(web_sys::CustomEvent)>>,
}

impl Widget {
    /// Creates `<kassa-checkout>` with `attrs`, listens to its events, and attaches it.
    fn mount(attrs: &[(&str, &str)]) -> Widget {
        Widget::mount_prepared(attrs, |_| {})
    }

    /// [`Widget::mount`], with `prepare` run on the element before it is attached (as the
    /// loader prepares it).
    fn mount_prepared(attrs: &[(&str, &str)], prepare: impl FnOnce(&HtmlElement)) -> Widget {
        kassa::start(origin(), String::from("https://backend.test"));
        let host: HtmlElement =
            document().create_element("kassa-checkout").unwrap().unchecked_into();
        for (k, v) in attrs {
            host.set_attribute(k, v).unwrap();
        }
        prepare(&host);
        let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let mut listeners = Vec::new();
        for name in [
            "kassa:ready",
            "kassa:method-selected",
            "kassa:session-created",
            "kassa:paid",
            "kassa:failed",
            "kassa:cancelled",
            "kassa:expired",
            "kassa:error",
        ] {
            let events = events.clone();
            let cb =
                Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
                    events.borrow_mut().push((e.type_(), e.detail()));
                });
            // Listen on the document: events bubble out of the element.
            document().add_event_listener_with_callback(name, cb.as_ref().unchecked_ref()).unwrap();
            listeners.push(cb);
        }
        document().body().unwrap().append_child(&host).unwrap();
        let shadow = host.shadow_root().expect("open shadow root");
        Widget { host, shadow, events, _listeners: listeners }
    }

    fn q(&self, selector: &str) -> Option<Element> {
        self.shadow.query_selector(selector).unwrap()
    }

    fn by_testid(&self, id: &str) -> Element {
        let mut sel = String::from("[data-testid=\"");
        sel.push_str(id);
        sel.push_str("\"]");
        self.q(&sel).unwrap_or_else(|| panic!("no element with data-testid {id}"))
    }

    fn click(&self, id: &str) {
        self.by_testid(id).unchecked_into::<HtmlElement>().click();
    }

    fn state(&self) -> String {
        self.q(".kassa").and_then(|r| r.get_attribute("data-state")).unwrap_or_default()
    }

    async fn wait_state(&self, state: &str) {
        until(state, || self.state() == state).await;
        leptos::task::tick().await;
    }

    fn heading(&self) -> String {
        self.q("h2").and_then(|h| h.text_content()).unwrap_or_default()
    }

    fn text(&self) -> String {
        self.q(".kassa").and_then(|r| r.text_content()).unwrap_or_default()
    }

    fn events_named(&self, name: &str) -> Vec<JsValue> {
        self.events.borrow().iter().filter(|(n, _)| n == name).map(|(_, d)| d.clone()).collect()
    }
}

impl Drop for Widget {
    fn drop(&mut self) {
        for (cb, name) in self._listeners.iter().zip([
            "kassa:ready",
            "kassa:method-selected",
            "kassa:session-created",
            "kassa:paid",
            "kassa:failed",
            "kassa:cancelled",
            "kassa:expired",
            "kassa:error",
        ]) {
            let _ =
                document().remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        }
        self.host.remove();
        // The widget unmounts in a microtask, after the next test has mounted its own;
        // leave the address as the next test expects to find it.
        let path = window().location().pathname().unwrap();
        window()
            .history()
            .unwrap()
            .replace_state_with_url(&JsValue::NULL, "", Some(&path))
            .unwrap();
    }
}

const ITEMS: &str = r#"[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"},{"sku":"life-jacket","quantity":2}]"#;

fn config_json() -> String {
    r#"{"merchant_name":"Fjord Kayaks","currency":"NOK","methods":[
      {"id":"card","provider":"payfect","display_name":"Card","label":"Card","presentation":"iframe","required_fields":[],"allowed_origins":["ORIGIN"]},
      {"id":"vipps","provider":"front_payment","display_name":"Vipps","label":"Vipps","presentation":"redirect","required_fields":["phone"],"allowed_origins":["https://pay.example.com"]},
      {"id":"stripe","provider":"stripe","display_name":"Card (Stripe)","label":"Card (Stripe)","presentation":"stripe_embedded","required_fields":["email"],"allowed_origins":["ORIGIN"],"stripe_js_url":"ORIGIN/stripe.js"}
    ]}"#
    .replace("ORIGIN", &origin())
}

const QUOTE: &str = r#"{"id":"q1","expires_at":"2026-12-01T12:15:00Z","lines":[
  {"sku":"kayak-2h","name":"Kayak, 2 hours","quantity":2,"unit_price":{"amount_minor":60000,"currency":"NOK"},"line_total":{"amount_minor":120000,"currency":"NOK"},"start_date":"2026-12-01","end_date":"2026-12-01"},
  {"sku":"life-jacket","name":"Life jacket","quantity":2,"unit_price":{"amount_minor":12500,"currency":"NOK"},"line_total":{"amount_minor":25000,"currency":"NOK"}}
 ],"total":{"amount_minor":145000,"currency":"NOK"}}"#;

/// A session answer in `state` with an optional `action` JSON and `extra` fields.
fn session_json(id: &str, state: &str, method: &str, action: Option<&str>, extra: &str) -> String {
    let mut s = String::from(r#"{"id":""#);
    s.push_str(id);
    s.push_str(r#"","state":""#);
    s.push_str(state);
    s.push_str(r#"","method":""#);
    s.push_str(method);
    s.push_str(r#"","provider":"payfect","quote":"#);
    s.push_str(QUOTE);
    if let Some(a) = action {
        s.push_str(r#","action":"#);
        s.push_str(a);
    }
    s.push_str(extra);
    s.push('}');
    s
}

fn frame_action() -> String {
    let mut a = String::from(r#"{"type":"iframe","url":""#);
    a.push_str(&origin());
    a.push_str(r#"/kassa-test-pay-frame"}"#);
    a
}

/// Routes for a healthy backend, a widget in the picker, and the given method chosen.
async fn picker_with(method: &str) -> Widget {
    install_fetch();
    route("GET /v1/checkout/config", 200, &config_json());
    route("POST /v1/checkout/quote", 200, QUOTE);
    let w = Widget::mount(&[("items", ITEMS), ("locale", "en-US")]);
    w.wait_state("picker").await;
    let mut id = String::from("kassa-method-");
    id.push_str(method);
    w.click(&id);
    leptos::task::tick().await;
    w
}

// ---------------------------------------------------------------- the loader's prefetch

/// Leaves `kassaPrefetch` on `host` as the loader does: promises of `{status, body}` and the
/// key they were asked with.
fn set_prefetch(host: &HtmlElement, key: &str, quote_status: u16) {
    let answer = |status: u16, body: &str| {
        let o = Object::new();
        set(&o, "status", &JsValue::from(status));
        set(&o, "body", &if status == 0 { JsValue::NULL } else { JSON::parse(body).unwrap() });
        Promise::resolve(&o)
    };
    let p = Object::new();
    set(&p, "config", &answer(200, &config_json()));
    set(&p, "quote", &answer(quote_status, QUOTE));
    set(&p, "key", &JsValue::from_str(key));
    set(host, "kassaPrefetch", &p);
}

/// The loader's key for this page's requests with the `locale` attribute `locale`.
fn prefetch_key(locale: &str) -> String {
    let mut body = String::from(r#"{"items":"#);
    body.push_str(ITEMS);
    body.push('}');
    let parts = Array::of3(&"https://backend.test".into(), &locale.into(), &body.as_str().into());
    JSON::stringify(&parts).unwrap().into()
}

#[wasm_bindgen_test]
async fn the_loaders_prefetched_answers_are_used_only_for_the_same_requests() {
    let attrs = [("items", ITEMS), ("locale", "en-US")];
    let healthy = || {
        install_fetch();
        route("GET /v1/checkout/config", 200, &config_json());
        route("POST /v1/checkout/quote", 200, QUOTE);
    };

    healthy();
    let w = Widget::mount_prepared(&attrs, |h| set_prefetch(h, &prefetch_key("en-US"), 200));
    w.wait_state("picker").await;
    assert!(calls().is_empty(), "answers made for these very requests are used: {:?}", calls());
    assert!(get(&w.host, "kassaPrefetch").is_undefined(), "the widget takes the property");
    assert!(w.by_testid("kassa-total").text_content().unwrap().contains("450"));
    drop(w);

    healthy();
    let w = Widget::mount_prepared(&attrs, |h| set_prefetch(h, &prefetch_key("de"), 200));
    w.wait_state("picker").await;
    assert_eq!(calls_to("GET", "/v1/checkout/config").len(), 1, "another key: ask again");
    assert_eq!(calls_to("POST", "/v1/checkout/quote").len(), 1, "another key: ask again");
    assert!(get(&w.host, "kassaPrefetch").is_undefined());
    drop(w);

    healthy();
    let w = Widget::mount_prepared(&attrs, |h| set_prefetch(h, &prefetch_key("en-US"), 0));
    w.wait_state("picker").await;
    assert!(calls_to("GET", "/v1/checkout/config").is_empty(), "the config answer is used");
    assert_eq!(calls_to("POST", "/v1/checkout/quote").len(), 1, "no answer (status 0): ask");
}

#[wasm_bindgen_test]
async fn the_loading_screen_keeps_the_placeholders_height() {
    install_fetch();
    route("GET /v1/checkout/config", 200, &config_json());
    route("POST /v1/checkout/quote", 200, QUOTE);
    hold("POST /v1/checkout/quote");
    let w = Widget::mount(&[("items", ITEMS)]);
    w.wait_state("loading").await;
    let root = w.by_testid("kassa-root");
    assert!(
        root.class_list().contains("kassa--placeholder"),
        "while loading, the root wears the loader's placeholder class (its height)"
    );
    let held = || Array::from(&get(&window().into(), "__kassaHeld")).length() > 0;
    until("the quote request to be held", held).await;
    assert_eq!(w.state(), "loading");
    release_held();
    w.wait_state("picker").await;
    assert!(!w.by_testid("kassa-root").class_list().contains("kassa--placeholder"));
}

// ---------------------------------------------------------------- the page's cart

async fn invalid_items_case(items: &str, expected: &str) {
    install_fetch();
    route("GET /v1/checkout/config", 200, &config_json());
    let w = Widget::mount(&[("items", items)]);
    w.wait_state("error").await;
    assert!(w.text().contains(expected), "message must name the problem; got {:?}", w.text());
    // On page load focus stays with the host page, so the live region says what happened.
    assert_eq!(w.by_testid("kassa-live").text_content().unwrap(), w.heading());
    // A request on load would be sent from a task the mount spawned.
    next_task().await;
    assert!(calls().is_empty(), "an invalid cart must send nothing to the backend: {:?}", calls());
}

#[wasm_bindgen_test]
async fn quantity_zero_shows_the_message_and_sends_nothing() {
    invalid_items_case(
        r#"[{"sku":"kayak-2h","quantity":0}]"#,
        "This page's cart is invalid: item 1 has quantity 0; quantities must be 1–99.",
    )
    .await;
}

#[wasm_bindgen_test]
async fn malformed_json_missing_sku_big_quantities_and_long_carts_are_refused() {
    invalid_items_case("[{sku:", "the items attribute is not valid JSON").await;
    invalid_items_case(r#"[{"sku":"a","quantity":1},{"quantity":1}]"#, "item 2 has no sku").await;
    invalid_items_case(r#"[{"sku":"a","quantity":100}]"#, "item 1 has quantity 100").await;
    let many = String::from("[") + &vec![r#"{"sku":"a","quantity":1}"#; 101].join(",") + "]";
    invalid_items_case(&many, "it has 101 items; at most 100").await;
}

// ---------------------------------------------------------------- picker

#[wasm_bindgen_test]
async fn the_picker_is_a_radio_group_named_payment_method() {
    let w = picker_with("card").await;
    let group = w.q("fieldset[role=radiogroup]").expect("a radiogroup fieldset");
    let legend_id = group.get_attribute("aria-labelledby").unwrap();
    let mut sel = String::from("#");
    sel.push_str(&legend_id);
    let legend = w.q(&sel).unwrap();
    assert_eq!(legend.tag_name(), "LEGEND");
    assert_eq!(legend.text_content().unwrap(), "Payment method");
    let radios = group.query_selector_all("input[type=radio]").unwrap();
    let names: Vec<String> = (0..radios.length())
        .map(|i| {
            let radio: Element = radios.get(i).unwrap().unchecked_into();
            radio.closest("label").unwrap().unwrap().text_content().unwrap().trim().to_owned()
        })
        .collect();
    assert_eq!(
        names,
        ["Card", "Vipps", "Card (Stripe)"],
        "radios are named by the merchant's labels"
    );
    assert_eq!(w.events_named("kassa:ready").len(), 1);
    let selected = w.events_named("kassa:method-selected");
    assert_eq!(get(&selected[0], "method").as_string().as_deref(), Some("card"));
    // Cart from the quote.
    assert_eq!(w.by_testid("kassa-merchant").text_content().unwrap(), "Fjord Kayaks");
    assert!(w.by_testid("kassa-cart").text_content().unwrap().contains("Kayak, 2 hours"));
}

#[wasm_bindgen_test]
async fn the_pay_button_is_named_pay_and_the_formatted_total() {
    let w = picker_with("card").await;
    let name = w.by_testid("kassa-pay").text_content().unwrap();
    assert_eq!(name, String::from("Pay ") + &intl_money("en-US", "NOK", "1450.00"));
    assert_eq!(name.replace('\u{a0}', " "), "Pay NOK 1,450.00");
    drop(w);

    install_fetch();
    route("GET /v1/checkout/config", 200, &config_json());
    route("POST /v1/checkout/quote", 200, QUOTE);
    let w = Widget::mount(&[("items", ITEMS), ("locale", "nb_NO")]);
    w.wait_state("picker").await;
    let name = w.by_testid("kassa-pay").text_content().unwrap();
    assert!(
        name.starts_with("Betal ") && name.contains("450,00"),
        "nb-NO words and formatting, got {name:?}"
    );
}

#[wasm_bindgen_test]
async fn only_the_fields_a_method_requires_are_shown_and_checked() {
    let w = picker_with("card").await;
    assert!(w.q("input:not([type=radio])").is_none(), "Card needs no details");
    w.click("kassa-method-vipps");
    leptos::task::tick().await;
    let phone = w.by_testid("kassa-field-phone");
    assert_eq!(phone.get_attribute("type").as_deref(), Some("tel"));
    assert_eq!(phone.get_attribute("autocomplete").as_deref(), Some("tel"));
    assert!(w.q("#kassa-field-email").is_none());
    w.click("kassa-pay");
    leptos::task::tick().await;
    assert_eq!(phone.get_attribute("aria-invalid").as_deref(), Some("true"));
    let described = phone.get_attribute("aria-describedby").unwrap();
    let mut sel = String::from("#");
    sel.push_str(&described);
    assert!(w.q(&sel).unwrap().text_content().unwrap().contains("country code"));
    assert!(calls_to("POST", "/v1/checkout/sessions").is_empty(), "invalid details send nothing");
}

// ---------------------------------------------------------------- sessions

/// Formatters are kept per currency and locale (making one costs up to a millisecond): the
/// second round, from the kept ones, must write exactly what the first did, and no currency
/// or locale may get another's formatter.
#[wasm_bindgen_test]
fn money_and_dates_are_written_per_currency_and_locale_every_time() {
    use kassa_wire::{Currency, Money};
    let nok = Money::from_minor(145_000, Currency::NOK).unwrap();
    let eur = Money::from_minor(1_250, Currency::EUR).unwrap();
    for _ in 0..2 {
        assert_eq!(kassa::format::money(nok, "en-US"), intl_money("en-US", "NOK", "1450.00"));
        assert_eq!(kassa::format::money(eur, "en-US"), intl_money("en-US", "EUR", "12.50"));
        assert_eq!(kassa::format::money(nok, "nb-NO"), intl_money("nb-NO", "NOK", "1450.00"));
        assert_eq!(kassa::format::date("2026-12-01", "en-US"), intl_date("en-US", "2026-12-01"));
        assert_eq!(kassa::format::date("2026-12-01", "de-DE"), intl_date("de-DE", "2026-12-01"));
    }
    assert_ne!(kassa::format::money(nok, "en-US"), kassa::format::money(eur, "en-US"));
    assert_ne!(
        kassa::format::date("2026-12-01", "en-US"),
        kassa::format::date("2026-12-01", "de-DE")
    );
}

#[wasm_bindgen_test]
async fn a_double_click_creates_one_session() {
    let w = picker_with("card").await;
    route(
        "POST /v1/checkout/sessions",
        201,
        &session_json("ks_dbl", "open", "card", Some(&frame_action()), ""),
    );
    hold("POST /v1/checkout/sessions");
    w.click("kassa-pay");
    w.click("kassa-pay");
    w.wait_state("creating").await;
    w.click("kassa-pay");
    let pay = w.by_testid("kassa-pay");
    assert_eq!(pay.get_attribute("aria-disabled").as_deref(), Some("true"));
    assert_eq!(pay.text_content().unwrap(), "Processing…");
    release_held();
    w.wait_state("iframe").await;
    let keys = calls_to("POST", "/v1/checkout/sessions");
    assert_eq!(keys.len(), 1, "one session request for a double click");
    assert_eq!(keys[0].as_deref().map(str::len), Some(36), "an Idempotency-Key (UUID) is sent");
    let body = last_body("POST", "/v1/checkout/sessions");
    assert_eq!(get(&body, "method").as_string().as_deref(), Some("card"));
    assert_eq!(
        get(&body, "quote_id").as_string().as_deref(),
        Some("q1"),
        "the session names the quote whose total the Pay button showed"
    );
    assert!(get(&body, "price").is_undefined());
    let created = w.events_named("kassa:session-created");
    assert_eq!(get(&created[0], "session_id").as_string().as_deref(), Some("ks_dbl"));
    let frame = w.by_testid("kassa-iframe");
    assert_eq!(frame.get_attribute("title").as_deref(), Some("Card payment page"));
}

/// A 409 refusal of a session request for its quote, with a fresh quote `q2` of NOK 1,500.
fn refused_for_quote(code: &str) -> String {
    let fresh = QUOTE
        .replace(r#""id":"q1""#, r#""id":"q2""#)
        .replace(r#""line_total":{"amount_minor":25000"#, r#""line_total":{"amount_minor":30000"#)
        .replace(r#""total":{"amount_minor":145000"#, r#""total":{"amount_minor":150000"#);
    let mut s = String::from(r#"{"code":""#);
    s.push_str(code);
    s.push_str(r#"","message":"The price has changed.","retryable":false,"quote":"#);
    s.push_str(&fresh);
    s.push('}');
    s
}

#[wasm_bindgen_test]
async fn a_changed_price_is_shown_and_pay_buys_the_new_total() {
    let w = picker_with("card").await;
    route("POST /v1/checkout/sessions", 409, &refused_for_quote("price_changed"));
    w.click("kassa-pay");
    until("the price notice", || w.q("[data-testid=kassa-price-changed]").is_some()).await;
    assert_eq!(w.state(), "picker", "the customer decides: nothing is sent by itself");
    assert_eq!(calls_to("POST", "/v1/checkout/sessions").len(), 1);
    let new_total = intl_money("en-US", "NOK", "1500.00");
    let notice = w.by_testid("kassa-price-changed").text_content().unwrap();
    assert!(notice.contains("The price has changed"), "{notice}");
    assert!(notice.contains(&new_total), "{notice}");
    let total = w.by_testid("kassa-total").text_content().unwrap();
    assert!(total.contains(&new_total), "the order summary shows the new quote: {total}");
    assert_eq!(w.by_testid("kassa-pay").text_content().unwrap(), String::from("Pay ") + &new_total);
    route(
        "POST /v1/checkout/sessions",
        201,
        &session_json("ks_new", "open", "card", Some(&frame_action()), ""),
    );
    w.click("kassa-pay");
    w.wait_state("iframe").await;
    let body = last_body("POST", "/v1/checkout/sessions");
    assert_eq!(get(&body, "quote_id").as_string().as_deref(), Some("q2"), "the new quote");
    let keys = calls_to("POST", "/v1/checkout/sessions");
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1], "another request, another idempotency key");
}

#[wasm_bindgen_test]
async fn an_expired_quote_is_renewed_by_itself_once() {
    let w = picker_with("card").await;
    route("POST /v1/checkout/sessions", 409, &refused_for_quote("quote_expired"));
    hold("POST /v1/checkout/sessions");
    w.click("kassa-pay");
    until("the first request", || calls_to("POST", "/v1/checkout/sessions").len() == 1).await;
    route(
        "POST /v1/checkout/sessions",
        201,
        &session_json("ks_renewed", "open", "card", Some(&frame_action()), ""),
    );
    release_held();
    w.wait_state("iframe").await;
    let keys = calls_to("POST", "/v1/checkout/sessions");
    assert_eq!(keys.len(), 2, "one renewal, without a press on Pay");
    assert_ne!(keys[0], keys[1], "the renewal is another request");
    let body = last_body("POST", "/v1/checkout/sessions");
    assert_eq!(get(&body, "quote_id").as_string().as_deref(), Some("q2"));

    drop(w);

    // Expired again right after a renewal: no loop; the customer is told and may pay again.
    let w = picker_with("card").await;
    route("POST /v1/checkout/sessions", 409, &refused_for_quote("quote_expired"));
    w.click("kassa-pay");
    w.wait_state("error").await;
    assert_eq!(calls_to("POST", "/v1/checkout/sessions").len(), 2, "one renewal only");
}

#[wasm_bindgen_test]
async fn a_retry_after_a_network_error_reuses_the_key_and_try_again_does_not() {
    let w = picker_with("card").await;
    reject("POST /v1/checkout/sessions");
    w.click("kassa-pay");
    w.wait_state("error").await;
    assert_eq!(w.heading(), "We can't reach the checkout service right now.");
    route("POST /v1/checkout/sessions", 201, &session_json("ks_r", "failed", "card", None, ""));
    w.click("kassa-retry");
    w.wait_state("failed").await;
    let keys = calls_to("POST", "/v1/checkout/sessions");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1], "the retried request carries the same key");
    w.click("kassa-try-again");
    until("third session request", || calls_to("POST", "/v1/checkout/sessions").len() == 3).await;
    let keys = calls_to("POST", "/v1/checkout/sessions");
    assert_ne!(keys[2], keys[0], "a new attempt gets a new key");
}

#[wasm_bindgen_test]
async fn a_disallowed_action_url_is_refused() {
    let w = picker_with("card").await;
    let evil = r#"{"type":"iframe","url":"https://evil.example/pay"}"#;
    route(
        "POST /v1/checkout/sessions",
        201,
        &session_json("ks_evil", "open", "card", Some(evil), ""),
    );
    w.click("kassa-pay");
    w.wait_state("error").await;
    assert!(
        w.heading().contains("not one this shop allows"),
        "says the address is refused: {}",
        w.heading()
    );
    assert!(w.q("iframe").is_none(), "nothing is framed");
    let errors = w.events_named("kassa:error");
    assert_eq!(get(&errors[0], "code").as_string().as_deref(), Some("url_refused"));

    // A javascript: redirect is refused and the page stays.
    let href = window().location().href().unwrap();
    w.click("kassa-choose-another");
    w.wait_state("picker").await;
    let js = r#"{"type":"redirect","url":"javascript:alert(1)"}"#;
    route("POST /v1/checkout/sessions", 201, &session_json("ks_js", "open", "card", Some(js), ""));
    w.click("kassa-pay");
    w.wait_state("error").await;
    assert_eq!(window().location().href().unwrap(), href);
}

async fn settled_heading(state: &str, extra: &str) -> Widget {
    let w = picker_with("card").await;
    route("POST /v1/checkout/sessions", 201, &session_json("ks_s", state, "card", None, extra));
    w.click("kassa-pay");
    w.wait_state(state).await;
    w
}

#[wasm_bindgen_test]
async fn each_status_screen_has_its_heading_and_way_on() {
    let receipt = r#","receipt":{"amount":{"amount_minor":145000,"currency":"NOK"},"provider_reference":"pf_77","paid_at":1}"#;
    let w = settled_heading("paid", receipt).await;
    assert_eq!(w.heading(), "Payment received");
    assert_eq!(
        w.by_testid("kassa-receipt-amount").text_content().unwrap(),
        intl_money("en-US", "NOK", "1450.00")
    );
    assert_eq!(w.by_testid("kassa-receipt-reference").text_content().unwrap(), "ks_s");
    assert_eq!(w.by_testid("kassa-receipt-provider-reference").text_content().unwrap(), "pf_77");
    until("focus on the new heading", || {
        w.shadow.active_element().is_some_and(|e| e.tag_name() == "H2")
    })
    .await;
    // The focused heading says it; the live region saying it too would say it twice.
    assert_eq!(w.by_testid("kassa-live").text_content().unwrap(), "", "said once, by the heading");
    let paid = w.events_named("kassa:paid");
    assert_eq!(get(&paid[0], "amount_minor").as_f64(), Some(145000.0));
    assert_eq!(get(&paid[0], "currency").as_string().as_deref(), Some("NOK"));
    drop(w);

    let w = settled_heading("failed", "").await;
    assert_eq!(w.heading(), "Payment failed");
    assert_eq!(w.by_testid("kassa-try-again").text_content().unwrap(), "Try again");
    assert_eq!(
        w.by_testid("kassa-choose-another").text_content().unwrap(),
        "Choose another method"
    );
    assert_eq!(w.events_named("kassa:failed").len(), 1);
    drop(w);

    let w = settled_heading("cancelled", "").await;
    assert_eq!(w.heading(), "Payment cancelled");
    assert_eq!(
        w.by_testid("kassa-choose-method").text_content().unwrap(),
        "Choose a payment method"
    );
    w.click("kassa-choose-method");
    w.wait_state("picker").await;
    drop(w);

    let w = settled_heading("expired", "").await;
    assert_eq!(w.heading(), "Session expired");
    w.click("kassa-start-over");
    w.wait_state("picker").await;
    assert_eq!(calls_to("POST", "/v1/checkout/quote").len(), 2, "start over prices the cart again");
}

#[wasm_bindgen_test]
async fn an_api_error_message_is_shown() {
    let w = picker_with("card").await;
    route(
        "POST /v1/checkout/sessions",
        422,
        r#"{"code":"unknown_sku","message":"We no longer sell life jackets.","retryable":false}"#,
    );
    w.click("kassa-pay");
    w.wait_state("error").await;
    assert_eq!(w.heading(), "We no longer sell life jackets.");
    assert!(w.q("[data-testid=kassa-choose-another]").is_some());
}

#[wasm_bindgen_test]
async fn a_provider_refusal_is_told_in_the_customers_language_with_the_reference() {
    install_fetch();
    route("GET /v1/checkout/config", 200, &config_json());
    route("POST /v1/checkout/quote", 200, QUOTE);
    let w = Widget::mount(&[("items", ITEMS), ("locale", "nb")]);
    w.wait_state("picker").await;
    w.click("kassa-method-card");
    leptos::task::tick().await;
    route(
        "POST /v1/checkout/sessions",
        502,
        r#"{"code":"provider_rejected","message":"the payment provider refused this payment; `detail` gives its reason","retryable":false,
            "detail":"front_payment rejected the request: an 11-digit personal number is required","reference":"ks_ref42"}"#,
    );
    w.click("kassa-pay");
    w.wait_state("error").await;
    assert_eq!(
        w.heading(),
        "Betalingsleverandøren avviste betalingen. Velg en annen betalingsmåte."
    );
    let text = w.text();
    assert!(text.contains("Ordrereferansen din er ks_ref42."), "the reference is given: {text}");
    assert!(
        !text.contains("front_payment") && !text.contains("refused"),
        "no developer words: {text}"
    );
    // Shown once; the visually hidden live region says the heading to screen readers.
    let shown = w.by_testid("kassa-status").text_content().unwrap_or_default();
    assert_eq!(shown.matches("Betalingsleverandøren").count(), 1, "said once: {shown}");
    assert!(shown.contains("Ordrereferansen din er ks_ref42."), "the reference is shown: {shown}");
    assert!(w.q("[data-testid=kassa-choose-another]").is_some());
}

#[wasm_bindgen_test]
async fn a_private_invoice_in_a_country_the_method_does_not_serve_is_said_at_the_number() {
    install_fetch();
    let invoice = config_json().replace(
        r#""required_fields":["phone"]"#,
        r#""required_fields":["customer_type","personal_number","country"],"personal_number_countries":["NO"]"#,
    );
    route("GET /v1/checkout/config", 200, &invoice);
    route("POST /v1/checkout/quote", 200, QUOTE);
    let w = Widget::mount(&[("items", ITEMS), ("locale", "sv")]);
    w.wait_state("picker").await;
    w.click("kassa-method-vipps");
    leptos::task::tick().await;
    let choose = |code: &str| {
        let select = w.by_testid("kassa-field-country");
        js_sys::Reflect::set(&select, &"value".into(), &code.into()).unwrap();
        select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    };
    let error =
        || w.q("#kassa-error-personal_number").and_then(|e| e.text_content()).unwrap_or_default();
    let refused = "Faktura till privatpersoner erbjuds inte i det här landet.";
    until("the country list", || w.q("#kassa-field-country").is_some()).await;
    choose("SE");
    until("the number's error", || error() == refused).await;
    let field = w.q("#kassa-field-personal_number").unwrap();
    assert_eq!(field.get_attribute("aria-invalid").as_deref(), Some("true"));
    // A right Swedish number does not help, and Pay sends nothing.
    let number: web_sys::HtmlInputElement = field.unchecked_into();
    number.set_value("811218-9876");
    number.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    w.click("kassa-pay");
    leptos::task::tick().await;
    assert_eq!(error(), refused);
    assert!(calls_to("POST", "/v1/checkout/sessions").is_empty(), "nothing was sent");
    // Norway is served: the country's verdict goes, the number's own rule speaks.
    choose("NO");
    until("the number read in Norway", || error() != refused).await;
    assert!(!error().is_empty(), "a Swedish number is not a Norwegian one");
}

// ---------------------------------------------------------------- backend down

#[wasm_bindgen_test]
async fn an_unreachable_backend_shows_retry_and_recovers() {
    install_fetch();
    reject("GET /v1/checkout/config");
    reject("POST /v1/checkout/quote");
    let w = Widget::mount(&[("items", ITEMS)]);
    w.wait_state("error").await;
    assert_eq!(w.heading(), "We can't reach the checkout service right now.");
    assert_eq!(w.by_testid("kassa-retry").text_content().unwrap(), "Retry");
    route("GET /v1/checkout/config", 200, &config_json());
    route("POST /v1/checkout/quote", 200, QUOTE);
    w.click("kassa-retry");
    w.wait_state("picker").await;
}

#[wasm_bindgen_test]
async fn a_5xx_counts_as_unreachable() {
    install_fetch();
    route(
        "GET /v1/checkout/config",
        503,
        r#"{"code":"internal","message":"Down for maintenance.","retryable":true}"#,
    );
    route("POST /v1/checkout/quote", 200, QUOTE);
    let w = Widget::mount(&[("items", ITEMS)]);
    w.wait_state("error").await;
    assert_eq!(w.heading(), "We can't reach the checkout service right now.");
    assert!(w.text().contains("Down for maintenance."));
}

// ---------------------------------------------------------------- return from the provider

fn set_page_query(query: &str) {
    let mut url = window().location().pathname().unwrap();
    url.push_str(query);
    window().history().unwrap().replace_state_with_url(&JsValue::NULL, "", Some(&url)).unwrap();
}

#[wasm_bindgen_test]
async fn a_return_url_is_confirmed_with_the_backend_not_trusted() {
    install_fetch();
    route(
        "GET /v1/checkout/sessions/ks_ret",
        200,
        &session_json("ks_ret", "open", "card", None, ""),
    );
    set_page_query("?kassa_session=ks_ret&kassa_return=success");
    let w = Widget::mount(&[("items", ITEMS)]);
    w.wait_state("confirming").await;
    assert_eq!(w.heading(), "Confirming your payment…");
    until("a second poll", || calls_to("GET", "/v1/checkout/sessions/ks_ret").len() >= 2).await;
    assert_eq!(w.state(), "confirming", "an open session is not shown as paid");
    let receipt = r#","receipt":{"amount":{"amount_minor":145000,"currency":"NOK"},"provider_reference":"pf_1","paid_at":1}"#;
    route(
        "GET /v1/checkout/sessions/ks_ret",
        200,
        &session_json("ks_ret", "paid", "card", None, receipt),
    );
    w.wait_state("paid").await;
    // Back from paying, focus goes to the news (the customer came back for it), and the
    // heading alone says it.
    until("focus on the receipt's heading", || {
        w.shadow
            .active_element()
            .is_some_and(|e| e.text_content().as_deref() == Some("Payment received"))
    })
    .await;
    assert_eq!(w.by_testid("kassa-live").text_content().unwrap(), "", "said once, by the heading");
    assert!(calls_to("GET", "/v1/checkout/config").is_empty(), "confirming needs no config");
    set_page_query("");
}

#[wasm_bindgen_test]
async fn a_cancel_return_cancels_an_open_session() {
    install_fetch();
    route("GET /v1/checkout/sessions/ks_c", 200, &session_json("ks_c", "open", "card", None, ""));
    route(
        "POST /v1/checkout/sessions/ks_c/cancel",
        200,
        &session_json("ks_c", "cancelled", "card", None, ""),
    );
    set_page_query("?kassa_session=ks_c&kassa_return=cancel");
    let w = Widget::mount(&[("items", ITEMS)]);
    w.wait_state("cancelled").await;
    assert_eq!(calls_to("POST", "/v1/checkout/sessions/ks_c/cancel").len(), 1);
    route("GET /v1/checkout/config", 200, &config_json());
    route("POST /v1/checkout/quote", 200, QUOTE);
    w.click("kassa-choose-method");
    w.wait_state("picker").await;
    assert!(!window().location().search().unwrap().contains("kassa_session"), "params stripped");
    set_page_query("");
}

// ---------------------------------------------------------------- iframe

#[wasm_bindgen_test]
async fn the_iframe_accepts_a_return_message_only_from_its_own_frame() {
    let w = picker_with("card").await;
    route(
        "POST /v1/checkout/sessions",
        201,
        &session_json("ks_f", "open", "card", Some(&frame_action()), ""),
    );
    route("GET /v1/checkout/sessions/ks_f", 200, &session_json("ks_f", "failed", "card", None, ""));
    w.click("kassa-pay");
    w.wait_state("iframe").await;
    let search = || window().location().search().unwrap();
    assert!(
        search().contains("kassa_session=ks_f") && search().contains("kassa_widget="),
        "the address names the framed session, for a reload: {}",
        search()
    );

    // From the page itself (wrong source): ignored.
    let msg =
        JSON::parse(r#"{"type":"kassa:return","session":"ks_f","outcome":"success"}"#).unwrap();
    window().post_message(&msg, &origin()).unwrap();
    after_posted_messages().await;
    assert_eq!(w.state(), "iframe", "a message from another window is ignored");

    // From the frame, same origin, right shape: accepted.
    let frame: web_sys::HtmlIFrameElement = w.by_testid("kassa-iframe").unchecked_into();
    until("frame loaded", || {
        frame.content_window().and_then(|cw| cw.document()).is_some_and(|d| {
            d.ready_state() == "complete"
                && d.url().map(|u| u.contains("pay-frame")).unwrap_or(false)
        })
    })
    .await;
    let child = frame.content_window().unwrap();
    let child_function: Function = get(&child, "Function").unchecked_into();
    let poster: Function = child_function
        .call1(
            &JsValue::NULL,
            &JsValue::from_str(
                "parent.postMessage({type:'kassa:return',session:'ks_f',outcome:'success'}, location.origin)",
            ),
        )
        .unwrap()
        .unchecked_into();
    poster.call0(&JsValue::NULL).unwrap();
    w.wait_state("failed").await;
    w.host.remove();
    // The element unmounts in a microtask after its removal.
    until("removing the widget clears the address", || !search().contains("kassa_session")).await;
}

#[wasm_bindgen_test]
async fn choose_another_way_to_pay_cancels_and_returns_to_the_picker() {
    let w = picker_with("card").await;
    route(
        "POST /v1/checkout/sessions",
        201,
        &session_json("ks_l", "open", "card", Some(&frame_action()), ""),
    );
    route(
        "POST /v1/checkout/sessions/ks_l/cancel",
        200,
        &session_json("ks_l", "cancelled", "card", None, ""),
    );
    w.click("kassa-pay");
    w.wait_state("iframe").await;
    assert_eq!(w.by_testid("kassa-leave").text_content().unwrap(), "Choose another way to pay");
    w.click("kassa-leave");
    w.wait_state("picker").await;
    assert_eq!(calls_to("POST", "/v1/checkout/sessions/ks_l/cancel").len(), 1);
}

// ---------------------------------------------------------------- stripe embedded

/// A stand-in for `Stripe()` that counts what the widget does and is as strict as Stripe.js:
/// it refuses a mount target outside the document tree (a shadow root), a second instance
/// while one lives or is starting, and a second `destroy()`; each refusal is recorded in
/// `errors`. `window.__stripeMode` picks the train (`dahlia`) and faults (`throwInit`,
/// `holdInit`: starts wait in `pending` until called).
fn install_fake_stripe() {
    let factory = Function::new_no_args(
        r#"
        window.__stripe = { constructed: 0, created: 0, mounted: 0, destroyed: 0, live: 0,
          starting: 0, errors: [], pending: [], last: null, el: null };
        window.__stripeMode = { dahlia: false, throwInit: false, holdInit: false };
        window.Stripe = function (pk, opts) {
          var s = window.__stripe, m = window.__stripeMode;
          s.constructed++;
          var create = function (o) {
            if (m.throwInit) { throw new Error("IntegrationError: injected"); }
            if (s.live + s.starting > 0) {
              s.errors.push("multiple");
              return Promise.reject(new Error("You cannot have multiple Embedded Checkout objects."));
            }
            s.starting++;
            var go = function () {
              return o.fetchClientSecret().then(function (secret) {
                s.starting--; s.created++; s.live++;
                s.last = { secret: secret, pk: pk, opts: opts, onComplete: o.onComplete };
                var destroyed = false;
                return {
                  mount: function (el) {
                    if (el.getRootNode() !== document) {
                      s.errors.push("not in the light DOM");
                      throw new Error("Elements cannot be mounted in a ShadowRoot. Please mount in the Light DOM.");
                    }
                    s.mounted++; s.el = el;
                  },
                  destroy: function () {
                    if (destroyed) { s.errors.push("destroyed twice"); throw new Error("destroyed"); }
                    destroyed = true; s.destroyed++; s.live--;
                  }
                };
              });
            };
            if (m.holdInit) {
              return new Promise(function (resolve) { s.pending.push(function () { resolve(go()); }); });
            }
            return go();
          };
          if (m.dahlia) {
            return { createEmbeddedCheckoutPage: create,
              initEmbeddedCheckout: function () { s.errors.push("old name on dahlia"); throw new Error("removed"); } };
          }
          return { initEmbeddedCheckout: create };
        };
        "#,
    );
    factory.call0(&JsValue::NULL).unwrap();
}

fn stripe_stat(key: &str) -> f64 {
    get(&get(&window().into(), "__stripe"), key).as_f64().unwrap()
}

fn stripe_errors() -> Vec<String> {
    let errors: Array = get(&get(&window().into(), "__stripe"), "errors").unchecked_into();
    errors.iter().filter_map(|e| e.as_string()).collect()
}

fn stripe_mode(key: &str, on: bool) {
    set(&get(&window().into(), "__stripeMode"), key, &JsValue::from_bool(on));
}

/// The widget's light-DOM mount nodes.
fn mount_nodes(w: &Widget) -> u32 {
    w.host.query_selector_all("kassa-stripe-mount").unwrap().length()
}

/// A widget at the picker with the Stripe method chosen, an email typed, and the session
/// routes for `id` (open, with the client secret `secret`; cancel answers cancelled).
async fn stripe_ready(id: &str, secret: &str, account: Option<&str>) -> Widget {
    let w = picker_with("stripe").await;
    w.by_testid("kassa-field-email")
        .unchecked_into::<web_sys::HtmlInputElement>()
        .set_value("kari@example.no");
    w.by_testid("kassa-field-email")
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    let mut action = String::from(r#"{"type":"stripe_embedded","client_secret":""#);
    action.push_str(secret);
    action.push_str(r#"","publishable_key":"pk_1""#);
    if let Some(account) = account {
        action.push_str(r#","stripe_account":""#);
        action.push_str(account);
        action.push('"');
    }
    action.push('}');
    route(
        "POST /v1/checkout/sessions",
        201,
        &session_json(id, "open", "stripe", Some(&action), ""),
    );
    let mut cancel = String::from("POST /v1/checkout/sessions/");
    cancel.push_str(id);
    cancel.push_str("/cancel");
    route(&cancel, 200, &session_json(id, "cancelled", "stripe", None, ""));
    w
}

#[wasm_bindgen_test]
async fn stripe_embedded_keeps_exactly_one_instance() {
    install_fake_stripe();
    let w = stripe_ready("ks_e", "cs_1", Some("acct_9")).await;
    w.click("kassa-pay");
    w.wait_state("embedded").await;
    until("mounted", || stripe_stat("mounted") == 1.0).await;
    let last = get(&get(&window().into(), "__stripe"), "last");
    assert_eq!(get(&last, "secret").as_string().as_deref(), Some("cs_1"));
    assert_eq!(get(&get(&last, "opts"), "stripeAccount").as_string().as_deref(), Some("acct_9"));
    let el: Element = get(&get(&window().into(), "__stripe"), "el").unchecked_into();
    assert_eq!(el.local_name(), "kassa-stripe-mount");
    assert_eq!(el.parent_element().as_ref(), Some(w.host.as_ref()), "a child of the host");
    assert_eq!(el.get_attribute("slot").as_deref(), Some("kassa-stripe"));
    assert!(!w.shadow.contains(Some(&el)), "not inside the shadow root");
    assert!(w.q("slot[name=kassa-stripe]").is_some(), "the shadow root shows it through a slot");
    assert_eq!(kassa::embed::stripe::live_instances(), 1);

    // Leave and come back: the old instance and its node go before the new one lives.
    w.click("kassa-leave");
    w.wait_state("picker").await;
    assert_eq!(stripe_stat("live"), 0.0, "leaving destroys the instance");
    assert_eq!(mount_nodes(&w), 0, "leaving removes the mount node");
    w.click("kassa-pay");
    w.wait_state("embedded").await;
    until("second mount", || stripe_stat("mounted") == 2.0).await;
    assert_eq!(stripe_stat("live"), 1.0, "exactly one instance alive");
    assert_eq!(mount_nodes(&w), 1);
    assert_eq!(stripe_stat("constructed"), 1.0, "one Stripe() per key and account, reused");

    // Completion goes to confirming and asks the backend.
    let receipt = r#","receipt":{"amount":{"amount_minor":145000,"currency":"NOK"},"provider_reference":"pi_1","paid_at":1}"#;
    route(
        "GET /v1/checkout/sessions/ks_e",
        200,
        &session_json("ks_e", "paid", "stripe", None, receipt),
    );
    let on_complete: Function =
        get(&get(&get(&window().into(), "__stripe"), "last"), "onComplete").unchecked_into();
    on_complete.call0(&JsValue::NULL).unwrap();
    w.wait_state("paid").await;
    assert_eq!(stripe_stat("live"), 0.0, "the instance is destroyed when its screen goes");
    assert_eq!(mount_nodes(&w), 0);
    assert_eq!(stripe_errors(), Vec::<String>::new());
}

#[wasm_bindgen_test]
async fn dahlia_stripe_js_is_started_with_create_embedded_checkout_page() {
    install_fake_stripe();
    stripe_mode("dahlia", true);
    let w = stripe_ready("ks_d", "cs_d", None).await;
    w.click("kassa-pay");
    w.wait_state("embedded").await;
    until("mounted", || stripe_stat("mounted") == 1.0).await;
    assert_eq!(stripe_errors(), Vec::<String>::new(), "the old name was not called");
    w.click("kassa-leave");
    w.wait_state("picker").await;
    assert_eq!(stripe_stat("live"), 0.0);
}

#[wasm_bindgen_test]
async fn a_stripe_js_that_throws_offers_try_again_and_leaves_no_node() {
    install_fake_stripe();
    stripe_mode("throwInit", true);
    let w = stripe_ready("ks_t", "cs_t", None).await;
    w.click("kassa-pay");
    w.wait_state("error").await;
    assert!(w.text().contains("We couldn't start the card form."), "{}", w.text());
    assert_eq!(w.by_testid("kassa-embed-retry").text_content().as_deref(), Some("Try again"));
    assert_eq!(
        w.by_testid("kassa-leave").text_content().as_deref(),
        Some("Choose another way to pay")
    );
    assert_eq!(mount_nodes(&w), 0, "no node is left behind");
    let errors = w.events_named("kassa:error");
    assert_eq!(errors.len(), 1);
    assert_eq!(get(&errors[0], "code").as_string().as_deref(), Some("embed_failed"));

    // "Try again" starts the same session's card form afresh.
    stripe_mode("throwInit", false);
    w.click("kassa-embed-retry");
    w.wait_state("embedded").await;
    until("mounted after Try again", || stripe_stat("mounted") == 1.0).await;
    let last = get(&get(&window().into(), "__stripe"), "last");
    assert_eq!(get(&last, "secret").as_string().as_deref(), Some("cs_t"));
    assert_eq!(mount_nodes(&w), 1);
    w.click("kassa-leave");
    w.wait_state("picker").await;
    assert_eq!(stripe_stat("live"), 0.0);
}

#[wasm_bindgen_test]
async fn a_session_that_expired_before_mounting_is_shown_as_expired() {
    install_fake_stripe();
    let w = stripe_ready("ks_x2", "cs_x2", None).await;
    route(
        "GET /v1/checkout/sessions/ks_x2",
        200,
        &session_json("ks_x2", "expired", "stripe", None, ""),
    );
    w.click("kassa-pay");
    w.wait_state("expired").await;
    assert_eq!(stripe_stat("created"), 0.0, "Stripe is not started for an expired session");
    assert_eq!(mount_nodes(&w), 0);
}

#[wasm_bindgen_test]
async fn a_second_start_waits_for_the_first_that_is_still_starting() {
    install_fake_stripe();
    stripe_mode("holdInit", true);
    let w = stripe_ready("ks_h", "cs_h", None).await;
    w.click("kassa-pay");
    w.wait_state("embedded").await;
    until("the first start", || stripe_stat("starting") == 1.0).await;
    // The customer leaves and comes back while Stripe is still starting the first one.
    w.click("kassa-leave");
    w.wait_state("picker").await;
    w.click("kassa-pay");
    w.wait_state("embedded").await;
    // Had the second start not waited for the first, the fake (as strict as Stripe.js) would
    // have refused it with "multiple Embedded Checkout objects": `stripe_errors()` below.
    stripe_mode("holdInit", false);
    let pending: Array = get(&get(&window().into(), "__stripe"), "pending").unchecked_into();
    pending.get(0).unchecked_into::<Function>().call0(&JsValue::NULL).unwrap();
    until("the second mounts", || stripe_stat("mounted") == 1.0).await;
    assert_eq!(stripe_stat("created"), 2.0);
    assert_eq!(stripe_stat("destroyed"), 1.0, "the first, unwanted, was destroyed once");
    assert_eq!(stripe_stat("live"), 1.0);
    assert_eq!(stripe_errors(), Vec::<String>::new());
    assert_eq!(mount_nodes(&w), 1);
    w.click("kassa-leave");
    w.wait_state("picker").await;
}

#[wasm_bindgen_test]
async fn removing_the_element_destroys_the_embedded_checkout() {
    install_fake_stripe();
    let w = stripe_ready("ks_x", "cs_2", None).await;
    w.click("kassa-pay");
    until("mounted", || stripe_stat("mounted") == 1.0).await;
    w.host.remove();
    until("destroyed", || stripe_stat("destroyed") == 1.0).await;
    assert_eq!(kassa::embed::stripe::live_instances(), 0);
    assert_eq!(mount_nodes(&w), 0, "the mount node went with it");
}

// ---------------------------------------------------------------- shadow DOM and styles

#[wasm_bindgen_test]
async fn styles_come_from_a_stylesheet_link_in_an_open_shadow_root() {
    let w = picker_with("card").await;
    let link = w.shadow.query_selector("link[rel=stylesheet]").unwrap().expect("a stylesheet link");
    let mut expected = origin();
    expected.push_str("/kassa.css");
    assert_eq!(link.get_attribute("href").as_deref(), Some(expected.as_str()));
    assert!(
        w.shadow.query_selector("style, [style]").unwrap().is_none(),
        "no inline styles (strict CSP)"
    );
    assert!(w.host.query_selector("*").unwrap().is_none(), "nothing leaks into the light DOM");
}

// ---------------------------------------------------------------- lifecycle

#[wasm_bindgen_test]
async fn changing_the_items_attribute_prices_the_new_cart() {
    let w = picker_with("card").await;
    assert_eq!(calls_to("POST", "/v1/checkout/quote").len(), 1);
    w.host.set_attribute("items", r#"[{"sku":"kayak-2h","quantity":3}]"#).unwrap();
    until("a second quote", || calls_to("POST", "/v1/checkout/quote").len() == 2).await;
    let body = last_body("POST", "/v1/checkout/quote");
    let items: Array = get(&body, "items").unchecked_into();
    assert_eq!(get(&items.get(0), "quantity").as_f64(), Some(3.0));
    let shadow = w.host.shadow_root().unwrap();
    until("picker again", || {
        shadow
            .query_selector(".kassa")
            .unwrap()
            .and_then(|r| r.get_attribute("data-state"))
            .as_deref()
            == Some("picker")
    })
    .await;
}

#[wasm_bindgen_test]
async fn focus_stays_with_the_page_on_load() {
    let w = picker_with("card").await;
    drop(w);
    install_fetch();
    route("GET /v1/checkout/config", 200, &config_json());
    route("POST /v1/checkout/quote", 200, QUOTE);
    let w = Widget::mount(&[("items", ITEMS)]);
    w.wait_state("picker").await;
    // Focus moves from a zero-delay timer set as the screen is drawn (`components/checkout.rs`).
    next_task().await;
    assert!(w.shadow.active_element().is_none(), "loading the widget must not move focus into it");
}

// ---------------------------------------------------------------- customer details, holds

#[wasm_bindgen_test]
async fn the_customer_type_shows_the_matching_number_and_known_details_are_prefilled() {
    install_fetch();
    let invoice = config_json().replace(
        r#""required_fields":["phone"]"#,
        r#""required_fields":["customer_type","name","personal_number","organisation_id"]"#,
    );
    route("GET /v1/checkout/config", 200, &invoice);
    route("POST /v1/checkout/quote", 200, QUOTE);
    let w = Widget::mount(&[
        ("items", ITEMS),
        ("locale", "en"),
        ("customer-name", "Kari Nordmann"),
        ("customer-phone", "+47 912 34 567"),
    ]);
    w.wait_state("picker").await;
    w.click("kassa-method-vipps");
    leptos::task::tick().await;
    let name: web_sys::HtmlInputElement = w.by_testid("kassa-field-name").unchecked_into();
    until("the name filled in", || name.value() == "Kari Nordmann").await;
    assert_eq!(
        name.value(),
        "Kari Nordmann",
        "the page's customer name is filled in (host attr {:?}, html {:?})",
        w.host.get_attribute("customer-name"),
        w.q(".kassa-fields").map(|f| f.outer_html())
    );
    assert_eq!(name.autocomplete(), "name");
    assert!(w.q("#kassa-field-phone").is_none(), "a detail the method does not need is not asked");
    // A private person at first, so the personal number is asked and the company's is not.
    let private: web_sys::HtmlInputElement = w.by_testid("kassa-customer-private").unchecked_into();
    assert!(private.checked(), "the customer is a private person unless they say otherwise");
    assert!(
        w.q("#kassa-field-personal_number").is_some()
            && w.q("#kassa-field-organisation_id").is_none()
    );

    w.click("kassa-customer-corporate");
    leptos::task::tick().await;
    let org = w.q("#kassa-field-organisation_id").expect("a company is asked for its number");
    assert_eq!(org.get_attribute("inputmode").as_deref(), Some("numeric"));
    assert!(w.q("#kassa-field-personal_number").is_none());
    w.click("kassa-customer-private");
    leptos::task::tick().await;
    assert!(
        w.q("#kassa-field-personal_number").is_some()
            && w.q("#kassa-field-organisation_id").is_none()
    );

    // Pay with the number missing: the error is tied to its field and nothing is sent.
    w.click("kassa-pay");
    leptos::task::tick().await;
    let field = w.q("#kassa-field-personal_number").unwrap();
    assert_eq!(field.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        field.get_attribute("aria-describedby").as_deref(),
        Some("kassa-error-personal_number")
    );
    let error = w.q("#kassa-error-personal_number").unwrap();
    assert_eq!(error.get_attribute("aria-live").as_deref(), Some("polite"));
    assert!(error.text_content().unwrap_or_default().contains("11 digits"));
    assert!(calls_to("POST", "/v1/checkout/sessions").is_empty(), "nothing was sent");
}

#[wasm_bindgen_test]
async fn a_booking_hold_counts_down_and_offers_to_book_again_when_it_runs_out() {
    let w = picker_with("card").await;
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let mut extra = String::from(r#","expires_at":"#);
    extra.push_str(&(now + 2).to_string());
    route(
        "POST /v1/checkout/sessions",
        201,
        &session_json("ks_hold", "open", "card", Some(&frame_action()), &extra),
    );
    w.click("kassa-pay");
    w.wait_state("iframe").await;
    let hold = w.by_testid("kassa-hold").text_content().unwrap_or_default();
    assert!(hold.contains("The hold ends in"), "the time left is shown: {hold}");
    w.wait_state("expired").await;
    assert!(w.text().contains("The hold on your booking ran out"), "says so: {}", w.text());
    assert!(w.q("iframe").is_none(), "the provider's page is gone");
    assert_eq!(w.by_testid("kassa-start-over").text_content().as_deref(), Some("Book again"));
    assert_eq!(w.events_named("kassa:expired").len(), 1);
}
