//! `customer_fields`: only the details the chosen method requires, each with the right
//! input type, autocomplete token and inputmode, checked inline; an error is tied to its
//! field through `aria-describedby` and `aria-invalid`, and said by a polite live region.
//!
//! The customer type (private person or company) is a radio group; the personal number
//! appears only for a private person and the organisation number only for a company.
//! Values the page already knows (`customer-*` attributes) are filled in.

use kassa_wire::CustomerField;
use leptos::prelude::*;

use crate::{flow::Ctx, state, t};

/// The fields of the selected method; nothing when it needs none.
pub fn customer_fields(ctx: Ctx) -> impl IntoView {
    let required = Memo::new(move |_| {
        let id = ctx.selected.get()?;
        ctx.method(&id).map(|m| m.required_fields)
    });
    move || {
        required.get().filter(|f| !f.is_empty()).map(|fields| {
            let by_type = fields.contains(&CustomerField::CustomerType);
            let kind = RwSignal::new(ctx.env.with_value(|e| e.typed.customer_type.clone()));
            let inputs = CustomerField::ALL
                .into_iter()
                .filter(|f| fields.contains(f))
                .map(|f| match f {
                    CustomerField::CustomerType => customer_type(ctx, kind),
                    CustomerField::PersonalNumber | CustomerField::OrganisationId if by_type => {
                        let wanted = if f == CustomerField::PersonalNumber {
                            "private"
                        } else {
                            "corporate"
                        };
                        (move || kind.with(|k| k.as_deref() == Some(wanted)).then(|| field(ctx, f)))
                            .into_any()
                    }
                    _ => field(ctx, f),
                })
                .collect_view();
            view! {
                <fieldset class="kassa-fields" data-testid="kassa-fields">
                    <legend class="kassa-fields__legend">{t!(ctx.lang(), your_details)}</legend>
                    {inputs}
                </fieldset>
            }
        })
    }
}

/// The error of field `key`, if any.
fn error_of(ctx: Ctx, key: &'static str) -> Option<&'static str> {
    ctx.field_errors.with(|e| e.iter().find(|(k, _)| *k == key).map(|(_, m)| *m))
}

/// Checks `value` for `f` and records (or clears) its error.
fn set_error(ctx: Ctx, f: CustomerField, value: &str) {
    let key = state::field_key(f);
    let problem = state::check_field(f, value, ctx.lang()).err();
    ctx.field_errors.update(|e| {
        e.retain(|(k, _)| *k != key);
        if let Some(m) = problem {
            e.push((key, m));
        }
    });
}

/// The always-present error line of a field: a polite live region, empty while all is well.
fn error_line(ctx: Ctx, key: &'static str, id: String) -> impl IntoView {
    view! {
        <p class="kassa-field__error" id=id.clone() data-testid=id aria-live="polite">
            {move || error_of(ctx, key)}
        </p>
    }
}

fn customer_type(ctx: Ctx, kind: RwSignal<Option<String>>) -> AnyView {
    let l = ctx.lang();
    let key = state::field_key(CustomerField::CustomerType);
    let radio = |value: &'static str, label: &'static str, first: bool| {
        view! {
            <label class="kassa-choice">
                <input
                    class="kassa-choice__input"
                    type="radio"
                    name="kassa-customer-type"
                    value=value
                    id=first.then_some("kassa-field-customer_type")
                    data-testid=if first { "kassa-customer-private" } else { "kassa-customer-corporate" }
                    prop:checked=move || kind.with(|k| k.as_deref() == Some(value))
                    on:change=move |_| {
                        ctx.env.update_value(|e| e.typed.customer_type = Some(value.into()));
                        kind.set(Some(value.into()));
                        set_error(ctx, CustomerField::CustomerType, value);
                    }
                />
                <span>{label}</span>
            </label>
        }
    };
    view! {
        <fieldset
            class="kassa-field kassa-choices"
            aria-describedby="kassa-error-customer_type"
            aria-invalid=move || error_of(ctx, key).map(|_| "true")
        >
            <legend class="kassa-field__label">{t!(l, customer_type)}</legend>
            {radio("private", t!(l, private), true)}
            {radio("corporate", t!(l, corporate), false)}
            {error_line(ctx, key, String::from("kassa-error-customer_type"))}
        </fieldset>
    }
    .into_any()
}

fn field(ctx: Ctx, f: CustomerField) -> AnyView {
    let key = state::field_key(f);
    let spec = state::field_spec(f, ctx.lang());
    let mut id = String::from("kassa-field-");
    id.push_str(key);
    let mut error_id = String::from("kassa-error-");
    error_id.push_str(key);
    let initial = ctx.env.with_value(|e| e.typed.get(f).map(str::to_owned));
    view! {
        <div class="kassa-field">
            <label class="kassa-field__label" for=id.clone()>{spec.label}</label>
            <input
                class="kassa-field__input"
                id=id.clone()
                name=key
                type=spec.kind
                autocomplete=spec.autocomplete
                inputmode=spec.inputmode
                required
                data-testid=id
                prop:value=initial.unwrap_or_default()
                aria-invalid=move || error_of(ctx, key).map(|_| "true")
                aria-describedby=error_id.clone()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    if error_of(ctx, key).is_some() {
                        set_error(ctx, f, &value);
                    }
                    ctx.env.update_value(|e| *state::slot(&mut e.typed, f) = Some(value));
                }
                on:blur=move |ev| {
                    let value = event_target_value(&ev);
                    if !value.trim().is_empty() {
                        set_error(ctx, f, &value);
                    }
                }
            />
            {error_line(ctx, key, error_id)}
        </div>
    }
    .into_any()
}
