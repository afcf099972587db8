//! `order_summary`: the merchant, the priced cart lines and the total, as the backend
//! quoted them. The page never states a price; everything here comes from the quote.

use leptos::prelude::*;

use crate::{
    flow::Ctx,
    format::{self, int_text},
    t,
};

/// Merchant name, one line per cart item (name, quantity, dates, line total) and the total.
pub fn order_summary(ctx: Ctx) -> AnyView {
    let locale = ctx.locale();
    let (merchant, quote) = ctx.env.with_value(|e| {
        (e.config.as_ref().map(|c| c.merchant_name.clone()).unwrap_or_default(), e.quote.clone())
    });
    let Some(quote) = quote else { return ().into_any() };
    let lines = quote
        .lines
        .into_iter()
        .map(|line| {
            let dates = match (line.start_date.as_deref(), line.end_date.as_deref()) {
                (Some(s), Some(e)) if s != e => {
                    let mut d = format::date(s, &locale);
                    d.push_str(" – ");
                    d.push_str(&format::date(e, &locale));
                    Some(d)
                }
                (Some(d), _) | (None, Some(d)) => Some(format::date(d, &locale)),
                (None, None) => None,
            };
            let mut qty = int_text(u64::from(line.quantity));
            qty.push_str(" ×");
            view! {
                <li class="kassa-cart__line" data-testid="kassa-line">
                    <span class="kassa-cart__name">{line.name}</span>
                    <span class="kassa-cart__qty">{qty}</span>
                    {dates.map(|d| view! { <span class="kassa-cart__dates">{d}</span> })}
                    <span class="kassa-cart__amount">{format::money(line.line_total, &locale)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <h2 class="kassa__title" tabindex="-1" data-testid="kassa-merchant">{merchant}</h2>
        <ul class="kassa-cart" data-testid="kassa-cart">{lines}</ul>
        <p class="kassa-cart__total" data-testid="kassa-total">
            <span>{t!(ctx.lang(), total)}</span>
            <span class="kassa-cart__amount">{format::money(quote.total, &locale)}</span>
        </p>
    }
    .into_any()
}
