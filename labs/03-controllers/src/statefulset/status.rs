//! The StatefulSet's status and its revisions' data, as pure functions (upstream
//! `computeReplicaStatus`, `completeRollingUpdate` and `getPatch`).
//!
//! `kubectl rollout status statefulset/web` reads only the status (kubectl's
//! `StatefulSetStatusViewer`): it waits for `observedGeneration` to catch up, then for
//! `readyReplicas` to reach `spec.replicas`, then, for a `RollingUpdate` with a partition, for
//! `updatedReplicas` to reach `replicas - partition` ("partitioned roll out complete: N new
//! pods have been updated..."); and `kubectl rollout undo` patches a revision's data back
//! onto the StatefulSet.

use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use serde_json::{Value, json};

use super::decide::{
    Revisions, is_running_and_ready, is_terminating, min_ready_seconds, rolling_partition,
};
use super::identity::pod_revision;
use crate::pods::is_available;

/// The data of the revision for the StatefulSet's current template (upstream `getPatch`): a
/// strategic merge patch `{"spec":{"template":{..., "$patch":"replace"}}}`, exactly what
/// `kubectl rollout undo` sends back to restore it.
pub fn revision_data(set: &StatefulSet) -> Value {
    let template = set.spec.as_ref().map(|s| &s.template);
    let mut template = serde_json::to_value(template).unwrap_or(Value::Null);
    if let Some(map) = template.as_object_mut() {
        map.insert("$patch".to_owned(), json!("replace"));
    }
    json!({ "spec": { "template": template } })
}

/// The pod template a revision holds (the inverse of [`revision_data`]); `None` when the data
/// is not a StatefulSet template patch.
pub fn revision_template(data: &Value) -> Option<PodTemplateSpec> {
    let mut template = data.get("spec")?.get("template")?.clone();
    template.as_object_mut()?.remove("$patch");
    serde_json::from_value(template).ok()
}

// ANCHOR: calculate_status
/// The status after a sync that saw `pods` (upstream `computeReplicaStatus`):
///
/// - `replicas`: every pod; `readyReplicas`: Running and Ready; `availableReplicas`: also
///   ready for `minReadySeconds`;
/// - `currentReplicas` / `updatedReplicas`: pods not terminating whose
///   `controller-revision-hash` is the current / the update revision;
/// - `currentRevision`, `updateRevision`, `collisionCount`, `observedGeneration`;
/// - a `RollingUpdate` whose every pod is updated and ready is complete: the update revision
///   becomes the current one (upstream `completeRollingUpdate`).
pub fn calculate_status(
    set: &StatefulSet,
    pods: &[Arc<Pod>],
    revisions: Revisions<'_>,
    collision_count: i32,
    now: SystemTime,
) -> StatefulSetStatus {
    // ANCHOR_END: calculate_status
    // BEGIN SOLUTION step-4: count the pods (all, ready, available, per revision), then complete a finished rolling update
    let min_ready = min_ready_seconds(set);
    let (mut ready, mut available, mut current, mut updated) = (0, 0, 0, 0);
    for pod in pods {
        if is_running_and_ready(pod) {
            ready += 1;
            if is_available(pod, min_ready, now) {
                available += 1;
            }
        }
        if !is_terminating(pod) {
            let revision = pod_revision(pod);
            if revision == Some(revisions.current) {
                current += 1;
            }
            if revision == Some(revisions.update) {
                updated += 1;
            }
        }
    }
    let replicas = i32::try_from(pods.len()).unwrap_or(i32::MAX);
    let mut status = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        replicas,
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        current_replicas: Some(current),
        updated_replicas: Some(updated),
        current_revision: Some(revisions.current.to_owned()),
        update_revision: Some(revisions.update.to_owned()),
        collision_count: Some(collision_count),
        conditions: set.status.as_ref().and_then(|s| s.conditions.clone()),
    };
    if rolling_partition(set).is_some() && updated == replicas && ready == replicas {
        status.current_replicas = Some(updated);
        status.current_revision = Some(revisions.update.to_owned());
    }
    status
    // END SOLUTION
}
