//! What a provider account asks of every customer (Checkfront's booking form), read from the
//! provider and cached for [`TTL`]: the config answer tells the widget, and session creation
//! checks the customer's answers against it before anything is booked.
//!
//! Checkfront's reference says the form "can easily be cached if your configuration does not
//! often change" (github.com/Checkfront/API `docs/ref/booking/form.rst`). When the provider
//! cannot be reached, the last form read is kept; with none, the method's configured fields
//! stand alone and Checkfront's own refusal names what is missing.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use kassa_providers::{AccountForm, Provider};
use kassa_wire::{CustomerField, ExtraField, ExtraValue, PaymentMethod, ProviderId};
use tokio::sync::Mutex;

use crate::error::AppError;

/// How long a form read from the provider is used before it is read again.
pub const TTL: Duration = Duration::from_secs(300);

/// The cache, one entry per provider.
#[derive(Debug, Default)]
pub struct AccountForms {
    cached: Mutex<HashMap<ProviderId, (Instant, AccountForm)>>,
}

impl AccountForms {
    /// The form of `provider`'s account; `None` for providers without one, or when it was
    /// never read. Read again once older than [`TTL`].
    pub async fn of(&self, provider: &Provider) -> Option<AccountForm> {
        let mut cached = self.cached.lock().await;
        if let Some((at, form)) = cached.get(&provider.id()) {
            if at.elapsed() < TTL {
                return Some(form.clone());
            }
        }
        match provider.account_form().await {
            Ok(Some(form)) => {
                cached.insert(provider.id(), (Instant::now(), form.clone()));
                Some(form)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(provider = provider.id().as_str(), error = %e, "could not read the provider account's booking form; using the last one read");
                cached.get(&provider.id()).map(|(_, form)| form.clone())
            }
        }
    }
}

/// `method` with what its provider's account also requires.
pub fn merged(mut method: PaymentMethod, form: Option<&AccountForm>) -> PaymentMethod {
    if let Some(form) = form {
        for field in &form.required {
            if !method.required_fields.contains(field) {
                method.required_fields.push(*field);
            }
        }
        method.required_fields.sort_by_key(|f| CustomerField::ALL.iter().position(|a| a == f));
        method.extra_fields = form.extra.clone();
    }
    method
}

/// Checks the values given for a method's extra fields; answers them trimmed, in the
/// fields' order. An unknown or repeated field, a missing required one, or a choice the field
/// does not offer is refused, naming the field, never echoing the value.
pub fn check_extra(
    given: &[ExtraValue],
    fields: &[ExtraField],
) -> Result<Vec<ExtraValue>, AppError> {
    let path = |id: &str| format!("customer.extra.{}", id.chars().take(64).collect::<String>());
    for (n, value) in given.iter().enumerate() {
        if !fields.iter().any(|f| f.id == value.id) {
            return Err(AppError::invalid(
                path(&value.id),
                "this payment method does not ask for it",
            ));
        }
        if given[..n].iter().any(|earlier| earlier.id == value.id) {
            return Err(AppError::invalid(path(&value.id), "given twice"));
        }
    }
    let mut out = Vec::new();
    for field in fields {
        let value = given.iter().find(|v| v.id == field.id).map(|v| v.value.trim()).unwrap_or("");
        let long = field.kind == ExtraField::TEXTAREA;
        if value.is_empty() {
            if field.required {
                return Err(AppError::invalid(path(&field.id), "this payment method needs it"));
            }
            continue;
        }
        if value.chars().count() > if long { 2000 } else { 200 }
            || value.chars().any(|c| c.is_control() && !(c == '\n' && long))
        {
            return Err(AppError::invalid(path(&field.id), "too long or not plain text"));
        }
        let ok = match field.kind.as_str() {
            ExtraField::SELECT => field.options.iter().any(|o| o.value == value),
            ExtraField::CHECKBOX => value == "1",
            _ => true,
        };
        if !ok {
            return Err(AppError::invalid(path(&field.id), "is not one of the field's choices"));
        }
        out.push(ExtraValue { id: field.id.clone(), value: value.to_owned() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use kassa_wire::FieldOption;

    use super::*;

    fn fields() -> Vec<ExtraField> {
        vec![
            ExtraField {
                id: "guide_language".into(),
                label: "Guide language".into(),
                kind: ExtraField::SELECT.into(),
                required: true,
                options: vec![FieldOption { value: "en".into(), label: "English".into() }],
            },
            ExtraField {
                id: "terms".into(),
                label: "Terms".into(),
                kind: ExtraField::CHECKBOX.into(),
                required: false,
                options: vec![],
            },
        ]
    }

    fn given(pairs: &[(&str, &str)]) -> Vec<ExtraValue> {
        pairs
            .iter()
            .map(|(k, v)| ExtraValue { id: (*k).to_owned(), value: (*v).to_owned() })
            .collect()
    }

    fn field_of(e: AppError) -> Option<String> {
        match e {
            AppError::Invalid { field, .. } => field,
            _ => None,
        }
    }

    #[test]
    fn required_choices_and_unknown_fields_are_checked() {
        let ok = check_extra(&given(&[("guide_language", " en ")]), &fields()).unwrap();
        assert_eq!(ok, given(&[("guide_language", "en")]));
        let missing = check_extra(&given(&[]), &fields()).unwrap_err();
        assert_eq!(field_of(missing).as_deref(), Some("customer.extra.guide_language"));
        let wrong = check_extra(&given(&[("guide_language", "fr")]), &fields()).unwrap_err();
        assert_eq!(field_of(wrong).as_deref(), Some("customer.extra.guide_language"));
        let unknown = check_extra(&given(&[("guide_language", "en"), ("price", "0")]), &fields())
            .unwrap_err();
        assert_eq!(field_of(unknown).as_deref(), Some("customer.extra.price"));
        let unticked =
            check_extra(&given(&[("guide_language", "en"), ("terms", "yes")]), &fields());
        assert!(unticked.is_err(), "a checkbox is 1 or nothing");
    }

    #[test]
    fn a_form_adds_its_required_fields_and_extras_to_the_method() {
        let method = PaymentMethod {
            id: kassa_wire::MethodId::parse("cf").unwrap(),
            provider: ProviderId::Checkfront,
            display_name: "Checkfront".into(),
            presentation: kassa_wire::Presentation::Iframe,
            required_fields: vec![CustomerField::Email],
            personal_number_countries: vec![],
            extra_fields: vec![],
            allowed_origins: vec![],
            stripe_js_url: None,
            group: kassa_wire::MethodGroup::BookingPage,
            marks: vec![kassa_wire::Mark::BookingPage],
            label: None,
        };
        let form = AccountForm {
            required: vec![CustomerField::Email, CustomerField::Name],
            extra: fields(),
        };
        let merged = merged(method.clone(), Some(&form));
        assert_eq!(merged.required_fields, [CustomerField::Name, CustomerField::Email]);
        assert_eq!(merged.extra_fields, fields());
        assert_eq!(super::merged(method.clone(), None), method);
    }
}
