//! The way back from a provider: the `kassa_session` / `kassa_return` parameters of the
//! page's address, and the message a framed return page posts to its parent. Pure.

use kassa_wire::SessionId;

use crate::poll::Check;

/// The Kassa parameters on a return URL, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Return {
    /// Kassa session id.
    pub session: SessionId,
    /// The provider sent the customer to the cancel URL.
    pub cancelled: bool,
    /// No outcome: not a return from the provider but a reload of a page on which the
    /// widget showed the provider's page in a frame (or Stripe's embedded checkout) and had
    /// written the session id into the address for exactly this.
    pub reload: bool,
}

impl Return {
    /// What the widget asks the backend about the session it came back with.
    pub fn check(&self) -> Check {
        match (self.reload, self.cancelled) {
            (true, _) => Check::Reopen,
            (false, true) => Check::CancelThenConfirm,
            (false, false) => Check::Confirm,
        }
    }
}

/// Reads `kassa_session` and `kassa_return` from the page URL. A malformed id is ignored.
pub fn parse_return(session: Option<String>, outcome: Option<String>) -> Option<Return> {
    let session = SessionId::parse(session?).ok()?;
    Some(Return {
        session,
        cancelled: outcome.as_deref() == Some("cancel"),
        reload: outcome.is_none(),
    })
}

/// Reads a `{type: "kassa:return", session, outcome}` message from a child frame.
pub fn parse_return_message(
    kind: Option<String>,
    session: Option<String>,
    outcome: Option<String>,
) -> Option<Return> {
    if kind.as_deref() != Some("kassa:return") {
        return None;
    }
    let cancelled = match outcome.as_deref() {
        Some("success") => false,
        Some("cancel") => true,
        _ => return None,
    };
    let session = SessionId::parse(session?).ok()?;
    Some(Return { session, cancelled, reload: false })
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn a_return_says_what_to_ask_the_backend() {
        let check = |outcome: Option<&str>| {
            parse_return(Some("ks_1".into()), outcome.map(str::to_owned)).unwrap().check()
        };
        assert_eq!(check(Some("success")), Check::Confirm);
        assert_eq!(check(Some("cancel")), Check::CancelThenConfirm);
        assert_eq!(check(None), Check::Reopen, "a reload shows the session's page again");
    }

    #[test]
    fn return_parameters_are_checked() {
        let r = parse_return(Some("ks_abc".into()), Some("cancel".into())).unwrap();
        assert!(r.cancelled && !r.reload);
        let back = parse_return(Some("ks_abc".into()), Some("success".into())).unwrap();
        assert!(!back.cancelled && !back.reload);
        let reload = parse_return(Some("ks_abc".into()), None).unwrap();
        assert!(reload.reload && !reload.cancelled, "an id without an outcome is a reload");
        assert_eq!(parse_return(None, Some("success".into())), None);
        assert_eq!(parse_return(Some("ks<script>".into()), None), None);
        assert_eq!(parse_return(Some(String::new()), None), None);
    }

    #[test]
    fn return_messages_must_have_the_exact_shape() {
        let msg = |t: &str, s: &str, o: &str| {
            parse_return_message(Some(t.into()), Some(s.into()), Some(o.into()))
        };
        assert_eq!(
            msg("kassa:return", "ks_1", "success"),
            Some(Return {
                session: SessionId::parse("ks_1").unwrap(),
                cancelled: false,
                reload: false
            })
        );
        assert_eq!(msg("kassa:return", "ks_1", "paid"), None);
        assert_eq!(msg("other", "ks_1", "success"), None);
        assert_eq!(
            parse_return_message(Some("kassa:return".into()), None, Some("cancel".into())),
            None
        );
    }
}
