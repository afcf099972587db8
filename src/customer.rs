//! The customer's details: which fields a method asks for, how each is asked for (label,
//! input type, autocomplete), and the rules each value must pass before it is sent: kassa-wire's
//! `Customer::parse` and `CustomerField::check`, the very rules the backend applies. Pure.

use kassa_wire::{
    CountryCode, Customer, CustomerDetails, CustomerField, CustomerKind, ExtraField, ExtraValue,
    FieldProblem, PaymentMethod, Phone,
};

use crate::{lang::Locale, t};

/// How a customer field is asked for: label, input type, autocomplete token, inputmode.
pub struct FieldSpec {
    /// The visible label.
    pub label: &'static str,
    /// The `<input type>`.
    pub kind: &'static str,
    /// The autocomplete token (WCAG 1.3.5), `off` where none fits.
    pub autocomplete: &'static str,
    /// The `inputmode` for on-screen keyboards, when not implied by `kind`.
    pub inputmode: Option<&'static str>,
}

/// How `field` is asked for in `l`.
pub fn field_spec(field: CustomerField, l: Locale) -> FieldSpec {
    let (label, kind, autocomplete, inputmode) = match field {
        CustomerField::Name => (t!(l, name), "text", "name", None),
        CustomerField::Email => (t!(l, email), "email", "email", None),
        CustomerField::Phone => (t!(l, phone), "tel", "tel", None),
        CustomerField::CustomerType => (t!(l, customer_type), "radio", "off", None),
        CustomerField::PersonalNumber => (t!(l, personal_number), "text", "off", Some("numeric")),
        CustomerField::OrganisationId => (t!(l, organisation_id), "text", "off", Some("numeric")),
        CustomerField::StreetAddress => (t!(l, street_address), "text", "street-address", None),
        CustomerField::PostalCode => (t!(l, postal_code), "text", "postal-code", None),
        CustomerField::City => (t!(l, city), "text", "address-level2", None),
        CustomerField::Country => (t!(l, country), "text", "country", None),
    };
    FieldSpec { label, kind, autocomplete, inputmode }
}

/// The element attribute that prefills a field, e.g. `customer-email`.
pub fn field_attribute(field: CustomerField) -> &'static str {
    match field {
        CustomerField::Name => "customer-name",
        CustomerField::Email => "customer-email",
        CustomerField::Phone => "customer-phone",
        CustomerField::CustomerType => "customer-type",
        CustomerField::PersonalNumber => "customer-personal-number",
        CustomerField::OrganisationId => "customer-organisation-id",
        CustomerField::StreetAddress => "customer-street-address",
        CustomerField::PostalCode => "customer-postal-code",
        CustomerField::City => "customer-city",
        CustomerField::Country => "customer-country",
    }
}

/// The stable id part of a field (`name`, `email`, `phone`, …).
pub fn field_key(field: CustomerField) -> &'static str {
    match field {
        CustomerField::Name => "name",
        CustomerField::Email => "email",
        CustomerField::Phone => "phone",
        CustomerField::CustomerType => "customer_type",
        CustomerField::PersonalNumber => "personal_number",
        CustomerField::OrganisationId => "organisation_id",
        CustomerField::StreetAddress => "street_address",
        CustomerField::PostalCode => "postal_code",
        CustomerField::City => "city",
        CustomerField::Country => "country",
    }
}

/// True when `method` asks the customer for anything (Kassa's fields or the provider's own),
/// so the picker shows a form for it.
pub fn asks_for_details(method: &PaymentMethod) -> bool {
    !method.required_fields.is_empty() || !method.extra_fields.is_empty()
}

/// The fields to show for a method, in form order: with a customer type, the personal number
/// only for a private person and the organisation number only for a company (neither until
/// the type is chosen). The rule is kassa-wire's, shared with the backend.
pub fn visible_fields(required: &[CustomerField], typed: &CustomerDetails) -> Vec<CustomerField> {
    let kind = typed.customer_type.as_deref().map(str::trim).and_then(CustomerKind::parse);
    CustomerField::needed(required, kind)
}

/// Checks one field and returns the value to send (its normal form), or a message for the
/// customer in `l`. The rule is kassa-wire's ([`CustomerField::check`]), the backend's own;
/// `country` is what the form's country field holds (a phone number without its code, a
/// postal code and the national numbers are read for it), as the backend reads it.
pub fn check_field(
    field: CustomerField,
    value: &str,
    country: Option<&str>,
    l: Locale,
) -> Result<String, &'static str> {
    let country = country.and_then(|c| CountryCode::parse(c.trim()).ok());
    field.check(value, country).map_err(|problem| message(field, problem, l))
}

/// What a valid value is shown back as once the customer leaves the field: a phone number
/// as the customer will be called, `+47 91234567` (its country code apart, E.123), so a number
/// typed without its code shows which country it was read for. `None`: leave it as typed.
pub fn shown_back(field: CustomerField, normal: &str) -> Option<String> {
    match field {
        CustomerField::Phone => Phone::parse(normal, None).ok().map(|p| p.grouped()),
        _ => None,
    }
}

/// The translated message for what is wrong with `field`.
pub fn message(field: CustomerField, problem: FieldProblem, l: Locale) -> &'static str {
    if problem == FieldProblem::NotServed {
        return t!(l, err_personal_number_country);
    }
    match field {
        CustomerField::Name => t!(l, err_name),
        CustomerField::Email => t!(l, err_email),
        CustomerField::Phone => t!(l, err_phone),
        CustomerField::CustomerType => t!(l, err_customer_type),
        CustomerField::PersonalNumber => t!(l, err_personal_number),
        CustomerField::OrganisationId => t!(l, err_organisation_id),
        CustomerField::PostalCode if problem != FieldProblem::Missing => t!(l, err_postal_code),
        CustomerField::Country if problem != FieldProblem::Missing => t!(l, err_country),
        CustomerField::StreetAddress
        | CustomerField::City
        | CustomerField::PostalCode
        | CustomerField::Country => t!(l, err_required),
    }
}

/// The country the values of a form are read in (a phone number without its code, a postal
/// code, the national numbers): the customer's, where the method asks for it; else the
/// merchant's (`config.country`); else none, and kassa-wire reads them in Norway.
pub fn reading_country(
    required: &[CustomerField],
    typed: &CustomerDetails,
    merchant: Option<&str>,
) -> Option<String> {
    let asked = required.contains(&CustomerField::Country);
    if asked { typed.country.as_deref() } else { merchant }.map(str::to_owned)
}

/// Reads the details a method needs from what was typed, by kassa-wire's
/// [`Customer::parse_in`] (the backend's rule; `merchant` is `config.country`, read where the
/// form has no country); every other field (and the number that does not go with the
/// customer type) is left out.
pub fn customer_for(
    method: &PaymentMethod,
    typed: &CustomerDetails,
    merchant: Option<&str>,
    l: Locale,
) -> Result<CustomerDetails, Vec<(CustomerField, &'static str)>> {
    let required = &method.required_fields;
    let mut shown = CustomerDetails::default();
    for field in visible_fields(required, typed) {
        *shown.slot(field) = typed.get(field).map(str::to_owned);
    }
    let home = merchant.and_then(|c| CountryCode::parse(c.trim()).ok());
    let said = |e: kassa_wire::CustomerError| (e.field, message(e.field, e.problem, l));
    let customer = Customer::parse_in(&shown, required, home)
        .map_err(|errors| errors.into_iter().map(said).collect::<Vec<_>>())?;
    customer.served_by(&method.personal_number_countries).map_err(|e| vec![said(e)])?;
    Ok(customer.details())
}

/// Whether the method can identify a private customer of the form's `country` (its
/// [`PaymentMethod::personal_number_countries`]): checked at the personal number as soon as
/// the country or the number is given, before the number's own digits, because a right
/// number of a country the method does not serve cannot be fixed by retyping it.
pub fn check_served(
    method: &PaymentMethod,
    field: CustomerField,
    country: Option<&str>,
    l: Locale,
) -> Result<(), &'static str> {
    let served = &method.personal_number_countries;
    let country = country.and_then(|c| CountryCode::parse(c.trim()).ok());
    let country = country.unwrap_or(kassa_wire::DEFAULT_COUNTRY);
    match field {
        CustomerField::PersonalNumber if !served.is_empty() && !served.contains(&country) => {
            Err(message(field, FieldProblem::NotServed, l))
        }
        _ => Ok(()),
    }
}

/// The id part of a provider's extra field (`x-` and its id, anything but `[A-Za-z0-9_-]`
/// as `-`), for element ids: `kassa-field-x-guide_language`.
pub fn extra_key(id: &str) -> String {
    let mut key = String::from("x-");
    key.extend(id.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '-'
        }
    }));
    key
}

/// Checks the value typed for a provider's extra field: what to send (`None` for an optional
/// field left empty), or a message for the customer in `l`. Length is bounded by the input.
pub fn check_extra(
    field: &ExtraField,
    value: &str,
    l: Locale,
) -> Result<Option<String>, &'static str> {
    let v = value.trim();
    let ok = match field.kind.as_str() {
        ExtraField::SELECT => v.is_empty() || field.options.iter().any(|o| o.value == v),
        ExtraField::CHECKBOX => v.is_empty() || v == "1",
        _ => true,
    };
    match (v.is_empty(), ok) {
        (_, false) => Err(t!(l, err_required)),
        (true, _) if field.required => Err(t!(l, err_required)),
        (true, _) => Ok(None),
        (false, _) => Ok(Some(v.to_owned())),
    }
}

/// What was typed for extra field `id`.
pub fn typed_extra<'a>(typed: &'a CustomerDetails, id: &str) -> &'a str {
    typed.extra.iter().find(|v| v.id == id).map_or("", |v| v.value.as_str())
}

/// Records what was typed for extra field `id`.
pub fn set_typed_extra(typed: &mut CustomerDetails, id: &str, value: String) {
    match typed.extra.iter_mut().find(|v| v.id == id) {
        Some(slot) => slot.value = value,
        None => typed.extra.push(ExtraValue { id: id.to_owned(), value }),
    }
}

/// Reads the values of a method's extra fields from what was typed; others are left out.
pub fn extra_for(
    fields: &[ExtraField],
    typed: &CustomerDetails,
    l: Locale,
) -> Result<Vec<ExtraValue>, Vec<(String, &'static str)>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for field in fields {
        match check_extra(field, typed_extra(typed, &field.id), l) {
            Ok(Some(value)) => out.push(ExtraValue { id: field.id.clone(), value }),
            Ok(None) => {}
            Err(e) => errors.push((field.id.clone(), e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::asking;

    #[test]
    fn a_phone_number_is_read_in_the_forms_country_and_shown_back_with_its_code() {
        let phone = |v, c| check_field(CustomerField::Phone, v, c, Locale::en);
        assert_eq!(phone("070-123 45 67", Some("se")).as_deref(), Ok("+46701234567"));
        assert_eq!(phone("151 23456789", Some("DE")), Err(t!(Locale::en, err_phone)));
        assert_eq!(phone("0151 23456789", Some("DE")).as_deref(), Ok("+4915123456789"));
        assert_eq!(phone("912 34 567", None).as_deref(), Ok("+4791234567"));
        assert_eq!(phone("0047 912.34.567", Some("SE")).as_deref(), Ok("+4791234567"));
        assert_eq!(
            shown_back(CustomerField::Phone, "+46701234567").as_deref(),
            Some("+46 701234567")
        );
        assert_eq!(shown_back(CustomerField::Email, "kari@example.no"), None);
    }

    #[test]
    fn without_a_country_field_a_phone_number_is_read_in_the_merchants_country() {
        let vipps = [CustomerField::Phone];
        let typed =
            CustomerDetails { phone: Some("070-123 45 67".into()), ..CustomerDetails::default() };
        let home = reading_country(&vipps, &typed, Some("SE"));
        assert_eq!(home.as_deref(), Some("SE"));
        let sent = customer_for(&asking(&vipps), &typed, Some("SE"), Locale::en).unwrap();
        assert_eq!(sent.phone.as_deref(), Some("+46701234567"));
        assert_eq!(sent.country, None, "the merchant's country is not sent as the customer's");
        let alone = check_field(CustomerField::Phone, "070-123 45 67", home.as_deref(), Locale::en);
        assert_eq!(alone.as_deref(), Ok("+46701234567"), "as the customer leaves the field");
        // A merchant without a country: Norway.
        let typed =
            CustomerDetails { phone: Some("912 34 567".into()), ..CustomerDetails::default() };
        let sent = customer_for(&asking(&vipps), &typed, None, Locale::en);
        assert_eq!(sent.unwrap().phone.as_deref(), Some("+4791234567"));
        // Where the method asks the country, the customer's choice is the one read.
        let form = [CustomerField::Phone, CustomerField::Country];
        let typed = CustomerDetails { country: Some("DE".into()), ..CustomerDetails::default() };
        assert_eq!(reading_country(&form, &typed, Some("SE")).as_deref(), Some("DE"));
    }

    #[test]
    fn a_private_invoice_outside_the_methods_countries_is_refused_at_the_number_before_pay() {
        let mut invoice = asking(&[
            CustomerField::CustomerType,
            CustomerField::PersonalNumber,
            CustomerField::OrganisationId,
            CustomerField::Country,
        ]);
        invoice.personal_number_countries = vec![CountryCode::NO];
        let n = CustomerField::PersonalNumber;
        // As the country is chosen: Sweden is not served, whatever the number.
        assert_eq!(
            check_served(&invoice, n, Some("SE"), Locale::sv),
            Err(t!(Locale::sv, err_personal_number_country))
        );
        assert_eq!(check_served(&invoice, n, Some("NO"), Locale::sv), Ok(()));
        assert_eq!(check_served(&invoice, n, None, Locale::sv), Ok(()), "no country: Norway");
        assert_eq!(check_served(&invoice, CustomerField::Country, Some("SE"), Locale::sv), Ok(()));
        // At Pay: a right Swedish number is refused at the personal number, in Swedish.
        let swede = CustomerDetails {
            customer_type: Some("private".into()),
            personal_number: Some("811218-9876".into()),
            country: Some("SE".into()),
            ..CustomerDetails::default()
        };
        let refused = customer_for(&invoice, &swede, Some("NO"), Locale::sv).unwrap_err();
        assert_eq!(refused, [(n, t!(Locale::sv, err_personal_number_country))]);
        assert_ne!(
            t!(Locale::sv, err_personal_number_country),
            t!(Locale::en, err_personal_number_country)
        );
        // A Swedish company is served; so is a Norwegian person.
        let company = CustomerDetails {
            customer_type: Some("corporate".into()),
            organisation_id: Some("556036-0793".into()),
            ..swede.clone()
        };
        assert!(customer_for(&invoice, &company, Some("NO"), Locale::sv).is_ok());
        let norwegian = CustomerDetails {
            personal_number: Some("28038712383".into()),
            country: Some("NO".into()),
            ..swede.clone()
        };
        assert!(customer_for(&invoice, &norwegian, Some("NO"), Locale::sv).is_ok());
        // A method without a limit takes the Swede as before.
        invoice.personal_number_countries.clear();
        assert!(customer_for(&invoice, &swede, Some("NO"), Locale::sv).is_ok());
    }

    #[test]
    fn extra_fields_are_checked_by_kind_and_only_known_ones_are_sent() {
        let language = ExtraField {
            id: "guide_language".into(),
            label: "Guide language".into(),
            kind: ExtraField::SELECT.into(),
            required: true,
            options: vec![kassa_wire::FieldOption { value: "en".into(), label: "English".into() }],
        };
        let note = ExtraField {
            id: "note".into(),
            label: "Note".into(),
            kind: ExtraField::TEXTAREA.into(),
            required: false,
            options: vec![],
        };
        let fields = [language, note];
        let mut typed = CustomerDetails::default();
        let errors = extra_for(&fields, &typed, Locale::en).unwrap_err();
        assert_eq!(errors, [("guide_language".to_owned(), t!(Locale::en, err_required))]);
        set_typed_extra(&mut typed, "guide_language", "fr".into());
        assert!(extra_for(&fields, &typed, Locale::en).is_err(), "not one of the choices");
        set_typed_extra(&mut typed, "guide_language", " en ".into());
        set_typed_extra(&mut typed, "stray", "x".into());
        let sent = extra_for(&fields, &typed, Locale::en).unwrap();
        assert_eq!(sent, [ExtraValue { id: "guide_language".into(), value: "en".into() }]);
        assert_eq!(extra_key("a b/c"), "x-a-b-c");
    }

    #[test]
    fn only_required_fields_are_sent_and_each_is_checked() {
        let typed = CustomerDetails {
            name: Some(" Kari Nordmann ".into()),
            email: Some("kari@example.no".into()),
            phone: Some("+47 912 34 567".into()),
            ..CustomerDetails::default()
        };
        let got = customer_for(
            &asking(&[CustomerField::Email, CustomerField::Phone]),
            &typed,
            None,
            Locale::en,
        )
        .unwrap();
        assert_eq!(got.name, None);
        assert_eq!(got.email.as_deref(), Some("kari@example.no"));
        assert_eq!(got.phone.as_deref(), Some("+4791234567"));
        let errors = customer_for(
            &asking(&[CustomerField::Name, CustomerField::Email]),
            &CustomerDetails::default(),
            None,
            Locale::en,
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn the_customer_type_decides_which_number_is_asked_for() {
        let invoice = [
            CustomerField::CustomerType,
            CustomerField::Name,
            CustomerField::PersonalNumber,
            CustomerField::OrganisationId,
        ];
        let mut typed = CustomerDetails::default();
        assert_eq!(
            visible_fields(&invoice, &typed),
            [CustomerField::CustomerType, CustomerField::Name]
        );
        typed.customer_type = Some("private".into());
        assert!(visible_fields(&invoice, &typed).contains(&CustomerField::PersonalNumber));
        assert!(!visible_fields(&invoice, &typed).contains(&CustomerField::OrganisationId));
        typed.customer_type = Some("corporate".into());
        typed.name = Some("Fjord AS".into());
        typed.organisation_id = Some("974 760 673".into());
        typed.personal_number = Some("01019012345".into());
        let sent = customer_for(&asking(&invoice), &typed, None, Locale::en).unwrap();
        assert_eq!(sent.organisation_id.as_deref(), Some("974760673"));
        typed.organisation_id = Some("974 760 674".into());
        let wrong = customer_for(&asking(&invoice), &typed, None, Locale::en).unwrap_err();
        assert_eq!(wrong[0].0, CustomerField::OrganisationId, "the check digit is checked");
        typed.organisation_id = Some("974 760 673".into());
        assert_eq!(sent.personal_number, None, "a company sends no personal number");
        let none = customer_for(&asking(&invoice), &CustomerDetails::default(), None, Locale::nb)
            .unwrap_err();
        assert_eq!(none[0], (CustomerField::CustomerType, "Velg privatperson eller bedrift."));
    }

    #[test]
    fn field_rules_accept_real_values_and_refuse_junk() {
        let check = |f, v| check_field(f, v, None, Locale::en);
        assert!(check(CustomerField::Email, "a@b").is_err());
        assert!(check(CustomerField::Email, "a b@c.no").is_err());
        assert!(check(CustomerField::Email, "@c.no").is_err());
        assert_eq!(check(CustomerField::Phone, "0047 91234567").unwrap(), "+4791234567");
        // Without a country code a number is read in the customer's country (Norway unless
        // the form says otherwise): the backend's rule, from kassa-wire.
        assert_eq!(check(CustomerField::Phone, "91234567").unwrap(), "+4791234567");
        assert!(check(CustomerField::Phone, "+47 12").is_err());
        assert!(check(CustomerField::Phone, "+47 abc").is_err());
        assert!(check(CustomerField::Name, "   ").is_err());
        assert_eq!(check(CustomerField::Country, "no").unwrap(), "NO");
        let email = field_spec(CustomerField::Email, Locale::de);
        assert_eq!((email.label, email.kind, email.autocomplete), ("E-Mail", "email", "email"));
        assert_eq!(field_spec(CustomerField::Phone, Locale::en).autocomplete, "tel");
        assert_eq!(field_spec(CustomerField::PostalCode, Locale::en).autocomplete, "postal-code");
    }
}

/// The widget's rules against the backend's over hostile input (natively: proptest does not
/// build for the browser).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod same_rules_as_the_backend {
    use proptest::prelude::*;

    use super::*;
    use crate::fixtures::asking;

    /// Text as people (and attackers) type it: any script, separators, leading zeros, long
    /// runs, and shapes close to each field's real values.
    fn hostile() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,24}",
            "[0-9 +()./\\-]{0,20}",
            "0{0,4}[0-9]{4,13}",
            "(\\+|00)?(47|46|45|49|44|1|354)[ -]?(\\(0\\))?[0-9 .-]{4,16}",
            "[0-9]{6}[-+ A]?[0-9]{3,5}[0-9A-Y]?",
            "[A-Za-zÅØÆåøæ0-9 ]{0,12}",
            "[a-zA-Z0-9.+_-]{0,12}@[a-zA-Z0-9ø.-]{0,12}",
            Just(String::from("private")),
            Just(String::from("corporate")),
            "[a-zA-Z ]{0,3}",
            "[a-zåø]{1,3}".prop_map(|s| s.repeat(70)),
        ]
    }

    proptest! {
        /// The widget and the backend accept exactly the same customers: what the widget
        /// would send as typed is refused by the backend exactly when the widget refuses it,
        /// and what the widget sends once it accepts is taken by the backend as it is.
        #[test]
        fn the_widget_and_the_backend_accept_the_same_customers(
            values in proptest::collection::vec(proptest::option::of(hostile()), 10),
            required_bits in 0u16..1024,
        ) {
            let mut typed = CustomerDetails::default();
            for (field, value) in CustomerField::ALL.into_iter().zip(values) {
                *typed.slot(field) = value;
            }
            let required: Vec<CustomerField> = CustomerField::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| required_bits & (1 << i) != 0)
                .map(|(_, f)| f)
                .collect();
            let mut as_typed = CustomerDetails::default();
            for field in visible_fields(&required, &typed) {
                *as_typed.slot(field) = typed.get(field).map(str::to_owned);
            }
            let widget = customer_for(&asking(&required), &typed, None, Locale::en);
            let backend = Customer::parse(&as_typed, &required);
            match (&widget, &backend) {
                (Ok(sent), Ok(parsed)) => {
                    prop_assert_eq!(sent, &parsed.details());
                    let again = Customer::parse(sent, &required).map(|c| c.details());
                    prop_assert_eq!(again.as_ref(), Ok(sent));
                }
                (Err(w), Err(b)) => {
                    let fields: Vec<CustomerField> = b.iter().map(|e| e.field).collect();
                    prop_assert_eq!(w.iter().map(|(f, _)| *f).collect::<Vec<_>>(), fields);
                }
                _ => prop_assert!(false, "widget {:?} but backend {:?}", widget, backend),
            }
            // Field by field, as the customer leaves each one: the widget's verdict is the
            // backend's on a request holding that field and the form's country.
            for field in CustomerField::ALL {
                let value = typed.get(field).unwrap_or("");
                let alone = check_field(field, value, typed.country.as_deref(), Locale::en);
                let mut request =
                    CustomerDetails { country: typed.country.clone(), ..CustomerDetails::default() };
                *request.slot(field) = Some(value.to_owned());
                let backend = Customer::parse(&request, &[field]);
                let refused = backend.as_ref().err().is_some_and(|e| e.iter().any(|e| e.field == field));
                prop_assert_eq!(alone.is_err(), refused, "{:?} {:?}", field, value);
                if let (Ok(normal), Ok(parsed)) = (&alone, &backend) {
                    let details = parsed.details();
                    prop_assert_eq!(Some(normal.as_str()), details.get(field));
                }
            }
        }
    }
}
