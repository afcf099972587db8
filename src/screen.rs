//! What the widget shows: one [`Screen`] at a time, and the ways on from a [`Problem`].
//! Pure: no DOM, no fetch. Each screen has exactly one `data-state` value.

use kassa_wire::{MethodId, Money, SessionId};

use crate::{lang::Locale, t};

/// What the widget shows. Each variant has exactly one `data-state` value.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    /// Config and quote are on their way.
    Loading,
    /// Cart, method picker, customer fields and the Pay button.
    Picker,
    /// The picker with a session request in flight.
    Creating,
    /// The provider's page framed inside the widget.
    Iframe {
        /// Kassa session id.
        session: SessionId,
        /// The checked provider URL.
        url: String,
        /// The iframe's title, e.g. "Vipps payment page".
        title: String,
        /// Unix seconds when the provider's hold on the booking ends (Checkfront).
        expires_at: Option<i64>,
    },
    /// Stripe embedded checkout.
    Embedded(Embed),
    /// Waiting for the backend to settle the session.
    Confirming {
        /// Kassa session id.
        session: SessionId,
        /// The polling budget ran out without a settled state.
        stalled: bool,
    },
    /// Inside a provider iframe on the way back: the parent widget takes over.
    Returning,
    /// The provider's page could not be framed: the whole page is going there.
    Redirecting,
    /// The backend confirmed the payment.
    Paid(PaidView),
    /// The provider issued an invoice (e.g. Front Payment's `INVOICED`): the booking is
    /// confirmed, no money has moved yet. Never shown as paid.
    Invoiced {
        /// Kassa session id, shown as the reference.
        session: SessionId,
    },
    /// The provider declined.
    Failed {
        /// Kassa session id.
        session: SessionId,
        /// The method that was used, for "Try again".
        method: MethodId,
    },
    /// The customer cancelled.
    Cancelled {
        /// Kassa session id.
        session: SessionId,
    },
    /// The session ran out of time.
    Expired {
        /// Kassa session id.
        session: SessionId,
        /// The provider's hold on the booking ran out while the widget counted it down.
        hold: bool,
    },
    /// Something stopped the checkout; the problem says what and how to go on.
    Problem(Problem),
}

impl Screen {
    /// The `data-state` attribute value, stable for tests.
    pub fn as_str(&self) -> &'static str {
        match self {
            Screen::Loading => "loading",
            Screen::Picker => "picker",
            Screen::Creating => "creating",
            Screen::Iframe { .. } => "iframe",
            Screen::Embedded(_) => "embedded",
            Screen::Confirming { .. } | Screen::Returning => "confirming",
            Screen::Redirecting => "redirecting",
            Screen::Paid(_) => "paid",
            Screen::Invoiced { .. } => "invoiced",
            Screen::Failed { .. } => "failed",
            Screen::Cancelled { .. } => "cancelled",
            Screen::Expired { .. } => "expired",
            Screen::Problem(_) => "error",
        }
    }

    /// The screen as drawn: the picker stays in place (with a busy Pay button) while a
    /// session is being created, so focus and typed values are not lost.
    pub fn drawn(&self) -> Screen {
        match self {
            Screen::Creating => Screen::Picker,
            other => other.clone(),
        }
    }

    /// True when the screen draws its announcement as an `<h2>`, which focus moves to once
    /// the customer has acted. A screen reader reads the focused heading, so the live region
    /// then stays quiet: saying the news in both would say it twice.
    pub fn heading_announces(&self) -> bool {
        matches!(
            self,
            Screen::Iframe { .. }
                | Screen::Embedded(_)
                | Screen::Confirming { .. }
                | Screen::Paid(_)
                | Screen::Invoiced { .. }
                | Screen::Failed { .. }
                | Screen::Cancelled { .. }
                | Screen::Expired { .. }
                | Screen::Problem(_)
        )
    }

    /// What the live region announces when this screen appears.
    pub fn announcement(&self, l: Locale) -> String {
        String::from(match self {
            Screen::Loading | Screen::Picker => "",
            Screen::Creating => t!(l, processing),
            Screen::Iframe { title, .. } => title,
            Screen::Embedded(_) => t!(l, pay_by_card),
            Screen::Confirming { .. } => t!(l, confirming),
            Screen::Returning => t!(l, returning),
            Screen::Redirecting => t!(l, frame_fallback),
            Screen::Paid(_) => t!(l, paid),
            Screen::Invoiced { .. } => t!(l, invoiced),
            Screen::Failed { .. } => t!(l, failed),
            Screen::Cancelled { .. } => t!(l, cancelled),
            Screen::Expired { .. } => t!(l, expired),
            Screen::Problem(p) => &p.title,
        })
    }
}

/// What Stripe embedded checkout needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embed {
    /// Kassa session id.
    pub session: SessionId,
    /// The Checkout Session's client secret.
    pub client_secret: String,
    /// `pk_…`.
    pub publishable_key: String,
    /// `acct_…` for a connected account.
    pub stripe_account: Option<String>,
    /// The checked Stripe.js URL.
    pub script_url: String,
}

/// The receipt as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct PaidView {
    /// Kassa session id: the order reference.
    pub session: SessionId,
    /// What the provider confirmed (or the quote's total when the receipt is not in yet).
    pub amount: Money,
    /// The provider's own reference.
    pub provider_reference: Option<String>,
}

/// A stop in the flow, with the way on.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The heading.
    pub title: String,
    /// More detail, if any.
    pub detail: Option<String>,
    /// The button offered.
    pub next: Next,
    /// A stable code for the `kassa:error` event.
    pub code: String,
}

/// The way on from a [`Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing the customer can do (the page itself is broken).
    Nothing,
    /// "Retry" the same request (same idempotency key when it is a session request).
    Retry(Retry),
    /// "Choose another method": back to the picker.
    Picker,
    /// "Start over": drop the session and load the checkout afresh.
    StartOver,
    /// Stripe's card form did not start: "Try again" (the same session) and "Choose another
    /// way to pay" (cancels it).
    Embed(Embed),
}

/// The request that "Retry" repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Loading config and quote.
    Load,
    /// Creating the session, with the pending attempt's key.
    Create,
    /// Confirming a session.
    Confirm {
        /// Kassa session id.
        session: SessionId,
        /// The customer came back through the cancel URL.
        cancelled: bool,
    },
}

#[cfg(test)]
mod tests {
    use kassa_wire::{MethodId, SessionId};

    use super::*;

    /// A screen whose heading says its news must have news to say, and a screen without one
    /// must leave it to the live region: one of the two always speaks.
    #[test]
    fn every_screen_with_news_says_it_by_its_heading_or_by_the_live_region() {
        let session = || SessionId::parse("ks_1").unwrap();
        let with_heading = [
            Screen::Confirming { session: session(), stalled: false },
            Screen::Invoiced { session: session() },
            Screen::Failed { session: session(), method: MethodId::parse("card").unwrap() },
            Screen::Cancelled { session: session() },
            Screen::Expired { session: session(), hold: false },
        ];
        for l in [Locale::en, Locale::nb, Locale::sv, Locale::da, Locale::de] {
            for screen in &with_heading {
                assert!(screen.heading_announces(), "{screen:?}");
                assert!(!screen.announcement(l).is_empty(), "{l:?} {screen:?}");
            }
            for screen in [Screen::Creating, Screen::Returning, Screen::Redirecting] {
                assert!(!screen.heading_announces(), "{screen:?} has no heading");
                assert!(!screen.announcement(l).is_empty(), "{l:?} {screen:?}: the live region");
            }
            for quiet in [Screen::Loading, Screen::Picker] {
                assert!(!quiet.heading_announces() && quiet.announcement(l).is_empty());
            }
        }
    }
}
