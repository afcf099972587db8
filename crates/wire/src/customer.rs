//! The customer, parsed once: what the widget checks as it is typed and what the backend
//! checks before anything is stored are the same functions, so the two cannot disagree.
//!
//! [`CustomerDetails`] is the wire form (text as typed); [`Customer`] is what it means.
//! [`Customer::parse`] turns one into the other or names every field that is wrong, with
//! a [`FieldProblem`] the widget turns into its own sentence and the backend into
//! [`CustomerError::message`] at [`CustomerError::path`].

use core::fmt;

use crate::{
    named::named_enum, CountryCode, CustomerDetails, CustomerField, ExtraValue, NationalIdError,
    OrganisationNumber, PersonalNumber, Phone, PhoneError,
};

named_enum! {
    /// Whether the customer is a person or a company (Front Payment invoices differ).
    pub enum CustomerKind {
        /// A private person, identified by [`PersonalNumber`].
        Private = "private",
        /// A company, identified by [`OrganisationNumber`].
        Corporate = "corporate",
    }
}

/// A private person unless said otherwise.
impl Default for CustomerKind {
    fn default() -> Self {
        CustomerKind::Private
    }
}

/// What is wrong with one customer field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    /// The method needs it and it is empty.
    Missing,
    /// Longer than the field allows.
    TooLong,
    /// Not the field's shape.
    Malformed,
    /// A phone number without its country code, where the country is not known.
    NoCountryCode,
    /// A personal or organisation number whose check digits do not match.
    Checksum,
    /// A personal or organisation number of a country Kassa does not read.
    Country,
    /// A personal number of a country the payment method does not serve
    /// ([`crate::PaymentMethod::personal_number_countries`]).
    NotServed,
}

/// One customer field that cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerError {
    /// The field to blame.
    pub field: CustomerField,
    /// What is wrong with it.
    pub problem: FieldProblem,
}

impl CustomerError {
    /// The field's path in a session request, `customer.email`.
    pub fn path(&self) -> String {
        let mut path = String::from("customer.");
        path.push_str(self.field.as_str());
        path
    }

    /// A sentence for a developer reading the backend's answer; never repeats the value.
    /// (The widget has its own, translated, per field.)
    pub fn message(&self) -> &'static str {
        use CustomerField as F;
        use FieldProblem as P;
        match (self.field, self.problem) {
            (_, P::Missing) => "this payment method needs it",
            (F::Name | F::StreetAddress | F::City, P::TooLong) => "at most 200 characters",
            (F::Name | F::StreetAddress | F::City, _) => "must not contain control characters",
            (F::Email, _) => "is not an e-mail address",
            (F::Phone, _) => "give the number with its country code, like +4791234567",
            (F::CustomerType, _) => "must be private or corporate",
            (F::PersonalNumber | F::OrganisationId, P::Checksum) => {
                "its check digits do not match; a digit is mistyped"
            }
            (F::PersonalNumber | F::OrganisationId, P::Country) => {
                "is taken for customers in NO, SE, DK and FI only"
            }
            (_, P::NotServed) => {
                "is of a country whose private customers this payment method cannot identify \
                 (see personal_number_countries in the checkout config)"
            }
            (F::PersonalNumber, _) => {
                "is not a personal number of the customer's country (11 digits in Norway)"
            }
            (F::OrganisationId, _) => {
                "is not an organisation number of the customer's country (9 digits in Norway)"
            }
            (F::PostalCode, _) => "is not a postal code of the customer's country",
            (F::Country, _) => "must be an ISO 3166-1 alpha-2 code such as NO",
        }
    }
}

impl fmt::Display for CustomerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path(), self.message())
    }
}

impl std::error::Error for CustomerError {}

/// A name, street or city: 1 to 200 characters, trimmed, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    /// Longest text, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Reads trimmed `text`; `Missing` when nothing is left.
    pub fn parse(text: &str) -> Result<Self, FieldProblem> {
        let text = text.trim();
        if text.is_empty() {
            Err(FieldProblem::Missing)
        } else if text.chars().count() > Self::MAX_CHARS {
            Err(FieldProblem::TooLong)
        } else if text.chars().any(char::is_control) {
            Err(FieldProblem::Malformed)
        } else {
            Ok(Text(text.to_owned()))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address as a mail server would take it: one `@`, a local part of 1–64 bytes
/// (a dot-atom: no leading, trailing or doubled dot), a domain of dot-separated labels
/// (1–63 bytes each, no leading or trailing `-`, the last not all digits), at most 254
/// bytes in all (RFC 5321 §4.5.3.1), no spaces, controls or the characters RFC 5322
/// reserves. Letters beyond ASCII are allowed (RFC 6531). The domain's ASCII letters are
/// lower-cased; a letter beyond ASCII is kept as typed (its case mapping is IDNA's, which the
/// mail system applies), which also keeps Unicode's case tables, about 12 KB, out of the
/// widget's Wasm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Reads a trimmed address.
    pub fn parse(text: &str) -> Result<Self, FieldProblem> {
        let text = text.trim();
        let (local, domain) = text.split_once('@').ok_or(FieldProblem::Malformed)?;
        let domain = domain.to_ascii_lowercase();
        if local.len() + 1 + domain.len() > 254 {
            return Err(FieldProblem::TooLong);
        }
        let atom = |c: char| {
            !c.is_whitespace()
                && !c.is_control()
                && !matches!(
                    c,
                    '(' | ')' | '<' | '>' | '[' | ']' | '\\' | ',' | ';' | ':' | '@' | '"'
                )
        };
        let dot_atom =
            |s: &str| s.split('.').all(|part| !part.is_empty() && part.chars().all(atom));
        let label = |l: &str| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c == '-' || c.is_alphanumeric())
        };
        let labels: Vec<&str> = domain.split('.').collect();
        let ok = (1..=64).contains(&local.len())
            && dot_atom(local)
            && labels.len() >= 2
            && labels.iter().all(|l| label(l))
            && !labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(FieldProblem::Malformed);
        }
        let mut out = String::with_capacity(text.len());
        out.push_str(local);
        out.push('@');
        out.push_str(&domain);
        Ok(Email(out))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A postal code. For NO and DK four digits, for SE and DE five (SE written `123 45`), for
/// GB a postcode (`SW1A 1AA`: an outward code of 2–4 characters starting with a letter and
/// an inward code of a digit and two letters); elsewhere, or when the country is unknown,
/// 3–10 letters, digits, spaces or hyphens. Written as the country writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    /// Reads a trimmed code of `country`.
    pub fn parse(text: &str, country: Option<CountryCode>) -> Result<Self, FieldProblem> {
        let text = text.trim();
        if text.len() > 10 {
            return Err(FieldProblem::Malformed);
        }
        let compact: String = text.chars().filter(|c| *c != ' ').collect();
        let digits = |n: usize| compact.len() == n && compact.bytes().all(|b| b.is_ascii_digit());
        let ok = match country {
            Some(CountryCode::NO | CountryCode::DK) => digits(4),
            Some(CountryCode::SE | CountryCode::DE) => digits(5),
            Some(CountryCode::GB) => return british_postcode(&compact),
            _ => {
                (3..=10).contains(&text.len())
                    && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
            }
        };
        if !ok {
            return Err(FieldProblem::Malformed);
        }
        Ok(PostalCode(match country {
            Some(CountryCode::SE) => joined(&compact[..3], ' ', &compact[3..]),
            Some(CountryCode::NO | CountryCode::DK | CountryCode::DE) => compact,
            _ => text.to_ascii_uppercase(),
        }))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `head`, `sep` and `tail` as one text (without `format!`, whose machinery the widget's
/// Wasm would carry for it).
pub(crate) fn joined(head: &str, sep: char, tail: &str) -> String {
    let mut out = String::with_capacity(head.len() + 1 + tail.len());
    out.push_str(head);
    out.push(sep);
    out.push_str(tail);
    out
}

fn british_postcode(compact: &str) -> Result<PostalCode, FieldProblem> {
    let upper = compact.to_ascii_uppercase();
    let b = upper.as_bytes();
    let ok = (5..=7).contains(&b.len()) && {
        let (outward, inward) = b.split_at(b.len() - 3);
        outward[0].is_ascii_uppercase()
            && outward.iter().all(u8::is_ascii_alphanumeric)
            && outward.iter().any(u8::is_ascii_digit)
            && inward[0].is_ascii_digit()
            && inward[1..].iter().all(u8::is_ascii_uppercase)
    };
    if !ok {
        return Err(FieldProblem::Malformed);
    }
    let (outward, inward) = upper.split_at(upper.len() - 3);
    Ok(PostalCode(joined(outward, ' ', inward)))
}

impl From<NationalIdError> for FieldProblem {
    fn from(e: NationalIdError) -> Self {
        match e {
            NationalIdError::Malformed => FieldProblem::Malformed,
            NationalIdError::Checksum => FieldProblem::Checksum,
            NationalIdError::Country => FieldProblem::Country,
        }
    }
}

impl From<PhoneError> for FieldProblem {
    fn from(e: PhoneError) -> Self {
        match e {
            PhoneError::NoCountryCode => FieldProblem::NoCountryCode,
            PhoneError::Malformed => FieldProblem::Malformed,
        }
    }
}

/// The country a personal or organisation number, a national phone number or a postal
/// code is read for when the customer gave none: Norway, home of the invoice provider
/// (Front Payment) that asks for these numbers.
pub const DEFAULT_COUNTRY: CountryCode = CountryCode::NO;

/// A customer's details, each parsed by its rule and written in its normal form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Customer {
    /// Person or company.
    pub kind: Option<CustomerKind>,
    /// Full name.
    pub name: Option<Text>,
    /// E-mail address.
    pub email: Option<Email>,
    /// Phone number, E.164.
    pub phone: Option<Phone>,
    /// National identity number (only for a private customer when the method asks the type).
    pub personal_number: Option<PersonalNumber>,
    /// Organisation number (only for a company when the method asks the type).
    pub organisation_number: Option<OrganisationNumber>,
    /// Street and number.
    pub street_address: Option<Text>,
    /// Postal code.
    pub postal_code: Option<PostalCode>,
    /// City.
    pub city: Option<Text>,
    /// Country.
    pub country: Option<CountryCode>,
    /// Values of the provider's extra fields, checked by the backend against the provider's
    /// form.
    pub extra: Vec<ExtraValue>,
}

impl CustomerField {
    /// The fields a method with `required` asks for, in form order. With a customer type,
    /// the personal number is asked of a private person and the organisation number of a
    /// company, and neither before the type is known.
    pub fn needed(required: &[CustomerField], kind: Option<CustomerKind>) -> Vec<CustomerField> {
        let by_type = required.contains(&CustomerField::CustomerType);
        CustomerField::ALL
            .into_iter()
            .filter(|f| required.contains(f))
            .filter(|f| match f {
                CustomerField::PersonalNumber if by_type => kind == Some(CustomerKind::Private),
                CustomerField::OrganisationId if by_type => kind == Some(CustomerKind::Corporate),
                _ => true,
            })
            .collect()
    }

    /// Checks one value as typed, in the context of the customer's `country` (for numbers,
    /// postal codes and a phone number without its code), and gives its normal form.
    pub fn check(self, text: &str, country: Option<CountryCode>) -> Result<String, FieldProblem> {
        let mut customer = Customer::default();
        customer.set(self, text, country)?;
        Ok(customer.details().get(self).unwrap_or_default().to_owned())
    }
}

impl Customer {
    /// Reads `details` for a method that requires `required`: every field it needs must be
    /// there, every field given must be right (a number that does not go with the customer
    /// type is left out). On error, every field that is wrong, in form order.
    pub fn parse(
        details: &CustomerDetails,
        required: &[CustomerField],
    ) -> Result<Customer, Vec<CustomerError>> {
        Customer::parse_in(details, required, None)
    }

    /// [`Customer::parse`], reading a phone number without its code, a postal code and the
    /// national numbers in `home` (the merchant's country) when the details give no country;
    /// without either, in [`DEFAULT_COUNTRY`].
    pub fn parse_in(
        details: &CustomerDetails,
        required: &[CustomerField],
        home: Option<CountryCode>,
    ) -> Result<Customer, Vec<CustomerError>> {
        let mut customer = Customer { extra: details.extra.clone(), ..Customer::default() };
        let mut errors = Vec::new();
        let given = |f: CustomerField| details.get(f).map(str::trim).filter(|t| !t.is_empty());
        let country =
            given(CustomerField::Country).and_then(|t| CountryCode::parse(t).ok()).or(home);
        let kind = given(CustomerField::CustomerType).and_then(CustomerKind::parse);
        let needed = CustomerField::needed(required, kind);
        let by_type = required.contains(&CustomerField::CustomerType);
        for field in CustomerField::ALL {
            let numbers =
                matches!(field, CustomerField::PersonalNumber | CustomerField::OrganisationId);
            match given(field) {
                None if needed.contains(&field) => {
                    errors.push(CustomerError { field, problem: FieldProblem::Missing })
                }
                None => {}
                Some(_) if by_type && numbers && !needed.contains(&field) => {}
                Some(text) => {
                    if let Err(problem) = customer.set(field, text, country) {
                        errors.push(CustomerError { field, problem });
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(customer)
        } else {
            Err(errors)
        }
    }

    /// Parses `text` into `field`.
    fn set(
        &mut self,
        field: CustomerField,
        text: &str,
        country: Option<CountryCode>,
    ) -> Result<(), FieldProblem> {
        let home = country.unwrap_or(DEFAULT_COUNTRY);
        let text = text.trim();
        match field {
            CustomerField::Name => self.name = Some(Text::parse(text)?),
            CustomerField::Email => self.email = Some(Email::parse(text)?),
            CustomerField::Phone => self.phone = Some(Phone::parse(text, Some(home))?),
            CustomerField::CustomerType => {
                self.kind = Some(CustomerKind::parse(text).ok_or(FieldProblem::Malformed)?)
            }
            CustomerField::PersonalNumber => {
                self.personal_number = Some(PersonalNumber::parse(text, home)?)
            }
            CustomerField::OrganisationId => {
                self.organisation_number = Some(OrganisationNumber::parse(text, home)?)
            }
            CustomerField::StreetAddress => self.street_address = Some(Text::parse(text)?),
            CustomerField::PostalCode => self.postal_code = Some(PostalCode::parse(text, country)?),
            CustomerField::City => self.city = Some(Text::parse(text)?),
            CustomerField::Country => {
                self.country = Some(CountryCode::parse(text).map_err(|_| FieldProblem::Malformed)?)
            }
        }
        Ok(())
    }

    /// Refuses a personal number of a country outside `served` (a method's
    /// [`crate::PaymentMethod::personal_number_countries`]; empty: any), so that a customer
    /// the provider would refuse after Pay is told at the field instead.
    pub fn served_by(&self, served: &[CountryCode]) -> Result<(), CustomerError> {
        match &self.personal_number {
            Some(n) if !served.is_empty() && !served.contains(&n.country()) => Err(CustomerError {
                field: CustomerField::PersonalNumber,
                problem: FieldProblem::NotServed,
            }),
            _ => Ok(()),
        }
    }

    /// The wire form, every value in its normal form.
    pub fn details(&self) -> CustomerDetails {
        let text = |t: &Option<Text>| t.as_ref().map(|t| t.as_str().to_owned());
        CustomerDetails {
            name: text(&self.name),
            email: self.email.as_ref().map(|e| e.as_str().to_owned()),
            phone: self.phone.as_ref().map(|p| p.as_str().to_owned()),
            customer_type: self.kind.map(|k| k.as_str().to_owned()),
            personal_number: self.personal_number.as_ref().map(|p| p.expose().to_owned()),
            organisation_id: self.organisation_number.as_ref().map(|o| o.as_str().to_owned()),
            street_address: text(&self.street_address),
            postal_code: self.postal_code.as_ref().map(|p| p.as_str().to_owned()),
            city: text(&self.city),
            country: self.country.map(|c| c.as_str().to_owned()),
            extra: self.extra.clone(),
        }
    }
}

/// Reads details on their own (no field required); the first wrong field is the error.
impl TryFrom<CustomerDetails> for Customer {
    type Error = CustomerError;
    fn try_from(details: CustomerDetails) -> Result<Self, CustomerError> {
        Customer::parse(&details, &[]).map_err(|mut errors| errors.swap_remove(0))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use CustomerField as F;

    #[test]
    fn e_mail_addresses_are_checked_as_a_mail_server_would() {
        for good in [
            "kari@example.no",
            "kari.nordmann+shop@sub.example.co.uk",
            "øyvind@bølgen.no",
            "a@b.co",
        ] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        assert_eq!(Email::parse(" Kari@Example.NO ").unwrap().as_str(), "Kari@example.no");
        assert_eq!(Email::parse("Øyvind@BØLGEN.NO").unwrap().as_str(), "Øyvind@bØlgen.no");
        for bad in [
            "kari",
            "@example.no",
            "kari@",
            "kari@example",
            "kari@example.",
            "kari@.example.no",
            "kari@example..no",
            "kari@-example.no",
            "kari@exa_mple.no",
            "kari@@example.no",
            "ka ri@example.no",
            ".kari@example.no",
            "kari.@example.no",
            "ka..ri@example.no",
            "kari@1.2.3.4",
            "kari@[127.0.0.1]",
            "\"kari\"@example.no",
            "kari@example.no\u{0}",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long_local = format!("{}@example.no", "k".repeat(65));
        assert!(Email::parse(&long_local).is_err());
        let long = format!("k@{}.no", "e".repeat(250));
        assert_eq!(Email::parse(&long), Err(FieldProblem::TooLong));
    }

    #[test]
    fn postal_codes_follow_the_customers_country() {
        use CountryCode as C;
        let code = |t, c| PostalCode::parse(t, c).map(|p| p.0);
        assert_eq!(code("0155", Some(C::NO)).as_deref(), Ok("0155"));
        assert!(code("155", Some(C::NO)).is_err());
        assert_eq!(code("11455", Some(C::SE)).as_deref(), Ok("114 55"));
        assert_eq!(code("114 55", Some(C::SE)).as_deref(), Ok("114 55"));
        assert_eq!(code("10115", Some(C::DE)).as_deref(), Ok("10115"));
        assert!(code("1011", Some(C::DE)).is_err());
        assert_eq!(code("sw1a1aa", Some(C::GB)).as_deref(), Ok("SW1A 1AA"));
        assert_eq!(code("M1 1AE", Some(C::GB)).as_deref(), Ok("M1 1AE"));
        assert!(code("SW1A 1A1", Some(C::GB)).is_err());
        assert!(code("1234 AB", Some(C::GB)).is_err());
        assert_eq!(code("1234 ab", CountryCode::parse("NL").ok()).as_deref(), Ok("1234 AB"));
        assert_eq!(code("k1a 0b1", None).as_deref(), Ok("K1A 0B1"));
        assert!(code("12", None).is_err());
        assert!(code("12345678901", None).is_err());
        assert!(code("12<45", None).is_err());
    }

    fn invoice() -> Vec<CustomerField> {
        vec![
            F::CustomerType,
            F::Name,
            F::PersonalNumber,
            F::OrganisationId,
            F::Email,
            F::Phone,
            F::StreetAddress,
            F::PostalCode,
            F::City,
            F::Country,
        ]
    }

    fn kari() -> CustomerDetails {
        CustomerDetails {
            customer_type: Some("private".into()),
            name: Some(" Kari Nordmann ".into()),
            personal_number: Some("010170 12343".into()),
            organisation_id: Some("923609016".into()),
            email: Some("kari@Example.no".into()),
            phone: Some("912 34 567".into()),
            street_address: Some("Storgata 1".into()),
            postal_code: Some("0155".into()),
            city: Some("Oslo".into()),
            country: Some("no".into()),
            extra: vec![],
        }
    }

    #[test]
    fn a_private_invoice_customer_is_parsed_and_normalised() {
        let customer = Customer::parse(&kari(), &invoice()).unwrap();
        assert_eq!(customer.kind, Some(CustomerKind::Private));
        // The organisation number does not go with a private customer: left out.
        assert_eq!(customer.organisation_number, None);
        let details = customer.details();
        assert_eq!(details.name.as_deref(), Some("Kari Nordmann"));
        assert_eq!(details.phone.as_deref(), Some("+4791234567"));
        assert_eq!(details.email.as_deref(), Some("kari@example.no"));
        assert_eq!(details.personal_number.as_deref(), Some("01017012343"));
        assert_eq!(details.country.as_deref(), Some("NO"));
        // The normal form reads back as itself.
        assert_eq!(Customer::parse(&details, &invoice()).unwrap(), customer);
    }

    #[test]
    fn every_wrong_or_missing_field_is_named_in_form_order() {
        let mut details = kari();
        details.customer_type = Some("corporate".into());
        details.organisation_id = Some("987654321".into());
        details.email = Some("kari@example.".into());
        details.city = None;
        let errors = Customer::parse(&details, &invoice()).unwrap_err();
        assert_eq!(
            errors,
            vec![
                CustomerError { field: F::OrganisationId, problem: FieldProblem::Checksum },
                CustomerError { field: F::Email, problem: FieldProblem::Malformed },
                CustomerError { field: F::City, problem: FieldProblem::Missing },
            ]
        );
        assert_eq!(errors[0].path(), "customer.organisation_id");
        assert!(errors[0].to_string().contains("check digits"));
    }

    #[test]
    fn the_customer_type_decides_which_number_is_needed() {
        let kinds = |k| CustomerField::needed(&invoice(), k);
        assert!(
            !kinds(None).contains(&F::PersonalNumber) && !kinds(None).contains(&F::OrganisationId)
        );
        assert!(kinds(Some(CustomerKind::Private)).contains(&F::PersonalNumber));
        assert!(!kinds(Some(CustomerKind::Private)).contains(&F::OrganisationId));
        assert!(kinds(Some(CustomerKind::Corporate)).contains(&F::OrganisationId));
        // Without a type, a required number is just required.
        assert_eq!(CustomerField::needed(&[F::PersonalNumber], None), vec![F::PersonalNumber]);
        let none = Customer::parse(&CustomerDetails::default(), &invoice()).unwrap_err();
        assert_eq!(
            none[0],
            CustomerError { field: F::CustomerType, problem: FieldProblem::Missing }
        );
        assert!(none.iter().all(|e| e.field != F::PersonalNumber));
    }

    #[test]
    fn a_field_is_checked_on_its_own_as_typed() {
        assert_eq!(F::Phone.check("912 34 567", None).as_deref(), Ok("+4791234567"));
        assert_eq!(
            F::Phone.check("070-123 45 67", Some(CountryCode::SE)).as_deref(),
            Ok("+46701234567")
        );
        assert_eq!(F::Country.check("se", None).as_deref(), Ok("SE"));
        assert_eq!(F::CustomerType.check("Corporate", None), Err(FieldProblem::Malformed));
        assert_eq!(F::Name.check("  ", None), Err(FieldProblem::Missing));
        assert_eq!(F::Name.check("Kari\nNordmann", None), Err(FieldProblem::Malformed));
        assert_eq!(F::Name.check(&"å".repeat(201), None), Err(FieldProblem::TooLong));
        assert!(F::Name.check(&"å".repeat(200), None).is_ok());
        assert_eq!(
            F::PersonalNumber.check("811218-9876", Some(CountryCode::SE)).as_deref(),
            Ok("811218-9876")
        );
    }

    #[test]
    fn without_a_country_field_a_phone_number_is_read_in_the_merchants_country() {
        let typed = CustomerDetails { phone: Some("070-123 45 67".into()), ..Default::default() };
        let required = [F::Phone];
        let swedish = Customer::parse_in(&typed, &required, Some(CountryCode::SE)).unwrap();
        assert_eq!(swedish.phone.unwrap().as_str(), "+46701234567");
        let typed = CustomerDetails { phone: Some("912 34 567".into()), ..Default::default() };
        let norwegian = Customer::parse_in(&typed, &required, None).unwrap();
        assert_eq!(norwegian.phone.unwrap().as_str(), "+4791234567", "no merchant country: NO");
        // The customer's own country, when given, wins over the merchant's.
        let typed = CustomerDetails {
            phone: Some("070-123 45 67".into()),
            country: Some("SE".into()),
            ..Default::default()
        };
        let given = Customer::parse_in(&typed, &required, Some(CountryCode::DE)).unwrap();
        assert_eq!(given.phone.unwrap().as_str(), "+46701234567");
    }

    #[test]
    fn a_personal_number_of_a_country_the_method_does_not_serve_is_refused_at_the_field() {
        let required = [F::CustomerType, F::PersonalNumber, F::Country];
        let swede = CustomerDetails {
            customer_type: Some("private".into()),
            personal_number: Some("811218-9876".into()),
            country: Some("SE".into()),
            ..Default::default()
        };
        let parsed = Customer::parse(&swede, &required).unwrap();
        assert_eq!(parsed.served_by(&[]), Ok(()), "no limit: any country kassa-wire reads");
        assert_eq!(parsed.served_by(&[CountryCode::SE, CountryCode::NO]), Ok(()));
        let refused = parsed.served_by(&[CountryCode::NO]).unwrap_err();
        assert_eq!((refused.field, refused.problem), (F::PersonalNumber, FieldProblem::NotServed));
        assert_eq!(refused.path(), "customer.personal_number");
        let norwegian = CustomerDetails {
            personal_number: Some("28038712383".into()),
            country: Some("NO".into()),
            ..swede
        };
        let parsed = Customer::parse(&norwegian, &required).unwrap();
        assert_eq!(parsed.served_by(&[CountryCode::NO]), Ok(()));
    }

    #[test]
    fn try_from_details_needs_nothing_but_refuses_what_is_wrong() {
        assert!(Customer::try_from(CustomerDetails::default()).is_ok());
        let bad = CustomerDetails { country: Some("XX".into()), ..CustomerDetails::default() };
        assert_eq!(
            Customer::try_from(bad),
            Err(CustomerError { field: F::Country, problem: FieldProblem::Malformed })
        );
    }

    proptest! {
        #[test]
        fn hostile_details_never_panic_and_what_is_accepted_is_stable(
            values in proptest::collection::vec("\\PC{0,24}|[0-9 +()-]{0,16}", 10),
        ) {
            let mut details = CustomerDetails::default();
            for (field, value) in CustomerField::ALL.into_iter().zip(values) {
                *details.slot(field) = Some(value);
            }
            if let Ok(customer) = Customer::parse(&details, &invoice()) {
                prop_assert_eq!(Customer::parse(&customer.details(), &invoice()), Ok(customer));
            }
        }

        #[test]
        fn any_field_checks_without_panicking(text in "\\PC{0,300}", at in 0usize..10) {
            let field = CustomerField::ALL[at];
            if let Ok(normal) = field.check(&text, Some(CountryCode::SE)) {
                prop_assert_eq!(field.check(&normal, Some(CountryCode::SE)), Ok(normal.clone()));
            }
        }
    }
}
