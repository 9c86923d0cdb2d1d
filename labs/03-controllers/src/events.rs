//! Events: what a controller tells the humans (`kubectl get events`, `kubectl describe`).
//!
//! An Event (`core/v1`) names the object it is about (`involvedObject`), why (`reason`, a
//! CamelCase word such as `RangeFull`), a sentence (`message`), `Normal` or `Warning`, and who
//! said it (`source.component`). A controller that fails the same way on every retry would
//! write thousands of them, so client-go's recorder *aggregates*: the same object, reason,
//! message and type seen again bumps `count` and `lastTimestamp` of the Event already written
//! instead of writing a new one. Events are best effort: a failure to write one is logged and
//! never fails the controller's sync.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource, ResourceExt};
use labkit::Clock;
use serde_json::json;

use crate::pods::to_time;

/// `Normal` or `Warning`, the two values of `Event.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Something expected happened (a pod created, a CIDR assigned).
    Normal,
    /// Something went wrong (a range is full, a create failed).
    Warning,
}

impl EventType {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// What makes two events "the same" for aggregation (client-go's `EventAggregator` key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    object: (String, String, String, String),
    event_type: EventType,
    reason: String,
    message: String,
}

/// An Event already written: its name and namespace, and how many times it happened.
#[derive(Debug, Clone)]
struct Written {
    namespace: String,
    name: String,
    count: i32,
}

/// Writes Events for one component (`source.component`, e.g. `endpoint-controller`). Clones
/// share the aggregation memory.
#[derive(Clone)]
pub struct EventRecorder {
    client: Client,
    component: String,
    clock: Arc<dyn Clock>,
    written: Arc<Mutex<HashMap<Key, Written>>>,
}

impl std::fmt::Debug for EventRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRecorder")
            .field("component", &self.component)
            .finish_non_exhaustive()
    }
}

/// A reference to `object` for `involvedObject` (kind, apiVersion, namespace, name, uid).
pub fn object_reference<K: Resource<DynamicType = ()>>(object: &K) -> ObjectReference {
    ObjectReference {
        api_version: Some(K::api_version(&()).into_owned()),
        kind: Some(K::kind(&()).into_owned()),
        namespace: object.meta().namespace.clone(),
        name: object.meta().name.clone(),
        uid: object.meta().uid.clone(),
        resource_version: object.meta().resource_version.clone(),
        field_path: None,
    }
}

impl EventRecorder {
    /// A recorder that signs its events `component`.
    pub fn new(client: Client, component: &str, clock: Arc<dyn Clock>) -> Self {
        EventRecorder {
            client,
            component: component.to_owned(),
            clock,
            written: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Records an event about `object` (client-go's `recorder.Event`).
    pub async fn record<K: Resource<DynamicType = ()>>(
        &self,
        object: &K,
        event_type: EventType,
        reason: &str,
        message: &str,
    ) {
        self.record_ref(object_reference(object), event_type, reason, message)
            .await;
    }

    /// Records an event about the object `involved` names. Events about cluster-scoped objects
    /// (a Node) go to the `default` namespace, as upstream.
    pub async fn record_ref(
        &self,
        involved: ObjectReference,
        event_type: EventType,
        reason: &str,
        message: &str,
    ) {
        let key = Key {
            object: (
                involved.kind.clone().unwrap_or_default(),
                involved.namespace.clone().unwrap_or_default(),
                involved.name.clone().unwrap_or_default(),
                involved.uid.clone().unwrap_or_default(),
            ),
            event_type,
            reason: reason.to_owned(),
            message: message.to_owned(),
        };
        let now = to_time(self.clock.wall());
        let seen = self.bump(&key);
        if let Some(seen) = seen {
            let api = Api::<Event>::namespaced(self.client.clone(), &seen.namespace);
            let patch = Patch::Merge(json!({"count": seen.count, "lastTimestamp": now}));
            match api.patch(&seen.name, &PatchParams::default(), &patch).await {
                Ok(_) => return,
                // Expired or deleted: write a new one below.
                Err(error) => tracing::debug!("event {} not updated: {error}", seen.name),
            }
        }
        let namespace = involved
            .namespace
            .clone()
            .filter(|namespace| !namespace.is_empty())
            .unwrap_or_else(|| "default".to_owned());
        let name = format!(
            "{}.{:x}",
            involved.name.clone().unwrap_or_default(),
            unique_suffix(self.clock.wall())
        );
        let event = Event {
            metadata: kube::api::ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            involved_object: involved,
            reason: Some(reason.to_owned()),
            message: Some(message.to_owned()),
            type_: Some(event_type.as_str().to_owned()),
            source: Some(EventSource {
                component: Some(self.component.clone()),
                host: None,
            }),
            count: Some(1),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            ..Default::default()
        };
        let api = Api::<Event>::namespaced(self.client.clone(), &namespace);
        match api.create(&PostParams::default(), &event).await {
            Ok(created) => {
                let written = Written {
                    namespace,
                    name: created.name_any(),
                    count: 1,
                };
                self.written
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key, written);
            }
            Err(error) => tracing::warn!(reason, "could not write an event: {error}"),
        }
    }

    /// Counts one more occurrence of an event already written; `None` when it is new.
    fn bump(&self, key: &Key) -> Option<Written> {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        let seen = written.get_mut(key)?;
        seen.count += 1;
        Some(seen.clone())
    }
}

/// A suffix that makes event names unique (upstream: the time in nanoseconds, in hex).
fn unique_suffix(now: SystemTime) -> u128 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    // A fake clock stands still: the counter keeps two events of one instant apart.
    nanos + u128::from(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}
