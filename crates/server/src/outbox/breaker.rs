//! A per-endpoint circuit breaker: after `failures` attempts in a row fail, the endpoint is
//! left alone for `cooldown`, then one trial attempt decides (success closes it, failure
//! opens it again). Deliveries wait meanwhile, their attempts uncounted, so a merchant whose
//! system is down for a while does not burn through the retry schedule, and a struggling
//! receiver is not hammered. Each instance keeps its own breaker (memory, not the database):
//! the worst case with several instances is a few more trial attempts.

use std::time::{Duration, Instant};

/// The breaker of one endpoint.
#[derive(Debug)]
pub struct Breaker {
    failures: u32,
    cooldown: Duration,
    in_a_row: u32,
    open_until: Option<Instant>,
    trial_running: bool,
}

/// May an attempt go out now?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permit {
    /// Closed: yes.
    Go,
    /// Half-open: this one attempt, as a trial.
    Trial,
    /// Open: no.
    Wait,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(failures: u32, cooldown: Duration) -> Breaker {
        Breaker {
            failures: failures.max(1),
            cooldown,
            in_a_row: 0,
            open_until: None,
            trial_running: false,
        }
    }

    /// Asks to send one attempt at `now`.
    pub fn permit(&mut self, now: Instant) -> Permit {
        match self.open_until {
            None => Permit::Go,
            Some(until) if now < until || self.trial_running => Permit::Wait,
            Some(_) => {
                self.trial_running = true;
                Permit::Trial
            }
        }
    }

    /// An attempt succeeded: closed.
    pub fn success(&mut self) {
        self.in_a_row = 0;
        self.open_until = None;
        self.trial_running = false;
    }

    /// An attempt failed at `now`; a failed trial, or one failure too many, opens the circuit.
    pub fn failure(&mut self, now: Instant) {
        self.in_a_row = self.in_a_row.saturating_add(1);
        if self.trial_running || self.in_a_row >= self.failures {
            self.open(now);
        }
    }

    /// Opens at once (the endpoint answered 410 Gone).
    pub fn open(&mut self, now: Instant) {
        self.open_until = Some(now + self.cooldown);
        self.trial_running = false;
    }

    /// A trial that was not sent after all (the delivery was taken elsewhere).
    pub fn trial_not_sent(&mut self) {
        self.trial_running = false;
    }

    /// Whether it is open at `now` (metrics, logs).
    pub fn is_open(&self, now: Instant) -> bool {
        self.open_until.is_some_and(|until| now < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_opens_after_failures_in_a_row_and_a_trial_closes_it() {
        let t0 = Instant::now();
        let mut b = Breaker::new(3, Duration::from_secs(10));
        for _ in 0..2 {
            assert_eq!(b.permit(t0), Permit::Go);
            b.failure(t0);
        }
        b.success();
        for _ in 0..2 {
            b.failure(t0);
        }
        assert_eq!(b.permit(t0), Permit::Go, "a success in between resets the count");
        b.failure(t0);
        assert_eq!(b.permit(t0), Permit::Wait);
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.permit(later), Permit::Trial);
        assert_eq!(b.permit(later), Permit::Wait, "one trial at a time");
        b.failure(later);
        assert_eq!(
            b.permit(later + Duration::from_secs(9)),
            Permit::Wait,
            "a failed trial reopens it"
        );
        let again = later + Duration::from_secs(10);
        assert_eq!(b.permit(again), Permit::Trial);
        b.success();
        assert_eq!(b.permit(again), Permit::Go);
    }
}
