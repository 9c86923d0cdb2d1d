//! Facts about pods and owners that several controllers need: active, ready, available, the
//! controller owner reference (and the cache index by it), and label selectors.
//!
//! These are upstream's `controller.IsPodActive`, `podutil.IsPodReady`,
//! `podutil.IsPodAvailable`, `metav1.GetControllerOf` and `metav1.LabelSelectorAsSelector`,
//! reduced to what lab 03 uses.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference, Time};
use kube::Resource;

use crate::informer::Cache;

/// Whether a pod still counts toward its controller's replicas: not finished (`Succeeded` or
/// `Failed`) and not being deleted.
pub fn is_active(pod: &Pod) -> bool {
    let phase = pod
        .status
        .as_ref()
        .and_then(|status| status.phase.as_deref());
    !matches!(phase, Some("Succeeded" | "Failed")) && pod.metadata.deletion_timestamp.is_none()
}

/// The pod's `Ready` condition, if it has one set to `True`: when it became ready.
fn ready_condition_since(pod: &Pod) -> Option<Option<&Time>> {
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    let ready = conditions
        .iter()
        .find(|condition| condition.type_ == "Ready" && condition.status == "True")?;
    Some(ready.last_transition_time.as_ref())
}

/// Whether the pod's `Ready` condition is `True`.
pub fn is_ready(pod: &Pod) -> bool {
    ready_condition_since(pod).is_some()
}

/// When the pod last became ready (`None` when not ready or unknown).
pub fn ready_since(pod: &Pod) -> Option<SystemTime> {
    ready_condition_since(pod).flatten().map(to_system_time)
}

/// Whether the pod has been ready for at least `min_ready_seconds` at `now`
/// (`podutil.IsPodAvailable`: with 0, ready is enough).
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now: SystemTime) -> bool {
    if !is_ready(pod) {
        return false;
    }
    if min_ready_seconds <= 0 {
        return true;
    }
    let min_ready = Duration::from_secs(u64::from(min_ready_seconds.unsigned_abs()));
    ready_since(pod).is_some_and(|since| since + min_ready < now)
}

/// A `metav1.Time` as a `SystemTime`.
pub fn to_system_time(time: &Time) -> SystemTime {
    SystemTime::from(time.0)
}

/// A `SystemTime` as a `metav1.Time` (whole seconds are all the API keeps).
pub fn to_time(time: SystemTime) -> Time {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    Time(k8s_openapi::jiff::Timestamp::from_second(seconds).unwrap_or_default())
}

/// The owner reference with `controller: true`, if any (`metav1.GetControllerOf`).
pub fn controller_of(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Option<&OwnerReference> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|owner| owner.controller == Some(true))
}

/// The name of the pod index by controller (upstream's `PodControllerUIDIndex`): see
/// [`controller_index`].
pub const CONTROLLER_INDEX: &str = "controller-uid";

/// Files an object (a pod, a ReplicaSet) under the UID of its controller, or, when it has
/// none, under its namespace's [`orphan_key`]. A controller's sync then reads only what it
/// controls and the orphans it may adopt, instead of testing every object of the namespace
/// against its selector.
pub fn controller_index<K: Resource>(object: &K) -> Vec<String> {
    let meta = object.meta();
    match controller_of(meta) {
        Some(owner) => vec![owner.uid.clone()],
        None => vec![orphan_key(meta.namespace.as_deref().unwrap_or_default())],
    }
}

/// What an owner with `uid` in `namespace` may claim (upstream `getRSPods`): the objects it
/// controls and the namespace's orphans, by the [`controller_index`] of `cache`, sorted by name.
/// Objects of other controllers are never its to claim, so they are not even looked at.
pub fn claimable<K: Resource>(cache: &Cache<K>, uid: &str, namespace: &str) -> Vec<Arc<K>> {
    let mut objects = cache.by_index(CONTROLLER_INDEX, uid);
    objects.extend(cache.by_index(CONTROLLER_INDEX, &orphan_key(namespace)));
    objects.sort_by(|a, b| a.meta().name.cmp(&b.meta().name));
    objects
}

/// The [`controller_index`] value of the orphans of `namespace` (no UID looks like it).
pub fn orphan_key(namespace: &str) -> String {
    format!("orphan:{namespace}")
}

/// The pods among `pods` that the object with `uid` controls and that are not being deleted:
/// what the Job and DaemonSet controllers' syncs work on.
pub fn controlled_by(pods: Vec<Arc<Pod>>, uid: &str) -> Vec<Arc<Pod>> {
    pods.into_iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter(|pod| controller_of(&pod.metadata).is_some_and(|owner| owner.uid == uid))
        .collect()
}

/// Why a label selector cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid label selector: {0}")]
pub struct SelectorError(String);

/// Whether `labels` satisfy `selector` (`metav1.LabelSelectorAsSelector(...).Matches`): every
/// `matchLabels` pair and every `matchExpressions` requirement must hold. An empty selector
/// matches everything; a ReplicaSet's is never empty (validation refuses that).
pub fn selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> Result<bool, SelectorError> {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    for (key, value) in selector.match_labels.iter().flatten() {
        if labels.get(key) != Some(value) {
            return Ok(false);
        }
    }
    for requirement in selector.match_expressions.iter().flatten() {
        let values = requirement.values.as_deref().unwrap_or_default();
        let actual = labels.get(&requirement.key);
        let holds = match requirement.operator.as_str() {
            "In" => actual.is_some_and(|actual| values.contains(actual)),
            "NotIn" => actual.is_none_or(|actual| !values.contains(actual)),
            "Exists" => actual.is_some(),
            "DoesNotExist" => actual.is_none(),
            other => return Err(SelectorError(format!("unknown operator {other:?}"))),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}
