//! Asking the backend about a session until it settles: why the widget asks ([`Check`]),
//! how long it waits between questions ([`poll_delay_ms`]), and what each answer means
//! ([`polled`]). Pure; `flow::poll` runs the loop.

use kassa_wire::{Action, Session};

use crate::{
    lang::Locale,
    outcome::settled_screen,
    problem::{problem_for, ApiFailure},
    screen::{Next, Retry, Screen},
};

/// Why the widget asks the backend about a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The customer came back (or the frame finished): wait until it settles.
    Confirm,
    /// The customer came back through the cancel URL: cancel the session if it is still
    /// open, then wait until it settles.
    CancelThenConfirm,
    /// The page was reloaded while it showed the session's page in the widget (a frame,
    /// Stripe's embedded checkout): show that page again while the session is open.
    Reopen,
}

/// The wait before poll number `n` (0-based): 0.5 s doubling to 4 s.
pub fn poll_delay_ms(n: u32) -> u32 {
    500u32.saturating_mul(1 << n.min(3)).min(4_000)
}

/// How long to keep polling before offering "Check again".
pub const POLL_BUDGET_MS: u32 = 60_000;

/// What to do after one answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Polled {
    /// Stop and show this screen.
    Show(Screen),
    /// Stop and show the session's own page again (a [`Check::Reopen`] of an open session).
    Act(Session),
    /// Ask again after the next delay.
    Again,
}

/// What `answer` means after `waited` milliseconds of polling: a settled session shows its
/// screen; a refusal (a 4xx) stops with its problem; no answer or an open session asks again
/// until the budget is spent, then offers `retry` (after a failure) or "Check again".
pub fn polled(
    answer: Result<Session, ApiFailure>,
    check: Check,
    waited: u32,
    retry: Retry,
    l: Locale,
) -> Polled {
    let failure = match answer {
        Ok(s) => {
            if let Some(screen) = settled_screen(&s, l) {
                return Polled::Show(screen);
            }
            let shows_its_page =
                matches!(s.action, Some(Action::Iframe { .. } | Action::StripeEmbedded { .. }));
            if check == Check::Reopen && shows_its_page {
                return Polled::Act(s);
            }
            None
        }
        Err(failure @ ApiFailure::Api(_)) => {
            return Polled::Show(Screen::Problem(problem_for(&failure, retry, Next::StartOver, l)))
        }
        Err(failure) => Some(failure),
    };
    if waited < POLL_BUDGET_MS {
        return Polled::Again;
    }
    Polled::Show(match (failure, retry) {
        (Some(f), retry) => Screen::Problem(problem_for(&f, retry, Next::StartOver, l)),
        (None, Retry::Confirm { session, .. }) => Screen::Confirming { session, stalled: true },
        (None, _) => Screen::Loading,
    })
}

#[cfg(test)]
mod tests {
    use kassa_wire::{ApiError, ErrorCode, SessionId, SessionState};

    use super::*;

    use crate::fixtures::session;

    fn retry() -> Retry {
        Retry::Confirm { session: SessionId::parse("ks_1").unwrap(), cancelled: false }
    }

    #[test]
    fn polling_backs_off_from_half_a_second_to_four() {
        let delays: Vec<_> = (0..6).map(poll_delay_ms).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(poll_delay_ms(u32::MAX), 4000);
    }

    #[test]
    fn a_settled_session_stops_the_polling_with_its_screen() {
        let paid = Ok(session(SessionState::Paid, None));
        let Polled::Show(screen) = polled(paid, Check::Confirm, 0, retry(), Locale::en) else {
            panic!("a paid session must stop the polling")
        };
        assert_eq!(screen.as_str(), "paid");
    }

    #[test]
    fn an_open_session_is_asked_again_until_the_budget_is_spent() {
        let open = || Ok(session(SessionState::Open, None));
        assert_eq!(polled(open(), Check::Confirm, 0, retry(), Locale::en), Polled::Again);
        assert_eq!(
            polled(open(), Check::Confirm, POLL_BUDGET_MS, retry(), Locale::en),
            Polled::Show(Screen::Confirming {
                session: SessionId::parse("ks_1").unwrap(),
                stalled: true
            })
        );
        let down = || Err(ApiFailure::Unreachable(None));
        assert_eq!(polled(down(), Check::Confirm, 0, retry(), Locale::en), Polled::Again);
        let Polled::Show(Screen::Problem(p)) =
            polled(down(), Check::Confirm, POLL_BUDGET_MS, retry(), Locale::en)
        else {
            panic!("an unreachable backend ends in a problem with Retry")
        };
        assert_eq!(p.next, Next::Retry(retry()));
    }

    #[test]
    fn a_refusal_stops_at_once() {
        let gone = Err(ApiFailure::Api(Box::new(ApiError {
            code: ErrorCode::SessionNotFound,
            message: "No such session.".into(),
            field: None,
            retryable: false,
            quote: None,
            detail: None,
            reference: None,
        })));
        let Polled::Show(Screen::Problem(p)) = polled(gone, Check::Confirm, 0, retry(), Locale::en)
        else {
            panic!("a 4xx is not polled again")
        };
        assert_eq!(p.next, Next::StartOver);
    }

    #[test]
    fn only_a_reopen_shows_the_sessions_own_page_again() {
        let framed = Action::Iframe { url: "https://pay.example.com/f".into() };
        let open = || Ok(session(SessionState::Open, Some(framed.clone())));
        assert!(matches!(polled(open(), Check::Reopen, 0, retry(), Locale::en), Polled::Act(_)));
        assert_eq!(polled(open(), Check::Confirm, 0, retry(), Locale::en), Polled::Again);
    }
}
