//! `Checkout`: the widget's root. Draws the current screen, keeps `data-state` on the
//! root, moves focus to the new heading once the customer has acted, and announces in a
//! live region what focus does not (page load, screens without a heading).

use leptos::{html::Div, prelude::*};
use wasm_bindgen::JsCast;

use super::{after_pay::AfterPay, part::LoadingNotice, picker::Picker};
use crate::{
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
    // True when the last heading focus looked for was not there (its part of the widget
    // still loading): the live region says the news instead. Until the next heading takes
    // focus, so a screen right after such a one may be said by both.
    let heading_missed = RwSignal::new(false);

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
                    .and_then(|r| r.query_selector("h2").ok().flatten())
                    .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok());
                let missed = heading.is_none();
                if let Some(h) = heading {
                    let _ = h.focus();
                }
                // Set only when it changes (the flag was `!missed`), so the live region is
                // not redrawn for nothing; `None` is a widget already gone.
                if heading_missed.try_get_untracked() == Some(!missed) {
                    heading_missed.set(missed);
                }
            },
            std::time::Duration::ZERO,
        );
    });
    // Each screen's news is said once: by its heading when focus moves there, else here.
    let live = move || {
        ctx.screen.with(|s| {
            let by_heading = ctx.has_acted() && s.heading_announces() && !heading_missed.get();
            if by_heading {
                String::new()
            } else {
                s.announcement(ctx.lang())
            }
        })
    };

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
                {live}
            </p>
            {move || screen_view(drawn.get())}
        </div>
    }
}

/// The component that draws `screen`: the picker and the loading line at once, the rest
/// from the part of the widget loaded after the picker.
fn screen_view(screen: Screen) -> AnyView {
    match screen {
        Screen::Picker | Screen::Creating => view! { <Picker/> }.into_any(),
        Screen::Loading => view! { <LoadingNotice/> }.into_any(),
        other => view! { <AfterPay screen=other/> }.into_any(),
    }
}
