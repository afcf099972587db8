//! Test fixtures shared by the widget's pure modules' unit tests.

use kassa_wire::{
    Action, Currency, CustomerField, MethodGroup, MethodId, Money, PaymentMethod, Presentation,
    ProviderId, Quote, QuoteId, Session, SessionId, SessionState,
};

/// A redirect method `m` that asks for `required`, with no country limit.
pub fn asking(required: &[CustomerField]) -> PaymentMethod {
    PaymentMethod {
        id: MethodId::parse("m").unwrap(),
        provider: ProviderId::FrontPayment,
        display_name: "M".into(),
        presentation: Presentation::Redirect,
        required_fields: required.to_vec(),
        personal_number_countries: vec![],
        extra_fields: vec![],
        allowed_origins: vec![],
        stripe_js_url: None,
        group: MethodGroup::Other,
        marks: vec![],
        label: None,
    }
}

/// A Vipps session `ks_1` in `state` for NOK 1,450.00, with `action`.
pub fn session(state: SessionState, action: Option<Action>) -> Session {
    Session {
        id: SessionId::parse("ks_1").unwrap(),
        state,
        method: MethodId::parse("vipps").unwrap(),
        provider: ProviderId::FrontPayment,
        quote: Quote {
            id: QuoteId::parse("q1").unwrap(),
            expires_at: "2026-12-01T12:15:00Z".into(),
            lines: vec![],
            total: Money::from_minor(145_000, Currency::NOK).unwrap(),
        },
        action,
        expires_at: None,
        receipt: None,
        unconfirmed: false,
    }
}
