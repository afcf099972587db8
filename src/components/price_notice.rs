//! `PriceNotice`: "The price has changed" with the new total, shown in the picker after the
//! backend refused a session request because the cart now costs something else. Nothing was
//! created or charged; the order summary and the Pay button already show the new quote, and
//! the customer decides by pressing Pay again (contract A in `docs/` and issue 13).

use leptos::prelude::*;

use crate::{flow::use_ctx, format, lang::fill, t};

/// The notice, while the widget has one to give.
#[component]
pub fn PriceNotice() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let locale = ctx.locale();
    move || {
        ctx.price_notice.get().map(|total| {
            let text = fill(t!(l, price_changed_text), &format::money(total, &locale));
            view! {
                <div class="kassa-notice" role="alert" data-testid="kassa-price-changed">
                    <p class="kassa-notice__title">{t!(l, price_changed)}</p>
                    <p class="kassa-notice__text">{text}</p>
                </div>
            }
        })
    }
}
