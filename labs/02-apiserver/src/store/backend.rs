//! [`Backend`]: the store the API server runs on, chosen at start-up.
//!
//! The apiserver's state holds one `Backend`. Each method forwards to the backend inside with a
//! `match`: the Rust way to pick one of a few implementations at run time when they are all
//! known at compile time, with no boxing and no trait object. (See [`Store`] for why the trait
//! itself is not used as `dyn Store`.)

use bytes::Bytes;

use super::etcd::EtcdStore;
use super::mem::MemStore;
use super::{KeyValue, ListOptions, ListResult, Result, Store, Watch};

/// The embedded store or etcd.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The in-memory MVCC store (the default).
    Embedded(MemStore),
    /// Real etcd (`--etcd-servers`).
    Etcd(EtcdStore),
}

impl Default for Backend {
    fn default() -> Self {
        Backend::Embedded(MemStore::default())
    }
}

impl Store for Backend {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        match self {
            Backend::Embedded(store) => store.get(key).await,
            Backend::Etcd(store) => store.get(key).await,
        }
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult> {
        match self {
            Backend::Embedded(store) => store.list(prefix, options).await,
            Backend::Etcd(store) => store.list(prefix, options).await,
        }
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        match self {
            Backend::Embedded(store) => store.create(key, value).await,
            Backend::Etcd(store) => store.create(key, value).await,
        }
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Option<i64>,
    ) -> Result<KeyValue> {
        match self {
            Backend::Embedded(store) => store.update(key, value, expected_mod_revision).await,
            Backend::Etcd(store) => store.update(key, value, expected_mod_revision).await,
        }
    }

    async fn delete(&self, key: &str, expected_mod_revision: Option<i64>) -> Result<KeyValue> {
        match self {
            Backend::Embedded(store) => store.delete(key, expected_mod_revision).await,
            Backend::Etcd(store) => store.delete(key, expected_mod_revision).await,
        }
    }

    async fn watch(&self, prefix: &str, from_revision: i64) -> Result<Watch> {
        match self {
            Backend::Embedded(store) => store.watch(prefix, from_revision).await,
            Backend::Etcd(store) => store.watch(prefix, from_revision).await,
        }
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        match self {
            Backend::Embedded(store) => store.compact(revision).await,
            Backend::Etcd(store) => store.compact(revision).await,
        }
    }

    async fn current_revision(&self) -> Result<i64> {
        match self {
            Backend::Embedded(store) => store.current_revision().await,
            Backend::Etcd(store) => store.current_revision().await,
        }
    }
}
