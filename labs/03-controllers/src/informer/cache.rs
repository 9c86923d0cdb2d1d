//! The informer's local cache (client-go's `Store`/`Indexer`): the objects of one resource as
//! last seen, by key.
//!
//! Controllers read this, never the apiserver, to decide what to do: a sync that lists pods
//! costs a map walk, not a request. The price is that the cache may be a little behind, which
//! is why controllers are level-triggered (the next event brings the next sync) and why the
//! ReplicaSet controller keeps *expectations* of what it has just written.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use kube::Resource;

/// The key of an object: `namespace/name`, or just `name` for cluster-scoped objects
/// (client-go's `MetaNamespaceKeyFunc`).
pub fn object_key<K: Resource>(object: &K) -> String {
    let meta = object.meta();
    let name = meta.name.as_deref().unwrap_or_default();
    match meta.namespace.as_deref() {
        Some(namespace) if !namespace.is_empty() => format!("{namespace}/{name}"),
        _ => name.to_owned(),
    }
}

/// Splits a key into its namespace (`None` for a cluster-scoped object) and name.
pub fn split_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, key),
    }
}

/// A shared, read-mostly map of the objects an informer has seen. Clones share the map.
#[derive(Debug)]
pub struct Cache<K> {
    inner: Arc<RwLock<Inner<K>>>,
}

impl<K> Clone for Cache<K> {
    fn clone(&self) -> Self {
        Cache {
            inner: self.inner.clone(),
        }
    }
}

#[derive(Debug)]
struct Inner<K> {
    objects: HashMap<String, Arc<K>>,
    /// Set once the first list is in: before that, "no pods" means "not known yet".
    synced: bool,
}

impl<K> Default for Cache<K> {
    fn default() -> Self {
        Cache {
            inner: Arc::new(RwLock::new(Inner {
                objects: HashMap::new(),
                synced: false,
            })),
        }
    }
}

impl<K: Resource> Cache<K> {
    fn read(&self) -> RwLockReadGuard<'_, Inner<K>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner<K>> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The object with this key.
    pub fn get(&self, key: &str) -> Option<Arc<K>> {
        self.read().objects.get(key).cloned()
    }

    /// Every object, sorted by key (so callers see a stable order).
    pub fn list(&self) -> Vec<Arc<K>> {
        let inner = self.read();
        let mut entries: Vec<(&String, &Arc<K>)> = inner.objects.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries
            .into_iter()
            .map(|(_, object)| object.clone())
            .collect()
    }

    /// The objects of one namespace, sorted by key.
    pub fn list_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        self.list()
            .into_iter()
            .filter(|object| object.meta().namespace.as_deref() == Some(namespace))
            .collect()
    }

    /// How many objects the cache holds.
    pub fn len(&self) -> usize {
        self.read().objects.len()
    }

    /// Whether the cache holds no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the first list has been stored (client-go's `HasSynced`).
    pub fn has_synced(&self) -> bool {
        self.read().synced
    }

    /// Stores `object`, returning the version it replaces.
    pub(crate) fn insert(&self, object: Arc<K>) -> Option<Arc<K>> {
        self.write()
            .objects
            .insert(object_key(object.as_ref()), object)
    }

    /// Removes the object with this key, returning it.
    pub(crate) fn remove(&self, key: &str) -> Option<Arc<K>> {
        self.write().objects.remove(key)
    }

    /// The keys currently stored.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.read().objects.keys().cloned().collect()
    }

    /// Marks the cache as synced.
    pub(crate) fn mark_synced(&self) {
        self.write().synced = true;
    }
}
