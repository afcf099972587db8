//! Identifiers that cross the wire, each parsed once by one rule.
//!
//! An id arrives from a browser, a provider or a URL; once it is one of these types it has
//! the right length and alphabet, so no later code checks it again. Every id type reads
//! and writes JSON as a plain string and refuses one that breaks its rule.

use core::fmt;

/// Why a text is not an id of some kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Empty.
    #[error("is empty")]
    Empty,
    /// Longer than the kind allows.
    #[error("is longer than {0} characters")]
    TooLong(usize),
    /// A character outside the kind's alphabet.
    #[error("has a character outside {0}")]
    Character(&'static str),
}

/// `A-Z a-z 0-9 _ - .`: safe in a URL path, a query, a header and a log line as it is.
fn url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Printable ASCII without space (`!`..=`~`).
fn graphic(b: u8) -> bool {
    b.is_ascii_graphic()
}

fn check(
    text: &str,
    max: usize,
    ok: fn(u8) -> bool,
    alphabet: &'static str,
) -> Result<(), IdError> {
    if text.is_empty() {
        Err(IdError::Empty)
    } else if text.len() > max {
        Err(IdError::TooLong(max))
    } else if !text.bytes().all(ok) {
        Err(IdError::Character(alphabet))
    } else {
        Ok(())
    }
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, max = $max:expr, $ok:expr, $alphabet:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The longest one, in bytes.
            pub const MAX_LEN: usize = $max;

            /// Parses `text` by this id's rule.
            pub fn parse(text: impl Into<String>) -> Result<Self, IdError> {
                let text = text.into();
                check(&text, $max, $ok, $alphabet)?;
                Ok($name(text))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl core::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl core::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl core::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// Kassa's id of a checkout session, which is also the order reference: 1 to 128 of
    /// `A-Z a-z 0-9 _ - .` (the reference backend issues `ks_` and 32 hex digits; another
    /// backend may issue its own within this rule).
    SessionId,
    max = 128,
    url_safe,
    "A-Z a-z 0-9 _ - ."
);

id_type!(
    /// A payment method's id from the merchant's config (`stripe-hosted`): 1 to 64 of
    /// `A-Z a-z 0-9 _ - .`.
    MethodId,
    max = 64,
    url_safe,
    "A-Z a-z 0-9 _ - ."
);

id_type!(
    /// The `Idempotency-Key` of one checkout attempt: 1 to 255 printable ASCII characters
    /// without spaces (the widget sends a UUID).
    IdempotencyKey,
    max = 255,
    graphic,
    "printable ASCII"
);

id_type!(
    /// A provider's own id of a payment (a Stripe `cs_…`, a Front Payment order UUID, a
    /// Checkfront booking code): 1 to 128 printable ASCII characters without spaces.
    ProviderRef,
    max = 128,
    graphic,
    "printable ASCII"
);

id_type!(
    /// The id of a [`crate::Quote`]: an opaque token the backend can check later, 1 to 256 of
    /// `A-Z a-z 0-9 _ - .`.
    QuoteId,
    max = 256,
    url_safe,
    "A-Z a-z 0-9 _ - ."
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn each_id_keeps_to_its_length_and_alphabet() {
        assert!(SessionId::parse("ks_0123abcd").is_ok());
        assert_eq!(SessionId::parse(""), Err(IdError::Empty));
        assert_eq!(SessionId::parse("a".repeat(129)), Err(IdError::TooLong(128)));
        assert!(SessionId::parse("a".repeat(128)).is_ok());
        for bad in ["ks 1", "ks/1", "ks?1", "ks%201", "ks_ø", "ks\u{0}"] {
            assert!(SessionId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(MethodId::parse("stripe-hosted").is_ok());
        assert!(MethodId::parse("a".repeat(65)).is_err());
        assert!(IdempotencyKey::parse("550e8400-e29b-41d4-a716-446655440000").is_ok());
        assert!(IdempotencyKey::parse("a key").is_err());
        assert!(IdempotencyKey::parse("k".repeat(256)).is_err());
        assert!(ProviderRef::parse("cs_test_a1B2").is_ok());
        assert!(ProviderRef::parse("r".repeat(129)).is_err());
        assert!(QuoteId::parse("v1.1767225600.abc-_").is_ok());
        assert!(QuoteId::parse("v1+x").is_err());
    }

    #[test]
    fn an_id_reads_and_writes_json_as_a_string_and_refuses_a_bad_one() {
        let id: SessionId = serde_json::from_str(r#""ks_1""#).unwrap();
        assert_eq!(id, "ks_1");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""ks_1""#);
        assert!(serde_json::from_str::<SessionId>(r#""ks 1""#).is_err());
        assert!(serde_json::from_str::<SessionId>("1").is_err());
    }

    proptest! {
        #[test]
        fn session_ids_accept_exactly_the_url_safe_texts(text in "\\PC{0,140}") {
            let ok = !text.is_empty()
                && text.len() <= 128
                && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
            prop_assert_eq!(SessionId::parse(text.clone()).is_ok(), ok);
        }

        #[test]
        fn a_parsed_id_is_its_text(text in "[A-Za-z0-9_.-]{1,128}") {
            let id = SessionId::parse(text.clone()).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
        }
    }
}
