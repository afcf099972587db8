//! The order state machine, shared by the backend (which moves it) and the widget (which
//! shows it).
//!
//! Pure: a state and an event give the next state or "no change". The rules that make a
//! checkout trustworthy live here, once:
//! - `paid` is final: a late, duplicate or out-of-order event never moves it backwards;
//! - `failed`, `cancelled` and `expired` are settled: only evidence of payment moves them (a
//!   provider that expires a session after the customer cancelled changes nothing);
//! - evidence of money wins: a payment confirmed after a decline, a cancel or an expiry
//!   still makes the order `paid`, so no payment is ever lost;
//! - nothing but provider evidence makes an order `paid`.

use serde::{Deserialize, Serialize};

/// Where an order (one checkout attempt) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// Stored; the provider session is not created yet, or its creation's outcome is unknown.
    Created,
    /// The provider session exists and waits for the customer.
    Open,
    /// The provider confirmed the payment.
    Paid,
    /// The provider declined the payment.
    Failed,
    /// The customer cancelled.
    Cancelled,
    /// The provider session expired unpaid.
    Expired,
}

/// Something a provider (or the customer, through the backend) told us about an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentEvent {
    /// The provider session was created.
    Opened,
    /// Verified evidence that the money was taken.
    Paid,
    /// The provider declined the payment.
    Declined,
    /// The customer gave up.
    Cancelled,
    /// The provider session expired.
    Expired,
}

impl SessionState {
    /// Every state, for exhaustive tests.
    pub const ALL: [SessionState; 6] = [
        SessionState::Created,
        SessionState::Open,
        SessionState::Paid,
        SessionState::Failed,
        SessionState::Cancelled,
        SessionState::Expired,
    ];

    /// The state after `event`, or `None` when the event changes nothing (a duplicate, a
    /// stale event, or one that would move a final state backwards).
    pub fn apply(self, event: PaymentEvent) -> Option<SessionState> {
        use PaymentEvent as E;
        use SessionState as S;
        let next = match (self, event) {
            (S::Paid, _) => return None,
            (_, E::Paid) => S::Paid,
            (S::Created, E::Opened) => S::Open,
            (S::Created | S::Open, E::Declined) => S::Failed,
            // A cancellation outranks an expiry. Cancelling at a provider often expires or
            // voids its session (Stripe expires it, Checkfront voids the booking), and the
            // provider's notice of that can land before the cancel's own answer: the
            // customer who pressed Cancel is told "cancelled" whichever arrives first.
            (S::Created | S::Open | S::Expired, E::Cancelled) => S::Cancelled,
            (S::Created | S::Open, E::Expired) => S::Expired,
            _ => return None,
        };
        (next != self).then_some(next)
    }

    /// True when no event except a late payment can change the state.
    pub fn is_settled(self) -> bool {
        !matches!(self, SessionState::Created | SessionState::Open)
    }

    /// The lowercase name used in storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Created => "created",
            SessionState::Open => "open",
            SessionState::Paid => "paid",
            SessionState::Failed => "failed",
            SessionState::Cancelled => "cancelled",
            SessionState::Expired => "expired",
        }
    }

    /// Parses [`SessionState::as_str`] output.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{PaymentEvent as E, SessionState as S};

    const EVENTS: [E; 5] = [E::Opened, E::Paid, E::Declined, E::Cancelled, E::Expired];

    #[test]
    fn paid_is_final_whatever_arrives_later() {
        for event in EVENTS {
            assert_eq!(S::Paid.apply(event), None, "{event:?} moved a paid order");
        }
    }

    #[test]
    fn evidence_of_payment_wins_over_every_unpaid_state() {
        for state in S::ALL.into_iter().filter(|s| *s != S::Paid) {
            assert_eq!(state.apply(E::Paid), Some(S::Paid), "{state:?} refused a payment");
        }
    }

    #[test]
    fn exhaustive_transition_table() {
        let expected = |s: S, e: E| -> Option<S> {
            match (s, e) {
                (S::Paid, _) => None,
                (_, E::Paid) => Some(S::Paid),
                (S::Created, E::Opened) => Some(S::Open),
                (S::Created | S::Open, E::Declined) => Some(S::Failed),
                (S::Created | S::Open | S::Expired, E::Cancelled) => Some(S::Cancelled),
                (S::Created | S::Open, E::Expired) => Some(S::Expired),
                _ => None,
            }
        };
        let mut changes = 0;
        for s in S::ALL {
            for e in EVENTS {
                assert_eq!(s.apply(e), expected(s, e), "{s:?} + {e:?}");
                changes += usize::from(s.apply(e).is_some());
            }
        }
        assert_eq!(changes, 13, "the table changed; update this test deliberately");
    }

    #[test]
    fn a_late_expiry_keeps_what_the_customer_was_told() {
        for s in [S::Failed, S::Cancelled] {
            assert_eq!(s.apply(E::Expired), None, "{s:?} became expired");
        }
    }

    #[test]
    fn a_cancel_and_the_expiry_it_caused_end_cancelled_in_either_order() {
        assert_eq!(run(&[E::Opened, E::Cancelled, E::Expired]), S::Cancelled);
        assert_eq!(run(&[E::Opened, E::Expired, E::Cancelled]), S::Cancelled);
        assert_eq!(S::Failed.apply(E::Cancelled), None, "a decline stays what it was");
    }

    #[test]
    fn a_late_open_never_reopens_a_settled_order() {
        for s in [S::Failed, S::Cancelled, S::Expired, S::Paid] {
            assert_eq!(s.apply(E::Opened), None);
        }
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
    }

    fn run(events: &[E]) -> S {
        events.iter().fold(S::Created, |s, e| s.apply(*e).unwrap_or(s))
    }

    proptest! {
        #[test]
        fn any_sequence_containing_a_payment_ends_paid(
            mut events in proptest::collection::vec(0usize..5, 0..12),
            at in 0usize..12,
        ) {
            let at = at.min(events.len());
            events.insert(at, 1);
            let events: Vec<E> = events.into_iter().map(|i| EVENTS[i]).collect();
            prop_assert_eq!(run(&events), S::Paid);
        }

        #[test]
        fn without_a_payment_no_order_is_paid(events in proptest::collection::vec(0usize..5, 0..12)) {
            let events: Vec<E> = events.into_iter().filter(|i| *i != 1).map(|i| EVENTS[i]).collect();
            prop_assert_ne!(run(&events), S::Paid);
        }
    }
}
