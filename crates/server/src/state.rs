//! `AppState`: what every request handler shares, built once from the settings.

use std::{collections::HashMap, sync::Arc};

use anyhow::Context as _;
use kassa_providers::Provider;
use kassa_wire::{CheckoutConfig, ProviderId};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::{
    catalog::Catalog,
    config::{MethodSettings, Settings},
    store::Store,
};

/// Shared, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct Inner {
    /// Orders.
    pub store: Store,
    /// Prices.
    pub catalog: Catalog,
    /// Quote ids: the price the customer saw.
    pub quotes: crate::quotes::Quotes,
    /// The config answer, computed once.
    pub checkout_config: CheckoutConfig,
    /// Methods by id.
    pub methods: HashMap<kassa_wire::MethodId, MethodSettings>,
    /// Enabled provider adapters.
    pub providers: HashMap<ProviderId, Provider>,
    /// Origins whose pages may use the checkout.
    pub allowed_origins: Vec<String>,
    /// How providers reach this backend.
    pub public_url: Url,
    /// Recovery, reconciliation and rate-limit settings.
    pub reliability: crate::reliability::ReliabilitySettings,
    /// The client provider calls use (no redirects followed), for the framing check.
    pub http: reqwest::Client,
    /// Each enabled provider's configured page origins: the only places the framing check
    /// may fetch a page from.
    pub page_origins: HashMap<ProviderId, Vec<String>>,
    /// Webhook path tokens by provider (R-K3): the last segment of their webhook URL.
    pub webhook_tokens: HashMap<ProviderId, SecretString>,
    /// What provider accounts ask of every customer (Checkfront's booking form), cached.
    pub account_forms: crate::account_forms::AccountForms,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state: connects the store and constructs every enabled adapter.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Provider base URLs are the only places requests go (R-H6).
        crate::outbound::check(&settings)?;
        let store = Store::connect(&settings.server.database_url).await?;
        let currency = settings.currency();
        let catalog = Catalog::new(currency, &settings.catalog)?;
        // Outbound calls go only to configured provider bases and never follow redirects (R-H6).
        let http = kassa_providers::build_client().context("building the HTTP client")?;
        let providers = build_providers(&settings, &http)?;

        let methods_public = crate::methods::public(&settings);
        let checkout_config = CheckoutConfig {
            merchant_name: settings.merchant.name.clone(),
            currency,
            methods: methods_public,
            default_method: crate::methods::default_method(&settings),
            country: settings.merchant.country.clone(),
        };
        let page_origins = ProviderId::ALL
            .into_iter()
            .filter_map(|p| settings.provider_pages(p).map(|(origins, _)| (p, origins.to_vec())))
            .collect();
        let webhook_tokens = ProviderId::ALL
            .into_iter()
            .filter_map(|p| settings.webhook_token(p).map(|t| (p, t.clone())))
            .collect();
        let methods = settings.methods.into_iter().map(|m| (m.id.clone(), m)).collect();
        if settings.checkout.quote_key.is_none() {
            tracing::warn!(
                "no checkout.quote_key (KASSA_CHECKOUT__QUOTE_KEY): this process signs quotes with \
                 a key of its own, so several instances behind one address refuse each other's \
                 quotes; give them one shared key"
            );
        }
        let quotes = crate::quotes::Quotes::new(
            settings.checkout.quote_key.as_ref(),
            settings.checkout.quote_ttl_secs,
        );
        Ok(AppState(Arc::new(Inner {
            store,
            catalog,
            quotes,
            checkout_config,
            methods,
            providers,
            allowed_origins: settings.server.allowed_origins,
            public_url: settings.server.public_url,
            reliability: settings.reliability,
            http,
            page_origins,
            webhook_tokens,
            account_forms: crate::account_forms::AccountForms::default(),
        })))
    }

    /// The config answer: the configured methods, each with what its provider's account
    /// also requires (read from the provider, cached).
    pub async fn config_answer(&self) -> CheckoutConfig {
        let mut config = self.checkout_config.clone();
        for method in &mut config.methods {
            if let Some(provider) = self.providers.get(&method.provider) {
                let form = self.account_forms.of(provider).await;
                *method = crate::account_forms::merged(method.clone(), form.as_ref());
            }
        }
        config
    }

    /// The webhook/callback URL for `provider`, ending in its path token when it has one.
    /// It holds a secret: it goes to the provider, never into a log.
    pub fn notify_url(&self, provider: ProviderId) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        let mut url = format!("{base}/v1/webhooks/{}", provider.as_str());
        if let Some(token) = self.webhook_tokens.get(&provider) {
            url.push('/');
            url.push_str(token.expose_secret());
        }
        url
    }
}

/// Constructs the adapter of every provider that has a `[providers.*]` table.
fn build_providers(
    settings: &Settings,
    http: &reqwest::Client,
) -> anyhow::Result<HashMap<ProviderId, Provider>> {
    use kassa_providers::{bokamera, checkfront, front_payment, payfect, stripe};
    let p = &settings.providers;
    let mut out = HashMap::new();
    let context = |id: ProviderId| format!("configuring providers.{}", id.as_str());
    if let Some(s) = &p.stripe {
        let a = stripe::Stripe::new(s.adapter.clone(), http.clone())
            .with_context(|| context(ProviderId::Stripe))?;
        out.insert(ProviderId::Stripe, Provider::Stripe(a));
    }
    if let Some(s) = &p.payfect {
        let a = payfect::Payfect::new(s.adapter.clone(), http.clone())
            .with_context(|| context(ProviderId::Payfect))?;
        out.insert(ProviderId::Payfect, Provider::Payfect(a));
    }
    if let Some(s) = &p.front_payment {
        let a = front_payment::FrontPayment::new(s.adapter.clone(), http.clone())
            .with_context(|| context(ProviderId::FrontPayment))?;
        out.insert(ProviderId::FrontPayment, Provider::FrontPayment(a));
    }
    if let Some(s) = &p.checkfront {
        let a = checkfront::Checkfront::new(s.adapter.clone(), http.clone())
            .with_context(|| context(ProviderId::Checkfront))?;
        out.insert(ProviderId::Checkfront, Provider::Checkfront(a));
    }
    if let Some(s) = &p.bokamera {
        let a = bokamera::Bokamera::new(s.adapter.clone(), http.clone())
            .with_context(|| context(ProviderId::Bokamera))?;
        out.insert(ProviderId::Bokamera, Provider::Bokamera(a));
    }
    Ok(out)
}
