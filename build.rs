//! Refuses to build the widget when a translation is missing.
//!
//! Every file in `src/locales/` (one per language, compiled in by leptos_i18n) must have
//! exactly the keys of `en.json`, no empty text, and the same `{placeholders}` as English,
//! so that a missing or broken translation fails the build, not the customer.

use std::{collections::BTreeMap, collections::BTreeSet, path::Path};

const LOCALES: [&str; 5] = ["en", "nb", "sv", "da", "de"];

fn main() {
    let dir = Path::new("src/locales");
    println!("cargo::rerun-if-changed=src/locales");
    let read = |locale: &str| -> BTreeMap<String, String> {
        let path = dir.join(format!("{locale}.json"));
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{} is not a flat JSON object of strings: {e}", path.display())
        })
    };
    let english = read("en");
    let mut problems = Vec::new();
    for locale in LOCALES {
        let messages = read(locale);
        for (key, en) in &english {
            match messages.get(key) {
                None => problems.push(format!("{locale}.json has no translation for \"{key}\"")),
                Some(text) if text.trim().is_empty() => {
                    problems.push(format!("{locale}.json: \"{key}\" is empty"))
                }
                Some(text) if placeholders(text) != placeholders(en) => problems.push(format!(
                    "{locale}.json: \"{key}\" has placeholders {:?}, English has {:?}",
                    placeholders(text),
                    placeholders(en)
                )),
                Some(_) => {}
            }
        }
        for key in messages.keys().filter(|k| !english.contains_key(*k)) {
            problems.push(format!("{locale}.json has \"{key}\", which en.json lacks"));
        }
    }
    if !problems.is_empty() {
        panic!("missing or broken translations:\n  {}", problems.join("\n  "));
    }
}

/// The `{name}` placeholders of a message.
fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
}
