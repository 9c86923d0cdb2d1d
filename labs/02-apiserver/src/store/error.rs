//! The error type of the storage layer: every way a read, a write or a watch can be refused.
//!
//! Both backends return these same variants, so the API server above them maps each one to an
//! HTTP answer without knowing which store it runs on (step 2 does that mapping):
//!
//! | variant                    | HTTP answer the apiserver will give          |
//! | -------------------------- | -------------------------------------------- |
//! | `NotFound`                 | 404 Not Found                                |
//! | `AlreadyExists`            | 409 Conflict, reason `AlreadyExists`         |
//! | `Conflict`                 | 409 Conflict, reason `Conflict`              |
//! | `Compacted`, `WatcherTooSlow` | 410 Gone ("too old resource version")     |
//! | `FutureRevision`           | 504 Timeout ("too large resource version")   |
//! | `Unavailable`, `Unexpected`| 503 / 500                                    |
//!
//! Messages are one lowercase line that says what happened and, where the caller can act, what
//! to do. A cause from the etcd client is kept as the error's `source`, not repeated in the text.

/// A `Result` whose error defaults to the store's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a [`Store`](super::Store) operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The key does not exist (or no longer exists): update and delete need an existing key.
    #[error("key {key} not found")]
    NotFound {
        /// The key that was asked for.
        key: String,
    },

    /// `create` found the key already there. Creating never overwrites.
    #[error("key {key} already exists")]
    AlreadyExists {
        /// The key that was asked for.
        key: String,
    },

    /// Optimistic concurrency said no: the key changed since the caller read it. The caller
    /// reads it again, re-applies its change and retries (that is what `kubectl` and every
    /// controller do on a 409).
    #[error(
        "key {key} was modified: expected mod_revision {expected}, found {actual}; read it again and retry"
    )]
    Conflict {
        /// The key that was asked for.
        key: String,
        /// The `mod_revision` the caller based its change on.
        expected: i64,
        /// The `mod_revision` the key has now.
        actual: i64,
    },

    /// The revision asked for is older than the oldest revision the store still keeps: its
    /// history was compacted away. A read at it or a watch from it cannot be answered; the
    /// caller lists again (at the current revision) and watches from there. The apiserver
    /// turns this into `410 Gone`.
    #[error(
        "revision {requested} has been compacted (the oldest revision kept is {compacted_revision}); list again and watch from the new revision"
    )]
    Compacted {
        /// The revision the caller asked for.
        requested: i64,
        /// The store's compaction revision: reads at it or later still work.
        compacted_revision: i64,
    },

    /// The revision asked for has not happened yet.
    #[error("revision {requested} is in the future (the current revision is {current})")]
    FutureRevision {
        /// The revision the caller asked for.
        requested: i64,
        /// The store's current revision.
        current: i64,
    },

    /// An embedded-store watcher did not read its events fast enough: its buffer of
    /// `buffer` events filled up and the store ended it rather than let it hold anyone up. The
    /// watcher starts again from the last revision it saw (or lists again if that is gone),
    /// which is what the real apiserver's watch cache asks of a slow client too.
    #[error(
        "watcher fell {buffer} events behind and was closed; watch again from the last revision seen, or list again"
    )]
    WatcherTooSlow {
        /// How many unread events the watcher was allowed.
        buffer: usize,
    },

    /// The backend cannot be reached or did not answer in time. Nothing was changed that the
    /// caller knows of; retrying later is safe for reads (writes should re-read first).
    #[error("storage unavailable: {message}")]
    Unavailable {
        /// What was being attempted, and how long we waited.
        message: String,
        /// The client library's error, when there is one.
        #[source]
        source: Option<etcd_client::Error>,
    },

    /// The backend answered something this code does not understand (a key that is not
    /// UTF-8, a response without a header): a bug or a foreign writer, never bad user input.
    #[error("unexpected answer from the store: {0}")]
    Unexpected(String),
}

impl Error {
    /// True for the errors that mean "your revision is too old": the apiserver answers both
    /// with 410 Gone, and an informer answers both by listing again.
    pub fn is_gone(&self) -> bool {
        matches!(self, Error::Compacted { .. } | Error::WatcherTooSlow { .. })
    }
}
