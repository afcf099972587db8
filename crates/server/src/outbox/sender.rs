//! One attempt: the event's body POSTed to the endpoint, signed per the Standard Webhooks
//! spec with its official Rust library (`standardwebhooks` on crates.io), and the answer
//! classified by the spec's "Delivery success and failure" rules.
//!
//! - Headers: `webhook-id` (the event id: the same on every attempt, the receiver's dedup
//!   key), `webhook-timestamp` (this attempt's time, so a replayed old request fails the
//!   receiver's tolerance check), `webhook-signature` (`v1,` + HMAC-SHA256 over
//!   `{id}.{timestamp}.{body}`).
//! - Only a 2xx is success. A 3xx is a failure and never followed (the client follows no
//!   redirect: the backend calls the configured URL and nothing else). `410 Gone` means the
//!   receiver wants no more: the delivery is dead at once and the circuit opens. A
//!   `Retry-After` on 429/503 lengthens the next wait.
//! - SSRF (R-H6): the configured URL passed [`super::settings::check_url`] at start-up; a
//!   host name is also checked when it resolves ([`PublicOnly`]), so DNS cannot point the
//!   worker at a private address later.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use secrecy::{ExposeSecret as _, SecretString};

/// What an attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Delivered(u16),
    /// The receiver answered 410 Gone: dead now.
    Gone,
    /// Any other failure: retried by the schedule (`retry_after`: the receiver's wish).
    Failed {
        /// The HTTP status, if one came.
        status: Option<u16>,
        /// Why, for the operator.
        error: String,
        /// `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
}

/// Signs and sends to one endpoint.
pub struct Sender {
    url: String,
    signer: standardwebhooks::Webhook,
    http: reqwest::Client,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender for `url` (already checked) with `secret` (`whsec_…`).
    pub fn new(url: &str, secret: &SecretString, timeout: Duration) -> anyhow::Result<Sender> {
        let signer = standardwebhooks::Webhook::new(secret.expose_secret())
            .map_err(|e| anyhow::anyhow!("the endpoint's secret: {e}"))?;
        let loopback = url::Url::parse(url).is_ok_and(|u| super::settings::is_loopback(&u));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("kassa-outbox/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(PublicOnly { allow_loopback: loopback }))
            .build()?;
        Ok(Sender { url: url.to_owned(), signer, http })
    }

    /// One signed attempt of `body` as event `id`, stamped `timestamp` (unix seconds).
    pub async fn send(&self, id: &str, timestamp: i64, body: &str) -> Outcome {
        let signature = match self.signer.sign(id, timestamp, body.as_bytes()) {
            Ok(s) => s,
            Err(e) => {
                return Outcome::Failed {
                    status: None,
                    error: format!("signing: {e}"),
                    retry_after: None,
                }
            }
        };
        let sent = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(res) => classify(res.status().as_u16(), retry_after(res.headers())),
            Err(e) => Outcome::Failed {
                status: None,
                error: if e.is_timeout() {
                    "no answer within the attempt timeout".into()
                } else if e.is_connect() {
                    format!("could not connect: {}", root_cause(&e))
                } else {
                    format!("the request failed: {}", root_cause(&e))
                },
                retry_after: None,
            },
        }
    }
}

/// The spec's status rules.
pub fn classify(status: u16, retry_after: Option<Duration>) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered(status),
        410 => Outcome::Gone,
        300..=399 => Outcome::Failed {
            status: Some(status),
            error: format!("answered {status} (a redirect, not followed: configure the final URL)"),
            retry_after: None,
        },
        _ => Outcome::Failed {
            status: Some(status),
            error: format!("answered {status}"),
            retry_after,
        },
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get("retry-after")?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(24 * 3600)))
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// A resolver that answers only public addresses (and loopback, for a loopback endpoint):
/// a name that resolves to a private, link-local or metadata address is refused (R-H6).
#[derive(Debug)]
struct PublicOnly {
    allow_loopback: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| {
                    crate::outbound::is_public(a.ip()) || (allow_loopback && a.ip().is_loopback())
                })
                .collect();
            if allowed.is_empty() {
                let e: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves to no public address").into();
                return Err(e);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_2xx_delivers_410_is_gone_and_redirects_fail() {
        assert_eq!(classify(204, None), Outcome::Delivered(204));
        assert_eq!(classify(410, None), Outcome::Gone);
        assert!(matches!(classify(302, None), Outcome::Failed { status: Some(302), .. }));
        let wait = Some(Duration::from_secs(30));
        assert_eq!(
            classify(503, wait),
            Outcome::Failed { status: Some(503), error: "answered 503".into(), retry_after: wait }
        );
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_a_private_address_is_refused() {
        let resolver = PublicOnly { allow_loopback: false };
        let refused = resolver.resolve("localhost".parse().unwrap()).await;
        assert!(refused.is_err());
        let allowed =
            PublicOnly { allow_loopback: true }.resolve("localhost".parse().unwrap()).await;
        assert!(allowed.is_ok());
    }
}
