//! The picker's methods as the widget receives them: each configured method with its group,
//! marks and name, from the merchant's config or from the defaults of its provider and variant.
//!
//! The merchant decides the order (the order of `[[methods]]`, which also orders the groups),
//! the method selected at first (`default = true`), and may override any method's `label`,
//! `marks` and `group`; everything else has a default here, so that every method shows the
//! marks a customer knows without configuration. A mark or group name that does not exist is
//! refused at startup with the method's id ([`check`]). Why marks and groups at all, and the
//! brands' rules for showing them: `kassa_wire::picker`, `docs/brand-marks.md`.

use kassa_wire::{
    picker_entries, Mark, MethodGroup, MethodName, PaymentMethod, Place, Presentation, ProviderId,
};

use crate::config::{MethodSettings, Settings};

/// The group and marks of a method whose config names none: what the customer pays with on
/// that provider's page, as its documents describe it (`docs/providers.md`).
pub fn defaults(
    provider: ProviderId,
    presentation: Presentation,
    variant: Option<&str>,
) -> (MethodGroup, Vec<Mark>) {
    use Mark::*;
    let cards = vec![Visa, Mastercard];
    match provider {
        // Stripe Checkout takes cards.
        ProviderId::Stripe => (MethodGroup::Card, cards),
        // Payfect takes crypto (its examples pay in `usdt`) or a card (§3).
        ProviderId::Payfect => (MethodGroup::Crypto, vec![Crypto, Card]),
        // Front Payment: `via` picks one way to pay; `invoice` is BankID-signed invoicing;
        // `hosted` is Front Payment's page, where the customer chooses (§4.3).
        ProviderId::FrontPayment => match variant.unwrap_or("hosted") {
            "vipps" => (MethodGroup::Vipps, vec![Vipps]),
            "visa" => (MethodGroup::Card, vec![Visa]),
            "mastercard" => (MethodGroup::Card, vec![Mastercard]),
            "applepay" => (MethodGroup::Wallet, vec![ApplePay]),
            "googlepay" => (MethodGroup::Wallet, vec![GooglePay]),
            "invoice" => (MethodGroup::Invoice, vec![Invoice]),
            "hosted" => (MethodGroup::Other, vec![Visa, Mastercard, Vipps]),
            _ => (MethodGroup::Other, vec![]),
        },
        // Checkfront's own booking payment page.
        ProviderId::Checkfront => (MethodGroup::BookingPage, vec![BookingPage]),
        // BokaMera: its embedded checkout is Stripe's card form; framed or redirected, it is
        // BokaMera's own page.
        ProviderId::Bokamera => match presentation {
            Presentation::StripeEmbedded => (MethodGroup::Card, cards),
            Presentation::Iframe | Presentation::Redirect => {
                (MethodGroup::BookingPage, vec![BookingPage])
            }
        },
    }
}

/// A method's group and marks: the config's, else [`defaults`]. Names were checked by
/// [`check`] at startup; one that does not parse here is left out.
pub fn group_and_marks(method: &MethodSettings, settings: &Settings) -> (MethodGroup, Vec<Mark>) {
    let variant = method.variant.as_deref().or_else(|| {
        (method.provider == ProviderId::FrontPayment)
            .then_some(settings.providers.front_payment.as_ref())
            .flatten()
            .map(|fp| fp.adapter.default_variant.as_str())
    });
    let (group, marks) = defaults(method.provider, method.presentation, variant);
    let group = method.group.as_deref().and_then(MethodGroup::parse).unwrap_or(group);
    let marks = match &method.marks {
        Some(names) => names.iter().filter_map(|n| Mark::parse(n)).collect(),
        None => marks,
    };
    (group, marks)
}

/// Checks the picker settings of every method: known mark and group names, a label that says
/// something, at most one default. Errors are `(key, message)` and name the method's id.
pub fn check(methods: &[MethodSettings]) -> Result<(), (String, String)> {
    let mut default: Option<&str> = None;
    for (i, method) in methods.iter().enumerate() {
        let key = format!("methods[{i}]");
        let id = &method.id;
        for name in method.marks.iter().flatten() {
            if Mark::parse(name).is_none() {
                let known: Vec<&str> = Mark::ALL.iter().map(|m| m.as_str()).collect();
                return Err((
                    format!("{key}.marks"),
                    format!(
                        "method `{id}` names the mark `{name}`, which does not exist; the marks are: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        if let Some(group) = &method.group {
            if MethodGroup::parse(group).is_none() {
                let known: Vec<&str> = MethodGroup::ALL.iter().map(|g| g.as_str()).collect();
                return Err((
                    format!("{key}.group"),
                    format!(
                        "method `{id}` names the group `{group}`, which does not exist; the groups are: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        if method.label.as_deref().is_some_and(|l| l.trim().is_empty()) {
            return Err((
                format!("{key}.label"),
                format!("method `{id}` has an empty label; leave it out to use the default name"),
            ));
        }
        if method.default {
            if let Some(first) = default {
                return Err((
                    format!("{key}.default"),
                    format!("methods `{first}` and `{id}` are both the default; choose one"),
                ));
            }
            default = Some(id);
        }
    }
    Ok(())
}

/// The English name of a method as the picker would show it, for
/// [`PaymentMethod::display_name`] (clients that do not name methods themselves, logs).
pub fn english_names(methods: &[PaymentMethod]) -> Vec<String> {
    picker_entries(methods)
        .into_iter()
        .map(|entry| {
            let name = match entry.name {
                MethodName::Custom(label) => label.to_owned(),
                MethodName::Brand(brand) => brand.to_owned(),
                MethodName::Group(group) => english_group(group).to_owned(),
            };
            let mut detail = Vec::new();
            if let Some(provider) = entry.provider {
                detail.push(provider.display_name().to_owned());
            }
            if let Some(place) = entry.place {
                detail.push(match place {
                    Place::ThisPage => "on this page".to_owned(),
                    Place::ProviderPage => "on the payment page".to_owned(),
                });
            }
            if detail.is_empty() {
                name
            } else {
                format!("{name} ({})", detail.join(", "))
            }
        })
        .collect()
}

/// A group's name in English.
pub fn english_group(group: MethodGroup) -> &'static str {
    match group {
        MethodGroup::Card => "Card",
        MethodGroup::Vipps => "Vipps",
        MethodGroup::Wallet => "Wallet",
        MethodGroup::Invoice => "Invoice",
        MethodGroup::Crypto => "Crypto",
        MethodGroup::BookingPage => "Pay on the booking page",
        MethodGroup::Other => "More ways to pay",
    }
}

/// Warnings for the operator: methods the customer cannot tell apart (same name, provider and
/// place), which need a `label` each.
pub fn look_alike_warnings(methods: &[PaymentMethod]) -> Vec<String> {
    let names = english_names(methods);
    let mut warnings = Vec::new();
    for (i, a) in names.iter().enumerate() {
        if let Some(j) = names.iter().skip(i + 1).position(|b| b == a) {
            warnings.push(format!(
                "methods `{}` and `{}` both read \"{a}\" in the picker; give one a label",
                methods[i].id,
                methods[i + 1 + j].id
            ));
        }
    }
    warnings
}

/// A method that asks for a personal number says which countries its provider can identify a
/// private customer of (Front Payment: Norway), so the widget tells the customer before Pay.
fn personal_number_countries(m: &MethodSettings) -> Vec<kassa_wire::CountryCode> {
    if m.required_fields.contains(&kassa_wire::CustomerField::PersonalNumber) {
        kassa_providers::personal_number_countries(m.provider).to_vec()
    } else {
        Vec::new()
    }
}

/// The picker's methods for `settings`, in the merchant's order, with their groups, marks,
/// labels and English names.
pub fn public(settings: &Settings) -> Vec<PaymentMethod> {
    let mut methods: Vec<PaymentMethod> = settings
        .methods
        .iter()
        .map(|m| {
            let (origins, stripe_js) = settings.provider_pages(m.provider).unwrap_or((&[], None));
            // The merchant's own pages are always a fine place to go: some flows (an invoice
            // that needs no payment page) send the customer straight back.
            let mut allowed = origins.to_vec();
            allowed.extend(settings.server.allowed_origins.iter().cloned());
            let (group, marks) = group_and_marks(m, settings);
            PaymentMethod {
                id: m.id.clone(),
                provider: m.provider,
                display_name: String::new(),
                presentation: m.presentation,
                required_fields: m.required_fields.clone(),
                personal_number_countries: personal_number_countries(m),
                extra_fields: vec![],
                allowed_origins: allowed,
                stripe_js_url: (m.presentation == Presentation::StripeEmbedded)
                    .then(|| stripe_js.map(str::to_owned))
                    .flatten(),
                group,
                marks,
                label: m.label.clone(),
            }
        })
        .collect();
    let names = english_names(&methods);
    for (method, name) in methods.iter_mut().zip(names) {
        method.display_name = name;
    }
    methods
}

/// The id of the method the merchant selects at first.
pub fn default_method(settings: &Settings) -> Option<String> {
    settings.methods.iter().find(|m| m.default).map(|m| m.id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_front_payment_variant_has_its_brand() {
        let fp = |v| defaults(ProviderId::FrontPayment, Presentation::Redirect, Some(v));
        assert_eq!(fp("vipps"), (MethodGroup::Vipps, vec![Mark::Vipps]));
        assert_eq!(fp("applepay"), (MethodGroup::Wallet, vec![Mark::ApplePay]));
        assert_eq!(fp("googlepay"), (MethodGroup::Wallet, vec![Mark::GooglePay]));
        assert_eq!(fp("visa"), (MethodGroup::Card, vec![Mark::Visa]));
        assert_eq!(fp("invoice"), (MethodGroup::Invoice, vec![Mark::Invoice]));
        assert_eq!(
            defaults(ProviderId::FrontPayment, Presentation::Redirect, None).0,
            MethodGroup::Other
        );
        assert_eq!(
            defaults(ProviderId::Bokamera, Presentation::StripeEmbedded, None).0,
            MethodGroup::Card
        );
        assert_eq!(
            defaults(ProviderId::Bokamera, Presentation::Iframe, None),
            (MethodGroup::BookingPage, vec![Mark::BookingPage])
        );
    }
}
