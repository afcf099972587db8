//! `pay_button`: "Pay " and the formatted total. While the session request is in flight it
//! stays focusable but says "Processing…" and is `aria-disabled`; `flow::pay` ignores
//! presses then, so a double click creates one session.

use leptos::prelude::*;

use crate::{flow::Ctx, format, lang::fill, state::Screen, t};

/// The submit button of the picker form.
pub fn pay_button(ctx: Ctx) -> impl IntoView {
    let total = ctx.env.with_value(|e| e.quote.as_ref().map(|q| format::money(q.total, &e.locale)));
    let l = ctx.lang();
    let label = fill(t!(l, pay), &total.unwrap_or_default());
    let busy = move || ctx.screen.with(|s| *s == Screen::Creating);
    view! {
        <button
            type="submit"
            class="kassa-button kassa-pay"
            class:kassa-pay--busy=busy
            aria-disabled=move || busy().then_some("true")
            data-testid="kassa-pay"
        >
            {move || if busy() { String::from(t!(l, processing)) } else { label.clone() }}
        </button>
    }
}
