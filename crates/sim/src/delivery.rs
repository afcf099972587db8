//! Outgoing webhooks and callbacks, with retries and a log the tests can read.
//!
//! A hosted page's Pay button must not answer before the backend has heard about the payment,
//! so [`Deliverer::deliver`] awaits the first attempt (bounded by the policy's timeout). A
//! failed attempt (connection error or non-2xx) is retried in the background on the policy's
//! backoff schedule. Each attempt rebuilds its request, so a signature's timestamp is fresh on
//! every try, as at the real providers. Every attempt is recorded for `GET /__sim/deliveries`.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::Serialize;
use tokio::sync::watch;

use crate::clock;

/// How deliveries are attempted and retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Timeout of one attempt, and so the longest a Pay button waits for the backend.
    pub timeout_ms: u64,
    /// Pause before each retry after a failed attempt; its length bounds the retries.
    pub retry_backoff_ms: Vec<u64>,
}

impl Default for DeliveryPolicy {
    /// 5 s per attempt; 9 retries after 0.5 s, 1 s, 2 s, … 128 s (10 attempts in all).
    fn default() -> Self {
        DeliveryPolicy {
            timeout_ms: 5_000,
            retry_backoff_ms: (0..9).map(|i| 500u64 << i).collect(),
        }
    }
}

impl DeliveryPolicy {
    /// Parses a comma-separated list of milliseconds such as `500,1000,2000`.
    pub fn parse_backoff(text: &str) -> Result<Vec<u64>, std::num::ParseIntError> {
        text.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse()).collect()
    }
}

/// One HTTP request to send to a merchant.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// `POST` or `GET`.
    pub method: reqwest::Method,
    /// Absolute URL, including any query string.
    pub url: String,
    /// Extra headers (content type, signature).
    pub headers: Vec<(String, String)>,
    /// Raw body bytes; empty for GET.
    pub body: Vec<u8>,
}

/// Something to deliver: builds a fresh request per attempt and hears how each attempt went.
pub trait Message: Send + Sync + 'static {
    /// The request for this attempt, or `None` to stop (e.g. the endpoint was disabled).
    fn build(&self) -> Option<Outgoing>;
    /// Called after each attempt with whether it succeeded.
    fn on_result(&self, _success: bool) {}
}

/// A [`Message`] that is the same request every time.
impl Message for Outgoing {
    fn build(&self) -> Option<Outgoing> {
        Some(self.clone())
    }
}

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// Which delivery (all attempts of one message share it).
    pub delivery_id: u64,
    /// What was delivered, e.g. the Stripe event type and id.
    pub label: String,
    /// Where it went.
    pub url: String,
    /// 1 for the first try.
    pub attempt: u32,
    /// The merchant's HTTP status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why there was no answer (connection refused, timeout), when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wall-clock unix seconds of the attempt.
    pub at: i64,
}

impl Attempt {
    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        matches!(self.status_code, Some(code) if (200..300).contains(&code))
    }
}

/// Sends messages and remembers every attempt. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Deliverer {
    client: reqwest::Client,
    policy: DeliveryPolicy,
    log: Arc<Mutex<Vec<Attempt>>>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
    shutdown: watch::Receiver<bool>,
}

impl Deliverer {
    /// A deliverer with its own attempt log; retries stop when `shutdown` turns true.
    pub fn new(policy: DeliveryPolicy, shutdown: watch::Receiver<bool>) -> Self {
        let client = reqwest::Client::builder()
            // Webhooks go to the backend as addressed, never through a proxy from the
            // environment, and a redirect counts as a failed delivery (as at Stripe).
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(policy.timeout_ms))
            .build()
            .unwrap_or_default();
        Deliverer { client, policy, log: Arc::default(), next_id: Arc::default(), shutdown }
    }

    /// Every attempt so far, oldest first.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// Sends `message` now and awaits the first attempt; failures are retried in the
    /// background. `None` when the message declined to build (nothing was sent).
    pub async fn deliver(&self, label: String, message: impl Message) -> Option<Attempt> {
        let message: Arc<dyn Message> = Arc::new(message);
        let delivery_id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let first = self.attempt(delivery_id, &label, 1, message.as_ref()).await?;
        if !first.succeeded() && !self.policy.retry_backoff_ms.is_empty() {
            let this = self.clone();
            tokio::spawn(async move { this.retry(delivery_id, label, message).await });
        }
        Some(first)
    }

    /// Like [`Deliverer::deliver`] without waiting for anything.
    pub fn deliver_in_background(&self, label: String, message: impl Message) {
        let this = self.clone();
        tokio::spawn(async move { this.deliver(label, message).await });
    }

    async fn retry(&self, delivery_id: u64, label: String, message: Arc<dyn Message>) {
        let mut shutdown = self.shutdown.clone();
        for (i, pause) in self.policy.retry_backoff_ms.iter().enumerate() {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(*pause)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            let number = u32::try_from(i + 2).unwrap_or(u32::MAX);
            match self.attempt(delivery_id, &label, number, message.as_ref()).await {
                Some(attempt) if !attempt.succeeded() => continue,
                _ => return,
            }
        }
    }

    async fn attempt(
        &self,
        delivery_id: u64,
        label: &str,
        number: u32,
        message: &dyn Message,
    ) -> Option<Attempt> {
        let outgoing = message.build()?;
        let mut request = self.client.request(outgoing.method.clone(), &outgoing.url);
        for (name, value) in &outgoing.headers {
            request = request.header(name, value);
        }
        if !outgoing.body.is_empty() {
            request = request.body(outgoing.body.clone());
        }
        let (status_code, error) = match request.send().await {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(describe(&e))),
        };
        let attempt = Attempt {
            delivery_id,
            label: label.to_owned(),
            url: outgoing.url,
            attempt: number,
            status_code,
            error,
            at: clock::wall_secs(),
        };
        tracing::info!(
            delivery = delivery_id,
            label,
            attempt = number,
            status = ?attempt.status_code,
            error = ?attempt.error,
            "delivery attempt"
        );
        message.on_result(attempt.succeeded());
        if let Ok(mut log) = self.log.lock() {
            log.push(attempt.clone());
        }
        Some(attempt)
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timeout".into()
    } else if error.is_connect() {
        "connection refused".into()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_makes_ten_attempts_with_doubling_pauses() {
        let policy = DeliveryPolicy::default();
        assert_eq!(policy.retry_backoff_ms.len() + 1, 10);
        assert_eq!(policy.retry_backoff_ms[..4], [500, 1000, 2000, 4000]);
    }

    #[test]
    fn parses_a_backoff_list() {
        assert_eq!(DeliveryPolicy::parse_backoff("10, 20,40"), Ok(vec![10, 20, 40]));
        assert_eq!(DeliveryPolicy::parse_backoff(""), Ok(vec![]));
        assert!(DeliveryPolicy::parse_backoff("x").is_err());
    }

    #[tokio::test]
    async fn a_refused_connection_is_recorded_and_retried() {
        let (_tx, rx) = watch::channel(false);
        let policy = DeliveryPolicy { timeout_ms: 1000, retry_backoff_ms: vec![10, 10] };
        let deliverer = Deliverer::new(policy, rx);
        // Port 9 (discard) on loopback is closed in any test environment we run in.
        let outgoing = Outgoing {
            method: reqwest::Method::POST,
            url: "http://127.0.0.1:9/hook".into(),
            headers: vec![],
            body: b"{}".to_vec(),
        };
        let first = deliverer.deliver("test".into(), outgoing).await.expect("attempted");
        assert!(!first.succeeded());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while deliverer.attempts().len() < 3 {
            assert!(tokio::time::Instant::now() < deadline, "retries happen");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let attempts = deliverer.attempts();
        assert_eq!(attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(attempts.iter().all(|a| a.delivery_id == first.delivery_id));
    }
}
