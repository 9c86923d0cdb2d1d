//! The per-item exponential back-off of a work queue's retries.
//!
//! A key whose sync failed goes back on the queue, but not at once: a controller that retried a
//! broken object in a tight loop would hammer the apiserver. client-go's default controller rate
//! limiter (`workqueue.DefaultTypedControllerRateLimiter`) waits, per key,
//!
//! ```text
//! failure #1: 5 ms   #2: 10 ms   #3: 20 ms   ...   doubling up to 1000 s
//! ```
//!
//! and a key whose sync succeeds is *forgotten*: its next failure starts again at 5 ms. (Upstream
//! also takes the larger of this delay and an overall token bucket of 10 retries/s with bursts
//! of 100; one controller-manager on a laptop does not need that second limit.)

use std::collections::HashMap;
use std::time::Duration;

/// The first retry delay (client-go: 5 ms).
pub const BASE_DELAY: Duration = Duration::from_millis(5);
/// The longest retry delay (client-go: 1000 s).
pub const MAX_DELAY: Duration = Duration::from_secs(1000);

/// Counts the failures of each key and turns them into delays
/// (`ItemExponentialFailureRateLimiter`).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    base: Duration,
    max: Duration,
    failures: HashMap<String, u32>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(BASE_DELAY, MAX_DELAY)
    }
}

impl RateLimiter {
    /// A limiter whose delays start at `base` and double up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        RateLimiter {
            base,
            max,
            failures: HashMap::new(),
        }
    }

    // ANCHOR: when
    /// Records one more failure of `key` and returns how long it must wait before its retry:
    /// `base * 2^(failures before this one)`, at most `max`.
    pub fn when(&mut self, key: &str) -> Duration {
        // BEGIN SOLUTION step-1: count this failure; the delay is base * 2^(earlier failures), capped at max (no overflow)
        let failures = self.failures.entry(key.to_owned()).or_insert(0);
        let exponent = *failures;
        *failures = failures.saturating_add(1);
        // 2^31 * 5 ms is far past any sane maximum: stop doubling before the multiplication
        // could overflow.
        if exponent >= 31 {
            return self.max;
        }
        self.base
            .checked_mul(1u32 << exponent)
            .map_or(self.max, |delay| delay.min(self.max))
        // END SOLUTION
    }
    // ANCHOR_END: when

    /// Forgets the failures of `key` (its sync succeeded): its next delay is `base` again.
    pub fn forget(&mut self, key: &str) {
        self.failures.remove(key);
    }

    /// How many times `key` failed since it was last forgotten.
    pub fn failures(&self, key: &str) -> u32 {
        self.failures.get(key).copied().unwrap_or(0)
    }
}
