//! `MethodPicker`: the payment methods as one radio group named "Payment method".
//!
//! A real `<fieldset>`/`<legend>` with native radios: arrow keys, `aria-checked` and the
//! group's name come from the browser, not from script.

use kassa_wire::PaymentMethod;
use leptos::prelude::*;

use crate::{
    flow::{self, use_ctx},
    t,
};

/// One radio per method, named by its display name; the choice goes to the widget's form.
#[component]
pub fn MethodPicker(
    /// The methods to offer, in order (only those this widget can present).
    methods: Vec<PaymentMethod>,
) -> impl IntoView {
    let ctx = use_ctx();
    let selected = ctx.form.selected;
    let error = move || {
        ctx.form.field_errors.with(|e| e.iter().find(|(k, _)| *k == "method").map(|(_, m)| *m))
    };
    let radios = methods
        .into_iter()
        .map(|m| {
            let id = m.id;
            let checked = {
                let id = id.clone();
                move || selected.with(|s| s.as_deref() == Some(id.as_str()))
            };
            let mut testid = String::from("kassa-method-");
            testid.push_str(&id);
            let pick = id.clone();
            view! {
                <label class="kassa-method">
                    <input
                        class="kassa-method__input"
                        type="radio"
                        name="kassa-method"
                        value=id
                        data-testid=testid
                        prop:checked=checked
                        on:change=move |_| flow::select(ctx, pick.clone())
                    />
                    <span class="kassa-method__name">{m.display_name}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset
            class="kassa-methods"
            role="radiogroup"
            aria-labelledby="kassa-methods-legend"
            aria-describedby="kassa-error-method"
            data-testid="kassa-methods"
        >
            <legend id="kassa-methods-legend" class="kassa-methods__legend">{t!(ctx.lang(), payment_method)}</legend>
            {radios}
            <p class="kassa-field__error" id="kassa-error-method" data-testid="kassa-error-method" aria-live="polite">
                {error}
            </p>
        </fieldset>
    }
}
