//! A ReplicaSet's status: what the controller observed, written through the `status`
//! subresource so users' edits of `spec` and the controller's of `status` never collide.
//!
//! `kubectl get rs` prints `DESIRED` (spec.replicas), `CURRENT` (status.replicas) and `READY`
//! (status.readyReplicas); a Deployment adds up its ReplicaSets' `availableReplicas`.

use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;

use super::decide::desired_replicas;
use crate::pods::{is_available, is_ready, to_time};

/// The condition a ReplicaSet carries while creating or deleting pods fails.
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

// ANCHOR: calculate_status
/// The status for `rs` whose active owned pods are `pods` (upstream `calculateStatus`):
///
/// - `replicas`: the active owned pods;
/// - `fullyLabeledReplicas`: those carrying every label of the pod template (with its value);
/// - `readyReplicas`: those whose `Ready` condition is `True`;
/// - `availableReplicas`: those ready for at least `spec.minReadySeconds` at `now`;
/// - `observedGeneration`: the `metadata.generation` this status describes;
/// - the `ReplicaFailure` condition: added (reason `FailedCreate` or `FailedDelete`, the error
///   as message) when `manage_error` is set and the condition is not there yet, removed when
///   the sync went well; other conditions are kept.
pub fn calculate_status(
    rs: &ReplicaSet,
    pods: &[Arc<Pod>],
    manage_error: Option<&str>,
    now: SystemTime,
) -> ReplicaSetStatus {
    // BEGIN SOLUTION step-2: count replicas, fully labeled, ready and available pods; set observedGeneration; add or remove the ReplicaFailure condition
    let spec = rs.spec.as_ref();
    let min_ready_seconds = spec.and_then(|spec| spec.min_ready_seconds).unwrap_or(0);
    let template_labels = spec
        .and_then(|spec| spec.template.as_ref())
        .and_then(|template| template.metadata.as_ref())
        .and_then(|meta| meta.labels.clone())
        .unwrap_or_default();
    let fully_labeled = pods
        .iter()
        .filter(|pod| {
            let labels = pod.metadata.labels.as_ref();
            template_labels
                .iter()
                .all(|(key, value)| labels.and_then(|labels| labels.get(key)) == Some(value))
        })
        .count();
    let ready = pods.iter().filter(|pod| is_ready(pod)).count();
    let available = pods
        .iter()
        .filter(|pod| is_available(pod, min_ready_seconds, now))
        .count();

    let old = rs.status.clone().unwrap_or_default();
    let mut conditions = old.conditions.clone().unwrap_or_default();
    let has_failure = conditions.iter().any(|c| c.type_ == REPLICA_FAILURE);
    match manage_error {
        Some(message) if !has_failure => {
            let reason = if pods.len() < desired_replicas(rs) {
                "FailedCreate"
            } else {
                "FailedDelete"
            };
            conditions.push(ReplicaSetCondition {
                type_: REPLICA_FAILURE.to_owned(),
                status: "True".to_owned(),
                reason: Some(reason.to_owned()),
                message: Some(message.to_owned()),
                last_transition_time: Some(to_time(now)),
            });
        }
        None if has_failure => conditions.retain(|c| c.type_ != REPLICA_FAILURE),
        _ => {}
    }
    ReplicaSetStatus {
        replicas: count(pods.len()),
        fully_labeled_replicas: Some(count(fully_labeled)),
        ready_replicas: Some(count(ready)),
        available_replicas: Some(count(available)),
        observed_generation: rs.metadata.generation,
        conditions: (!conditions.is_empty()).then_some(conditions),
        terminating_replicas: old.terminating_replicas,
    }
    // END SOLUTION
}
// ANCHOR_END: calculate_status

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
