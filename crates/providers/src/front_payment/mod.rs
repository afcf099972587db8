//! Front Payment (FPGO Connect): card, Vipps, Apple Pay and Google Pay through regular
//! submit, Front Payment's hosted payment-link page, and invoice orders with BankID.
//!
//! Sources: docs.frontpayment.no, book "FPGO Connect" (pages "Create Checkout Session - Card,
//! Vipps, Apple & Google Pay", "Create Session for Invoice Order", "Hosted Checkout", saved as
//! seed `002_efeead955498e7c2.txt`; "Notifications via Callback URL"; "Get Order Status by
//! UUID"). What this adapter relies on, each from those pages:
//! - a private customer's invoice order answers `bankIdUrl`; the customer is sent there, and
//!   the callback comes after BankID. A corporate one is invoiced without it;
//! - `INVOICED` means an invoice was issued, not that money moved: it becomes
//!   [`PaymentEvent::Invoiced`], never `Paid`; `PAID` later makes the order paid;
//! - `orderDate` "must be current or future date": it is the time of each request (retries
//!   included), never the order's creation;
//! - `orderFrom=PARTNER` "indicates that the request originates from a registered partner":
//!   sent (with `fpgoUuid`) only when [`FrontPaymentConfig::partner`] says the merchant is one;
//! - `organizationId` on the hosted create "Must be number": sent as a JSON number;
//! - a status the documents do not list is not guessed at: the answer is refused
//!   ([`ProviderError::UnexpectedResponse`]) and the order keeps its state.
//!
//! HTTP calls and error mapping live here; payloads, the tax split and the checksum in
//! [`transformers`]. A callback is never trusted alone: after its checksum and freshness
//! verify, the order status is read back through the authenticated status call, and only
//! that decides the event (R-K2). Creates are not idempotent at Front Payment, so they are
//! never re-sent once they may have arrived.

// `pub(crate)` for the hostile-input harnesses in `crate::fuzzing`.
pub(crate) mod transformers;

/// The countries whose private customers Front Payment's invoice can identify: Norway only.
/// A private invoice is confirmed with BankID and `customerDetails.personalNumber` "must be 11
/// characters" (seed 002, "Create Session for Invoice Order"): a Norwegian fødselsnummer,
/// which this adapter checks by kassa-wire's rule before calling. The widget is told through
/// [`kassa_wire::PaymentMethod::personal_number_countries`] so the customer hears it at the
/// field, before Pay.
pub const PERSONAL_NUMBER_COUNTRIES: &[kassa_wire::CountryCode] = &[kassa_wire::CountryCode::NO];

use std::collections::HashMap;

use http::Method;
use kassa_wire::{Action, Currency, PaymentEvent, ProviderId};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

pub use self::transformers::{ChecksumFormula, StatusWords};
use self::transformers::{Created, Flow, OrderBody, OrderStatus, SubmitPayment};
use crate::{
    check_reference, check_totals, frames_hosted_page,
    transport::{self, Answer, Call, Replay},
    IncomingNotification, PaymentUpdate, ProviderError, ProviderSession, RetryPolicy,
    SessionRequest,
};

const P: ProviderId = ProviderId::FrontPayment;

/// Front Payment adapter settings. Secrets are [`SecretString`]s the server fills from the
/// environment. Facts marked [U] in `docs/providers.md` are fields here.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrontPaymentConfig {
    /// API base. Default `https://apigo.frontpayment.no/api/v1` (demo:
    /// `https://demo-api.frontpayment.no/api/v1`).
    pub base_url: String,
    /// Bearer token issued by Front Payment (required).
    pub token: SecretString,
    /// Secret key of the callback checksum (required).
    pub secret_key: SecretString,
    /// Which documented checksum revision to verify. Default `all_values` (current).
    pub checksum_formula: ChecksumFormula,
    /// Largest accepted `|now − timestamp|` of a callback, seconds. Default 300.
    pub callback_tolerance_secs: u64,
    /// Currency of amounts Front Payment reports (it names none). Default `NOK`.
    pub currency: String,
    /// VAT percent of SKUs not in `tax_rates`. Default 25.
    pub default_tax_rate: u32,
    /// VAT percent per SKU (prices are tax-inclusive).
    pub tax_rates: HashMap<String, u32>,
    /// Rates Front Payment accepts. Default `[0, 12, 15, 25]` ("unless configured").
    pub allowed_tax_rates: Vec<u32>,
    /// Most fraction digits Front Payment takes in an amount [U]. Default 2.
    pub max_decimals: u8,
    /// `submitPayment.via` values for regular submit [U: enum unverified]. Default
    /// `vipps, visa, mastercard, applepay, googlepay`.
    pub via_methods: Vec<String>,
    /// Flow when a method names no variant: `hosted`, `invoice` or a `via` value. Default `hosted`.
    pub default_variant: String,
    /// Path of the hosted payment-link create, under `base_url` [U: the docs disagree on
    /// `/api`]. Default `connect/hosted/orders/payment-link/create`.
    pub hosted_path: String,
    /// Lifetime of a hosted payment link from the create request, seconds. Default 3600.
    pub payment_link_due_secs: i64,
    /// [U] Whether Front Payment registered this merchant as a partner. Only a partner sends
    /// `orderFrom=PARTNER` with `fpgoUuid` to update an earlier attempt's order in place
    /// (seed 002: the value "indicates that the request originates from a registered
    /// partner"); others create a new order each attempt. Default false.
    pub partner: bool,
    /// Country code for phone numbers given without one. Default `+47`.
    pub default_country_code: String,
    /// `invoiceFeeApplicable` of invoice orders. Default false.
    pub invoice_fee_applicable: bool,
    /// `invoiceMaturity` (days) of invoice orders. Default 14.
    pub invoice_maturity_days: u32,
    /// Whether `Presentation::Iframe` is allowed. Framing is undocumented and BankID or Vipps
    /// pages usually refuse it [U]. Default false.
    pub allow_iframe: bool,
    /// Which status words mean paid, invoiced, declined, cancelled, expired or "still
    /// waiting" [U]; any other word is refused.
    pub status_words: StatusWords,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
}

impl Default for FrontPaymentConfig {
    fn default() -> Self {
        FrontPaymentConfig {
            base_url: "https://apigo.frontpayment.no/api/v1".into(),
            token: SecretString::default(),
            secret_key: SecretString::default(),
            checksum_formula: ChecksumFormula::AllValues,
            callback_tolerance_secs: 300,
            currency: "NOK".into(),
            default_tax_rate: 25,
            tax_rates: HashMap::new(),
            allowed_tax_rates: vec![0, 12, 15, 25],
            max_decimals: 2,
            via_methods: ["vipps", "visa", "mastercard", "applepay", "googlepay"]
                .map(String::from)
                .to_vec(),
            default_variant: "hosted".into(),
            hosted_path: "connect/hosted/orders/payment-link/create".into(),
            payment_link_due_secs: 3600,
            partner: false,
            default_country_code: "+47".into(),
            invoice_fee_applicable: false,
            invoice_maturity_days: 14,
            allow_iframe: false,
            status_words: StatusWords::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// Unix seconds now.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The Front Payment adapter.
#[derive(Debug)]
pub struct FrontPayment {
    config: Box<FrontPaymentConfig>,
    base: Url,
    currency: Currency,
    http: reqwest::Client,
}

impl FrontPayment {
    /// Checks the configuration and builds the adapter. `http` must not follow redirects
    /// (see [`crate::build_client`]).
    pub fn new(config: FrontPaymentConfig, http: reqwest::Client) -> Result<Self, ProviderError> {
        let base = transport::parse_base_url(P, &config.base_url)?;
        let token = config.token.expose_secret();
        if token.trim().is_empty()
            || http::HeaderValue::from_str(&format!("Bearer {token}")).is_err()
        {
            return Err(ProviderError::misconfigured(
                P,
                "token is empty or not a valid header value",
            ));
        }
        if config.secret_key.expose_secret().is_empty()
            && config.checksum_formula != ChecksumFormula::Rev934
        {
            return Err(ProviderError::misconfigured(P, "secret_key is empty"));
        }
        let currency = Currency::from_code(&config.currency)
            .map_err(|_| ProviderError::misconfigured(P, "currency is not an ISO 4217 code"))?;
        let rates = config.tax_rates.values().chain(std::iter::once(&config.default_tax_rate));
        if let Some(bad) = rates.into_iter().find(|r| !config.allowed_tax_rates.contains(r)) {
            return Err(ProviderError::misconfigured(
                P,
                format!("tax rate {bad} is not in allowed_tax_rates"),
            ));
        }
        let hosted = transport::join(&base, &config.hosted_path);
        if hosted.host() != base.host() {
            return Err(ProviderError::misconfigured(P, "hosted_path must be a path"));
        }
        if !(60..=30 * 86_400).contains(&config.payment_link_due_secs) {
            return Err(ProviderError::misconfigured(
                P,
                "payment_link_due_secs must be 60 s to 30 days",
            ));
        }
        Ok(FrontPayment { config: Box::new(config), base, currency, http })
    }

    fn call(&self, method: Method, path: &str, replay: Replay) -> Result<Call, ProviderError> {
        let auth = format!("Bearer {}", self.config.token.expose_secret());
        Call::new(method, transport::join(&self.base, path), replay)
            .header(P, "authorization", &auth)?
            .header(P, "accept", "application/json")
    }

    async fn send(&self, call: &Call) -> Result<Answer, ProviderError> {
        transport::send(P, &self.http, &self.config.retry, call)
            .await?
            .success_or(|a| transformers::map_error(a.status, &a.body, |_| a.common_error(P)))
    }

    fn flow(&self, variant: Option<&str>) -> Result<Flow, ProviderError> {
        let variant = variant.unwrap_or(&self.config.default_variant);
        match variant {
            "hosted" => Ok(Flow::Hosted),
            "invoice" => Ok(Flow::Invoice),
            via if self.config.via_methods.iter().any(|m| m == via) => {
                Ok(Flow::Regular { via: via.to_owned() })
            }
            other => Err(ProviderError::misconfigured(
                P,
                format!("method variant `{other}` is not hosted, invoice or a via method"),
            )),
        }
    }

    /// The create body for `flow`, as of unix second `now` (the moment of this request).
    fn body(
        &self,
        req: &SessionRequest,
        flow: &Flow,
        now: i64,
    ) -> Result<OrderBody, ProviderError> {
        let c = &self.config;
        let rate = |sku: &str| c.tax_rates.get(sku).copied().unwrap_or(c.default_tax_rate);
        let (products, order_summary) = transformers::products(req, rate, c.max_decimals)?;
        let cc = c.default_country_code.as_str();
        // "current or future date": the moment of this request, also on a late retry.
        let mut body = OrderBody::base(req, products, order_summary, now.to_string());
        match flow {
            Flow::Regular { via } => {
                // Customer details are optional here; send them only when complete.
                let details = transformers::customer_details(req, cc, true, false).ok();
                body.with_customer = Some(details.is_some());
                body.customer_details = details;
                body.submit_payment = Some(SubmitPayment { via: via.clone() });
            }
            Flow::Hosted => {
                body.reference_no = None;
                body.references_no = Some(req.order_id.clone());
                let mut details = transformers::customer_details(req, cc, false, false)?;
                // The hosted create's organizationId "Must be number" (seed 002).
                details.organization_id = details
                    .organization_id
                    .map(transformers::numeric_organization_id)
                    .transpose()?;
                body.customer_details = Some(details);
                body.due_date_for_payment_link = Some(self.due(now).to_string());
                body.checkout_language = transformers::language(req.locale.as_deref());
            }
            Flow::Invoice => {
                body.customer_details = Some(transformers::customer_details(req, cc, true, true)?);
                body.invoice_interval = Some(0);
                body.separate_invoices = Some(false);
                body.invoice_fee_applicable = Some(c.invoice_fee_applicable);
                body.invoice_maturity = Some(c.invoice_maturity_days);
            }
        }
        // A partner updates an earlier attempt's order in place (seed 002); anyone else
        // creates a new one.
        if let Some(previous) = req.previous_reference.as_ref().filter(|_| c.partner) {
            check_reference(P, previous)?;
            body.fpgo_uuid = Some(previous.clone());
            body.order_from = Some("PARTNER");
        }
        Ok(body)
    }

    fn due(&self, now: i64) -> i64 {
        now.saturating_add(self.config.payment_link_due_secs)
    }

    /// Creates the order by the flow its method variant names and answers where the
    /// customer goes: the payment page, the BankID page, or (for an invoice that needs
    /// neither) straight back to the success page, where the status call settles it.
    pub async fn create_session(
        &self,
        req: &SessionRequest,
    ) -> Result<ProviderSession, ProviderError> {
        let frame = frames_hosted_page(P, req.presentation)?;
        if frame && !self.config.allow_iframe {
            return Err(ProviderError::Unsupported {
                provider: P,
                operation: "its payment pages in an iframe",
            });
        }
        check_totals(P, req)?;
        let flow = self.flow(req.method_variant.as_deref())?;
        let now = unix_now();
        let body = serde_json::to_vec(&self.body(req, &flow, now)?)
            .map_err(|_| ProviderError::unexpected(P, 0))?;
        let path = match &flow {
            Flow::Hosted => self.config.hosted_path.as_str(),
            Flow::Regular { .. } => "connect/orders/regular/submit",
            Flow::Invoice => "connect/orders/invoice/submit",
        };
        let call = self.call(Method::POST, path, Replay::OnlyIfNotDelivered)?.json_body(body);
        let answer = self.send(&call).await?;
        let created: Created =
            transformers::data(answer.status, &answer.body, |_| answer.common_error(P))?;
        check_reference(P, &created.order_uuid)
            .map_err(|_| ProviderError::unexpected(P, answer.status))?;
        let url = match (created.payment_url, created.bank_id_url, &flow) {
            (Some(url), _, _) | (None, Some(url), _) => url,
            (None, None, Flow::Invoice) => req.success_url.clone(),
            (None, None, _) => return Err(ProviderError::unexpected(P, answer.status)),
        };
        let action = if frame { Action::Iframe { url } } else { Action::redirect(url) };
        let expires_at = matches!(flow, Flow::Hosted).then(|| self.due(now));
        Ok(ProviderSession { reference: created.order_uuid, action, expires_at })
    }

    async fn status(&self, reference: &str) -> Result<OrderStatus, ProviderError> {
        check_reference(P, reference)?;
        let call =
            self.call(Method::GET, &format!("connect/orders/status/{reference}"), Replay::Safe)?;
        let answer = self.send(&call).await?;
        transformers::data(answer.status, &answer.body, |_| answer.common_error(P))
    }

    /// `GET connect/orders/status/{uuid}` mapped through `status_words`.
    pub async fn fetch_update(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        let status = self.status(reference).await?;
        let dedup = format!("{reference}:{}", status.status);
        status.to_update(reference, &self.config.status_words, self.currency, None, dedup)
    }

    /// Cancels an order that is not settled yet (`POST connect/orders/cancel/{uuid}` [S]);
    /// a settled one answers what it is.
    pub async fn cancel(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        let before = self.fetch_update(reference).await?;
        if before.event.is_some() {
            return Ok(before);
        }
        let body = serde_json::to_vec(
            &serde_json::json!({ "cancellationNote": "Cancelled by the customer" }),
        )
        .map_err(|_| ProviderError::unexpected(P, 0))?;
        let call = self
            .call(Method::POST, &format!("connect/orders/cancel/{reference}"), Replay::Safe)?
            .json_body(body);
        match self.send(&call).await {
            Ok(_) => Ok(PaymentUpdate {
                event: Some(PaymentEvent::Cancelled),
                dedup_key: format!("{reference}:cancelled"),
                ..before
            }),
            // Paid or closed in the meantime: say what it is now.
            Err(ProviderError::Rejected { .. }) => self.fetch_update(reference).await,
            Err(other) => Err(other),
        }
    }

    /// Verifies a callback's checksum and freshness, then confirms the order's status with
    /// the status call; only the confirmed status makes the event (R-K2). Parameters come
    /// from the query string, or from a form body when the query is empty.
    pub async fn handle_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Vec<PaymentUpdate>, ProviderError> {
        let source =
            if incoming.query.is_empty() { incoming.body } else { incoming.query.as_bytes() };
        let params: transformers::Params =
            url::form_urlencoded::parse(source).into_owned().collect();
        let callback = transformers::verify_callback(
            &params,
            self.config.checksum_formula,
            self.config.secret_key.expose_secret(),
            self.config.callback_tolerance_secs,
            incoming.now,
        )
        .map_err(|reason| ProviderError::invalid_notification(P, reason))?;
        check_reference(P, &callback.order_uuid)
            .map_err(|_| ProviderError::invalid_notification(P, "bad orderUuid"))?;
        let confirmed = self.status(&callback.order_uuid).await?;
        if !confirmed.status.eq_ignore_ascii_case(&callback.status) {
            tracing::info!(
                order = %callback.order_uuid,
                claimed = %callback.status,
                confirmed = %confirmed.status,
                "callback status differs from the status call; the status call wins"
            );
        }
        // The callback amount is signed only by formulas that cover it.
        let signed_amount = matches!(
            self.config.checksum_formula,
            ChecksumFormula::AllValues | ChecksumFormula::Rev1179
        )
        .then_some(callback.amount.as_deref())
        .flatten();
        let dedup = format!(
            "{}:{}:{}",
            callback.order_uuid,
            confirmed.status,
            callback.timestamp.unwrap_or_default()
        );
        let update = confirmed.to_update(
            &callback.order_uuid,
            &self.config.status_words,
            self.currency,
            signed_amount,
            dedup,
        )?;
        Ok(vec![update])
    }
}
