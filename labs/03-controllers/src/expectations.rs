//! Expectations: what a controller has just asked for and not yet seen in its cache.
//!
//! The cache lags behind the apiserver. A ReplicaSet sync that creates 3 pods and runs again a
//! millisecond later would still see the old pod count and create 3 more. So before writing,
//! the controller records "I expect 3 creations for `default/web`"; the pod informer's
//! handlers lower the count as the pods arrive; and a sync only manages replicas when the
//! expectations are *satisfied* (everything seen) or *expired* (5 minutes old: something was
//! lost, so trust the cache again). This is upstream's `ControllerExpectations`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use labkit::Clock;

/// How long expectations are trusted before a sync ignores them (upstream
/// `ExpectationsTimeout`: 5 minutes).
pub const EXPECTATIONS_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The pending creations and deletions of one controller object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    add: i64,
    del: i64,
    since: Instant,
}

/// Expectations of every object of one controller, by the controller object's key.
pub struct Expectations {
    pending: Mutex<HashMap<String, Pending>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Expectations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expectations")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl Expectations {
    /// No expectations yet.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Expectations {
            pending: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a sync of `key` may act on the cache: nothing is pending, the pending writes
    /// were all observed, or they are older than [`EXPECTATIONS_TIMEOUT`].
    pub fn satisfied(&self, key: &str) -> bool {
        match self.lock().get(key) {
            None => true,
            Some(pending) => {
                (pending.add <= 0 && pending.del <= 0)
                    || self.clock.now().duration_since(pending.since) > EXPECTATIONS_TIMEOUT
            }
        }
    }

    /// Records that a sync of `key` is about to create `add` and delete `del` objects
    /// (replacing what was recorded before: the sync saw a satisfied state).
    pub fn expect(&self, key: &str, add: usize, del: usize) {
        let pending = Pending {
            add: i64::try_from(add).unwrap_or(i64::MAX),
            del: i64::try_from(del).unwrap_or(i64::MAX),
            since: self.clock.now(),
        };
        self.lock().insert(key.to_owned(), pending);
    }

    /// Records `add` more creations and `del` more deletions for `key` on top of those still
    /// pending (upstream `RaiseExpectations`): how one sync that both creates and deletes
    /// (a DaemonSet's surge) records both. A record that is satisfied or expired starts again
    /// from zero, as [`Expectations::expect`] would.
    pub fn raise(&self, key: &str, add: usize, del: usize) {
        let now = self.clock.now();
        let add = i64::try_from(add).unwrap_or(i64::MAX);
        let del = i64::try_from(del).unwrap_or(i64::MAX);
        let mut pending = self.lock();
        let entry = pending.entry(key.to_owned()).or_insert(Pending {
            add: 0,
            del: 0,
            since: now,
        });
        let stale = (entry.add <= 0 && entry.del <= 0)
            || now.duration_since(entry.since) > EXPECTATIONS_TIMEOUT;
        if stale {
            entry.add = 0;
            entry.del = 0;
        }
        entry.add = entry.add.saturating_add(add);
        entry.del = entry.del.saturating_add(del);
        entry.since = now;
    }

    /// One creation for `key` was seen (or will never happen: it failed or was skipped).
    pub fn creation_observed(&self, key: &str) {
        if let Some(pending) = self.lock().get_mut(key) {
            pending.add -= 1;
        }
    }

    /// One deletion for `key` was seen (or will never happen).
    pub fn deletion_observed(&self, key: &str) {
        if let Some(pending) = self.lock().get_mut(key) {
            pending.del -= 1;
        }
    }

    /// Forgets `key` (its object was deleted).
    pub fn delete(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use labkit::FakeClock;

    use super::*;

    #[test]
    fn raise_adds_to_pending_writes_and_restarts_a_satisfied_or_expired_record() {
        let clock = FakeClock::default();
        let expectations = Expectations::new(Arc::new(clock.clone()));
        // One sync creates 1 pod and deletes 1: both are waited for.
        expectations.raise("ds", 1, 0);
        expectations.raise("ds", 0, 1);
        expectations.creation_observed("ds");
        assert!(!expectations.satisfied("ds"));
        expectations.deletion_observed("ds");
        assert!(expectations.satisfied("ds"));
        // Satisfied, even over-observed: the next raise starts from zero.
        expectations.deletion_observed("ds");
        expectations.raise("ds", 0, 1);
        assert!(!expectations.satisfied("ds"));
        // Expired: the lost write is forgotten, the new one counts alone.
        clock.advance(EXPECTATIONS_TIMEOUT + Duration::from_secs(1));
        expectations.raise("ds", 1, 0);
        expectations.creation_observed("ds");
        assert!(expectations.satisfied("ds"));
    }
}
