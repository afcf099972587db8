//! Return URLs: the page the customer comes back to, checked against the merchant's
//! allowed origins and then built by the server (`docs/security.md` R-H5).
//!
//! The widget names the page; the server parses it, insists its origin is on the allow-list
//! exactly, and appends the Kassa session id and which way the customer came back.

use kassa_wire::{RETURN_OUTCOME_PARAM, RETURN_SESSION_PARAM};
use url::Url;

use crate::error::AppError;

/// Longest return URL accepted.
const MAX_LEN: usize = 2048;

/// The checked page URL, without any earlier Kassa parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnPage(Url);

impl ReturnPage {
    /// Parses `text` and checks its origin against `allowed` (exact origins).
    pub fn parse(text: &str, allowed: &[String]) -> Result<Self, AppError> {
        let refuse = |why: &str| AppError::ReturnUrlNotAllowed(format!("return_url {why}"));
        if text.len() > MAX_LEN {
            return Err(refuse("is too long"));
        }
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(refuse("contains control characters or spaces"));
        }
        let url = Url::parse(text).map_err(|_| refuse("is not an absolute URL"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(refuse("must be an http(s) URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not contain credentials"));
        }
        let origin = url.origin().ascii_serialization();
        if !allowed.contains(&origin) {
            return Err(refuse(&format!("is on {origin}, which this checkout does not allow")));
        }
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != RETURN_SESSION_PARAM && k != RETURN_OUTCOME_PARAM)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut clean = url;
        clean.set_fragment(None);
        clean.set_query(None);
        if !kept.is_empty() {
            clean.query_pairs_mut().extend_pairs(kept);
        }
        Ok(ReturnPage(clean))
    }

    /// The page with the session id and outcome appended.
    pub fn with_outcome(&self, session_id: &str, outcome: &str) -> String {
        let mut url = self.0.clone();
        url.query_pairs_mut()
            .append_pair(RETURN_SESSION_PARAM, session_id)
            .append_pair(RETURN_OUTCOME_PARAM, outcome);
        url.into()
    }

    /// The page as text (stored with the order).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["https://shop.example".into(), "http://127.0.0.1:8000".into()]
    }

    #[test]
    fn accepts_pages_on_allowed_origins_and_appends_the_session() {
        let page =
            ReturnPage::parse("https://shop.example/book?tour=1&kassa_session=old#x", &allowed())
                .unwrap();
        assert_eq!(
            page.with_outcome("ks_1", "success"),
            "https://shop.example/book?tour=1&kassa_session=ks_1&kassa_return=success"
        );
    }

    #[test]
    fn refuses_every_bypass() {
        for bad in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "data:text/html,hi",
            "//evil.test/",
            "https://shop.example@evil.test/",
            "https://user:pw@shop.example/",
            "https://shop.example.evil.test/",
            "https:\\\\evil.test",
            "%2f%2fevil.test",
            "https://shop.example/\tx",
            "https://shop.example/\nx",
            "https://shop.example/\0x",
            "http://shop.example/",
            "https://shop.example:444/",
            "http://127.0.0.1:8001/",
            "https://xn--shp-example-9db.com/",
        ] {
            assert!(ReturnPage::parse(bad, &allowed()).is_err(), "{bad:?} was accepted");
        }
    }
}
