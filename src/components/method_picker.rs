//! `MethodPicker`: the payment methods as one radio group named "Payment method", grouped by
//! what the customer pays with, each with its brand marks.
//!
//! A real `<fieldset>`/`<legend>` with native radios: arrow keys, `aria-checked` and the
//! group's name come from the browser, not from script. Each group (card, Vipps, wallet, …)
//! is a nested `<fieldset>` whose `<legend>` names it, in the order the merchant's method
//! list first uses it (`kassa_wire::group_order`). A method is named by the merchant's label,
//! its one brand ("Vipps", "Apple Pay", never translated) or its group, in the customer's
//! language, and names its provider (and where the customer pays) only where two methods
//! would otherwise read the same (`kassa_wire::picker_entries`). Marks are decorative
//! `<img alt="">` files beside the bundle (`{base}/marks/<mark>.svg`, docs/brand-marks.md):
//! the name says it all to a screen reader, and a mark that fails to load turns invisible in
//! its fixed 48 × 32 box, so no broken-image icon shows and nothing moves.

use kassa_wire::{
    group_order, picker_entries, Mark, MethodGroup, MethodName, PaymentMethod, Place,
};
use leptos::prelude::*;

use crate::{
    flow::{self, use_ctx, Ctx},
    lang::Locale,
    t,
};

/// A group's name in `lang`.
fn group_name(lang: Locale, group: MethodGroup) -> &'static str {
    match group {
        MethodGroup::Card => t!(lang, method_group_card),
        MethodGroup::Vipps => t!(lang, method_group_vipps),
        MethodGroup::Wallet => t!(lang, method_group_wallet),
        MethodGroup::Invoice => t!(lang, method_group_invoice),
        MethodGroup::Crypto => t!(lang, method_group_crypto),
        MethodGroup::BookingPage => t!(lang, method_group_booking_page),
        MethodGroup::Other => t!(lang, method_group_other),
    }
}

/// What each radio says, in `lang`: its name, then the provider and the place where the
/// picker must tell it apart from another.
fn names(lang: Locale, methods: &[PaymentMethod]) -> Vec<String> {
    picker_entries(methods)
        .into_iter()
        .map(|entry| {
            let mut text = String::from(match entry.name {
                MethodName::Custom(label) => label,
                MethodName::Brand(brand) => brand,
                MethodName::Group(group) => group_name(lang, group),
            });
            let provider = entry.provider.map(|p| p.display_name());
            let place = entry.place.map(|p| match p {
                Place::ThisPage => t!(lang, place_this_page),
                Place::ProviderPage => t!(lang, place_provider_page),
            });
            let details: Vec<&str> = provider.into_iter().chain(place).collect();
            if !details.is_empty() {
                text.push_str(" (");
                text.push_str(&details.join(", "));
                text.push(')');
            }
            text
        })
        .collect()
}

/// One mark: a decorative image of fixed size that hides itself if it cannot load.
fn mark_image(base: &str, mark: Mark) -> impl IntoView {
    let failed = RwSignal::new(false);
    let mut src = String::from(base);
    src.push_str("/marks/");
    src.push_str(mark.as_str());
    src.push_str(".svg");
    view! {
        <img
            class="kassa-mark"
            class:kassa-mark--failed=move || failed.get()
            src=src
            alt=""
            width="48"
            height="32"
            data-mark=mark.as_str()
            on:error=move |_| failed.set(true)
        />
    }
}

/// One radio: the method's name and marks.
fn method_radio(ctx: Ctx, method: PaymentMethod, name: String, base: &str) -> impl IntoView {
    let selected = ctx.form.selected;
    let id = method.id;
    let checked = {
        let id = id.clone();
        move || selected.with(|s| s.as_deref() == Some(id.as_str()))
    };
    let mut testid = String::from("kassa-method-");
    testid.push_str(&id);
    let pick = id.clone();
    let marks = method.marks.iter().map(|m| mark_image(base, *m)).collect_view();
    view! {
        <label class="kassa-method">
            <input
                class="kassa-method__input"
                type="radio"
                name="kassa-method"
                value=id.into_string()
                data-testid=testid
                prop:checked=checked
                on:change=move |_| flow::select(ctx, pick.clone())
            />
            <span class="kassa-method__name">{name}</span>
            <span class="kassa-method__marks">{marks}</span>
        </label>
    }
}

/// The methods, grouped, one radio each; the choice goes to the widget's form.
#[component]
pub fn MethodPicker(
    /// The methods to offer, in the merchant's order (only those this widget can present).
    methods: Vec<PaymentMethod>,
) -> impl IntoView {
    let ctx = use_ctx();
    let lang = ctx.lang();
    let error = move || {
        ctx.form.field_errors.with(|e| e.iter().find(|(k, _)| *k == "method").map(|(_, m)| *m))
    };
    let base = crate::bundle_base();
    let groups = group_order(&methods);
    let named: Vec<(PaymentMethod, String)> =
        methods.iter().cloned().zip(names(lang, &methods)).collect();
    // One group needs no heading of its own: the legend "Payment method" says it.
    let headed = groups.len() > 1;
    let sections = groups
        .into_iter()
        .map(|group| {
            let radios = named
                .iter()
                .filter(|(m, _)| m.group == group)
                .map(|(m, name)| method_radio(ctx, m.clone(), name.clone(), &base))
                .collect_view();
            let mut testid = String::from("kassa-method-group-");
            testid.push_str(group.as_str());
            view! {
                <fieldset class="kassa-methods__group" data-testid=testid>
                    {headed.then(|| view! {
                        <legend class="kassa-methods__group-name">{group_name(lang, group)}</legend>
                    })}
                    {radios}
                </fieldset>
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
            <legend id="kassa-methods-legend" class="kassa-methods__legend">{t!(lang, payment_method)}</legend>
            {sections}
            <p class="kassa-field__error" id="kassa-error-method" data-testid="kassa-error-method" aria-live="polite">
                {error}
            </p>
        </fieldset>
    }
}
