//! ISO 3166-1 alpha-2 country codes.

use core::fmt;

/// Every officially assigned ISO 3166-1 alpha-2 code (249), concatenated in order
/// (source: the ISO 3166 Maintenance Agency's list, <https://www.iso.org/obp/ui/#search/code/>).
const ASSIGNED: &[u8; 498] =
    b"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ\
CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGN\
GPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULV\
LYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPT\
PWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUS\
UYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

/// [`ASSIGNED`] as one bit per possible code (26 × 26), built at compile time: 85 bytes in
/// the widget instead of a table and a search.
const BITS: [u8; 85] = {
    let mut bits = [0u8; 85];
    let mut i = 0;
    while i < ASSIGNED.len() {
        let n = (ASSIGNED[i] - b'A') as usize * 26 + (ASSIGNED[i + 1] - b'A') as usize;
        bits[n / 8] |= 1 << (n % 8);
        i += 2;
    }
    bits
};

/// An assigned ISO 3166-1 alpha-2 country code, upper case (`NO`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

/// Why a text is not a [`CountryCode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("is not an ISO 3166-1 alpha-2 country code such as NO")]
pub struct CountryError;

impl CountryCode {
    /// Norway.
    pub const NO: CountryCode = CountryCode(*b"NO");
    /// Sweden.
    pub const SE: CountryCode = CountryCode(*b"SE");
    /// Denmark.
    pub const DK: CountryCode = CountryCode(*b"DK");
    /// Finland.
    pub const FI: CountryCode = CountryCode(*b"FI");
    /// Germany.
    pub const DE: CountryCode = CountryCode(*b"DE");
    /// The United Kingdom.
    pub const GB: CountryCode = CountryCode(*b"GB");

    /// Parses two ASCII letters of an assigned code, in either case (`no` is `NO`).
    pub fn parse(text: &str) -> Result<Self, CountryError> {
        let &[a, b] = text.as_bytes() else {
            return Err(CountryError);
        };
        let (a, b) = (a.to_ascii_uppercase(), b.to_ascii_uppercase());
        if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() {
            return Err(CountryError);
        }
        let n = usize::from(a - b'A') * 26 + usize::from(b - b'A');
        if BITS[n / 8] & (1 << (n % 8)) == 0 {
            return Err(CountryError);
        }
        Ok(CountryCode([a, b]))
    }

    /// Every assigned code, in alphabetical order of the code: the one list a form's country
    /// choice is built from (the widget names and sorts them in the customer's language).
    pub fn assigned() -> impl Iterator<Item = CountryCode> {
        ASSIGNED.chunks_exact(2).map(|c| CountryCode([c[0], c[1]]))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Always two ASCII capitals.
        core::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CountryCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn assigned_codes_in_any_case_are_countries_and_others_are_not() {
        assert_eq!(ASSIGNED.chunks(2).count(), 249);
        assert!(ASSIGNED.chunks(2).collect::<Vec<_>>().windows(2).all(|w| w[0] < w[1]));
        for code in ["NO", "no", "No", "SE", "DK", "DE", "GB", "FI", "AD", "ZW", "SS"] {
            assert_eq!(CountryCode::parse(code).unwrap().as_str(), code.to_ascii_uppercase());
        }
        assert_eq!(CountryCode::assigned().count(), 249);
        assert!(CountryCode::assigned().all(|c| CountryCode::parse(c.as_str()) == Ok(c)));
        // XK (Kosovo) is user-assigned, UK is reserved, EU is not a country.
        for bad in ["XK", "UK", "EU", "ZZ", "N", "NOR", "N0", " NO", "ÑO", "", "Ｎ"] {
            assert_eq!(CountryCode::parse(bad), Err(CountryError), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn a_parsed_code_is_two_capitals_of_the_list(text in "\\PC{0,3}") {
            if let Ok(code) = CountryCode::parse(&text) {
                let upper = text.to_ascii_uppercase();
                prop_assert_eq!(code.as_str(), upper.as_str());
                prop_assert!(ASSIGNED.chunks(2).any(|c| c == code.as_str().as_bytes()));
            }
        }
    }
}
