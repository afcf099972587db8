//! Where the widget may send the customer: URL and origin checks.
//!
//! Before the page navigates to, frames, or loads a script from a URL the backend sent,
//! the URL must be `https:` (or `http:` on a loopback host, for tests) and its origin must be
//! one of the method's `allowed_origins`, compared exactly after normalisation.
//!
//! The parser here is deliberately stricter than a browser's: anything a browser would
//! quietly repair (backslashes, tabs, userinfo, percent-encoded or non-ASCII hosts, a
//! missing `//`) is refused rather than guessed at. In the browser the result is checked once
//! more against `new URL(…).origin` (see [`check`]).

use crate::format::int_text;

/// Why a URL was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// Not an absolute `scheme://host` URL the widget can read with certainty.
    Malformed,
    /// A scheme other than `https` (or `http` on loopback), e.g. `javascript:` or `data:`.
    Scheme,
    /// `user:password@` in the authority.
    Userinfo,
    /// A well-formed URL on an origin the method does not allow.
    Origin(String),
}

impl UrlError {
    /// A sentence for the customer and the website owner.
    pub fn message(&self) -> String {
        let mut m = String::from("The payment page was not opened: ");
        match self {
            UrlError::Malformed => m.push_str("its address is not a valid web address."),
            UrlError::Scheme => m.push_str("its address is not a secure https:// address."),
            UrlError::Userinfo => m.push_str("its address contains a user name or password."),
            UrlError::Origin(origin) => {
                m.push_str("its address (");
                m.push_str(origin);
                m.push_str(") is not one this shop allows for this payment method.");
            }
        }
        m
    }
}

/// The normalised origin (`scheme://host[:port]`, lowercase, default port dropped) of an
/// absolute `http:` or `https:` URL, refusing anything ambiguous.
pub fn origin_of(url: &str) -> Result<String, UrlError> {
    // Browsers strip or reinterpret these; we refuse them instead.
    if url.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\' || !b.is_ascii()) {
        return Err(UrlError::Malformed);
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(if url.contains(':') && !url.starts_with(':') {
            UrlError::Scheme
        } else {
            UrlError::Malformed
        });
    };
    let (scheme, default_port) = if scheme.eq_ignore_ascii_case("https") {
        ("https", 443)
    } else if scheme.eq_ignore_ascii_case("http") {
        ("http", 80)
    } else {
        return Err(UrlError::Scheme);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(UrlError::Userinfo);
    }
    // No index slicing here: its panic path would keep `char`'s Debug formatting in the Wasm.
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inner, after) = bracketed.split_once(']').ok_or(UrlError::Malformed)?;
        if inner.is_empty()
            || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(UrlError::Malformed);
        }
        let h = authority.strip_suffix(after).unwrap_or(authority);
        match after {
            "" => (h, None),
            _ => (h, Some(after.strip_prefix(':').ok_or(UrlError::Malformed)?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[')
            || host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    if !host_ok {
        return Err(UrlError::Malformed);
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => {
            if p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UrlError::Malformed);
            }
            p.bytes().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
        }
    };
    if port > 65535 {
        return Err(UrlError::Malformed);
    }
    let mut origin = String::with_capacity(url.len());
    origin.push_str(scheme);
    origin.push_str("://");
    origin.push_str(&host.to_ascii_lowercase());
    if port != default_port {
        origin.push(':');
        origin.push_str(&int_text(u64::from(port)));
    }
    Ok(origin)
}

/// True for the hosts on which plain `http:` is tolerated (local tests and demos).
fn is_loopback(origin: &str) -> bool {
    let host_port = origin.strip_prefix("http://").unwrap_or("");
    let host = match host_port.strip_prefix("[::1]") {
        Some(rest) if rest.is_empty() || rest.starts_with(':') => return true,
        _ => host_port.split(':').next().unwrap_or(""),
    };
    host == "127.0.0.1" || host == "localhost"
}

/// Checks `url` against a method's `allowed_origins` and returns its origin.
///
/// Requires `https:` (or `http:` on 127.0.0.1, localhost or \[::1\]) and an origin equal to
/// one of `allowed` after both are normalised. This is the pure part of [`check`].
pub fn check_pure(url: &str, allowed: &[String]) -> Result<String, UrlError> {
    let origin = origin_of(url)?;
    if origin.starts_with("http://") && !is_loopback(&origin) {
        return Err(UrlError::Scheme);
    }
    let allowed_here = allowed.iter().any(|a| origin_of(a).is_ok_and(|a| a == origin));
    if allowed_here {
        Ok(origin)
    } else {
        Err(UrlError::Origin(origin))
    }
}

/// [`check_pure`], then confirms that the browser's own URL parser sees the same origin, so
/// that no difference between the two parsers can be exploited.
pub fn check(url: &str, allowed: &[String]) -> Result<(), UrlError> {
    let origin = check_pure(url, allowed)?;
    match web_sys::Url::new(url) {
        Ok(parsed) if parsed.origin() == origin => Ok(()),
        _ => Err(UrlError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec![
            "https://pay.example.com".into(),
            "http://127.0.0.1:8101".into(),
            "http://[::1]:9000".into(),
        ]
    }

    fn refused(url: &str) -> UrlError {
        check_pure(url, &allowed()).expect_err(url)
    }

    #[test]
    fn allowed_origins_pass_after_normalisation() {
        for ok in [
            "https://pay.example.com/checkout/abc?x=1#y",
            "https://PAY.example.COM/x",
            "HTTPS://pay.example.com:443/x",
            "https://pay.example.com:/x",
            "https://pay.example.com",
            "http://127.0.0.1:8101/pay",
            "http://[::1]:9000/pay",
        ] {
            assert!(check_pure(ok, &allowed()).is_ok(), "{ok} must be accepted");
        }
    }

    #[test]
    fn look_alike_hosts_and_ports_are_refused() {
        assert_eq!(refused("http://127.0.0.1:8101.evil/"), UrlError::Malformed);
        assert_eq!(
            refused("https://pay.example.com.evil.com/"),
            UrlError::Origin("https://pay.example.com.evil.com".into())
        );
        assert_eq!(
            refused("https://evilpay.example.com/"),
            UrlError::Origin("https://evilpay.example.com".into())
        );
        assert_eq!(
            refused("https://pay.example.com:8443/"),
            UrlError::Origin("https://pay.example.com:8443".into())
        );
        assert_eq!(
            refused("http://127.0.0.1:8102/"),
            UrlError::Origin("http://127.0.0.1:8102".into())
        );
        assert_eq!(refused("http://127.0.0.1:99999/"), UrlError::Malformed);
    }

    #[test]
    fn userinfo_tricks_are_refused() {
        assert_eq!(refused("https://pay.example.com@evil.com/"), UrlError::Userinfo);
        assert_eq!(refused("https://pay.example.com:443@evil.com/"), UrlError::Userinfo);
        assert_eq!(refused("https://user:pw@pay.example.com/"), UrlError::Userinfo);
        assert_eq!(refused("https://pay.example.com\\@evil.com/"), UrlError::Malformed);
        // The `@` after a `#` or `?` is not in the authority: the origin is evil.com.
        assert!(matches!(refused("https://evil.com#@pay.example.com"), UrlError::Origin(_)));
        assert!(matches!(refused("https://evil.com?@pay.example.com"), UrlError::Origin(_)));
    }

    #[test]
    fn script_and_data_urls_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "blob:https://pay.example.com/uuid",
            "ftp://pay.example.com/",
        ] {
            assert!(matches!(refused(bad), UrlError::Scheme | UrlError::Malformed), "{bad}");
        }
        assert_eq!(refused("javascript:alert(1)"), UrlError::Scheme);
    }

    #[test]
    fn ambiguous_or_relative_forms_are_refused() {
        for bad in [
            "//pay.example.com/x",
            "/checkout",
            "https:pay.example.com",
            "https:/pay.example.com",
            "https://pay.exa%6dple.com/",
            "https://pay.example.com\n/",
            "https://pаy.example.com/",
            "https:///x",
            "https://[zz]/",
            "",
        ] {
            assert!(check_pure(bad, &allowed()).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        let allowed = vec!["http://pay.example.com".into(), "http://localhost.evil.com".into()];
        assert_eq!(check_pure("http://pay.example.com/", &allowed), Err(UrlError::Scheme));
        assert_eq!(check_pure("http://localhost.evil.com/", &allowed), Err(UrlError::Scheme));
        let local = vec!["http://localhost:3000".into()];
        assert!(check_pure("http://localhost:3000/x", &local).is_ok());
    }

    #[test]
    fn refusal_messages_name_the_origin() {
        assert!(UrlError::Origin("https://evil.example".into())
            .message()
            .contains("(https://evil.example)"));
    }
}
