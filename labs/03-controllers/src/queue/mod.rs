//! The work queue between a controller's event handlers and its workers.
//!
//! Event handlers must be fast and must never fail, so they do no work: they put the *key* of
//! the object that needs attention (`namespace/name`) on this queue. Workers take keys off it
//! and sync them. The queue (client-go's `workqueue`) promises three things:
//!
//! - **Deduplication**: a key is on the queue at most once. Ten changes to one ReplicaSet before
//!   a worker gets to it mean one sync, which reads the newest state from the cache anyway.
//! - **One worker per key**: a key being processed is not handed to another worker. If it is
//!   added again meanwhile, it is marked *dirty* and queued once when the first worker calls
//!   [`WorkQueue::done`], so that change is not lost and two workers never race on one object.
//! - **Rate-limited retries**: a failed key comes back after a per-key delay that doubles
//!   ([`rate_limit`]), until a success forgets it.
//!
//! ```text
//!   add ──> dirty? ──no──> processing? ──no──> queue ──get──> processing ──done──> (dirty? requeue)
//!            │yes: drop        │yes: stays dirty, requeued by done
//!   add_after / add_rate_limited ──> waiting (until its time on the clock) ──> add
//! ```
//!
//! Time is read through a [`Clock`], so tests move a `FakeClock` and call [`WorkQueue::try_get`]
//! to check delays exactly, without waiting for them.

pub mod rate_limit;
mod workers;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use labkit::Clock;
use tokio::sync::Notify;

pub use self::rate_limit::RateLimiter;
pub use self::workers::{process_next, run_workers};

/// A deduplicating, rate-limited work queue of object keys, shared by a controller's event
/// handlers (which add) and its workers (which get and mark done).
pub struct WorkQueue {
    // A std Mutex: no critical section awaits anything.
    state: Mutex<State>,
    // Wakes the workers waiting in `get` when a key becomes ready or the queue shuts down.
    wake: Notify,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for WorkQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkQueue")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

// ANCHOR: state
/// The queue's bookkeeping, always changed under one lock.
#[derive(Debug, Default)]
struct State {
    /// Keys ready to be handed out, in order.
    queue: VecDeque<String>,
    /// Keys that need processing: every key in `queue`, plus keys added again while being
    /// processed (they go back on `queue` at `done`).
    dirty: HashSet<String>,
    /// Keys a worker holds right now (between `get` and `done`).
    processing: HashSet<String>,
    /// Keys to add later, with the instant they are due.
    waiting: HashMap<String, Instant>,
    /// The failure counts behind `add_rate_limited`.
    limiter: RateLimiter,
    /// Set by `shut_down`: no more adds; `get` drains what is queued, then says stop.
    shutting_down: bool,
}
// ANCHOR_END: state

impl State {
    // ANCHOR: add
    /// Marks `key` as needing processing. Returns whether it went on the queue (so a waiting
    /// worker should be woken).
    fn add(&mut self, key: &str) -> bool {
        // BEGIN SOLUTION step-1: ignore it when shutting down or already dirty; mark it dirty; queue it unless a worker is processing it
        if self.shutting_down || self.dirty.contains(key) {
            return false;
        }
        self.dirty.insert(key.to_owned());
        // A worker holds it: `done` will queue it again, so no second worker gets it meanwhile.
        if self.processing.contains(key) {
            return false;
        }
        self.queue.push_back(key.to_owned());
        true
        // END SOLUTION
    }
    // ANCHOR_END: add

    // ANCHOR: take
    /// Hands out the next key, if any: it moves from queued to being processed.
    fn take(&mut self) -> Option<String> {
        // BEGIN SOLUTION step-1: pop the front key; it is now processing and no longer dirty
        let key = self.queue.pop_front()?;
        self.processing.insert(key.clone());
        // Clean again: an add from now on marks it dirty and brings it back after `done`.
        self.dirty.remove(&key);
        Some(key)
        // END SOLUTION
    }
    // ANCHOR_END: take

    // ANCHOR: done
    /// A worker finished `key`. Returns whether it went back on the queue (it was added again
    /// while being processed).
    fn done(&mut self, key: &str) -> bool {
        // BEGIN SOLUTION step-1: no longer processing; if it became dirty meanwhile, queue it again
        self.processing.remove(key);
        if self.dirty.contains(key) {
            self.queue.push_back(key.to_owned());
            return true;
        }
        false
        // END SOLUTION
    }
    // ANCHOR_END: done

    /// Schedules `key` to be added at `due`; a key already waiting keeps the earlier time.
    fn add_at(&mut self, key: &str, due: Instant) {
        if self.shutting_down {
            return;
        }
        self.waiting
            .entry(key.to_owned())
            .and_modify(|when| *when = (*when).min(due))
            .or_insert(due);
    }

    /// Adds the waiting keys that are due at `now`. Returns whether any went on the queue.
    fn promote(&mut self, now: Instant) -> bool {
        let due: Vec<String> = self
            .waiting
            .iter()
            .filter(|(_, when)| **when <= now)
            .map(|(key, _)| key.clone())
            .collect();
        let mut queued = false;
        for key in due {
            self.waiting.remove(&key);
            queued |= self.add(&key);
        }
        queued
    }

    /// When the next waiting key is due.
    fn next_due(&self) -> Option<Instant> {
        self.waiting.values().min().copied()
    }
}

impl WorkQueue {
    /// An empty queue with client-go's default retry delays (5 ms doubling to 1000 s).
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        WorkQueue::with_rate_limiter(clock, RateLimiter::default())
    }

    /// An empty queue with the given retry delays.
    pub fn with_rate_limiter(clock: Arc<dyn Clock>, limiter: RateLimiter) -> Self {
        WorkQueue {
            state: Mutex::new(State {
                limiter,
                ..State::default()
            }),
            wake: Notify::new(),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves consistent sets behind: keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `key` (`namespace/name`), unless it is already queued; see the module doc.
    pub fn add(&self, key: &str) {
        if self.lock().add(key) {
            self.wake.notify_waiters();
        }
    }

    /// Adds `key` once `delay` has passed on the clock (at once for a zero delay).
    pub fn add_after(&self, key: &str, delay: Duration) {
        if delay.is_zero() {
            return self.add(key);
        }
        let due = self.clock.now() + delay;
        self.lock().add_at(key, due);
        // A worker sleeping until a later key is due must recompute its wake-up time.
        self.wake.notify_waiters();
    }

    /// Adds `key` after its next back-off delay: how a worker retries a failed sync.
    pub fn add_rate_limited(&self, key: &str) {
        let delay = self.lock().limiter.when(key);
        self.add_after(key, delay);
    }

    /// Forgets the failures of `key` (its sync succeeded): its next retry waits the base delay.
    pub fn forget(&self, key: &str) {
        self.lock().limiter.forget(key);
    }

    /// How many times `key` was retried since it was last forgotten.
    pub fn num_requeues(&self, key: &str) -> u32 {
        self.lock().limiter.failures(key)
    }

    /// The next ready key without waiting (due delayed keys count as ready), or `None`.
    pub fn try_get(&self) -> Option<String> {
        let mut state = self.lock();
        state.promote(self.clock.now());
        state.take()
    }

    /// Waits for the next ready key. `None` once the queue is shut down and drained: the worker
    /// should stop.
    pub async fn get(&self) -> Option<String> {
        loop {
            // Register for a wake-up *before* looking, so an add between the look and the wait
            // is not missed.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next_due = {
                let mut state = self.lock();
                state.promote(self.clock.now());
                if let Some(key) = state.take() {
                    return Some(key);
                }
                if state.shutting_down {
                    return None;
                }
                state.next_due()
            };
            match next_due {
                Some(due) => {
                    let wait = due.saturating_duration_since(self.clock.now());
                    tokio::select! {
                        () = &mut notified => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    /// Marks `key` as finished by its worker; see the module doc.
    pub fn done(&self, key: &str) {
        if self.lock().done(key) {
            self.wake.notify_waiters();
        }
    }

    /// Stops the queue: adds are ignored, waiting keys dropped, and `get` returns the keys
    /// still queued, then `None`.
    pub fn shut_down(&self) {
        let mut state = self.lock();
        state.shutting_down = true;
        state.waiting.clear();
        drop(state);
        self.wake.notify_waiters();
    }

    /// How many keys are ready to be handed out.
    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// Whether no key is ready to be handed out.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
