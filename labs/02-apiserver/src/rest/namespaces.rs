//! The namespace cache behind `NamespaceLifecycle`: which namespaces exist and which are being
//! deleted, kept current by a [reflector](crate::store::reflector) instead of read per request.
//!
//! Every create of a namespaced object asks "does its namespace exist, and is it not
//! terminating?". Reading the namespace from the store each time costs one etcd round trip per
//! create, which on etcd nearly halves the create rate. kube-apiserver's admission plugin asks a
//! namespace informer (a watched cache) instead, and so does this server. A cache can be a
//! little behind the store, so it is trusted only where being behind is harmless:
//!
//! - **Active**: trusted, unless the namespace was deleted through this server since (see
//!   [`NamespaceCache::doom`]); a namespace only ever leaves Active by a DELETE, so an Active
//!   entry that was not doomed cannot be stale about anything this server did.
//! - **Terminating**: trusted; a terminating namespace never becomes active again.
//! - **Not in the cache, doomed, or the cache not ready** (starting, or the store unreachable):
//!   read the store, as before. A namespace created a moment ago takes this path until its
//!   watch event arrives.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use super::codec;
use crate::registry::{self, Resource};
use crate::store::reflector::{View, reflect};
use crate::store::{Backend, Event, KeyValue, registry_prefix};

/// What the cache knows of one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// It exists and takes new objects.
    Active,
    /// It has a `deletionTimestamp`: no new objects (403 Forbidden).
    Terminating,
}

/// The answer to "what is namespace X?" from the cache alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// The cache's answer can be trusted.
    Phase(Phase),
    /// Ask the store.
    Unsure,
}

#[derive(Debug, Default)]
struct Inner {
    /// `None` until the first listing, and again while the reflector has lost its watch.
    phases: Option<HashMap<String, Phase>>,
    /// Namespaces this server was asked to delete since it started: their Active entries may be
    /// stale until the watch catches up, so they are always read from the store.
    doomed: HashSet<String>,
}

/// The namespace cache; cheap to clone (one shared map inside).
#[derive(Debug, Clone, Default)]
pub struct NamespaceCache {
    inner: Arc<RwLock<Inner>>,
}

impl NamespaceCache {
    /// What the cache can say about `name` without a store read.
    pub fn lookup(&self, name: &str) -> Known {
        // A poisoned lock only means a panic elsewhere mid-update: the data is still a map,
        // and "ask the store" is always a safe answer.
        let Ok(inner) = self.inner.read() else {
            return Known::Unsure;
        };
        match inner.phases.as_ref().and_then(|phases| phases.get(name)) {
            Some(Phase::Terminating) => Known::Phase(Phase::Terminating),
            Some(Phase::Active) if !inner.doomed.contains(name) => Known::Phase(Phase::Active),
            _ => Known::Unsure,
        }
    }

    /// Called before this server deletes namespace `name` (alone or as part of a collection):
    /// from now on the cache does not vouch for it being Active.
    pub fn doom(&self, name: &str) {
        if let Ok(mut inner) = self.inner.write() {
            inner.doomed.insert(name.to_owned());
        }
    }

    /// Keeps the cache current from `store` until the task running this is aborted.
    pub async fn run(self, store: Backend) {
        let Some(namespaces) = registry::lookup("", "v1", "namespaces") else {
            return;
        };
        let prefix = registry_prefix(namespaces.storage_name(), None);
        reflect(store, prefix, self.view(namespaces)).await;
    }

    /// The [`View`] a reflector over `/registry/namespaces/` feeds.
    pub fn view(&self, namespaces: &'static Resource) -> impl View + use<> {
        Feed {
            cache: self.clone(),
            namespaces,
        }
    }
}

/// The reflector's side of the cache.
struct Feed {
    cache: NamespaceCache,
    namespaces: &'static Resource,
}

impl Feed {
    /// The name and phase of a stored namespace; `None` for a value that does not decode
    /// (then the entry is left out, and lookups of it read the store).
    fn phase(&self, kv: &KeyValue) -> Option<(String, Phase)> {
        let object = codec::decode(self.namespaces, kv).ok()?;
        let name = codec::meta_str(&object, "name").to_owned();
        let phase = if codec::is_deleting(&object) {
            Phase::Terminating
        } else {
            Phase::Active
        };
        Some((name, phase))
    }

    fn with_phases(&self, change: impl FnOnce(&mut HashMap<String, Phase>)) {
        if let Ok(mut inner) = self.cache.inner.write()
            && let Some(phases) = inner.phases.as_mut()
        {
            change(phases);
        }
    }
}

impl View for Feed {
    fn reset(&mut self, items: Vec<KeyValue>, _revision: i64) {
        let phases = items.iter().filter_map(|kv| self.phase(kv)).collect();
        if let Ok(mut inner) = self.cache.inner.write() {
            inner.phases = Some(phases);
        }
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::Put { kv, .. } => {
                let known = self.phase(kv);
                let name = kv.key.rsplit('/').next().unwrap_or_default().to_owned();
                self.with_phases(|phases| match known {
                    Some((name, phase)) => {
                        phases.insert(name, phase);
                    }
                    None => {
                        phases.remove(&name);
                    }
                });
            }
            Event::Delete { key, .. } => {
                let name = key.rsplit('/').next().unwrap_or_default().to_owned();
                self.with_phases(|phases| {
                    phases.remove(&name);
                });
            }
        }
    }

    fn lost(&mut self) {
        if let Ok(mut inner) = self.cache.inner.write() {
            inner.phases = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn namespaces() -> &'static Resource {
        registry::lookup("", "v1", "namespaces").expect("namespaces are registered")
    }

    fn kv(name: &str, deleting: bool, revision: i64) -> KeyValue {
        let mut object = serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name}});
        if deleting {
            object["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z".into();
        }
        KeyValue {
            key: format!("/registry/namespaces/{name}"),
            value: Bytes::from(object.to_string()),
            create_revision: revision,
            mod_revision: revision,
        }
    }

    #[test]
    fn unsure_until_the_first_listing_and_after_losing_the_watch() {
        let cache = NamespaceCache::default();
        let mut feed = cache.view(namespaces());
        assert_eq!(cache.lookup("default"), Known::Unsure);
        feed.reset(vec![kv("default", false, 2)], 2);
        assert_eq!(cache.lookup("default"), Known::Phase(Phase::Active));
        feed.lost();
        assert_eq!(cache.lookup("default"), Known::Unsure);
    }

    #[test]
    fn events_move_namespaces_between_phases() {
        let cache = NamespaceCache::default();
        let mut feed = cache.view(namespaces());
        feed.reset(Vec::new(), 1);
        assert_eq!(
            cache.lookup("shop"),
            Known::Unsure,
            "unknown names read the store"
        );
        feed.apply(&Event::Put {
            kv: kv("shop", false, 2),
            prev: None,
        });
        assert_eq!(cache.lookup("shop"), Known::Phase(Phase::Active));
        feed.apply(&Event::Put {
            kv: kv("shop", true, 3),
            prev: Some(kv("shop", false, 2)),
        });
        assert_eq!(cache.lookup("shop"), Known::Phase(Phase::Terminating));
        feed.apply(&Event::Delete {
            key: "/registry/namespaces/shop".into(),
            prev: kv("shop", true, 3),
            revision: 4,
        });
        assert_eq!(cache.lookup("shop"), Known::Unsure);
    }

    #[test]
    fn a_doomed_namespace_is_never_vouched_for_as_active() {
        let cache = NamespaceCache::default();
        let mut feed = cache.view(namespaces());
        feed.reset(vec![kv("a", false, 2), kv("b", false, 3)], 3);
        cache.doom("a");
        assert_eq!(cache.lookup("a"), Known::Unsure);
        assert_eq!(cache.lookup("b"), Known::Phase(Phase::Active));
        // A late event of the old state changes nothing; the terminating state is trusted.
        feed.apply(&Event::Put {
            kv: kv("a", false, 4),
            prev: None,
        });
        assert_eq!(cache.lookup("a"), Known::Unsure);
        feed.apply(&Event::Put {
            kv: kv("a", true, 5),
            prev: None,
        });
        assert_eq!(cache.lookup("a"), Known::Phase(Phase::Terminating));
    }
}
