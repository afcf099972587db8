//! `method_picker`: the payment methods as one radio group named "Payment method".
//!
//! A real `<fieldset>`/`<legend>` with native radios: arrow keys, `aria-checked` and the
//! group's name come from the browser, not from script.

use leptos::prelude::*;

use crate::{
    flow::{self, Ctx},
    state, t,
};

/// One radio per usable method, named by its display name.
pub fn method_picker(ctx: Ctx) -> impl IntoView {
    let methods = ctx.env.with_value(|e| {
        e.config
            .as_ref()
            .map(|c| c.methods.iter().filter(|m| state::supported(m)).cloned().collect::<Vec<_>>())
    });
    let error =
        move || ctx.field_errors.with(|e| e.iter().find(|(k, _)| *k == "method").map(|(_, m)| *m));
    let radios = methods
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let id = m.id;
            let checked = {
                let id = id.clone();
                move || ctx.selected.with(|s| s.as_deref() == Some(id.as_str()))
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
