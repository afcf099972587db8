//! Command-line flags of the `kassa-sim` binary, one group per provider (binary only).
//!
//! Every configuration field has a flag and an environment variable
//! (`--stripe-port` / `KASSA_SIM_STRIPE_PORT`); a flag left out keeps the field's default, so
//! `SimConfig::default()` and a bare `kassa-sim` behave alike. Lists are comma-separated.
//! `--catalog` replaces the booking systems' catalogues (Checkfront items and BokaMera
//! articles, ids by position) so that the demo's products exist at every provider.

use std::net::IpAddr;

use clap::{ArgAction, Args, Parser};
use kassa_sim::{
    front_payment::ChecksumFormula, stripe::RedirectOnCompletion, BokameraSim, CheckfrontSim,
    DeliveryPolicy, FrontPaymentSim, PayfectSim, SimConfig, StripeSim,
};

/// All flags.
#[derive(Debug, Parser)]
#[command(name = "kassa-sim", version, about = "Offline simulator of Kassa's payment providers")]
pub struct Cli {
    /// Address every provider listens on.
    #[arg(long, env = "KASSA_SIM_BIND_IP", default_value = "127.0.0.1")]
    bind_ip: IpAddr,
    /// Timeout of one webhook/callback attempt (ms); also how long a Pay button waits.
    #[arg(long, env = "KASSA_SIM_DELIVERY_TIMEOUT_MS", default_value_t = 5000)]
    delivery_timeout_ms: u64,
    /// Pauses between retries of a failed delivery (ms).
    #[arg(
        long,
        env = "KASSA_SIM_DELIVERY_BACKOFF_MS",
        default_value = "500,1000,2000,4000,8000,16000,32000,64000,128000"
    )]
    delivery_backoff_ms: String,
    /// The booking systems' catalogue as `sku:Name:price_minor` entries, comma-separated
    /// (Checkfront items and BokaMera articles get ids 1, 2, … in this order).
    #[arg(long, env = "KASSA_SIM_CATALOG")]
    catalog: Option<String>,
    #[command(flatten)]
    stripe: StripeArgs,
    #[command(flatten)]
    payfect: PayfectArgs,
    #[command(flatten)]
    front_payment: FrontPaymentArgs,
    #[command(flatten)]
    checkfront: CheckfrontArgs,
    #[command(flatten)]
    bokamera: BokameraArgs,
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn redirect(text: &str) -> Result<RedirectOnCompletion, String> {
    RedirectOnCompletion::parse(text)
        .ok_or_else(|| format!("{text:?} is not always, if_required or never"))
}

fn method(text: &str) -> Result<reqwest::Method, String> {
    match text.to_ascii_uppercase().as_str() {
        "GET" => Ok(reqwest::Method::GET),
        "POST" => Ok(reqwest::Method::POST),
        other => Err(format!("{other} is not GET or POST")),
    }
}

#[derive(Debug, Args)]
struct StripeArgs {
    /// Stripe port (0 = random).
    #[arg(long, env = "KASSA_SIM_STRIPE_PORT")]
    stripe_port: Option<u16>,
    /// Stripe secret key accepted by the API.
    #[arg(long, env = "KASSA_SIM_STRIPE_SECRET_KEY", hide_env_values = true)]
    stripe_secret_key: Option<String>,
    /// Stripe publishable key for Stripe.js.
    #[arg(long, env = "KASSA_SIM_STRIPE_PUBLISHABLE_KEY")]
    stripe_publishable_key: Option<String>,
    /// Stripe webhook endpoint URL.
    #[arg(long, env = "KASSA_SIM_STRIPE_WEBHOOK_URL")]
    stripe_webhook_url: Option<String>,
    /// Stripe webhook signing secret (whsec_…).
    #[arg(long, env = "KASSA_SIM_STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    stripe_webhook_secret: Option<String>,
    /// Merchant name on Stripe's pages.
    #[arg(long, env = "KASSA_SIM_STRIPE_MERCHANT_NAME")]
    stripe_merchant_name: Option<String>,
    /// Account default API version (used without a Stripe-Version header).
    #[arg(long, env = "KASSA_SIM_STRIPE_DEFAULT_API_VERSION")]
    stripe_default_api_version: Option<String>,
    /// API version of webhook payloads (default: the account default).
    #[arg(long, env = "KASSA_SIM_STRIPE_WEBHOOK_API_VERSION")]
    stripe_webhook_api_version: Option<String>,
    /// [U] Whether hosted sessions need success_url.
    #[arg(long, env = "KASSA_SIM_STRIPE_REQUIRE_SUCCESS_URL", action = ArgAction::Set)]
    stripe_require_success_url: Option<bool>,
    /// [U] Whether Stripe.js allows only one live embedded checkout.
    #[arg(long, env = "KASSA_SIM_STRIPE_SINGLE_EMBEDDED_INSTANCE", action = ArgAction::Set)]
    stripe_single_embedded_instance: Option<bool>,
}

impl StripeArgs {
    fn apply(self, c: &mut StripeSim) -> anyhow::Result<()> {
        set(&mut c.port, self.stripe_port);
        set(&mut c.secret_key, self.stripe_secret_key);
        set(&mut c.publishable_key, self.stripe_publishable_key);
        c.webhook_url = self.stripe_webhook_url.or(c.webhook_url.take());
        set(&mut c.webhook_secret, self.stripe_webhook_secret);
        set(&mut c.merchant_name, self.stripe_merchant_name);
        set(&mut c.default_api_version, self.stripe_default_api_version);
        c.webhook_api_version = self.stripe_webhook_api_version.or(c.webhook_api_version.take());
        set(&mut c.require_success_url, self.stripe_require_success_url);
        set(&mut c.single_embedded_instance, self.stripe_single_embedded_instance);
        for version in std::iter::once(&c.default_api_version).chain(c.webhook_api_version.as_ref())
        {
            if kassa_sim::stripe::ApiVersion::parse(version).is_none() {
                anyhow::bail!("{version:?} is not a Stripe API version");
            }
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
struct PayfectArgs {
    /// Payfect port (0 = random).
    #[arg(long, env = "KASSA_SIM_PAYFECT_PORT")]
    payfect_port: Option<u16>,
    /// Payfect API key (`Authorization: Api-Key …`).
    #[arg(long, env = "KASSA_SIM_PAYFECT_API_KEY", hide_env_values = true)]
    payfect_api_key: Option<String>,
    /// Payfect Fernet key (base64url of 32 bytes) signing callbacks.
    #[arg(long, env = "KASSA_SIM_PAYFECT_FERNET_KEY", hide_env_values = true)]
    payfect_fernet_key: Option<String>,
    /// Payfect API base path.
    #[arg(long, env = "KASSA_SIM_PAYFECT_PATH_PREFIX")]
    payfect_path_prefix: Option<String>,
    /// Further Payfect base paths (default `/api`).
    #[arg(long, env = "KASSA_SIM_PAYFECT_EXTRA_PATH_PREFIXES", value_delimiter = ',')]
    payfect_extra_path_prefixes: Option<Vec<String>>,
    /// [U] Whether a decline sends a `failed` callback.
    #[arg(long, env = "KASSA_SIM_PAYFECT_FAILURE_CALLBACKS", action = ArgAction::Set)]
    payfect_failure_callbacks: Option<bool>,
    /// HTTP status of a successful create (default 200).
    #[arg(long, env = "KASSA_SIM_PAYFECT_CREATE_STATUS")]
    payfect_create_status: Option<u16>,
    /// [U] How a unit price is stored (default whole-units-half-even, the docs' 20.5 → 20).
    #[arg(long, env = "KASSA_SIM_PAYFECT_UNIT_ROUNDING", value_enum)]
    payfect_unit_rounding: Option<kassa_sim::payfect::UnitRounding>,
    /// [U] Which currency a callback names: the crypto paid with (default) or the checkout's.
    #[arg(long, env = "KASSA_SIM_PAYFECT_CALLBACK_CURRENCY", value_enum)]
    payfect_callback_currency: Option<kassa_sim::payfect::CallbackCurrency>,
    /// [U] Checkout lifetime in seconds.
    #[arg(long, env = "KASSA_SIM_PAYFECT_CHECKOUT_TTL_SECS")]
    payfect_checkout_ttl_secs: Option<i64>,
    /// [U] Decimal places of Payfect amounts.
    #[arg(long, env = "KASSA_SIM_PAYFECT_AMOUNT_DECIMAL_PLACES")]
    payfect_amount_decimal_places: Option<u32>,
    /// Payfect merchant id (UUID).
    #[arg(long, env = "KASSA_SIM_PAYFECT_MERCHANT_ID")]
    payfect_merchant_id: Option<String>,
    /// Payfect merchant name.
    #[arg(long, env = "KASSA_SIM_PAYFECT_MERCHANT_NAME")]
    payfect_merchant_name: Option<String>,
    /// Payfect dashboard webhook URL (used without callback_url).
    #[arg(long, env = "KASSA_SIM_PAYFECT_CALLBACK_URL")]
    payfect_callback_url: Option<String>,
}

impl PayfectArgs {
    fn apply(self, c: &mut PayfectSim) -> anyhow::Result<()> {
        set(&mut c.port, self.payfect_port);
        set(&mut c.api_key, self.payfect_api_key);
        set(&mut c.fernet_key, self.payfect_fernet_key);
        set(&mut c.path_prefix, self.payfect_path_prefix);
        set(&mut c.extra_path_prefixes, self.payfect_extra_path_prefixes);
        set(&mut c.failure_callbacks, self.payfect_failure_callbacks);
        set(&mut c.create_status, self.payfect_create_status);
        set(&mut c.unit_rounding, self.payfect_unit_rounding);
        set(&mut c.callback_currency, self.payfect_callback_currency);
        set(&mut c.checkout_ttl_secs, self.payfect_checkout_ttl_secs);
        set(&mut c.amount_decimal_places, self.payfect_amount_decimal_places);
        set(&mut c.merchant_id, self.payfect_merchant_id);
        set(&mut c.merchant_name, self.payfect_merchant_name);
        c.dashboard_callback_url = self.payfect_callback_url.or(c.dashboard_callback_url.take());
        if fernet::Fernet::new(&c.fernet_key).is_none() {
            anyhow::bail!("the Payfect Fernet key must be base64url of 32 bytes");
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
struct FrontPaymentArgs {
    /// Front Payment port (0 = random).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_PORT")]
    front_payment_port: Option<u16>,
    /// Front Payment bearer token.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_TOKEN", hide_env_values = true)]
    front_payment_token: Option<String>,
    /// Front Payment callback checksum secret key.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_SECRET_KEY", hide_env_values = true)]
    front_payment_secret_key: Option<String>,
    /// API base path (default /api/v1).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_API_PREFIX")]
    front_payment_api_prefix: Option<String>,
    /// Base paths of the hosted payment-link create (default /api/v1, as seed 002 writes it).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_HOSTED_PREFIXES", value_delimiter = ',')]
    front_payment_hosted_prefixes: Option<Vec<String>>,
    /// Checksum formula: current, rev1179, rev936, rev934.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_CHECKSUM_FORMULA")]
    front_payment_checksum_formula: Option<ChecksumFormula>,
    /// [U] Callback HTTP method: GET or POST.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_CALLBACK_METHOD", value_parser = method)]
    front_payment_callback_method: Option<reqwest::Method>,
    /// [U] Whether callbackUrl's own query values count in the checksum.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_CHECKSUM_INCLUDES_URL_PARAMS", action = ArgAction::Set)]
    front_payment_checksum_includes_url_params: Option<bool>,
    /// [U] Status of a paid order (default PAID).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_PAID_STATUS")]
    front_payment_paid_status: Option<String>,
    /// [U] Status of an expired payment link (default EXPIRED).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_EXPIRED_STATUS")]
    front_payment_expired_status: Option<String>,
    /// [U] Whether a decline sends a callback.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_FAILURE_CALLBACKS", action = ArgAction::Set)]
    front_payment_failure_callbacks: Option<bool>,
    /// [U] Status a decline's callback reports (default FAILED).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_FAILED_STATUS")]
    front_payment_failed_status: Option<String>,
    /// [U] HTTP status of validation errors (default 422).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_VALIDATION_STATUS")]
    front_payment_validation_status: Option<u16>,
    /// Allowed tax rates (default 0,12,15,25).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_ALLOWED_TAX_RATES", value_delimiter = ',')]
    front_payment_allowed_tax_rates: Option<Vec<u32>>,
    /// Whether private invoice orders go through BankID first (default true, seed 002).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_INVOICE_PRIVATE_BANKID", action = ArgAction::Set)]
    front_payment_invoice_private_bankid: Option<bool>,
    /// [U] Whether the bearer token is a registered partner's, which alone may send
    /// orderFrom=PARTNER (default false).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_PARTNER", action = ArgAction::Set)]
    front_payment_partner: Option<bool>,
    /// [U] Field name of the invoice BankID URL (default bankIdUrl).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_INVOICE_URL_FIELD")]
    front_payment_invoice_url_field: Option<String>,
    /// [U] Whether a payment-link create returns paymentUrl.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_PAYMENT_LINK_RETURNS_URL", action = ArgAction::Set)]
    front_payment_payment_link_returns_url: Option<bool>,
}

impl FrontPaymentArgs {
    fn apply(self, c: &mut FrontPaymentSim) {
        set(&mut c.port, self.front_payment_port);
        set(&mut c.bearer_token, self.front_payment_token);
        set(&mut c.secret_key, self.front_payment_secret_key);
        set(&mut c.api_prefix, self.front_payment_api_prefix);
        set(&mut c.hosted_prefixes, self.front_payment_hosted_prefixes);
        set(&mut c.checksum_formula, self.front_payment_checksum_formula);
        set(&mut c.callback_method, self.front_payment_callback_method);
        set(&mut c.checksum_includes_url_params, self.front_payment_checksum_includes_url_params);
        set(&mut c.paid_status, self.front_payment_paid_status);
        set(&mut c.expired_status, self.front_payment_expired_status);
        set(&mut c.failure_callbacks, self.front_payment_failure_callbacks);
        set(&mut c.failed_status, self.front_payment_failed_status);
        set(&mut c.validation_status, self.front_payment_validation_status);
        set(&mut c.allowed_tax_rates, self.front_payment_allowed_tax_rates);
        set(&mut c.invoice_private_bankid, self.front_payment_invoice_private_bankid);
        set(&mut c.invoice_url_field, self.front_payment_invoice_url_field);
        set(&mut c.partner, self.front_payment_partner);
        set(&mut c.payment_link_returns_url, self.front_payment_payment_link_returns_url);
    }
}

#[derive(Debug, Args)]
struct CheckfrontArgs {
    /// Checkfront port (0 = random).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_PORT")]
    checkfront_port: Option<u16>,
    /// Checkfront API key (Basic username).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_API_KEY", hide_env_values = true)]
    checkfront_api_key: Option<String>,
    /// Checkfront API secret (Basic password).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_API_SECRET", hide_env_values = true)]
    checkfront_api_secret: Option<String>,
    /// An OAuth access token also accepted as Bearer.
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_ACCESS_TOKEN", hide_env_values = true)]
    checkfront_access_token: Option<String>,
    /// "Public API" mode: customers need no credentials.
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_PUBLIC_API", action = ArgAction::Set)]
    checkfront_public_api: Option<bool>,
    /// Checkfront webhook URL.
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_WEBHOOK_URL")]
    checkfront_webhook_url: Option<String>,
    /// Subscribed webhooks: booking, transaction.
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_WEBHOOK_EVENTS", value_delimiter = ',')]
    checkfront_webhook_events: Option<Vec<String>>,
    /// Consecutive failures that disable the webhook (0 never).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_WEBHOOK_DISABLE_AFTER")]
    checkfront_webhook_disable_after: Option<u32>,
    /// [U] Pre-booking lifetime in seconds (15 or 30 minutes).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_PREBOOKING_TTL_SECS")]
    checkfront_prebooking_ttl_secs: Option<i64>,
    /// [U] Status id of a pre-booking (default PEND).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_PREBOOKING_STATUS_ID")]
    checkfront_prebooking_status_id: Option<String>,
    /// [U] Status id of a lapsed pre-booking (default VOID).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_EXPIRED_STATUS_ID")]
    checkfront_expired_status_id: Option<String>,
    /// Status id of a staff booking (default PEND).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_STAFF_STATUS_ID")]
    checkfront_staff_status_id: Option<String>,
    /// [U] HTTP status of an in-envelope validation error (default 200).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_VALIDATION_ERROR_STATUS")]
    checkfront_validation_error_status: Option<u16>,
    /// Form fields a customer must fill (default customer_name,customer_email).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_CUSTOMER_REQUIRED_FIELDS", value_delimiter = ',')]
    checkfront_customer_required_fields: Option<Vec<String>>,
    /// Form fields staff must fill (default customer_name).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_STAFF_REQUIRED_FIELDS", value_delimiter = ',')]
    checkfront_staff_required_fields: Option<Vec<String>>,
    /// The account's name.
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_COMPANY_NAME")]
    checkfront_company_name: Option<String>,
    /// The account's host name (host_id, webhooks).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_HOST")]
    checkfront_host: Option<String>,
    /// The account currency (default NOK).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_CURRENCY")]
    checkfront_currency: Option<String>,
    /// Where the pay page sends the customer after paying (`{code}` = booking code).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_RETURN_URL")]
    checkfront_return_url: Option<String>,
    /// Where Cancel leads (`{code}` = booking code).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_CANCEL_URL")]
    checkfront_cancel_url: Option<String>,
    /// [U] Whether `GET booking/{code}` also answers the token.
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_TOKEN_ON_GET", action = ArgAction::Set)]
    checkfront_token_on_get: Option<bool>,
    /// Webhook encoding: json (default) or xml.
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_WEBHOOK_FORMAT", value_enum)]
    checkfront_webhook_format: Option<kassa_sim::checkfront::WebhookFormat>,
}

impl CheckfrontArgs {
    fn apply(self, c: &mut CheckfrontSim) {
        set(&mut c.port, self.checkfront_port);
        set(&mut c.token_on_get, self.checkfront_token_on_get);
        set(&mut c.webhook_format, self.checkfront_webhook_format);
        set(&mut c.api_key, self.checkfront_api_key);
        set(&mut c.api_secret, self.checkfront_api_secret);
        c.access_token = self.checkfront_access_token.or(c.access_token.take());
        set(&mut c.public_api, self.checkfront_public_api);
        c.webhook_url = self.checkfront_webhook_url.or(c.webhook_url.take());
        set(&mut c.webhook_events, self.checkfront_webhook_events);
        set(&mut c.webhook_disable_after, self.checkfront_webhook_disable_after);
        set(&mut c.prebooking_ttl_secs, self.checkfront_prebooking_ttl_secs);
        set(&mut c.prebooking_status_id, self.checkfront_prebooking_status_id);
        set(&mut c.expired_status_id, self.checkfront_expired_status_id);
        set(&mut c.staff_status_id, self.checkfront_staff_status_id);
        set(&mut c.validation_error_status, self.checkfront_validation_error_status);
        set(&mut c.customer_required_fields, self.checkfront_customer_required_fields);
        set(&mut c.staff_required_fields, self.checkfront_staff_required_fields);
        set(&mut c.company_name, self.checkfront_company_name);
        set(&mut c.host, self.checkfront_host);
        set(&mut c.currency, self.checkfront_currency);
        c.return_url = self.checkfront_return_url.or(c.return_url.take());
        c.cancel_url = self.checkfront_cancel_url.or(c.cancel_url.take());
    }
}

#[derive(Debug, Args)]
struct BokameraArgs {
    /// BokaMera port (0 = random).
    #[arg(long, env = "KASSA_SIM_BOKAMERA_PORT")]
    bokamera_port: Option<u16>,
    /// BokaMera x-api-key.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_API_KEY", hide_env_values = true)]
    bokamera_api_key: Option<String>,
    /// BokaMera company id.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_COMPANY_ID")]
    bokamera_company_id: Option<String>,
    /// [U] Whether checkout calls also need a bearer token.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_REQUIRE_BEARER", action = ArgAction::Set)]
    bokamera_require_bearer: Option<bool>,
    /// The bearer token accepted when required.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_ACCESS_TOKEN", hide_env_values = true)]
    bokamera_access_token: Option<String>,
    /// BokaMera's connected Stripe account.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_STRIPE_ACCOUNT")]
    bokamera_stripe_account: Option<String>,
    /// [U] Whether the create answer carries StripeAccount.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_RETURN_STRIPE_ACCOUNT", action = ArgAction::Set)]
    bokamera_return_stripe_account: Option<bool>,
    /// [U] redirect_on_completion of embedded sessions with a ConfirmationUrl.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_EMBEDDED_REDIRECT", value_parser = redirect)]
    bokamera_embedded_redirect: Option<RedirectOnCompletion>,
    /// Company currency, lower case (default sek).
    #[arg(long, env = "KASSA_SIM_BOKAMERA_CURRENCY")]
    bokamera_currency: Option<String>,
    /// Company name on the checkout page.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_COMPANY_NAME")]
    bokamera_company_name: Option<String>,
    /// Whether new bookings await online payment (default true).
    #[arg(long, env = "KASSA_SIM_BOKAMERA_PAYMENT_REQUIRED", action = ArgAction::Set)]
    bokamera_payment_required: Option<bool>,
    /// Whether paid checkouts leave the booking unpaid until settled (a delayed method).
    #[arg(long, env = "KASSA_SIM_BOKAMERA_DELAYED_PAYMENT", action = ArgAction::Set)]
    bokamera_delayed_payment: Option<bool>,
    /// [U] Which page a hosted checkout's Url names: own (frameable) or stripe (refuses frames).
    #[arg(long, env = "KASSA_SIM_BOKAMERA_HOSTED_PAGE", value_parser = hosted_page)]
    bokamera_hosted_page: Option<kassa_sim::bokamera::HostedPage>,
    /// [U] Refuse CancelUrl with UiMode=embedded instead of requiring it.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_REFUSE_CANCEL_URL_WHEN_EMBEDDED", action = ArgAction::Set)]
    bokamera_refuse_cancel_url_when_embedded: Option<bool>,
}

fn hosted_page(text: &str) -> Result<kassa_sim::bokamera::HostedPage, String> {
    match text {
        "own" => Ok(kassa_sim::bokamera::HostedPage::Own),
        "stripe" => Ok(kassa_sim::bokamera::HostedPage::Stripe),
        other => Err(format!("{other:?} is not own or stripe")),
    }
}

impl BokameraArgs {
    fn apply(self, c: &mut BokameraSim) {
        set(&mut c.port, self.bokamera_port);
        set(&mut c.api_key, self.bokamera_api_key);
        set(&mut c.company_id, self.bokamera_company_id);
        set(&mut c.require_bearer, self.bokamera_require_bearer);
        set(&mut c.access_token, self.bokamera_access_token);
        set(&mut c.stripe_account, self.bokamera_stripe_account);
        set(&mut c.return_stripe_account, self.bokamera_return_stripe_account);
        set(&mut c.embedded_redirect, self.bokamera_embedded_redirect);
        set(&mut c.currency, self.bokamera_currency);
        set(&mut c.company_name, self.bokamera_company_name);
        set(&mut c.payment_required, self.bokamera_payment_required);
        set(&mut c.delayed_payment, self.bokamera_delayed_payment);
        set(&mut c.hosted_page, self.bokamera_hosted_page);
        set(&mut c.refuse_cancel_url_when_embedded, self.bokamera_refuse_cancel_url_when_embedded);
    }
}

impl Cli {
    /// The configuration these flags describe.
    pub fn into_config(self) -> anyhow::Result<SimConfig> {
        let backoff = DeliveryPolicy::parse_backoff(&self.delivery_backoff_ms)
            .map_err(|e| anyhow::anyhow!("--delivery-backoff-ms: {e}"))?;
        let delivery =
            DeliveryPolicy { timeout_ms: self.delivery_timeout_ms, retry_backoff_ms: backoff };
        let mut config = SimConfig { bind_ip: self.bind_ip, ..SimConfig::default() };
        config.stripe.delivery = delivery.clone();
        config.payfect.delivery = delivery.clone();
        config.front_payment.delivery = delivery.clone();
        config.checkfront.delivery = delivery;
        self.stripe.apply(&mut config.stripe)?;
        self.payfect.apply(&mut config.payfect)?;
        self.front_payment.apply(&mut config.front_payment);
        self.checkfront.apply(&mut config.checkfront);
        self.bokamera.apply(&mut config.bokamera);
        if let Some(text) = &self.catalog {
            apply_catalog(&mut config, text)?;
        }
        Ok(config)
    }
}

/// Replaces the Checkfront items and BokaMera articles with `sku:Name:price_minor` entries.
fn apply_catalog(config: &mut SimConfig, text: &str) -> anyhow::Result<()> {
    let mut catalog = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let mut parts = entry.splitn(3, ':');
        let (Some(sku), Some(name), Some(price)) = (parts.next(), parts.next(), parts.next())
        else {
            anyhow::bail!("--catalog: `{entry}` is not sku:Name:price_minor");
        };
        let price: i64 = price.parse().map_err(|_| {
            anyhow::anyhow!("--catalog: `{price}` is not a whole number of minor units")
        })?;
        catalog.push((sku, name, price));
    }
    config.sell(&catalog);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_reach_the_config_and_omitted_ones_keep_defaults() {
        let cli = Cli::try_parse_from([
            "kassa-sim",
            "--stripe-port",
            "8101",
            "--stripe-webhook-url",
            "http://127.0.0.1:8080/v1/webhooks/stripe",
            "--payfect-failure-callbacks",
            "true",
            "--payfect-unit-rounding",
            "exact",
            "--front-payment-checksum-formula",
            "rev1179",
            "--front-payment-callback-method",
            "post",
            "--checkfront-webhook-events",
            "booking",
            "--bokamera-embedded-redirect",
            "always",
            "--delivery-backoff-ms",
            "10,20",
        ])
        .expect("flags parse");
        let config = cli.into_config().expect("valid");
        assert_eq!(config.stripe.port, 8101);
        assert_eq!(
            config.stripe.webhook_url.as_deref(),
            Some("http://127.0.0.1:8080/v1/webhooks/stripe")
        );
        assert_eq!(config.stripe.secret_key, StripeSim::default().secret_key);
        assert!(config.payfect.failure_callbacks);
        assert_eq!(config.payfect.unit_rounding, kassa_sim::payfect::UnitRounding::Exact);
        assert_eq!(config.payfect.callback_currency, kassa_sim::payfect::CallbackCurrency::Paid);
        assert_eq!(config.front_payment.checksum_formula, ChecksumFormula::Rev1179);
        assert_eq!(config.front_payment.callback_method, reqwest::Method::POST);
        assert_eq!(config.checkfront.webhook_events, ["booking"]);
        assert_eq!(config.bokamera.embedded_redirect, RedirectOnCompletion::Always);
        assert_eq!(config.payfect.delivery.retry_backoff_ms, [10, 20]);
    }

    #[test]
    fn a_catalog_flag_replaces_both_booking_catalogues() {
        let cli = Cli::try_parse_from([
            "kassa-sim",
            "--catalog",
            "kayak-2h:Kayak tour:65000,life-jacket:Life jacket:7500",
        ])
        .expect("flags parse");
        let config = cli.into_config().expect("valid");
        assert_eq!(config.checkfront.items.len(), 2);
        assert_eq!(
            (config.checkfront.items[1].item_id, config.checkfront.items[1].price),
            (2, 7500)
        );
        assert_eq!(config.bokamera.articles[0].name, "Kayak tour");
        let bad = Cli::try_parse_from(["kassa-sim", "--catalog", "kayak-2h:Kayak:6.50"])
            .expect("flags parse");
        assert!(bad.into_config().is_err());
    }
}
