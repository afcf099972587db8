//! The language a checkout is shown and paid in.

use core::fmt;

/// A BCP 47 language tag as far as a checkout needs one (`nb-NO`): subtags of 1 to 8
/// letters or digits joined by `-`, the first 2 to 8 letters, 35 characters at most (RFC
/// 5646 §2.1, §4.4.1). `_` as people write it in POSIX locales (`nb_NO`) reads as `-`.
/// Whether the language exists is for the browser (`Intl`) and the provider to say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LanguageTag(String);

/// Why a text is not a [`LanguageTag`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("is not a BCP 47 language tag such as nb-NO")]
pub struct LanguageTagError;

impl LanguageTag {
    /// Reads a trimmed tag.
    pub fn parse(text: &str) -> Result<Self, LanguageTagError> {
        let tag = text.trim().replace('_', "-");
        let mut subtags = tag.split('-');
        let first_ok = subtags.next().is_some_and(|s| {
            (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
        });
        let rest_ok = subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
        if tag.len() <= 35 && first_ok && rest_ok {
            Ok(LanguageTag(tag))
        } else {
            Err(LanguageTagError)
        }
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn tags_as_people_write_them_are_read_and_others_refused() {
        for (text, tag) in
            [("nb-NO", "nb-NO"), ("nb_NO", "nb-NO"), (" sv ", "sv"), ("de-CH-1996", "de-CH-1996")]
        {
            assert_eq!(LanguageTag::parse(text).unwrap().as_str(), tag);
        }
        for bad in [
            "",
            "n",
            "<script>",
            "nb--NO",
            "nb-",
            "-nb",
            "12-NO",
            "nb-NO-toolongsub",
            "nb NO",
            "nö",
        ] {
            assert!(LanguageTag::parse(bad).is_err(), "{bad:?}");
        }
        assert!(LanguageTag::parse(&format!("en{}", "-abc".repeat(9))).is_err());
    }

    proptest! {
        #[test]
        fn a_tag_is_ascii_and_reads_back_as_itself(text in "\\PC{0,40}") {
            if let Ok(tag) = LanguageTag::parse(&text) {
                prop_assert!(tag.as_str().is_ascii() && tag.as_str().len() <= 35);
                prop_assert_eq!(LanguageTag::parse(tag.as_str()), Ok(tag.clone()));
            }
        }
    }
}
