//! The OpenAPI document (`crates/server/openapi.json`) against the code: the wire types and
//! the routes. If a field is added to, renamed in or removed from `kassa_wire::contract`, a
//! test here fails (or the struct literals below stop compiling) until the document says so.

use std::collections::BTreeSet;

use kassa_server::openapi::DOCUMENT;
use kassa_wire::{
    Action, ApiError, CartItem, CheckoutConfig, CreateSession, Currency, CustomerDetails,
    CustomerField, ErrorCode, Mark, MethodGroup, MethodId, Money, PaymentMethod, Presentation,
    ProviderId, Quote, QuoteId, QuoteLine, QuoteRequest, Receipt, RedirectReason, Session,
    SessionId, SessionState,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

use crate::support::{
    app::{create_body, TestApp, SITE},
    Backend,
};

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
}

fn schema(name: &str) -> Value {
    document()["components"]["schemas"][name].clone()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK).unwrap()
}

/// Reads the schema's example into `T` and writes it back: it must come out unchanged.
fn round_trips<T: Serialize + DeserializeOwned>(name: &str) {
    let example = schema(name)["example"].clone();
    assert!(!example.is_null(), "{name} has an example");
    let value: T =
        serde_json::from_value(example.clone()).unwrap_or_else(|e| panic!("{name}'s example: {e}"));
    assert_eq!(serde_json::to_value(value).unwrap(), example, "{name}'s example round trip");
}

/// `full` sets every field: its keys are exactly the schema's properties. `minimal` sets only
/// what must be set: every required property is among its keys.
fn fields_match<T: Serialize>(name: &str, full: &T, minimal: &T) {
    let schema = schema(name);
    let properties = keys(&schema["properties"]);
    assert_eq!(
        keys(&serde_json::to_value(full).unwrap()),
        properties,
        "{name}: fields vs properties"
    );
    let required: BTreeSet<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    let always = keys(&serde_json::to_value(minimal).unwrap());
    assert!(
        required.is_subset(&always),
        "{name}: required {required:?} but only {always:?} are always sent"
    );
}

fn enum_values(name: &str) -> BTreeSet<String> {
    schema(name)["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn names<T: Serialize>(all: impl IntoIterator<Item = T>) -> BTreeSet<String> {
    all.into_iter().map(|v| serde_json::to_value(v).unwrap().as_str().unwrap().to_owned()).collect()
}

#[test]
fn every_schema_example_reads_into_its_wire_type_and_writes_back_unchanged() {
    round_trips::<Money>("Money");
    round_trips::<PaymentMethod>("PaymentMethod");
    round_trips::<CheckoutConfig>("CheckoutConfig");
    round_trips::<CartItem>("CartItem");
    round_trips::<QuoteLine>("QuoteLine");
    round_trips::<Quote>("Quote");
    round_trips::<CustomerDetails>("CustomerDetails");
    round_trips::<CreateSession>("CreateSession");
    round_trips::<Action>("RedirectAction");
    round_trips::<Action>("IframeAction");
    round_trips::<Action>("StripeEmbeddedAction");
    round_trips::<Receipt>("Receipt");
    round_trips::<Session>("Session");
    round_trips::<ApiError>("ApiError");
    // QuoteRequest's example omits dates, so it is read, not written back.
    let _: QuoteRequest =
        serde_json::from_value(schema("QuoteRequest")["example"].clone()).unwrap();
}

#[test]
fn every_wire_field_is_a_schema_property_and_every_required_property_is_always_sent() {
    let line = QuoteLine {
        sku: "s".into(),
        name: "n".into(),
        quantity: 1,
        unit_price: nok(1),
        line_total: nok(1),
        start_date: Some("2026-12-01".into()),
        end_date: Some("2026-12-01".into()),
    };
    let bare_line = QuoteLine { start_date: None, end_date: None, ..line.clone() };
    fields_match("QuoteLine", &line, &bare_line);
    let quote = Quote {
        id: QuoteId::parse("v1.1.a.b").unwrap(),
        expires_at: "2026-12-01T12:15:00Z".into(),
        lines: vec![line],
        total: nok(1),
    };
    fields_match("Quote", &quote, &quote);
    fields_match("Money", &nok(1), &nok(1));
    let item = CartItem {
        sku: "s".into(),
        quantity: 1,
        start_date: Some("d".into()),
        end_date: Some("d".into()),
    };
    let bare_item = CartItem { start_date: None, end_date: None, ..item.clone() };
    fields_match("CartItem", &item, &bare_item);
    fields_match("QuoteRequest", &QuoteRequest { items: vec![] }, &QuoteRequest { items: vec![] });
    let text = || Some("x".to_owned());
    let customer = CustomerDetails {
        name: text(),
        email: text(),
        phone: text(),
        customer_type: text(),
        personal_number: text(),
        organisation_id: text(),
        street_address: text(),
        postal_code: text(),
        city: text(),
        country: text(),
        extra: vec![kassa_wire::ExtraValue { id: "guide_language".into(), value: "en".into() }],
    };
    fields_match("CustomerDetails", &customer, &CustomerDetails::default());
    let create = CreateSession {
        items: vec![item],
        quote_id: QuoteId::parse("v1.1.a.b").unwrap(),
        method: MethodId::parse("m").unwrap(),
        return_url: "u".into(),
        customer: customer.clone(),
        locale: Some("nb".into()),
    };
    let bare_create =
        CreateSession { locale: None, customer: CustomerDetails::default(), ..create.clone() };
    fields_match("CreateSession", &create, &bare_create);
    let method = PaymentMethod {
        id: MethodId::parse("m").unwrap(),
        provider: ProviderId::Stripe,
        display_name: "d".into(),
        presentation: Presentation::StripeEmbedded,
        required_fields: vec![CustomerField::Name],
        personal_number_countries: vec![kassa_wire::CountryCode::NO],
        extra_fields: vec![kassa_wire::ExtraField {
            id: "guide_language".into(),
            label: "Guide language".into(),
            kind: kassa_wire::ExtraField::SELECT.into(),
            required: true,
            options: vec![kassa_wire::FieldOption { value: "en".into(), label: "English".into() }],
        }],
        allowed_origins: vec![],
        stripe_js_url: Some("u".into()),
        group: MethodGroup::Card,
        marks: vec![Mark::Visa],
        label: Some("Kort".into()),
    };
    let bare_method = PaymentMethod {
        stripe_js_url: None,
        extra_fields: vec![],
        personal_number_countries: vec![],
        marks: vec![],
        label: None,
        ..method.clone()
    };
    fields_match("PaymentMethod", &method, &bare_method);
    let config = CheckoutConfig {
        merchant_name: "m".into(),
        currency: Currency::NOK,
        methods: vec![method],
        default_method: Some("m".into()),
        country: Some("NO".into()),
    };
    let bare_config = CheckoutConfig { default_method: None, country: None, ..config.clone() };
    fields_match("CheckoutConfig", &config, &bare_config);
    let receipt = Receipt { amount: nok(1), provider_reference: "r".into(), paid_at: 1 };
    fields_match("Receipt", &receipt, &receipt);
    let session = Session {
        id: SessionId::parse("ks").unwrap(),
        state: SessionState::Paid,
        method: MethodId::parse("m").unwrap(),
        provider: ProviderId::Stripe,
        quote: quote.clone(),
        action: Some(Action::redirect("u")),
        expires_at: Some(1),
        receipt: Some(receipt),
        unconfirmed: true,
    };
    let bare_session = Session {
        action: None,
        expires_at: None,
        receipt: None,
        unconfirmed: false,
        ..session.clone()
    };
    fields_match("Session", &session, &bare_session);
    let embedded = Action::StripeEmbedded {
        client_secret: "c".into(),
        publishable_key: "p".into(),
        stripe_account: Some("a".into()),
    };
    let bare_embedded = Action::StripeEmbedded {
        client_secret: "c".into(),
        publishable_key: "p".into(),
        stripe_account: None,
    };
    fields_match("StripeEmbeddedAction", &embedded, &bare_embedded);
    fields_match(
        "RedirectAction",
        &Action::Redirect { url: "u".into(), reason: Some(RedirectReason::FrameRefused) },
        &Action::redirect("u"),
    );
    fields_match(
        "IframeAction",
        &Action::Iframe { url: "u".into() },
        &Action::Iframe { url: "u".into() },
    );
    let error = ApiError {
        code: ErrorCode::Internal,
        message: "m".into(),
        field: Some("f".into()),
        retryable: true,
        quote: Some(quote.clone()),
        detail: Some("d".into()),
        reference: Some("ks_1".into()),
    };
    let bare =
        ApiError { field: None, quote: None, detail: None, reference: None, ..error.clone() };
    fields_match("ApiError", &error, &bare);
}

#[test]
fn every_enum_lists_exactly_the_wire_values() {
    assert_eq!(enum_values("ProviderId"), names(ProviderId::ALL));
    assert_eq!(enum_values("SessionState"), names(SessionState::ALL));
    assert_eq!(enum_values("CustomerField"), names(CustomerField::ALL));
    assert_eq!(enum_values("Mark"), names(Mark::ALL));
    assert_eq!(enum_values("MethodGroup"), names(MethodGroup::ALL));
    assert_eq!(enum_values("RedirectReason"), names([RedirectReason::FrameRefused]));
    assert_eq!(
        enum_values("Presentation"),
        Presentation::NAMES.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<_>>()
    );
    let codes = enum_values("ErrorCode");
    for code in &codes {
        let _: ErrorCode =
            serde_json::from_value(json!(code)).unwrap_or_else(|e| panic!("{code}: {e}"));
    }
    let known: BTreeSet<String> = ErrorCode::NAMES.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(codes, known);
}

#[tokio::test]
async fn the_backend_serves_the_document_and_answers_every_operation_with_a_documented_status() {
    let app = TestApp::start(Backend::Sqlite).await;
    let served = app.http.get(format!("{}/openapi.json", app.api)).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "application/json");
    let mut served: Value = served.json().await.unwrap();
    let schemas = &mut served["components"]["schemas"];
    let methods =
        schemas["CreateSession"]["properties"]["method"].as_object_mut().unwrap().remove("enum");
    let skus = schemas["CartItem"]["properties"]["sku"].as_object_mut().unwrap().remove("enum");
    let return_url = schemas["CreateSession"]["properties"]["return_url"]
        .as_object_mut()
        .unwrap()
        .remove("pattern");
    assert_eq!(
        methods,
        Some(json!([
            "stripe-hosted",
            "payfect-redirect",
            "front-hosted",
            "checkfront-redirect",
            "bokamera-iframe"
        ]))
    );
    assert_eq!(skus, Some(json!(["kayak-2h", "life-jacket"])));
    // The allowed origins, each taken literally; a return URL the backend accepts matches.
    assert_eq!(
        return_url,
        Some(json!(r"^(http://127\.0\.0\.1:8000)/[A-Za-z0-9/._~-]*$")),
        "the test backend allows {SITE} only"
    );
    assert_eq!(
        served,
        document(),
        "the served document is the file plus the merchant's enums and return URL pattern"
    );
    assert!(served["openapi"].as_str().unwrap().starts_with("3.0"));

    let session = app.create_ok("stripe-hosted", "k-contract").await;
    for (path, item) in document()["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let url = format!("{}{path}", app.api)
                .replace("{id}", &session.id)
                .replace("{provider}", "stripe")
                .replace("{reference}", "cs_test_unknown");
            let mut req = app.http.request(method.to_uppercase().parse().unwrap(), url);
            if operation["requestBody"].is_object() {
                let body = if path.ends_with("/quote") {
                    json!({"items": create_body("x")["items"]})
                } else {
                    create_body("stripe-hosted")
                };
                req =
                    req.json(&body).header("Idempotency-Key", "k-contract").header("Origin", SITE);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16().to_string();
            let documented = keys(&operation["responses"]);
            assert!(
                documented.contains(&status),
                "{method} {path} answered {status}, documented {documented:?}"
            );
        }
    }
}
