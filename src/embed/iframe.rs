//! The provider's page in an iframe, and the way back from it.
//!
//! - When the provider sends the customer to the return URL, that page (our host page) loads
//!   inside this iframe; its widget posts `{type: "kassa:return", session, outcome}` to us.
//!   The message is accepted only from this iframe's window, from the page's own origin, with
//!   exactly that shape and this session's id. Then the backend is asked what happened.
//! - A provider page that reports its height (`{type: "…:resize", height}`) gets exactly that
//!   height, but only from this iframe's window on the provider's exact origin; otherwise
//!   the frame keeps the stylesheet's size.
//! - A provider page that refuses to be framed still fires `load` (with an error page no
//!   script can see into), so the widget cannot notice the refusal itself; the backend checks
//!   the page's `X-Frame-Options` / `frame-ancestors` before it answers, and a refused page
//!   arrives as a redirect with reason `frame_refused` ([`flow::frame_fallback`]: the widget
//!   says so and takes the whole page there). If the frame has not loaded in time, the widget
//!   does the same. A link under the frame offers that way for what neither can see (a
//!   browser extension blocking the frame, say).
//! - A hold on the booking (`expires_at`, e.g. Checkfront's pre-booking) is shown as the time
//!   left; when it runs out the widget says so and offers to book again.

use std::time::Duration;

use kassa_wire::SessionId;
use leptos::{ev, html::Iframe, prelude::*};
use wasm_bindgen::JsValue;

use super::LeaveButton;
use crate::{
    flow::{self, use_ctx, Ctx},
    format, lang, navigate, returns,
    screen::Screen,
    t,
};

/// How long a provider page may take to load before the page goes there instead.
pub const FRAME_LOAD_MS: u64 = 15_000;
/// Holds longer than this are not counted down: booking systems hold a slot for 15 or 30
/// minutes, while a payment session's own expiry (an hour, a day) is no hold.
const HOLD_SHOWN_SECS: i64 = 31 * 60;

/// The framed payment page with a "Choose another way to pay" button.
#[component]
pub fn Frame(
    /// The Kassa session the page pays.
    session: SessionId,
    /// The provider's page, already checked against the method's allowed origins.
    url: String,
    /// The frame's title, "{display_name} payment page".
    title: String,
    /// Unix seconds when the provider's hold on the booking ends (Checkfront), if any.
    expires_at: Option<i64>,
) -> impl IntoView {
    let ctx = use_ctx();
    let frame = NodeRef::<Iframe>::new();
    let provider_origin = navigate::origin_of(&url).ok();
    let expected = session.clone();
    let listener = window_event_listener(ev::message, move |event| {
        let Some(child) = frame.get_untracked().and_then(|f| f.content_window()) else { return };
        let same_source = event
            .source()
            .is_some_and(|s| AsRef::<JsValue>::as_ref(&s) == AsRef::<JsValue>::as_ref(&child));
        if !same_source {
            return;
        }
        let origin = event.origin();
        let data = event.data();
        let text = |key: &str| {
            js_sys::Reflect::get(&data, &JsValue::from_str(key)).ok().and_then(|v| v.as_string())
        };
        if provider_origin.as_deref() == Some(origin.as_str()) {
            let height = js_sys::Reflect::get(&data, &JsValue::from_str("height"))
                .ok()
                .and_then(|v| v.as_f64());
            if let Some(px) = frame_height(text("type").as_deref(), height) {
                if let Some(f) = frame.get_untracked() {
                    let mut value = format::int_text(u64::from(px));
                    value.push_str("px");
                    let style = web_sys::HtmlElement::style(&f);
                    let _ = style.set_property("min-height", "0");
                    let _ = style.set_property("height", &value);
                }
                return;
            }
        }
        if window().location().origin().ok().as_deref() != Some(origin.as_str()) {
            return;
        }
        let Some(ret) =
            returns::parse_return_message(text("type"), text("session"), text("outcome"))
        else {
            return;
        };
        if ret.session == expected {
            let check = ret.check();
            flow::confirm(ctx, ret.session, check);
        }
    });
    on_cleanup(move || listener.remove());

    // Not loaded in time: go to the page itself.
    let loaded = RwSignal::new(false);
    let fallback_url = url.clone();
    // The same checked URL, for a customer whose browser shows the frame empty.
    let direct_url = url.clone();
    let fallback = set_timeout_with_handle(
        move || {
            if !loaded.get_untracked() {
                flow::frame_fallback(ctx, fallback_url.clone());
            }
        },
        Duration::from_millis(FRAME_LOAD_MS),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = fallback {
            h.clear();
        }
    });

    let hold = expires_at.map(|at| hold_timer(ctx, session.clone(), at));
    view! {
        <section class="kassa-frame" data-testid="kassa-frame">
            <h2 class="kassa__title" tabindex="-1">{title.clone()}</h2>
            {hold}
            <iframe
                class="kassa-frame__iframe"
                title=title
                src=url
                allow="payment"
                data-testid="kassa-iframe"
                node_ref=frame
                on:load=move |_| loaded.set(true)
            ></iframe>
            <a class="kassa-frame__direct" href=direct_url data-testid="kassa-open-directly">
                {t!(ctx.lang(), open_directly)}
            </a>
            <LeaveButton session/>
        </section>
    }
}

/// The height to give a provider frame for a `{type: "…:resize", height}` message (already
/// known to come from the frame, on the provider's origin): whole pixels, 120 to 4000.
pub fn frame_height(kind: Option<&str>, height: Option<f64>) -> Option<u32> {
    let h = height.filter(|h| h.is_finite())?;
    (kind?.ends_with(":resize") && (1.0..=10_000.0).contains(&h))
        .then(|| h.ceil().clamp(120.0, 4000.0) as u32)
}

/// "The hold ends in 14 minutes", counted down each second; at zero, the expired screen.
fn hold_timer(ctx: Ctx, session: SessionId, expires_at: i64) -> Option<AnyView> {
    let now = || (js_sys::Date::now() / 1000.0) as i64;
    let left = RwSignal::new(expires_at - now());
    if left.get_untracked() > HOLD_SHOWN_SECS {
        return None;
    }
    let tick = set_interval_with_handle(
        move || {
            let remaining = expires_at - now();
            left.set(remaining);
            if remaining <= 0 {
                flow::show(ctx, Screen::Expired { session: session.clone(), hold: true });
            }
        },
        Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = tick {
            h.clear();
        }
    });
    let (l, locale) = (ctx.lang(), ctx.locale());
    Some(
        view! {
            <p class="kassa-hold" data-testid="kassa-hold">
                {move || lang::fill(t!(l, hold_ends), &format::time_left(left.get().max(0), &locale))}
            </p>
        }
        .into_any(),
    )
}
