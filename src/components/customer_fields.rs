//! `customer_fields`: only the details the chosen method requires, each with the right
//! input type, autocomplete token and inputmode, checked inline; an error is tied to its
//! field through `aria-describedby` and `aria-invalid`, and said by a polite live region.
//!
//! The customer type (private person or company) is a radio group; the personal number
//! appears only for a private person and the organisation number only for a company.
//! Values the page already knows (`customer-*` attributes) are filled in.
//!
//! Fields the provider's account asks for beyond Kassa's own (Checkfront's booking form:
//! a guide language, a pickup point) follow, labelled as the provider labels them and drawn
//! like the others: label, required, error line, `aria-describedby`, `aria-invalid`.

use kassa_wire::{CustomerField, ExtraField, ExtraFieldKind};
use leptos::prelude::*;

use crate::{flow::Ctx, state, t};

/// The fields of the selected method; nothing when it needs none.
pub fn customer_fields(ctx: Ctx) -> impl IntoView {
    let required = Memo::new(move |_| {
        let id = ctx.selected.get()?;
        ctx.method(&id).map(|m| (m.required_fields, m.extra_fields))
    });
    move || {
        required.get().filter(|(f, x)| !f.is_empty() || !x.is_empty()).map(|(fields, extra)| {
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
            let extras = extra.into_iter().map(|x| extra_field(ctx, x)).collect_view();
            view! {
                <fieldset class="kassa-fields" data-testid="kassa-fields">
                    <legend class="kassa-fields__legend">{t!(ctx.lang(), your_details)}</legend>
                    {inputs}
                    {extras}
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

/// The error of extra field `id`, if any.
fn extra_error_of(ctx: Ctx, id: &str) -> Option<&'static str> {
    ctx.extra_errors.with(|e| e.iter().find(|(k, _)| k == id).map(|(_, m)| *m))
}

/// Checks `value` for extra field `f` and records (or clears) its error.
fn set_extra_error(ctx: Ctx, f: &ExtraField, value: &str) {
    let problem = state::check_extra(f, value, ctx.lang()).err();
    ctx.extra_errors.update(|e| {
        e.retain(|(k, _)| *k != f.id);
        if let Some(m) = problem {
            e.push((f.id.clone(), m));
        }
    });
}

/// Records what was typed for extra field `id`.
fn type_extra(ctx: Ctx, id: &str, value: String) {
    ctx.env.update_value(|e| {
        e.typed.extra.insert(id.to_owned(), value);
    });
}

/// One of the provider's own fields, as its kind asks: a text line, a text area, a select
/// or a checkbox.
fn extra_field(ctx: Ctx, f: ExtraField) -> AnyView {
    let key = state::extra_key(&f.id);
    let id = format!("kassa-field-{key}");
    let error_id = format!("kassa-error-{key}");
    let initial = ctx.env.with_value(|e| e.typed.extra.get(&f.id).cloned()).unwrap_or_default();
    let field_id = f.id.clone();
    let invalid = move || extra_error_of(ctx, &field_id).map(|_| "true");
    let spec = StoredValue::new(f.clone());
    let on_value = move |value: String, check: bool| {
        spec.with_value(|f| {
            if check || extra_error_of(ctx, &f.id).is_some() {
                set_extra_error(ctx, f, &value);
            }
            type_extra(ctx, &f.id, value);
        });
    };
    let error_line = {
        let field_id = f.id.clone();
        view! {
            <p class="kassa-field__error" id=error_id.clone() data-testid=error_id.clone() aria-live="polite">
                {move || extra_error_of(ctx, &field_id)}
            </p>
        }
    };
    let control = match f.kind {
        ExtraFieldKind::Select => {
            let options = f
                .options
                .iter()
                .map(|o| {
                    let selected = o.value == initial;
                    view! { <option value=o.value.clone() selected=selected>{o.label.clone()}</option> }
                })
                .collect_view();
            view! {
                <select
                    class="kassa-field__input"
                    id=id.clone()
                    name=key.clone()
                    required=f.required
                    data-testid=id.clone()
                    aria-invalid=invalid
                    aria-describedby=error_id.clone()
                    on:change=move |ev| on_value(event_target_value(&ev), true)
                >
                    <option value="" selected={initial.is_empty()}>{"—"}</option>
                    {options}
                </select>
            }
            .into_any()
        }
        ExtraFieldKind::Checkbox => {
            return view! {
                <div class="kassa-field kassa-field--checkbox">
                    <label class="kassa-choice">
                        <input
                            class="kassa-choice__input"
                            type="checkbox"
                            id=id.clone()
                            name=key.clone()
                            value="1"
                            required=f.required
                            data-testid=id.clone()
                            prop:checked={initial == "1"}
                            aria-invalid=invalid
                            aria-describedby=error_id.clone()
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                on_value(if on { "1".into() } else { String::new() }, true);
                            }
                        />
                        <span>{f.label.clone()}</span>
                    </label>
                    {error_line}
                </div>
            }
            .into_any();
        }
        ExtraFieldKind::Textarea => view! {
            <textarea
                class="kassa-field__input"
                id=id.clone()
                name=key.clone()
                required=f.required
                maxlength="2000"
                data-testid=id.clone()
                prop:value=initial.clone()
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                on:input=move |ev| on_value(event_target_value(&ev), false)
                on:blur=move |ev| {
                    let value = event_target_value(&ev);
                    if !value.trim().is_empty() {
                        on_value(value, true);
                    }
                }
            ></textarea>
        }
        .into_any(),
        ExtraFieldKind::Text => view! {
            <input
                class="kassa-field__input"
                id=id.clone()
                name=key.clone()
                type="text"
                autocomplete="off"
                required=f.required
                maxlength="200"
                data-testid=id.clone()
                prop:value=initial.clone()
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                on:input=move |ev| on_value(event_target_value(&ev), false)
                on:blur=move |ev| {
                    let value = event_target_value(&ev);
                    if !value.trim().is_empty() {
                        on_value(value, true);
                    }
                }
            />
        }
        .into_any(),
    };
    view! {
        <div class="kassa-field">
            <label class="kassa-field__label" for=id>{f.label.clone()}</label>
            {control}
            {error_line}
        </div>
    }
    .into_any()
}
