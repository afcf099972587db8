//! Wiring tests for the booking and invoice adapters (Front Payment, Checkfront, BokaMera)
//! against a scripted loopback fake: that each call goes to the documented path with the
//! documented auth and body, and that answers flow back into sessions and updates.
//!
//! The behaviour suite that every adapter shares runs against the simulator in
//! `conformance.rs`; these tests pin the request shapes that suite cannot see.

use std::sync::{Arc, Mutex};

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::any, Router};
use kassa_providers::{
    bokamera::{ArticleMapping, Bokamera, BokameraConfig},
    checkfront::{ActAs, Checkfront, CheckfrontConfig, ItemMapping},
    front_payment::{FrontPayment, FrontPaymentConfig},
    CustomerIdentity, IncomingNotification, OrderLine, ProviderError, RetryPolicy, SessionRequest,
};
use kassa_wire::{Action, Currency, CustomerDetails, Money, PaymentEvent, Presentation};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// One request the fake received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }

    fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes()).into_owned().collect()
    }
}

type Script = Arc<dyn Fn(&Seen) -> (u16, String) + Send + Sync>;

#[derive(Clone)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Script,
}

impl Fake {
    async fn start(
        script: impl Fn(&Seen) -> (u16, String) + Send + Sync + 'static,
    ) -> (Fake, String) {
        let fake = Fake { seen: Arc::default(), script: Arc::new(script) };
        let app = Router::new()
            .fallback(any(
                |State(fake): State<Fake>,
                 method: axum::http::Method,
                 uri: axum::http::Uri,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let seen = Seen {
                        method: method.to_string(),
                        path: uri.path().to_owned(),
                        query: uri.query().unwrap_or_default().to_owned(),
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    };
                    let (status, body) = (fake.script)(&seen);
                    fake.seen.lock().unwrap().push(seen);
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                },
            ))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (fake, url)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn find(&self, method: &str, path_part: &str) -> Seen {
        self.seen()
            .into_iter()
            .find(|s| s.method == method && s.path.contains(path_part))
            .unwrap_or_else(|| panic!("no {method} {path_part} in {:?}", self.seen()))
    }
}

fn retries() -> RetryPolicy {
    RetryPolicy { initial_backoff_ms: 10, max_backoff_ms: 20, ..RetryPolicy::default() }
}

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK).unwrap()
}

fn request(presentation: Presentation, variant: Option<&str>) -> SessionRequest {
    SessionRequest {
        order_id: "ks_1".into(),
        idempotency_key: "kassa-ks_1".into(),
        lines: vec![OrderLine {
            sku: "kayak-2h".into(),
            name: "Two-hour kayak tour".into(),
            quantity: 1,
            unit_price: nok(450_000),
            line_total: nok(450_000),
            start_date: Some("2026-07-01".into()),
            end_date: Some("2026-07-01".into()),
        }],
        total: nok(450_000),
        presentation,
        method_variant: variant.map(str::to_owned),
        success_url: "https://shop.test/return?kassa_return=success".into(),
        cancel_url: "https://shop.test/return?kassa_return=cancel".into(),
        notify_url: "https://api.shop.test/notify/x".into(),
        customer: CustomerDetails {
            name: Some("Kari Nordmann".into()),
            email: Some("kari@nordmann.no".into()),
            phone: Some("+4746567468".into()),
            ..CustomerDetails::default()
        },
        locale: Some("nb-NO".into()),
        created_at: 1_754_556_624,
        identity: CustomerIdentity::default(),
        previous_reference: None,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

// ---------------------------------------------------------------- Front Payment

fn front_payment(url: &str) -> FrontPayment {
    let config = FrontPaymentConfig {
        base_url: format!("{url}/api/v1"),
        token: SecretString::from("fp-token"),
        secret_key: SecretString::from("fp-secret"),
        tax_rates: [("kayak-2h".to_owned(), 12)].into(),
        retry: retries(),
        ..FrontPaymentConfig::default()
    };
    FrontPayment::new(config, kassa_providers::build_client().unwrap()).unwrap()
}

fn fp_script(status_word: &'static str) -> impl Fn(&Seen) -> (u16, String) + Send + Sync {
    move |seen| {
        if seen.path.ends_with("/connect/orders/regular/submit")
            || seen.path.ends_with("/payment-link/create")
        {
            (201, r#"{"status_code":201,"status_message":"OK","message":"Order Submitted Successfully","is_data":true,"data":{"orderUuid":"ODR123","customerUuid":"CSRT1","paymentUrl":"https://pay.test/ODR123"}}"#.into())
        } else if seen.path.ends_with("/connect/orders/status/ODR123") {
            (
                200,
                format!(
                    r#"{{"status_code":200,"is_data":true,"data":{{"uuid":"ODR123","status":"{status_word}","orderAmount":4500.00,"refundedAmount":0}}}}"#
                ),
            )
        } else {
            (404, r#"{"status_code":404,"status_message":"Not Found","message":"orderNotFound","is_error":false,"errors":null}"#.into())
        }
    }
}

#[tokio::test]
async fn front_payment_regular_submit_sends_the_seed_payload_and_redirects_to_the_payment_url() {
    let (fake, url) = Fake::start(fp_script("SENT")).await;
    let before = now();
    let session = front_payment(&url)
        .create_session(&request(Presentation::Redirect, Some("visa")))
        .await
        .unwrap();
    let after = now();
    assert_eq!(session.reference, "ODR123");
    assert_eq!(session.action, Action::redirect("https://pay.test/ODR123"));
    let sent = fake.find("POST", "/api/v1/connect/orders/regular/submit");
    assert_eq!(sent.header("authorization"), "Bearer fp-token");
    let body = sent.json();
    assert_eq!(body["submitPayment"]["via"], "visa");
    // "current or future date" (seed 002): the moment of the request, not the order's
    // `created_at` (1754556624 in this request).
    let order_date: i64 = body["orderDate"].as_str().unwrap().parse().unwrap();
    assert!((before..=after).contains(&order_date), "{order_date} not in {before}..={after}");
    assert_eq!(body["referenceNo"], "ks_1");
    assert!(sent.body.contains(r#""orderSummary":{"subTotal":4017.86,"totalTax":482.14,"totalDiscount":0.00,"grandTotal":4500.00"#));
    assert_eq!(body["callback"]["callbackUrl"], "https://api.shop.test/notify/x");
}

#[tokio::test]
async fn front_payment_hosted_link_carries_the_customer_and_a_due_date() {
    let (fake, url) = Fake::start(fp_script("SENT")).await;
    let session =
        front_payment(&url).create_session(&request(Presentation::Redirect, None)).await.unwrap();
    let body = fake.find("POST", "/api/v1/connect/hosted/orders/payment-link/create").json();
    let order_date: i64 = body["orderDate"].as_str().unwrap().parse().unwrap();
    assert!(order_date > 1_754_556_624, "the request's moment, not the order's creation");
    assert_eq!(session.expires_at, Some(order_date + 3600));
    assert_eq!(body["customerDetails"]["countryCode"], "+47");
    assert_eq!(body["customerDetails"]["msisdn"], "46567468");
    assert_eq!(body["customerDetails"]["type"], "private");
    assert_eq!(body["dueDateForPaymentLink"], (order_date + 3600).to_string());
    assert_eq!(body["checkoutLanguage"], "no");
    assert_eq!(body["referencesNo"], "ks_1");
}

fn fp_callback(status: &str, timestamp: i64) -> String {
    let params = [
        ("orderUuid", "ODR123".to_owned()),
        ("status", status.to_owned()),
        ("paymentMethod", "Visa".to_owned()),
        ("amount", "4500".to_owned()),
        ("createdAt", "1754556624".to_owned()),
        ("timestamp", timestamp.to_string()),
    ];
    let concat: String = params.iter().map(|(_, v)| v.as_str()).collect::<String>() + "fp-secret";
    let checksum = hex::encode(Sha256::digest(concat.as_bytes()));
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params {
        query.append_pair(k, v);
    }
    query.append_pair("checksum", &checksum);
    query.finish()
}

#[tokio::test]
async fn a_front_payment_callback_is_paid_only_when_the_status_call_confirms_it_r_k2() {
    let headers = HeaderMap::new();
    let query = fp_callback("PAID", now());

    let (fake, url) = Fake::start(fp_script("PAID")).await;
    let incoming = IncomingNotification { headers: &headers, query: &query, body: b"", now: now() };
    let updates = front_payment(&url).handle_notification(&incoming).await.unwrap();
    assert_eq!(updates[0].event, Some(PaymentEvent::Paid));
    assert_eq!(updates[0].amount, Some(nok(450_000)));
    assert_eq!(updates[0].reference, "ODR123");
    assert_eq!(
        fake.find("GET", "/connect/orders/status/ODR123").header("authorization"),
        "Bearer fp-token"
    );

    let (_, unpaid_url) = Fake::start(fp_script("SENT")).await;
    let updates = front_payment(&unpaid_url).handle_notification(&incoming).await.unwrap();
    assert_eq!(updates[0].event, None, "the status call said SENT, so the order stays open");
}

#[tokio::test]
async fn a_stale_or_tampered_front_payment_callback_is_refused_without_a_status_call_r_k2() {
    let (fake, url) = Fake::start(fp_script("PAID")).await;
    let fp = front_payment(&url);
    let headers = HeaderMap::new();
    let stale = fp_callback("PAID", now() - 3600);
    let incoming = IncomingNotification { headers: &headers, query: &stale, body: b"", now: now() };
    assert!(matches!(
        fp.handle_notification(&incoming).await,
        Err(ProviderError::InvalidNotification { .. })
    ));
    let tampered = fp_callback("PAID", now()).replace("amount=4500", "amount=1");
    let incoming =
        IncomingNotification { headers: &headers, query: &tampered, body: b"", now: now() };
    assert!(matches!(
        fp.handle_notification(&incoming).await,
        Err(ProviderError::InvalidNotification { .. })
    ));
    assert!(fake.seen().is_empty(), "nothing was asked of Front Payment");
}

#[tokio::test]
async fn front_payment_510_is_retryable_r_i4() {
    let (_, url) = Fake::start(|_: &Seen| {
        (510, r#"{"status_code":510,"status_message":"Execution Exception Occurred","message":"Something Went Wrong","is_error":true,"errors":[]}"#.into())
    })
    .await;
    let err = front_payment(&url).fetch_update("ODR123").await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

// ---------------------------------------------------------------- Checkfront

fn checkfront(url: &str, act_as: ActAs) -> Checkfront {
    let config = CheckfrontConfig {
        base_url: url.to_owned(),
        allowed_host_suffixes: vec![],
        api_key: SecretString::from("cf-key"),
        api_secret: SecretString::from("cf-secret"),
        act_as,
        items: [("kayak-2h".to_owned(), ItemMapping { item_id: "18".into(), param: "qty".into() })]
            .into(),
        retry: retries(),
        ..CheckfrontConfig::default()
    };
    Checkfront::new(config, kassa_providers::build_client().unwrap()).unwrap()
}

fn cf_script(
    session_total: &'static str,
    booking_status: &'static str,
) -> impl Fn(&Seen) -> (u16, String) + Send + Sync {
    move |seen| {
        match (seen.method.as_str(), seen.path.as_str()) {
        ("GET", "/api/3.0/item/18") => {
            (200, r#"{"request":{"status":"OK"},"item":{"item_id":18,"rate":{"status":"AVAILABLE","slip":"18.20260701X1-qty.1"}}}"#.into())
        }
        ("POST", "/api/3.0/booking/session") => (
            200,
            format!(r#"{{"request":{{"status":"OK"}},"booking":{{"session":{{"id":"sess1","total":"{session_total}"}}}}}}"#),
        ),
        ("POST", "/api/3.0/booking/create") => (
            200,
            r#"{"request":{"status":"OK","url":"https://x/reserve/booking/CFPP-1"},"booking":{"id":157,"code":"CFPP-1","token":"tok1","customer_payment_url":"https://x/pay/CFPP-1"}}"#.into(),
        ),
        ("GET", "/api/3.0/booking/CFPP-1") => (
            200,
            format!(r#"{{"locale":{{"currency":"NOK"}},"booking":{{"code":"CFPP-1","status_id":"{booking_status}","total":"4500.00","paid_total":"4500.00","token":"tok-from-get"}}}}"#),
        ),
        _ => (200, r#"{"request":{"status":"OK"}}"#.into()),
    }
    }
}

#[tokio::test]
async fn checkfront_books_as_a_customer_and_answers_the_customer_payment_url() {
    let (fake, url) = Fake::start(cf_script("4500.00", "PEND")).await;
    let session = checkfront(&url, ActAs::Customer)
        .create_session(&request(Presentation::Iframe, None))
        .await
        .unwrap();
    assert_eq!(session.reference, "CFPP-1");
    assert_eq!(session.action, Action::Iframe { url: "https://x/pay/CFPP-1".into() });
    let rate = fake.find("GET", "/api/3.0/item/18");
    assert_eq!(rate.header("x-on-behalf"), "off");
    assert!(rate.header("authorization").starts_with("Basic "));
    assert!(
        rate.query.contains("start_date=20260701") && rate.query.contains("param%5Bqty%5D=1"),
        "{}",
        rate.query
    );
    let cart = fake.find("POST", "/api/3.0/booking/session").form();
    assert_eq!(cart, vec![("slip[]".to_owned(), "18.20260701X1-qty.1".to_owned())]);
    let create = fake.find("POST", "/api/3.0/booking/create").form();
    assert!(create.contains(&("session_id".to_owned(), "sess1".to_owned())));
    assert!(create.contains(&("form[customer_name]".to_owned(), "Kari Nordmann".to_owned())));
}

/// The token in the pay URL is the one `booking/create` answered (C2), not the one a read of
/// the booking would give.
#[tokio::test]
async fn checkfront_as_staff_builds_the_cfx_pay_url() {
    let (_, url) = Fake::start(cf_script("4500.00", "PEND")).await;
    let session = checkfront(&url, ActAs::Staff)
        .create_session(&request(Presentation::Redirect, None))
        .await
        .unwrap();
    assert_eq!(
        session.action,
        Action::redirect(format!("{url}/reserve/booking/CFPP-1?CFX=tok1&view=pay"))
    );
}

#[tokio::test]
async fn a_checkfront_total_that_differs_from_the_quote_books_nothing() {
    let (fake, url) = Fake::start(cf_script("4600.00", "PEND")).await;
    let err = checkfront(&url, ActAs::Customer)
        .create_session(&request(Presentation::Redirect, None))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::AmountMismatch { .. }), "{err:?}");
    assert!(
        fake.seen().iter().all(|s| s.path != "/api/3.0/booking/create"),
        "a booking was created"
    );
    fake.find("POST", "/api/3.0/booking/session/end");
}

#[tokio::test]
async fn a_checkfront_webhook_is_only_a_hint_the_booking_fetch_decides_r_k3() {
    let headers = HeaderMap::new();
    let forged = br#"{"booking":{"status":"PAID","code":"CFPP-1"}}"#;
    let (_, url) = Fake::start(cf_script("4500.00", "PEND")).await;
    let incoming = IncomingNotification { headers: &headers, query: "", body: forged, now: now() };
    let updates = checkfront(&url, ActAs::Customer).handle_notification(&incoming).await.unwrap();
    assert_eq!(updates[0].event, None, "the webhook said PAID but the booking is pending");

    let (_, paid_url) = Fake::start(cf_script("4500.00", "PAID")).await;
    let updates =
        checkfront(&paid_url, ActAs::Customer).handle_notification(&incoming).await.unwrap();
    assert_eq!(updates[0].event, Some(PaymentEvent::Paid));
    assert_eq!(updates[0].amount, Some(nok(450_000)));
    assert_eq!(updates[0].dedup_key, "CFPP-1:PAID");
}

#[tokio::test]
async fn checkfront_envelope_errors_and_redirects_are_not_followed() {
    let (_, url) = Fake::start(|_: &Seen| {
        (200, r#"{"request":{"status":"ERROR","error":{"id":"validation_error","title":"Missing required fields","details":"The following fields are required: Name","data":{"customer_name":"Name"}}}}"#.into())
    })
    .await;
    let err = checkfront(&url, ActAs::Customer)
        .create_session(&request(Presentation::Redirect, None))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");

    let (_, moved) = Fake::start(|_: &Seen| (301, String::new())).await;
    let err = checkfront(&moved, ActAs::Customer).fetch_update("CFPP-1").await.unwrap_err();
    assert!(matches!(err, ProviderError::Misconfigured { .. }), "{err:?}");
}

// ---------------------------------------------------------------- BokaMera

const COMPANY: &str = "00000000-0000-0000-0000-000000000001";

fn bokamera(url: &str) -> Bokamera {
    let config = BokameraConfig {
        base_url: url.to_owned(),
        api_key: SecretString::from("bm-key"),
        company_id: COMPANY.into(),
        articles: [(
            "kayak-2h".to_owned(),
            ArticleMapping {
                start_time: "10:00".into(),
                end_time: "12:00".into(),
                ..ArticleMapping::new(7, 1)
            },
        )]
        .into(),
        publishable_key: "pk_test_bm".into(),
        retry: retries(),
        ..BokameraConfig::default()
    };
    Bokamera::new(config, kassa_providers::build_client().unwrap()).unwrap()
}

/// A BokaMera that books at `price` with booking status `booking_status`, and whose checkout
/// status is `status`.
fn bm_script(
    status: &'static str,
    booking_status: i64,
    price: &'static str,
) -> impl Fn(&Seen) -> (u16, String) + Send + Sync {
    move |seen| {
        let booking = format!(
            r#"{{"Id":1001,"StatusId":{booking_status},"TotalPrice":{price},"CurrencyId":"NOK"}}"#
        );
        match (seen.method.as_str(), seen.path.as_str()) {
            ("POST", "/bookings") => (200, booking),
            ("GET", "/bookings") => (200, format!(r#"{{"Offset":0,"Total":1,"Results":[{booking}]}}"#)),
            ("POST", "/payment/stripe/v1/checkout") => (200, r#"{"SessionId":"cs_bm1","Url":"https://checkout.test/cs_bm1","Status":"open","ClientSecret":"cs_bm1_secret","StripeAccount":"acct_bm"}"#.into()),
            ("POST", "/payment/stripe/v1/checkout/status") => {
                (200, format!(r#"{{"CustomerEmail":"kari@nordmann.no","Status":"{status}"}}"#))
            }
            _ => (404, r#"{"ResponseStatus":{"ErrorCode":"NotFound","Message":"Not found"}}"#.into()),
        }
    }
}

#[tokio::test]
async fn bokamera_books_then_frames_the_hosted_url_for_the_booking_with_the_api_key() {
    let (fake, url) = Fake::start(bm_script("open", 5, "4500.00")).await;
    let session =
        bokamera(&url).create_session(&request(Presentation::Iframe, None)).await.unwrap();
    assert_eq!(session.action, Action::Iframe { url: "https://checkout.test/cs_bm1".into() });
    assert_eq!(session.reference, "1001-cs_bm1");
    let booked = fake.find("POST", "/bookings");
    assert_eq!(booked.header("x-api-key"), "bm-key");
    let booking = booked.json();
    assert_eq!(booking["CompanyId"], COMPANY);
    assert_eq!(booking["ServiceId"], 7);
    assert_eq!(booking["From"], "2026-07-01T10:00:00");
    assert_eq!(booking["To"], "2026-07-01T12:00:00");
    assert_eq!(booking["Quantities"], serde_json::json!([{"PriceId": 0, "Quantity": 1}]));
    assert_eq!(booking["Customer"]["Firstname"], "Kari");
    assert_eq!(booking["Customer"]["Lastname"], "Nordmann");
    assert_eq!(booking["Customer"]["Phone"], "+4746567468");
    let reads: Vec<Seen> =
        fake.seen().into_iter().filter(|s| s.method == "GET" && s.path == "/bookings").collect();
    assert_eq!(reads.len(), 2, "a look for the order's booking, then the read-back");
    // First: does BokaMera already hold this order's booking (a create whose answer was lost)?
    let look = &reads[0].query;
    assert!(look.contains(&format!("CompanyId={COMPANY}")), "{look}");
    assert!(look.contains("ServiceIds=7"), "{look}");
    assert!(look.contains("BookingStart=2026-07-01T10%3A00%3A00"), "{look}");
    assert!(look.contains("BookingEnd=2026-07-01T10%3A00%3A00"), "{look}");
    assert!(reads[1].query.contains("Id=1001"), "{}", reads[1].query);
    let body = fake.find("POST", "/payment/stripe/v1/checkout").json();
    assert_eq!(body["UiMode"], "hosted");
    assert_eq!(body["InternalReferenceId"], "1001", "the booking is the payable entity");
    assert_eq!(body["CompanyId"], COMPANY);
    assert_eq!(body["Articles"][0]["ArticleId"], 7);
    assert_eq!(body["ConfirmationUrl"], "https://shop.test/return?kassa_return=success");
    assert_eq!(body["CancelUrl"], "https://shop.test/return?kassa_return=cancel");
}

#[tokio::test]
async fn bokamera_pays_the_booking_it_already_holds_for_the_order_instead_of_booking_again() {
    let order = request(Presentation::Iframe, None).order_id;
    let script = bm_script("open", 5, "4500.00");
    let (fake, url) = Fake::start(move |seen: &Seen| {
        if seen.method == "GET" && seen.query.contains("ServiceIds=") {
            // Another order's booking at the same time, a cancelled one of this order, and
            // the one to pay.
            let body = format!(
                r#"{{"Offset":0,"Total":3,"Results":[
                {{"Id":990,"StatusId":5,"BookedComments":"Kassa order other"}},
                {{"Id":991,"StatusId":4,"BookedComments":"Kassa order {order}"}},
                {{"Id":1001,"StatusId":5,"BookedComments":"Kassa order {order}"}}]}}"#
            );
            return (200, body);
        }
        script(seen)
    })
    .await;
    let session =
        bokamera(&url).create_session(&request(Presentation::Iframe, None)).await.unwrap();
    assert_eq!(session.reference, "1001-cs_bm1");
    assert!(
        fake.seen().iter().all(|s| !(s.method == "POST" && s.path == "/bookings")),
        "booked again"
    );
    let body = fake.find("POST", "/payment/stripe/v1/checkout").json();
    assert_eq!(body["InternalReferenceId"], "1001");
}

#[tokio::test]
async fn bokamera_embedded_hands_stripe_js_the_client_secret_and_sends_both_urls_k5() {
    let (fake, url) = Fake::start(bm_script("open", 5, "4500")).await;
    let session =
        bokamera(&url).create_session(&request(Presentation::StripeEmbedded, None)).await.unwrap();
    assert_eq!(
        session.action,
        Action::StripeEmbedded {
            client_secret: "cs_bm1_secret".into(),
            publishable_key: "pk_test_bm".into(),
            stripe_account: Some("acct_bm".into())
        }
    );
    let body = fake.find("POST", "/payment/stripe/v1/checkout").json();
    assert_eq!(body["UiMode"], "embedded");
    assert_eq!(body["ConfirmationUrl"], "https://shop.test/return?kassa_return=success");
    assert_eq!(body["CancelUrl"], "https://shop.test/return?kassa_return=cancel", "required");
}

#[tokio::test]
async fn bokamera_refuses_a_booking_it_did_not_price_as_quoted_or_that_awaits_no_payment() {
    for (booking_status, price) in [(5, "4500.50"), (1, "4500.00"), (7, "4500.00")] {
        let (fake, url) = Fake::start(bm_script("open", booking_status, price)).await;
        let err =
            bokamera(&url).create_session(&request(Presentation::Iframe, None)).await.unwrap_err();
        match booking_status {
            5 => assert!(matches!(err, ProviderError::AmountMismatch { .. }), "{err:?}"),
            _ => assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}"),
        }
        assert!(
            fake.seen().iter().all(|s| s.path != "/payment/stripe/v1/checkout"),
            "no checkout for booking status {booking_status}"
        );
    }
}

#[tokio::test]
async fn bokamera_completion_is_the_status_call_and_the_booking_paid_k4() {
    let (fake, url) = Fake::start(bm_script("complete", 7, "4500")).await;
    let update = bokamera(&url).fetch_update("1001-cs_bm1").await.unwrap();
    assert_eq!(update.event, Some(PaymentEvent::Paid));
    assert_eq!(update.amount, Some(nok(450_000)));
    let body = fake.find("POST", "/payment/stripe/v1/checkout/status").json();
    assert_eq!(body, serde_json::json!({"CompanyId": COMPANY, "SessionId": "cs_bm1"}));
    let (_, waiting) = Fake::start(bm_script("complete", 5, "4500")).await;
    assert_eq!(bokamera(&waiting).fetch_update("1001-cs_bm1").await.unwrap().event, None);
    let (_, odd) = Fake::start(bm_script("complete", 4, "4500")).await;
    assert!(matches!(
        bokamera(&odd).fetch_update("1001-cs_bm1").await,
        Err(ProviderError::UnexpectedResponse { .. })
    ));
    let (_, unknown) = Fake::start(bm_script("settled", 7, "4500")).await;
    assert!(matches!(
        bokamera(&unknown).fetch_update("1001-cs_bm1").await,
        Err(ProviderError::UnexpectedResponse { .. })
    ));
    let (_, open_url) = Fake::start(bm_script("open", 5, "4500")).await;
    assert_eq!(
        bokamera(&open_url).cancel("1001-cs_bm1").await.unwrap().event,
        Some(PaymentEvent::Cancelled)
    );
}
