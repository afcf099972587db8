//! `GET /api/3.0/booking/form`: which booking fields this account requires (C3).
//!
//! Checkfront's API reference (github.com/Checkfront/API `docs/ref/booking/form.rst`): "a
//! number of the fields returned in this request may be required to complete a booking", and
//! `booking/create` fails naming the missing ones "either those required by staff if you're
//! acting on behalf of a staff member, or by a customer otherwise". The example answer
//! (`docs/examples/response/booking-form.json`) is `booking_form_ui{<field_id>: {value,
//! define{required, layout{lbl, type, options?, customer{form, required}, staff{…}}}}}`, with
//! the terms checkbox under `booking_policy.fields`. Flags are `1`/`0`; `options` is an object
//! of value → label, read in the order sent.
//!
//! Fields Kassa has a [`CustomerField`] for are asked as that field; the other required ones
//! become [`ExtraField`]s labelled as the account labels them. Fields the merchant fills from
//! configuration (`extra_form`, `order_id_field`) are not asked.

use std::{fmt, marker::PhantomData};

use kassa_wire::{CustomerField, ExtraField, FieldOption, ProviderId};
use serde::{
    de::{self, MapAccess, SeqAccess, Visitor},
    Deserialize, Deserializer,
};
use serde_json::{value::RawValue, Value};

use super::ActAs;
use crate::{AccountForm, ProviderError};

const P: ProviderId = ProviderId::Checkfront;

/// The Checkfront field a [`CustomerField`] is sent as.
pub(crate) const STANDARD: [(&str, CustomerField); 7] = [
    ("customer_name", CustomerField::Name),
    ("customer_email", CustomerField::Email),
    ("customer_phone", CustomerField::Phone),
    ("customer_address", CustomerField::StreetAddress),
    ("customer_city", CustomerField::City),
    ("customer_country", CustomerField::Country),
    ("customer_postal_zip", CustomerField::PostalCode),
];

/// A JSON object read as its entries in the order sent (PHP's empty array `[]` is empty).
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, T>()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered<T>, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Ordered(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[derive(Deserialize)]
struct FormAnswer {
    booking_form_ui: Ordered<Box<RawValue>>,
    #[serde(default)]
    booking_policy: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct Policy {
    #[serde(default)]
    fields: Option<Ordered<Box<RawValue>>>,
}

#[derive(Deserialize)]
struct Entry {
    define: Define,
}

#[derive(Deserialize)]
struct Define {
    #[serde(default)]
    required: Option<Value>,
    #[serde(default)]
    layout: Option<Layout>,
}

#[derive(Deserialize)]
struct Layout {
    #[serde(default)]
    lbl: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    customer: Option<Role>,
    #[serde(default)]
    staff: Option<Role>,
    #[serde(default)]
    options: Option<Ordered<Value>>,
}

#[derive(Deserialize)]
struct Role {
    #[serde(default)]
    form: Option<Value>,
    #[serde(default)]
    required: Option<Value>,
}

/// `1`, `"1"`, `true` are set; anything else is not.
fn flag(value: Option<&Value>) -> Option<bool> {
    Some(match value? {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        Value::String(s) => matches!(s.trim(), "1" | "true"),
        _ => false,
    })
}

fn kind(text: Option<&str>) -> String {
    let kind = match text.map(str::to_ascii_lowercase).as_deref() {
        Some("select") => ExtraField::SELECT,
        Some("checkbox") => ExtraField::CHECKBOX,
        Some("textarea") => ExtraField::TEXTAREA,
        _ => ExtraField::TEXT,
    };
    kind.to_owned()
}

/// One field as [`ExtraField`], with `required` for the role we act as; `None` when the
/// entry is not a field (`msg`, `errors`, `mode`…).
fn field(id: &str, raw: &RawValue, act_as: ActAs) -> Option<ExtraField> {
    let entry: Entry = serde_json::from_str(raw.get()).ok()?;
    let layout = entry.define.layout;
    let role = layout.as_ref().and_then(|l| match act_as {
        ActAs::Customer => l.customer.as_ref(),
        ActAs::Staff => l.staff.as_ref(),
    });
    // A field the role's form hides is not asked, even if flagged required elsewhere.
    let shown = flag(role.and_then(|r| r.form.as_ref())).unwrap_or(true);
    let required = flag(role.and_then(|r| r.required.as_ref()))
        .or_else(|| flag(entry.define.required.as_ref()))
        .unwrap_or(false);
    let options = layout
        .as_ref()
        .and_then(|l| l.options.as_ref())
        .map(|o| {
            o.0.iter()
                .map(|(value, label)| FieldOption {
                    value: value.clone(),
                    label: label.as_str().map_or_else(|| label.to_string(), str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default();
    Some(ExtraField {
        id: id.to_owned(),
        label: layout.as_ref().and_then(|l| l.lbl.clone()).unwrap_or_else(|| id.to_owned()),
        kind: kind(layout.as_ref().and_then(|l| l.kind.as_deref())),
        required: required && shown,
        options,
    })
}

/// Reads a `booking/form` answer: the required fields for `act_as`, less those in `skip`.
pub(crate) fn read(
    body: &[u8],
    act_as: ActAs,
    skip: &[&str],
) -> Result<AccountForm, ProviderError> {
    let answer: FormAnswer =
        serde_json::from_slice(body).map_err(|_| ProviderError::unexpected(P, 200))?;
    let mut fields = Vec::new();
    let mut policy_fields = |raw: &RawValue| {
        if let Ok(policy) = serde_json::from_str::<Policy>(raw.get()) {
            for (id, raw) in policy.fields.map(|f| f.0).unwrap_or_default() {
                fields.extend(field(&id, &raw, act_as));
            }
        }
    };
    let mut ui = Vec::new();
    for (id, raw) in &answer.booking_form_ui.0 {
        if id == "booking_policy" {
            policy_fields(raw);
        } else {
            ui.push((id, raw));
        }
    }
    if let Some(raw) = &answer.booking_policy {
        policy_fields(raw);
    }
    let mut all: Vec<ExtraField> =
        ui.into_iter().filter_map(|(id, raw)| field(id, raw, act_as)).collect();
    all.extend(fields);

    let mut form = AccountForm::default();
    for f in all.into_iter().filter(|f| f.required && !skip.contains(&f.id.as_str())) {
        match STANDARD.iter().find(|(id, _)| *id == f.id) {
            Some((_, standard)) if !form.required.contains(standard) => {
                form.required.push(*standard)
            }
            Some(_) => {}
            None if !form.extra.iter().any(|e| e.id == f.id) => form.extra.push(f),
            None => {}
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of Checkfront's documented example, cut down, plus two custom fields.
    const FORM: &str = r#"{
        "version": "3.0", "request": {"status": ""},
        "booking_form_ui": {
            "msg": [], "errors": 0, "mode": "html", "_cnf": [],
            "customer_name": {"value": "", "define": {"required": 1, "layout": {
                "staff": {"invoice": 1, "form": 1, "required": 1},
                "customer": {"invoice": 1, "form": 1, "required": 1},
                "sys": 0, "lbl": "Name", "type": "text"}}},
            "booking_policy": {"body": "Policy", "fields": {"customer_tos_agree": {"value": 0,
                "define": {"required": 1, "layout": {
                    "staff": {"invoice": 1, "form": 1, "required": 0},
                    "customer": {"invoice": 1, "form": 1, "required": 1},
                    "lbl": "I have read and agreed to the Terms of Service", "type": "checkbox"}}}}},
            "customer_email": {"value": "", "define": {"mask": "email", "required": 0, "layout": {
                "staff": {"form": 1, "required": 0}, "customer": {"form": 1, "required": 1},
                "lbl": "E-mail", "type": "text"}}},
            "guide_language": {"value": "", "define": {"required": 1, "layout": {
                "customer": {"form": 1, "required": 1}, "staff": {"form": 1, "required": 1},
                "lbl": "Guide language", "type": "select",
                "options": {"nb": "Norsk", "en": "English", "de": "Deutsch"}}}},
            "pickup_point": {"value": "", "define": {"required": 0, "layout": {
                "customer": {"form": 1, "required": "1"}, "staff": {"form": 1, "required": 0},
                "lbl": "Pickup point", "type": "text"}}},
            "customer_country": {"value": "CA", "define": {"required": 0, "layout": {
                "customer": {"form": 1, "required": 0}, "lbl": "Country", "type": "select",
                "options": {"CA": "Canada"}}}}
        }
    }"#;

    #[test]
    fn a_customer_is_asked_for_what_the_customer_layout_requires_in_the_order_sent() {
        let form = read(FORM.as_bytes(), ActAs::Customer, &[]).unwrap();
        assert_eq!(form.required, [CustomerField::Name, CustomerField::Email]);
        let ids: Vec<&str> = form.extra.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["guide_language", "pickup_point", "customer_tos_agree"]);
        let language = &form.extra[0];
        assert_eq!(language.label, "Guide language");
        assert_eq!(language.kind, ExtraField::SELECT);
        let values: Vec<&str> = language.options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["nb", "en", "de"], "Checkfront's order, not sorted");
        assert_eq!(language.options[0].label, "Norsk");
        assert_eq!(form.extra[2].kind, ExtraField::CHECKBOX);
    }

    #[test]
    fn staff_are_asked_for_what_the_staff_layout_requires_and_skipped_fields_are_not_asked() {
        let form = read(FORM.as_bytes(), ActAs::Staff, &["guide_language"]).unwrap();
        assert_eq!(form.required, [CustomerField::Name]);
        assert!(form.extra.is_empty(), "{:?}", form.extra);
    }

    #[test]
    fn a_malformed_answer_is_unexpected() {
        assert!(read(b"{}", ActAs::Customer, &[]).is_err());
        let empty = read(br#"{"booking_form_ui": []}"#, ActAs::Customer, &[]).unwrap();
        assert_eq!(empty, AccountForm::default());
    }
}
