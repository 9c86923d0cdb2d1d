//! Waiting for a condition the honest way: poll it, with a deadline.
//!
//! A test that sleeps "long enough" is slow on a fast machine and flaky on a slow one. Polling
//! returns as soon as the condition holds and fails with a message naming what never happened.

use std::time::{Duration, Instant};

/// Calls `check` until it returns `Some`, and returns that value.
///
/// Panics (failing the test) with `timed out after ... waiting for <what>` when `timeout` passes
/// first. The pause between checks starts at 1 ms and doubles up to 50 ms, so a condition that is
/// true quickly costs almost nothing and a slow one does not burn a core.
#[track_caller]
pub fn poll_until<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
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
