//! What the picker shows for each method: its marks, its group and its name.
//!
//! Customers choose by what they pay with (a card, Vipps, a wallet, an invoice, crypto, the
//! booking system's own page), not by which provider carries it: every checkout they know
//! (Stripe's, Adyen's, Vipps's own) groups this way and shows the brands' marks. So a
//! [`PaymentMethod`] carries a [`MethodGroup`] and the [`Mark`]s to show, and the picker names
//! the provider only where two methods would otherwise read the same ([`picker_entries`]).
//! The marks are image files served beside the widget bundle (`marks/<mark>.svg`); where they
//! come from and the brands' rules for showing them are in `docs/brand-marks.md`.

use serde::{Deserialize, Deserializer};

use crate::{named::named_enum, PaymentMethod, Presentation, ProviderId};

named_enum! {
    /// A payment mark the widget can show: the file `marks/<name>.svg` beside its bundle.
    ///
    /// One name for serde, config and file: [`Mark::as_str`].
    pub enum Mark {
        /// Visa's brand mark.
        Visa = "visa",
        /// Mastercard's brand mark.
        Mastercard = "mastercard",
        /// Vipps's mark.
        Vipps = "vipps",
        /// The Apple Pay mark.
        ApplePay = "apple_pay",
        /// The Google Pay mark.
        GooglePay = "google_pay",
        /// A generic payment card (no brand).
        Card = "card",
        /// An invoice (no brand).
        Invoice = "invoice",
        /// A generic crypto coin (no brand).
        Crypto = "crypto",
        /// Paying on the booking system's own page (no brand).
        BookingPage = "booking_page",
    }
}

impl Mark {
    /// The brand's own name, which is never translated (the brands' rules: "Apple Pay",
    /// "Google Pay", "Vipps", "Visa", "Mastercard"); `None` for the generic pictograms.
    pub fn brand_name(self) -> Option<&'static str> {
        match self {
            Mark::Visa => Some("Visa"),
            Mark::Mastercard => Some("Mastercard"),
            Mark::Vipps => Some("Vipps"),
            Mark::ApplePay => Some("Apple Pay"),
            Mark::GooglePay => Some("Google Pay"),
            Mark::Card | Mark::Invoice | Mark::Crypto | Mark::BookingPage => None,
        }
    }
}

/// Reads a list of mark names, leaving out any this version does not know (a newer
/// backend's), so that a new mark never breaks an older widget: the method still shows, with
/// the marks it knows. Strings only, so the widget needs no enum decoder.
pub(crate) fn known_marks<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Mark>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    Ok(names.iter().filter_map(|n| Mark::parse(n)).collect())
}

named_enum! {
    /// What the customer picks a method as; the picker shows one group per value, in the
    /// order in which the merchant's method list first uses it.
    #[derive(Default)]
    pub enum MethodGroup {
        /// A payment card.
        Card = "card",
        /// Vipps.
        Vipps = "vipps",
        /// A wallet such as Apple Pay or Google Pay.
        Wallet = "wallet",
        /// An invoice.
        Invoice = "invoice",
        /// A cryptocurrency.
        Crypto = "crypto",
        /// Paying on the booking system's own page.
        BookingPage = "booking_page",
        /// None of the above, or a group this version does not know (a newer backend's):
        /// shown last, so that a new group never breaks an older widget. Also what a backend
        /// that sends no group gets.
        #[default]
        Other = "other",
    }
    unknown => Other;
}

impl ProviderId {
    /// The provider's name as it writes it, for the rare entry that must name it.
    pub fn display_name(self) -> &'static str {
        match self {
            ProviderId::Stripe => "Stripe",
            ProviderId::Payfect => "Payfect",
            ProviderId::FrontPayment => "Front Payment",
            ProviderId::Checkfront => "Checkfront",
            ProviderId::Bokamera => "BokaMera",
        }
    }
}

/// How the picker names a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MethodName<'a> {
    /// The merchant's own label, shown as written.
    Custom(&'a str),
    /// A brand's name, never translated ("Vipps", "Apple Pay").
    Brand(&'static str),
    /// The group's name, in the customer's language (the widget's texts).
    Group(MethodGroup),
}

impl<'a> MethodName<'a> {
    /// The name of `method`: the merchant's label; else the brand's name when the method shows
    /// exactly one brand's mark (a Vipps or an Apple Pay method); else its group's name.
    pub fn of(method: &'a PaymentMethod) -> Self {
        if let Some(label) = method.label.as_deref() {
            return MethodName::Custom(label);
        }
        let mut brands = method.marks.iter().filter_map(|m| m.brand_name());
        match (brands.next(), brands.next()) {
            (Some(brand), None) => MethodName::Brand(brand),
            _ => MethodName::Group(method.group),
        }
    }
}

/// Where the customer pays, as the customer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// Inside the widget, on the merchant's page (a frame or Stripe's embedded checkout).
    ThisPage,
    /// On the provider's own page, which replaces the merchant's.
    ProviderPage,
}

impl Place {
    /// Where `presentation` shows the provider's page.
    pub fn of(presentation: Presentation) -> Self {
        match presentation {
            Presentation::Redirect => Place::ProviderPage,
            Presentation::Iframe | Presentation::StripeEmbedded => Place::ThisPage,
        }
    }
}

/// One radio of the picker: the method's name, and what must follow it so that no two radios
/// read the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PickerEntry<'a> {
    /// The name.
    pub name: MethodName<'a>,
    /// Set when another method of the same name has another provider: name this one's.
    pub provider: Option<ProviderId>,
    /// Set when another method of the same name and provider pays elsewhere: say where.
    pub place: Option<Place>,
}

/// The picker's entries for `methods`, in the same order.
///
/// Two methods "read the same" when they have the same [`MethodName`]: the marks are
/// decorative images (`alt=""`), so a screen reader hears only the name, and the name must
/// tell them apart. The provider is named only then (it is the merchant's business, not the
/// customer's), and where the same provider offers both, where the customer pays. Methods
/// that still read the same (same name, provider and place) are the merchant's to label.
pub fn picker_entries(methods: &[PaymentMethod]) -> Vec<PickerEntry<'_>> {
    let names: Vec<MethodName<'_>> = methods.iter().map(MethodName::of).collect();
    methods
        .iter()
        .enumerate()
        .map(|(i, method)| {
            let names = &names;
            let twins: Vec<&PaymentMethod> = methods
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i && names[*j] == names[i])
                .map(|(_, m)| m)
                .collect();
            let place = Place::of(method.presentation);
            let provider = twins.iter().any(|m| m.provider != method.provider);
            let where_ = twins
                .iter()
                .any(|m| m.provider == method.provider && Place::of(m.presentation) != place);
            PickerEntry {
                name: names[i],
                provider: provider.then_some(method.provider),
                place: where_.then_some(place),
            }
        })
        .collect()
}

/// The groups of `methods` in the order the picker shows them: the order in which the list
/// first uses each ([`MethodGroup::Other`] always last), so the merchant's order of methods
/// decides the order of groups.
pub fn group_order(methods: &[PaymentMethod]) -> Vec<MethodGroup> {
    let mut groups: Vec<MethodGroup> = Vec::new();
    for method in methods {
        if !groups.contains(&method.group) {
            groups.push(method.group);
        }
    }
    if let Some(at) = groups.iter().position(|g| *g == MethodGroup::Other) {
        let other = groups.remove(at);
        groups.push(other);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(
        id: &str,
        provider: ProviderId,
        presentation: Presentation,
        group: MethodGroup,
        marks: &[Mark],
    ) -> PaymentMethod {
        PaymentMethod {
            id: crate::MethodId::parse(id).unwrap(),
            provider,
            display_name: id.into(),
            presentation,
            required_fields: vec![],
            personal_number_countries: vec![],
            extra_fields: vec![],
            allowed_origins: vec![],
            stripe_js_url: None,
            group,
            marks: marks.to_vec(),
            label: None,
        }
    }

    const CARDS: &[Mark] = &[Mark::Visa, Mark::Mastercard];

    #[test]
    fn one_name_serves_serde_config_and_files() {
        for mark in Mark::ALL {
            let json = serde_json::to_string(&mark).unwrap();
            assert_eq!(json, format!("\"{}\"", mark.as_str()));
            assert_eq!(serde_json::from_str::<Mark>(&json).unwrap(), mark);
            assert_eq!(Mark::parse(mark.as_str()), Some(mark));
        }
        for group in MethodGroup::ALL {
            let json = serde_json::to_string(&group).unwrap();
            assert_eq!(json, format!("\"{}\"", group.as_str()));
            assert_eq!(serde_json::from_str::<MethodGroup>(&json).unwrap(), group);
        }
        assert_eq!(Mark::parse("ApplePay"), None);
        assert_eq!(Mark::parse("visaa"), None);
    }

    #[test]
    fn a_newer_backends_marks_and_groups_do_not_break_an_older_widget() {
        let json = r#"{"id":"m","provider":"stripe","display_name":"Card","presentation":"redirect",
            "allowed_origins":[],"group":"bank_transfer","marks":["visa","klarna","mastercard"]}"#;
        let method: PaymentMethod = serde_json::from_str(json).unwrap();
        assert_eq!(method.group, MethodGroup::Other);
        assert_eq!(method.marks, vec![Mark::Visa, Mark::Mastercard]);
        let older = r#"{"id":"m","provider":"stripe","display_name":"Card","presentation":"redirect",
            "allowed_origins":[]}"#;
        let method: PaymentMethod = serde_json::from_str(older).unwrap();
        assert_eq!((method.group, method.marks.len(), method.label), (MethodGroup::Other, 0, None));
        assert!(serde_json::from_str::<PaymentMethod>(&json.replace("\"visa\"", "7")).is_err());
    }

    #[test]
    fn a_method_is_named_by_its_label_else_its_one_brand_else_its_group() {
        let mut vipps = method(
            "v",
            ProviderId::FrontPayment,
            Presentation::Redirect,
            MethodGroup::Vipps,
            &[Mark::Vipps],
        );
        assert_eq!(MethodName::of(&vipps), MethodName::Brand("Vipps"));
        let apple = method(
            "a",
            ProviderId::FrontPayment,
            Presentation::Redirect,
            MethodGroup::Wallet,
            &[Mark::ApplePay],
        );
        assert_eq!(MethodName::of(&apple), MethodName::Brand("Apple Pay"));
        let card =
            method("c", ProviderId::Stripe, Presentation::Redirect, MethodGroup::Card, CARDS);
        assert_eq!(MethodName::of(&card), MethodName::Group(MethodGroup::Card));
        let crypto = method(
            "p",
            ProviderId::Payfect,
            Presentation::Iframe,
            MethodGroup::Crypto,
            &[Mark::Crypto, Mark::Card],
        );
        assert_eq!(MethodName::of(&crypto), MethodName::Group(MethodGroup::Crypto));
        vipps.label = Some("Vipps eller kort".into());
        assert_eq!(MethodName::of(&vipps), MethodName::Custom("Vipps eller kort"));
    }

    #[test]
    fn the_provider_is_named_only_where_two_methods_would_read_the_same() {
        let methods = [
            method(
                "stripe-hosted",
                ProviderId::Stripe,
                Presentation::Redirect,
                MethodGroup::Card,
                CARDS,
            ),
            method(
                "fp-vipps",
                ProviderId::FrontPayment,
                Presentation::Redirect,
                MethodGroup::Vipps,
                &[Mark::Vipps],
            ),
            method(
                "bokamera-embedded",
                ProviderId::Bokamera,
                Presentation::StripeEmbedded,
                MethodGroup::Card,
                CARDS,
            ),
            method(
                "fp-invoice",
                ProviderId::FrontPayment,
                Presentation::Redirect,
                MethodGroup::Invoice,
                &[Mark::Invoice],
            ),
        ];
        let entries = picker_entries(&methods);
        assert_eq!(entries[0].provider, Some(ProviderId::Stripe));
        assert_eq!(entries[2].provider, Some(ProviderId::Bokamera));
        assert_eq!(
            entries[1],
            PickerEntry { name: MethodName::Brand("Vipps"), provider: None, place: None }
        );
        assert_eq!(entries[3].provider, None, "the only invoice needs no provider");
        assert!(entries.iter().all(|e| e.place.is_none()), "no provider offers a card twice");
    }

    #[test]
    fn the_same_provider_twice_is_told_apart_by_where_the_customer_pays() {
        let methods = [
            method(
                "stripe-hosted",
                ProviderId::Stripe,
                Presentation::Redirect,
                MethodGroup::Card,
                CARDS,
            ),
            method(
                "stripe-embedded",
                ProviderId::Stripe,
                Presentation::StripeEmbedded,
                MethodGroup::Card,
                CARDS,
            ),
        ];
        let entries = picker_entries(&methods);
        assert_eq!(
            entries[0],
            PickerEntry {
                name: MethodName::Group(MethodGroup::Card),
                provider: None,
                place: Some(Place::ProviderPage)
            }
        );
        assert_eq!(entries[1].place, Some(Place::ThisPage));
        assert_eq!(entries[1].provider, None, "one provider: naming it tells nothing apart");
        // A merchant's own labels are names like any other: different labels need nothing.
        let mut labelled = methods.clone();
        labelled[0].label = Some("Kort".into());
        assert!(picker_entries(&labelled)
            .iter()
            .all(|e| e.provider.is_none() && e.place.is_none()));
    }

    #[test]
    fn groups_follow_the_merchants_order_with_other_last() {
        let methods = [
            method("o", ProviderId::Stripe, Presentation::Redirect, MethodGroup::Other, &[]),
            method(
                "v",
                ProviderId::FrontPayment,
                Presentation::Redirect,
                MethodGroup::Vipps,
                &[Mark::Vipps],
            ),
            method("c", ProviderId::Stripe, Presentation::Redirect, MethodGroup::Card, CARDS),
            method(
                "v2",
                ProviderId::FrontPayment,
                Presentation::Iframe,
                MethodGroup::Vipps,
                &[Mark::Vipps],
            ),
        ];
        assert_eq!(
            group_order(&methods),
            vec![MethodGroup::Vipps, MethodGroup::Card, MethodGroup::Other]
        );
        assert!(group_order(&[]).is_empty());
    }
}
