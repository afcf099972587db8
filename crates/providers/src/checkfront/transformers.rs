//! Checkfront API 3.0 wire shapes and pure conversions (`docs/providers.md` §2, seed 000): rated
//! item queries, the booking session (cart), booking create, booking reads, the response
//! envelope with `request.status`, and the unsigned webhook, read only for the booking it
//! names.
//!
//! No IO and no clock. Checkfront sends numbers as strings or as JSON numbers; both are read
//! as exact decimal text.

use kassa_wire::{Currency, Money, PaymentEvent, ProviderId};
use serde::Deserialize;
use serde_json::{value::RawValue, Value};

use crate::{amount, PaymentUpdate, ProviderError};

const P: ProviderId = ProviderId::Checkfront;

/// `YYYY-MM-DD` → `YYYYMMDD`, refusing anything else.
pub(crate) fn compact_date(date: &str) -> Option<String> {
    let bytes = date.as_bytes();
    let shape = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    shape.then(|| date.replace('-', ""))
}

/// A decimal field (string or number) as money.
pub(crate) fn money(
    raw: Option<&RawValue>,
    currency: Currency,
    status: u16,
) -> Result<Money, ProviderError> {
    let text = raw.and_then(amount::decimal_text).ok_or(ProviderError::unexpected(P, status))?;
    amount::parse_decimal(P, &text, currency)
}

/// The part of every answer's envelope we read: the account's currency.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    pub(crate) locale: Option<Locale>,
}

/// `locale{id, lang, currency}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Locale {
    #[serde(default)]
    pub(crate) currency: Option<String>,
}

/// Maps an answer onto the taxonomy when it is an error (R-I4): an envelope with
/// `request.status: "ERROR"` (whatever the HTTP status) → `Rejected` naming the first field
/// in `error.data`; an OAuth-style `{"error": ..}` → `Unauthorized`; else the common mapping.
/// `None` when the answer is a success.
pub(crate) fn error(
    http_status: u16,
    body: &[u8],
    common: impl FnOnce() -> ProviderError,
) -> Option<ProviderError> {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    let request_status =
        value.as_ref().and_then(|v| v.pointer("/request/status")).and_then(Value::as_str);
    if request_status.is_some_and(|s| s.eq_ignore_ascii_case("error")) {
        let err = value.as_ref().and_then(|v| v.pointer("/request/error"));
        let text =
            |key: &str| err.and_then(|e| e.get(key)).and_then(Value::as_str).map(str::to_owned);
        let param = err
            .and_then(|e| e.get("data"))
            .and_then(Value::as_object)
            .and_then(|m| m.keys().next().cloned());
        let message = text("details")
            .or_else(|| text("title"))
            .unwrap_or_else(|| "request refused".to_owned());
        return Some(match http_status {
            401 | 403 => ProviderError::Unauthorized { provider: P, status: http_status },
            404 => ProviderError::NotFound { provider: P },
            429 | 500..=599 => common(),
            _ => ProviderError::Rejected { provider: P, status: http_status, message, param },
        });
    }
    if (200..300).contains(&http_status) {
        return None;
    }
    // Auth failures are OAuth-shaped ("critical errors"): always for 401/403, and for a 400
    // only when it speaks of tokens or credentials.
    let text = |key: &str| {
        value.as_ref().and_then(|v| v.get(key)).and_then(Value::as_str).map(str::to_ascii_lowercase)
    };
    let about_auth = text("error").is_some_and(|e| {
        matches!(
            e.as_str(),
            "invalid_token" | "invalid_client" | "unauthorized_client" | "access_denied"
        )
    }) || text("error_description")
        .is_some_and(|d| ["token", "auth", "access", "credential"].iter().any(|w| d.contains(w)));
    match http_status {
        401 | 403 => Some(ProviderError::Unauthorized { provider: P, status: http_status }),
        400 if about_auth => Some(ProviderError::Unauthorized { provider: P, status: http_status }),
        _ => Some(common()),
    }
}

/// `GET /api/3.0/item/{id}?start_date&end_date&param[..]` → `item.rate`.
#[derive(Debug, Deserialize)]
pub(crate) struct RatedItem {
    pub(crate) item: Item,
}

/// The rated item.
#[derive(Debug, Deserialize)]
pub(crate) struct Item {
    #[serde(default)]
    pub(crate) rate: Option<Rate>,
}

/// Its rate: a SLIP to put in the cart when available.
#[derive(Debug, Deserialize)]
pub(crate) struct Rate {
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) slip: Option<String>,
}

impl RatedItem {
    /// The slip, or a rejection when the item cannot be booked for those dates.
    pub(crate) fn slip(self, line: usize) -> Result<String, ProviderError> {
        let rate = self.item.rate.ok_or(ProviderError::unexpected(P, 200))?;
        let available = rate.status.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("available"));
        match (available, rate.slip) {
            (true, Some(slip)) if !slip.is_empty() => Ok(slip),
            _ => Err(ProviderError::Rejected {
                provider: P,
                status: 200,
                message: "the item is not available on those dates".into(),
                param: Some(format!("items[{line}]")),
            }),
        }
    }
}

/// `POST /api/3.0/booking/session` → `booking.session`.
#[derive(Debug, Deserialize)]
pub(crate) struct SessionAnswer {
    pub(crate) booking: SessionBooking,
}

/// Wrapper.
#[derive(Debug, Deserialize)]
pub(crate) struct SessionBooking {
    pub(crate) session: CartSession,
}

/// The cart: its id and what Checkfront charges for it.
#[derive(Debug, Deserialize)]
pub(crate) struct CartSession {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) total: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) currency_id: Option<String>,
}

/// What `booking/create` answered that we need.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CreatedBooking {
    pub(crate) code: String,
    pub(crate) id: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) payment_url: Option<String>,
}

fn text_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a `booking/create` answer. The payment URL is `customer_payment_url` (acting as a
/// customer) wherever it sits, else `request.url`; the booking code is `booking.code`.
pub(crate) fn created_booking(value: &Value) -> Option<CreatedBooking> {
    let code =
        text_at(value, "/booking/code").or_else(|| text_at(value, "/booking/booking_code"))?;
    let payment_url = [
        "/booking/customer_payment_url",
        "/customer_payment_url",
        "/request/customer_payment_url",
        "/request/url",
    ]
    .iter()
    .find_map(|p| text_at(value, p));
    Some(CreatedBooking {
        code,
        id: text_at(value, "/booking/id").or_else(|| text_at(value, "/booking/booking_id")),
        token: text_at(value, "/booking/token").or_else(|| text_at(value, "/token")),
        payment_url,
    })
}

/// `GET /api/3.0/booking/{code}` → `booking`.
#[derive(Debug, Deserialize)]
pub(crate) struct BookingAnswer {
    pub(crate) booking: Booking,
}

/// The booking fields we read.
#[derive(Debug, Deserialize)]
pub(crate) struct Booking {
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) status_id: Option<String>,
    #[serde(default)]
    pub(crate) total: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) paid_total: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) token: Option<String>,
}

/// Which booking status ids mean what [U: accounts add their own statuses].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookingStatuses {
    /// Paid in full. Default `PAID`.
    pub paid: Vec<String>,
    /// Cancelled. Default `STOP`, `CANCELLED`, `CANCELED`.
    pub cancelled: Vec<String>,
    /// Voided, which is what a lapsed pre-booking becomes [U]. Default `VOID`, `EXPIRED`.
    pub expired: Vec<String>,
}

impl Default for BookingStatuses {
    fn default() -> Self {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect();
        BookingStatuses {
            paid: words(&["PAID"]),
            cancelled: words(&["STOP", "CANCELLED", "CANCELED"]),
            expired: words(&["VOID", "EXPIRED"]),
        }
    }
}

impl BookingStatuses {
    fn event(&self, status: &str) -> Option<PaymentEvent> {
        let is = |list: &[String]| list.iter().any(|w| w.eq_ignore_ascii_case(status));
        if is(&self.paid) {
            Some(PaymentEvent::Paid)
        } else if is(&self.cancelled) {
            Some(PaymentEvent::Cancelled)
        } else if is(&self.expired) {
            Some(PaymentEvent::Expired)
        } else {
            None
        }
    }
}

impl Booking {
    /// The update this booking's status means; a paid booking carries `paid_total`
    /// (or `total` when `paid_total` is absent). Deduplicated by code and status (R-K4).
    pub(crate) fn to_update(
        &self,
        reference: &str,
        statuses: &BookingStatuses,
        currency: Currency,
        status: u16,
    ) -> Result<PaymentUpdate, ProviderError> {
        let status_id = self.status_id.as_deref().ok_or(ProviderError::unexpected(P, status))?;
        let event = statuses.event(status_id);
        let amount = match event {
            Some(PaymentEvent::Paid) => {
                Some(money(self.paid_total.as_deref().or(self.total.as_deref()), currency, status)?)
            }
            _ => None,
        };
        let code = self.code.clone().unwrap_or_else(|| reference.to_owned());
        Ok(PaymentUpdate {
            dedup_key: format!("{code}:{status_id}"),
            reference: code,
            order_id: None,
            event,
            amount,
        })
    }
}

/// The booking code a webhook names, whatever its format (JSON, form or XML); `None` when
/// it names none. The webhook is unsigned, so nothing else in it is read (R-K3).
///
/// Checkfront sends JSON, XML or a form, as the merchant chose (`docs/ref/notifications.rst`).
/// The code is read by its place in the document: `booking/code` (booking events) or
/// `transaction/booking_id` (payments), never the first `code` anywhere, since
/// `booking/customer/code` is the customer's (`docs/examples/response/webhook-booking.xml`).
pub(crate) fn webhook_booking_code(body: &[u8]) -> Option<String> {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return text_at(&value, "/booking/code")
            .or_else(|| text_at(&value, "/transaction/booking_id"))
            .or_else(|| text_at(&value, "/booking/@attributes/code"));
    }
    let text = std::str::from_utf8(body).ok()?;
    if text.trim_start().starts_with('<') {
        return xml_booking_code(text);
    }
    url::form_urlencoded::parse(body)
        .find(|(k, _)| {
            matches!(
                k.as_ref(),
                "booking[code]" | "transaction[booking_id]" | "code" | "booking_id"
            )
        })
        .map(|(_, v)| v.into_owned())
}

/// `<checkfront-notify><booking><code>` or `<checkfront-notify><transaction><booking_id>`,
/// by element path.
fn xml_booking_code(text: &str) -> Option<String> {
    fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
        node.children().find(|n| n.is_element() && n.tag_name().name() == name)
    }
    let doc = roxmltree::Document::parse(text).ok()?;
    let root = doc.root_element();
    let code = child(root, "booking")
        .and_then(|booking| child(booking, "code"))
        .or_else(|| child(root, "transaction").and_then(|t| child(t, "booking_id")))?;
    let code = code.text()?.trim();
    (!code.is_empty()).then(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK).unwrap()
    }

    #[test]
    fn booking_dates_are_sent_compact_and_malformed_ones_refused() {
        assert_eq!(compact_date("2026-07-01").as_deref(), Some("20260701"));
        for bad in ["2026-7-01", "20260701", "2026/07/01", "2026-07-0x", ""] {
            assert_eq!(compact_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_available_rated_item_gives_its_slip() {
        let rated: RatedItem = serde_json::from_str(
            r#"{"item":{"item_id":18,"name":"Kayak","rate":{"status":"AVAILABLE","available":5,"slip":"18.20260701X1-qty.2","sub_total":"1300.00"}}}"#,
        )
        .unwrap();
        assert_eq!(rated.slip(0).unwrap(), "18.20260701X1-qty.2");
        let sold_out: RatedItem =
            serde_json::from_str(r#"{"item":{"rate":{"status":"UNAVAILABLE","slip":""}}}"#)
                .unwrap();
        assert!(
            matches!(sold_out.slip(1), Err(ProviderError::Rejected { param: Some(ref p), .. }) if p == "items[1]")
        );
    }

    #[test]
    fn session_totals_are_read_from_strings_and_numbers_exactly() {
        let a: SessionAnswer =
            serde_json::from_str(r#"{"booking":{"session":{"id":"s1","total":"1375.00"}}}"#)
                .unwrap();
        assert_eq!(
            money(a.booking.session.total.as_deref(), Currency::NOK, 200).unwrap(),
            nok(137_500)
        );
        let b: SessionAnswer =
            serde_json::from_str(r#"{"booking":{"session":{"id":"s1","total":1375.5}}}"#).unwrap();
        assert_eq!(
            money(b.booking.session.total.as_deref(), Currency::NOK, 200).unwrap(),
            nok(137_550)
        );
        let yen: SessionAnswer =
            serde_json::from_str(r#"{"booking":{"session":{"id":"s1","total":"1375.00"}}}"#)
                .unwrap();
        assert_eq!(
            money(yen.booking.session.total.as_deref(), Currency::JPY, 200).unwrap().minor(),
            1375
        );
        let dinar: SessionAnswer =
            serde_json::from_str(r#"{"booking":{"session":{"id":"s1","total":"1.375"}}}"#).unwrap();
        assert_eq!(
            money(dinar.booking.session.total.as_deref(), Currency::KWD, 200).unwrap().minor(),
            1375
        );
        assert!(money(dinar.booking.session.total.as_deref(), Currency::NOK, 200).is_err());
    }

    #[test]
    fn a_customer_create_answer_gives_code_and_customer_payment_url() {
        let value: Value = serde_json::from_str(
            r#"{"request":{"status":"OK","url":"https://x.checkfront.com/reserve/booking/CFPP-290317"},
                "booking":{"id":157,"code":"CFPP-290317","token":"tok","customer_payment_url":"https://x.checkfront.com/pay/CFPP-290317"}}"#,
        )
        .unwrap();
        let created = created_booking(&value).unwrap();
        assert_eq!(created.code, "CFPP-290317");
        assert_eq!(created.id.as_deref(), Some("157"));
        assert_eq!(created.token.as_deref(), Some("tok"));
        assert_eq!(
            created.payment_url.as_deref(),
            Some("https://x.checkfront.com/pay/CFPP-290317")
        );
        let staff: Value = serde_json::from_str(
            r#"{"request":{"status":"OK"},"booking":{"booking_id":"157","code":"CFPP-1"}}"#,
        )
        .unwrap();
        let created = created_booking(&staff).unwrap();
        assert_eq!(created.payment_url, None);
        assert_eq!(created.token, None);
    }

    #[test]
    fn envelope_errors_are_rejections_naming_the_field_whatever_the_http_status_r_i4() {
        let body = br#"{"request":{"status":"ERROR","error":{"id":"validation_error","title":"Missing required fields","details":"The following fields are required: Name","data":{"customer_name":"Name"}}}}"#;
        for status in [200, 400] {
            match error(status, body, || ProviderError::unexpected(P, status)) {
                Some(ProviderError::Rejected { param, message, .. }) => {
                    assert_eq!(param.as_deref(), Some("customer_name"));
                    assert_eq!(message, "The following fields are required: Name");
                }
                other => panic!("{other:?}"),
            }
        }
        let oauth = br#"{"error":"invalid_request","error_description":"The access token provided is invalid."}"#;
        assert!(matches!(
            error(401, oauth, || ProviderError::unexpected(P, 401)),
            Some(ProviderError::Unauthorized { .. })
        ));
        assert!(error(200, br#"{"request":{"status":"OK"}}"#, || ProviderError::unexpected(
            P, 200
        ))
        .is_none());
        let limited = ProviderError::Unavailable {
            provider: P,
            status: Some(429),
            retry_after: None,
            source: None,
        };
        assert!(error(429, b"", || limited).unwrap().is_retryable());
    }

    #[test]
    fn booking_statuses_map_to_events_with_the_paid_total() {
        let booking: BookingAnswer =
            serde_json::from_str(r#"{"booking":{"code":"CFPP-1","status_id":"PAID","total":"1375.00","paid_total":"1375.00"}}"#).unwrap();
        let u = booking
            .booking
            .to_update("CFPP-1", &BookingStatuses::default(), Currency::NOK, 200)
            .unwrap();
        assert_eq!(u.event, Some(PaymentEvent::Paid));
        assert_eq!(u.amount, Some(nok(137_500)));
        assert_eq!(u.dedup_key, "CFPP-1:PAID");
        for (status, event) in [
            ("PEND", None),
            ("PART", None),
            ("HOLD", None),
            ("VOID", Some(PaymentEvent::Expired)),
            ("STOP", Some(PaymentEvent::Cancelled)),
        ] {
            let b: BookingAnswer = serde_json::from_str(&format!(
                r#"{{"booking":{{"code":"C","status_id":"{status}","total":"1"}}}}"#
            ))
            .unwrap();
            assert_eq!(
                b.booking
                    .to_update("C", &BookingStatuses::default(), Currency::NOK, 200)
                    .unwrap()
                    .event,
                event
            );
        }
    }

    #[test]
    fn webhooks_in_every_format_name_only_their_booking_code() {
        let json = br#"{"@attributes":{"version":"3.0","host":"x.checkfront.com"},"booking":{"@attributes":{"booking_id":"157"},"status":"PAID","code":"KMVQ-060314"}}"#;
        assert_eq!(webhook_booking_code(json).as_deref(), Some("KMVQ-060314"));
        let payment = br#"{"version":"3.0","type":"transaction","action":"insert","transaction":{"transaction_id":"1","status":"PAID","amount":"10.00","booking_id":"KMVQ-060314"}}"#;
        assert_eq!(webhook_booking_code(payment).as_deref(), Some("KMVQ-060314"));
        let xml = b"<?xml version=\"1.0\"?><event><booking booking_id=\"157\"><status>PAID</status><code>KMVQ-060314</code></booking></event>";
        assert_eq!(webhook_booking_code(xml).as_deref(), Some("KMVQ-060314"));
        let form = b"booking%5Bstatus%5D=PAID&booking%5Bcode%5D=KMVQ-060314";
        assert_eq!(webhook_booking_code(form).as_deref(), Some("KMVQ-060314"));
        assert_eq!(webhook_booking_code(b"{}"), None);
    }

    #[test]
    fn an_xml_webhook_is_read_by_path_not_by_its_first_code_element_c4() {
        // Checkfront's documented XML booking notice, with the customer block moved first:
        // element order carries no meaning, and the customer's <code> must not be taken.
        let booking = br#"<?xml version="1.0" ?>
            <checkfront-notify version="3.0" host="your-company.checkfront.com">
                <booking booking_id="157">
                    <customer><code>BT5-386-579</code><name>Your Customer</name></customer>
                    <status>HOLD</status>
                    <code>KMVQ-060314</code>
                    <order currency_id="CAD"><items><item line_id="1"><sku>paddle</sku></item></items></order>
                </booking>
            </checkfront-notify>"#;
        assert_eq!(webhook_booking_code(booking).as_deref(), Some("KMVQ-060314"));
        let payment = br#"<?xml version="1.0" encoding="utf-8"?>
            <checkfront-notify version="3.11.0.0" host="your-website.checkfront.com">
                <type>transaction</type><action>insert</action>
                <transaction><transaction_id>TEST1482284175</transaction_id><status>PAID</status>
                <amount>27.00</amount><booking_id>LULZ-080916</booking_id></transaction>
            </checkfront-notify>"#;
        assert_eq!(webhook_booking_code(payment).as_deref(), Some("LULZ-080916"));
        let only_customer = br#"<checkfront-notify><booking><customer><code>BT5-386-579</code></customer></booking></checkfront-notify>"#;
        assert_eq!(webhook_booking_code(only_customer), None, "a customer code is no booking");
        assert_eq!(webhook_booking_code(b"<checkfront-notify><booking><code>"), None);
    }

    proptest::proptest! {
        #[test]
        fn webhook_parsing_never_panics_r_m2(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = webhook_booking_code(&body);
        }

        #[test]
        fn webhook_parsing_of_text_never_panics_r_m2(body in "\\PC{0,200}") {
            let _ = webhook_booking_code(body.as_bytes());
            let _ = error(200, body.as_bytes(), || ProviderError::unexpected(P, 200));
        }
    }
}
