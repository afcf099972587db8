//! Harness bodies for hostile input (R-M2): one function per parser or check that reads
//! bytes from outside, each taking arbitrary bytes and required never to panic.
//!
//! The same functions run in two places: the property tests below (always, under `cargo
//! test`, from random bytes and from JSON built out of each format's own field names), and
//! the cargo-fuzz targets in `fuzz/` (`cargo xtask fuzz`, on a nightly toolchain). Besides
//! not panicking, a few state what must hold of what they accept: an amount parsed from a
//! provider reads back the same from its own text, and a verified notification names itself.
//!
//! Not part of the adapters' API: hidden from the docs, and nothing else calls it.

use kassa_wire::{Currency, Money, ProviderId};
use serde_json::Value;

use crate::{amount, bokamera, checkfront, front_payment, payfect, stripe, ProviderError};

/// A fixed clock for signature checks, so that a found case reproduces.
const NOW: i64 = 1_790_000_000;
/// The Stripe endpoint secrets the signature harness checks against.
const STRIPE_SECRETS: [&[u8]; 2] = [b"whsec_fuzz_a", b"whsec_fuzz_b"];
/// A valid Fernet key for the Payfect harness.
const FERNET_KEY: &str = "a2Fzc2EtZnV6ei1wYXlmZWN0LWZlcm5ldC1rZXktMzI=";
/// The Front Payment checksum secret the harness checks against.
const FRONT_SECRET: &str = "fpgo-fuzz-secret";

/// Splits `data` at its first NUL byte: a header and a body, say.
fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fn currency_of(byte: u8) -> Currency {
    [Currency::NOK, Currency::SEK, Currency::EUR, Currency::USD, Currency::JPY, Currency::KWD]
        [usize::from(byte) % 6]
}

/// An accepted amount must read back the same from its own decimal text.
fn check_money(money: Money) {
    let text = money.to_major_string();
    let back = Money::parse_major(&text, money.currency());
    assert_eq!(back.ok(), Some(money), "{text} does not read back as {money}");
}

fn check_updates(updates: &[crate::PaymentUpdate]) {
    for update in updates {
        assert!(!update.dedup_key.is_empty(), "an update without an identity: {update:?}");
        if let Some(amount) = update.amount {
            check_money(amount);
        }
    }
}

/// Stripe: the `Stripe-Signature` check (header, NUL, body) and the event parser.
pub fn stripe_webhook(data: &[u8]) {
    let (header, body) = split(data);
    let header = String::from_utf8_lossy(header);
    let _ = stripe::transformers::verify_signature(&header, body, &STRIPE_SECRETS, 300, NOW);
    if let Ok(event) = serde_json::from_slice::<stripe::transformers::Event>(body) {
        if let Ok(updates) = stripe::transformers::event_updates(event) {
            check_updates(&updates);
        }
    }
}

/// Stripe: a Checkout Session answer and an error answer.
pub fn stripe_answer(data: &[u8]) {
    if let Ok(session) = serde_json::from_slice::<stripe::transformers::CheckoutSession>(data) {
        if let Ok(update) = session.to_update() {
            check_updates(&[update]);
        }
        let _ = session.cancelled_update();
    }
    let envelope = serde_json::from_slice::<stripe::transformers::ErrorEnvelope>(data).ok();
    let common = ProviderError::unexpected(ProviderId::Stripe, 400);
    let _ = stripe::transformers::map_error(400, envelope, common);
}

/// Payfect: the Fernet-signed callback (token, NUL, body) and its parser.
pub fn payfect_callback(data: &[u8]) {
    let (token, body) = split(data);
    let token = String::from_utf8_lossy(token);
    if let Some(fernet) = fernet::Fernet::new(FERNET_KEY) {
        let _ = payfect::transformers::verify_callback(&fernet, &token, body, NOW, Some(300));
    }
    if let Ok(callback) = serde_json::from_slice::<payfect::transformers::Callback>(body) {
        let currencies = payfect_currencies();
        for declines in [true, false] {
            if let Ok(payfect::transformers::CallbackNews::Update(update)) =
                callback.news(declines, &currencies)
            {
                check_updates(&[update]);
            }
        }
    }
}

/// Payfect's currency reading with a mapped code and a settlement currency, as configured.
fn payfect_currencies() -> payfect::rules::Currencies {
    payfect::rules::Currencies::new(
        &[("USD".to_owned(), "usdt".to_owned())].into(),
        &["usdt".to_owned(), "btc".to_owned()],
        false,
    )
    .unwrap_or_else(|_| unreachable!("a valid mapping"))
}

/// Payfect: a checkout answer and an error answer.
pub fn payfect_answer(data: &[u8]) {
    if let Ok(checkout) = serde_json::from_slice::<payfect::transformers::Checkout>(data) {
        let currencies = payfect_currencies();
        if let Ok(total) = checkout.total(201, &currencies) {
            check_money(total);
        }
        let _ = checkout.expires_at_secs();
        if let Ok(update) = checkout.to_update(200, &currencies) {
            check_updates(&[update]);
        }
        let _ = checkout.cancelled_update(200, &currencies);
    }
    let _ = payfect::transformers::map_error(
        400,
        data,
        ProviderError::unexpected(ProviderId::Payfect, 400),
    );
}

/// Front Payment: the callback's query string, checked with every documented formula.
pub fn front_payment_callback(data: &[u8]) {
    let params: front_payment::transformers::Params =
        url::form_urlencoded::parse(data).into_owned().collect();
    for formula in [
        front_payment::ChecksumFormula::AllValues,
        front_payment::ChecksumFormula::Rev1179,
        front_payment::ChecksumFormula::Rev936,
        front_payment::ChecksumFormula::Rev934,
    ] {
        let _ = front_payment::transformers::expected_checksum(formula, &params, FRONT_SECRET);
        let _ =
            front_payment::transformers::verify_callback(&params, formula, FRONT_SECRET, 300, NOW);
    }
}

/// Front Payment: the `status_code` envelope around a create or status answer.
pub fn front_payment_answer(data: &[u8]) {
    let common = |status| ProviderError::unexpected(ProviderId::FrontPayment, status);
    let _ = front_payment::transformers::data::<front_payment::transformers::Created>(
        201, data, common,
    );
    if let Ok(status) = front_payment::transformers::data::<front_payment::transformers::OrderStatus>(
        200, data, common,
    ) {
        let words = front_payment::StatusWords::default();
        if let Ok(update) =
            status.to_update("ODR1", &words, Currency::NOK, Some("1.00"), "ODR1:x".into())
        {
            check_updates(&[update]);
        }
    }
    let _ = front_payment::transformers::map_error(422, data, common);
}

/// Checkfront: the unsigned webhook (JSON, form or XML) and every answer it reads.
pub fn checkfront(data: &[u8]) {
    let _ = checkfront::transformers::webhook_booking_code(data);
    let common = || ProviderError::unexpected(ProviderId::Checkfront, 200);
    let _ = checkfront::transformers::error(200, data, common);
    let _ = serde_json::from_slice::<checkfront::transformers::Envelope>(data);
    if let Ok(item) = serde_json::from_slice::<checkfront::transformers::RatedItem>(data) {
        let _ = item.slip(0);
    }
    let _ = serde_json::from_slice::<checkfront::transformers::SessionAnswer>(data);
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        let _ = checkfront::transformers::created_booking(&value);
    }
    if let Ok(answer) = serde_json::from_slice::<checkfront::transformers::BookingAnswer>(data) {
        let statuses = checkfront::BookingStatuses::default();
        if let Ok(update) = answer.booking.to_update("CF-1", &statuses, Currency::NOK, 200) {
            check_updates(&[update]);
        }
    }
}

/// BokaMera: a create answer, a status answer and an error answer.
pub fn bokamera(data: &[u8]) {
    let _ = serde_json::from_slice::<bokamera::transformers::CheckoutAnswer>(data);
    if let Ok(status) = serde_json::from_slice::<bokamera::transformers::StatusAnswer>(data) {
        let statuses = bokamera::CheckoutStatuses::default();
        if let Ok(state) = status.state(&statuses, 200) {
            if let Ok(update) = bokamera::transformers::update("1-cs_1", state, None) {
                check_updates(&[update]);
            }
        }
    }
    if let Ok(list) = serde_json::from_slice::<bokamera::transformers::BookingList>(data) {
        for b in &list.results {
            let _ = b.payment(200);
            let _ = b.price(Currency::NOK, 200);
        }
    }
    let _ = bokamera::transformers::map_error(
        400,
        data,
        ProviderError::unexpected(ProviderId::Bokamera, 400),
    );
}

/// Amounts: provider decimal text (the first byte picks the currency) and Kassa's own
/// major-unit parser; whatever is accepted reads back the same.
pub fn amounts(data: &[u8]) {
    let Some((&pick, text)) = data.split_first() else { return };
    let currency = currency_of(pick);
    let text = String::from_utf8_lossy(text);
    if let Ok(money) = amount::parse_decimal(ProviderId::Stripe, &text, currency) {
        check_money(money);
        let json = amount::json_number(money);
        let back = amount::decimal_text(&json)
            .map(|t| amount::parse_decimal(ProviderId::Stripe, &t, currency));
        assert!(
            matches!(back, Some(Ok(m)) if m == money),
            "{money} does not survive its JSON number"
        );
    }
    if let Ok(money) = Money::parse_major(&text, currency) {
        check_money(money);
    }
    if let Ok(code) = std::str::from_utf8(data) {
        let _ = Currency::from_code(code);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// JSON built from a format's own field names, so that the parsers get past the first
    /// brace: random structure, the right keys, awkward values.
    fn json_with(keys: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            "-?[0-9]{0,20}(\\.[0-9]{0,6})?(e-?[0-9]{1,3})?".prop_map(Value::String),
            "\\PC{0,24}".prop_map(Value::String),
            prop::sample::select(keys).prop_map(|k| Value::String(k.to_owned())),
        ];
        let tree = leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(keys).prop_map(str::to_owned),
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        (tree, any::<bool>()).prop_map(|(value, raw_number)| {
            let text = value.to_string();
            // Some parsers read numbers as text: also feed bare decimals where strings were.
            if raw_number {
                text.replace("\"1", "1").into_bytes()
            } else {
                text.into_bytes()
            }
        })
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(any::<u8>(), 0..512)
    }

    const STRIPE_KEYS: &[&str] = &[
        "id",
        "object",
        "type",
        "data",
        "status",
        "payment_status",
        "amount_total",
        "currency",
        "client_reference_id",
        "metadata",
        "kassa_order_id",
        "payment_intent",
        "latest_charge",
        "checkout.session.completed",
        "checkout.session.expired",
        "checkout.session.async_payment_failed",
        "complete",
        "paid",
        "open",
        "error",
        "code",
        "decline_code",
        "message",
        "param",
    ];
    const PAYFECT_KEYS: &[&str] = &[
        "id",
        "status",
        "amount",
        "amountTotal",
        "currency",
        "client_reference_id",
        "clientReferenceId",
        "expiresAt",
        "url",
        "succeeded",
        "failed",
        "open",
        "complete",
        "expired",
        "detail",
        "invoice_items",
    ];
    const FRONT_KEYS: &[&str] = &[
        "status_code",
        "status_message",
        "message",
        "is_data",
        "is_error",
        "data",
        "errors",
        "orderUuid",
        "paymentUrl",
        "bankIdUrl",
        "uuid",
        "status",
        "orderAmount",
        "refundedAmount",
        "PAID",
        "SENT",
        "CANCELLED",
    ];
    const CHECKFRONT_KEYS: &[&str] = &[
        "booking",
        "code",
        "status_id",
        "total",
        "paid_total",
        "token",
        "session",
        "id",
        "currency_id",
        "item",
        "rate",
        "slip",
        "locale",
        "request",
        "error",
        "data",
        "transaction",
        "booking_id",
        "PAID",
        "PEND",
        "VOID",
        "@attributes",
    ];
    const BOKAMERA_KEYS: &[&str] = &[
        "Results",
        "Id",
        "StatusId",
        "TotalPrice",
        "CurrencyId",
        "SessionId",
        "Url",
        "ClientSecret",
        "StripeAccount",
        "Status",
        "ResponseStatus",
        "ErrorCode",
        "Message",
        "Errors",
        "FieldName",
        "complete",
        "open",
        "expired",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn stripe_webhooks_never_panic_r_m2(body in json_with(STRIPE_KEYS), header in "\\PC{0,120}", raw in bytes()) {
            let mut data = header.into_bytes();
            data.push(0);
            data.extend(body);
            stripe_webhook(&data);
            stripe_webhook(&raw);
        }

        #[test]
        fn stripe_answers_never_panic_r_m2(body in json_with(STRIPE_KEYS), raw in bytes()) {
            stripe_answer(&body);
            stripe_answer(&raw);
        }

        #[test]
        fn payfect_callbacks_and_answers_never_panic_r_m2(body in json_with(PAYFECT_KEYS), token in "[A-Za-z0-9_=-]{0,200}", raw in bytes()) {
            let mut data = token.into_bytes();
            data.push(0);
            data.extend(&body);
            payfect_callback(&data);
            payfect_callback(&raw);
            payfect_answer(&body);
            payfect_answer(&raw);
        }

        #[test]
        fn front_payment_callbacks_and_answers_never_panic_r_m2(
            query in prop::collection::vec(("(orderUuid|status|createdAt|paymentMethod|amount|timestamp|checksum|[a-z]{1,8})", "\\PC{0,40}"), 0..9),
            body in json_with(FRONT_KEYS),
            raw in bytes(),
        ) {
            let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
            front_payment_callback(query.as_bytes());
            front_payment_callback(&raw);
            front_payment_answer(&body);
            front_payment_answer(&raw);
        }

        #[test]
        fn checkfront_webhooks_and_answers_never_panic_r_m2(body in json_with(CHECKFRONT_KEYS), xml in "<\\PC{0,60}<code>\\PC{0,20}</code>\\PC{0,20}", raw in bytes()) {
            checkfront(&body);
            checkfront(xml.as_bytes());
            checkfront(&raw);
        }

        #[test]
        fn bokamera_answers_never_panic_r_m2(body in json_with(BOKAMERA_KEYS), raw in bytes()) {
            bokamera(&body);
            bokamera(&raw);
        }

        #[test]
        fn accepted_amounts_read_back_the_same_r_m1(pick in any::<u8>(), text in "-?[0-9]{0,22}(\\.[0-9]{0,8})?", raw in bytes()) {
            let mut data = vec![pick];
            data.extend(text.into_bytes());
            amounts(&data);
            amounts(&raw);
        }
    }

    #[test]
    fn the_harness_keys_are_valid_for_the_harnesses() {
        assert!(fernet::Fernet::new(FERNET_KEY).is_some());
        // Known inputs reach the deep paths: a valid amount and a valid Stripe signature.
        amounts(b"\x00450.00");
        let body = br#"{"id":"evt_1","type":"ping","data":{"object":{}}}"#;
        let header = format!("t={NOW},v1=00");
        let mut data = header.into_bytes();
        data.push(0);
        data.extend_from_slice(body);
        stripe_webhook(&data);
    }
}
