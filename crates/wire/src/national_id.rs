//! Personal and organisation numbers of the Nordic countries, with the check digits each
//! country defines, so that a mistyped digit is caught while the customer can still fix it
//! (an invoice provider would refuse it later, or worse, bill someone else).
//!
//! | country | personal number | organisation number |
//! |---|---|---|
//! | NO | fødselsnummer `DDMMYYIIIKK`, two mod-11 check digits (weights 3 7 6 1 8 9 4 5 2 and 5 4 3 2 7 6 5 4 3 2); D-number day + 40, H-number month + 40, Skatteetaten's synthetic test numbers month + 80 — <https://www.skatteetaten.no/person/folkeregister/identitetsnummer/fodselsnummer/>, <https://www.skatteetaten.no/skjema/testdata/> | organisasjonsnummer, 9 digits, mod 11 with weights 3 2 7 6 5 4 3 2 — <https://www.brreg.no/om-oss/registrene-vare/om-enhetsregisteret/organisasjonsnummeret/> |
//! | SE | personnummer `YYMMDD-NNNC` (`+` after 100 years) or `YYYYMMDDNNNC`, Luhn over the last ten digits; samordningsnummer day + 60 — Skatteverket SKV 704 and 707 | organisationsnummer `NNNNNN-NNNC`, Luhn (optionally written with the prefix `16`) — Skatteverket SKV 709 |
//! | DK | CPR-nummer `DDMMYY-SSSS`: a real day; no check digit, because CPR has issued numbers that fail the old modulus-11 test since 2007 — <https://cpr.dk/cpr-systemet/personnumre-uden-kontrolciffer-modulus-11-kontrol> | CVR-nummer, 8 digits, mod 11 with weights 2 7 6 5 4 3 2 1 — Erhvervsstyrelsen |
//! | FI | henkilötunnus `DDMMYYCZZZQ`, century sign `+ - A` (and since 2023 `B–F`, `U–Y`), check character `DDMMYYZZZ mod 31` — <https://dvv.fi/en/personal-identity-code> | Y-tunnus `NNNNNNN-C`, mod 11 with weights 7 9 10 5 8 4 2 — <https://www.ytj.fi> |
//!
//! Numbers of other countries are refused: the invoice providers Kassa speaks to (Front
//! Payment) invoice customers of these countries only. Spaces are allowed anywhere, as
//! people group digits; the result is written the way the country writes it.

use core::fmt;

use crate::CountryCode;

/// Why a text is not a personal or organisation number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NationalIdError {
    /// Not the country's shape (length, separators, an impossible date).
    #[error("is not a number of the customer's country")]
    Malformed,
    /// The shape is right but the check digits do not match: a digit is mistyped.
    #[error("has check digits that do not match; a digit is mistyped")]
    Checksum,
    /// A country whose numbers Kassa does not read.
    #[error("is from a country whose numbers are not taken (NO, SE, DK, FI)")]
    Country,
}

use NationalIdError::{Checksum, Malformed};

/// A person's national identity number; personal data, so `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalNumber {
    country: CountryCode,
    text: String,
}

/// A company's registration number (`organisation_id` on the wire).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganisationNumber {
    country: CountryCode,
    text: String,
}

impl PersonalNumber {
    /// Reads a personal number of `country`.
    pub fn parse(text: &str, country: CountryCode) -> Result<Self, NationalIdError> {
        let text = match country {
            CountryCode::NO => norwegian_person(text)?,
            CountryCode::SE => swedish_person(text)?,
            CountryCode::DK => danish_person(text)?,
            CountryCode::FI => finnish_person(text)?,
            _ => return Err(NationalIdError::Country),
        };
        Ok(PersonalNumber { country, text })
    }

    /// The number as its country writes it. Personal data: never log it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The issuing country.
    pub fn country(&self) -> CountryCode {
        self.country
    }
}

impl fmt::Debug for PersonalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonalNumber({}, ***)", self.country)
    }
}

impl OrganisationNumber {
    /// Reads an organisation number of `country`.
    pub fn parse(text: &str, country: CountryCode) -> Result<Self, NationalIdError> {
        let text = match country {
            CountryCode::NO => norwegian_organisation(text)?,
            CountryCode::SE => swedish_organisation(text)?,
            CountryCode::DK => danish_organisation(text)?,
            CountryCode::FI => finnish_organisation(text)?,
            _ => return Err(NationalIdError::Country),
        };
        Ok(OrganisationNumber { country, text })
    }

    /// The number as its country writes it (`556036-0793` in Sweden).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The number with its separators left out (`5560360793`): letters and digits only, the
    /// form a provider that takes no punctuation wants (Front Payment's `organizationId` "Must
    /// be alphanumeric", seed 002 of its API docs).
    pub fn alphanumeric(&self) -> String {
        self.text.chars().filter(char::is_ascii_alphanumeric).collect()
    }

    /// The registering country.
    pub fn country(&self) -> CountryCode {
        self.country
    }
}

impl fmt::Display for OrganisationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The text without spaces, if it is at most `max` bytes of ASCII.
fn compact(text: &str, max: usize) -> Result<String, NationalIdError> {
    let out: String = text.chars().filter(|c| *c != ' ').collect();
    if out.len() > max || !out.is_ascii() {
        return Err(Malformed);
    }
    Ok(out)
}

/// The digit values, if every byte is an ASCII digit.
fn digit_values(text: &str) -> Option<Vec<u32>> {
    text.bytes().map(|b| b.is_ascii_digit().then(|| u32::from(b - b'0'))).collect()
}

/// `Σ wᵢ·dᵢ`.
fn weighted(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum()
}

/// The mod-11 check digit over `digits` (11 − Σ mod 11, 11 → 0), `None` where the rule
/// has no digit (10).
fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    match 11 - weighted(digits, weights) % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// Whether `digits` (check digit last) pass the Luhn test.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether `day`.`month` is a day of some year (29 February allowed: the century is not
/// always written).
fn real_day(day: u32, month: u32) -> bool {
    (1..=12).contains(&month)
        && day >= 1
        && day <= u32::from(crate::date::days_in_month(2000, month as u8))
}

fn norwegian_person(text: &str) -> Result<String, NationalIdError> {
    let t = compact(text, 11)?;
    let d = digit_values(&t).filter(|d| d.len() == 11).ok_or(Malformed)?;
    let day = d[0] * 10 + d[1];
    let month = d[2] * 10 + d[3];
    // D-number: day + 40; H-number: month + 40; synthetic test number: month + 80.
    let day = if day > 40 { day - 40 } else { day };
    let month = match month {
        41..=52 => month - 40,
        81..=92 => month - 80,
        m => m,
    };
    if !real_day(day, month) {
        return Err(Malformed);
    }
    let k1 = mod11(&d[..9], &[3, 7, 6, 1, 8, 9, 4, 5, 2]);
    let k2 = mod11(&d[..10], &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
    if k1 != Some(d[9]) || k2 != Some(d[10]) {
        return Err(Checksum);
    }
    Ok(t)
}

fn norwegian_organisation(text: &str) -> Result<String, NationalIdError> {
    let t = compact(text, 9)?;
    let d = digit_values(&t).filter(|d| d.len() == 9).ok_or(Malformed)?;
    if mod11(&d[..8], &[3, 2, 7, 6, 5, 4, 3, 2]) != Some(d[8]) {
        return Err(Checksum);
    }
    Ok(t)
}

fn swedish_person(text: &str) -> Result<String, NationalIdError> {
    let t = compact(text, 13)?;
    // The separator, if any, stands before the last four digits.
    let (head, sep, tail) = match t.len().checked_sub(5).map(|i| (i, t.as_bytes()[i])) {
        Some((i, sep @ (b'-' | b'+'))) => (&t[..i], Some(sep), &t[i + 1..]),
        _ => (&t[..t.len().saturating_sub(4)], None, &t[t.len().saturating_sub(4)..]),
    };
    let head = digit_values(head).ok_or(Malformed)?;
    let tail = digit_values(tail).filter(|d| d.len() == 4).ok_or(Malformed)?;
    let date = match head.len() {
        6 => &head[..],
        // A century of 18, 19 or 20, and then no `+`: it is written out.
        8 if matches!(head[0] * 10 + head[1], 18..=20) && sep != Some(b'+') => &head[2..],
        _ => return Err(Malformed),
    };
    let month = date[2] * 10 + date[3];
    let day = date[4] * 10 + date[5];
    // Samordningsnummer: day + 60.
    let day = if day > 60 { day - 60 } else { day };
    if !real_day(day, month) {
        return Err(Malformed);
    }
    let ten: Vec<u32> = date.iter().chain(&tail).copied().collect();
    if !luhn(&ten) {
        return Err(Checksum);
    }
    let mut out: String = head.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    if head.len() == 6 {
        out.push(if sep == Some(b'+') { '+' } else { '-' });
    }
    out.extend(tail.iter().map(|d| char::from(b'0' + *d as u8)));
    Ok(out)
}

fn swedish_organisation(text: &str) -> Result<String, NationalIdError> {
    let t = compact(text, 13)?;
    let t = t.replace('-', "");
    let t = match t.strip_prefix("16") {
        Some(rest) if t.len() == 12 => rest.to_owned(),
        _ => t,
    };
    let d = digit_values(&t).filter(|d| d.len() == 10).ok_or(Malformed)?;
    if !luhn(&d) {
        return Err(Checksum);
    }
    Ok(crate::customer::joined(&t[..6], '-', &t[6..]))
}

fn danish_person(text: &str) -> Result<String, NationalIdError> {
    let t = compact(text, 11)?;
    let t = match t.len() {
        11 if t.as_bytes()[6] == b'-' => t.replace('-', ""),
        _ => t,
    };
    let d = digit_values(&t).filter(|d| d.len() == 10).ok_or(Malformed)?;
    if !real_day(d[0] * 10 + d[1], d[2] * 10 + d[3]) {
        return Err(Malformed);
    }
    Ok(crate::customer::joined(&t[..6], '-', &t[6..]))
}

fn danish_organisation(text: &str) -> Result<String, NationalIdError> {
    let t = compact(text, 10)?;
    let t = t.strip_prefix("DK").unwrap_or(&t);
    let d = digit_values(t).filter(|d| d.len() == 8).ok_or(Malformed)?;
    if d[0] == 0 || !weighted(&d, &[2, 7, 6, 5, 4, 3, 2, 1]).is_multiple_of(11) {
        return Err(Checksum);
    }
    Ok(t.to_owned())
}

/// The check characters of a henkilötunnus, by remainder mod 31.
const FINNISH_CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

fn finnish_person(text: &str) -> Result<String, NationalIdError> {
    let t = compact(text, 11)?.to_ascii_uppercase();
    let b = t.as_bytes();
    if b.len() != 11 || !b"+-ABCDEFYXWVU".contains(&b[6]) {
        return Err(Malformed);
    }
    let date = digit_values(&t[..6]).ok_or(Malformed)?;
    let individual = digit_values(&t[7..10]).ok_or(Malformed)?;
    if !real_day(date[0] * 10 + date[1], date[2] * 10 + date[3]) {
        return Err(Malformed);
    }
    let n = date.iter().chain(&individual).fold(0u32, |acc, d| acc * 10 + d);
    if FINNISH_CHECK[(n % 31) as usize] != b[10] {
        return Err(Checksum);
    }
    Ok(t)
}

fn finnish_organisation(text: &str) -> Result<String, NationalIdError> {
    let t = compact(text, 9)?;
    let b = t.as_bytes();
    if b.len() != 9 || b[7] != b'-' {
        return Err(Malformed);
    }
    let d = digit_values(&t[..7]).ok_or(Malformed)?;
    let check = digit_values(&t[8..]).ok_or(Malformed)?[0];
    let expected = match weighted(&d, &[7, 9, 10, 5, 8, 4, 2]) % 11 {
        0 => 0,
        1 => return Err(Checksum),
        r => 11 - r,
    };
    if expected != check {
        return Err(Checksum);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use CountryCode as C;

    fn person(text: &str, c: CountryCode) -> Result<String, NationalIdError> {
        PersonalNumber::parse(text, c).map(|p| p.text)
    }

    fn org(text: &str, c: CountryCode) -> Result<String, NationalIdError> {
        OrganisationNumber::parse(text, c).map(|o| o.text)
    }

    #[test]
    fn norwegian_numbers_carry_two_mod_11_check_digits() {
        assert_eq!(person("01017012343", C::NO).as_deref(), Ok("01017012343"));
        assert_eq!(person("010170 12343", C::NO).as_deref(), Ok("01017012343"));
        // D-number (day + 40) and a synthetic test number (month + 80).
        assert!(person("41017012337", C::NO).is_ok());
        assert!(person("01817012309", C::NO).is_ok());
        assert_eq!(person("01017012345", C::NO), Err(Checksum));
        assert_eq!(person("01017012353", C::NO), Err(Checksum));
        assert_eq!(person("32017012343", C::NO), Err(Malformed));
        assert_eq!(person("0101701234", C::NO), Err(Malformed));
        assert_eq!(person("0101701234x", C::NO), Err(Malformed));
        assert_eq!(org("923 609 016", C::NO).as_deref(), Ok("923609016"));
        assert_eq!(org("974760673", C::NO).as_deref(), Ok("974760673"));
        assert_eq!(org("987654321", C::NO), Err(Checksum));
        assert_eq!(org("97476067", C::NO), Err(Malformed));
    }

    #[test]
    fn swedish_numbers_pass_luhn_and_keep_their_separator() {
        assert_eq!(person("811218-9876", C::SE).as_deref(), Ok("811218-9876"));
        assert_eq!(person("8112189876", C::SE).as_deref(), Ok("811218-9876"));
        assert_eq!(person("19811218-9876", C::SE).as_deref(), Ok("198112189876"));
        assert_eq!(person("191212121212", C::SE).as_deref(), Ok("191212121212"));
        assert_eq!(person("121212+1212", C::SE).as_deref(), Ok("121212+1212"));
        // Samordningsnummer: day + 60.
        assert_eq!(person("701063-2391", C::SE).as_deref(), Ok("701063-2391"));
        assert_eq!(person("811218-9875", C::SE), Err(Checksum));
        assert_eq!(person("811318-9876", C::SE), Err(Malformed));
        assert_eq!(person("21811218-9876", C::SE), Err(Malformed));
        assert_eq!(org("556016-0680", C::SE).as_deref(), Ok("556016-0680"));
        assert_eq!(org("165560160680", C::SE).as_deref(), Ok("556016-0680"));
        assert_eq!(org("556016-0681", C::SE), Err(Checksum));
    }

    #[test]
    fn an_organisation_number_is_sent_without_its_separators() {
        let alnum = |text: &str, c| OrganisationNumber::parse(text, c).map(|o| o.alphanumeric());
        // Written with a hyphen in Sweden, sent as letters and digits only.
        assert_eq!(alnum("556036-0793", C::SE).as_deref(), Ok("5560360793"));
        assert_eq!(alnum("5560360793", C::SE).as_deref(), Ok("5560360793"));
        assert_eq!(alnum("16556036-0793", C::SE).as_deref(), Ok("5560360793"));
        assert_eq!(alnum("556036-0794", C::SE), Err(Checksum));
        assert_eq!(alnum("923 609 016", C::NO).as_deref(), Ok("923609016"));
        assert_eq!(alnum("DK10150817", C::DK).as_deref(), Ok("10150817"));
        assert_eq!(alnum("0112038-9", C::FI).as_deref(), Ok("01120389"));
    }

    #[test]
    fn danish_cpr_needs_a_real_day_only_and_cvr_is_mod_11() {
        assert_eq!(person("0707614285", C::DK).as_deref(), Ok("070761-4285"));
        // Issued since 2007 without passing modulus 11: still a CPR number.
        assert_eq!(person("010101-1234", C::DK).as_deref(), Ok("010101-1234"));
        assert_eq!(person("290201-1234", C::DK).as_deref(), Ok("290201-1234"));
        assert_eq!(person("320101-1234", C::DK), Err(Malformed));
        assert_eq!(person("011301-1234", C::DK), Err(Malformed));
        assert_eq!(org("DK 1329 3847", C::DK), Err(Checksum));
        assert_eq!(org("10150817", C::DK).as_deref(), Ok("10150817"));
        assert_eq!(org("DK10150817", C::DK).as_deref(), Ok("10150817"));
        assert_eq!(org("10150818", C::DK), Err(Checksum));
    }

    #[test]
    fn finnish_numbers_have_a_check_character() {
        assert_eq!(person("131052-308t", C::FI).as_deref(), Ok("131052-308T"));
        assert_eq!(person("131052A308T", C::FI).as_deref(), Ok("131052A308T"));
        assert_eq!(person("131052-308U", C::FI), Err(Checksum));
        assert_eq!(person("131052G308T", C::FI), Err(Malformed));
        assert_eq!(org("0112038-9", C::FI).as_deref(), Ok("0112038-9"));
        assert_eq!(org("0112038-8", C::FI), Err(Checksum));
        assert_eq!(org("01120389", C::FI), Err(Malformed));
    }

    #[test]
    fn other_countries_are_refused_and_a_personal_number_never_shows_in_debug() {
        assert_eq!(person("01017012343", C::DE), Err(NationalIdError::Country));
        assert_eq!(org("HRB 12345", C::GB), Err(NationalIdError::Country));
        let p = PersonalNumber::parse("01017012343", C::NO).unwrap();
        assert!(!format!("{p:?}").contains("0101"));
    }

    proptest! {
        #[test]
        fn hostile_text_is_refused_without_panicking(text in "\\PC{0,20}|[0-9 +-]{0,16}") {
            for c in [C::NO, C::SE, C::DK, C::FI] {
                if let Ok(p) = PersonalNumber::parse(&text, c) {
                    // The written form reads back as itself.
                    prop_assert_eq!(PersonalNumber::parse(p.expose(), c), Ok(p.clone()));
                }
                if let Ok(o) = OrganisationNumber::parse(&text, c) {
                    prop_assert_eq!(OrganisationNumber::parse(o.as_str(), c), Ok(o.clone()));
                }
            }
        }

        #[test]
        fn one_changed_digit_of_a_norwegian_number_is_always_caught(at in 0usize..11, by in 1u8..10) {
            let mut b = *b"01017012343";
            b[at] = b'0' + (b[at] - b'0' + by) % 10;
            let text = std::str::from_utf8(&b).unwrap();
            prop_assert!(PersonalNumber::parse(text, C::NO).is_err());
        }

        #[test]
        fn leading_zeros_matter(zeros in 1usize..4) {
            let padded = format!("{}923609016", "0".repeat(zeros));
            prop_assert_eq!(org(&padded, C::NO), Err(Malformed));
        }
    }
}
