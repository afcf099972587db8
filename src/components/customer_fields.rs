//! `CustomerFields`: only the details the chosen method requires, each with the right
//! input type, autocomplete token and inputmode, checked inline; an error is tied to its
//! field through `aria-describedby` and `aria-invalid`, and said by a polite live region.
//!
//! The customer type (private person or company) is a radio group, a private person at
//! first; the personal number appears only for a private person and the organisation number
//! only for a company.
//! Values the page already knows (`customer-*` attributes) are filled in.
//!
//! Each field is checked as it is left by kassa-wire's rule, the backend's own, in the country
//! the form holds (where the method asks none, as for Vipps or cards, the merchant's
//! `config.country`, and Norway only when the config has none). The country is a list of every country named in the customer's language
//! (`countries.rs`), starting at the merchant's. A phone number, once left and right, is shown
//! back as it was understood: `+47 91234567`.
//!
//! Fields the provider's account asks for beyond Kassa's own (Checkfront's booking form:
//! a guide language, a pickup point) follow, labelled as the provider labels them and drawn
//! like the others: label, required, error line, `aria-describedby`, `aria-invalid`.
//!
//! The form is a part of its own ([`super::part`]): the bundle build splits everything below
//! `draw_fields` into a Wasm chunk, which the picker fetches as it is drawn ([`preload`]).
//! Until it is there, the form's place says "Loading" to screen readers; the picker's first
//! paint waits a while for it when the method selected at first asks for details
//! ([`ready`], called from `flow.rs`), so the form does not push the picker down.

use kassa_wire::{CustomerField, ExtraField};
use leptos::prelude::*;

use super::part::{LazyPart, PartMissing};
use crate::{
    countries, customer,
    flow::{use_ctx, Ctx},
    t,
};

/// The fields of the selected method; nothing when it needs none. What is typed goes to the
/// widget's form (`Ctx::form`), checked as the customer leaves each field.
#[component]
pub fn CustomerFields() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let required = Memo::new(move |_| {
        let id = ctx.form.selected.get()?;
        ctx.method(&id)
            .filter(customer::asks_for_details)
            .map(|m| (m.required_fields, m.extra_fields))
    });
    move || {
        required.get().map(|(fields, extra)| {
            let loading = move || {
                view! {
                    <p class="kassa-sr" aria-busy="true" data-testid="kassa-fields-loading">
                        {t!(l, loading)}
                    </p>
                }
            };
            view! { <LazyPart draw=move || draw(fields.clone(), extra.clone()) fallback=loading/> }
        })
    }
}

/// Fetches the form's chunk in the background (from the picker), so that choosing a method
/// that asks for details finds it there. A failure here is tried again when it is needed.
pub fn preload() {
    #[cfg(feature = "split")]
    leptos::task::spawn_local(async {
        let _ = preload_fields().await;
    });
}

/// Waits for the form's chunk (without `split`, there is none to wait for). The picker's
/// first paint waits for it when the method selected at first asks for details, so the
/// fields are there from the start and nothing moves under the customer's eyes.
pub async fn ready() {
    #[cfg(feature = "split")]
    let _ = preload_fields().await;
}

/// [`draw_fields`], awaited: with `split`, the macro made it `async` (it loads the chunk
/// first); without, it is called directly.
async fn draw(fields: Vec<CustomerField>, extra: Vec<ExtraField>) -> Result<AnyView, PartMissing> {
    #[cfg(feature = "split")]
    return draw_fields(fields, extra).await;
    #[cfg(not(feature = "split"))]
    return draw_fields(fields, extra);
}

/// The split point: the form's inputs, their checks and the country list are reached only
/// from here.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(
        kassa_customer_fields,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        preload(#[doc(hidden)] preload_fields)
    )
)]
#[cfg_attr(not(feature = "split"), allow(clippy::unnecessary_wraps))]
fn draw_fields(fields: Vec<CustomerField>, extra: Vec<ExtraField>) -> Result<AnyView, PartMissing> {
    let ctx = use_ctx();
    let by_type = fields.contains(&CustomerField::CustomerType);
    // A private person unless the customer says otherwise: most customers are one.
    if by_type {
        ctx.form.typed.update_value(|t| {
            t.customer_type.get_or_insert_with(|| String::from("private"));
        });
    }
    let kind = RwSignal::new(ctx.form.typed.with_value(|t| t.customer_type.clone()));
    let inputs = CustomerField::ALL
        .into_iter()
        .filter(|f| fields.contains(f))
        .map(|f| match f {
            CustomerField::CustomerType => customer_type(ctx, kind),
            CustomerField::PersonalNumber | CustomerField::OrganisationId if by_type => {
                let wanted =
                    if f == CustomerField::PersonalNumber { "private" } else { "corporate" };
                (move || kind.with(|k| k.as_deref() == Some(wanted)).then(|| field(ctx, f)))
                    .into_any()
            }
            _ => field(ctx, f),
        })
        .collect_view();
    let extras = extra.into_iter().map(|x| extra_field(ctx, x)).collect_view();
    Ok(view! {
        <fieldset class="kassa-fields" data-testid="kassa-fields">
            <legend class="kassa-fields__legend">{t!(ctx.lang(), your_details)}</legend>
            {inputs}
            {extras}
        </fieldset>
    }
    .into_any())
}

/// The error of field `key`, if any.
fn error_of(ctx: Ctx, key: &'static str) -> Option<&'static str> {
    ctx.form.field_errors.with(|e| e.iter().find(|(k, _)| *k == key).map(|(_, m)| *m))
}

/// Checks `value` for `f` (in the country the form holds, else the merchant's, as the
/// backend reads it) and records (or clears) its error; the normal form when it is right.
fn set_error(ctx: Ctx, f: CustomerField, value: &str) -> Option<String> {
    let key = customer::field_key(f);
    let country = reading_country(ctx);
    let l = ctx.lang();
    // A country the method cannot serve is said first: retyping the number cannot fix it.
    let served = selected_method(ctx)
        .map_or(Ok(()), |m| customer::check_served(&m, f, country.as_deref(), l));
    let checked = served.and_then(|()| customer::check_field(f, value, country.as_deref(), l));
    ctx.form.field_errors.update(|e| {
        e.retain(|(k, _)| *k != key);
        if let Err(m) = checked {
            e.push((key, m));
        }
    });
    checked.ok()
}

/// The personal number is read in the form's country, which the method may not serve
/// (Front Payment invoices private persons in Norway only): when the country changes, the
/// number is judged again, at the number, so the customer hears it before Pay.
fn recheck_personal_number(ctx: Ctx) {
    let f = CustomerField::PersonalNumber;
    let Some(method) = selected_method(ctx) else { return };
    let (shown, typed) = ctx.form.typed.with_value(|t| {
        let shown = customer::visible_fields(&method.required_fields, t).contains(&f);
        (shown, t.personal_number.clone().unwrap_or_default())
    });
    if !shown {
        return;
    }
    if typed.trim().is_empty() {
        // Nothing typed yet: the country's verdict only, no "required" before the customer
        // got there.
        let key = customer::field_key(f);
        let country = reading_country(ctx);
        let served = customer::check_served(&method, f, country.as_deref(), ctx.lang());
        ctx.form.field_errors.update(|e| {
            e.retain(|(k, _)| *k != key);
            if let Err(m) = served {
                e.push((key, m));
            }
        });
    } else {
        set_error(ctx, f, &typed);
    }
}

/// The method the customer picked.
fn selected_method(ctx: Ctx) -> Option<kassa_wire::PaymentMethod> {
    ctx.form.selected.get_untracked().and_then(|id| ctx.method(&id))
}

/// The country the selected method's values are read in ([`customer::reading_country`]).
fn reading_country(ctx: Ctx) -> Option<String> {
    let merchant = ctx.loaded()?.config.country;
    let required = selected_method(ctx).map(|m| m.required_fields).unwrap_or_default();
    ctx.form.typed.with_value(|t| customer::reading_country(&required, t, merchant.as_deref()))
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
    let key = customer::field_key(CustomerField::CustomerType);
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
                        ctx.form.typed.update_value(|t| t.customer_type = Some(value.into()));
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
    if f == CustomerField::Country {
        return country(ctx);
    }
    let key = customer::field_key(f);
    let spec = customer::field_spec(f, ctx.lang());
    let mut id = String::from("kassa-field-");
    id.push_str(key);
    let mut error_id = String::from("kassa-error-");
    error_id.push_str(key);
    let initial = ctx.form.typed.with_value(|t| t.get(f).map(str::to_owned));
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
                    ctx.form.typed.update_value(|t| *t.slot(f) = Some(value));
                }
                on:blur=move |ev| {
                    let value = event_target_value(&ev);
                    if value.trim().is_empty() {
                        return;
                    }
                    // A right value is shown back as it was understood (a phone number with
                    // its country code), and that is what is kept.
                    let shown = set_error(ctx, f, &value).and_then(|n| customer::shown_back(f, &n));
                    if let Some(shown) = shown.filter(|s| *s != value) {
                        event_target::<web_sys::HtmlInputElement>(&ev).set_value(&shown);
                        ctx.form.typed.update_value(|t| *t.slot(f) = Some(shown));
                    }
                }
            />
            {error_line(ctx, key, error_id)}
        </div>
    }
    .into_any()
}

/// The customer's country: a list of every country named in the customer's language and
/// sorted in it ([`countries::country_names`]), starting at what the page or the customer gave,
/// else the merchant's country (`config.country`). The value sent is the ISO code.
fn country(ctx: Ctx) -> AnyView {
    let f = CustomerField::Country;
    let key = customer::field_key(f);
    let spec = customer::field_spec(f, ctx.lang());
    let merchant = ctx.loaded().and_then(|l| l.config.country);
    let initial = ctx
        .form
        .typed
        .with_value(|t| t.country.clone())
        .or(merchant)
        .and_then(|c| kassa_wire::CountryCode::parse(c.trim()).ok());
    // What the list shows is what is sent, even if the customer never touches it.
    ctx.form.typed.update_value(|t| t.country = initial.map(|c| c.as_str().to_owned()));
    let options = countries::country_names(&ctx.locale())
        .into_iter()
        .map(|(code, name)| {
            view! {
                <option value=code.as_str().to_owned() selected=Some(code) == initial>{name}</option>
            }
        })
        .collect_view();
    view! {
        <div class="kassa-field">
            <label class="kassa-field__label" for="kassa-field-country">{spec.label}</label>
            <select
                class="kassa-field__input"
                id="kassa-field-country"
                name=key
                autocomplete=spec.autocomplete
                required
                data-testid="kassa-field-country"
                aria-invalid=move || error_of(ctx, key).map(|_| "true")
                aria-describedby="kassa-error-country"
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    ctx.form.typed.update_value(|t| t.country = Some(value.clone()));
                    set_error(ctx, f, &value);
                    recheck_personal_number(ctx);
                }
            >
                {initial.is_none().then(|| view! { <option value="" selected>"—"</option> })}
                {options}
            </select>
            {error_line(ctx, key, String::from("kassa-error-country"))}
        </div>
    }
    .into_any()
}

/// The error of extra field `id`, if any.
fn extra_error_of(ctx: Ctx, id: &str) -> Option<&'static str> {
    ctx.form.extra_errors.with(|e| e.iter().find(|(k, _)| k == id).map(|(_, m)| *m))
}

/// Checks `value` for extra field `f` and records (or clears) its error.
fn set_extra_error(ctx: Ctx, f: &ExtraField, value: &str) {
    let problem = customer::check_extra(f, value, ctx.lang()).err();
    ctx.form.extra_errors.update(|e| {
        e.retain(|(k, _)| *k != f.id);
        if let Some(m) = problem {
            e.push((f.id.clone(), m));
        }
    });
}

/// One of the provider's own fields: a select for a `select`, else one input (a checkbox
/// for a `checkbox`, text for the rest). One shape each keeps the widget small.
fn extra_field(ctx: Ctx, f: ExtraField) -> AnyView {
    let key = customer::extra_key(&f.id);
    let id = format!("kassa-field-{key}");
    let error_id = format!("kassa-error-{key}");
    let initial = ctx.form.typed.with_value(|t| customer::typed_extra(t, &f.id).to_owned());
    let spec = StoredValue::new(f);
    let on_value = move |value: String, check: bool| {
        spec.with_value(|f| {
            if check || extra_error_of(ctx, &f.id).is_some() {
                set_extra_error(ctx, f, &value);
            }
            ctx.form.typed.update_value(|t| customer::set_typed_extra(t, &f.id, value));
        });
    };
    let invalid = move || spec.with_value(|f| extra_error_of(ctx, &f.id)).map(|_| "true");
    let (label, required, kind) =
        spec.with_value(|f| (f.label.clone(), f.required, f.kind.clone()));
    let control = if kind == ExtraField::SELECT {
        let options = spec.with_value(|f| {
            f.options
                .iter()
                .map(|o| {
                    let selected = o.value == initial;
                    view! { <option value=o.value.clone() selected=selected>{o.label.clone()}</option> }
                })
                .collect_view()
        });
        view! {
            <select
                class="kassa-field__input"
                id=id.clone()
                required=required
                data-testid=id.clone()
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                on:change=move |ev| on_value(event_target_value(&ev), true)
            >
                <option value="">"—"</option>
                {options}
            </select>
        }
        .into_any()
    } else {
        let checkbox = kind == ExtraField::CHECKBOX;
        view! {
            <input
                class="kassa-field__input"
                id=id.clone()
                type=if checkbox { "checkbox" } else { "text" }
                autocomplete="off"
                required=required
                maxlength=if kind == ExtraField::TEXTAREA { "2000" } else { "200" }
                data-testid=id.clone()
                prop:value=if checkbox { "1".to_owned() } else { initial.clone() }
                prop:checked=checkbox && initial == "1"
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                on:input=move |ev| {
                    // As the customer types, a shown error is checked again (and cleared),
                    // so it never vanishes under the pointer on the way to Pay.
                    if !checkbox {
                        on_value(event_target_value(&ev), false);
                    }
                }
                on:change=move |ev| {
                    let value = if checkbox {
                        if event_target_checked(&ev) { "1".to_owned() } else { String::new() }
                    } else {
                        event_target_value(&ev)
                    };
                    on_value(value, true);
                }
            />
        }
        .into_any()
    };
    view! {
        <div class="kassa-field">
            <label class="kassa-field__label" for=id>{label}</label>
            {control}
            <p class="kassa-field__error" id=error_id.clone() data-testid=error_id aria-live="polite">
                {move || spec.with_value(|f| extra_error_of(ctx, &f.id))}
            </p>
        </div>
    }
    .into_any()
}
