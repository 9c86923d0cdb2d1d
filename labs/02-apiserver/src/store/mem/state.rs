//! The embedded store's data and every operation on it, run under one lock.
//!
//! Four things make up the state, and every write updates all of them in one critical section,
//! which is what makes the store consistent without any cleverness:
//!
//! ```text
//! revision: 7                     one global counter; each write takes the next number
//! compacted: 3                    reads below 3 and watches from below 2 answer Compacted
//! keys (BTreeMap, sorted):        per key, its versions (see versions.rs)
//!   /registry/pods/a/web   [rev 3: v1] [rev 6: v2]
//!   /registry/pods/b/db    [rev 4: v1] [rev 7: deleted]
//! history (VecDeque):             one event per revision, oldest first, bounded
//!   [3 Put web] [4 Put db] [5 Put x] [6 Put web] [7 Delete db]
//! watchers:                       each with its prefix and bounded channel (see watchers.rs)
//! ```
//!
//! Nothing here awaits or does I/O, so it is plain synchronous Rust; [`super::MemStore`] wraps
//! it in a mutex and the async [`Store`](crate::store::Store) methods.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

use bytes::Bytes;

use super::versions::KeyHistory;
use super::watchers::Watchers;
use crate::store::{Error, Event, KeyValue, ListOptions, ListResult, Result, Watch};

/// A write that passed its checks and is about to be given a revision.
#[derive(Debug)]
pub(super) enum Write {
    /// Create (`prev` is `None`) or update (`prev` is the current pair) the key.
    Put {
        /// The pair being replaced, if any.
        prev: Option<KeyValue>,
        /// The new value.
        value: Bytes,
    },
    /// Delete the key, whose current pair is `prev`.
    Delete {
        /// The pair being deleted.
        prev: KeyValue,
    },
}

/// Everything the embedded store knows. See the module docs for a picture.
#[derive(Debug)]
pub(super) struct State {
    /// The revision of the latest write. Starts at 1, as an empty etcd does.
    revision: i64,
    /// The compaction revision: reads at a revision below it are refused.
    compacted: i64,
    /// Every key that has a kept version, sorted so a prefix is a contiguous range.
    keys: BTreeMap<String, KeyHistory>,
    /// The events of the kept revisions, oldest first: what a watch from an old revision
    /// replays.
    history: VecDeque<Event>,
    /// At most this many events are kept; older ones are compacted away automatically.
    history_limit: usize,
    /// The registered watchers.
    watchers: Watchers,
}

impl State {
    /// An empty store at revision 1 that keeps `history_limit` events and lets each watcher
    /// fall `watch_buffer` events behind.
    pub(super) fn new(history_limit: usize, watch_buffer: usize) -> Self {
        Self {
            revision: 1,
            compacted: 0,
            keys: BTreeMap::new(),
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            watchers: Watchers::new(watch_buffer),
        }
    }

    /// The revision of the latest write.
    pub(super) fn revision(&self) -> i64 {
        self.revision
    }

    /// How many watchers are registered.
    pub(super) fn watcher_count(&self) -> usize {
        self.watchers.len()
    }

    /// The current pair of `key`, if it exists.
    pub(super) fn get(&self, key: &str) -> Option<KeyValue> {
        self.keys.get(key).and_then(|versions| versions.latest(key))
    }

    /// Creates `key`, refusing to overwrite.
    pub(super) fn create(&mut self, key: &str, value: Bytes) -> Result<KeyValue> {
        if self.get(key).is_some() {
            return Err(Error::AlreadyExists {
                key: key.to_owned(),
            });
        }
        match self.commit(key, Write::Put { prev: None, value }) {
            Event::Put { kv, .. } => Ok(kv),
            Event::Delete { .. } => Err(Error::Unexpected("a create recorded a delete".into())),
        }
    }

    /// Updates an existing `key`, if its `mod_revision` is still `expected` (when given).
    pub(super) fn update(
        &mut self,
        key: &str,
        value: Bytes,
        expected: Option<i64>,
    ) -> Result<KeyValue> {
        let current = self.existing(key, expected)?;
        match self.commit(
            key,
            Write::Put {
                prev: Some(current),
                value,
            },
        ) {
            Event::Put { kv, .. } => Ok(kv),
            Event::Delete { .. } => Err(Error::Unexpected("an update recorded a delete".into())),
        }
    }

    /// Deletes an existing `key`, with the same check as `update`; returns its last pair.
    pub(super) fn delete(&mut self, key: &str, expected: Option<i64>) -> Result<KeyValue> {
        let current = self.existing(key, expected)?;
        self.commit(
            key,
            Write::Delete {
                prev: current.clone(),
            },
        );
        Ok(current)
    }

    /// The current pair of `key`, or `NotFound`; `Conflict` when `expected` is given and is not
    /// its `mod_revision`. This check and the commit that follows run under the same lock, so
    /// no other write can slip in between: that is what makes the compare-and-swap atomic.
    fn existing(&self, key: &str, expected: Option<i64>) -> Result<KeyValue> {
        let current = self.get(key).ok_or_else(|| Error::NotFound {
            key: key.to_owned(),
        })?;
        match expected {
            Some(expected) if expected != current.mod_revision => Err(Error::Conflict {
                key: key.to_owned(),
                expected,
                actual: current.mod_revision,
            }),
            _ => Ok(current),
        }
    }

    // ANCHOR: commit
    /// Applies one checked write: gives it the next revision, records the key's new version,
    /// appends the event to the bounded history and offers it to the watchers. Returns the
    /// event.
    fn commit(&mut self, key: &str, write: Write) -> Event {
        // BEGIN SOLUTION step-1: give a write the next global revision, record the version, append the event to the bounded history, notify watchers
        // One global counter: this is what orders every write in the cluster.
        self.revision += 1;
        let revision = self.revision;
        let event = match write {
            // An update keeps the key's create_revision; a create starts a new life at this
            // revision (even if the key existed once before and was deleted).
            Write::Put { prev, value } => {
                let create_revision = prev.as_ref().map_or(revision, |prev| prev.create_revision);
                let kv = KeyValue {
                    key: key.to_owned(),
                    value,
                    create_revision,
                    mod_revision: revision,
                };
                Event::Put { kv, prev }
            }
            Write::Delete { prev } => Event::Delete {
                key: key.to_owned(),
                prev,
                revision,
            },
        };
        self.keys.entry(key.to_owned()).or_default().record(&event);
        self.history.push_back(event.clone());
        // The history is bounded: past the limit, the oldest events are compacted away, and
        // so are the versions only a read at those old revisions could see.
        if self.history.len() > self.history_limit {
            let oldest_kept = self.history[self.history.len() - self.history_limit].revision();
            self.forget_before(oldest_kept);
        }
        self.watchers.notify(&event);
        event
        // END SOLUTION
    }
    // ANCHOR_END: commit

    /// Resolves the revision a read asks for: `None` or 0 is the latest; anything else must
    /// be kept (not compacted) and must have happened.
    fn readable_revision(&self, requested: Option<i64>) -> Result<i64> {
        match requested {
            None | Some(..=0) => Ok(self.revision),
            Some(revision) if revision < self.compacted => Err(Error::Compacted {
                requested: revision,
                compacted_revision: self.compacted,
            }),
            Some(revision) if revision > self.revision => Err(Error::FutureRevision {
                requested: revision,
                current: self.revision,
            }),
            Some(revision) => Ok(revision),
        }
    }

    // ANCHOR: list
    /// One page of the keys under `prefix` as they were at `options.revision`.
    pub(super) fn list(&self, prefix: &str, options: &ListOptions) -> Result<ListResult> {
        // BEGIN SOLUTION step-1: read the keys under a prefix as they were at a revision, one page at a time
        let revision = self.readable_revision(options.revision)?;
        // The map is sorted, so the keys under a prefix are one contiguous range: start at the
        // prefix itself, or just after the previous page's last key, and stop at the first key
        // that no longer has the prefix.
        let start = match options.start_after.as_deref() {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        // A limit of 0 means "no limit", as in etcd and in Kubernetes' `?limit=0`.
        let limit = options
            .limit
            .filter(|limit| *limit > 0)
            .unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut more = false;
        for (key, versions) in self.keys.range::<str, _>((start, Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break;
            }
            // The key as it was at `revision`: absent if it was created later or deleted by then.
            let Some(kv) = versions.at(key, revision) else {
                continue;
            };
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(kv);
        }
        Ok(ListResult {
            items,
            revision,
            more,
        })
        // END SOLUTION
    }
    // ANCHOR_END: list

    // ANCHOR: watch
    /// Starts a watch on `prefix` from `from_revision`: the kept events after it, then the
    /// live ones.
    pub(super) fn watch(&mut self, prefix: &str, from_revision: i64) -> Result<Watch> {
        // BEGIN SOLUTION step-1: check the events after from_revision are still kept, replay them from the history, then register for live events
        // Every event after `from_revision` must still be in the history. The history holds
        // every revision from `compacted` on, so the first one needed, from_revision + 1,
        // must not be older than that.
        if from_revision + 1 < self.compacted {
            return Err(Error::Compacted {
                requested: from_revision,
                compacted_revision: self.compacted,
            });
        }
        // The history is sorted by revision: find the first event after `from_revision` by
        // binary search, and copy the ones under the prefix from there on.
        let first = self
            .history
            .partition_point(|event| event.revision() <= from_revision);
        let backlog = self
            .history
            .range(first..)
            .filter(|event| event.key().starts_with(prefix))
            .cloned()
            .collect();
        // Registered under the same lock as the copy: the next write (the first live event)
        // cannot happen in between, so nothing is missed and nothing is sent twice.
        let live = self.watchers.add(prefix, from_revision);
        Ok(Watch::new(backlog, live))
        // END SOLUTION
    }
    // ANCHOR_END: watch

    /// Compacts explicitly: forgets everything older than `revision`.
    pub(super) fn compact(&mut self, revision: i64) -> Result<()> {
        // As in etcd: compacting to a revision that is already compacted is an error (so two
        // compactors notice each other), and so is a revision that has not happened yet.
        if revision <= self.compacted {
            return Err(Error::Compacted {
                requested: revision,
                compacted_revision: self.compacted,
            });
        }
        if revision > self.revision {
            return Err(Error::FutureRevision {
                requested: revision,
                current: self.revision,
            });
        }
        self.forget_before(revision);
        tracing::debug!(revision, "compacted the embedded store");
        Ok(())
    }

    // ANCHOR: forget_before
    /// Moves the compaction revision up to `revision`: drops the events before it and the
    /// versions that no read at `revision` or later can see.
    fn forget_before(&mut self, revision: i64) {
        // BEGIN SOLUTION step-1: compact: raise the compaction revision, drop older events and prune the versions of their keys
        self.compacted = revision;
        // Every version of every key was written by one event. So the keys that may have
        // versions to drop are exactly the keys of the events being dropped: prune those, and
        // the store never has to scan all its keys.
        while self
            .history
            .front()
            .is_some_and(|event| event.revision() < revision)
        {
            let Some(event) = self.history.pop_front() else {
                break;
            };
            let key = event.key();
            let now_empty = self
                .keys
                .get_mut(key)
                .is_some_and(|versions| versions.prune(revision));
            if now_empty {
                self.keys.remove(key);
            }
        }
        // END SOLUTION
    }
    // ANCHOR_END: forget_before
}
