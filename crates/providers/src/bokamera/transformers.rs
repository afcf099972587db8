//! BokaMera's PascalCase DTOs and pure conversions (seed 003 `StripeV1CreateCheckout`;
//! `https://api.bokamera.se/json/metadata?op=CreateBooking`): the booking that is the payable
//! entity, the Stripe checkout BokaMera creates for it, the checkout's status answer, and
//! ServiceStack's `ResponseStatus` errors.
//!
//! No IO. BokaMera prices the booking itself, so no amount is ever sent; the booking's price
//! is read back ([`BookingAnswer::price`]) and compared with the quote.

use kassa_wire::{Currency, Money, PaymentEvent, ProviderId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{amount, PaymentUpdate, ProviderError};

const P: ProviderId = ProviderId::Bokamera;

/// `POST /payment/stripe/v1/checkout` (`StripeV1CreateCheckout`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateCheckout {
    pub(crate) company_id: String,
    pub(crate) country_code: String,
    pub(crate) articles: Vec<Article>,
    /// The booking's id: the payable entity.
    pub(crate) internal_reference_id: String,
    pub(crate) confirmation_url: String,
    /// Required by the current metadata; left out with `UiMode = embedded` only when
    /// configured so ([U], see [`super::BokameraConfig::send_cancel_url_when_embedded`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cancel_url: Option<String>,
    pub(crate) ui_mode: &'static str,
}

/// `POST /bookings` (`CreateBooking`), as a customer books: no `CustomerId`, the customer's
/// details instead, and no `PaymentOption` so the company's own payment setting applies.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateBooking {
    pub(crate) company_id: String,
    pub(crate) service_id: i64,
    /// `YYYY-MM-DDTHH:MM:SS`, the company's local time.
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) quantities: Vec<QuantityToBook>,
    /// Further articles booked with the service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) articles: Vec<Article>,
    pub(crate) customer: CustomerToBook,
    /// Names Kassa's order, for the merchant reading the booking at BokaMera and for a
    /// retried create to find the booking (see `Bokamera::find_booking`).
    pub(crate) booked_comments: String,
}

/// `QuantityToBook`: `PriceId 0` takes the service's one price for the date.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct QuantityToBook {
    pub(crate) price_id: i64,
    pub(crate) quantity: u32,
}

/// `CustomerToBook`: every field is marked required.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CustomerToBook {
    pub(crate) firstname: String,
    pub(crate) lastname: String,
    pub(crate) email: String,
    pub(crate) phone: String,
}

/// Where a booking stands, from BokaMera's `BookingStatusEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BookingPayment {
    /// `Payed (7)`: the money arrived.
    Paid,
    /// `AwaitingPayment (5)`, `AwaitingPaymentNoTimeLimit (6)`,
    /// `AwaitingPaymentRequestFromAdmin (8)`, `AwaitingPaymentFromProvider (9)`.
    Awaiting,
    /// Anything else (booked without payment, cancelled, invoiced, …): not payable here.
    NotPayable(i64),
}

/// The parts of a `BookingQueryResponse` Kassa reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BookingAnswer {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) status_id: Option<i64>,
    /// The booking's price in major units (a JSON number).
    #[serde(default)]
    pub(crate) total_price: Option<Box<RawValue>>,
    /// [U] The booking's currency, named as in `TotalPriceInformationResponse`.
    #[serde(default)]
    pub(crate) currency_id: Option<String>,
    /// `BookedComments`: the internal comment sent with `CreateBooking`, which names Kassa's
    /// order (`BookingQueryResponse` carries it; freestream/python-bokamera-client
    /// `models/bookings.py` reads it as `booked_comments`).
    #[serde(default)]
    pub(crate) booked_comments: Option<String>,
}

/// `GET /bookings` answers ServiceStack's `QueryResponse`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BookingList {
    #[serde(default)]
    pub(crate) results: Vec<BookingAnswer>,
}

impl BookingAnswer {
    /// Where the booking stands; an answer without `StatusId` is not understood.
    pub(crate) fn payment(&self, http_status: u16) -> Result<BookingPayment, ProviderError> {
        match self.status_id.ok_or(ProviderError::unexpected(P, http_status))? {
            7 => Ok(BookingPayment::Paid),
            5 | 6 | 8 | 9 => Ok(BookingPayment::Awaiting),
            other => Ok(BookingPayment::NotPayable(other)),
        }
    }

    /// BokaMera's price of the booking. Read in its `CurrencyId` when it names one (an
    /// unknown code is an answer we do not understand), else in `ours` [U].
    pub(crate) fn price(&self, ours: Currency, http_status: u16) -> Result<Money, ProviderError> {
        let unexpected = || ProviderError::unexpected(P, http_status);
        let currency = match self.currency_id.as_deref() {
            Some(code) => amount::currency(P, code)?,
            None => ours,
        };
        let text =
            self.total_price.as_deref().and_then(amount::decimal_text).ok_or_else(unexpected)?;
        amount::parse_decimal(P, &text, currency).map_err(|_| unexpected())
    }
}

/// `ArticleToCreate`.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Article {
    pub(crate) article_id: i64,
    pub(crate) article_type_id: i64,
    pub(crate) quantity: u32,
}

/// `StripeCheckoutQueryResponse`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CheckoutAnswer {
    pub(crate) session_id: String,
    #[serde(default)]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) client_secret: Option<String>,
    #[serde(default)]
    pub(crate) stripe_account: Option<String>,
}

/// `POST /payment/stripe/v1/checkout/status` request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StatusQuery {
    pub(crate) company_id: String,
    pub(crate) session_id: String,
}

/// Its answer: `{CustomerEmail, Status}`, `Status` being Stripe's session status [U].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StatusAnswer {
    #[serde(default)]
    pub(crate) status: Option<String>,
}

/// Which checkout statuses mean complete, expired or open [U: assumed to be Stripe's
/// session `status` words, which the python client's `StripeCheckoutStatusResponse` shows].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckoutStatuses {
    /// The checkout is finished; whether money moved is the booking's to say. Default
    /// `complete`.
    pub complete: Vec<String>,
    /// Default `expired`.
    pub expired: Vec<String>,
    /// Still payable. Default `open`.
    pub open: Vec<String>,
}

impl Default for CheckoutStatuses {
    fn default() -> Self {
        CheckoutStatuses {
            complete: vec!["complete".into()],
            expired: vec!["expired".into()],
            open: vec!["open".into()],
        }
    }
}

/// Where a checkout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckoutState {
    /// Still payable.
    Open,
    /// Finished by the customer: paid, or paid by a method whose money is still on its way.
    Complete,
    /// Expired or replaced.
    Expired,
}

impl StatusAnswer {
    /// The checkout's state; a missing or unknown status word is an answer we do not
    /// understand (the order is left as it is).
    pub fn state(
        &self,
        statuses: &CheckoutStatuses,
        http_status: u16,
    ) -> Result<CheckoutState, ProviderError> {
        let status = self.status.as_deref().ok_or(ProviderError::unexpected(P, http_status))?;
        let is = |list: &[String]| list.iter().any(|w| w.eq_ignore_ascii_case(status));
        if is(&statuses.complete) {
            Ok(CheckoutState::Complete)
        } else if is(&statuses.expired) {
            Ok(CheckoutState::Expired)
        } else if is(&statuses.open) {
            Ok(CheckoutState::Open)
        } else {
            tracing::debug!(status, "unknown BokaMera checkout status");
            Err(ProviderError::unexpected(P, http_status))
        }
    }
}

/// The update for a checkout in `state` whose booking (when complete) stands at `booking`
/// with `price`. A complete checkout is paid only when the booking says `Payed`: BokaMera's
/// status answer carries no `payment_status`, and a delayed method completes the session
/// before the money arrives (K4).
pub(crate) fn update(
    reference: &str,
    state: CheckoutState,
    booking: Option<(BookingPayment, Option<Money>)>,
) -> Result<PaymentUpdate, ProviderError> {
    let (event, amount, word) = match (state, booking) {
        (CheckoutState::Open, _) => (None, None, "open"),
        (CheckoutState::Expired, _) => (Some(PaymentEvent::Expired), None, "expired"),
        (CheckoutState::Complete, Some((BookingPayment::Paid, price))) => {
            (Some(PaymentEvent::Paid), price, "paid")
        }
        (CheckoutState::Complete, Some((BookingPayment::Awaiting, _))) => {
            (None, None, "complete-awaiting-payment")
        }
        (CheckoutState::Complete, Some((BookingPayment::NotPayable(status), _))) => {
            tracing::warn!(
                reference,
                booking_status = status,
                "BokaMera checkout complete but its booking is neither paid nor awaiting payment"
            );
            return Err(ProviderError::unexpected(P, 200));
        }
        (CheckoutState::Complete, None) => return Err(ProviderError::unexpected(P, 200)),
    };
    Ok(PaymentUpdate {
        reference: reference.to_owned(),
        order_id: None,
        event,
        amount,
        dedup_key: format!("{reference}:{word}"),
    })
}

/// ServiceStack's error body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ErrorBody {
    pub(crate) response_status: ResponseStatus,
}

/// `ResponseStatus`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ResponseStatus {
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) errors: Vec<FieldError>,
}

/// One `ResponseError`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FieldError {
    #[serde(default)]
    pub(crate) field_name: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

/// Maps a `ResponseStatus` error onto the taxonomy (R-I4): validation (400) →
/// `Rejected` naming the first field; everything else by status.
pub(crate) fn map_error(status: u16, body: &[u8], common: ProviderError) -> ProviderError {
    let Ok(ErrorBody { response_status }) = serde_json::from_slice::<ErrorBody>(body) else {
        return common;
    };
    match status {
        400 | 422 => {
            let first = response_status.errors.into_iter().next();
            let param = first.as_ref().and_then(|e| e.field_name.clone());
            let message = first
                .and_then(|e| e.message)
                .or(response_status.message)
                .unwrap_or_else(|| format!("HTTP {status}"));
            ProviderError::Rejected { provider: P, status, message, param }
        }
        _ => common,
    }
}

/// BokaMera's `x-language` (`sv` or `en`) from a BCP 47 tag.
pub(crate) fn language(locale: Option<&str>) -> Option<&'static str> {
    match locale?.split(['-', '_']).next()?.to_ascii_lowercase().as_str() {
        "sv" => Some("sv"),
        "en" => Some("en"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_create_body_is_pascal_case() {
        let body = CreateCheckout {
            company_id: "00000000-0000-0000-0000-000000000001".into(),
            country_code: "SE".into(),
            articles: vec![Article { article_id: 7, article_type_id: 1, quantity: 2 }],
            internal_reference_id: "ks_1".into(),
            confirmation_url: "https://shop.test/ok".into(),
            cancel_url: None,
            ui_mode: "embedded",
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"CompanyId":"00000000-0000-0000-0000-000000000001","CountryCode":"SE","Articles":[{"ArticleId":7,"ArticleTypeId":1,"Quantity":2}],"InternalReferenceId":"ks_1","ConfirmationUrl":"https://shop.test/ok","UiMode":"embedded"}"#
        );
    }

    #[test]
    fn the_documented_answer_gives_session_url_secret_and_account() {
        let answer: CheckoutAnswer = serde_json::from_str(
            r#"{"SessionId":"cs_1","Url":"https://checkout.test/cs_1","Status":"open","ClientSecret":"cs_1_secret","CustomerId":null,"PaymentIntentClientSecret":null,"PaymentIntentId":null,"StripeAccount":"acct_1"}"#,
        )
        .unwrap();
        assert_eq!(answer.session_id, "cs_1");
        assert_eq!(answer.url.as_deref(), Some("https://checkout.test/cs_1"));
        assert_eq!(answer.client_secret.as_deref(), Some("cs_1_secret"));
        assert_eq!(answer.stripe_account.as_deref(), Some("acct_1"));
    }

    #[test]
    fn checkout_statuses_map_to_states_and_unknown_ones_are_errors() {
        let s = CheckoutStatuses::default();
        let state = |status: &str| StatusAnswer { status: Some(status.into()) }.state(&s, 200);
        assert_eq!(state("complete").unwrap(), CheckoutState::Complete);
        assert_eq!(state("Expired").unwrap(), CheckoutState::Expired);
        assert_eq!(state("open").unwrap(), CheckoutState::Open);
        assert!(state("mystery").is_err());
        assert!(StatusAnswer { status: None }.state(&s, 200).is_err());
    }

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK).unwrap()
    }

    #[test]
    fn a_complete_checkout_is_paid_only_when_the_booking_says_payed_k4() {
        let paid =
            update("1-cs_1", CheckoutState::Complete, Some((BookingPayment::Paid, Some(nok(100)))))
                .unwrap();
        assert_eq!(paid.event, Some(PaymentEvent::Paid));
        assert_eq!(paid.amount, Some(nok(100)));
        assert_eq!(paid.dedup_key, "1-cs_1:paid");
        let delayed = update(
            "1-cs_1",
            CheckoutState::Complete,
            Some((BookingPayment::Awaiting, Some(nok(100)))),
        )
        .unwrap();
        assert_eq!(delayed.event, None, "complete with the money still on its way is not paid");
        assert!(update(
            "1-cs_1",
            CheckoutState::Complete,
            Some((BookingPayment::NotPayable(4), None))
        )
        .is_err());
        assert!(update("1-cs_1", CheckoutState::Complete, None).is_err());
        assert_eq!(
            update("1-cs_1", CheckoutState::Expired, None).unwrap().event,
            Some(PaymentEvent::Expired)
        );
        assert_eq!(update("1-cs_1", CheckoutState::Open, None).unwrap().event, None);
    }

    #[test]
    fn a_booking_answer_gives_status_and_exact_price_in_its_currency() {
        let b: BookingList = serde_json::from_str(
            r#"{"Offset":0,"Total":1,"Results":[{"Id":1001,"StatusId":5,"TotalPrice":1375.50,"CurrencyId":"NOK"}]}"#,
        )
        .unwrap();
        let b = &b.results[0];
        assert_eq!(b.id, 1001);
        assert_eq!(b.payment(200).unwrap(), BookingPayment::Awaiting);
        assert_eq!(b.price(Currency::NOK, 200).unwrap(), nok(137_550));
        let sek: BookingAnswer =
            serde_json::from_str(r#"{"Id":1,"StatusId":7,"TotalPrice":10,"CurrencyId":"sek"}"#)
                .unwrap();
        assert_eq!(sek.price(Currency::NOK, 200).unwrap().currency(), Currency::SEK);
        assert_eq!(sek.payment(200).unwrap(), BookingPayment::Paid);
        let bad: BookingAnswer =
            serde_json::from_str(r#"{"Id":1,"StatusId":4,"TotalPrice":10.001}"#).unwrap();
        assert!(bad.price(Currency::NOK, 200).is_err(), "no rounding");
        assert_eq!(bad.payment(200).unwrap(), BookingPayment::NotPayable(4));
        let unknown: BookingAnswer =
            serde_json::from_str(r#"{"Id":1,"TotalPrice":10,"CurrencyId":"XYZ"}"#).unwrap();
        assert!(unknown.price(Currency::NOK, 200).is_err());
        assert!(unknown.payment(200).is_err());
    }

    #[test]
    fn response_status_errors_name_the_field_r_i4() {
        let body = br#"{"ResponseStatus":{"ErrorCode":"NotEmpty","Message":"'Company Id' must not be empty.","Errors":[{"ErrorCode":"NotEmpty","FieldName":"CompanyId","Message":"'Company Id' must not be empty."}]}}"#;
        let common = ProviderError::unexpected(P, 400);
        match map_error(400, body, common) {
            ProviderError::Rejected { param, message, .. } => {
                assert_eq!(param.as_deref(), Some("CompanyId"));
                assert_eq!(message, "'Company Id' must not be empty.");
            }
            other => panic!("{other:?}"),
        }
        let unauthorized = ProviderError::Unauthorized { provider: P, status: 401 };
        assert!(matches!(
            map_error(401, br#"{"ResponseStatus":{"Message":"x"}}"#, unauthorized),
            ProviderError::Unauthorized { .. }
        ));
    }

    #[test]
    fn only_swedish_and_english_become_x_language() {
        assert_eq!(language(Some("sv-SE")), Some("sv"));
        assert_eq!(language(Some("en")), Some("en"));
        assert_eq!(language(Some("nb-NO")), None);
        assert_eq!(language(None), None);
    }
}
