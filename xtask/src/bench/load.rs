//! Open-model load: requests leave at a constant rate whatever happens to earlier ones, and
//! each latency is measured from the request's *intended* send time, so a slow server cannot
//! hide its queue by slowing the generator down (no coordinated omission).

use std::{collections::BTreeMap, future::Future, time::Duration};

use serde_json::{json, Value};
use tokio::time::Instant;

use super::stats::{r3, Dist};

/// The longest any one request may take before it counts as an error.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// One request's fate.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Intended send time → answer, ms.
    pub latency_ms: f64,
    /// How long the server says it waited for the payment provider (`Server-Timing`), ms.
    pub provider_ms: Option<f64>,
    /// How late the generator actually sent it, ms.
    pub send_lag_ms: f64,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// When it finished, ms after the first intended send.
    pub done_ms: f64,
}

/// What a successful request reports beside its latency.
pub trait Answered: Send + 'static {
    /// The server's own account of its wait for the payment provider, ms.
    fn provider_ms(&self) -> Option<f64>;
}

impl Answered for () {
    fn provider_ms(&self) -> Option<f64> {
        None
    }
}

/// The `provider` duration of a `Server-Timing` header.
impl Answered for Option<f64> {
    fn provider_ms(&self) -> Option<f64> {
        *self
    }
}

/// The `dur` of metric `name` in a `Server-Timing` header value, ms.
pub fn server_timing(header: &str, name: &str) -> Option<f64> {
    header.split(',').find_map(|metric| {
        let mut parts = metric.trim().split(';');
        (parts.next()? == name).then_some(())?;
        parts.find_map(|p| p.trim().strip_prefix("dur="))?.parse().ok()
    })
}

/// Sends `count` requests at `rate` per second; `f(i)` makes the i-th.
pub async fn open_loop<F, Fut, A>(rate: f64, count: usize, f: F) -> Vec<Outcome>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<A, String>> + Send + 'static,
    A: Answered,
{
    let start = Instant::now() + Duration::from_millis(20);
    let mut handles = Vec::with_capacity(count);
    for i in 0..count {
        let intended = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(intended).await;
        let fut = f(i);
        handles.push(tokio::spawn(async move {
            let sent = Instant::now();
            let result = tokio::time::timeout(TIMEOUT, fut).await;
            let now = Instant::now();
            let (provider_ms, error) = match result {
                Ok(Ok(answered)) => (answered.provider_ms(), None),
                Ok(Err(e)) => (None, Some(e)),
                Err(_) => (None, Some(format!("no answer within {TIMEOUT:?}"))),
            };
            Outcome {
                latency_ms: ms(now - intended),
                provider_ms,
                send_lag_ms: ms(sent.saturating_duration_since(intended)),
                error,
                done_ms: ms(now - start),
            }
        }));
    }
    let mut out = Vec::with_capacity(count);
    for h in handles {
        out.push(h.await.unwrap_or_else(|e| Outcome {
            latency_ms: f64::NAN,
            provider_ms: None,
            send_lag_ms: 0.0,
            error: Some(format!("task failed: {e}")),
            done_ms: f64::NAN,
        }));
    }
    out
}

/// Milliseconds of a duration.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What a step of open-model load showed.
#[derive(Clone, Debug)]
pub struct Step {
    /// Offered arrival rate, per second.
    pub rate: f64,
    /// Requests sent.
    pub sent: usize,
    /// Requests answered successfully.
    pub ok: usize,
    /// Failures by reason.
    pub errors: BTreeMap<String, usize>,
    /// Latency of successful requests.
    pub latency: Dist,
    /// Latency less the server's own account of its provider wait, per request: what the
    /// server added. Only when every successful request reported that wait.
    pub own: Option<Dist>,
    /// How late the generator sent requests (its own health).
    pub send_lag: Dist,
    /// Successful completions per second over the step (first intended send → last answer).
    pub throughput: f64,
}

impl Step {
    /// Summarises outcomes of a step at `rate`.
    pub fn of(rate: f64, outcomes: &[Outcome]) -> Step {
        let mut errors = BTreeMap::new();
        let mut lat = vec![];
        let mut own = vec![];
        let mut lag = vec![];
        let mut last: f64 = 0.0;
        for o in outcomes {
            lag.push(o.send_lag_ms);
            match &o.error {
                None => {
                    lat.push(o.latency_ms);
                    own.extend(o.provider_ms.map(|p| o.latency_ms - p));
                    last = last.max(o.done_ms);
                }
                Some(e) => *errors.entry(shorten(e)).or_insert(0) += 1,
            }
        }
        let ok = lat.len();
        Step {
            rate,
            sent: outcomes.len(),
            ok,
            errors,
            own: (ok > 0 && own.len() == ok).then(|| Dist::of(&own)),
            latency: Dist::of(&lat),
            send_lag: Dist::of(&lag),
            throughput: if last > 0.0 { ok as f64 / (last / 1e3) } else { 0.0 },
        }
    }

    /// No errors, and the queue did not grow: p99 under `p99_limit_ms`.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn sustained(&self, p99_limit_ms: f64) -> bool {
        self.errors.is_empty() && self.ok == self.sent && self.latency.p99 < p99_limit_ms
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        let mut v = json!({
            "offered_per_s": self.rate,
            "sent": self.sent,
            "ok": self.ok,
            "errors": self.errors,
            "throughput_per_s": r3(self.throughput),
            "latency": self.latency.json(),
            "generator_send_lag": self.send_lag.json(),
        });
        if let Some(own) = &self.own {
            v["own_latency"] = own.json();
        }
        v
    }
}

/// Error texts grouped: digits and ids would make every error its own group.
fn shorten(e: &str) -> String {
    let mut s: String = e.chars().take(160).collect();
    if let Some(i) = s.find("ks_") {
        s.truncate(i);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_loop_keeps_its_schedule_when_requests_are_slow() {
        // 50 requests at 500/s take ~100 ms to send even though each takes 50 ms.
        let t0 = Instant::now();
        let out = open_loop(500.0, 50, |_| async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(())
        })
        .await;
        let elapsed = t0.elapsed();
        assert_eq!(out.len(), 50);
        assert!(elapsed < Duration::from_millis(400), "took {elapsed:?}");
        let step = Step::of(500.0, &out);
        assert_eq!(step.ok, 50);
        assert!(step.latency.p50 >= 50.0);
        assert!(step.sustained(1000.0));
    }

    #[test]
    fn server_timing_finds_each_metric_by_name() {
        let header = "provider;dur=31.42, app;desc=\"ours\";dur=1.87";
        assert_eq!(server_timing(header, "provider"), Some(31.42));
        assert_eq!(server_timing(header, "app"), Some(1.87));
        assert_eq!(server_timing(header, "db"), None);
        assert_eq!(server_timing("provider", "provider"), None);
    }

    #[tokio::test]
    async fn own_latency_is_the_latency_less_the_reported_provider_wait() {
        let out = open_loop(1000.0, 20, |_| async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            Ok(Some(25.0))
        })
        .await;
        let step = Step::of(1000.0, &out);
        let own = step.own.expect("every request reported its wait");
        assert!((own.p50 - (step.latency.p50 - 25.0)).abs() < 1e-9);
        assert!(own.p50 >= 5.0);
        // Without a report from every request there is no figure.
        let mixed = open_loop(1000.0, 4, |i| async move { Ok((i > 0).then_some(1.0)) }).await;
        assert!(Step::of(1000.0, &mixed).own.is_none());
    }

    #[tokio::test]
    async fn errors_are_counted_by_reason() {
        let out = open_loop(1000.0, 10, |i| async move {
            if i % 2 == 0 {
                Ok(())
            } else {
                Err("HTTP 500".into())
            }
        })
        .await;
        let step = Step::of(1000.0, &out);
        assert_eq!(step.ok, 5);
        assert_eq!(step.errors.get("HTTP 500"), Some(&5));
        assert!(!step.sustained(1000.0));
    }
}
