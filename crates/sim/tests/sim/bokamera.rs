//! BokaMera over HTTP: x-api-key, ServiceStack errors, bookings as the payable entities,
//! hosted and embedded checkouts backed by the Stripe simulator, both kinds of hosted `Url`,
//! status polling, delayed payments, invalidation of earlier checkouts.

use kassa_sim::{BokameraSim, SimHandle, StripeSim};
use serde_json::{json, Value};

use crate::helpers::{client, get_json, post_json, start_sim, Receiver};

fn checkout(reference: &str, ui_mode: &str) -> Value {
    json!({
        "CompanyId": BokameraSim::default().company_id,
        "CountryCode": "SE",
        "Articles": [{"ArticleId": 1, "ArticleTypeId": 1, "Quantity": 2}],
        "InternalReferenceId": reference,
        "ConfirmationUrl": "https://salon.example/confirmed",
        "CancelUrl": "https://salon.example/cancelled",
        "UiMode": ui_mode,
    })
}

/// Books two haircuts and a beard trim; answers the booking.
async fn book(sim: &SimHandle) -> Value {
    let (code, booking) = post(
        sim,
        "/bookings",
        &json!({
            "CompanyId": BokameraSim::default().company_id,
            "ServiceId": 1,
            "From": "2026-12-01T10:00:00",
            "To": "2026-12-01T11:00:00",
            "Quantities": [{"PriceId": 0, "Quantity": 2}],
            "Articles": [{"ArticleId": 2, "ArticleTypeId": 1, "Quantity": 1}],
            "Customer": {"Firstname": "Anna", "Lastname": "Svensson",
                         "Email": "anna@example.se", "Phone": "+46701234567"},
        }),
    )
    .await;
    assert_eq!(code, 200, "{booking}");
    booking
}

/// `GET /bookings?CompanyId&Id`: the one booking.
async fn read_booking(sim: &SimHandle, id: &str) -> Value {
    let url = format!(
        "{}/bookings?CompanyId={}&Id={id}",
        sim.bokamera_url,
        BokameraSim::default().company_id
    );
    let r = client().get(url).header("x-api-key", BokameraSim::default().api_key);
    let list: Value = r.send().await.unwrap().json().await.unwrap();
    assert_eq!(list["Total"], 1, "{list}");
    list["Results"][0].clone()
}

/// A new booking's id, as `InternalReferenceId` text.
async fn booking_id(sim: &SimHandle) -> String {
    book(sim).await["Id"].to_string()
}

async fn post(sim: &SimHandle, path: &str, body: &Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}{path}", sim.bokamera_url))
        .header("x-api-key", BokameraSim::default().api_key)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn status(sim: &SimHandle, session_id: &str) -> Value {
    let body = json!({"CompanyId": BokameraSim::default().company_id, "SessionId": session_id});
    let (code, answer) = post(sim, "/payment/stripe/v1/checkout/status", &body).await;
    assert_eq!(code, 200, "{answer}");
    answer
}

#[tokio::test]
async fn requests_need_the_api_key_and_valid_dtos() {
    let sim = start_sim(|_| {}).await;
    let r = client()
        .post(format!("{}/payment/stripe/v1/checkout", sim.bokamera_url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.json::<Value>().await.unwrap()["ResponseStatus"]["Message"].is_string());

    let (code, body) =
        post(&sim, "/payment/stripe/v1/checkout", &json!({"UiMode": "embedded"})).await;
    assert_eq!(code, 400);
    let fields: Vec<&str> = body["ResponseStatus"]["Errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["FieldName"].as_str().unwrap())
        .collect();
    for field in [
        "CompanyId",
        "CountryCode",
        "InternalReferenceId",
        "ConfirmationUrl",
        "CancelUrl",
        "Articles",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert_eq!(body["ResponseStatus"]["Errors"][0]["ErrorCode"], "NotEmpty");
    assert_eq!(body["ResponseStatus"]["Errors"][0]["Message"], "'Company Id' must not be empty.");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_hosted_checkout_is_framed_paid_and_polled() {
    let stripe_hook = Receiver::start().await;
    let url = format!("{}/stripe", stripe_hook.url);
    let sim = start_sim(|c| c.stripe.webhook_url = Some(url)).await;
    let booking = booking_id(&sim).await;
    let (code, created) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout(&booking, "hosted")).await;
    assert_eq!(code, 200, "{created}");
    let id = created["SessionId"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(created["Status"], "open");
    assert_eq!(created["Url"], format!("{}/stripe/checkout/{id}", sim.bokamera_url));
    assert_eq!(created["StripeAccount"], BokameraSim::default().stripe_account);
    assert!(created.get("ClientSecret").is_none(), "ServiceStack leaves nulls out");

    let page = client().get(created["Url"].as_str().unwrap()).send().await.unwrap();
    assert!(page.headers().get("x-frame-options").is_none(), "BokaMera's page may be framed");
    let html = page.text().await.unwrap();
    // The booking's price: two haircuts and a beard trim.
    assert!(html.contains("<h1>BokaMera checkout (Stripe): 1150.00 SEK</h1>"), "{html}");

    let r = client()
        .post(created["Url"].as_str().unwrap())
        .form(&[("action", "pay"), ("email", "anna@example.se")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://salon.example/confirmed");
    assert_eq!(
        status(&sim, id).await,
        json!({"Status": "complete", "CustomerEmail": "anna@example.se"})
    );
    assert!(stripe_hook.received().is_empty(), "BokaMera's Stripe events never reach the merchant");
    let booked = read_booking(&sim, &booking).await;
    assert_eq!(booked["StatusId"], 7, "the booking is paid: {booked}");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_embedded_checkout_mounts_with_the_connected_account() {
    let sim = start_sim(|_| {}).await;
    let booking = booking_id(&sim).await;
    let (code, created) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout(&booking, "embedded")).await;
    assert_eq!(code, 200, "CancelUrl is required, and kept from Stripe: {created}");
    let id = created["SessionId"].as_str().unwrap();
    let secret = created["ClientSecret"].as_str().unwrap();
    assert!(created.get("Url").is_none());
    let pk = StripeSim::default().publishable_key;
    let account = created["StripeAccount"].as_str().unwrap();
    let frame = format!(
        "{}/embedded/{id}?client_secret={secret}&pk={pk}&origin=http%3A%2F%2F127.0.0.1%3A9",
        sim.stripe_url
    );
    assert_eq!(
        client().get(&frame).send().await.unwrap().status(),
        403,
        "without stripeAccount the session is not found on the platform"
    );
    let with_account = format!("{frame}&account={account}");
    assert_eq!(client().get(&with_account).send().await.unwrap().status(), 200);
    let paid = client()
        .post(&with_account)
        .form(&[("action", "pay")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(paid.contains("\"redirect_on_completion\":\"if_required\""), "{paid}");
    assert_eq!(status(&sim, id).await["Status"], "complete");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_new_checkout_invalidates_the_earlier_one_for_the_same_reference() {
    let sim = start_sim(|_| {}).await;
    let (three, four) = (booking_id(&sim).await, booking_id(&sim).await);
    let (_, first) = post(&sim, "/payment/stripe/v1/checkout", &checkout(&three, "hosted")).await;
    let (_, second) = post(&sim, "/payment/stripe/v1/checkout", &checkout(&three, "hosted")).await;
    let (_, other) = post(&sim, "/payment/stripe/v1/checkout", &checkout(&four, "hosted")).await;
    assert_eq!(status(&sim, first["SessionId"].as_str().unwrap()).await["Status"], "expired");
    assert_eq!(status(&sim, second["SessionId"].as_str().unwrap()).await["Status"], "open");
    assert_eq!(status(&sim, other["SessionId"].as_str().unwrap()).await["Status"], "open");

    let (code, body) = post(
        &sim,
        "/payment/stripe/v1/checkout/status",
        &json!({"CompanyId": BokameraSim::default().company_id, "SessionId": "cs_test_nope"}),
    )
    .await;
    assert_eq!(code, 404);
    assert_eq!(body["ResponseStatus"]["ErrorCode"], "NotFound");
    sim.shutdown().await;
}

#[tokio::test]
async fn framing_policy_makes_pages_refuse_frames_and_leaves_the_api_alone() {
    let sim = start_sim(|_| {}).await;
    let booking = booking_id(&sim).await;
    let (_, created) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout(&booking, "hosted")).await;
    let page_url = created["Url"].as_str().unwrap().to_owned();
    let header_of = |r: &reqwest::Response, name: &str| {
        r.headers().get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let status_body = json!({
        "CompanyId": BokameraSim::default().company_id,
        "SessionId": created["SessionId"],
    });
    let framing = format!("{}/__sim/framing", sim.bokamera_url);
    assert_eq!(get_json(&framing).await["policy"], "allow");

    let cases = [
        ("deny", "x-frame-options", "DENY"),
        ("same_origin", "x-frame-options", "SAMEORIGIN"),
        ("ancestors_none", "content-security-policy", "frame-ancestors 'none'"),
        ("ancestors_self", "content-security-policy", "frame-ancestors 'self'"),
    ];
    for (policy, header, value) in cases {
        let set = post_json(&framing, json!({ "policy": policy })).await;
        assert_eq!(set.status(), 200, "{policy}");
        assert_eq!(get_json(&framing).await["policy"], policy);
        let page = client().get(&page_url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(header_of(&page, header), [value], "{policy}");
        let api = client()
            .post(format!("{}/payment/stripe/v1/checkout/status", sim.bokamera_url))
            .header("x-api-key", BokameraSim::default().api_key)
            .json(&status_body)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200);
        assert!(header_of(&api, header).is_empty(), "{policy}: JSON answers carry no framing rule");
    }

    let bad = post_json(&framing, json!({ "policy": "sometimes" })).await;
    assert_eq!(bad.status(), 422, "an unknown policy is refused");
    post_json(&framing, json!({ "policy": "allow" })).await;
    let page = client().get(&page_url).send().await.unwrap();
    assert!(header_of(&page, "x-frame-options").is_empty());
    assert!(header_of(&page, "content-security-policy").is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_checkout_must_name_a_booking_that_awaits_payment_k1() {
    let sim = start_sim(|_| {}).await;
    for reference in ["ks_0123456789", "999999"] {
        let (code, body) =
            post(&sim, "/payment/stripe/v1/checkout", &checkout(reference, "hosted")).await;
        assert_eq!(code, 404, "{reference}: {body}");
        assert_eq!(body["ResponseStatus"]["ErrorCode"], "NotFound");
        assert_eq!(body["ResponseStatus"]["Errors"][0]["FieldName"], "InternalReferenceId");
    }
    let booking = book(&sim).await;
    assert_eq!(booking["StatusId"], 5, "awaiting payment: {booking}");
    assert_eq!(booking["TotalPrice"], json!(1150.0), "BokaMera's price");
    assert_eq!(booking["CurrencyId"], "SEK");
    let id = booking["Id"].to_string();
    let (_, created) = post(&sim, "/payment/stripe/v1/checkout", &checkout(&id, "hosted")).await;
    client()
        .post(format!(
            "{}/__sim/sessions/{}/pay",
            sim.bokamera_url,
            created["SessionId"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    let (code, body) = post(&sim, "/payment/stripe/v1/checkout", &checkout(&id, "hosted")).await;
    assert_eq!(code, 400, "a paid booking is not payable again: {body}");
    assert_eq!(body["ResponseStatus"]["ErrorCode"], "NotPayable");
    sim.shutdown().await;

    let sim = start_sim(|c| c.bokamera.payment_required = false).await;
    let booking = book(&sim).await;
    assert_eq!(booking["StatusId"], 1, "booked without payment");
    let (code, _) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout(&booking["Id"].to_string(), "hosted"))
            .await;
    assert_eq!(code, 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn bookings_need_times_a_service_and_the_customer() {
    let sim = start_sim(|_| {}).await;
    let (code, body) = post(
        &sim,
        "/bookings",
        &json!({"CompanyId": BokameraSim::default().company_id, "ServiceId": 1,
                "From": "2026-12-01T11:00", "To": "2026-12-01T10:00"}),
    )
    .await;
    assert_eq!(code, 400, "{body}");
    let fields: Vec<&str> = body["ResponseStatus"]["Errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["FieldName"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"To") && fields.contains(&"Customer.Firstname"), "{fields:?}");
    let (code, _) = post(
        &sim,
        "/bookings",
        &json!({"CompanyId": BokameraSim::default().company_id, "ServiceId": 42,
                "From": "2026-12-01T10:00", "To": "2026-12-01T11:00"}),
    )
    .await;
    assert_eq!(code, 404, "no such service");
    sim.shutdown().await;
}

#[tokio::test]
async fn hosted_checkouts_name_bokameras_frameable_page_or_stripes_that_refuses_frames_k2() {
    let sim = start_sim(|_| {}).await;
    let kind = format!("{}/__sim/bokamera/hosted_page", sim.bokamera_url);
    assert_eq!(get_json(&kind).await["kind"], "own");
    let booking = booking_id(&sim).await;
    let (_, own) = post(&sim, "/payment/stripe/v1/checkout", &checkout(&booking, "hosted")).await;
    let own_url = own["Url"].as_str().unwrap();
    assert!(own_url.starts_with(&sim.bokamera_url), "{own_url}");
    let page = client().get(own_url).send().await.unwrap();
    assert!(page.headers().get("x-frame-options").is_none());

    assert_eq!(post_json(&kind, json!({"kind": "stripe"})).await.status(), 200);
    let (_, on_stripe) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout(&booking, "hosted")).await;
    let url = on_stripe["Url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/c/pay/cs_", sim.stripe_url)), "{url}");
    let page = client().get(url).send().await.unwrap();
    assert_eq!(page.status(), 200, "Stripe serves BokaMera's session");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["content-security-policy"], "frame-ancestors 'none'");
    let paid = client().post(url).form(&[("action", "pay")]).send().await.unwrap();
    assert_eq!(paid.headers()["location"], "https://salon.example/confirmed");
    let sid = on_stripe["SessionId"].as_str().unwrap();
    assert_eq!(status(&sim, sid).await["Status"], "complete");
    assert_eq!(post_json(&kind, json!({"kind": "sometimes"})).await.status(), 422);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_delayed_payment_completes_the_checkout_before_the_booking_is_paid_k4() {
    let sim = start_sim(|c| c.bokamera.delayed_payment = true).await;
    let booking = booking_id(&sim).await;
    let (_, created) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout(&booking, "hosted")).await;
    let sid = created["SessionId"].as_str().unwrap();
    client().post(format!("{}/__sim/sessions/{sid}/pay", sim.bokamera_url)).send().await.unwrap();
    assert_eq!(status(&sim, sid).await["Status"], "complete");
    let booked = read_booking(&sim, &booking).await;
    assert_eq!(booked["StatusId"], 5, "the money is on its way: {booked}");
    let settle = format!("{}/__sim/bokamera/bookings/{booking}/settle", sim.bokamera_url);
    assert_eq!(post_json(&settle, json!({})).await.status(), 200);
    assert_eq!(read_booking(&sim, &booking).await["StatusId"], 7);
    sim.shutdown().await;
}

/// `GET /bookings` with `BookingQuery`'s filters: the ids listed, oldest first.
async fn list_bookings(sim: &SimHandle, query: &str) -> (u16, Vec<i64>) {
    let url = format!(
        "{}/bookings?CompanyId={}&{query}",
        sim.bokamera_url,
        BokameraSim::default().company_id
    );
    let r = client().get(url).header("x-api-key", BokameraSim::default().api_key);
    let response = r.send().await.unwrap();
    let code = response.status().as_u16();
    let list: Value = response.json().await.unwrap();
    let ids = list["Results"]
        .as_array()
        .map_or_else(Vec::new, |r| r.iter().filter_map(|b| b["Id"].as_i64()).collect());
    (code, ids)
}

#[tokio::test]
async fn the_booking_query_filters_on_service_and_start_only() {
    let sim = start_sim(|_| {}).await;
    let first = book(&sim).await["Id"].as_i64().unwrap();
    let second = book(&sim).await["Id"].as_i64().unwrap();
    let at = "BookingStart=2026-12-01T10:00:00&BookingEnd=2026-12-01T10:00:00";
    assert_eq!(
        list_bookings(&sim, &format!("ServiceIds=1&{at}")).await,
        (200, vec![first, second])
    );
    assert_eq!(list_bookings(&sim, "ServiceIds=1,5").await, (200, vec![first, second]));
    assert_eq!(list_bookings(&sim, &format!("ServiceIds=5&{at}")).await, (200, vec![]));
    assert_eq!(list_bookings(&sim, "BookingStart=2026-12-01T10:01").await, (200, vec![]));
    assert_eq!(list_bookings(&sim, "BookingEnd=2026-12-01T09:59").await, (200, vec![]));
    assert_eq!(list_bookings(&sim, &format!("Id={second}")).await, (200, vec![second]));
    // `BookedComments` is not a filter BokaMera documents: it narrows nothing.
    assert_eq!(list_bookings(&sim, "BookedComments=x").await, (200, vec![]));
    assert_eq!(list_bookings(&sim, "BookingStart=soon").await.0, 400);
    assert_eq!(list_bookings(&sim, "ServiceIds=x").await.0, 400);
    sim.shutdown().await;
}
