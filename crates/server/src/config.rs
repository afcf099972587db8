//! The merchant's configuration: one TOML file, with secrets layered in from environment
//! variables (`KASSA_` prefix, `__` between levels, e.g. `KASSA_PROVIDERS__STRIPE__SECRET_KEY`).
//!
//! Everything is parsed into typed values and validated here, at start-up, so that a mistake
//! in the file stops the server with a message naming the key instead of failing a customer's
//! payment later.

use std::{collections::HashSet, net::SocketAddr, path::PathBuf};

use figment::{
    providers::{Env, Format, Toml},
    Figment,
};
use kassa_wire::{Currency, CustomerField, Money, Presentation, ProviderId};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

/// The whole configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where the backend listens and how it is reached.
    pub server: ServerSettings,
    /// Who is selling.
    pub merchant: MerchantSettings,
    /// What can be bought.
    pub catalog: Vec<CatalogEntry>,
    /// The picker's entries, in order.
    pub methods: Vec<MethodSettings>,
    /// Provider adapters' settings (API bases, keys from the environment).
    #[serde(default)]
    pub providers: ProvidersSettings,
    /// Optionally, a static site (the booking page and the widget bundle) served beside the API.
    #[serde(default)]
    pub site: Option<SiteSettings>,
    /// Crash recovery, reconciliation and rate limits (optional; see `reliability`).
    #[serde(default)]
    pub reliability: crate::reliability::ReliabilitySettings,
    /// The merchant's event endpoints and their delivery rules (optional; see `outbox`).
    #[serde(default)]
    pub outbox: crate::outbox::settings::OutboxSettings,
    /// The orders API's token (optional; see `operator`).
    #[serde(default)]
    pub operator: crate::outbox::settings::OperatorSettings,
    /// Quotes (optional; see [`CheckoutSettings`]).
    #[serde(default)]
    pub checkout: CheckoutSettings,
}

/// `[checkout]`: how long the price a customer saw holds, and the key its quote id is
/// signed with (see `quotes`).
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckoutSettings {
    /// Seconds a quote may be paid after it was given (default 900: 15 minutes). Later,
    /// session creation answers `quote_expired` with a fresh quote.
    pub quote_ttl_secs: u32,
    /// The key quote ids are signed with (`KASSA_CHECKOUT__QUOTE_KEY`), shared by every
    /// instance behind one address. Absent: each process draws its own and warns.
    pub quote_key: Option<SecretString>,
}

impl Default for CheckoutSettings {
    fn default() -> Self {
        CheckoutSettings { quote_ttl_secs: 900, quote_key: None }
    }
}

/// Listening, storage and cross-origin rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Socket address of the API, e.g. `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// The URL providers use to reach this backend (webhooks, callbacks).
    pub public_url: Url,
    /// `sqlite://path/to/kassa.db` or `postgres://…`.
    pub database_url: String,
    /// Origins (`https://shop.example`) whose pages may use the widget and be returned to.
    pub allowed_origins: Vec<String>,
}

/// The merchant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantSettings {
    /// Shown above the cart.
    pub name: String,
    /// ISO 4217 code of every price.
    pub currency: String,
    /// The merchant's country, ISO 3166-1 alpha-2 (`NO`): forms that ask for the customer's
    /// country start there.
    #[serde(default)]
    pub country: Option<String>,
}

/// One product or bookable service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    /// The SKU pages refer to.
    pub sku: String,
    /// Shown to the customer.
    pub name: String,
    /// Price of one, in major units as exact decimal text (`"650.00"`).
    pub unit_price: String,
    /// True for bookings that need a start date.
    #[serde(default)]
    pub requires_dates: bool,
}

/// One picker entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodSettings {
    /// Stable id, sent back by the widget.
    pub id: kassa_wire::MethodId,
    /// The provider handling it.
    pub provider: ProviderId,
    /// The merchant's own name for the method, shown as written in every language (older
    /// configs call it `display_name`). Absent: the picker names it from its marks and group
    /// in the customer's language (`kassa_wire::MethodName`).
    #[serde(default, alias = "display_name")]
    pub label: Option<String>,
    /// The marks shown beside its name (names of `kassa_wire::Mark`: `visa`, `apple_pay`, …),
    /// instead of its provider's defaults (`methods::defaults`); `[]` shows none.
    #[serde(default)]
    pub marks: Option<Vec<String>>,
    /// The picker group it appears in (`card`, `vipps`, `wallet`, `invoice`, `crypto`,
    /// `booking_page`, `other`), instead of its provider's default.
    #[serde(default)]
    pub group: Option<String>,
    /// Selected when the picker opens (at most one method).
    #[serde(default)]
    pub default: bool,
    /// Redirect, iframe or Stripe embedded.
    pub presentation: Presentation,
    /// Provider-specific selector (e.g. Front Payment's `via`).
    #[serde(default)]
    pub variant: Option<String>,
    /// Details the customer must give for this method.
    #[serde(default)]
    pub required_fields: Vec<CustomerField>,
}

/// Per-provider settings. A provider is enabled when its table is present.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersSettings {
    /// Stripe Checkout.
    pub stripe: Option<ProviderSettings<kassa_providers::stripe::StripeConfig>>,
    /// Payfect.
    pub payfect: Option<ProviderSettings<kassa_providers::payfect::PayfectConfig>>,
    /// Front Payment.
    pub front_payment: Option<ProviderSettings<kassa_providers::front_payment::FrontPaymentConfig>>,
    /// Checkfront.
    pub checkfront: Option<ProviderSettings<kassa_providers::checkfront::CheckfrontConfig>>,
    /// BokaMera.
    pub bokamera: Option<ProviderSettings<kassa_providers::bokamera::BokameraConfig>>,
}

/// An adapter's own settings plus what the widget needs to know about the provider's pages.
#[derive(Debug, Deserialize)]
pub struct ProviderSettings<T> {
    /// Origins the widget may navigate to or frame for this provider's pages.
    pub page_origins: Vec<String>,
    /// Where the widget loads Stripe.js from (Stripe and BokaMera embedded checkout). Its
    /// release train must match the Stripe API version (see [`check_stripe_js_url`]).
    #[serde(default)]
    pub stripe_js_url: Option<String>,
    /// BokaMera only: the Stripe API version of the sessions BokaMera creates, which decides
    /// the Stripe.js train. Default [`BOKAMERA_STRIPE_API_VERSION`]. (Stripe's own table
    /// uses the adapter's `api_version`.)
    #[serde(default)]
    pub stripe_api_version: Option<String>,
    /// A secret last segment of this provider's webhook URL
    /// (`/v1/webhooks/{provider}/{token}`), from the environment
    /// (`KASSA_PROVIDERS__<PROVIDER>__WEBHOOK_TOKEN`). Required for providers whose
    /// notifications are unsigned (Checkfront, BokaMera): R-K3.
    #[serde(default)]
    pub webhook_token: Option<SecretString>,
    /// The adapter's configuration.
    #[serde(flatten)]
    pub adapter: T,
}

/// A static directory served on its own address: the merchant's booking page for the demo.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    /// Socket address of the site.
    pub bind: SocketAddr,
    /// The directory to serve.
    pub dir: PathBuf,
}

/// A configuration mistake, naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or an environment variable could not be read or has the wrong shape.
    #[error("{0}")]
    Load(#[from] Box<figment::Error>),
    /// A value is well-formed but wrong.
    #[error("{key}: {message}")]
    Invalid {
        /// The key at fault, dotted.
        key: String,
        /// What is wrong and what is expected.
        message: String,
    },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), message: message.into() }
}

impl Settings {
    /// Reads `path`, then the `KASSA_*` environment, and validates the result.
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let figment = Figment::new()
            .merge(Toml::file_exact(path))
            // KASSA_CONFIG names this file and KASSA_LOG_FORMAT is read by telemetry.
            .merge(Env::prefixed("KASSA_").split("__").ignore(&["config", "log_format"]));
        Self::from_figment(figment)
    }

    /// Parses TOML text alone (tests and tools).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_figment(Figment::new().merge(Toml::string(text)))
    }

    /// Parses TOML text with extra values at dotted keys layered on top, the way the
    /// environment layers secrets (tests that must not touch the process environment).
    pub fn from_toml_with(
        text: &str,
        values: &[(&str, figment::value::Value)],
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::new().merge(Toml::string(text));
        for (key, value) in values {
            figment = figment.merge(figment::providers::Serialized::default(key, value.clone()));
        }
        Self::from_figment(figment)
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// The merchant currency (validated by [`Settings::load`]).
    pub fn currency(&self) -> Currency {
        Currency::from_code(&self.merchant.currency).unwrap_or(Currency::NOK)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let currency = Currency::from_code(&self.merchant.currency)
            .map_err(|e| invalid("merchant.currency", e.to_string()))?;
        if let Some(country) = &self.merchant.country {
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(invalid(
                    "merchant.country",
                    format!("`{country}` is not an ISO 3166-1 alpha-2 code such as `NO`"),
                ));
            }
        }
        crate::methods::check(&self.methods).map_err(|(key, message)| invalid(key, message))?;
        for origin in &self.server.allowed_origins {
            check_origin(origin).map_err(|m| invalid("server.allowed_origins", m))?;
        }
        let mut skus = HashSet::new();
        for (i, entry) in self.catalog.iter().enumerate() {
            let key = format!("catalog[{i}]");
            if entry.sku.is_empty() || !skus.insert(entry.sku.as_str()) {
                return Err(invalid(key, format!("sku `{}` is empty or repeated", entry.sku)));
            }
            let price = Money::parse_major(&entry.unit_price, currency)
                .map_err(|e| invalid(format!("{key}.unit_price"), e.to_string()))?;
            if price.minor() < 0 {
                return Err(invalid(format!("{key}.unit_price"), "must not be negative"));
            }
        }
        for provider in ProviderId::ALL {
            let token = self.webhook_token(provider);
            let key = format!("providers.{}.webhook_token", provider.as_str());
            match token {
                Some(token) => {
                    check_webhook_token(token.expose_secret()).map_err(|m| invalid(&key, m))?
                }
                None if self.provider_pages(provider).is_some()
                    && !kassa_providers::signs_notifications(provider) =>
                {
                    return Err(invalid(
                        &key,
                        format!(
                            "required: {}'s notifications are unsigned, so only a secret in their URL \
                             keeps others from sending them; set KASSA_PROVIDERS__{}__WEBHOOK_TOKEN \
                             to {WEBHOOK_TOKEN_MIN}+ random characters from A-Z a-z 0-9 - _",
                            provider.as_str(),
                            provider.as_str().to_ascii_uppercase(),
                        ),
                    ));
                }
                None => {}
            }
        }
        self.check_stripe_js_urls()?;
        crate::outbox::settings::check(&self.outbox).map_err(|(key, m)| invalid(key, m))?;
        crate::outbox::settings::check_operator(&self.operator)
            .map_err(|(key, m)| invalid(key, m))?;
        let mut ids = HashSet::new();
        for (i, method) in self.methods.iter().enumerate() {
            let key = format!("methods[{i}]");
            if !ids.insert(method.id.as_str()) {
                return Err(invalid(key, format!("id `{}` is repeated", method.id)));
            }
            let pages = self.provider_pages(method.provider).ok_or_else(|| {
                invalid(
                    format!("{key}.provider"),
                    format!("`{}` has no [providers.{0}] table", method.provider.as_str()),
                )
            })?;
            for origin in pages.0 {
                check_origin(origin).map_err(|m| {
                    invalid(format!("providers.{}.page_origins", method.provider.as_str()), m)
                })?;
            }
            if method.presentation == Presentation::StripeEmbedded && pages.1.is_none() {
                return Err(invalid(
                    format!("providers.{}.stripe_js_url", method.provider.as_str()),
                    "required for a stripe_embedded method",
                ));
            }
            if method.provider == ProviderId::Stripe && method.presentation == Presentation::Iframe
            {
                return Err(invalid(
                    format!("{key}.presentation"),
                    "Stripe's hosted page refuses to be framed; use redirect or stripe_embedded",
                ));
            }
        }
        Ok(())
    }

    /// Warnings for the operator: catalog entries that, bought alone, cost less than Stripe's
    /// smallest charge in the merchant's currency, so such a cart is certain to be refused by
    /// Stripe (the customer sees why; the adapter refuses it before calling Stripe).
    pub fn stripe_minimum_warnings(&self) -> Vec<String> {
        let stripe_sells = self.methods.iter().any(|m| m.provider == ProviderId::Stripe);
        let Some(minimum) = kassa_providers::stripe::currency::minimum_charge(self.currency())
        else {
            return Vec::new();
        };
        if !stripe_sells {
            return Vec::new();
        }
        self.catalog
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                let price = Money::parse_major(&entry.unit_price, self.currency()).ok()?;
                (price.is_positive() && price.minor() < minimum.minor()).then(|| {
                    let needed = (minimum.minor() + price.minor() - 1) / price.minor();
                    format!(
                        "catalog[{i}] `{}` costs {price}, less than Stripe's smallest charge of \
                         {minimum}: a cart of fewer than {needed} of it alone cannot be paid \
                         with Stripe",
                        entry.sku
                    )
                })
            })
            .collect()
    }

    /// Every configured Stripe.js URL loads the train of the Stripe API version it is paired
    /// with; `stripe_api_version` appears only where it means something (BokaMera).
    fn check_stripe_js_urls(&self) -> Result<(), ConfigError> {
        fn misplaced<T>(
            p: &Option<ProviderSettings<T>>,
            name: &str,
            hint: &str,
        ) -> Result<(), ConfigError> {
            match p {
                Some(p) if p.stripe_api_version.is_some() => {
                    Err(invalid(format!("providers.{name}.stripe_api_version"), hint))
                }
                _ => Ok(()),
            }
        }
        misplaced(
            &self.providers.stripe,
            "stripe",
            "use api_version, the adapter's pinned Stripe-Version",
        )?;
        let not_stripe = "only BokaMera's table takes a Stripe API version";
        misplaced(&self.providers.payfect, "payfect", not_stripe)?;
        misplaced(&self.providers.front_payment, "front_payment", not_stripe)?;
        misplaced(&self.providers.checkfront, "checkfront", not_stripe)?;
        if let Some(stripe) = &self.providers.stripe {
            if let Some(url) = &stripe.stripe_js_url {
                check_stripe_js_url(url, &stripe.adapter.api_version).map_err(|m| {
                    invalid("providers.stripe.stripe_js_url", format!("{m} (api_version)"))
                })?;
            }
        }
        if let Some(bokamera) = &self.providers.bokamera {
            if let Some(url) = &bokamera.stripe_js_url {
                let version =
                    bokamera.stripe_api_version.as_deref().unwrap_or(BOKAMERA_STRIPE_API_VERSION);
                check_stripe_js_url(url, version).map_err(|m| {
                    invalid(
                        "providers.bokamera.stripe_js_url",
                        format!("{m} (providers.bokamera.stripe_api_version)"),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// The webhook path token configured for `provider`, if any.
    pub fn webhook_token(&self, provider: ProviderId) -> Option<&SecretString> {
        fn token<T>(p: &Option<ProviderSettings<T>>) -> Option<&SecretString> {
            p.as_ref().and_then(|p| p.webhook_token.as_ref())
        }
        match provider {
            ProviderId::Stripe => token(&self.providers.stripe),
            ProviderId::Payfect => token(&self.providers.payfect),
            ProviderId::FrontPayment => token(&self.providers.front_payment),
            ProviderId::Checkfront => token(&self.providers.checkfront),
            ProviderId::Bokamera => token(&self.providers.bokamera),
        }
    }

    /// The page origins and Stripe.js URL configured for `provider`, if it is enabled.
    pub fn provider_pages(&self, provider: ProviderId) -> Option<(&[String], Option<&str>)> {
        fn pages<T>(p: &Option<ProviderSettings<T>>) -> Option<(&[String], Option<&str>)> {
            p.as_ref().map(|p| (p.page_origins.as_slice(), p.stripe_js_url.as_deref()))
        }
        match provider {
            ProviderId::Stripe => pages(&self.providers.stripe),
            ProviderId::Payfect => pages(&self.providers.payfect),
            ProviderId::FrontPayment => pages(&self.providers.front_payment),
            ProviderId::Checkfront => pages(&self.providers.checkfront),
            ProviderId::Bokamera => pages(&self.providers.bokamera),
        }
    }
}

/// The Stripe API version assumed for the sessions BokaMera creates when its table names
/// none. \[U\] BokaMera does not publish it; its checkout DTO speaks of `UiMode` `hosted` /
/// `embedded`, the names Stripe used before dahlia, so the default is the last pre-dahlia
/// release and Stripe.js v3 (which mounts a session of any version) goes with it.
pub const BOKAMERA_STRIPE_API_VERSION: &str = "2025-09-30.clover";

/// The first Stripe API version whose Stripe.js is a release train of its own
/// (docs.stripe.com/changelog/dahlia; stripe-js `src/shared.ts`: `/v3` or `/{train}/stripe.js`).
const DAHLIA: &str = "2026-03-25";

/// The path of the Stripe.js that goes with `api_version`: `/v3/` before dahlia, where
/// `Stripe()` takes any API version, and `/{train}/stripe.js` from dahlia on, where the
/// script is pinned to its train's API version and has only that train's method names
/// (`createEmbeddedCheckoutPage`, not `initEmbeddedCheckout`). `None` for a malformed version.
pub fn stripe_js_path(api_version: &str) -> Option<String> {
    let (date, name) = match api_version.split_once('.') {
        Some((date, name)) => (date, Some(name)),
        None => (api_version, None),
    };
    let well_formed = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && name.is_none_or(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase()));
    if !well_formed {
        return None;
    }
    Some(if date < DAHLIA {
        "/v3/".to_owned()
    } else {
        format!("/{}/stripe.js", name.unwrap_or("dahlia"))
    })
}

/// Checks that `url` loads the Stripe.js train of `api_version`, saying which URL to use if
/// not. The origin is free (the simulator serves Stripe.js in tests and the demo); the path
/// decides the train.
pub fn check_stripe_js_url(url: &str, api_version: &str) -> Result<(), String> {
    let want = stripe_js_path(api_version).ok_or_else(|| {
        format!("`{api_version}` is not a Stripe API version such as 2026-03-25.dahlia")
    })?;
    let parsed = Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let path = parsed.path();
    let matches = if want == "/v3/" { path == "/v3/" || path == "/v3" } else { path == want };
    if matches {
        return Ok(());
    }
    let origin = parsed.origin().ascii_serialization();
    Err(format!(
        "`{url}` does not load the Stripe.js that goes with Stripe API version {api_version}; \
         use https://js.stripe.com{want} (here: {origin}{want}), or pin another version"
    ))
}

/// The demo configuration template (`configuration/demo.toml`), with `${NAME}` placeholders.
pub const DEMO_TEMPLATE: &str = include_str!("../configuration/demo.toml");

/// Fills `${NAME}` placeholders in a configuration template (the demo and the tests).
pub fn fill_placeholders(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |text, (name, value)| {
        text.replace(&format!("${{{name}}}"), value)
    })
}

/// The shortest webhook path token accepted: 32 characters of 64 kinds are 192 bits.
pub const WEBHOOK_TOKEN_MIN: usize = 32;

/// A webhook path token: long enough not to be guessed, and one URL path segment as is.
fn check_webhook_token(token: &str) -> Result<(), String> {
    if token.len() < WEBHOOK_TOKEN_MIN {
        return Err(format!(
            "must be at least {WEBHOOK_TOKEN_MIN} characters (it is {})",
            token.len()
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err("may hold only A-Z a-z 0-9 - _ (it is one URL path segment)".into());
    }
    Ok(())
}

/// Accepts `scheme://host[:port]` exactly as browsers serialise an origin.
fn check_origin(origin: &str) -> Result<(), String> {
    let url = Url::parse(origin).map_err(|e| format!("`{origin}` is not an origin: {e}"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("`{origin}` must be http(s)"));
    }
    if url.origin().ascii_serialization() != origin {
        return Err(format!(
            "`{origin}` must be written as an origin, e.g. `{}`",
            url.origin().ascii_serialization()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo configuration with its placeholders filled as the demo does.
    pub(crate) fn demo_toml() -> String {
        fill_placeholders(
            DEMO_TEMPLATE,
            &[
                ("API_BIND", "127.0.0.1:0"),
                ("API_URL", "http://127.0.0.1:8080"),
                ("DATABASE_URL", "sqlite::memory:"),
                ("SITE_URL", "http://127.0.0.1:8000"),
                ("SITE_BIND", "127.0.0.1:0"),
                ("SITE_DIR", "/tmp"),
                ("STRIPE_URL", "http://127.0.0.1:8101"),
                ("STRIPE_PUBLISHABLE_KEY", "pk_test_x"),
                ("PAYFECT_URL", "http://127.0.0.1:8102"),
                ("FRONT_PAYMENT_URL", "http://127.0.0.1:8103"),
                ("CHECKFRONT_URL", "http://127.0.0.1:8104"),
                ("BOKAMERA_URL", "http://127.0.0.1:8105"),
            ],
        )
    }

    const CF_TOKEN: &str = "cf_unit_0123456789abcdefghijklmnopq";
    const BM_TOKEN: &str = "bm_unit_0123456789abcdefghijklmnopq";

    /// `text` with the webhook path tokens set as the environment would set them.
    fn parse(text: &str, checkfront_token: &str) -> Result<Settings, ConfigError> {
        Settings::from_toml_with(
            text,
            &[
                ("providers.checkfront.webhook_token", checkfront_token.into()),
                ("providers.bokamera.webhook_token", BM_TOKEN.into()),
            ],
        )
    }

    #[test]
    fn the_demo_configuration_parses() {
        let settings = parse(&demo_toml(), CF_TOKEN).unwrap();
        assert_eq!(settings.currency(), Currency::NOK);
        assert_eq!(settings.methods.len(), 14);
        let p = &settings.providers;
        assert!(p.stripe.is_some() && p.payfect.is_some() && p.front_payment.is_some());
        assert!(p.checkfront.is_some() && p.bokamera.is_some());
        assert!(
            !DEMO_TEMPLATE.contains("secret_key") && !DEMO_TEMPLATE.contains("api_key"),
            "no secrets in the file"
        );
    }

    fn error_for(edit: impl Fn(String) -> String) -> String {
        match parse(&edit(demo_toml()), CF_TOKEN) {
            Ok(_) => panic!("the edited configuration was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn mistakes_name_the_key_to_fix() {
        let e = error_for(|t| t.replace("currency = \"NOK\"", "currency = \"NOKK\""));
        assert!(e.contains("merchant.currency"), "{e}");
        let e = error_for(|t| t.replace("unit_price = \"75.00\"", "unit_price = \"75.005\""));
        assert!(e.contains("catalog[1].unit_price"), "{e}");
        let e = error_for(|t| {
            t.replace(
                "allowed_origins = [\"http://127.0.0.1:8000\"]",
                "allowed_origins = [\"http://127.0.0.1:8000/shop\"]",
            )
        });
        assert!(e.contains("server.allowed_origins"), "{e}");
        let e = error_for(|t| {
            t.replace(
                "presentation = \"redirect\"\n\n[[methods]]\nid = \"stripe-embedded\"",
                "presentation = \"iframe\"\n\n[[methods]]\nid = \"stripe-embedded\"",
            )
        });
        assert!(e.contains("methods[0].presentation"), "{e}");
        let e = error_for(|t| t.replace("[merchant]", "[merchant]\ncolour = \"blue\""));
        assert!(e.contains("colour"), "{e}");
        let e = error_for(|t| t.replace("id = \"payfect-redirect\"", "id = \"payfect-iframe\""));
        assert!(e.contains("methods[3]"), "{e}");
    }

    #[test]
    fn a_mark_that_does_not_exist_stops_the_server_with_the_methods_id() {
        let e = error_for(|t| {
            t.replace("variant = \"visa\"\n", "variant = \"visa\"\nmarks = [\"visa\", \"vias\"]\n")
        });
        assert!(e.contains("methods[5].marks"), "{e}");
        assert!(e.contains("`fp-visa`") && e.contains("`vias`"), "{e}");
        assert!(e.contains("visa, mastercard, vipps, apple_pay"), "the error lists the marks: {e}");
        let e = error_for(|t| {
            t.replace("variant = \"vipps\"\n", "variant = \"vipps\"\ngroup = \"wallets\"\n")
        });
        assert!(e.contains("methods[4].group") && e.contains("`fp-vipps`"), "{e}");
        let e = error_for(|t| {
            t.replace("id = \"stripe-hosted\"\n", "id = \"stripe-hosted\"\ndefault = true\n")
                .replace("id = \"fp-vipps\"\n", "id = \"fp-vipps\"\ndefault = true\n")
        });
        assert!(e.contains("methods[4].default") && e.contains("`stripe-hosted`"), "{e}");
        let e =
            error_for(|t| t.replace("display_name = \"Visa (Front Payment)\"", "label = \" \""));
        assert!(e.contains("methods[5].label") && e.contains("`fp-visa`"), "{e}");
        let e = error_for(|t| t.replace("country = \"NO\"\n", "country = \"Norway\"\n"));
        assert!(e.contains("merchant.country"), "{e}");
    }

    #[test]
    fn every_demo_method_gets_its_group_and_marks_and_keeps_its_name() {
        use kassa_wire::{Mark, MethodGroup};
        let settings = parse(&demo_toml(), CF_TOKEN).unwrap();
        let methods = crate::methods::public(&settings);
        let by_id = |id: &str| methods.iter().find(|m| m.id == id).unwrap();
        assert_eq!(by_id("fp-vipps").group, MethodGroup::Vipps);
        assert_eq!(by_id("fp-vipps").marks, [Mark::Vipps]);
        assert_eq!(by_id("fp-applepay").marks, [Mark::ApplePay]);
        assert_eq!(by_id("fp-googlepay").group, MethodGroup::Wallet);
        assert_eq!(by_id("stripe-hosted").marks, [Mark::Visa, Mark::Mastercard]);
        assert_eq!(by_id("payfect-iframe").group, MethodGroup::Crypto);
        assert_eq!(by_id("fp-invoice").marks, [Mark::Invoice]);
        assert_eq!(by_id("checkfront").group, MethodGroup::BookingPage);
        assert_eq!(by_id("bokamera-embedded").group, MethodGroup::Card);
        assert!(methods.iter().all(|m| !m.marks.is_empty()), "every method shows a mark");
        // The demo's labels are its own: the picker shows them as written.
        assert_eq!(by_id("stripe-hosted").label.as_deref(), Some("Card (Stripe)"));
        assert_eq!(by_id("stripe-hosted").display_name, "Card (Stripe)");
        assert!(crate::methods::look_alike_warnings(&methods).is_empty());
        assert_eq!(settings.merchant.country.as_deref(), Some("NO"));
        assert_eq!(crate::methods::default_method(&settings), None);
    }

    #[test]
    fn the_demo_without_its_labels_names_every_method_apart() {
        // `cargo xtask demo` runs the demo config without its labels (the customer's view).
        let text: String = demo_toml()
            .lines()
            .filter(|l| !l.starts_with("display_name ="))
            .flat_map(|l| [l, "\n"])
            .collect();
        let settings = parse(&text, CF_TOKEN).unwrap();
        let methods = crate::methods::public(&settings);
        assert!(methods.iter().all(|m| m.label.is_none()));
        assert!(crate::methods::look_alike_warnings(&methods).is_empty());
        let vipps = methods.iter().find(|m| m.id == "fp-vipps").unwrap();
        assert_eq!(vipps.display_name, "Vipps", "no provider where none is needed");
    }

    #[test]
    fn overrides_replace_the_defaults_and_unlabelled_methods_are_named_in_english() {
        let text = demo_toml()
            .replace("display_name = \"Card (Stripe)\"\n", "default = true\n")
            .replace("display_name = \"Card, on this page (Stripe)\"\n", "")
            .replace("display_name = \"Vipps (Front Payment)\"\n", "")
            .replace("display_name = \"Card, on this page (BokaMera)\"\n", "")
            .replace(
                "display_name = \"Visa (Front Payment)\"\n",
                "marks = [\"visa\", \"card\"]\ngroup = \"other\"\n",
            );
        let settings = parse(&text, CF_TOKEN).unwrap();
        let methods = crate::methods::public(&settings);
        let by_id = |id: &str| methods.iter().find(|m| m.id == id).unwrap();
        assert_eq!(crate::methods::default_method(&settings).as_deref(), Some("stripe-hosted"));
        let visa = by_id("fp-visa");
        assert_eq!(visa.marks, [kassa_wire::Mark::Visa, kassa_wire::Mark::Card]);
        assert_eq!(visa.group, kassa_wire::MethodGroup::Other);
        assert_eq!(by_id("fp-vipps").display_name, "Vipps");
        assert_eq!(by_id("fp-vipps").label, None);
        // Three unlabelled cards: two providers, and Stripe twice in two places.
        assert_eq!(by_id("stripe-hosted").display_name, "Card (Stripe, on the payment page)");
        assert_eq!(by_id("stripe-embedded").display_name, "Card (Stripe, on this page)");
        assert_eq!(by_id("bokamera-embedded").display_name, "Card (BokaMera)");
    }

    #[test]
    fn catalog_prices_below_stripes_minimum_are_named_for_the_operator() {
        let settings = parse(&demo_toml(), CF_TOKEN).unwrap();
        assert!(settings.stripe_minimum_warnings().is_empty(), "the demo prices are fine");
        let cheap = parse(
            &demo_toml().replacen("unit_price = \"75.00\"", "unit_price = \"1.00\"", 1),
            CF_TOKEN,
        )
        .unwrap();
        let warnings = cheap.stripe_minimum_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("catalog[1]") && warnings[0].contains("3.00 NOK"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("fewer than 3"), "{warnings:?}");
    }

    #[test]
    fn the_stripe_production_example_is_valid_and_holds_no_secret() {
        let text = include_str!("../configuration/stripe.production.toml");
        let settings = Settings::from_toml(text).unwrap();
        let stripe = settings.providers.stripe.as_ref().unwrap();
        assert_eq!(stripe.adapter.base_url, "https://api.stripe.com");
        assert_eq!(stripe.stripe_js_url.as_deref(), Some("https://js.stripe.com/dahlia/stripe.js"));
        assert!(
            stripe.adapter.secret_key.expose_secret().is_empty(),
            "secrets come from the environment"
        );
        assert!(stripe.adapter.webhook_secrets.is_empty());
        let mut adapter = stripe.adapter.clone();
        adapter.secret_key = SecretString::from("sk_test_from_the_environment");
        let built =
            kassa_providers::stripe::Stripe::new(adapter, kassa_providers::build_client().unwrap());
        assert!(built.is_ok(), "{built:?}");
    }

    #[test]
    fn each_api_version_has_its_stripe_js_train() {
        assert_eq!(stripe_js_path("2025-09-30.clover").as_deref(), Some("/v3/"));
        assert_eq!(stripe_js_path("2024-06-20").as_deref(), Some("/v3/"));
        assert_eq!(stripe_js_path("2026-03-25.dahlia").as_deref(), Some("/dahlia/stripe.js"));
        assert_eq!(stripe_js_path("2026-08-26.dahlia").as_deref(), Some("/dahlia/stripe.js"));
        assert_eq!(stripe_js_path("2026-11-18.endive").as_deref(), Some("/endive/stripe.js"));
        assert_eq!(stripe_js_path("latest"), None);
        assert!(check_stripe_js_url("https://js.stripe.com/v3/", "2025-09-30.clover").is_ok());
        assert!(check_stripe_js_url("https://js.stripe.com/v3", "2025-09-30.clover").is_ok());
        assert!(check_stripe_js_url("https://js.stripe.com/dahlia/stripe.js", "2026-03-25.dahlia")
            .is_ok());
        let e = check_stripe_js_url("https://js.stripe.com/v3/", "2026-03-25.dahlia").unwrap_err();
        assert!(e.contains("use https://js.stripe.com/dahlia/stripe.js"), "{e}");
        let e = check_stripe_js_url("http://127.0.0.1:9/dahlia/stripe.js", "2025-09-30.clover")
            .unwrap_err();
        assert!(
            e.contains("https://js.stripe.com/v3/") && e.contains("http://127.0.0.1:9/v3/"),
            "{e}"
        );
    }

    #[test]
    fn a_stripe_js_url_of_another_train_stops_the_server() {
        let stripe_v3 = error_for(|t| {
            t.replacen("/dahlia/stripe.js\"\npublishable_key", "/v3/\"\npublishable_key", 1)
        });
        assert!(stripe_v3.contains("providers.stripe.stripe_js_url"), "{stripe_v3}");
        assert!(stripe_v3.contains("/dahlia/stripe.js"), "{stripe_v3}");
        // BokaMera without its own version: the pre-dahlia default wants v3.
        let bokamera = error_for(|t| t.replace("stripe_api_version = \"2026-03-25.dahlia\"\n", ""));
        assert!(bokamera.contains("providers.bokamera.stripe_js_url"), "{bokamera}");
        assert!(bokamera.contains("https://js.stripe.com/v3/"), "{bokamera}");
        let misplaced = error_for(|t| {
            t.replace("api_version = \"2026-03-25.dahlia\"\n\n[providers.payfect]", "api_version = \"2026-03-25.dahlia\"\nstripe_api_version = \"2026-03-25.dahlia\"\n\n[providers.payfect]")
        });
        assert!(misplaced.contains("providers.stripe.stripe_api_version"), "{misplaced}");
    }

    #[test]
    fn the_production_examples_parse_and_their_adapters_build() {
        let http = kassa_providers::build_client().unwrap();
        let payfect = Settings::from_toml_with(
            include_str!("../configuration/payfect.production.toml"),
            &[
                ("providers.payfect.api_key", "Live.key".into()),
                (
                    "providers.payfect.fernet_key",
                    "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=".into(),
                ),
            ],
        )
        .unwrap();
        let adapter = payfect.providers.payfect.unwrap().adapter;
        assert_eq!(adapter.base_url, "https://api.payfect.finance/api/v1");
        kassa_providers::payfect::Payfect::new(adapter, http.clone()).unwrap();

        let checkfront = Settings::from_toml_with(
            include_str!("../configuration/checkfront.production.toml"),
            &[
                ("providers.checkfront.api_key", "key".into()),
                ("providers.checkfront.api_secret", "secret".into()),
                ("providers.checkfront.webhook_token", CF_TOKEN.into()),
            ],
        )
        .unwrap();
        let adapter = checkfront.providers.checkfront.unwrap().adapter;
        assert!(adapter.base_url.ends_with(".checkfront.com"));
        kassa_providers::checkfront::Checkfront::new(adapter, http).unwrap();
    }

    #[test]
    fn unsigned_providers_need_a_long_url_safe_webhook_token() {
        let refused = |token: Option<&str>| {
            let result = match token {
                Some(t) => parse(&demo_toml(), t),
                None => Settings::from_toml_with(
                    &demo_toml(),
                    &[("providers.bokamera.webhook_token", BM_TOKEN.into())],
                ),
            };
            result.map(|_| ()).unwrap_err().to_string()
        };
        let missing = refused(None);
        assert!(
            missing.contains("providers.checkfront.webhook_token")
                && missing.contains("KASSA_PROVIDERS__CHECKFRONT__WEBHOOK_TOKEN"),
            "{missing}"
        );
        let short = refused(Some("0123456789abcdef"));
        assert!(short.contains("at least 32 characters (it is 16)"), "{short}");
        let slash = refused(Some("0123456789abcdef/0123456789abcdef"));
        assert!(slash.contains("A-Z a-z 0-9 - _"), "{slash}");
        assert!(!slash.contains("0123456789abcdef/"), "the error does not repeat the secret");
        let settings = parse(&demo_toml(), CF_TOKEN).unwrap();
        assert!(settings.webhook_token(ProviderId::Stripe).is_none(), "signed ones need none");
    }
}

#[cfg(test)]
mod bokamera_production_example {
    use super::*;

    /// `configuration/bokamera.production.toml`, the README's BokaMera going-live example.
    const EXAMPLE: &str = include_str!("../configuration/bokamera.production.toml");

    #[test]
    fn the_bokamera_production_example_parses_with_the_real_host_and_no_secrets() {
        let settings = Settings::from_toml_with(
            EXAMPLE,
            &[
                ("providers.bokamera.api_key", "6b9f2a4e-2f0c-4c55-9d8e-0b1a2c3d4e5f".into()),
                ("providers.bokamera.webhook_token", "bm_prod_0123456789abcdefghijklmnopq".into()),
            ],
        )
        .unwrap();
        let bokamera = settings.providers.bokamera.as_ref().unwrap();
        assert_eq!(bokamera.adapter.base_url, "https://api.bokamera.se");
        assert_eq!(settings.methods.len(), 2);
        assert!(!EXAMPLE.contains("api_key ="), "secrets come from the environment");
    }
}
