//! Time as a dependency: a real clock for running code, a fake one for tests.
//!
//! Kubernetes is full of timing rules (back-off 10 s doubling to 5 min, probe periods, lease
//! durations). Code that reads the time through [`Clock`] can be tested by advancing a
//! [`FakeClock`] by five minutes in a microsecond, deterministically.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// A source of time: monotonic for durations, wall-clock for timestamps in API objects.
pub trait Clock: Send + Sync {
    /// Monotonic time, for measuring durations and deadlines.
    fn now(&self) -> Instant;
    /// Wall-clock time, for timestamps such as `creationTimestamp`.
    fn wall(&self) -> SystemTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when the test says so. Clones share the same time.
#[derive(Debug, Clone)]
pub struct FakeClock {
    // A std Mutex, not an async one: the critical sections are a read or an add, never held
    // across an await.
    times: Arc<Mutex<(Instant, SystemTime)>>,
}

impl FakeClock {
    /// A fake clock whose wall time starts at `wall_start` (tests pick a fixed date so snapshots
    /// of timestamps are stable).
    pub fn new(wall_start: SystemTime) -> Self {
        Self {
            times: Arc::new(Mutex::new((Instant::now(), wall_start))),
        }
    }

    /// Moves both the monotonic and the wall time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut times = self.times.lock().unwrap_or_else(PoisonError::into_inner);
        times.0 += by;
        times.1 += by;
    }
}

impl Default for FakeClock {
    /// Starts at 2024-01-01T00:00:00Z.
    fn default() -> Self {
        Self::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200))
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.times.lock().unwrap_or_else(PoisonError::into_inner).0
    }

    fn wall(&self) -> SystemTime {
        self.times.lock().unwrap_or_else(PoisonError::into_inner).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_time_moves_only_when_advanced_and_clones_share_it() {
        let clock = FakeClock::default();
        let other = clock.clone();
        let (start, wall_start) = (clock.now(), clock.wall());
        assert_eq!(clock.now(), start);
        other.advance(Duration::from_secs(300));
        assert_eq!(clock.now() - start, Duration::from_secs(300));
        assert_eq!(
            clock.wall().duration_since(wall_start).unwrap(),
            Duration::from_secs(300)
        );
    }
}
