//! Will the provider's page show in a frame on the merchant's page?
//!
//! A browser that refuses to frame a page (because of `X-Frame-Options` or a CSP
//! `frame-ancestors` directive) still fires the frame's `load` event, and the error page it
//! shows instead is cross-origin to the widget: no script on the merchant's page can tell a
//! refused frame from a working one. The backend can. Before it answers `iframe`, it asks
//! the provider for the page's headers and judges them the way browsers do: HTML's
//! X-Frame-Options check, and CSP 3's `frame-ancestors` check through the
//! `content-security-policy` crate (Servo's implementation). A refusal turns the answer into
//! a redirect with reason `frame_refused`, which the widget announces before it sends the
//! whole page to the provider.
//!
//! The page's URL comes from the provider's answer, so it is fetched only when its origin is
//! one that the method's configuration allows (the same list the widget checks), with the
//! client that never follows redirects (`docs/security.md` R-H6), and only its headers are
//! read. A probe that fails, times out or meets anything but a 2xx changes nothing: the page
//! is framed and the widget's own load timeout remains the safety net.

use std::time::Duration;

use content_security_policy::{CheckResult, CspList, PolicyDisposition, PolicySource, Response};
use http::{header, HeaderMap, StatusCode};
use kassa_wire::{Action, ProviderId, RedirectReason};
use url::Url;

use crate::state::AppState;

/// How long the backend waits for the page's headers before framing it anyway. The
/// customer is waiting on this answer, and a provider this slow would not load in a frame
/// either (the widget then falls back on its own).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the page's headers say about framing it on the merchant's page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A browser will show it.
    Allowed,
    /// A browser will refuse, because of the named header.
    Refused(&'static str),
    /// The headers could not be had (network error, timeout, redirect, error status).
    Unknown,
}

impl Verdict {
    /// The metric word for this verdict.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Refused(_) => "refused",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Judges the headers of `page` as a browser would when `embedder` (the merchant's page)
/// frames it.
pub fn judge(headers: &HeaderMap, page: &Url, embedder: &Url) -> Verdict {
    // An enforced CSP with `frame-ancestors` decides alone; X-Frame-Options is then ignored.
    let mut policies = CspList(Vec::new());
    for value in headers.get_all(header::CONTENT_SECURITY_POLICY) {
        if let Ok(text) = value.to_str() {
            policies.append(CspList::parse(text, PolicySource::Header, PolicyDisposition::Enforce));
        }
    }
    let has_frame_ancestors =
        policies.0.iter().any(|p| p.contains_a_directive_whose_name_is("frame-ancestors"));
    if has_frame_ancestors {
        let response = Response { url: page.clone(), redirect_count: 0 };
        let ancestors = vec![embedder.clone()];
        let (result, _) = policies.should_navigation_response_to_navigation_request_be_blocked(
            &response,
            &page.origin(),
            &ancestors,
        );
        return match result {
            CheckResult::Allowed => Verdict::Allowed,
            CheckResult::Blocked => Verdict::Refused("Content-Security-Policy frame-ancestors"),
        };
    }
    x_frame_options(headers, page, embedder)
}

/// HTML's "check a navigation response's adherence to `X-Frame-Options`": values from every
/// header line, split on commas, trimmed and lowercased into a set.
fn x_frame_options(headers: &HeaderMap, page: &Url, embedder: &Url) -> Verdict {
    let mut values: Vec<String> = headers
        .get_all(header::X_FRAME_OPTIONS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect();
    values.sort();
    values.dedup();
    const REFUSED: Verdict = Verdict::Refused("X-Frame-Options");
    match values.as_slice() {
        [] => Verdict::Allowed,
        // Conflicting values: browsers refuse when any of them is a known one.
        [_, _, ..] => {
            let known =
                values.iter().any(|v| matches!(v.as_str(), "deny" | "sameorigin" | "allowall"));
            if known {
                REFUSED
            } else {
                Verdict::Allowed
            }
        }
        [only] if only == "deny" => REFUSED,
        [only] if only == "sameorigin" && page.origin() != embedder.origin() => REFUSED,
        // `sameorigin` on its own origin, `allowall`, and values browsers ignore
        // (`allow-from …`, misspellings).
        [_] => Verdict::Allowed,
    }
}

/// The action to answer for `action`: an `iframe` whose page refuses to be framed on
/// `embedder` (the merchant page the widget is on) becomes a redirect saying why; anything
/// else, and any page that is not on one of `provider`'s configured page origins, stays.
pub async fn checked(
    state: &AppState,
    provider: ProviderId,
    action: Action,
    embedder: &str,
) -> Action {
    let Action::Iframe { url } = &action else { return action };
    let (Ok(page), Ok(embedder)) = (Url::parse(url), Url::parse(embedder)) else { return action };
    let on_provider_origin = state
        .page_origins
        .get(&provider)
        .is_some_and(|origins| origins.iter().any(|o| *o == page.origin().ascii_serialization()));
    if !on_provider_origin || !crate::outbound::may_fetch(&page, &state.public_url) {
        tracing::warn!(provider = provider.as_str(), "provider page is not on a configured page origin; not checking whether it may be framed");
        return action;
    }
    let verdict = probe(&state.http, &page, &embedder).await;
    crate::metrics::frame_check(provider, verdict.as_str());
    match verdict {
        Verdict::Refused(why) => {
            tracing::info!(
                provider = provider.as_str(),
                header = why,
                "provider page refuses to be framed; answering a redirect"
            );
            Action::Redirect { url: page.into(), reason: Some(RedirectReason::FrameRefused) }
        }
        Verdict::Allowed | Verdict::Unknown => action,
    }
}

/// Fetches the headers of `page` (HEAD, or GET without reading the body where HEAD is not
/// allowed) and judges them for `embedder`.
pub async fn probe(http: &reqwest::Client, page: &Url, embedder: &Url) -> Verdict {
    let head = http.head(page.clone()).timeout(PROBE_TIMEOUT).send().await;
    let response = match head {
        Ok(r)
            if matches!(
                r.status(),
                StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED
            ) =>
        {
            http.get(page.clone()).timeout(PROBE_TIMEOUT).send().await
        }
        other => other,
    };
    match response {
        Ok(r) if r.status().is_success() => judge(r.headers(), page, embedder),
        Ok(r) => {
            tracing::info!(
                status = r.status().as_u16(),
                "provider page answered the framing check with no page; framing it"
            );
            Verdict::Unknown
        }
        Err(e) => {
            tracing::info!(error = %e, "framing check failed; framing the page anyway");
            Verdict::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const PAGE: &str = "https://pay.provider.example/checkout/123";
    const SHOP: &str = "https://shop.example/booking?x=1";

    fn verdict(lines: &[(&str, &str)], embedder: &str) -> Verdict {
        let mut headers = HeaderMap::new();
        for (name, value) in lines {
            headers.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        judge(&headers, &Url::parse(PAGE).unwrap(), &Url::parse(embedder).unwrap())
    }

    const XFO: &str = "x-frame-options";
    const CSP: &str = "content-security-policy";

    #[test]
    fn a_page_without_rules_may_be_framed() {
        assert_eq!(verdict(&[], SHOP), Verdict::Allowed);
        assert_eq!(verdict(&[(CSP, "default-src 'self'")], SHOP), Verdict::Allowed);
    }

    #[test]
    fn x_frame_options_follows_the_html_standard() {
        let refused = Verdict::Refused("X-Frame-Options");
        assert_eq!(verdict(&[(XFO, "DENY")], SHOP), refused);
        assert_eq!(verdict(&[(XFO, " deny ")], SHOP), refused);
        assert_eq!(verdict(&[(XFO, "SAMEORIGIN")], SHOP), refused);
        assert_eq!(
            verdict(&[(XFO, "SAMEORIGIN")], "https://pay.provider.example/shop"),
            Verdict::Allowed,
            "the provider's own origin may frame it"
        );
        assert_eq!(verdict(&[(XFO, "ALLOWALL")], SHOP), Verdict::Allowed);
        assert_eq!(
            verdict(&[(XFO, "ALLOW-FROM https://shop.example")], SHOP),
            Verdict::Allowed,
            "browsers ignore ALLOW-FROM"
        );
        assert_eq!(verdict(&[(XFO, "deny, sameorigin")], SHOP), refused, "conflicting values");
        assert_eq!(verdict(&[(XFO, "sameorigin"), (XFO, "allowall")], SHOP), refused);
        assert_eq!(verdict(&[(XFO, "deny"), (XFO, "DENY")], SHOP), refused, "one value twice");
        assert_eq!(verdict(&[(XFO, "nonsense, rubbish")], SHOP), Verdict::Allowed);
    }

    #[test]
    fn frame_ancestors_decides_and_x_frame_options_is_then_ignored() {
        let refused = Verdict::Refused("Content-Security-Policy frame-ancestors");
        assert_eq!(verdict(&[(CSP, "frame-ancestors 'none'")], SHOP), refused);
        assert_eq!(verdict(&[(CSP, "frame-ancestors 'self'")], SHOP), refused);
        assert_eq!(
            verdict(&[(CSP, "frame-ancestors 'self'")], "https://pay.provider.example/"),
            Verdict::Allowed
        );
        assert_eq!(
            verdict(&[(CSP, "frame-ancestors https://shop.example")], SHOP),
            Verdict::Allowed
        );
        assert_eq!(verdict(&[(CSP, "frame-ancestors https://*.example")], SHOP), Verdict::Allowed);
        assert_eq!(verdict(&[(CSP, "frame-ancestors https://other.example")], SHOP), refused);
        assert_eq!(verdict(&[(CSP, "frame-ancestors https:")], SHOP), Verdict::Allowed);
        assert_eq!(verdict(&[(CSP, "frame-ancestors *")], SHOP), Verdict::Allowed);
        assert_eq!(
            verdict(&[(CSP, "frame-ancestors *"), (XFO, "DENY")], SHOP),
            Verdict::Allowed,
            "frame-ancestors overrides X-Frame-Options"
        );
        assert_eq!(
            verdict(&[(CSP, "default-src *"), (CSP, "frame-ancestors 'none'")], SHOP),
            refused,
            "every policy is enforced"
        );
        assert_eq!(
            verdict(
                &[(CSP, "frame-ancestors https://shop.example"), (CSP, "frame-ancestors 'none'")],
                SHOP
            ),
            refused,
            "each policy must allow it"
        );
        assert_eq!(
            verdict(&[(CSP, "frame-ancestors https://shop.example:8443")], SHOP),
            refused,
            "the port is part of the origin"
        );
    }
}
