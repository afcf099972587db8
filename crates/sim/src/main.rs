//! `kassa-sim`: runs every provider simulator until interrupted.
//!
//! Every configuration field is a flag with an environment variable (`--stripe-port` /
//! `KASSA_SIM_STRIPE_PORT`). Once all listeners are bound, one JSON line with each provider's
//! base URL goes to stdout, so a script can start the simulator on port 0 and read where it
//! is. Logs go to stderr; secrets are never logged.

use std::net::IpAddr;

use clap::{ArgAction, Parser};
use kassa_sim::{
    front_payment::ChecksumFormula, BokameraSim, CheckfrontSim, DeliveryPolicy, FrontPaymentSim,
    PayfectSim, SimConfig, StripeSim,
};

#[derive(Debug, Parser)]
#[command(name = "kassa-sim", version, about = "Offline simulator of Kassa's payment providers")]
struct Args {
    /// Address every provider listens on.
    #[arg(long, env = "KASSA_SIM_BIND_IP", default_value = "127.0.0.1")]
    bind_ip: IpAddr,
    /// Timeout of one webhook/callback attempt (ms); also how long a Pay button waits.
    #[arg(long, env = "KASSA_SIM_DELIVERY_TIMEOUT_MS", default_value_t = 5000)]
    delivery_timeout_ms: u64,
    /// Pauses between retries of a failed delivery (ms, comma-separated).
    #[arg(
        long,
        env = "KASSA_SIM_DELIVERY_BACKOFF_MS",
        default_value = "500,1000,2000,4000,8000,16000,32000,64000,128000"
    )]
    delivery_backoff_ms: String,

    // Stripe
    /// Stripe port (0 = random).
    #[arg(long, env = "KASSA_SIM_STRIPE_PORT", default_value_t = 0)]
    stripe_port: u16,
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
    #[arg(long, env = "KASSA_SIM_STRIPE_REQUIRE_SUCCESS_URL", action = ArgAction::Set, default_value_t = true)]
    stripe_require_success_url: bool,
    /// [U] Whether Stripe.js allows only one live embedded checkout.
    #[arg(long, env = "KASSA_SIM_STRIPE_SINGLE_EMBEDDED_INSTANCE", action = ArgAction::Set, default_value_t = true)]
    stripe_single_embedded_instance: bool,

    // Payfect
    /// Payfect port (0 = random).
    #[arg(long, env = "KASSA_SIM_PAYFECT_PORT", default_value_t = 0)]
    payfect_port: u16,
    /// Payfect API key (`Authorization: Api-Key …`).
    #[arg(long, env = "KASSA_SIM_PAYFECT_API_KEY", hide_env_values = true)]
    payfect_api_key: Option<String>,
    /// Payfect Fernet key (base64url of 32 bytes) signing callbacks.
    #[arg(long, env = "KASSA_SIM_PAYFECT_FERNET_KEY", hide_env_values = true)]
    payfect_fernet_key: Option<String>,
    /// Payfect API base path.
    #[arg(long, env = "KASSA_SIM_PAYFECT_PATH_PREFIX")]
    payfect_path_prefix: Option<String>,
    /// Further Payfect base paths (comma-separated; default `/api`).
    #[arg(long, env = "KASSA_SIM_PAYFECT_EXTRA_PATH_PREFIXES")]
    payfect_extra_path_prefixes: Option<String>,
    /// [U] Whether a decline sends a `failed` callback.
    #[arg(long, env = "KASSA_SIM_PAYFECT_FAILURE_CALLBACKS", action = ArgAction::Set, default_value_t = true)]
    payfect_failure_callbacks: bool,
    /// [U] HTTP status of a successful create.
    #[arg(long, env = "KASSA_SIM_PAYFECT_CREATE_STATUS", default_value_t = 201)]
    payfect_create_status: u16,
    /// [U] Checkout lifetime in seconds.
    #[arg(long, env = "KASSA_SIM_PAYFECT_CHECKOUT_TTL_SECS", default_value_t = 3600)]
    payfect_checkout_ttl_secs: i64,
    /// [U] Decimal places of Payfect amounts.
    #[arg(long, env = "KASSA_SIM_PAYFECT_AMOUNT_DECIMAL_PLACES", default_value_t = 2)]
    payfect_amount_decimal_places: u32,
    /// Payfect merchant name.
    #[arg(long, env = "KASSA_SIM_PAYFECT_MERCHANT_NAME")]
    payfect_merchant_name: Option<String>,
    /// Payfect dashboard webhook URL (used without callback_url).
    #[arg(long, env = "KASSA_SIM_PAYFECT_CALLBACK_URL")]
    payfect_callback_url: Option<String>,

    // Front Payment
    /// Front Payment port (0 = random).
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_PORT", default_value_t = 0)]
    front_payment_port: u16,
    /// Front Payment bearer token.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_TOKEN", hide_env_values = true)]
    front_payment_token: Option<String>,
    /// Front Payment callback checksum secret key.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_SECRET_KEY", hide_env_values = true)]
    front_payment_secret_key: Option<String>,
    /// Checksum formula: current, rev1179, rev936, rev934.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_CHECKSUM_FORMULA", default_value = "current")]
    front_payment_checksum_formula: ChecksumFormula,
    /// [U] Callback HTTP method: GET or POST.
    #[arg(long, env = "KASSA_SIM_FRONT_PAYMENT_CALLBACK_METHOD", default_value = "GET")]
    front_payment_callback_method: String,

    // Checkfront
    /// Checkfront port (0 = random).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_PORT", default_value_t = 0)]
    checkfront_port: u16,
    /// Checkfront API key (Basic username).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_API_KEY", hide_env_values = true)]
    checkfront_api_key: Option<String>,
    /// Checkfront API secret (Basic password).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_API_SECRET", hide_env_values = true)]
    checkfront_api_secret: Option<String>,
    /// Checkfront webhook URL.
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_WEBHOOK_URL")]
    checkfront_webhook_url: Option<String>,
    /// [U] Pre-booking lifetime in seconds (15 or 30 minutes).
    #[arg(long, env = "KASSA_SIM_CHECKFRONT_PREBOOKING_TTL_SECS", default_value_t = 900)]
    checkfront_prebooking_ttl_secs: i64,

    // BokaMera
    /// BokaMera port (0 = random).
    #[arg(long, env = "KASSA_SIM_BOKAMERA_PORT", default_value_t = 0)]
    bokamera_port: u16,
    /// BokaMera x-api-key.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_API_KEY", hide_env_values = true)]
    bokamera_api_key: Option<String>,
    /// BokaMera company id.
    #[arg(long, env = "KASSA_SIM_BOKAMERA_COMPANY_ID")]
    bokamera_company_id: Option<String>,
}

impl Args {
    fn into_config(self) -> anyhow::Result<SimConfig> {
        let backoff = DeliveryPolicy::parse_backoff(&self.delivery_backoff_ms)
            .map_err(|e| anyhow::anyhow!("--delivery-backoff-ms: {e}"))?;
        let delivery =
            DeliveryPolicy { timeout_ms: self.delivery_timeout_ms, retry_backoff_ms: backoff };

        let mut stripe = StripeSim {
            port: self.stripe_port,
            delivery: delivery.clone(),
            ..StripeSim::default()
        };
        set(&mut stripe.secret_key, self.stripe_secret_key);
        set(&mut stripe.publishable_key, self.stripe_publishable_key);
        stripe.webhook_url = self.stripe_webhook_url;
        set(&mut stripe.webhook_secret, self.stripe_webhook_secret);
        set(&mut stripe.merchant_name, self.stripe_merchant_name);
        set(&mut stripe.default_api_version, self.stripe_default_api_version);
        stripe.webhook_api_version = self.stripe_webhook_api_version;
        stripe.require_success_url = self.stripe_require_success_url;
        stripe.single_embedded_instance = self.stripe_single_embedded_instance;
        if kassa_sim::stripe::ApiVersion::parse(&stripe.default_api_version).is_none() {
            anyhow::bail!("--stripe-default-api-version: not a Stripe API version");
        }

        let mut payfect = PayfectSim {
            port: self.payfect_port,
            delivery: delivery.clone(),
            ..PayfectSim::default()
        };
        set(&mut payfect.api_key, self.payfect_api_key);
        set(&mut payfect.fernet_key, self.payfect_fernet_key);
        set(&mut payfect.path_prefix, self.payfect_path_prefix);
        if let Some(extra) = self.payfect_extra_path_prefixes {
            payfect.extra_path_prefixes = extra
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        payfect.failure_callbacks = self.payfect_failure_callbacks;
        payfect.create_status = self.payfect_create_status;
        payfect.checkout_ttl_secs = self.payfect_checkout_ttl_secs;
        payfect.amount_decimal_places = self.payfect_amount_decimal_places;
        set(&mut payfect.merchant_name, self.payfect_merchant_name);
        payfect.dashboard_callback_url = self.payfect_callback_url;
        if fernet::Fernet::new(&payfect.fernet_key).is_none() {
            anyhow::bail!("--payfect-fernet-key: must be base64url of 32 bytes");
        }

        let mut front_payment = FrontPaymentSim {
            port: self.front_payment_port,
            delivery: delivery.clone(),
            ..FrontPaymentSim::default()
        };
        set(&mut front_payment.bearer_token, self.front_payment_token);
        set(&mut front_payment.secret_key, self.front_payment_secret_key);
        front_payment.checksum_formula = self.front_payment_checksum_formula;
        front_payment.callback_method =
            match self.front_payment_callback_method.to_ascii_uppercase().as_str() {
                "GET" => reqwest::Method::GET,
                "POST" => reqwest::Method::POST,
                other => {
                    anyhow::bail!("--front-payment-callback-method: {other} is not GET or POST")
                }
            };

        let mut checkfront = CheckfrontSim {
            port: self.checkfront_port,
            delivery: delivery.clone(),
            ..CheckfrontSim::default()
        };
        set(&mut checkfront.api_key, self.checkfront_api_key);
        set(&mut checkfront.api_secret, self.checkfront_api_secret);
        checkfront.webhook_url = self.checkfront_webhook_url;
        checkfront.prebooking_ttl_secs = self.checkfront_prebooking_ttl_secs;

        let mut bokamera = BokameraSim { port: self.bokamera_port, ..BokameraSim::default() };
        set(&mut bokamera.api_key, self.bokamera_api_key);
        set(&mut bokamera.company_id, self.bokamera_company_id);

        Ok(SimConfig {
            bind_ip: self.bind_ip,
            stripe,
            payfect,
            front_payment,
            checkfront,
            bokamera,
        })
    }
}

fn set(field: &mut String, value: Option<String>) {
    if let Some(value) = value {
        *field = value;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("kassa_sim=info")),
        )
        .init();
    let config = Args::parse().into_config()?;
    let sim = kassa_sim::start(config).await?;
    println!("{}", sim.urls_json());
    shutdown_signal().await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
