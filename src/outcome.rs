//! What a session answer from the backend means for the widget: a settled screen, or the
//! session's action after its URL passed the navigate rules. Pure. The rules that matter
//! for money live here: a screen says "paid" only when the backend's session says `paid`,
//! never from a URL, and every URL the backend sends is checked before it is used.

use kassa_wire::{Action, PaymentMethod, Presentation, RedirectReason, Session, SessionState};

use crate::{
    lang::{fill, Locale},
    navigate::UrlError,
    screen::{Embed, Next, PaidView, Problem, Retry, Screen},
    t,
};

/// What to do with a session the backend returned.
#[derive(Clone, Debug, PartialEq)]
pub enum AfterSession {
    /// Show this screen.
    Show(Screen),
    /// Send the whole page to this (checked) URL.
    Redirect(String),
    /// The method frames its page, but this one refuses to be framed here (the backend
    /// checked): say so, then send the whole page to this (checked) URL.
    FrameRefused(String),
}

/// The settled screen for a session, or `None` while it is still open. An open session
/// about which the provider answered something the backend could not accept (its documents
/// do not allow it: an unknown status, an amount that differs) is a problem, never "paid":
/// "We couldn't confirm your payment yet" with the order's reference, and a way to ask again.
pub fn settled_screen(s: &Session, l: Locale) -> Option<Screen> {
    let session = s.id.clone();
    Some(match s.state {
        SessionState::Created | SessionState::Open if s.unconfirmed => Screen::Problem(Problem {
            title: fill(t!(l, unconfirmed), &session),
            detail: None,
            next: Next::Retry(Retry::Confirm { session, cancelled: false }),
            code: "unconfirmed".into(),
        }),
        SessionState::Created | SessionState::Open => return None,
        SessionState::Invoiced => Screen::Invoiced { session },
        SessionState::Paid => Screen::Paid(PaidView {
            amount: s.receipt.as_ref().map_or(s.quote.total, |r| r.amount),
            provider_reference: s.receipt.as_ref().map(|r| r.provider_reference.clone()),
            session,
        }),
        SessionState::Failed => Screen::Failed { session, method: s.method.clone() },
        SessionState::Cancelled => Screen::Cancelled { session },
        SessionState::Expired => Screen::Expired { session, hold: false },
    })
}

/// What follows a session answer: a settled screen, or the session's action after its URL
/// passed `check` (the navigate rules for `method`'s allowed origins).
pub fn after_session(
    s: &Session,
    method: Option<&PaymentMethod>,
    check: impl Fn(&str, &[String]) -> Result<(), UrlError>,
    l: Locale,
) -> Result<AfterSession, UrlError> {
    if let Some(screen) = settled_screen(s, l) {
        return Ok(AfterSession::Show(screen));
    }
    let confirming =
        AfterSession::Show(Screen::Confirming { session: s.id.clone(), stalled: false });
    let (Some(action), Some(method)) = (&s.action, method) else {
        return Ok(confirming);
    };
    let allowed = &method.allowed_origins;
    Ok(match action {
        Action::Redirect { url, reason } => {
            check(url, allowed)?;
            match reason {
                Some(RedirectReason::FrameRefused) => AfterSession::FrameRefused(url.clone()),
                Some(RedirectReason::Unknown) | None => AfterSession::Redirect(url.clone()),
            }
        }
        Action::Iframe { url } => {
            check(url, allowed)?;
            let title = fill(t!(l, payment_page), &method.display_name);
            AfterSession::Show(Screen::Iframe {
                session: s.id.clone(),
                url: url.clone(),
                title,
                expires_at: s.expires_at,
            })
        }
        Action::StripeEmbedded { client_secret, publishable_key, stripe_account } => {
            let script = method.stripe_js_url.as_deref().ok_or(UrlError::Malformed)?;
            check(script, allowed)?;
            AfterSession::Show(Screen::Embedded(Embed {
                session: s.id.clone(),
                client_secret: client_secret.clone(),
                publishable_key: publishable_key.clone(),
                stripe_account: stripe_account.clone(),
                script_url: script.to_owned(),
            }))
        }
    })
}

/// Whether a method is one this widget can present.
pub fn supported(method: &PaymentMethod) -> bool {
    method.presentation != Presentation::StripeEmbedded || method.stripe_js_url.is_some()
}

#[cfg(test)]
mod tests {
    use crate::navigate::check_pure;
    use kassa_wire::{Currency, MethodId, Money, ProviderId, Receipt, SessionId};

    use super::*;

    fn check(url: &str, allowed: &[String]) -> Result<(), UrlError> {
        check_pure(url, allowed).map(drop)
    }

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK).unwrap()
    }

    use crate::fixtures::session;

    fn method(presentation: Presentation) -> PaymentMethod {
        PaymentMethod {
            id: MethodId::parse("vipps").unwrap(),
            provider: ProviderId::FrontPayment,
            display_name: "Vipps".into(),
            presentation,
            required_fields: vec![],
            personal_number_countries: vec![],
            extra_fields: vec![],
            allowed_origins: vec!["https://pay.example.com".into()],
            stripe_js_url: Some("https://pay.example.com/v3".into()),
            group: kassa_wire::MethodGroup::Vipps,
            marks: vec![kassa_wire::Mark::Vipps],
            label: None,
        }
    }

    #[test]
    fn paid_comes_only_from_the_session_state() {
        let mut s = session(SessionState::Paid, None);
        s.receipt =
            Some(Receipt { amount: nok(145_000), provider_reference: "pi_9".into(), paid_at: 0 });
        let Some(Screen::Paid(view)) = settled_screen(&s, Locale::en) else {
            panic!("paid session must show paid")
        };
        assert_eq!(view.provider_reference.as_deref(), Some("pi_9"));
        assert_eq!(view.session, "ks_1");
        assert_eq!(settled_screen(&session(SessionState::Open, None), Locale::en), None);
        assert_eq!(settled_screen(&session(SessionState::Created, None), Locale::en), None);
    }

    #[test]
    fn each_settled_state_has_its_screen() {
        let shown = |st| settled_screen(&session(st, None), Locale::en).unwrap().as_str();
        assert_eq!(shown(SessionState::Failed), "failed");
        assert_eq!(shown(SessionState::Cancelled), "cancelled");
        assert_eq!(shown(SessionState::Expired), "expired");
        assert_eq!(shown(SessionState::Invoiced), "invoiced");
    }

    #[test]
    fn an_invoiced_session_is_never_shown_as_paid() {
        let s = session(SessionState::Invoiced, None);
        assert_eq!(
            settled_screen(&s, Locale::en),
            Some(Screen::Invoiced { session: SessionId::parse("ks_1").unwrap() })
        );
        let text = Screen::Invoiced { session: SessionId::parse("ks_1").unwrap() }
            .announcement(Locale::en);
        assert_eq!(text, "Booking confirmed: the invoice is on its way");
    }

    #[test]
    fn an_answer_the_backend_could_not_accept_shows_unconfirmed_with_the_reference() {
        for state in [SessionState::Open, SessionState::Created] {
            let s = Session { unconfirmed: true, ..session(state, None) };
            let Some(Screen::Problem(problem)) = settled_screen(&s, Locale::en) else {
                panic!("a problem screen")
            };
            assert_eq!(
                problem.title,
                "We couldn't confirm your payment yet. Your order reference is ks_1."
            );
            assert_eq!(problem.code, "unconfirmed");
            assert_eq!(
                problem.next,
                Next::Retry(Retry::Confirm {
                    session: SessionId::parse("ks_1").unwrap(),
                    cancelled: false
                })
            );
            let Some(Screen::Problem(nb)) = settled_screen(&s, Locale::nb) else { panic!() };
            assert!(nb.title.contains("ks_1") && nb.title.starts_with("Vi kunne ikke"));
        }
        // A settled state wins over the flag: paid is paid.
        let paid = Session { unconfirmed: true, ..session(SessionState::Paid, None) };
        assert_eq!(settled_screen(&paid, Locale::en).unwrap().as_str(), "paid");
    }

    #[test]
    fn an_open_session_acts_only_on_an_allowed_url() {
        let m = method(Presentation::Redirect);
        let ok = session(SessionState::Open, Some(Action::redirect("https://pay.example.com/x")));
        assert_eq!(
            after_session(&ok, Some(&m), check, Locale::en),
            Ok(AfterSession::Redirect("https://pay.example.com/x".into()))
        );
        let evil = session(SessionState::Open, Some(Action::redirect("https://evil.example/x")));
        assert_eq!(
            after_session(&evil, Some(&m), check, Locale::en),
            Err(UrlError::Origin("https://evil.example".into()))
        );
        let js =
            session(SessionState::Open, Some(Action::Iframe { url: "javascript:alert(1)".into() }));
        assert_eq!(after_session(&js, Some(&m), check, Locale::en), Err(UrlError::Scheme));
    }

    #[test]
    fn a_refused_frame_is_announced_before_the_checked_redirect() {
        let m = method(Presentation::Iframe);
        let refused = |url: &str| {
            session(
                SessionState::Open,
                Some(Action::Redirect {
                    url: url.into(),
                    reason: Some(RedirectReason::FrameRefused),
                }),
            )
        };
        assert_eq!(
            after_session(&refused("https://pay.example.com/f"), Some(&m), check, Locale::en),
            Ok(AfterSession::FrameRefused("https://pay.example.com/f".into()))
        );
        assert_eq!(
            after_session(&refused("https://evil.example/f"), Some(&m), check, Locale::en),
            Err(UrlError::Origin("https://evil.example".into())),
            "the reason does not skip the origin check"
        );
    }

    #[test]
    fn an_iframe_is_titled_after_the_method() {
        let m = method(Presentation::Iframe);
        let s = session(
            SessionState::Open,
            Some(Action::Iframe { url: "https://pay.example.com/f".into() }),
        );
        let Ok(AfterSession::Show(Screen::Iframe { title, .. })) =
            after_session(&s, Some(&m), check, Locale::en)
        else {
            panic!("iframe action must show the iframe")
        };
        assert_eq!(title, "Vipps payment page");
    }

    #[test]
    fn stripe_embedded_checks_the_script_origin() {
        let mut m = method(Presentation::StripeEmbedded);
        let action = Action::StripeEmbedded {
            client_secret: "cs_1".into(),
            publishable_key: "pk_1".into(),
            stripe_account: None,
        };
        let s = session(SessionState::Open, Some(action));
        assert!(matches!(
            after_session(&s, Some(&m), check, Locale::en),
            Ok(AfterSession::Show(Screen::Embedded(_)))
        ));
        m.stripe_js_url = Some("https://js.evil.example/v3".into());
        assert!(after_session(&s, Some(&m), check, Locale::en).is_err());
        m.stripe_js_url = None;
        assert!(!supported(&m));
    }

    #[test]
    fn an_open_session_without_action_is_confirmed() {
        let s = session(SessionState::Open, None);
        assert_eq!(
            after_session(&s, None, check, Locale::en),
            Ok(AfterSession::Show(Screen::Confirming {
                session: SessionId::parse("ks_1").unwrap(),
                stalled: false
            }))
        );
    }
}
