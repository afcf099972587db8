//! Order statistics over samples in milliseconds.

use serde_json::{json, Value};

/// The `q` quantile (0..=1) of sorted samples, nearest rank; NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Sorts a copy.
pub fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The median of `samples`.
pub fn median(samples: &[f64]) -> f64 {
    quantile(&sorted(samples), 0.5)
}

/// A latency distribution.
#[derive(Clone, Debug, Default)]
pub struct Dist {
    /// Samples.
    pub n: usize,
    /// Percentiles and extremes, ms.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Dist {
    /// Summarises samples (ms).
    pub fn of(samples: &[f64]) -> Dist {
        let s = sorted(samples);
        let mean = if s.is_empty() { f64::NAN } else { s.iter().sum::<f64>() / s.len() as f64 };
        Dist {
            n: s.len(),
            min: s.first().copied().unwrap_or(f64::NAN),
            p50: quantile(&s, 0.5),
            p90: quantile(&s, 0.9),
            p99: quantile(&s, 0.99),
            p999: quantile(&s, 0.999),
            max: s.last().copied().unwrap_or(f64::NAN),
            mean,
        }
    }

    /// The same distribution shifted by `-by` (e.g. minus the provider's fixed latency).
    pub fn minus(&self, by: f64) -> Dist {
        Dist {
            n: self.n,
            min: self.min - by,
            p50: self.p50 - by,
            p90: self.p90 - by,
            p99: self.p99 - by,
            p999: self.p999 - by,
            max: self.max - by,
            mean: self.mean - by,
        }
    }

    /// As JSON, rounded to microseconds.
    pub fn json(&self) -> Value {
        json!({
            "n": self.n,
            "min_ms": r3(self.min),
            "p50_ms": r3(self.p50),
            "p90_ms": r3(self.p90),
            "p99_ms": r3(self.p99),
            "p99_9_ms": r3(self.p999),
            "max_ms": r3(self.max),
            "mean_ms": r3(self.mean),
        })
    }
}

/// Rounds to three decimals; non-finite numbers become null.
pub fn r3(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1000.0).round() / 1000.0)
    } else {
        Value::Null
    }
}

/// Least-squares slope of `ys` over `xs`.
pub fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len().min(ys.len()) as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        num += (x - mx) * (y - my);
        den += (x - mx) * (x - mx);
    }
    if den == 0.0 {
        f64::NAN
    } else {
        num / den
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 0.999), 100.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert!(quantile(&[], 0.5).is_nan());
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn slope_of_a_line() {
        let xs = [0.0, 1.0, 2.0, 3.0];
        let ys = [1.0, 3.0, 5.0, 7.0];
        assert!((slope(&xs, &ys) - 2.0).abs() < 1e-9);
    }
}
