//! Kassa: a drop-in checkout widget, compiled to WebAssembly.
//!
//! `www/kassa.js` (a classic script) loads this module and calls [`start`], which registers
//! the `<kassa-checkout>` custom element. Each element mounts the widget in its own open
//! shadow root, styled only by `kassa.css` from the widget's origin (no inline styles, so a
//! strict Content-Security-Policy works).
//!
//! Map: `options` reads the element's attributes, `api` talks to the merchant backend
//! (gloo-net, serde-wasm-bindgen). The pure rules, one job each and host-tested: `screen`
//! (what is shown), `outcome` (what a session answer means), `problem` (failures in words),
//! `attempt` (idempotency keys, a refused quote), `poll` (asking until a session settles),
//! `returns` (the way back from a provider), `customer` (the customer's details). `flow` runs them with Leptos
//! resources, actions and owners; `components` and `embed` (frames, Stripe) draw it all;
//! `navigate` guards every URL, `lang` picks the language and its texts
//! (`src/locales/*.json`), `format` writes money, dates and time left through `Intl`.
//!
//! Besides the element, `www/kassa.js` offers `Kassa.mount(element, options)`; the element's
//! `customer-*` attributes prefill the details a method needs, and its `id` names it in the
//! return URL (`kassa_widget`), so that of several widgets only the right one resumes.

pub mod api;
pub mod attempt;
pub mod components;
pub mod countries;
pub mod customer;
pub mod embed;
#[cfg(test)]
mod fixtures;
pub mod flow;
pub mod format;
pub mod lang;
pub mod navigate;
pub mod options;
pub mod outcome;
pub mod poll;
pub mod problem;
pub mod returns;
pub mod screen;

use std::cell::RefCell;

use js_sys::JSON;
use kassa_wire::{RETURN_OUTCOME_PARAM, RETURN_SESSION_PARAM};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::{components::checkout::Checkout, flow::Setup, options::RawCart};

/// The custom element's tag name.
pub const TAG: &str = "kassa-checkout";

#[wasm_bindgen(inline_js = r#"
export function define_element(name, mount) {
  if (customElements.get(name)) return;
  customElements.define(name, class extends HTMLElement {
    static get observedAttributes() { return ["items", "endpoint", "locale"]; }
    connectedCallback() { if (!this.__kassa) this.__kassa = mount(this); }
    disconnectedCallback() {
      var el = this;
      // A move within the page reconnects at once; only a real removal unmounts.
      queueMicrotask(function () {
        if (!el.isConnected && el.__kassa) { var k = el.__kassa; el.__kassa = null; k.free(); }
      });
    }
    attributeChangedCallback(n, old, now) {
      if (this.__kassa && old !== now) {
        var k = this.__kassa; this.__kassa = null; k.free(); this.__kassa = mount(this);
      }
    }
  });
}
"#)]
extern "C" {
    fn define_element(name: &str, mount: &JsValue);
}

thread_local! {
    /// `(base_url, default_endpoint)` from the loader.
    static SETUP: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Where the widget's files are (`kassa.css`, `marks/`), as the loader found its own URL:
/// no trailing `/`; empty before the loader called [`start`].
pub fn bundle_base() -> String {
    SETUP.with(|s| s.borrow().as_ref().map(|(base, _)| base.clone())).unwrap_or_default()
}

/// Entry point called by the loader: remembers where the widget's files are (`base_url`,
/// for `kassa.css`) and the backend named by the script tag, then registers
/// `<kassa-checkout>`. Elements already in the page upgrade now.
#[wasm_bindgen]
pub fn start(base_url: String, default_endpoint: String) {
    let first = SETUP.with(|s| s.borrow_mut().replace((base_url, default_endpoint)).is_none());
    if first {
        let cb = Closure::<dyn FnMut(HtmlElement) -> JsValue>::new(|el: HtmlElement| {
            mount(el).map_or(JsValue::NULL, JsValue::from)
        });
        define_element(TAG, cb.as_ref());
        cb.forget();
    }
}

/// A mounted widget. Dropping it (`free()` from the element) unmounts the view, stops its
/// requests and destroys any embedded checkout.
#[wasm_bindgen]
pub struct Mounted {
    _handle: Box<dyn core::any::Any>,
    widget: String,
}

impl Drop for Mounted {
    /// Takes this widget's session out of the address at once (the reactive owner's own
    /// cleanup waits for its last pending task), so nothing of it is left for a reload.
    fn drop(&mut self) {
        flow::forget_address(&self.widget);
    }
}

/// Mounts the widget in `host`'s open shadow root, replacing anything there.
pub fn mount(host: HtmlElement) -> Result<Mounted, JsValue> {
    let (base, default_endpoint) = SETUP.with(|s| s.borrow().clone()).unwrap_or_default();
    let shadow = match host.shadow_root() {
        Some(s) => s,
        None => {
            let init = ShadowRootInit::new(ShadowRootMode::Open);
            host.attach_shadow(&init)?
        }
    };
    shadow.set_inner_html("");
    let doc = document();
    let link = doc.create_element("link")?;
    link.set_attribute("rel", "stylesheet")?;
    let mut href = base;
    href.push_str("/kassa.css");
    link.set_attribute("href", &href)?;
    shadow.append_child(&link)?;
    let container: HtmlElement = doc.create_element("div")?.unchecked_into();
    container.set_class_name("kassa-host");
    shadow.append_child(&container)?;

    let attr = |name: &str| host.get_attribute(name);
    let items = options::parse_items(read_items(attr("items")));
    let endpoint = options::parse_endpoint(attr("endpoint").as_deref(), &default_endpoint);
    let locale = format::resolve_locale(options::parse_locale(attr("locale").as_deref()));
    let lang = lang::for_tag(&locale);
    let locale = if lang == lang::Locale::en && !locale.starts_with("en") {
        String::from("en")
    } else {
        locale
    };
    container.set_attribute("lang", &locale)?;
    let widget = widget_id(&host);
    let owner = widget.clone();
    let returned = read_return(&widget);
    let mut prefill = kassa_wire::CustomerDetails::default();
    for field in kassa_wire::CustomerField::ALL {
        let value = attr(customer::field_attribute(field)).map(|v| v.trim().to_owned());
        *prefill.slot(field) = value.filter(|v| !v.is_empty());
    }
    // A return from the provider needs no cart; a reload of a framed page quotes it again.
    let needs_cart = returned.as_ref().is_none_or(|r| r.reload);
    let page_error = match (&endpoint, &items) {
        (Err(e), _) => Some(e.message()),
        (Ok(_), Err(e)) if needs_cart => Some(e.message()),
        _ => None,
    };
    let api = api::Api::new(endpoint.unwrap_or_default());
    let items = items.unwrap_or_default();
    let locale_attr = attr("locale").unwrap_or_default();
    let prefetched = api::Prefetched::take(&host, &api, &locale_attr, &items);
    let setup = Setup { api, items, prefetched, locale, lang, widget, host, prefill };
    let handle = leptos::mount::mount_to(container, move || {
        view! { <Checkout setup returned page_error/> }
    });
    Ok(Mounted { _handle: Box::new(handle), widget: owner })
}

/// `kassa_session` / `kassa_return` from the page's URL, if present, well-formed and meant
/// for this widget: `kassa_widget` names it (a URL without that names any widget).
fn read_return(widget: &str) -> Option<returns::Return> {
    let search = window().location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    if params.get(flow::WIDGET_PARAM).is_some_and(|owner| owner != widget) {
        return None;
    }
    returns::parse_return(params.get(RETURN_SESSION_PARAM), params.get(RETURN_OUTCOME_PARAM))
}

/// The widget's name on its page: the element's `id`, else its position among the page's
/// `<kassa-checkout>` elements, counted from 1.
fn widget_id(host: &HtmlElement) -> String {
    if let Some(id) = host.get_attribute("id").filter(|id| !id.trim().is_empty()) {
        return id;
    }
    let all = document().get_elements_by_tag_name(TAG);
    let position = (0..all.length()).find(|&i| all.item(i).is_some_and(|e| e == **host));
    format::int_text(u64::from(position.unwrap_or(0) + 1))
}

/// Parses the `items` attribute with the browser's JSON parser and reads it into the shape
/// `options::parse_items` judges (serde-wasm-bindgen through `RawCart`'s `Deserialize`).
fn read_items(text: Option<String>) -> RawCart {
    let Some(text) = text else { return RawCart::Absent };
    let Ok(value) = JSON::parse(&text) else { return RawCart::NotJson };
    serde_wasm_bindgen::from_value(value).unwrap_or(RawCart::NotArray)
}
