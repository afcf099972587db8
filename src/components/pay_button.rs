//! `PayButton`: "Pay " and the formatted total. While the session request is in flight it
//! stays focusable but says "Processing…" and is `aria-disabled`; `flow::pay` ignores
//! presses then, so a double click creates one session.

use kassa_wire::Money;
use leptos::prelude::*;

use crate::{flow::use_ctx, format, lang::fill, screen::Screen, t};

/// The submit button of the picker form.
#[component]
pub fn PayButton(
    /// The total the customer pays, as the backend quoted it (last).
    #[prop(into)]
    total: Signal<Money>,
) -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let locale = ctx.locale();
    let label = move || fill(t!(l, pay), &format::money(total.get(), &locale));
    let busy = Memo::new(move |_| ctx.screen.with(|s| *s == Screen::Creating));
    view! {
        <button
            type="submit"
            class="kassa-button kassa-pay"
            class:kassa-pay--busy=busy
            aria-disabled=move || busy.get().then_some("true")
            data-testid="kassa-pay"
        >
            {move || if busy.get() { String::from(t!(l, processing)) } else { label() }}
        </button>
    }
}
