//! Front Payment (FPGO Connect) wire types and pure conversions (`docs/providers.md` §4, seed 002):
//! tax-inclusive products and order summary, the three order payloads (regular submit,
//! hosted payment link, invoice), the `status_code` envelope, and the callback checksum
//! with its versioned formulas (R-K2).
//!
//! No IO and no clock. Amounts are JSON numbers written from exact decimal text; the tax
//! split is integer arithmetic whose parts add up to the grand total exactly.

use kassa_wire::{Currency, Money, PaymentEvent, ProviderId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{amount, CustomerKind, PaymentUpdate, ProviderError, SessionRequest};

const P: ProviderId = ProviderId::FrontPayment;

/// Which documented revision of the callback checksum to verify (the docs changed it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumFormula {
    /// Current: sha256 of every query value except `checksum`, in received order, then the secret.
    #[default]
    AllValues,
    /// Revision ~1179: `orderUuid . status . createdAt . amount . timestamp . secret`.
    Rev1179,
    /// Revision ~936: `orderUuid . status . createdAt . secret`.
    Rev936,
    /// Revision ~934: `orderUuid . status . createdAt`, with no secret (forgeable; the status
    /// call is what protects us).
    Rev934,
}

/// The callback's query parameters, in the order received, URL-decoded.
pub(crate) type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The hex sha256 the formula expects for these parameters.
pub(crate) fn expected_checksum(
    formula: ChecksumFormula,
    params: &Params,
    secret: &str,
) -> Option<String> {
    let mut text = String::new();
    match formula {
        ChecksumFormula::AllValues => {
            for (k, v) in params {
                if k != "checksum" {
                    text.push_str(v);
                }
            }
            text.push_str(secret);
        }
        ChecksumFormula::Rev1179 => {
            for name in ["orderUuid", "status", "createdAt", "amount", "timestamp"] {
                text.push_str(param(params, name)?);
            }
            text.push_str(secret);
        }
        ChecksumFormula::Rev936 | ChecksumFormula::Rev934 => {
            for name in ["orderUuid", "status", "createdAt"] {
                text.push_str(param(params, name)?);
            }
            if formula == ChecksumFormula::Rev936 {
                text.push_str(secret);
            }
        }
    }
    Some(hex::encode(Sha256::digest(text.as_bytes())))
}

/// A verified callback: who it is about and what it claims (a claim to confirm, R-K2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Callback {
    pub(crate) order_uuid: String,
    pub(crate) status: String,
    pub(crate) timestamp: Option<i64>,
    pub(crate) amount: Option<String>,
}

/// Verifies the checksum (constant time, hex case ignored) and the freshness of `timestamp`.
/// Formulas that cover `timestamp` require it. The error is a reason for debug logs only.
pub(crate) fn verify_callback(
    params: &Params,
    formula: ChecksumFormula,
    secret: &str,
    tolerance_secs: u64,
    now: i64,
) -> Result<Callback, &'static str> {
    let received = param(params, "checksum").ok_or("no checksum")?.to_ascii_lowercase();
    let expected =
        expected_checksum(formula, params, secret).ok_or("a field of the formula is missing")?;
    if !bool::from(expected.as_bytes().ct_eq(received.as_bytes())) {
        return Err("checksum does not match");
    }
    let order_uuid = param(params, "orderUuid").ok_or("no orderUuid")?.to_owned();
    let status = param(params, "status").ok_or("no status")?.to_owned();
    let timestamp = match param(params, "timestamp") {
        Some(text) => Some(text.parse::<i64>().map_err(|_| "timestamp is not a number")?),
        None if matches!(formula, ChecksumFormula::AllValues | ChecksumFormula::Rev1179) => {
            return Err("no timestamp")
        }
        None => None,
    };
    if let Some(ts) = timestamp {
        let skew = now.checked_sub(ts).map(i64::unsigned_abs).ok_or("timestamp out of range")?;
        if skew > tolerance_secs {
            return Err("timestamp outside tolerance");
        }
    }
    Ok(Callback {
        order_uuid,
        status,
        timestamp,
        amount: param(params, "amount").map(str::to_owned),
    })
}

/// How Front Payment status words map onto events. The full enum is undocumented [U], so
/// the lists are configuration; matching ignores case (the docs' example says `success`).
/// A word on no list is refused, not guessed at: the order keeps its state.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusWords {
    /// Statuses that mean the money is ours. Default `PAID`, `CAPTURED`, `CHARGED`.
    pub paid: Vec<String>,
    /// Statuses that mean an invoice was issued and no money has moved yet. Default
    /// `INVOICED` ("an invoice will be created", seed 002).
    pub invoiced: Vec<String>,
    /// Statuses of an order still waiting for the customer: nothing changes. Default `SENT`
    /// (the status right after a create), `RESERVED` and the docs' spelling `RESEVRED`.
    pub waiting: Vec<String>,
    /// Statuses that mean the payment failed. Default `FAILED`, `DECLINED`, `REJECTED`.
    pub declined: Vec<String>,
    /// Statuses that mean the order was cancelled. Default `CANCELLED`, `CANCELED`.
    pub cancelled: Vec<String>,
    /// Statuses that mean the order lapsed. Default `EXPIRED`.
    pub expired: Vec<String>,
}

impl Default for StatusWords {
    fn default() -> Self {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect();
        StatusWords {
            paid: words(&["PAID", "CAPTURED", "CHARGED"]),
            invoiced: words(&["INVOICED"]),
            waiting: words(&["SENT", "RESERVED", "RESEVRED"]),
            declined: words(&["FAILED", "DECLINED", "REJECTED"]),
            cancelled: words(&["CANCELLED", "CANCELED"]),
            expired: words(&["EXPIRED"]),
        }
    }
}

/// A status word on none of the [`StatusWords`] lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnknownStatus;

impl StatusWords {
    /// The event a status means; `Ok(None)` for a waiting one (`SENT`, `RESERVED`), and
    /// `Err` for a word the documents (and the configuration) do not list.
    pub(crate) fn event(&self, status: &str) -> Result<Option<PaymentEvent>, UnknownStatus> {
        let is = |list: &[String]| list.iter().any(|w| w.eq_ignore_ascii_case(status));
        Ok(if is(&self.paid) {
            Some(PaymentEvent::Paid)
        } else if is(&self.invoiced) {
            Some(PaymentEvent::Invoiced)
        } else if is(&self.declined) {
            Some(PaymentEvent::Declined)
        } else if is(&self.cancelled) {
            Some(PaymentEvent::Cancelled)
        } else if is(&self.expired) {
            Some(PaymentEvent::Expired)
        } else if is(&self.waiting) {
            None
        } else {
            return Err(UnknownStatus);
        })
    }
}

/// Which call creates the order, chosen by `SessionRequest::method_variant`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// `connect/hosted/orders/payment-link/create`: Front Payment's own checkout page.
    Hosted,
    /// `connect/orders/regular/submit` with `submitPayment.via`.
    Regular { via: String },
    /// `connect/orders/invoice/submit`.
    Invoice,
}

/// Amount text with at most `max_decimals` fraction digits, trailing zeros trimmed to fit;
/// refused when a significant digit would be lost.
pub(crate) fn decimal(money: Money, max_decimals: u8) -> Result<Box<RawValue>, ProviderError> {
    let refuse = || ProviderError::AmountNotRepresentable { provider: P, amount: money };
    if money.currency().exponent() <= max_decimals {
        return Ok(amount::json_number(money));
    }
    let text = money.to_major_string();
    let (whole, fraction) = text.split_once('.').ok_or_else(refuse)?;
    let keep = usize::from(max_decimals);
    if fraction[keep..].bytes().any(|b| b != b'0') {
        return Err(refuse());
    }
    let trimmed =
        if keep == 0 { whole.to_owned() } else { format!("{whole}.{}", &fraction[..keep]) };
    RawValue::from_string(trimmed).map_err(|_| refuse())
}

/// The smallest step, in minor units, that `max_decimals` can express.
fn quantum(currency: Currency, max_decimals: u8) -> i64 {
    let hidden = currency.exponent().saturating_sub(max_decimals);
    10i64.pow(u32::from(hidden))
}

/// Splits a tax-inclusive gross amount into `(net, tax)` at `rate` percent.
///
/// Rule: `net = gross · 100 / (100 + rate)`, rounded half up to the provider's smallest
/// step; `tax = gross − net`. So net + tax is the gross exactly, and summing lines keeps
/// `subTotal + totalTax = grandTotal`. Seed example: 4500.00 at 12 % → 4017.86 + 482.14.
pub(crate) fn split_tax(
    gross: Money,
    rate: u32,
    max_decimals: u8,
) -> Result<(Money, Money), ProviderError> {
    let q = i128::from(quantum(gross.currency(), max_decimals));
    let g = i128::from(gross.minor());
    if g < 0 || g % q != 0 {
        return Err(ProviderError::AmountNotRepresentable { provider: P, amount: gross });
    }
    let units = g / q;
    let denominator = 100 + i128::from(rate);
    let net_units = (units * 200 + denominator) / (2 * denominator);
    let net_minor = i64::try_from(net_units * q).map_err(|_| kassa_wire::MoneyError::Overflow)?;
    let net = Money::from_minor(net_minor, gross.currency())?;
    Ok((net, gross.checked_sub(net)?))
}

/// `products[]` entry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Product {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) product_id: Option<String>,
    pub(crate) quantity: u32,
    pub(crate) rate: Box<RawValue>,
    pub(crate) discount: u32,
    pub(crate) tax: u32,
    pub(crate) amount: Box<RawValue>,
}

/// `orderSummary`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderSummary {
    pub(crate) sub_total: Box<RawValue>,
    pub(crate) total_tax: Box<RawValue>,
    pub(crate) total_discount: Box<RawValue>,
    pub(crate) grand_total: Box<RawValue>,
    pub(crate) shipping_cost: Box<RawValue>,
}

/// Builds the products and the summary. `tax_rate(sku)` gives each line's rate.
pub(crate) fn products(
    req: &SessionRequest,
    tax_rate: impl Fn(&str) -> u32,
    max_decimals: u8,
) -> Result<(Vec<Product>, OrderSummary), ProviderError> {
    let currency = req.total.currency();
    let (mut net_sum, mut tax_sum, mut gross_sum) =
        (Money::zero(currency), Money::zero(currency), Money::zero(currency));
    let mut products = Vec::with_capacity(req.lines.len());
    for line in &req.lines {
        let rate = tax_rate(&line.sku);
        let (net, tax) = split_tax(line.line_total, rate, max_decimals)?;
        net_sum = net_sum.checked_add(net)?;
        tax_sum = tax_sum.checked_add(tax)?;
        gross_sum = gross_sum.checked_add(line.line_total)?;
        products.push(Product {
            name: if line.name.trim().is_empty() { line.sku.clone() } else { line.name.clone() },
            // The invoice endpoint caps productId at 25 characters; a longer SKU is left out.
            product_id: (line.sku.len() <= 25).then(|| line.sku.clone()),
            quantity: line.quantity,
            rate: decimal(line.unit_price, max_decimals)?,
            discount: 0,
            tax: rate,
            amount: decimal(line.line_total, max_decimals)?,
        });
    }
    let zero = Money::zero(currency);
    let summary = OrderSummary {
        sub_total: decimal(net_sum, max_decimals)?,
        total_tax: decimal(tax_sum, max_decimals)?,
        total_discount: decimal(zero, max_decimals)?,
        grand_total: decimal(gross_sum, max_decimals)?,
        shipping_cost: decimal(zero, max_decimals)?,
    };
    Ok((products, summary))
}

/// `customerDetails`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerDetails {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) country_code: String,
    pub(crate) msisdn: String,
    pub(crate) email: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) preferred_language: Option<&'static str>,
    pub(crate) personal_number: Option<String>,
    pub(crate) organization_id: Option<OrganizationId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<Address>,
}

/// `customerDetails.organizationId`: text on the invoice and regular creates ("string …
/// alphanumeric"), a JSON number on the hosted one ("Must be number", seed 002).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum OrganizationId {
    /// Letters and digits only ([`kassa_wire::OrganisationNumber::alphanumeric`]).
    Text(String),
    /// A number, for the hosted create.
    Number(u64),
}

/// The organisation number as a JSON number, or a rejection naming the field: digits only,
/// no leading zero (a number would drop it, and Front Payment would see another id).
pub(crate) fn numeric_organization_id(id: OrganizationId) -> Result<OrganizationId, ProviderError> {
    let text = match id {
        OrganizationId::Number(n) => return Ok(OrganizationId::Number(n)),
        OrganizationId::Text(text) => text,
    };
    let number = (!text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u64>().ok())
        .flatten();
    number.map(OrganizationId::Number).ok_or_else(|| ProviderError::Rejected {
        provider: P,
        status: 0,
        message: "Front Payment's hosted checkout takes the organisation number as a number: \
                  digits only, not starting with 0"
            .to_owned(),
        param: Some("customer.organisation_id".to_owned()),
    })
}

/// `customerDetails.address`.
#[derive(Debug, Serialize)]
pub(crate) struct Address {
    pub(crate) street: String,
    pub(crate) zip: String,
    pub(crate) city: String,
    pub(crate) country: String,
}

/// `callback`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Callbacks {
    pub(crate) callback_url: String,
    pub(crate) success: String,
    pub(crate) failure: String,
}

/// `submitPayment`.
#[derive(Debug, Serialize)]
pub(crate) struct SubmitPayment {
    pub(crate) via: String,
}

/// The body of all three create calls; fields a flow does not use are left out.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderBody {
    pub(crate) products: Vec<Product>,
    pub(crate) order_summary: OrderSummary,
    pub(crate) order_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reference_no: Option<String>,
    /// The hosted endpoint spells it `referencesNo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) references_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) with_customer: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) customer_details: Option<CustomerDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) submit_payment: Option<SubmitPayment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) due_date_for_payment_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) checkout_language: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) invoice_interval: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) separate_invoices: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) invoice_fee_applicable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) invoice_maturity: Option<u32>,
    /// `PARTNER` whenever `fpgo_uuid` is sent (seed 002: required with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) order_from: Option<&'static str>,
    /// The `orderUuid` of an earlier attempt: Front Payment updates that order instead of
    /// creating another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fpgo_uuid: Option<String>,
    pub(crate) callback: Callbacks,
}

impl OrderBody {
    /// What every flow sends: the order's lines and totals, its date, its reference
    /// (`referenceNo`; the hosted flow moves it to `referencesNo`) and the three callback
    /// URLs; each flow adds its own fields.
    pub(crate) fn base(
        req: &SessionRequest,
        products: Vec<Product>,
        order_summary: OrderSummary,
        order_date: String,
    ) -> Self {
        OrderBody {
            products,
            order_summary,
            order_date,
            reference_no: Some(req.order_id.clone()),
            references_no: None,
            with_customer: None,
            customer_details: None,
            submit_payment: None,
            due_date_for_payment_link: None,
            checkout_language: None,
            invoice_interval: None,
            separate_invoices: None,
            invoice_fee_applicable: None,
            invoice_maturity: None,
            order_from: None,
            fpgo_uuid: None,
            callback: Callbacks {
                callback_url: req.notify_url.clone(),
                success: req.success_url.clone(),
                failure: req.cancel_url.clone(),
            },
        }
    }
}

/// Front Payment's languages (`en,no,sv,da,de`) from a BCP 47 tag; Norwegian variants → `no`.
pub(crate) fn language(locale: Option<&str>) -> Option<&'static str> {
    let primary = locale?.split(['-', '_']).next()?.to_ascii_lowercase();
    match primary.as_str() {
        "en" => Some("en"),
        "no" | "nb" | "nn" => Some("no"),
        "sv" => Some("sv"),
        "da" => Some("da"),
        "de" => Some("de"),
        _ => None,
    }
}

/// Splits `+4791234567` into `("+47", "91234567")`. Numbers without `+` get `default_code`.
pub(crate) fn split_phone(phone: &str, default_code: &str) -> Option<(String, String)> {
    let compact: String = phone.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let compact = compact.strip_prefix("00").map(|rest| format!("+{rest}")).unwrap_or(compact);
    let (code, rest) = if let Some(digits) = compact.strip_prefix('+') {
        const CODES: [&str; 9] = ["358", "354", "47", "46", "45", "49", "44", "48", "1"];
        let code = CODES.iter().find(|c| digits.starts_with(**c))?;
        (format!("+{code}"), digits[code.len()..].to_owned())
    } else {
        (default_code.to_owned(), compact)
    };
    let ok = !rest.is_empty() && rest.len() <= 15 && rest.bytes().all(|b| b.is_ascii_digit());
    ok.then_some((code, rest))
}

/// The customer block a flow needs, or a rejection naming the missing detail.
pub(crate) fn customer_details(
    req: &SessionRequest,
    default_country_code: &str,
    need_address: bool,
    need_identity: bool,
) -> Result<CustomerDetails, ProviderError> {
    let missing = |param: &str, message: &str| ProviderError::Rejected {
        provider: P,
        status: 0,
        message: message.to_owned(),
        param: Some(param.to_owned()),
    };
    let name =
        req.customer.name.clone().ok_or_else(|| missing("customer.name", "a name is required"))?;
    let email = req
        .customer
        .email
        .clone()
        .ok_or_else(|| missing("customer.email", "an e-mail address is required"))?;
    let phone = req
        .customer
        .phone
        .as_deref()
        .ok_or_else(|| missing("customer.phone", "a phone number is required"))?;
    let (country_code, msisdn) = split_phone(phone, default_country_code).ok_or_else(|| {
        missing("customer.phone", "the phone number is not a number with a known country code")
    })?;
    let identity = &req.identity;
    let address = match &identity.address {
        Some(a) => Some(Address {
            street: a.street.clone(),
            zip: a.zip.clone(),
            city: a.city.clone(),
            country: a.country.clone(),
        }),
        None if need_address => {
            return Err(missing("customer.address", "a postal address is required"))
        }
        None => None,
    };
    let personal_number = identity
        .personal_number
        .as_ref()
        .map(|s| secrecy::ExposeSecret::expose_secret(s).to_owned());
    let (kind, organization_id) = match identity.kind {
        CustomerKind::Private => {
            // A Norwegian fødselsnummer, by kassa-wire's one rule (check digits included).
            let norwegian =
                |n: &str| kassa_wire::PersonalNumber::parse(n, kassa_wire::CountryCode::NO).is_ok();
            if need_identity && !personal_number.as_deref().is_some_and(norwegian) {
                return Err(missing(
                    "customer.personal_number",
                    "an 11-digit personal number is required",
                ));
            }
            (identity.kind.as_str(), None)
        }
        CustomerKind::Corporate => {
            // Read by kassa-wire's one rule for the customer's country (`556036-0793` in
            // Sweden) and sent as letters and digits only: `organizationId` "Must be
            // alphanumeric" (seed 002).
            let country = identity
                .address
                .as_ref()
                .and_then(|a| kassa_wire::CountryCode::parse(&a.country).ok())
                .unwrap_or(kassa_wire::DEFAULT_COUNTRY);
            let org = identity
                .organisation_id
                .as_deref()
                .and_then(|o| kassa_wire::OrganisationNumber::parse(o, country).ok())
                .ok_or_else(|| {
                    missing(
                        "customer.organisation_id",
                        "an organisation number of the customer's country is required",
                    )
                })?;
            (identity.kind.as_str(), Some(OrganizationId::Text(org.alphanumeric())))
        }
    };
    Ok(CustomerDetails {
        kind,
        country_code,
        msisdn,
        email,
        name,
        preferred_language: language(req.locale.as_deref()),
        personal_number,
        organization_id,
        address,
    })
}

/// `data` of a create answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Created {
    pub(crate) order_uuid: String,
    #[serde(default)]
    pub(crate) payment_url: Option<String>,
    #[serde(default)]
    pub(crate) bank_id_url: Option<String>,
}

/// `data` of `GET connect/orders/status/{uuid}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderStatus {
    #[serde(default)]
    pub(crate) uuid: Option<String>,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) order_amount: Option<Box<RawValue>>,
}

/// The `status_code` envelope around every answer.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    #[serde(default)]
    pub(crate) status_code: Option<u16>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) is_data: Option<bool>,
    #[serde(default = "none")]
    pub(crate) data: Option<T>,
    #[serde(default)]
    pub(crate) errors: Option<serde_json::Value>,
}

fn none<T>() -> Option<T> {
    None
}

/// Maps an error envelope (or an HTTP error without one) onto the taxonomy (R-I4).
/// The envelope's own `status_code` wins over the HTTP status: 500 and 510 are retryable.
pub(crate) fn map_error(
    http_status: u16,
    body: &[u8],
    common: impl FnOnce(u16) -> ProviderError,
) -> ProviderError {
    let envelope = serde_json::from_slice::<Envelope<serde_json::Value>>(body).ok();
    let status =
        envelope.as_ref().and_then(|e| e.status_code).filter(|s| *s >= 400).unwrap_or(http_status);
    match (status, envelope) {
        (400 | 422, Some(env)) => {
            let param = match &env.errors {
                Some(serde_json::Value::Object(map)) => map.keys().next().cloned(),
                _ => None,
            };
            let message = match (&env.errors, &param) {
                (Some(serde_json::Value::Object(map)), Some(key)) => first_text(&map[key]),
                _ => None,
            }
            .or(env.message)
            .unwrap_or_else(|| format!("HTTP {status}"));
            ProviderError::Rejected { provider: P, status, message, param }
        }
        (404, _) => ProviderError::NotFound { provider: P },
        (500..=599, _) => ProviderError::Unavailable {
            provider: P,
            status: Some(status),
            retry_after: None,
            source: None,
        },
        _ => common(status),
    }
}

fn first_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) => items.iter().find_map(first_text),
        _ => None,
    }
}

/// Reads a successful envelope's `data`; an envelope that reports an error is mapped.
pub(crate) fn data<T: serde::de::DeserializeOwned>(
    http_status: u16,
    body: &[u8],
    common: impl FnOnce(u16) -> ProviderError,
) -> Result<T, ProviderError> {
    let envelope: Envelope<serde_json::Value> =
        serde_json::from_slice(body).map_err(|_| ProviderError::unexpected(P, http_status))?;
    if envelope.status_code.is_some_and(|s| s >= 400) {
        return Err(map_error(http_status, body, common));
    }
    let _ = (envelope.is_data, envelope.message);
    let data = envelope.data.ok_or(ProviderError::unexpected(P, http_status))?;
    serde_json::from_value(data).map_err(|_| ProviderError::unexpected(P, http_status))
}

impl OrderStatus {
    /// The update this status means, with `orderAmount` (or the callback's verified
    /// amount) as the paid or invoiced amount. A status on none of `words`' lists is refused.
    pub(crate) fn to_update(
        &self,
        reference: &str,
        words: &StatusWords,
        currency: Currency,
        fallback_amount: Option<&str>,
        dedup_key: String,
    ) -> Result<PaymentUpdate, ProviderError> {
        let event = words.event(&self.status).map_err(|UnknownStatus| {
            tracing::error!(
                reference,
                status = %self.status,
                "Front Payment reported a status its documents do not list; the answer is refused \
                 and the order keeps its state (add the word to status_words if it is expected)"
            );
            ProviderError::unexpected(P, 200)
        })?;
        let amount = match event {
            Some(PaymentEvent::Paid | PaymentEvent::Invoiced) => {
                let text = self
                    .order_amount
                    .as_deref()
                    .and_then(amount::decimal_text)
                    .or(fallback_amount.map(str::to_owned));
                text.map(|t| amount::parse_decimal(P, &t, currency)).transpose()?
            }
            _ => None,
        };
        Ok(PaymentUpdate {
            reference: self.uuid.clone().unwrap_or_else(|| reference.to_owned()),
            order_id: None,
            event,
            amount,
            dedup_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use kassa_wire::{CustomerDetails as Customer, Presentation};
    use secrecy::SecretString;

    use super::*;
    use crate::{CustomerIdentity, OrderLine, PostalAddress};

    fn money(minor: i64, currency: Currency) -> Money {
        Money::from_minor(minor, currency).unwrap()
    }

    fn request(lines: &[(i64, u32)], currency: Currency) -> SessionRequest {
        let lines: Vec<OrderLine> = lines
            .iter()
            .enumerate()
            .map(|(i, (unit, q))| OrderLine {
                sku: format!("sku-{i}"),
                name: format!("Item {i}"),
                quantity: *q,
                unit_price: money(*unit, currency),
                line_total: money(unit * i64::from(*q), currency),
                start_date: None,
                end_date: None,
            })
            .collect();
        let total =
            lines.iter().fold(Money::zero(currency), |a, l| a.checked_add(l.line_total).unwrap());
        SessionRequest {
            order_id: "ks_1".into(),
            idempotency_key: "k".into(),
            lines,
            total,
            presentation: Presentation::Redirect,
            method_variant: None,
            success_url: "https://shop.test/ok".into(),
            cancel_url: "https://shop.test/fail".into(),
            notify_url: "https://api.shop.test/notify/front_payment".into(),
            customer: Customer {
                name: Some("Kari Nordmann".into()),
                email: Some("kari@nordmann.no".into()),
                phone: Some("+47 46567468".into()),
                ..Customer::default()
            },
            locale: Some("nb-NO".into()),
            created_at: 1_754_556_624,
            identity: CustomerIdentity::default(),
            previous_reference: None,
        }
    }

    fn text(raw: &RawValue) -> &str {
        raw.get()
    }

    #[test]
    fn the_seed_example_splits_4500_at_12_percent_into_4017_86_and_482_14() {
        let (net, tax) = split_tax(money(450_000, Currency::NOK), 12, 2).unwrap();
        assert_eq!(net.to_major_string(), "4017.86");
        assert_eq!(tax.to_major_string(), "482.14");
    }

    #[test]
    fn line_and_summary_figures_add_up_to_the_grand_total_exactly() {
        let req = request(&[(450_000, 1), (9_999, 3), (1, 7), (12_345, 2)], Currency::NOK);
        let rates = |sku: &str| match sku {
            "sku-0" => 12,
            "sku-1" => 25,
            "sku-2" => 15,
            _ => 0,
        };
        let (products, summary) = products(&req, rates, 2).unwrap();
        assert_eq!(products.len(), 4);
        let parse = |raw: &RawValue| Money::parse_major(raw.get(), Currency::NOK).unwrap();
        let grand = parse(&summary.grand_total);
        assert_eq!(grand, req.total);
        assert_eq!(
            parse(&summary.sub_total).checked_add(parse(&summary.total_tax)).unwrap(),
            grand
        );
        let line_sum = products
            .iter()
            .fold(Money::zero(Currency::NOK), |a, p| a.checked_add(parse(&p.amount)).unwrap());
        assert_eq!(line_sum, grand);
        assert_eq!(text(&products[0].rate), "4500.00");
    }

    proptest::proptest! {
        #[test]
        fn any_tax_split_adds_up_exactly(gross in 0i64..1_000_000_000_000, rate in 0u32..=100) {
            let gross = money(gross, Currency::NOK);
            let (net, tax) = split_tax(gross, rate, 2).unwrap();
            proptest::prop_assert_eq!(net.checked_add(tax).unwrap(), gross);
            proptest::prop_assert!(net.minor() >= 0 && tax.minor() >= 0);
        }
    }

    #[test]
    fn zero_decimal_currency_amounts_are_whole_numbers() {
        let req = request(&[(4500, 1)], Currency::JPY);
        let (products, summary) = products(&req, |_| 12, 2).unwrap();
        assert_eq!(text(&products[0].rate), "4500");
        assert_eq!(text(&summary.sub_total), "4018");
        assert_eq!(text(&summary.total_tax), "482");
    }

    #[test]
    fn three_decimal_currency_is_sent_when_two_decimals_hold_it_and_refused_otherwise() {
        let ok = request(&[(1250, 1)], Currency::KWD);
        let (products_ok, summary) = products(&ok, |_| 0, 2).unwrap();
        assert_eq!(text(&products_ok[0].rate), "1.25");
        assert_eq!(text(&summary.grand_total), "1.25");
        let refused = request(&[(1255, 1)], Currency::KWD);
        assert!(matches!(
            products(&refused, |_| 0, 2),
            Err(ProviderError::AmountNotRepresentable { .. })
        ));
        let (three, _) = products(&refused, |_| 0, 3).unwrap();
        assert_eq!(text(&three[0].rate), "1.255");
    }

    #[test]
    fn the_regular_order_body_matches_the_documented_shape() {
        let req = request(&[(450_000, 1)], Currency::NOK);
        let (products, order_summary) = products(&req, |_| 12, 2).unwrap();
        let body = OrderBody {
            with_customer: Some(false),
            submit_payment: Some(SubmitPayment { via: "visa".into() }),
            ..OrderBody::base(&req, products, order_summary, req.created_at.to_string())
        };
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(
            json,
            r#"{"products":[{"name":"Item 0","productId":"sku-0","quantity":1,"rate":4500.00,"discount":0,"tax":12,"amount":4500.00}],"orderSummary":{"subTotal":4017.86,"totalTax":482.14,"totalDiscount":0.00,"grandTotal":4500.00,"shippingCost":0.00},"orderDate":"1754556624","referenceNo":"ks_1","withCustomer":false,"submitPayment":{"via":"visa"},"callback":{"callbackUrl":"https://api.shop.test/notify/front_payment","success":"https://shop.test/ok","failure":"https://shop.test/fail"}}"#
        );
    }

    fn adapter_with(partner: bool) -> super::super::FrontPayment {
        let config = super::super::FrontPaymentConfig {
            token: secrecy::SecretString::from("fpgo-token".to_owned()),
            secret_key: secrecy::SecretString::from("fpgo-secret".to_owned()),
            partner,
            ..Default::default()
        };
        super::super::FrontPayment::new(config, reqwest::Client::new()).unwrap()
    }

    const LATER: i64 = 1_754_600_000;

    #[test]
    fn a_previous_reference_is_sent_as_fpgo_uuid_from_partner_in_every_flow_f2() {
        let front = adapter_with(true);
        let mut req = request(&[(450_000, 1)], Currency::NOK);
        req.identity.personal_number = Some(secrecy::SecretString::from("28038712383".to_owned()));
        req.identity.address = Some(crate::PostalAddress {
            street: "Luramyrveien 65".into(),
            zip: "4313".into(),
            city: "Sandnes".into(),
            country: "NO".into(),
        });
        let flows = [Flow::Hosted, Flow::Invoice, Flow::Regular { via: "visa".into() }];
        for flow in &flows {
            let fresh = serde_json::to_value(front.body(&req, flow, LATER).unwrap()).unwrap();
            assert!(fresh.get("fpgoUuid").is_none() && fresh.get("orderFrom").is_none(), "{fresh}");
        }
        req.previous_reference = Some("ODR1234567890".into());
        for flow in &flows {
            let body = serde_json::to_value(front.body(&req, flow, LATER).unwrap()).unwrap();
            assert_eq!(body["fpgoUuid"], "ODR1234567890", "{flow:?}: {body}");
            assert_eq!(body["orderFrom"], "PARTNER", "{flow:?}: {body}");
        }
        // A merchant that is not a registered partner never says PARTNER: a new order instead.
        let not_partner = adapter_with(false);
        for flow in &flows {
            let body = serde_json::to_value(not_partner.body(&req, flow, LATER).unwrap()).unwrap();
            assert!(body.get("fpgoUuid").is_none() && body.get("orderFrom").is_none(), "{body}");
        }
        req.previous_reference = Some("ODR1/../x".into());
        assert!(
            front.body(&req, &Flow::Hosted, LATER).is_err(),
            "a malformed reference is never sent"
        );
    }

    fn identified(req: &mut SessionRequest) {
        req.identity.personal_number = Some(SecretString::from("28038712383".to_owned()));
        req.identity.address = Some(PostalAddress {
            street: "Luramyrveien 65".into(),
            zip: "4313".into(),
            city: "Sandnes".into(),
            country: "NO".into(),
        });
    }

    #[test]
    fn the_order_date_is_the_moment_of_the_request_never_the_orders_creation_f3() {
        let front = adapter_with(false);
        let mut req = request(&[(450_000, 1)], Currency::NOK);
        identified(&mut req);
        assert!(req.created_at < LATER);
        for flow in [Flow::Hosted, Flow::Invoice, Flow::Regular { via: "visa".into() }] {
            let body = serde_json::to_value(front.body(&req, &flow, LATER).unwrap()).unwrap();
            assert_eq!(body["orderDate"], LATER.to_string(), "{flow:?}");
        }
        let hosted = serde_json::to_value(front.body(&req, &Flow::Hosted, LATER).unwrap()).unwrap();
        assert_eq!(hosted["dueDateForPaymentLink"], (LATER + 3600).to_string());
    }

    #[test]
    fn the_hosted_create_sends_the_organisation_number_as_a_number_f6() {
        let front = adapter_with(false);
        let mut req = request(&[(450_000, 1)], Currency::NOK);
        identified(&mut req);
        req.identity.kind = CustomerKind::Corporate;
        req.identity.organisation_id = Some("923 609 016".into());
        let hosted = serde_json::to_value(front.body(&req, &Flow::Hosted, LATER).unwrap()).unwrap();
        assert_eq!(hosted["customerDetails"]["organizationId"], serde_json::json!(923_609_016));
        let invoice =
            serde_json::to_value(front.body(&req, &Flow::Invoice, LATER).unwrap()).unwrap();
        assert_eq!(invoice["customerDetails"]["organizationId"], "923609016", "a string there");
        for bad in ["NO923609016", "0923609016", "987654321"] {
            req.identity.organisation_id = Some(bad.into());
            let err = front.body(&req, &Flow::Hosted, LATER).unwrap_err();
            assert!(
                matches!(err, ProviderError::Rejected { param: Some(ref p), .. } if p == "customer.organisation_id"),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn phone_numbers_split_into_country_code_and_msisdn() {
        assert_eq!(split_phone("+47 465 67 468", "+47"), Some(("+47".into(), "46567468".into())));
        assert_eq!(split_phone("004646567468", "+47"), Some(("+46".into(), "46567468".into())));
        assert_eq!(split_phone("46567468", "+47"), Some(("+47".into(), "46567468".into())));
        assert_eq!(split_phone("+358401234567", "+47"), Some(("+358".into(), "401234567".into())));
        assert_eq!(split_phone("+99912", "+47"), None);
        assert_eq!(split_phone("+47abc", "+47"), None);
    }

    #[test]
    fn invoices_need_a_personal_number_for_people_and_an_organisation_for_companies() {
        let mut req = request(&[(100, 1)], Currency::NOK);
        req.identity.address = Some(PostalAddress {
            street: "Luramyrveien 65".into(),
            zip: "4313".into(),
            city: "Sandnes".into(),
            country: "NO".into(),
        });
        let err = customer_details(&req, "+47", true, true).unwrap_err();
        assert!(
            matches!(err, ProviderError::Rejected { param: Some(ref p), .. } if p == "customer.personal_number"),
            "{err:?}"
        );
        req.identity.personal_number = Some(SecretString::from("28038712383"));
        let details = customer_details(&req, "+47", true, true).unwrap();
        assert_eq!(details.kind, "private");
        assert_eq!(details.preferred_language, Some("no"));
        req.identity.kind = CustomerKind::Corporate;
        assert!(customer_details(&req, "+47", true, true).is_err());
        req.identity.organisation_id = Some("923609016".into());
        let corporate = customer_details(&req, "+47", true, true).unwrap();
        assert_eq!(corporate.organization_id, Some(OrganizationId::Text("923609016".into())));
        // A Swedish company as Sweden writes it: sent as letters and digits only.
        req.identity.organisation_id = Some("556036-0793".into());
        req.identity.address.as_mut().unwrap().country = "SE".into();
        let swedish = customer_details(&req, "+47", true, true).unwrap();
        assert_eq!(swedish.organization_id, Some(OrganizationId::Text("5560360793".into())));
        req.identity.address.as_mut().unwrap().country = "NO".into();
        req.identity.organisation_id = Some("923609016".into());
        req.identity.address = None;
        assert!(matches!(
            customer_details(&req, "+47", true, false),
            Err(ProviderError::Rejected { param: Some(ref p), .. }) if p == "customer.address"
        ));
    }

    #[test]
    fn the_personal_number_never_shows_in_debug_output() {
        let mut req = request(&[(100, 1)], Currency::NOK);
        req.identity.personal_number = Some(SecretString::from("28038712383"));
        assert!(!format!("{req:?}").contains("28038712383"));
    }

    const SECRET: &str = "fp-secret";
    const NOW: i64 = 1_755_764_131;

    fn signed(pairs: &[(&str, &str)], formula: ChecksumFormula) -> Params {
        let mut params: Params =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let sum = expected_checksum(formula, &params, SECRET).unwrap();
        params.push(("checksum".into(), sum));
        params
    }

    const DOC_PARAMS: [(&str, &str); 6] = [
        ("orderUuid", "ODR123"),
        ("status", "success"),
        ("paymentMethod", "Visa"),
        ("amount", "100"),
        ("createdAt", "1755764131"),
        ("timestamp", "1755764131"),
    ];

    #[test]
    fn the_current_formula_hashes_every_value_in_received_order_then_the_secret() {
        let params = signed(&DOC_PARAMS, ChecksumFormula::AllValues);
        let expected =
            hex::encode(Sha256::digest(b"ODR123successVisa10017557641311755764131fp-secret"));
        assert_eq!(params.last().unwrap().1, expected);
        let cb = verify_callback(&params, ChecksumFormula::AllValues, SECRET, 300, NOW).unwrap();
        assert_eq!(cb.order_uuid, "ODR123");
        assert_eq!(cb.status, "success");
    }

    #[test]
    fn every_historical_formula_verifies_its_own_fixture_r_k2() {
        for formula in [ChecksumFormula::Rev1179, ChecksumFormula::Rev936, ChecksumFormula::Rev934]
        {
            let params = signed(&DOC_PARAMS, formula);
            assert!(verify_callback(&params, formula, SECRET, 300, NOW).is_ok(), "{formula:?}");
        }
        let rev936 = signed(&DOC_PARAMS, ChecksumFormula::Rev936);
        assert_eq!(
            rev936.last().unwrap().1,
            hex::encode(Sha256::digest(b"ODR123success1755764131fp-secret"))
        );
    }

    #[test]
    fn tampering_with_any_parameter_fails_r_k2() {
        let params = signed(&DOC_PARAMS, ChecksumFormula::AllValues);
        for i in 0..params.len() - 1 {
            let mut tampered = params.clone();
            tampered[i].1.push('x');
            assert!(
                verify_callback(&tampered, ChecksumFormula::AllValues, SECRET, 300, NOW).is_err(),
                "param {i}"
            );
        }
        let mut reordered = params.clone();
        reordered.swap(0, 2);
        assert!(verify_callback(&reordered, ChecksumFormula::AllValues, SECRET, 300, NOW).is_err());
        assert!(verify_callback(&params, ChecksumFormula::AllValues, "other", 300, NOW).is_err());
    }

    #[test]
    fn an_uppercase_checksum_verifies() {
        let mut params = signed(&DOC_PARAMS, ChecksumFormula::AllValues);
        let last = params.len() - 1;
        params[last].1 = params[last].1.to_ascii_uppercase();
        assert!(verify_callback(&params, ChecksumFormula::AllValues, SECRET, 300, NOW).is_ok());
    }

    #[test]
    fn a_stale_or_missing_timestamp_fails_r_k2() {
        let params = signed(&DOC_PARAMS, ChecksumFormula::AllValues);
        assert_eq!(
            verify_callback(&params, ChecksumFormula::AllValues, SECRET, 300, NOW + 301).err(),
            Some("timestamp outside tolerance")
        );
        let without: Vec<_> =
            DOC_PARAMS.iter().copied().filter(|(k, _)| *k != "timestamp").collect();
        let params = signed(&without, ChecksumFormula::AllValues);
        assert_eq!(
            verify_callback(&params, ChecksumFormula::AllValues, SECRET, 300, NOW).err(),
            Some("no timestamp")
        );
        let old = signed(&without, ChecksumFormula::Rev936);
        assert!(verify_callback(&old, ChecksumFormula::Rev936, SECRET, 300, NOW).is_ok());
    }

    #[test]
    fn status_words_map_to_events_ignoring_case() {
        let words = StatusWords::default();
        assert_eq!(words.event("PAID"), Ok(Some(PaymentEvent::Paid)));
        assert_eq!(words.event("invoiced"), Ok(Some(PaymentEvent::Invoiced)), "F4: not paid");
        assert_eq!(words.event("CANCELLED"), Ok(Some(PaymentEvent::Cancelled)));
        assert_eq!(words.event("EXPIRED"), Ok(Some(PaymentEvent::Expired)));
        assert_eq!(words.event("FAILED"), Ok(Some(PaymentEvent::Declined)));
        assert_eq!(words.event("SENT"), Ok(None));
        assert_eq!(words.event("RESERVED"), Ok(None));
        assert_eq!(words.event("PENDING_SOMETHING"), Err(UnknownStatus));
        assert_eq!(words.event("success"), Err(UnknownStatus), "the docs' example word");
    }

    #[test]
    fn an_unknown_status_is_refused_not_read_as_no_news() {
        let body = br#"{"status_code":200,"is_data":true,"data":{"uuid":"ODR1","status":"WHATEVER","orderAmount":4500.00}}"#;
        let status: OrderStatus = data(200, body, rejected()).unwrap();
        let refused =
            status.to_update("ODR1", &StatusWords::default(), Currency::NOK, None, "k".into());
        assert!(matches!(refused, Err(ProviderError::UnexpectedResponse { .. })), "{refused:?}");
    }

    #[test]
    fn an_invoiced_status_carries_its_amount_to_be_checked() {
        let body = br#"{"status_code":200,"is_data":true,"data":{"uuid":"ODR1","status":"INVOICED","orderAmount":4500.00}}"#;
        let status: OrderStatus = data(200, body, rejected()).unwrap();
        let u = status
            .to_update("ODR1", &StatusWords::default(), Currency::NOK, None, "k".into())
            .unwrap();
        assert_eq!(u.event, Some(PaymentEvent::Invoiced));
        assert_eq!(u.amount, Some(money(450_000, Currency::NOK)));
    }

    fn rejected() -> impl FnOnce(u16) -> ProviderError {
        |status| ProviderError::Unauthorized { provider: P, status }
    }

    #[test]
    fn envelopes_map_onto_the_taxonomy_and_500_and_510_are_retryable_r_i4() {
        let e510 = br#"{"status_code":510,"status_message":"Execution Exception Occurred","message":"Something Went Wrong","is_error":true,"errors":[]}"#;
        assert!(map_error(510, e510, rejected()).is_retryable());
        // An error envelope behind a 200 is still an error.
        assert!(data::<Created>(200, e510, rejected()).unwrap_err().is_retryable());
        let e500 = br#"{"status_code":500,"status_message":"Internal Dependency Error","message":"Internal Error Occurred Please Try Again Later","is_error":true,"errors":{"happenedAt":"x","internalErrorDetails":[]}}"#;
        assert!(map_error(500, e500, rejected()).is_retryable());
        let e404 = br#"{"status_code":404,"status_message":"Not Found","message":"orderNotFound","is_error":false,"errors":null}"#;
        assert!(matches!(map_error(404, e404, rejected()), ProviderError::NotFound { .. }));
        let e422 = br#"{"status_code":422,"message":"The given data was invalid.","is_error":true,"errors":{"customerDetails.msisdn":["The msisdn field is required."]}}"#;
        match map_error(422, e422, rejected()) {
            ProviderError::Rejected { param, message, .. } => {
                assert_eq!(param.as_deref(), Some("customerDetails.msisdn"));
                assert_eq!(message, "The msisdn field is required.");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(map_error(401, b"", rejected()), ProviderError::Unauthorized { .. }));
    }

    #[test]
    fn the_documented_create_answer_gives_the_order_and_its_payment_url() {
        let body = br#"{"status_code":201,"status_message":"OK","message":"Order Submitted Successfully","is_data":true,"data":{"orderUuid":"ODR1649249709","customerUuid":"CSRT3774619516","paymentUrl":"https://pay.test/x"}}"#;
        let created: Created = data(201, body, rejected()).unwrap();
        assert_eq!(created.order_uuid, "ODR1649249709");
        assert_eq!(created.payment_url.as_deref(), Some("https://pay.test/x"));
        let invoice = br#"{"status_code":201,"is_data":true,"data":{"orderUuid":"ODR4286244937","customerUuid":"C","bankIdUrl":"https://bankid.test/a"}}"#;
        assert_eq!(
            data::<Created>(201, invoice, rejected()).unwrap().bank_id_url.as_deref(),
            Some("https://bankid.test/a")
        );
        assert!(data::<Created>(201, b"{\"status_code\":201", rejected()).is_err());
    }

    #[test]
    fn a_paid_status_carries_the_order_amount_parsed_exactly() {
        let body = br#"{"status_code":200,"is_data":true,"data":{"uuid":"ODR1","status":"PAID","orderAmount":4500.00,"refundedAmount":0}}"#;
        let status: OrderStatus = data(200, body, rejected()).unwrap();
        let u = status
            .to_update("ODR1", &StatusWords::default(), Currency::NOK, None, "k".into())
            .unwrap();
        assert_eq!(u.event, Some(PaymentEvent::Paid));
        assert_eq!(u.amount, Some(money(450_000, Currency::NOK)));
        let sent: OrderStatus =
            data(200, br#"{"status_code":200,"data":{"uuid":"ODR1","status":"SENT"}}"#, rejected())
                .unwrap();
        assert_eq!(
            sent.to_update("ODR1", &StatusWords::default(), Currency::NOK, None, "k".into())
                .unwrap()
                .event,
            None
        );
    }

    proptest::proptest! {
        #[test]
        fn callback_parsing_and_checksums_never_panic_r_m2(query in "\\PC{0,200}", now in proptest::num::i64::ANY) {
            let params: Params = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            for formula in [ChecksumFormula::AllValues, ChecksumFormula::Rev1179, ChecksumFormula::Rev936, ChecksumFormula::Rev934] {
                let _ = verify_callback(&params, formula, SECRET, 300, now);
            }
        }
    }
}
