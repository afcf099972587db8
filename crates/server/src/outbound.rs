//! Where the backend may send requests (`docs/security.md` R-H6, OWASP SSRF): only to the
//! provider base URLs in its configuration, checked here at start-up.
//!
//! Nothing a browser sends ever becomes a URL the backend fetches (return URLs are only
//! handed back to providers, webhooks are only parsed), and the HTTP client never follows
//! redirects. The one URL from a provider that is fetched, its payment page (for the
//! framing check in [`crate::framing`]), must be on that provider's configured page origins
//! and pass [`may_fetch`]. What remains is the configuration itself: a base URL must be http(s),
//! carry no credentials, and must not name an address that is not globally routable, such
//! as the cloud metadata service `169.254.169.254`, a private network or loopback, in any
//! spelling. The `url` crate parses hosts as browsers do (WHATWG), so `2852039166`,
//! `0xa9fea9fe`, `0251.0376.0251.0376` and `[::ffff:169.254.169.254]` all arrive here as the
//! address they mean.
//!
//! The one exception is a development backend: when `server.public_url` is itself on
//! loopback, no provider could deliver a webhook to it, so it can only be talking to the
//! simulator, and loopback provider URLs are allowed (and nothing else non-global is).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::config::Settings;

/// Checks every configured provider base URL; the error names the key to fix.
pub fn check(settings: &Settings) -> anyhow::Result<()> {
    let development = is_loopback_url(&settings.server.public_url);
    let p = &settings.providers;
    let bases = [
        ("stripe", p.stripe.as_ref().map(|s| s.adapter.base_url.as_str())),
        ("payfect", p.payfect.as_ref().map(|s| s.adapter.base_url.as_str())),
        ("front_payment", p.front_payment.as_ref().map(|s| s.adapter.base_url.as_str())),
        ("checkfront", p.checkfront.as_ref().map(|s| s.adapter.base_url.as_str())),
        ("bokamera", p.bokamera.as_ref().map(|s| s.adapter.base_url.as_str())),
    ];
    for (provider, base) in bases {
        if let Some(base) = base {
            check_base(base, development)
                .map_err(|why| anyhow::anyhow!("providers.{provider}.base_url: {why}"))?;
        }
    }
    Ok(())
}

/// Checks one base URL; `development` allows loopback hosts.
pub fn check_base(text: &str, development: bool) -> Result<(), String> {
    let url = Url::parse(text).map_err(|_| "is not an absolute URL".to_owned())?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("must be an http(s) URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        Some(Host::Domain(name))
            if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") =>
        {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err("has no host".into()),
    };
    if is_global(ip) || (development && ip.is_loopback()) {
        Ok(())
    } else {
        Err(format!("{ip} is not a public address; provider calls go only to the provider"))
    }
}

/// Whether the backend may fetch `url` (a provider page, for the framing check): the same
/// rule as for base URLs, with loopback allowed only to a development backend.
pub fn may_fetch(url: &Url, public_url: &Url) -> bool {
    check_base(url.as_str(), is_loopback_url(public_url)).is_ok()
}

fn is_loopback_url(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(v4)) => v4.is_loopback(),
        Some(Host::Ipv6(v6)) => v6.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether `ip` is globally routable: the rule the merchant-event worker applies to the
/// addresses an endpoint's host name resolves to (`crate::outbox::sender`).
pub fn is_public(ip: IpAddr) -> bool {
    is_global(ip)
}

/// Whether `ip` is globally routable (what `IpAddr::is_global` will say once stable).
fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || ip.to_ipv4().is_some_and(|v4| !is_global_v4(v4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hyperswitch's outbound-URL vectors (`common_utils/src/outbound_url.rs`), plus more.
    const NOT_PUBLIC: [&str; 20] = [
        "http://169.254.169.254/latest/meta-data",
        "http://2852039166/",
        "http://0xa9fea9fe/",
        "http://0251.0376.0251.0376/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://10.0.4.17/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fc00::1]/",
        "http://[fe80::1]/",
        "http://[::]/",
        "http://localhost:8080/",
    ];

    #[test]
    fn addresses_that_are_not_public_are_refused_in_every_spelling_r_h6() {
        for url in NOT_PUBLIC {
            assert!(check_base(url, false).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn a_development_backend_may_call_the_simulator_on_loopback_and_nothing_else_private() {
        for url in ["http://127.0.0.1:8101", "http://[::1]:8101/api", "http://localhost:8101"] {
            assert_eq!(check_base(url, true), Ok(()), "{url}");
        }
        for url in ["http://169.254.169.254/", "http://10.0.4.17/", "http://[fe80::1]/"] {
            assert!(check_base(url, true).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn public_hosts_and_names_are_accepted() {
        for url in [
            "https://api.stripe.com",
            "https://api.payfect.finance/api/v1",
            "https://8.8.8.8/",
            "https://[2606:4700::1111]/",
        ] {
            assert_eq!(check_base(url, false), Ok(()), "{url}");
        }
    }

    #[test]
    fn other_schemes_and_credentials_are_refused() {
        for url in [
            "ftp://api.stripe.com",
            "file:///etc/passwd",
            "https://user:pw@api.stripe.com",
            "gopher://x",
            "not a url",
        ] {
            assert!(check_base(url, false).is_err(), "{url} was accepted");
        }
    }
}
