//! The embedded store: an in-memory, multi-version key-value store with watch, shaped like etcd.
//!
//! It is the default backend, so the API server runs with nothing else installed, and it is the
//! heart of step 1: you write its write path, its reads at a revision, its watch and its
//! compaction. The pieces:
//!
//! - `state`: the data (global revision, keys, history, watchers) and every operation on it;
//! - `versions`: the versions of one key, what makes reads at an old revision possible;
//! - `watchers`: delivering each event to every watcher without ever waiting for one.
//!
//! [`MemStore`] itself is only the handle: a `std::sync::Mutex` around the state, and the async
//! [`Store`] methods that lock it, do one operation and unlock.
//!
//! **Why a `std` mutex in async code?** Every critical section here is short (a map lookup, a
//! push, a few `try_send`s) and never awaits, so the lock is held for microseconds and never
//! across a suspension point. A blocking mutex is then the right tool, and cheaper than
//! `tokio::sync::Mutex`, whose only advantage is that it may be held across an `.await`, which
//! we never want: a writer must not wait for a watcher. (mini-redis's `Db` makes the same
//! choice, for the same reasons.) Anything that may wait, such as a watcher reading its
//! events, happens outside the lock, on the watcher's own channel.

mod state;
mod versions;
mod watchers;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use self::state::State;
use crate::store::{KeyValue, ListOptions, ListResult, Result, Store, Watch};

/// How much the embedded store remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// How many events (one per revision) are kept for watches and reads at old revisions.
    /// When a write would keep more, the oldest revisions are compacted away. The real
    /// apiserver compacts etcd every 5 minutes; a count is easier to reason about in tests.
    pub history_limit: usize,
    /// How many undelivered events each watcher may have before it is ended with
    /// [`Error::WatcherTooSlow`](crate::store::Error::WatcherTooSlow).
    pub watch_buffer: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            history_limit: 10_000,
            watch_buffer: 1_000,
        }
    }
}

/// A handle to one embedded store. Clones share the same store.
#[derive(Debug, Clone)]
pub struct MemStore {
    /// The state, shared by every clone. See the module docs for why a `std` mutex.
    state: Arc<Mutex<State>>,
}

impl Default for MemStore {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl MemStore {
    /// An empty store (at revision 1) with the given limits.
    pub fn new(config: Config) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new(
                config.history_limit,
                config.watch_buffer,
            ))),
        }
    }

    /// How many watchers are registered right now. A dropped or ended watcher is removed at
    /// the next write.
    pub fn watcher_count(&self) -> usize {
        self.lock().watcher_count()
    }

    /// Locks the state. A poisoned lock means some earlier operation panicked half-way (a bug,
    /// or a `todo!()` not yet written); we keep serving from the state as it is, rather than
    /// turn one panic into a panic in every request after it.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// Each method takes the lock for exactly one operation. None of them awaits while holding it
// (the guard is a temporary dropped at the end of the statement), so the futures stay `Send`.
impl Store for MemStore {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        Ok(self.lock().get(key))
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult> {
        self.lock().list(prefix, &options)
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        self.lock().create(key, value)
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Option<i64>,
    ) -> Result<KeyValue> {
        self.lock().update(key, value, expected_mod_revision)
    }

    async fn delete(&self, key: &str, expected_mod_revision: Option<i64>) -> Result<KeyValue> {
        self.lock().delete(key, expected_mod_revision)
    }

    async fn watch(&self, prefix: &str, from_revision: i64) -> Result<Watch> {
        // A negative revision means nothing more than 0 does: "from the start of history".
        self.lock().watch(prefix, from_revision.max(0))
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        self.lock().compact(revision)
    }

    async fn current_revision(&self) -> Result<i64> {
        Ok(self.lock().revision())
    }
}
