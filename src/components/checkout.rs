//! `<Checkout/>`: the widget's root. Draws the current screen, keeps `data-state` on the
//! root, announces changes in a live region and moves focus to the new heading.

use leptos::{html::Div, prelude::*};
use wasm_bindgen::JsCast;

use super::{
    customer_fields::CustomerFields, method_picker::MethodPicker, order_summary::OrderSummary,
    pay_button::PayButton, status_panel::StatusPanel,
};
use crate::{
    embed::{iframe::Frame, stripe::StripeCheckout},
    flow::{self, Ctx},
    state::Screen,
};

/// The whole widget for one `<kassa-checkout>` element.
#[component]
pub fn Checkout(
    /// The instance's state, created by `lib.rs` when the element is mounted.
    ctx: Ctx,
) -> impl IntoView {
    provide_context(ctx);
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
                let heading = root.try_get_untracked().flatten().and_then(|r| r.query_selector("h2").ok().flatten());
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
                {move || ctx.screen.with(|s| s.announcement().to_owned())}
            </p>
            {move || screen_view(ctx, drawn.get())}
        </div>
    }
}

fn screen_view(ctx: Ctx, screen: Screen) -> AnyView {
    match screen {
        Screen::Loading => view! {
            <p class="kassa-status kassa-status--busy" data-testid="kassa-loading">"Loading checkout…"</p>
        }
        .into_any(),
        Screen::Picker | Screen::Creating => picker(ctx),
        Screen::Iframe { session, url, title } => view! { <Frame session url title/> }.into_any(),
        Screen::Embedded(embed) => view! { <StripeCheckout embed/> }.into_any(),
        other => view! { <StatusPanel screen=other/> }.into_any(),
    }
}

fn picker(ctx: Ctx) -> AnyView {
    view! {
        <section class="kassa-picker" data-testid="kassa-picker">
            <OrderSummary/>
            <form
                class="kassa-form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    flow::pay(ctx);
                    focus_first_error(ctx, &ev);
                }
            >
                <MethodPicker/>
                <CustomerFields/>
                <PayButton/>
            </form>
        </section>
    }
    .into_any()
}

/// After a refused Pay press, puts the cursor where the first problem is.
fn focus_first_error(ctx: Ctx, ev: &web_sys::SubmitEvent) {
    let Some(key) = ctx.field_errors.with_untracked(|e| e.first().map(|(k, _)| *k)) else { return };
    let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
    let mut selector = String::from("#kassa-field-");
    selector.push_str(key);
    let selector = if key == "method" { "input[type=radio]" } else { selector.as_str() };
    if let Some(el) = form.query_selector(selector).ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}
