//! Waiting for a condition the honest way: poll it, with a deadline.
//!
//! A test that sleeps "long enough" is slow on a fast machine and flaky on a slow one. Polling
//! returns as soon as the condition holds and fails with a message naming what never happened.

use std::time::{Duration, Instant};

/// An environment variable that caps every [`poll_until`] timeout, in seconds.
///
/// `cargo xtask check-labs` sets it when it runs a step's tests with that step's solution
/// stripped out: those tests only have to fail (with the step's `todo!` message, printed when
/// the stripped code is reached), not wait out the full timeout meant for a loaded machine.
pub const WAIT_CAP_ENV: &str = "LABKIT_WAIT_CAP_SECS";

/// `timeout`, or less when [`WAIT_CAP_ENV`] sets a lower cap: for a wait a test hands to
/// another program (`kubectl rollout status --timeout=...`), so that it is capped too.
pub fn capped(timeout: Duration) -> Duration {
    capped_by(timeout, std::env::var(WAIT_CAP_ENV).ok().as_deref())
}

/// `timeout`, or `cap` seconds when that is a number and lower.
fn capped_by(timeout: Duration, cap: Option<&str>) -> Duration {
    cap.and_then(|secs| secs.trim().parse::<u64>().ok())
        .map_or(timeout, |cap| timeout.min(Duration::from_secs(cap)))
}

/// Calls `check` until it returns `Some`, and returns that value.
///
/// Panics (failing the test) with `timed out after ... waiting for <what>` when `timeout` passes
/// first ([`WAIT_CAP_ENV`] can shorten `timeout`). The pause between checks starts at 1 ms and doubles up to 50 ms, so a condition that is
/// true quickly costs almost nothing and a slow one does not burn a core.
#[track_caller]
pub fn poll_until<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let timeout = capped(timeout);
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(value) = check() {
            return value;
        }
        let now = Instant::now();
        if now >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        // Sleeping between polls is the one sanctioned sleep: it waits for the condition, with
        // the deadline above bounding the whole wait.
        #[allow(clippy::disallowed_methods)]
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_cap_only_ever_shortens_the_timeout() {
        let timeout = Duration::from_secs(30);
        assert_eq!(capped_by(timeout, Some("10")), Duration::from_secs(10));
        assert_eq!(capped_by(timeout, Some("60")), timeout);
        assert_eq!(capped_by(timeout, Some("soon")), timeout);
        assert_eq!(capped_by(timeout, None), timeout);
    }

    #[test]
    fn returns_the_value_once_the_condition_holds() {
        let calls = Cell::new(0);
        let value = poll_until(Duration::from_secs(5), "the third call", || {
            calls.set(calls.get() + 1);
            (calls.get() == 3).then_some("done")
        });
        assert_eq!((value, calls.get()), ("done", 3));
    }

    #[test]
    #[should_panic(expected = "waiting for something that never happens")]
    fn fails_with_what_it_waited_for() {
        poll_until(
            Duration::from_millis(10),
            "something that never happens",
            || None::<()>,
        );
    }
}
