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
//! - nothing but provider evidence makes an order `paid`;
//! - `invoiced` (the provider issued an invoice the customer agreed to, e.g. Front Payment's
//!   `INVOICED`: no money has moved yet) is not `paid`. It is the customer's end of the
//!   checkout, but not the order's: the provider's later `paid` still moves it, and so does
//!   the provider cancelling the invoice. Like a payment, an invoice outranks a decline or an
//!   expiry (the customer committed to pay); it never follows a cancellation (a late or
//!   duplicate invoice notice must not undo one), and nothing moves it back to `open`.

use crate::named::named_enum;

named_enum! {
    /// Where an order (one checkout attempt) stands. The name is used in JSON, storage and
    /// logs.
    pub enum SessionState {
        /// Stored; the provider session is not created yet, or its creation's outcome is
        /// unknown.
        Created = "created",
        /// The provider session exists and waits for the customer.
        Open = "open",
        /// The provider confirmed the payment.
        Paid = "paid",
        /// The provider declined the payment.
        Failed = "failed",
        /// The customer cancelled.
        Cancelled = "cancelled",
        /// The provider session expired unpaid.
        Expired = "expired",
        /// The provider issued an invoice: booked, but no money has moved yet. Not final:
        /// the provider's `paid` or the invoice's cancellation still moves it.
        Invoiced = "invoiced",
    }
}

named_enum! {
    /// Something a provider (or the customer, through the backend) told us about an order.
    pub enum PaymentEvent {
        /// The provider session was created.
        Opened = "opened",
        /// Verified evidence that the money was taken.
        Paid = "paid",
        /// The provider declined the payment.
        Declined = "declined",
        /// The customer gave up.
        Cancelled = "cancelled",
        /// The provider session expired.
        Expired = "expired",
        /// The provider issued an invoice (no money has moved yet).
        Invoiced = "invoiced",
    }
}

impl SessionState {
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
            // An invoice is a commitment to pay: it outranks a decline or an expiry, as a
            // payment does. The provider cancelling the invoice ends it.
            (S::Created | S::Open | S::Failed | S::Expired, E::Invoiced) => S::Invoiced,
            (S::Invoiced, E::Cancelled) => S::Cancelled,
            _ => return None,
        };
        (next != self).then_some(next)
    }

    /// True when the checkout is over for the customer: the widget shows its end screen and
    /// a customer's cancel changes nothing. Only the provider's later news can still move
    /// it (a late payment; for `invoiced`, also the invoice's payment or cancellation).
    pub fn is_settled(self) -> bool {
        !matches!(self, SessionState::Created | SessionState::Open)
    }

    /// True while the provider may still tell us something we wait for: the session is
    /// open, or an invoice is unpaid. The backend asks the provider about such orders.
    pub fn awaits_provider(self) -> bool {
        matches!(self, SessionState::Created | SessionState::Open | SessionState::Invoiced)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{PaymentEvent as E, SessionState as S};

    const EVENTS: [E; 6] = [E::Opened, E::Paid, E::Declined, E::Cancelled, E::Expired, E::Invoiced];

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
                (S::Created | S::Open | S::Failed | S::Expired, E::Invoiced) => Some(S::Invoiced),
                (S::Invoiced, E::Cancelled) => Some(S::Cancelled),
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
        assert_eq!(changes, 19, "the table changed; update this test deliberately");
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
    fn an_invoice_is_not_a_payment_and_becomes_paid_only_when_the_provider_says_so() {
        assert_eq!(run(&[E::Opened, E::Invoiced]), S::Invoiced);
        assert_ne!(S::Invoiced, S::Paid);
        assert_eq!(S::Invoiced.apply(E::Paid), Some(S::Paid));
        assert_eq!(run(&[E::Opened, E::Invoiced, E::Paid]), S::Paid);
        assert!(S::Invoiced.is_settled(), "the customer's part is over");
        assert!(S::Invoiced.awaits_provider(), "the backend still asks the provider");
        assert!(!S::Paid.awaits_provider() && !S::Cancelled.awaits_provider());
    }

    #[test]
    fn stale_or_duplicate_events_never_move_an_invoice_backwards() {
        for e in [E::Opened, E::Invoiced, E::Declined, E::Expired] {
            assert_eq!(S::Invoiced.apply(e), None, "{e:?} moved an invoiced order");
        }
        // The invoice notice that arrives after the provider cancelled the invoice is stale.
        assert_eq!(run(&[E::Opened, E::Invoiced, E::Cancelled, E::Invoiced]), S::Cancelled);
        // And one that arrives after the payment changes nothing: paid stays final.
        assert_eq!(run(&[E::Opened, E::Invoiced, E::Paid, E::Invoiced, E::Cancelled]), S::Paid);
        assert_eq!(S::Paid.apply(E::Invoiced), None);
    }

    #[test]
    fn an_invoice_outranks_a_decline_or_an_expiry_but_not_a_cancellation() {
        assert_eq!(S::Failed.apply(E::Invoiced), Some(S::Invoiced));
        assert_eq!(S::Expired.apply(E::Invoiced), Some(S::Invoiced));
        assert_eq!(S::Cancelled.apply(E::Invoiced), None);
        assert_eq!(S::Invoiced.apply(E::Cancelled), Some(S::Cancelled));
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
            mut events in proptest::collection::vec(0usize..6, 0..12),
            at in 0usize..12,
        ) {
            let at = at.min(events.len());
            events.insert(at, 1);
            let events: Vec<E> = events.into_iter().map(|i| EVENTS[i]).collect();
            prop_assert_eq!(run(&events), S::Paid);
        }

        #[test]
        fn without_a_payment_no_order_is_paid(events in proptest::collection::vec(0usize..6, 0..12)) {
            let events: Vec<E> = events.into_iter().filter(|i| *i != 1).map(|i| EVENTS[i]).collect();
            prop_assert_ne!(run(&events), S::Paid);
        }

        /// No state is ever entered twice, whatever the order of events: stale and
        /// duplicate events can never move an order back to where it was.
        #[test]
        fn no_sequence_of_events_revisits_a_state(events in proptest::collection::vec(0usize..6, 0..16)) {
            let mut seen = vec![S::Created];
            let mut s = S::Created;
            for e in events.into_iter().map(|i| EVENTS[i]) {
                if let Some(next) = s.apply(e) {
                    prop_assert!(!seen.contains(&next), "{:?} entered twice in {:?}", next, seen);
                    seen.push(next);
                    s = next;
                }
            }
        }
    }
}
