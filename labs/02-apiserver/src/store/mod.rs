//! Storage: what the API server needs from a database, as one trait with two backends.
//!
//! Kubernetes keeps every object in etcd, a key-value store with two features that shape the
//! whole API: **revisions** (every write gets the next number of one global counter, and each
//! key remembers the revision that created it and the one that last modified it) and **watch**
//! (a client can ask for every change after a revision, in order). A resource's
//! `metadata.resourceVersion` is nothing but its key's `mod_revision`; optimistic concurrency
//! ("update only if nobody changed it since I read it") is a compare of that number; a watch
//! from a `resourceVersion` is a watch from that revision.
//!
//! This module states that contract once, as the [`Store`] trait, and implements it twice:
//!
//! - [`mem::MemStore`]: the embedded store, the default. An in-memory MVCC map (every key keeps
//!   its recent versions, so a read "as of revision 42" still works), a bounded history of
//!   events for watch, and compaction. You write most of it in step 1.
//! - [`etcd::EtcdStore`]: real etcd through the `etcd-client` crate, with the same keys, the
//!   same revisions and transactions for the version checks.
//!
//! [`Backend`] holds either one, chosen at start-up (`--etcd-servers` or not), and is what the
//! apiserver keeps in its state. The same contract tests (`tests/it/store/`) run against both.
//!
//! Values are opaque bytes here; from step 2 on they are the objects' JSON.
//!
//! [`reflector`] keeps an in-memory view of one prefix current (list, then watch, list again
//! when the watch breaks), for what the server must know on every request without a read.

mod backend;
mod error;
pub mod etcd;
pub mod mem;
pub mod reflector;
mod watch;

use std::future::Future;

use bytes::Bytes;

pub use backend::Backend;
pub use error::{Error, Result};
pub use watch::Watch;

// ANCHOR: store_trait
/// The contract every storage backend fulfils. All methods are async because a real backend
/// talks to a server; the embedded one simply never waits.
///
/// **Why `fn ... -> impl Future + Send` rather than `async fn` or a boxed trait object?** An
/// implementation still writes plain `async fn get(..)`. Spelling the trait's methods out this
/// way only adds the promise that the returned future is `Send`, so a caller can hand the work
/// to `tokio::spawn` (plain `async fn` in a public trait cannot promise that, and the compiler
/// warns about it). A trait written like this cannot be used as `dyn Store`, and that is fine:
/// there are exactly two backends, known when the crate is compiled, so the apiserver holds the
/// enum [`Backend`] (no boxing, no generics in every handler), while code that wants to be
/// generic, like the contract tests, takes `S: Store`. `Clone` because a store is a cheap
/// handle (an `Arc` inside) that every request handler and watcher keeps a copy of.
pub trait Store: Clone + Send + Sync + 'static {
    /// The latest value of `key`, or `None` when there is none.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<KeyValue>>> + Send;

    /// The keys that start with `prefix`, in key order, as they were at one revision.
    ///
    /// One page at a time: `options.limit` caps the page, `options.start_after` continues after
    /// the last key of the previous page, and `options.revision` pins the read to the revision
    /// the first page was read at, so later writes never shift the pages of one listing.
    fn list(
        &self,
        prefix: &str,
        options: ListOptions,
    ) -> impl Future<Output = Result<ListResult>> + Send;

    /// Creates `key`; fails with [`Error::AlreadyExists`] if it exists. Returns the new pair,
    /// whose `create_revision` and `mod_revision` are both the revision of this write.
    fn create(&self, key: &str, value: Bytes) -> impl Future<Output = Result<KeyValue>> + Send;

    /// Replaces the value of an existing `key` ([`Error::NotFound`] otherwise). With
    /// `expected_mod_revision`, only if the key's `mod_revision` is still that number
    /// ([`Error::Conflict`] otherwise): this is optimistic concurrency.
    fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Option<i64>,
    ) -> impl Future<Output = Result<KeyValue>> + Send;

    /// Deletes an existing `key`, with the same check as [`Store::update`]. Returns the pair as
    /// it was just before the delete (the apiserver answers a DELETE with the last state).
    fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<i64>,
    ) -> impl Future<Output = Result<KeyValue>> + Send;

    /// Every change to keys under `prefix` with a revision strictly greater than
    /// `from_revision`, in revision order: first the ones already in the history, then the
    /// new ones as they happen. `from_revision` 0 (or less) means "from the beginning of the
    /// kept history"; the current revision means "only what happens from now on".
    ///
    /// Fails with [`Error::Compacted`] when events after `from_revision` have been forgotten.
    /// The returned [`Watch`] can also end with an error item later (the backend went away,
    /// or the watcher was too slow); after an error it yields `None`.
    fn watch(&self, prefix: &str, from_revision: i64)
    -> impl Future<Output = Result<Watch>> + Send;

    /// Forgets history older than `revision`: reads at an older revision and watches from an
    /// older revision answer [`Error::Compacted`] from now on. Reads at `revision` still work.
    fn compact(&self, revision: i64) -> impl Future<Output = Result<()>> + Send;

    /// The revision of the latest write (an empty store is at revision 1, as etcd is).
    fn current_revision(&self) -> impl Future<Output = Result<i64>> + Send;
}
// ANCHOR_END: store_trait

/// One key with its value and the two revisions Kubernetes cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The full key, such as `/registry/pods/default/web`.
    pub key: String,
    /// The stored bytes. `Bytes` is a reference-counted buffer: handing the same value to a
    /// thousand watchers copies a pointer, not the object.
    pub value: Bytes,
    /// The revision of the write that created the key. A delete and a re-create give a new one,
    /// which is how a client tells "the same object, changed" from "a new object, same name".
    pub create_revision: i64,
    /// The revision of the write that last changed the key: the object's `resourceVersion`.
    pub mod_revision: i64,
}

/// How to read a page of a listing. `ListOptions::default()` reads everything at the latest
/// revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Read the keys as they were at this revision (`None`, or 0 as in etcd, means the latest).
    pub revision: Option<i64>,
    /// Only keys strictly after this one: the last key of the previous page (Kubernetes puts
    /// it, with the revision, in the opaque `continue` token).
    pub start_after: Option<String>,
    /// At most this many items (`None`: no limit).
    pub limit: Option<usize>,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListResult {
    /// The keys found, in key order.
    pub items: Vec<KeyValue>,
    /// The revision the page was read at: the list's `resourceVersion`. Read the next page at
    /// the same revision, and watch from it to see every change after the listing.
    pub revision: i64,
    /// True when `limit` cut the page short and more keys remain.
    pub more: bool,
}

impl ListResult {
    /// The options that read the next page, or `None` on the last page.
    pub fn next_page(&self, limit: Option<usize>) -> Option<ListOptions> {
        let last = self.items.last().filter(|_| self.more)?;
        Some(ListOptions {
            revision: Some(self.revision),
            start_after: Some(last.key.clone()),
            limit,
        })
    }
}

/// One change, as a watcher receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The key was created (`prev` is `None`) or updated (`prev` is the value it replaced).
    Put {
        /// The key as it is after the write; `kv.mod_revision` is the event's revision.
        kv: KeyValue,
        /// The key as it was before, if it existed.
        prev: Option<KeyValue>,
    },
    /// The key was deleted. A DELETED watch event carries the object's last state, so the
    /// previous value always comes with it.
    Delete {
        /// The deleted key.
        key: String,
        /// The key as it was just before the delete.
        prev: KeyValue,
        /// The revision of the delete.
        revision: i64,
    },
}

impl Event {
    /// The revision of the write this event reports.
    pub fn revision(&self) -> i64 {
        match self {
            Event::Put { kv, .. } => kv.mod_revision,
            Event::Delete { revision, .. } => *revision,
        }
    }

    /// The key this event is about.
    pub fn key(&self) -> &str {
        match self {
            Event::Put { kv, .. } => &kv.key,
            Event::Delete { key, .. } => key,
        }
    }
}

/// The root every Kubernetes key lives under in etcd (`--etcd-prefix` of kube-apiserver).
pub const REGISTRY_PREFIX: &str = "/registry";

/// The key of one object: `/registry/<resource>/<namespace>/<name>` for a namespaced resource,
/// `/registry/<resource>/<name>` for a cluster-scoped one (nodes, namespaces).
///
/// `resource` is the plural resource name, prefixed by its group where Kubernetes does so
/// (`pods`, `deployments`, `apiextensions.k8s.io/customresourcedefinitions`). Step 2 calls it
/// with names it has validated: a name never contains `/`, so keys cannot collide.
pub fn registry_key(resource: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(namespace) => format!("{REGISTRY_PREFIX}/{resource}/{namespace}/{name}"),
        None => format!("{REGISTRY_PREFIX}/{resource}/{name}"),
    }
}

/// The prefix to list or watch: every object of `resource`, or only those in `namespace`.
///
/// It always ends with `/`. Without that slash, the prefix of namespace `a` would also match
/// namespace `ab` (`/registry/pods/a` is a prefix of `/registry/pods/ab/web`).
pub fn registry_prefix(resource: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(namespace) => format!("{REGISTRY_PREFIX}/{resource}/{namespace}/"),
        None => format!("{REGISTRY_PREFIX}/{resource}/"),
    }
}
