//! Random identifiers in each provider's own id format.
//!
//! Ids are random rather than sequential so that a test cannot pass by guessing one, and so
//! that two simulator runs never hand out the same id to a backend that keeps its database.

use rand::{distributions::Alphanumeric, Rng};

/// `n` random ASCII letters and digits, as in Stripe's `cs_test_…` ids.
pub fn alnum(n: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(n).map(char::from).collect()
}

/// `n` random decimal digits, as in Front Payment's `ODR1649249709`.
pub fn digits(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// `n` random upper-case letters, as in Checkfront's booking codes (`KMVQ-060314`).
pub fn upper(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from(b'A' + rng.gen_range(0..26u8))).collect()
}

/// A random v4 UUID in its hyphenated lower-case form.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_requested_shape() {
        assert_eq!(alnum(24).len(), 24);
        assert!(digits(10).chars().all(|c| c.is_ascii_digit()));
        assert!(upper(4).chars().all(|c| c.is_ascii_uppercase()));
        assert_eq!(uuid().len(), 36);
        assert_ne!(alnum(24), alnum(24), "two ids are different");
    }
}
