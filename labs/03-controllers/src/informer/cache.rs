//! The informer's local cache (client-go's `Store`/`Indexer`): the objects of one resource as
//! last seen, by key, with optional indexes.
//!
//! Controllers read this, never the apiserver, to decide what to do: a sync that lists pods
//! costs a map walk, not a request. The price is that the cache may be a little behind, which
//! is why controllers are level-triggered (the next event brings the next sync) and why the
//! ReplicaSet controller keeps *expectations* of what it has just written.
//!
//! The objects are kept in key order, so a namespace (`default/...`) is one range of the map.
//! An *index* (client-go's `Indexers`) answers "which objects have this value?" without a walk:
//! with 3000 pods and 300 ReplicaSets, each ReplicaSet's sync would otherwise test all 3000.

use std::collections::{BTreeMap, BTreeSet, HashMap};
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

/// What an index files an object under: any number of values (client-go's `IndexFunc`).
pub type IndexFn<K> = fn(&K) -> Vec<String>;

/// One index: its function, and for each value the keys of the objects filed under it.
struct Index<K> {
    name: &'static str,
    values_of: IndexFn<K>,
    keys: HashMap<String, BTreeSet<String>>,
}

impl<K> Index<K> {
    fn file(&mut self, key: &str, object: &K) {
        for value in (self.values_of)(object) {
            self.keys.entry(value).or_default().insert(key.to_owned());
        }
    }

    fn unfile(&mut self, key: &str, object: &K) {
        for value in (self.values_of)(object) {
            if let Some(keys) = self.keys.get_mut(&value) {
                keys.remove(key);
                if keys.is_empty() {
                    self.keys.remove(&value);
                }
            }
        }
    }
}

struct Inner<K> {
    objects: BTreeMap<String, Arc<K>>,
    indexes: Vec<Index<K>>,
    /// Set once the first list is in: before that, "no pods" means "not known yet".
    synced: bool,
}

impl<K> std::fmt::Debug for Inner<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("objects", &self.objects.len())
            .field(
                "indexes",
                &self.indexes.iter().map(|i| i.name).collect::<Vec<_>>(),
            )
            .field("synced", &self.synced)
            .finish()
    }
}

impl<K> Default for Cache<K> {
    fn default() -> Self {
        Cache {
            inner: Arc::new(RwLock::new(Inner {
                objects: BTreeMap::new(),
                indexes: Vec::new(),
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
        self.read().objects.values().cloned().collect()
    }

    /// The objects of one namespace, sorted by key: the keys from `namespace/` on, as long as
    /// they start with it (a name cannot contain `/`).
    pub fn list_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        let prefix = format!("{namespace}/");
        self.read()
            .objects
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(_, object)| object.clone())
            .collect()
    }

    /// Adds an index named `name`, filing every object (those cached already too) under the
    /// values `values_of` gives it (client-go's `AddIndexers`).
    pub fn add_index(&self, name: &'static str, values_of: IndexFn<K>) {
        let mut inner = self.write();
        let mut index = Index {
            name,
            values_of,
            keys: HashMap::new(),
        };
        for (key, object) in &inner.objects {
            index.file(key, object);
        }
        inner.indexes.retain(|index| index.name != name);
        inner.indexes.push(index);
    }

    /// The objects the index `name` files under `value`, sorted by key (client-go's
    /// `ByIndex`); none when there is no such index.
    pub fn by_index(&self, name: &str, value: &str) -> Vec<Arc<K>> {
        let inner = self.read();
        let Some(index) = inner.indexes.iter().find(|index| index.name == name) else {
            return Vec::new();
        };
        index
            .keys
            .get(value)
            .into_iter()
            .flatten()
            .filter_map(|key| inner.objects.get(key).cloned())
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

    /// Stores `object`, returning the version it replaces; the indexes follow.
    pub(crate) fn insert(&self, object: Arc<K>) -> Option<Arc<K>> {
        let key = object_key(object.as_ref());
        let mut inner = self.write();
        let Inner {
            objects, indexes, ..
        } = &mut *inner;
        let old = objects.insert(key.clone(), object);
        let new = &objects[&key];
        for index in indexes.iter_mut() {
            if let Some(old) = &old {
                index.unfile(&key, old);
            }
            index.file(&key, new);
        }
        old
    }

    /// Removes the object with this key, returning it; the indexes follow.
    pub(crate) fn remove(&self, key: &str) -> Option<Arc<K>> {
        let mut inner = self.write();
        let inner = &mut *inner;
        let old = inner.objects.remove(key)?;
        for index in &mut inner.indexes {
            index.unfile(key, &old);
        }
        Some(old)
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
