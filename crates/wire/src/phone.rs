//! Phone numbers, normalised to E.164 (`+4791234567`).
//!
//! People write numbers with spaces, dashes, dots, slashes and brackets, with `+` or `00`
//! before the country code, and at home without it. The national plans this reads (each
//! from the regulator's numbering plan, as summarised in ITU-T E.164 country annexes):
//!
//! | country | code | national number | written at home |
//! |---|---|---|---|
//! | Norway (Nkom) | 47 | 8 digits | `912 34 567`, no trunk prefix |
//! | Denmark (Energistyrelsen) | 45 | 8 digits | `12 34 56 78`, no trunk prefix |
//! | Sweden (PTS) | 46 | 7–9 digits | `070-123 45 67`, trunk prefix `0` |
//! | Germany (BNetzA) | 49 | 6–13 digits | `0151 23456789`, `(030) 1234567`, trunk `0` |
//! | United Kingdom (Ofcom) | 44 | 9–10 digits | `07700 900123`, trunk `0` |
//!
//! In international form the trunk `0` is sometimes kept in brackets (`+44 (0)20 7946
//! 0000`, `+49 (0)30 …`) or written out by mistake (`+46 070 …`); in these three plans no
//! national number begins with `0`, so it is dropped. Any other country code is accepted
//! with 7 to 15 digits in all (E.164's longest; the shortest numbers in use have a
//! three-digit code and four digits). Digits are ASCII only: a look-alike digit from
//! another script is refused, not guessed.

use core::fmt;

use crate::CountryCode;

/// A phone number in E.164 form: `+`, the country code and the national number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// Why a text is not a [`Phone`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Written without a country code where the country is not known (or its plan is
    /// not one this reads).
    #[error("give the number with its country code, like +4791234567")]
    NoCountryCode,
    /// Not a number of the plan, or a character that is neither a digit nor a separator.
    #[error("is not a phone number")]
    Malformed,
}

/// Longest text read: a formatted E.164 number with room for separators.
const MAX_TEXT: usize = 40;

/// A national plan: its country code, the lengths of its national numbers, and whether
/// numbers at home are written with the trunk prefix `0`.
struct Plan {
    code: &'static str,
    country: CountryCode,
    lengths: core::ops::RangeInclusive<usize>,
    trunk_zero: bool,
}

const PLANS: [Plan; 5] = [
    Plan { code: "47", country: CountryCode::NO, lengths: 8..=8, trunk_zero: false },
    Plan { code: "45", country: CountryCode::DK, lengths: 8..=8, trunk_zero: false },
    Plan { code: "46", country: CountryCode::SE, lengths: 7..=9, trunk_zero: true },
    Plan { code: "49", country: CountryCode::DE, lengths: 6..=13, trunk_zero: true },
    Plan { code: "44", country: CountryCode::GB, lengths: 9..=10, trunk_zero: true },
];

impl Phone {
    /// Reads a number as people write it. `home` is the customer's country, used for a
    /// number written without a country code; `None` requires the code.
    pub fn parse(text: &str, home: Option<CountryCode>) -> Result<Self, PhoneError> {
        let text = text.trim();
        if text.len() > MAX_TEXT {
            return Err(PhoneError::Malformed);
        }
        let (international, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut digits = String::with_capacity(16);
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '0'..='9' => digits.push(c),
                // `(0)`: the trunk prefix kept in brackets, dropped in international form.
                '(' if international
                    && rest.as_bytes().windows(3).any(|w| w == b"(0)")
                    && chars.peek() == Some(&'0') =>
                {
                    chars.next();
                    if chars.next() != Some(')') {
                        return Err(PhoneError::Malformed);
                    }
                }
                ' ' | '\u{a0}' | '-' | '.' | '/' | '(' | ')' => {}
                _ => return Err(PhoneError::Malformed),
            }
        }
        let (international, digits) = match digits.strip_prefix("00") {
            Some(rest) if !international => (true, rest.to_owned()),
            _ => (international, digits),
        };
        if international {
            international_number(&digits)
        } else {
            national_number(&digits, home)
        }
    }

    /// `+`, `code` and `national`.
    fn of(code: &str, national: &str) -> Phone {
        let mut text = String::with_capacity(1 + code.len() + national.len());
        text.push('+');
        text.push_str(code);
        text.push_str(national);
        Phone(text)
    }

    /// The E.164 text, `+4791234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as it is shown back to the customer: E.164 with a space after the country
    /// code where the plan is one of the five above (`+47 91234567`), the international
    /// notation of ITU-T E.123; another country's number as E.164 (its code's length would
    /// take a table of every plan). Reads back as the same [`Phone`].
    pub fn grouped(&self) -> String {
        let digits = &self.0[1..];
        match PLANS.iter().find(|p| digits.starts_with(p.code)) {
            Some(plan) => crate::customer::joined(
                &self.0[..1 + plan.code.len()],
                ' ',
                &digits[plan.code.len()..],
            ),
            None => self.0.clone(),
        }
    }
}

fn international_number(digits: &str) -> Result<Phone, PhoneError> {
    if digits.starts_with('0') {
        return Err(PhoneError::Malformed);
    }
    if let Some(plan) = PLANS.iter().find(|p| digits.starts_with(p.code)) {
        let national = &digits[plan.code.len()..];
        let national = match national.strip_prefix('0') {
            Some(rest) if plan.trunk_zero => rest,
            _ => national,
        };
        return in_plan(plan, national);
    }
    if (7..=15).contains(&digits.len()) {
        Ok(Phone::of("", digits))
    } else {
        Err(PhoneError::Malformed)
    }
}

fn national_number(digits: &str, home: Option<CountryCode>) -> Result<Phone, PhoneError> {
    let plan = home
        .and_then(|c| PLANS.iter().find(|p| p.country == c))
        .ok_or(PhoneError::NoCountryCode)?;
    let national = if plan.trunk_zero {
        digits.strip_prefix('0').ok_or(PhoneError::Malformed)?
    } else {
        digits
    };
    in_plan(plan, national)
}

fn in_plan(plan: &Plan, national: &str) -> Result<Phone, PhoneError> {
    if plan.lengths.contains(&national.len()) && !national.starts_with('0') {
        Ok(Phone::of(plan.code, national))
    } else {
        Err(PhoneError::Malformed)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn e164(text: &str, home: Option<CountryCode>) -> Result<String, PhoneError> {
        Phone::parse(text, home).map(|p| p.0)
    }

    #[test]
    fn numbers_as_people_write_them_in_five_countries_become_e164() {
        use CountryCode as C;
        let cases = [
            ("+47 912 34 567", None, "+4791234567"),
            ("0047 91 23 45 67", None, "+4791234567"),
            ("912 34 567", Some(C::NO), "+4791234567"),
            ("91234567", Some(C::NO), "+4791234567"),
            ("+45 12 34 56 78", None, "+4512345678"),
            ("12 34 56 78", Some(C::DK), "+4512345678"),
            ("070-123 45 67", Some(C::SE), "+46701234567"),
            ("+46 (0)70-123 45 67", None, "+46701234567"),
            ("+46 070 123 45 67", None, "+46701234567"),
            ("08-123 456 78", Some(C::SE), "+46812345678"),
            ("0151 23456789", Some(C::DE), "+4915123456789"),
            ("(030) 1234567", Some(C::DE), "+49301234567"),
            ("+49 (0)30 / 123 45 67", None, "+49301234567"),
            ("07700 900123", Some(C::GB), "+447700900123"),
            ("+44 (0)20 7946 0000", None, "+442079460000"),
            ("020.7946.0000", Some(C::GB), "+442079460000"),
            ("+1 (415) 555-0100", None, "+14155550100"),
            ("+354 555 1234", None, "+3545551234"),
            ("+4791234567", Some(C::SE), "+4791234567"),
        ];
        for (text, home, want) in cases {
            assert_eq!(e164(text, home).as_deref(), Ok(want), "{text:?} in {home:?}");
        }
    }

    #[test]
    fn numbers_outside_the_plan_or_with_strange_characters_are_refused() {
        use CountryCode as C;
        assert_eq!(e164("912 34 567", None), Err(PhoneError::NoCountryCode));
        assert_eq!(e164("912 34 567", Some(C::FI)), Err(PhoneError::NoCountryCode));
        for (text, home) in [
            ("+47 912 34 56", None),       // 7 digits in Norway
            ("+47 912 34 5678", None),     // 9 digits in Norway
            ("9123456", Some(C::NO)),      // short
            ("+45 1234 567", None),        // 7 digits in Denmark
            ("70 123 45 67", Some(C::SE)), // no trunk prefix at home
            ("+44 20 7946", None),
            ("+0 123 456 789", None),
            ("+1 23", None),
            ("+1234567890123456", None), // 16 digits
            ("+47 912a4567", None),
            ("+47 ٩١٢٣٤٥٦٧", None),         // Arabic-Indic digits
            ("+47 ９１２３４５６７", None), // full-width digits
            ("++4791234567", None),
            ("+47 (1)91234567", None),
            ("", None),
            ("+", None),
        ] {
            assert!(e164(text, home).is_err(), "{text:?} in {home:?}");
        }
        assert!(e164(&format!("+47{}", " ".repeat(40)), None).is_err());
    }

    #[test]
    fn a_number_is_shown_back_with_its_country_code_apart() {
        let shown = |t, home| Phone::parse(t, home).unwrap().grouped();
        assert_eq!(shown("912 34 567", Some(CountryCode::NO)), "+47 91234567");
        assert_eq!(shown("070-123 45 67", Some(CountryCode::SE)), "+46 701234567");
        assert_eq!(shown("+44 (0)20 7946 0000", None), "+44 2079460000");
        assert_eq!(shown("+1 (415) 555-0100", None), "+14155550100");
    }

    proptest! {
        #[test]
        fn anything_is_parsed_or_refused_and_a_result_is_canonical(
            text in "[+0-9 ()./\\-]{0,30}|\\PC{0,30}",
        ) {
            if let Ok(phone) = Phone::parse(&text, Some(CountryCode::SE)) {
                let digits = &phone.0[1..];
                prop_assert!(phone.0.starts_with('+'));
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                prop_assert!((7..=15).contains(&digits.len()));
                // E.164 in, the same out; and what is shown back reads as the same number.
                prop_assert_eq!(Phone::parse(&phone.0, None), Ok(phone.clone()));
                prop_assert_eq!(Phone::parse(&phone.grouped(), None), Ok(phone.clone()));
            }
        }

        #[test]
        fn separators_anywhere_do_not_change_the_number(
            cuts in proptest::collection::vec((0usize..10, prop_oneof![Just(' '), Just('-'), Just('.')]), 0..4),
        ) {
            let mut text: Vec<char> = "4791234567".chars().collect();
            for (at, sep) in cuts {
                text.insert(at.min(text.len()), sep);
            }
            let text: String = std::iter::once('+').chain(text).collect();
            let got = e164(&text, None);
            prop_assert_eq!(got.as_deref(), Ok("+4791234567"));
        }
    }
}
