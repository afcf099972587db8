//! BokaMera's PascalCase DTOs and pure conversions (providers.md §5, seed 003): the Stripe
//! checkout it creates for a payable entity, its status answer, and ServiceStack's
//! `ResponseStatus` errors.
//!
//! No IO. BokaMera prices the articles itself, so no amount is encoded here; the adapter
//! checks the cart against the quote before it calls.

use kassa_wire::{PaymentEvent, ProviderId};
use serde::{Deserialize, Serialize};

use crate::{PaymentUpdate, ProviderError};

const P: ProviderId = ProviderId::Bokamera;

/// `POST /payment/stripe/v1/checkout` (`StripeV1CreateCheckout`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateCheckout {
    pub(crate) company_id: String,
    pub(crate) country_code: String,
    pub(crate) articles: Vec<Article>,
    pub(crate) internal_reference_id: String,
    pub(crate) confirmation_url: String,
    /// Not allowed with `UiMode = embedded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cancel_url: Option<String>,
    pub(crate) ui_mode: &'static str,
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

/// Which checkout statuses mean paid or expired [U: assumed to be Stripe's words].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckoutStatuses {
    /// Default `complete`.
    pub paid: Vec<String>,
    /// Default `expired`.
    pub expired: Vec<String>,
    /// Still payable. Default `open`.
    pub open: Vec<String>,
}

impl Default for CheckoutStatuses {
    fn default() -> Self {
        CheckoutStatuses {
            paid: vec!["complete".into()],
            expired: vec!["expired".into()],
            open: vec!["open".into()],
        }
    }
}

impl StatusAnswer {
    /// The update the status means. BokaMera reports no amount, so a paid update carries
    /// none: the price was BokaMera's, checked against the quote at create.
    pub(crate) fn to_update(
        &self,
        reference: &str,
        statuses: &CheckoutStatuses,
        http_status: u16,
    ) -> Result<PaymentUpdate, ProviderError> {
        let status = self.status.as_deref().ok_or(ProviderError::unexpected(P, http_status))?;
        let is = |list: &[String]| list.iter().any(|w| w.eq_ignore_ascii_case(status));
        let event = if is(&statuses.paid) {
            Some(PaymentEvent::Paid)
        } else if is(&statuses.expired) {
            Some(PaymentEvent::Expired)
        } else if is(&statuses.open) {
            None
        } else {
            return Err(ProviderError::unexpected(P, http_status));
        };
        Ok(PaymentUpdate {
            reference: reference.to_owned(),
            order_id: None,
            event,
            amount: None,
            dedup_key: format!("{reference}:{}", status.to_ascii_lowercase()),
        })
    }
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
    fn the_create_body_is_pascal_case_and_embedded_sends_no_cancel_url() {
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
    fn checkout_statuses_map_to_events_and_unknown_ones_are_errors() {
        let s = CheckoutStatuses::default();
        let update =
            |status: &str| StatusAnswer { status: Some(status.into()) }.to_update("cs_1", &s, 200);
        assert_eq!(update("complete").unwrap().event, Some(PaymentEvent::Paid));
        assert_eq!(update("complete").unwrap().amount, None);
        assert_eq!(update("complete").unwrap().dedup_key, "cs_1:complete");
        assert_eq!(update("Expired").unwrap().event, Some(PaymentEvent::Expired));
        assert_eq!(update("open").unwrap().event, None);
        assert!(update("mystery").is_err());
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
