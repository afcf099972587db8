//! `OrderSummary`: the merchant, the priced cart lines and the total, as the backend
//! quoted them. The page never states a price; everything here comes from the quote.

use kassa_wire::{Quote, QuoteLine};
use leptos::prelude::*;

use crate::{
    flow::use_ctx,
    format::{self, int_text},
    t,
};

/// Merchant name, one line per cart item (name, quantity, dates, line total) and the total.
#[component]
pub fn OrderSummary(
    /// The merchant's name, the heading of the picker.
    merchant: String,
    /// The backend's price of the page's cart.
    quote: Quote,
) -> impl IntoView {
    let ctx = use_ctx();
    let locale = ctx.locale();
    let total = format::money(quote.total, &locale);
    let lines = quote.lines.into_iter().map(|line| cart_line(line, &locale)).collect_view();
    view! {
        <h2 class="kassa__title" tabindex="-1" data-testid="kassa-merchant">{merchant}</h2>
        <ul class="kassa-cart" data-testid="kassa-cart">{lines}</ul>
        <p class="kassa-cart__total" data-testid="kassa-total">
            <span>{t!(ctx.lang(), total)}</span>
            <span class="kassa-cart__amount">{total}</span>
        </p>
    }
}

/// One cart line: name, quantity, dates (one date, or a range), line total.
fn cart_line(line: QuoteLine, locale: &str) -> impl IntoView {
    let dates = match (line.start_date.as_deref(), line.end_date.as_deref()) {
        (Some(s), Some(e)) if s != e => {
            let mut d = format::date(s, locale);
            d.push_str(" – ");
            d.push_str(&format::date(e, locale));
            Some(d)
        }
        (Some(d), _) | (None, Some(d)) => Some(format::date(d, locale)),
        (None, None) => None,
    };
    let mut qty = int_text(u64::from(line.quantity));
    qty.push_str(" ×");
    view! {
        <li class="kassa-cart__line" data-testid="kassa-line">
            <span class="kassa-cart__name">{line.name}</span>
            <span class="kassa-cart__qty">{qty}</span>
            {dates.map(|d| view! { <span class="kassa-cart__dates">{d}</span> })}
            <span class="kassa-cart__amount">{format::money(line.line_total, locale)}</span>
        </li>
    }
}
