//! The provider's page in an iframe, and the way back from it.
//!
//! When the provider sends the customer to the return URL, that page (our host page) loads
//! inside this iframe; its widget posts `{type: "kassa:return", session, outcome}` to us.
//! The message is accepted only from this iframe's window, from the page's own origin, with
//! exactly that shape and this session's id. Then the backend is asked what happened.

use leptos::{ev, html::Iframe, prelude::*};
use wasm_bindgen::JsValue;

use crate::{
    flow::{self, Ctx},
    state,
};

/// The framed payment page for `session` with a "Choose another way to pay" button. `url` was
/// checked against the method's allowed origins; `title` is "{display_name} payment page".
pub fn frame(ctx: Ctx, session: String, url: String, title: String) -> AnyView {
    let frame = NodeRef::<Iframe>::new();
    let expected = session.clone();
    let listener = window_event_listener(ev::message, move |event| {
        let Some(child) = frame.get_untracked().and_then(|f| f.content_window()) else { return };
        let same_source = event
            .source()
            .is_some_and(|s| AsRef::<JsValue>::as_ref(&s) == AsRef::<JsValue>::as_ref(&child));
        let own_origin = window().location().origin().ok();
        if !same_source || own_origin.as_deref() != Some(event.origin().as_str()) {
            return;
        }
        let data = event.data();
        let text = |key: &str| {
            js_sys::Reflect::get(&data, &JsValue::from_str(key)).ok().and_then(|v| v.as_string())
        };
        let Some(ret) = state::parse_return_message(text("type"), text("session"), text("outcome"))
        else {
            return;
        };
        if ret.session == expected {
            flow::confirm(ctx, ret.session, ret.cancelled);
        }
    });
    on_cleanup(move || listener.remove());
    view! {
        <section class="kassa-frame" data-testid="kassa-frame">
            <h2 class="kassa__title" tabindex="-1">{title.clone()}</h2>
            <iframe
                class="kassa-frame__iframe"
                title=title
                src=url
                allow="payment"
                data-testid="kassa-iframe"
                node_ref=frame
            ></iframe>
            <button
                type="button"
                class="kassa-button kassa-button--secondary"
                data-testid="kassa-leave"
                on:click=move |_| flow::leave_for_picker(ctx, session.clone())
            >
                "Choose another way to pay"
            </button>
        </section>
    }
    .into_any()
}
