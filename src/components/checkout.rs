//! `Checkout`: the widget's root. Draws the current screen, keeps `data-state` on the
//! root, announces changes in a live region and moves focus to the new heading.

use leptos::{html::Div, prelude::*};
use wasm_bindgen::JsCast;

use super::{picker::Picker, status_panel::StatusPanel};
use crate::{
    embed::{iframe::Frame, stripe::StripeCheckout},
    flow::{self, Ctx, Setup},
    problem::page_problem,
    returns::Return,
    screen::Screen,
};

/// The whole widget for one `<kassa-checkout>` element. Provides the widget's [`Ctx`] to
/// every component below it.
#[component]
pub fn Checkout(
    /// What the element was mounted with.
    setup: Setup,
    /// The way back from a provider, when the page's address carries one for this widget.
    returned: Option<Return>,
    /// What is wrong with the page's own setup (its items, its endpoint), in words for the
    /// website owner: shown instead of the checkout.
    page_error: Option<String>,
) -> impl IntoView {
    let ctx = Ctx::new(setup);
    match page_error {
        Some(message) => {
            web_sys::console::error_1(&message.as_str().into());
            flow::show(ctx, Screen::Problem(page_problem(message, ctx.lang())));
        }
        None => flow::start(ctx, returned),
    }
    let drawn = Memo::new(move |_| ctx.screen.with(Screen::drawn));
    let root = NodeRef::<Div>::new();

    // Focus follows the flow once the customer has acted (never on page load: the host
    // page owns focus until then).
    Effect::new(move |_| {
        drawn.track();
        if !ctx.has_acted() {
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
            // While config and quote load, the root keeps the height of the loader's
            // placeholder (`kassa.css`), so the host page does not jump when it goes.
            class:kassa--placeholder=move || ctx.screen.with(|s| *s == Screen::Loading)
            data-testid="kassa-root"
            data-state=move || ctx.screen.with(Screen::as_str)
            node_ref=root
        >
            <p class="kassa-sr" role="status" aria-live="polite" data-testid="kassa-live">
                {move || ctx.screen.with(|s| s.announcement(ctx.lang()))}
            </p>
            {move || screen_view(drawn.get())}
        </div>
    }
}

/// The component that draws `screen`.
fn screen_view(screen: Screen) -> AnyView {
    match screen {
        Screen::Picker | Screen::Creating => view! { <Picker/> }.into_any(),
        Screen::Iframe { session, url, title, expires_at } => {
            view! { <Frame session url title expires_at/> }.into_any()
        }
        Screen::Embedded(embed) => view! { <StripeCheckout embed/> }.into_any(),
        other => view! { <StatusPanel screen=other/> }.into_any(),
    }
}
