//! The widget's language: English, Norwegian Bokmål, Swedish, Danish or German.
//!
//! Texts live in `src/locales/<language>.json` and are compiled in by leptos_i18n, which
//! checks every key the code uses; `build.rs` refuses a build where any language lacks a
//! key, so a missing translation fails the build, not the customer. Numbers, money, dates
//! and remaining time are never written here: `format.rs` hands them to the browser's `Intl`.
//!
//! The language comes from the element's `locale` attribute, else the browser's language;
//! anything we do not speak falls back to English (and is then formatted as English too, so
//! a sentence never mixes two languages).

#[allow(deprecated, missing_docs, clippy::all)]
mod generated {
    leptos_i18n::load_locales!();
}

pub use generated::i18n::Locale;

/// A text in `lang`: `t!(lang, key)` is a `&'static str`. Unknown keys do not compile.
#[macro_export]
macro_rules! t {
    ($lang:expr, $key:ident) => {
        $crate::lang::text($lang, |l| leptos_i18n::td_string!(l, $key))
    };
}

/// Applies `pick` to `lang`; exists so that `t!` takes any expression.
#[doc(hidden)]
pub fn text(lang: Locale, pick: impl Fn(Locale) -> &'static str) -> &'static str {
    pick(lang)
}

/// The language for a BCP 47 tag: its primary subtag if we speak it (`no` and `nn` read as
/// Bokmål, the written Norwegian every Norwegian reads), else English.
pub fn for_tag(tag: &str) -> Locale {
    spoken(tag).unwrap_or(Locale::en)
}

/// The language of a BCP 47 tag if it is one we speak.
pub fn spoken(tag: &str) -> Option<Locale> {
    let b = tag.as_bytes();
    if b.len() > 2 && !matches!(b[2], b'-' | b'_') {
        return None;
    }
    match [b.first().map(u8::to_ascii_lowercase), b.get(1).map(u8::to_ascii_lowercase)] {
        [Some(b'n'), Some(b'b' | b'o' | b'n')] => Some(Locale::nb),
        [Some(b's'), Some(b'v')] => Some(Locale::sv),
        [Some(b'd'), Some(b'a')] => Some(Locale::da),
        [Some(b'd'), Some(b'e')] => Some(Locale::de),
        [Some(b'e'), Some(b'n')] => Some(Locale::en),
        _ => None,
    }
}

/// The customer's first preference (the browser's `navigator.languages`, most wanted
/// first) that we speak: a Swede whose browser asks for French, then Swedish, reads Swedish
/// rather than English.
pub fn first_spoken(preferences: &[String]) -> Option<&String> {
    preferences.iter().find(|tag| spoken(tag).is_some())
}

/// The language's own tag, for `lang` attributes and as a formatting fallback.
pub fn tag(lang: Locale) -> &'static str {
    match lang {
        Locale::en => "en",
        Locale::nb => "nb",
        Locale::sv => "sv",
        Locale::da => "da",
        Locale::de => "de",
    }
}

/// `template` with its one `{placeholder}` replaced by `value` (placeholders are checked
/// against English by `build.rs`).
pub fn fill(template: &str, value: &str) -> String {
    match template.split_once('{').and_then(|(head, rest)| Some((head, rest.split_once('}')?.1))) {
        Some((head, tail)) => {
            let mut s = String::with_capacity(template.len() + value.len());
            s.push_str(head);
            s.push_str(value);
            s.push_str(tail);
            s
        }
        None => template.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_map_to_the_languages_we_speak() {
        assert_eq!(for_tag("nb-NO"), Locale::nb);
        assert_eq!(for_tag("no"), Locale::nb);
        assert_eq!(for_tag("nn-NO"), Locale::nb);
        assert_eq!(for_tag("sv-SE"), Locale::sv);
        assert_eq!(for_tag("da"), Locale::da);
        assert_eq!(for_tag("de-AT"), Locale::de);
        assert_eq!(for_tag("en-GB"), Locale::en);
        assert_eq!(for_tag("fr-FR"), Locale::en);
        assert_eq!(for_tag(""), Locale::en);
        assert_eq!(for_tag("nbx"), Locale::en);
        assert_eq!(for_tag("DE_ch"), Locale::de);
    }

    #[test]
    fn the_first_preference_we_speak_wins() {
        let prefs = |tags: &[&str]| tags.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        let first = |tags: &[&str]| first_spoken(&prefs(tags)).cloned();
        assert_eq!(first(&["fr-FR", "fr", "sv-SE", "en"]), Some("sv-SE".into()));
        assert_eq!(first(&["es", "en-GB", "de"]), Some("en-GB".into()));
        assert_eq!(first(&["nn-NO"]), Some("nn-NO".into()));
        assert_eq!(first(&["fr", "it"]), None);
        assert_eq!(first(&[]), None);
        assert_eq!(spoken("fr"), None);
        assert_eq!(spoken("en-US"), Some(Locale::en));
        assert_eq!(spoken("enx"), None);
    }

    #[test]
    fn every_language_has_its_own_words() {
        assert_eq!(t!(Locale::en, pay), "Pay {total}");
        assert_eq!(t!(Locale::nb, total), "Totalt");
        assert_eq!(t!(Locale::de, try_again), "Erneut versuchen");
        assert_eq!(fill(t!(Locale::nb, pay), "kr 1 450,00"), "Betal kr 1 450,00");
        assert_eq!(fill(t!(Locale::de, pay), "1.450,00 NOK"), "1.450,00 NOK bezahlen");
        assert_eq!(fill("no placeholder", "x"), "no placeholder");
    }
}
