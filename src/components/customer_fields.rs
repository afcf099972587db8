//! `customer_fields`: only the details the chosen method requires, each with the right
//! input type and autocomplete token, checked inline; an error is tied to its field through
//! `aria-describedby` and `aria-invalid`.

use kassa_wire::CustomerField;
use leptos::prelude::*;

use crate::{flow::Ctx, state};

/// The fields of the selected method; nothing when it needs none.
pub fn customer_fields(ctx: Ctx) -> impl IntoView {
    let required = Memo::new(move |_| {
        let id = ctx.selected.get()?;
        ctx.method(&id).map(|m| m.required_fields)
    });
    move || {
        required.get().filter(|f| !f.is_empty()).map(|fields| {
            view! {
                <div class="kassa-fields" data-testid="kassa-fields">
                    {fields.into_iter().map(|f| field(ctx, f)).collect_view()}
                </div>
            }
        })
    }
}

fn field(ctx: Ctx, f: CustomerField) -> impl IntoView {
    let key = state::field_key(f);
    let (label, kind, autocomplete) = state::field_spec(f);
    let mut id = String::from("kassa-field-");
    id.push_str(key);
    let mut error_id = String::from("kassa-error-");
    error_id.push_str(key);
    let error =
        move || ctx.field_errors.with(|e| e.iter().find(|(k, _)| *k == key).map(|(_, m)| *m));
    let set_error = move |value: &str| {
        let problem = state::check_field(f, value).err();
        ctx.field_errors.update(|e| {
            e.retain(|(k, _)| *k != key);
            if let Some(m) = problem {
                e.push((key, m));
            }
        });
    };
    let initial = ctx.env.with_value(|e| e.typed.get(f).map(str::to_owned));
    let described = error_id.clone();
    view! {
        <div class="kassa-field">
            <label class="kassa-field__label" for=id.clone()>{label}</label>
            <input
                class="kassa-field__input"
                id=id.clone()
                name=key
                type=kind
                autocomplete=autocomplete
                required
                data-testid=id
                prop:value=initial.unwrap_or_default()
                aria-invalid=move || error().map(|_| "true")
                aria-describedby=move || error().map(|_| described.clone())
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    if error().is_some() {
                        set_error(&value);
                    }
                    ctx.env.update_value(|e| *state::slot(&mut e.typed, f) = Some(value));
                }
                on:blur=move |ev| {
                    let value = event_target_value(&ev);
                    if !value.trim().is_empty() {
                        set_error(&value);
                    }
                }
            />
            {move || error().map(|m| view! {
                <p class="kassa-field__error" id=error_id.clone() data-testid=error_id.clone()>{m}</p>
            })}
        </div>
    }
}
