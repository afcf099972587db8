//! `checkout`: the widget's root. Draws the current screen, keeps `data-state` on the
//! root, announces changes in a live region and moves focus to the new heading.

use leptos::{html::Div, prelude::*};
use wasm_bindgen::JsCast;

use super::{
    customer_fields::customer_fields, method_picker::method_picker, order_summary::order_summary,
    pay_button::pay_button, status_panel::status_panel,
};
use crate::{
    embed::{iframe::frame, stripe::stripe_checkout},
    flow::{self, Ctx},
    state::{self, Screen},
};

/// The whole widget for one `<kassa-checkout>` element; `ctx` is created by `lib.rs` when
/// the element is mounted.
pub fn checkout(ctx: Ctx) -> impl IntoView {
    let drawn = Memo::new(move |_| ctx.screen.with(Screen::drawn));
    let root = NodeRef::<Div>::new();

    // Focus follows the flow once the customer has acted (never on page load: the host
    // page owns focus until then).
    Effect::new(move |_| {
        drawn.track();
        if !ctx.env.try_with_value(|e| e.interacted).unwrap_or(false) {
            return;
        }
        set_timeout(
            move || {
                let heading = root
                    .try_get_untracked()
                    .flatten()
                    .and_then(|r| r.query_selector("h2").ok().flatten());
                if let Some(h) = heading.and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok()) {
                    let _ = h.focus();
                }
            },
            std::time::Duration::ZERO,
        );
    });

    view! {
        <div
            class="kassa"
            data-testid="kassa-root"
            data-state=move || ctx.screen.with(Screen::as_str)
            node_ref=root
        >
            <p class="kassa-sr" role="status" aria-live="polite" data-testid="kassa-live">
                {move || ctx.screen.with(|s| s.announcement(ctx.lang()))}
            </p>
            {move || screen_view(ctx, drawn.get())}
        </div>
    }
}

fn screen_view(ctx: Ctx, screen: Screen) -> AnyView {
    match screen {
        Screen::Picker | Screen::Creating => picker(ctx),
        Screen::Iframe { session, url, title, expires_at } => {
            frame(ctx, session, url, title, expires_at)
        }
        Screen::Embedded(embed) => stripe_checkout(ctx, embed),
        other => status_panel(ctx, other),
    }
}

fn picker(ctx: Ctx) -> AnyView {
    view! {
        <section class="kassa-picker" data-testid="kassa-picker">
            {order_summary(ctx)}
            <form
                class="kassa-form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    flow::pay(ctx);
                    focus_first_error(ctx, &ev);
                }
            >
                {method_picker(ctx)}
                {customer_fields(ctx)}
                {pay_button(ctx)}
            </form>
        </section>
    }
    .into_any()
}

/// After a refused Pay press, puts the cursor where the first problem is.
fn focus_first_error(ctx: Ctx, ev: &web_sys::SubmitEvent) {
    let key = ctx.field_errors.with_untracked(|e| e.first().map(|(k, _)| (*k).to_owned())).or_else(
        || ctx.extra_errors.with_untracked(|e| e.first().map(|(id, _)| state::extra_key(id))),
    );
    let Some(key) = key else { return };
    let key = key.as_str();
    let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return;
    };
    let mut selector = String::from("#kassa-field-");
    selector.push_str(key);
    let selector = if key == "method" { "input[type=radio]" } else { selector.as_str() };
    if let Some(el) = form
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}
