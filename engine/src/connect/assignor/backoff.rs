//! `org.apache.kafka.common.utils.ExponentialBackoff` as the assignor builds it: the delay before
//! another load-balancing revocation when rebalances keep revoking
//! (`new ExponentialBackoff(maxDelay == 0 ? 0 : 1, 40, maxDelay, 0)`): 40 ms, 1.6 s, 64 s, then
//! `scheduled.rebalance.max.delay.ms`. With no jitter the random factor is exactly 1.

/// `ExponentialBackoff` with `jitter = 0`.
#[derive(Debug, Clone)]
pub(crate) struct ExponentialBackoff {
    initial_interval: i64,
    multiplier: i32,
    max_interval: i64,
    exp_max: f64,
}

impl ExponentialBackoff {
    /// The constructor. `expMax` compares against the *argument* `initialInterval` (the Java
    /// parameter shadows the field), not the field clamped to `maxInterval`.
    pub(crate) fn new(initial_interval: i64, multiplier: i32, max_interval: i64) -> Self {
        let exp_max = if max_interval > initial_interval {
            (max_interval as f64 / initial_interval.max(1) as f64).ln() / f64::from(multiplier).ln()
        } else {
            0.0
        };
        ExponentialBackoff {
            initial_interval: max_interval.min(initial_interval),
            multiplier,
            max_interval,
            exp_max,
        }
    }

    /// `backoff(attempts)`: `initialInterval * multiplier ^ min(attempts, expMax)`, truncated,
    /// at most `maxInterval`. (Java's `Math.log`/`Math.pow` may differ from Rust's by an ulp,
    /// which can move the capped value by 1 ms.)
    pub(crate) fn backoff(&self, attempts: i64) -> i64 {
        if self.exp_max == 0.0 {
            return self.initial_interval;
        }
        let exp = (attempts as f64).min(self.exp_max);
        let term = self.initial_interval as f64 * f64::from(self.multiplier).powf(exp);
        (term as i64).min(self.max_interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connects_revocation_backoff_grows_by_forty_up_to_the_max_delay() {
        let backoff = ExponentialBackoff::new(1, 40, 300_000);
        assert_eq!(backoff.backoff(1), 40);
        assert_eq!(backoff.backoff(2), 1_600);
        assert_eq!(backoff.backoff(3), 64_000);
        assert!((299_999..=300_000).contains(&backoff.backoff(4)));
        assert!((299_999..=300_000).contains(&backoff.backoff(40)));
        // scheduled.rebalance.max.delay.ms = 1 and = 0: constant.
        assert_eq!(ExponentialBackoff::new(1, 40, 1).backoff(7), 1);
        assert_eq!(ExponentialBackoff::new(0, 40, 0).backoff(7), 0);
    }
}
