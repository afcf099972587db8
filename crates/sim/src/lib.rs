//! kassa-sim: an offline simulator of every payment provider Kassa talks to.
//!
//! Each provider (Stripe Checkout, Payfect, Front Payment, Checkfront, BokaMera) runs on its own
//! loopback port with its documented API (paths, fields, auth, error envelopes, status
//! vocabularies, signatures, expiry), its hosted payment page where a person or a browser test
//! can pay, decline or cancel, and a `/__sim/*` control plane for tests (see [`control`]).
//! Facts that `docs/providers.md` marks uncertain are fields of the provider's config struct,
//! so a test can reproduce either reading.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let sim = kassa_sim::start(kassa_sim::SimConfig::default()).await?;
//! println!("Stripe API at {}", sim.stripe_url);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
    time::Duration,
};

use tokio::{sync::watch, task::JoinHandle};

pub mod bokamera;
pub mod checkfront;
pub mod clock;
pub mod control;
pub mod decimal;
pub mod delivery;
pub mod faults;
pub mod form;
pub mod framing;
pub mod front_payment;
pub mod html;
pub mod ids;
pub mod listener;
pub mod payfect;
pub mod stripe;

pub use bokamera::BokameraSim;
pub use checkfront::CheckfrontSim;
pub use delivery::DeliveryPolicy;
pub use front_payment::FrontPaymentSim;
pub use payfect::PayfectSim;
pub use stripe::StripeSim;

use crate::{clock::Clock, control::Common, delivery::Deliverer, faults::Faults, framing::Framing};

/// Everything the simulator needs to start; `Default` gives test credentials on random ports.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Address every provider listens on (default `127.0.0.1`).
    pub bind_ip: IpAddr,
    /// Stripe Checkout.
    pub stripe: StripeSim,
    /// Payfect.
    pub payfect: PayfectSim,
    /// Front Payment (FPGO Connect).
    pub front_payment: FrontPaymentSim,
    /// Checkfront API 3.0.
    pub checkfront: CheckfrontSim,
    /// BokaMera.
    pub bokamera: BokameraSim,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            stripe: StripeSim::default(),
            payfect: PayfectSim::default(),
            front_payment: FrontPaymentSim::default(),
            checkfront: CheckfrontSim::default(),
            bokamera: BokameraSim::default(),
        }
    }
}

impl SimConfig {
    /// Makes the booking systems (Checkfront's items, BokaMera's articles) sell `catalog`:
    /// `(sku, name, price in minor units)` entries, ids 1, 2, … in this order, so that a
    /// merchant's products exist at every provider that prices them itself. The CLI's
    /// `--catalog`, the demo and the test harnesses all go through here.
    pub fn sell(&mut self, catalog: &[(&str, &str, i64)]) {
        self.checkfront.items = (1..)
            .zip(catalog)
            .map(|(id, &(sku, name, price))| checkfront::CheckfrontItem {
                item_id: id,
                sku: sku.to_owned(),
                name: name.to_owned(),
                price,
                stock: 50,
            })
            .collect();
        self.bokamera.articles = (1..)
            .zip(catalog)
            .map(|(id, &(_, name, price))| bokamera::BokameraArticle {
                article_id: id,
                article_type_id: 1,
                name: name.to_owned(),
                price,
            })
            .collect();
    }
}

/// A running simulator: one base URL per provider (`http://127.0.0.1:PORT`, no trailing slash).
#[derive(Debug)]
pub struct SimHandle {
    /// Stripe's API, hosted page, embedded page and Stripe.js stand-in.
    pub stripe_url: String,
    /// Payfect's API and hosted page.
    pub payfect_url: String,
    /// Front Payment's API, hosted pages and BankID page.
    pub front_payment_url: String,
    /// Checkfront's API and booking payment page.
    pub checkfront_url: String,
    /// BokaMera's API and framed checkout page.
    pub bokamera_url: String,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// The base URLs as the JSON object the binary prints.
    pub fn urls_json(&self) -> serde_json::Value {
        serde_json::json!({
            "stripe": self.stripe_url,
            "payfect": self.payfect_url,
            "front_payment": self.front_payment_url,
            "checkfront": self.checkfront_url,
            "bokamera": self.bokamera_url,
        })
    }

    /// Stops every listener and background task (open requests get a moment to finish).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), task).await.is_err() {
                abort.abort();
            }
        }
    }
}

/// Binds every provider's listener and starts serving.
pub async fn start(config: SimConfig) -> anyhow::Result<SimHandle> {
    let ip = config.bind_ip;
    let stripe_bound = listener::bind(ip, config.stripe.port).await?;
    let payfect_bound = listener::bind(ip, config.payfect.port).await?;
    let front_bound = listener::bind(ip, config.front_payment.port).await?;
    let checkfront_bound = listener::bind(ip, config.checkfront.port).await?;
    let bokamera_bound = listener::bind(ip, config.bokamera.port).await?;

    let (shutdown, rx) = watch::channel(false);
    let clock = Clock::default();
    let common = |policy: &DeliveryPolicy| Common {
        clock: clock.clone(),
        requests: Default::default(),
        faults: Faults::default(),
        deliverer: Deliverer::new(policy.clone(), rx.clone()),
        framing: Framing::default(),
    };
    // Every page a listener serves follows that listener's `/__sim/framing` policy.
    let framed = |router: axum::Router, common: &Common| {
        router.layer(axum::middleware::from_fn_with_state(common.framing.clone(), framing::apply))
    };

    let stripe_common = common(&config.stripe.delivery);
    let stripe = Arc::new(stripe::Stripe::new(
        config.stripe.clone(),
        stripe_bound.url.clone(),
        stripe_common.clone(),
    ));
    let payfect_common = common(&config.payfect.delivery);
    let payfect = Arc::new(payfect::Payfect::new(
        config.payfect.clone(),
        payfect_bound.url.clone(),
        payfect_common.clone(),
    ));
    let front_common = common(&config.front_payment.delivery);
    let front = Arc::new(front_payment::FrontPayment::new(
        config.front_payment.clone(),
        front_bound.url.clone(),
        front_common.clone(),
    ));
    let checkfront_common = common(&config.checkfront.delivery);
    let checkfront = Arc::new(checkfront::Checkfront::new(
        config.checkfront.clone(),
        checkfront_bound.url.clone(),
        checkfront_common.clone(),
    ));
    let bokamera_common = common(&DeliveryPolicy::default());
    let bokamera = Arc::new(bokamera::Bokamera::new(
        config.bokamera.clone(),
        bokamera_bound.url.clone(),
        bokamera_common.clone(),
        stripe.clone(),
    ));

    let mut tasks = vec![
        listener::serve(
            stripe_bound.listener,
            framed(stripe::router(stripe.clone(), stripe_common.clone()), &stripe_common),
            rx.clone(),
        ),
        listener::serve(
            payfect_bound.listener,
            framed(payfect::router(payfect.clone(), payfect_common.clone()), &payfect_common),
            rx.clone(),
        ),
        listener::serve(
            front_bound.listener,
            framed(front_payment::router(front.clone(), front_common.clone()), &front_common),
            rx.clone(),
        ),
        listener::serve(
            checkfront_bound.listener,
            framed(
                checkfront::router(checkfront.clone(), checkfront_common.clone()),
                &checkfront_common,
            ),
            rx.clone(),
        ),
        listener::serve(
            bokamera_bound.listener,
            framed(bokamera::router(bokamera.clone(), bokamera_common.clone()), &bokamera_common),
            rx.clone(),
        ),
    ];
    tasks.push(stripe::spawn_sweeper(stripe, rx.clone()));
    tasks.push(checkfront::spawn_sweeper(checkfront, rx.clone()));

    tracing::info!(
        stripe = %stripe_bound.url,
        payfect = %payfect_bound.url,
        front_payment = %front_bound.url,
        checkfront = %checkfront_bound.url,
        bokamera = %bokamera_bound.url,
        "provider simulator listening"
    );
    Ok(SimHandle {
        stripe_url: stripe_bound.url,
        payfect_url: payfect_bound.url,
        front_payment_url: front_bound.url,
        checkfront_url: checkfront_bound.url,
        bokamera_url: bokamera_bound.url,
        shutdown,
        tasks,
    })
}
