//! `expires_at` of a Checkout Session: counted from the request, stable across retries.
//!
//! Stripe takes `expires_at` only "from 30 minutes to 24 hours after Checkout Session
//! creation" (stripe-node `Checkout/Sessions.ts`, `expires_at`; docs.stripe.com/api/checkout/
//! sessions/create), and creation is when Stripe runs the create, not when Kassa stored the
//! order. A fixed `created_at + lifetime` therefore fails with a 400 when the create is late
//! (a retry or a recovery long after the order was stored).
//!
//! Simply recomputing from the clock on every attempt would break R-I2 instead: every attempt
//! of an order sends the same `Idempotency-Key`, and Stripe compares the parameters of a
//! replayed key with the first request's and answers `idempotency_error` when they differ
//! (docs.stripe.com/idempotency: "compares incoming parameters to those of the original
//! request and errors if they're not the same"). Only a request that failed validation is
//! not stored under its key.
//!
//! So the values an order can ever send lie on a grid fixed by the order alone:
//! `created_at + lifetime + k × STEP` for `k = 0, 1, 2, …`. An attempt picks the smallest
//! `k` whose value is still safely inside Stripe's window now (at least 30 minutes plus
//! [`MARGIN_SECS`] ahead, and close to `now + lifetime`), and walks down the grid when Stripe
//! says that key was first used with another value (`idempotency_error`) or that an older,
//! unstored value is out of bounds (a 400 on `expires_at`, which Stripe does not store). The
//! value an earlier attempt used is on the grid below, so the walk finds it and Stripe
//! replays that attempt's session instead of creating a second one. The first attempt is made
//! in the request that stores the order, so for it `k = 0` and `expires_at` is the lifetime
//! counted from the request; a retry within the lifetime's first part sends the very same
//! value. The walk is bounded by [`MAX_CANDIDATES`] (a day of steps: Stripe may forget keys
//! after 24 hours anyway).
//!
//! The other design, storing the first computed value with the order's attempt, needs a new
//! column in both stores; the grid needs no state and gives the same guarantee.

/// Where the adapter reads "now" for `expires_at`: the system clock, or a test's.
#[derive(Clone)]
pub struct Clock(std::sync::Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// A clock reading `now` (unix seconds) from the given function.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Clock(std::sync::Arc::new(now))
    }

    /// Unix seconds.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::from_fn(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// Stripe's shortest `expires_at`, seconds after creation.
pub const STRIPE_MIN_SECS: i64 = 30 * 60;
/// Stripe's longest `expires_at`, seconds after creation.
pub const STRIPE_MAX_SECS: i64 = 24 * 3600;
/// Room for clock skew between Kassa and Stripe and for the request's own travel time.
pub const MARGIN_SECS: i64 = 5 * 60;
/// The spacing of the values a late attempt may use.
pub const STEP_SECS: i64 = 30 * 60;
/// How many grid values one attempt tries at most.
pub const MAX_CANDIDATES: i64 = STRIPE_MAX_SECS / STEP_SECS + 1;

/// The range of `session_expiry_secs` that stays inside Stripe's window with the margin.
pub const LIFETIME_RANGE: std::ops::RangeInclusive<i64> =
    (STRIPE_MIN_SECS + MARGIN_SECS)..=(STRIPE_MAX_SECS - MARGIN_SECS);

/// The `expires_at` values to try, newest first: the first is safely inside Stripe's window
/// at `now`; the rest are the older grid values an earlier attempt may have sent.
pub fn candidates(created_at: i64, now: i64, lifetime: i64) -> Vec<i64> {
    let base = created_at.saturating_add(lifetime);
    let earliest = now.saturating_add((STRIPE_MIN_SECS + MARGIN_SECS).max(lifetime - STEP_SECS));
    let k = if base >= earliest {
        0
    } else {
        (earliest - base).saturating_add(STEP_SECS - 1) / STEP_SECS
    };
    let oldest = (k - MAX_CANDIDATES + 1).max(0);
    (oldest..=k).rev().map(|k| base.saturating_add(k.saturating_mul(STEP_SECS))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000;

    #[test]
    fn the_first_attempt_counts_the_lifetime_from_the_request() {
        assert_eq!(candidates(T0, T0, 3600), vec![T0 + 3600]);
        assert_eq!(candidates(T0, T0 + 2, 86_100), vec![T0 + 86_100]);
    }

    #[test]
    fn a_prompt_retry_sends_the_same_value_r_i2() {
        assert_eq!(candidates(T0, T0 + 600, 3600), vec![T0 + 3600]);
        assert_eq!(candidates(T0, T0 + 1200, 86_100), vec![T0 + 86_100]);
        // Later than one step, a long lifetime is counted from the retry again; the first
        // value stays in the list for the walk down.
        assert_eq!(candidates(T0, T0 + 3600, 86_100), vec![T0 + 86_100 + STEP_SECS, T0 + 86_100]);
    }

    #[test]
    fn a_late_retry_moves_up_the_grid_and_keeps_the_older_values_to_walk_down() {
        // 20 minutes before the first value would be refused (< 35 minutes ahead).
        let late = candidates(T0, T0 + 3600 - 1200, 3600);
        assert_eq!(late, vec![T0 + 3600 + STEP_SECS, T0 + 3600]);
        let much_later = candidates(T0, T0 + 5 * 3600, 3600);
        assert_eq!(much_later.len(), 11);
        assert!(much_later.windows(2).all(|w| w[0] - w[1] == STEP_SECS));
        assert_eq!(*much_later.last().unwrap(), T0 + 3600);
    }

    #[test]
    fn the_newest_value_is_always_inside_stripes_window_with_the_margin() {
        for lifetime in [*LIFETIME_RANGE.start(), 3600, 7200, 43_200, *LIFETIME_RANGE.end()] {
            for delay in (0..3 * 86_400).step_by(97) {
                let now = T0 + delay;
                let newest = candidates(T0, now, lifetime)[0];
                assert!(newest - now >= STRIPE_MIN_SECS + MARGIN_SECS, "{lifetime} {delay}");
                assert!(newest - now <= STRIPE_MAX_SECS - MARGIN_SECS, "{lifetime} {delay}");
            }
        }
    }

    #[test]
    fn the_walk_is_bounded_to_a_day_of_steps() {
        let old = candidates(T0, T0 + 30 * 86_400, 3600);
        assert_eq!(old.len() as i64, MAX_CANDIDATES);
    }
}
