//! The versions of one key: what makes the embedded store *multi-version* (MVCC).
//!
//! A plain map keeps one value per key, so it can only answer "what is the value now?". The API
//! server also needs "what was the value at revision 42?": a paged list reads every page at
//! the revision of the first one, and a client that listed at 42 expects the same answer when it
//! asks again. So each key keeps a short list of versions, oldest first, each stamped with the
//! revision that wrote it. A delete is a version too (a *tombstone*): at revisions after it, the
//! key does not exist; at revisions before it, it still does.
//!
//! ```text
//! /registry/pods/default/web   rev 5: v1 (created)   rev 9: v2   rev 12: deleted
//! read at 4  -> nothing           read at 5..8 -> v1   read at 9..11 -> v2   read at 12.. -> nothing
//! ```
//!
//! Versions are dropped by compaction ([`KeyHistory::prune`]): once no read may ask for a
//! revision older than the compaction revision, only the newest version at or before it (and
//! the ones after it) can still be seen.

use bytes::Bytes;

use crate::store::{Event, KeyValue};

/// One version of a key.
#[derive(Debug, Clone)]
struct Version {
    /// The revision of the write that made this version.
    mod_revision: i64,
    /// The revision that created the key this version belongs to.
    create_revision: i64,
    /// The value, or `None` for a tombstone: the key was deleted at `mod_revision`.
    value: Option<Bytes>,
}

/// The kept versions of one key, oldest first. Revisions only grow, so the list is sorted by
/// `mod_revision` and can be binary-searched.
#[derive(Debug, Default)]
pub(super) struct KeyHistory {
    versions: Vec<Version>,
}

impl KeyHistory {
    /// The key as it was at `revision`: its newest version written at or before `revision`,
    /// or `None` if there is none or that version is a tombstone.
    pub(super) fn at(&self, key: &str, revision: i64) -> Option<KeyValue> {
        // `partition_point` finds the first version newer than `revision`; the one before it is
        // the version a reader at `revision` sees.
        let newer = self
            .versions
            .partition_point(|version| version.mod_revision <= revision);
        let version = self.versions.get(newer.checked_sub(1)?)?;
        let value = version.value.clone()?;
        Some(KeyValue {
            key: key.to_owned(),
            value,
            create_revision: version.create_revision,
            mod_revision: version.mod_revision,
        })
    }

    /// The key as it is now, or `None` if it does not exist (never written, or deleted).
    pub(super) fn latest(&self, key: &str) -> Option<KeyValue> {
        self.at(key, i64::MAX)
    }

    /// Appends the version that `event` (the newest write to this key) created.
    pub(super) fn record(&mut self, event: &Event) {
        let version = match event {
            Event::Put { kv, .. } => Version {
                mod_revision: kv.mod_revision,
                create_revision: kv.create_revision,
                value: Some(kv.value.clone()),
            },
            Event::Delete { prev, revision, .. } => Version {
                mod_revision: *revision,
                create_revision: prev.create_revision,
                value: None,
            },
        };
        self.versions.push(version);
    }

    /// Drops the versions no read at `compacted` or later can see, and returns true when
    /// nothing is left (the caller then removes the key from the map).
    ///
    /// Kept: every version newer than `compacted`, and the newest one at or before it, which
    /// is what a read at exactly `compacted` returns. If that one is a tombstone, it goes too:
    /// a tombstone and "no version at all" read the same.
    pub(super) fn prune(&mut self, compacted: i64) -> bool {
        let newer = self
            .versions
            .partition_point(|version| version.mod_revision <= compacted);
        self.versions.drain(..newer.saturating_sub(1));
        let first_is_old_tombstone = self
            .versions
            .first()
            .is_some_and(|version| version.mod_revision <= compacted && version.value.is_none());
        if first_is_old_tombstone {
            self.versions.remove(0);
        }
        self.versions.is_empty()
    }
}

#[cfg(test)]
mod tests;
