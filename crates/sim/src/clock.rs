//! The simulator's notion of "now".
//!
//! Expiry is the behaviour tests most want to reach without waiting half an hour, so every
//! provider reads time through one [`Clock`] that the control plane can move forward
//! (`POST /__sim/clock {"advance_secs": n}`). The offset shifts what providers *believe* the
//! time is (object timestamps, expiry). Transport freshness stamps, such as the `t=` in a
//! Stripe signature or a Fernet token's timestamp, use the real wall clock instead, because
//! the receiving backend compares them with its own real clock.

use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::{SystemTime, UNIX_EPOCH},
};

/// Shared, cheaply cloned clock: the real time plus an adjustable offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The simulated time in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        wall_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// The simulated time in microseconds since the Unix epoch.
    pub fn now_micros(&self) -> i64 {
        wall_micros() + self.offset_ms.load(Ordering::Relaxed) * 1000
    }

    /// The simulated time in whole seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves simulated time forward (or back, with a negative value).
    pub fn advance_secs(&self, secs: i64) {
        self.offset_ms.fetch_add(secs.saturating_mul(1000), Ordering::Relaxed);
    }

    /// How far the simulated time is ahead of the wall clock, in seconds.
    pub fn offset_secs(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed).div_euclid(1000)
    }
}

/// The real time in whole seconds since the Unix epoch, for transport freshness stamps.
pub fn wall_secs() -> i64 {
    wall_ms().div_euclid(1000)
}

fn wall_ms() -> i64 {
    wall_micros().div_euclid(1000)
}

fn wall_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_simulated_time_but_not_the_wall_clock() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance_secs(3600);
        assert!(clock.now() >= before + 3600, "simulated time moves by the offset");
        assert!(wall_secs() < before + 3600, "the wall clock is untouched");
        assert_eq!(clock.offset_secs(), 3600);
    }
}
