//! `Picker`: the order, the payment methods, the customer's details and the Pay button, as
//! one form. Shown once config and quote are in; stays in place (with a busy Pay button)
//! while the session is being created, so focus and typed values are not lost.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::{
    customer_fields::CustomerFields, method_picker::MethodPicker, order_summary::OrderSummary,
    pay_button::PayButton, price_notice::PriceNotice,
};
use crate::{
    customer,
    flow::{self, use_ctx, Ctx},
};

/// The picker form, drawn from the loaded config and quote.
#[component]
pub fn Picker() -> impl IntoView {
    let ctx = use_ctx();
    let Some(loaded) = ctx.loaded() else { return ().into_any() };
    // The details form and the screens after Pay load while the customer reads this one.
    super::customer_fields::preload();
    super::after_pay::preload();
    let methods = loaded.usable_methods();
    let merchant = loaded.config.merchant_name;
    // The quote can change under the customer's eyes (a new price from the backend).
    let quote = move || ctx.quote.get().unwrap_or_else(|| loaded.quote.clone());
    let total = {
        let quote = quote.clone();
        Signal::derive(move || quote().total)
    };
    view! {
        <section class="kassa-picker" data-testid="kassa-picker">
            {move || view! { <OrderSummary merchant=merchant.clone() quote=quote()/> }}
            <PriceNotice/>
            <form
                class="kassa-form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    flow::pay(ctx);
                    focus_first_error(ctx, &ev);
                }
            >
                <MethodPicker methods/>
                <CustomerFields/>
                <PayButton total/>
            </form>
        </section>
    }
    .into_any()
}

/// After a refused Pay press, puts the cursor where the first problem is.
fn focus_first_error(ctx: Ctx, ev: &web_sys::SubmitEvent) {
    let form = ctx.form;
    let key = form
        .field_errors
        .with_untracked(|e| e.first().map(|(k, _)| (*k).to_owned()))
        .or_else(|| {
            form.extra_errors.with_untracked(|e| e.first().map(|(id, _)| customer::extra_key(id)))
        });
    let Some(key) = key else { return };
    let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return;
    };
    let mut selector = String::from("#kassa-field-");
    selector.push_str(&key);
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
