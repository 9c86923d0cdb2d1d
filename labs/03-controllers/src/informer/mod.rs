//! The informer: list, then watch, into a local cache, calling handlers on every change.
//!
//! Polling the apiserver for "what changed?" does not scale to thousands of objects and dozens
//! of controllers. An informer (client-go's `Reflector` + `SharedInformer`) asks once for
//! everything, then only for the changes:
//!
//! ```text
//! LIST  /api/v1/pods                          -> items + resourceVersion 100
//! WATCH /api/v1/pods?resourceVersion=100      -> ADDED(rv 101) MODIFIED(rv 102) BOOKMARK(rv 150) ...
//!       (the server ends the watch after timeoutSeconds)
//! WATCH /api/v1/pods?resourceVersion=150      -> ...            (resume where we were)
//!       ERROR 410 Gone: "too old resource version"   (history compacted while we were away)
//! LIST  /api/v1/pods                          -> start over: a relist
//! ```
//!
//! Every event updates the [`Cache`] first and then calls the handlers with a [`Change`], so a
//! handler that enqueues a key knows the cache already shows the change when a worker reads it.
//! A relist compares the new list with the cache: objects that vanished while we were not
//! watching are reported as deleted; the others as updated.

pub mod cache;
pub mod source;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use kube::Resource;
use kube::api::WatchEvent;

pub use self::cache::{Cache, object_key, split_key};
pub use self::source::{EventStream, ListPage, ListWatch};

/// A change the informer saw, after it is in the cache (client-go's `OnAdd`, `OnUpdate`,
/// `OnDelete`).
#[derive(Debug, Clone)]
pub enum Change<K> {
    /// A new object.
    Added(Arc<K>),
    /// An object changed (or, on a relist, was seen again).
    Updated {
        /// The cached version before.
        old: Arc<K>,
        /// The version now.
        new: Arc<K>,
    },
    /// An object was deleted (its last known state).
    Deleted(Arc<K>),
}

/// A function called on every change.
type Handler<K> = Arc<dyn Fn(&Change<K>) + Send + Sync>;

/// Why one round of list-then-watch ended.
#[derive(Debug, thiserror::Error)]
pub enum InformerError {
    /// The watch's resourceVersion is too old (410 Gone / Expired): list again.
    #[error("watch expired, relisting: {0}")]
    Gone(String),
    /// The apiserver could not be reached or refused the request.
    #[error(transparent)]
    Api(#[from] kube::Error),
    /// The watch sent an ERROR event other than 410.
    #[error("watch error: {0}")]
    Watch(String),
}

/// The longest pause between two failed list attempts (client-go: 30 s; it starts at 800 ms).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(800);

/// An informer of one resource: its source, its cache, and its handlers.
pub struct Informer<K, S> {
    /// The resource's kind, for the logs.
    kind: String,
    source: S,
    cache: Cache<K>,
    handlers: Vec<Handler<K>>,
}

impl<K, S> std::fmt::Debug for Informer<K, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Informer")
            .field("handlers", &self.handlers.len())
            .finish_non_exhaustive()
    }
}

impl<K, S> Informer<K, S>
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
    S: ListWatch<K>,
{
    /// An informer over `source` (usually a `kube::Api<K>`), with an empty cache.
    pub fn new(source: S) -> Self {
        Informer {
            kind: K::kind(&()).into_owned(),
            source,
            cache: Cache::default(),
            handlers: Vec::new(),
        }
    }

    /// The cache this informer fills (a shared handle: keep it, then `run` the informer).
    pub fn cache(&self) -> Cache<K> {
        self.cache.clone()
    }

    /// Calls `handler` on every change, after the cache has it. Handlers must be quick and
    /// must not block: they enqueue keys.
    pub fn on_change(&mut self, handler: impl Fn(&Change<K>) + Send + Sync + 'static) {
        self.handlers.push(Arc::new(handler));
    }

    /// Lists and watches until `shutdown` completes, relisting after a 410 at once and after
    /// any other failure with a growing pause (the apiserver may be down: say so and retry).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut delay = FIRST_RETRY_DELAY;
        loop {
            let ended = tokio::select! {
                () = &mut shutdown => return,
                ended = self.list_and_watch() => ended,
            };
            let error = match ended {
                Ok(never) => match never {},
                Err(error) => error,
            };
            if let InformerError::Gone(message) = &error {
                tracing::info!(kind = %self.kind, "{message}: relisting");
                delay = FIRST_RETRY_DELAY;
                continue;
            }
            tracing::warn!(kind = %self.kind, retry_in = ?delay, "list/watch failed: {error}");
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(MAX_RETRY_DELAY);
        }
    }

    // ANCHOR: list_and_watch
    /// One round: list into the cache, then watch from the list's resourceVersion, watching
    /// again from the last version seen each time the server ends a watch. Returns only with
    /// an error: [`InformerError::Gone`] means "list again".
    pub async fn list_and_watch(&self) -> Result<Infallible, InformerError> {
        // BEGIN SOLUTION step-1: list and replace the cache; then loop: watch from the last version, apply ADDED/MODIFIED/DELETED, remember BOOKMARK versions, 410 (as an ERROR event or a failed request) is Gone
        let page = self.source.list().await?;
        let mut version = page.resource_version;
        self.replace(page.items);
        loop {
            let mut events = match self.source.watch(&version).await {
                Ok(events) => events,
                Err(kube::Error::Api(status)) if status.code == 410 => {
                    return Err(InformerError::Gone(status.message));
                }
                Err(error) => return Err(error.into()),
            };
            while let Some(event) = events.next().await {
                match event? {
                    WatchEvent::Added(object) | WatchEvent::Modified(object) => {
                        version = resource_version(&object);
                        self.upsert(object);
                    }
                    WatchEvent::Deleted(object) => {
                        version = resource_version(&object);
                        self.delete(&object_key(&object));
                    }
                    WatchEvent::Bookmark(bookmark) => {
                        version = bookmark.metadata.resource_version;
                    }
                    WatchEvent::Error(status) if status.code == 410 => {
                        return Err(InformerError::Gone(status.message));
                    }
                    WatchEvent::Error(status) => return Err(InformerError::Watch(status.message)),
                }
            }
            // The server ended this watch (its timeout): resume from where we are.
        }
        // END SOLUTION
    }
    // ANCHOR_END: list_and_watch

    // ANCHOR: replace
    /// Makes the cache hold exactly `items` (the result of a list): objects no longer listed
    /// are deleted, the others added or updated, each with its handlers called. Then the cache
    /// counts as synced.
    pub fn replace(&self, items: Vec<K>) {
        // BEGIN SOLUTION step-1: delete every cached key not in the list, upsert every listed object, then mark the cache synced
        let listed: std::collections::HashSet<String> = items.iter().map(object_key).collect();
        for key in self.cache.keys() {
            if !listed.contains(&key) {
                self.delete(&key);
            }
        }
        for object in items {
            self.upsert(object);
        }
        self.cache.mark_synced();
        // END SOLUTION
    }
    // ANCHOR_END: replace

    /// Stores a new or changed object and tells the handlers.
    fn upsert(&self, object: K) {
        let new = Arc::new(object);
        let change = match self.cache.insert(new.clone()) {
            Some(old) => Change::Updated { old, new },
            None => Change::Added(new),
        };
        self.notify(&change);
    }

    /// Removes an object (if cached) and tells the handlers.
    fn delete(&self, key: &str) {
        if let Some(old) = self.cache.remove(key) {
            self.notify(&Change::Deleted(old));
        }
    }

    fn notify(&self, change: &Change<K>) {
        for handler in &self.handlers {
            handler(change);
        }
    }
}

/// An object's `metadata.resourceVersion` (empty when missing).
fn resource_version<K: Resource>(object: &K) -> String {
    object.meta().resource_version.clone().unwrap_or_default()
}
