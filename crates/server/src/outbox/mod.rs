//! Every paid booking reaches the merchant (issue 14): the delivery worker of the outbox.
//!
//! The store writes an event in the transaction that changes an order
//! (`store::outbox::record_event`); this worker delivers it, later and outside any request,
//! to each endpoint in `[outbox.endpoints]`, signed per the Standard Webhooks spec
//! ([`sender`]). Each endpoint has its own task, its own circuit breaker ([`breaker`]) and at
//! most `concurrency` attempts in flight, so a slow or dead endpoint delays only its own
//! deliveries, and never a checkout. A failed attempt is retried by the schedule in
//! [`settings`] (exponential, jittered, more than three days by default); when the schedule
//! is used up, or the endpoint answers 410 Gone, the delivery is dead: listed by the orders
//! API and `kassa-server orders deliveries --state dead`, replayed by the operator.
//!
//! Several instances on one database share the work through leases on the delivery rows,
//! as the recovery worker shares orders: an attempt in flight belongs to one instance, and
//! another takes it over only after a crash let the lease lapse. A crash between the
//! receiver's 2xx and our record of it sends the event again, with the same `webhook-id`:
//! delivery is at least once, processing once is the receiver's dedup by that id.

pub mod breaker;
pub mod payload;
pub mod sender;
pub mod settings;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use rand::Rng as _;
use tokio::task::{JoinHandle, JoinSet};

use self::{
    breaker::{Breaker, Permit},
    sender::{Outcome, Sender},
    settings::OutboxSettings,
};
use crate::store::{now_ms, DeliveryState, DueDelivery, Store};

/// Deliveries looked at per endpoint per run; events fanned out per run.
const BATCH: i64 = 200;

/// How long past twice the attempt timeout a lease lasts: the record after the answer fits
/// in it (the store's pool gives up after 5 s). Short, because after a crash the delivery
/// waits this long for another instance (or the restarted one) to take it over.
const LEASE_MARGIN_MS: i64 = 5_000;

/// One configured endpoint.
#[derive(Debug)]
pub struct Endpoint {
    /// Its name in the configuration.
    pub name: String,
    sender: Sender,
    breaker: Mutex<Breaker>,
}

/// The endpoints and the delivery rules, built once at start-up.
#[derive(Debug)]
pub struct Outbox {
    endpoints: Vec<Arc<Endpoint>>,
    schedule_ms: Vec<u64>,
    jitter_percent: u32,
    lease_ms: i64,
    poll: Duration,
    concurrency: usize,
    /// This instance's name on the leases it takes.
    owner: String,
}

/// What one run of one endpoint did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Delivered (2xx).
    pub delivered: u32,
    /// Failed, to be retried.
    pub retrying: u32,
    /// Dead-lettered.
    pub dead: u32,
}

impl Outbox {
    /// Builds the senders of every configured endpoint (the settings were checked).
    pub fn build(settings: &OutboxSettings) -> anyhow::Result<Outbox> {
        let timeout = Duration::from_millis(settings.attempt_timeout_ms);
        let endpoints = settings
            .endpoints
            .iter()
            .map(|(name, endpoint)| {
                let secret = endpoint
                    .secret
                    .as_ref()
                    .with_context(|| format!("outbox.endpoints.{name}.secret is missing"))?;
                Ok(Arc::new(Endpoint {
                    name: name.clone(),
                    sender: Sender::new(&endpoint.url, secret, timeout)
                        .with_context(|| format!("outbox.endpoints.{name}"))?,
                    breaker: Mutex::new(Breaker::new(
                        settings.breaker_failures,
                        Duration::from_millis(settings.breaker_cooldown_ms),
                    )),
                }))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Outbox {
            endpoints,
            schedule_ms: settings.retry_schedule_ms.clone(),
            jitter_percent: settings.jitter_percent,
            lease_ms: i64::try_from(settings.attempt_timeout_ms.saturating_mul(2))
                .unwrap_or(i64::MAX / 2)
                + LEASE_MARGIN_MS,
            poll: Duration::from_millis(settings.poll_interval_ms),
            concurrency: settings.concurrency,
            owner: format!("kassa-{}", uuid::Uuid::new_v4().simple()),
        })
    }

    /// The endpoints' names.
    pub fn endpoint_names(&self) -> Vec<String> {
        self.endpoints.iter().map(|e| e.name.clone()).collect()
    }

    /// The wait before the next attempt after attempt number `made` (1 = the first) failed,
    /// or `None` when the schedule is used up. Jitter only lengthens a wait; a receiver's
    /// `Retry-After` is honoured when longer.
    pub fn next_wait(&self, made: i64, retry_after: Option<Duration>) -> Option<Duration> {
        let index = usize::try_from(made.saturating_sub(1)).ok()?;
        let base = *self.schedule_ms.get(index)?;
        let jitter = if self.jitter_percent == 0 {
            0
        } else {
            let most = base.saturating_mul(u64::from(self.jitter_percent)) / 100;
            rand::thread_rng().gen_range(0..=most)
        };
        let wait = Duration::from_millis(base.saturating_add(jitter));
        Some(retry_after.map_or(wait, |r| r.max(wait)))
    }
}

/// The running worker tasks; they stop when this is dropped.
#[derive(Debug)]
pub struct Worker(Vec<JoinHandle<()>>);

impl Drop for Worker {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Starts one task per endpoint; `None` when no endpoint is configured (events wait in the
/// store for an endpoint to be configured).
pub fn spawn(store: Store, outbox: Arc<Outbox>) -> Option<Worker> {
    if outbox.endpoints.is_empty() {
        return None;
    }
    let tasks = outbox
        .endpoints
        .iter()
        .map(|endpoint| {
            let (store, outbox, endpoint) = (store.clone(), outbox.clone(), endpoint.clone());
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(outbox.poll);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    match run_once(&store, &outbox, &endpoint).await {
                        Ok(report) if report != Report::default() => {
                            tracing::info!(endpoint = %endpoint.name, ?report, "merchant events sent")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(
                            endpoint = %endpoint.name,
                            error = format!("{e:#}"),
                            "delivering merchant events failed; trying again later"
                        ),
                    }
                }
            })
        })
        .collect();
    Some(Worker(tasks))
}

/// One pass for one endpoint: fans out new events, then sends what is due, at most
/// `concurrency` at once, as long as the endpoint's circuit lets it.
pub async fn run_once(
    store: &Store,
    outbox: &Arc<Outbox>,
    endpoint: &Arc<Endpoint>,
) -> anyhow::Result<Report> {
    store.fan_out(&outbox.endpoint_names(), BATCH).await?;
    let mut report = Report::default();
    let mut due = store.due_deliveries(&endpoint.name, now_ms(), BATCH).await?.into_iter();
    loop {
        let mut running = JoinSet::new();
        while running.len() < outbox.concurrency {
            let permit = lock(&endpoint.breaker).permit(Instant::now());
            if permit == Permit::Wait {
                break;
            }
            let Some(delivery) = due.next() else {
                if permit == Permit::Trial {
                    lock(&endpoint.breaker).trial_not_sent();
                }
                break;
            };
            let (store, outbox, endpoint) = (store.clone(), outbox.clone(), endpoint.clone());
            running
                .spawn(async move { attempt(&store, &outbox, &endpoint, delivery, permit).await });
            if permit == Permit::Trial {
                break;
            }
        }
        if running.is_empty() {
            return Ok(report);
        }
        while let Some(done) = running.join_next().await {
            match done.context("a delivery attempt panicked")?? {
                Some(DeliveryState::Delivered) => report.delivered += 1,
                Some(DeliveryState::Pending) => report.retrying += 1,
                Some(DeliveryState::Dead) => report.dead += 1,
                None => {}
            }
        }
    }
}

/// Claims, sends and records one delivery; answers its new state (`None`: not sent here).
async fn attempt(
    store: &Store,
    outbox: &Outbox,
    endpoint: &Endpoint,
    delivery: DueDelivery,
    permit: Permit,
) -> anyhow::Result<Option<DeliveryState>> {
    let DueDelivery { event_id, endpoint: name, attempts, payload } = delivery;
    if !store.claim_delivery(&event_id, &name, &outbox.owner, outbox.lease_ms).await? {
        if permit == Permit::Trial {
            lock(&endpoint.breaker).trial_not_sent();
        }
        return Ok(None);
    }
    let timestamp = now_ms() / 1000;
    let outcome = endpoint.sender.send(&event_id, timestamp, &payload).await;
    let made = attempts + 1;
    let (state, next_at, status, error) = match &outcome {
        Outcome::Delivered(status) => {
            lock(&endpoint.breaker).success();
            (DeliveryState::Delivered, now_ms(), Some(i64::from(*status)), None)
        }
        Outcome::Gone => {
            lock(&endpoint.breaker).open(Instant::now());
            let why =
                "the endpoint answered 410 Gone: it wants no more events; replay once it does";
            (DeliveryState::Dead, now_ms(), Some(410), Some(why.to_owned()))
        }
        Outcome::Failed { status, error, retry_after } => {
            lock(&endpoint.breaker).failure(Instant::now());
            let status = status.map(i64::from);
            match outbox.next_wait(made, *retry_after) {
                Some(wait) => {
                    let wait = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                    (DeliveryState::Pending, now_ms() + wait, status, Some(error.clone()))
                }
                None => (
                    DeliveryState::Dead,
                    now_ms(),
                    status,
                    Some(format!("{error}; gave up after {made} attempts")),
                ),
            }
        }
    };
    let recorded = store
        .finish_attempt(&event_id, &name, &outbox.owner, state, next_at, status, error.as_deref())
        .await?;
    let level_error = error.as_deref().unwrap_or("");
    match state {
        DeliveryState::Delivered => {
            tracing::info!(event = %event_id, endpoint = %name, attempt = made, "merchant event delivered")
        }
        _ => tracing::warn!(
            event = %event_id,
            endpoint = %name,
            attempt = made,
            state = state.as_str(),
            error = level_error,
            "merchant event not delivered"
        ),
    }
    Ok(recorded.then_some(state))
}

fn lock(breaker: &Mutex<Breaker>) -> std::sync::MutexGuard<'_, Breaker> {
    breaker.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(schedule: Vec<u64>, jitter_percent: u32) -> Outbox {
        let settings = OutboxSettings {
            retry_schedule_ms: schedule,
            jitter_percent,
            ..OutboxSettings::default()
        };
        Outbox::build(&settings).unwrap()
    }

    #[test]
    fn the_schedule_is_followed_then_the_delivery_is_dead() {
        let o = outbox(vec![100, 1000], 0);
        assert_eq!(o.next_wait(1, None), Some(Duration::from_millis(100)));
        assert_eq!(o.next_wait(2, None), Some(Duration::from_millis(1000)));
        assert_eq!(o.next_wait(3, None), None);
        assert_eq!(o.next_wait(1, Some(Duration::from_secs(5))), Some(Duration::from_secs(5)));
    }

    #[test]
    fn jitter_only_lengthens_a_wait_by_at_most_its_percentage() {
        let o = outbox(vec![10_000], 25);
        let waits: Vec<Duration> = (0..200).map(|_| o.next_wait(1, None).unwrap()).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_millis(10_000) && *w <= Duration::from_millis(12_500)));
        assert!(waits.iter().any(|w| *w != waits[0]), "the waits vary");
    }

    #[test]
    fn the_default_schedule_spans_more_than_three_days_of_attempts() {
        let o = outbox(settings::DEFAULT_SCHEDULE_MS.to_vec(), 25);
        let total: Duration = (1..).map_while(|made| o.next_wait(made, None)).sum();
        assert!(total > Duration::from_secs(72 * 3600), "{total:?}");
    }
}
