//! The ReplicaSet controller's decisions, as pure functions of the ReplicaSet and the pods in
//! the cache: which pods it owns, adopts and releases; how many pods to create or which to
//! delete; and in what batches to create them.

use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::ranking::pods_to_delete;
use crate::pods::{SelectorError, controller_of, selector_matches};

/// At most this many pods are created or deleted by one sync (upstream `BurstReplicas`); the
/// next sync does the rest.
pub const BURST_REPLICAS: usize = 500;

/// The size of the first creation batch (upstream `SlowStartInitialBatchSize`).
pub const SLOW_START_INITIAL_BATCH: usize = 1;

/// The pods a sync considers, once ownership is settled (upstream `ClaimPods`).
#[derive(Debug, Clone, Default)]
pub struct Claims {
    /// Pods this ReplicaSet controls and that match its selector.
    pub owned: Vec<Arc<Pod>>,
    /// Orphans that match the selector: to adopt (then they count as owned).
    pub adopt: Vec<Arc<Pod>>,
    /// Pods this ReplicaSet controls that no longer match: to release.
    pub release: Vec<Arc<Pod>>,
}

/// What a sync does to the number of pods.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplicaAction {
    /// The count is right.
    Nothing,
    /// Create this many pods (at most [`BURST_REPLICAS`]).
    Create(usize),
    /// Delete these pods (at most [`BURST_REPLICAS`]), the best candidates first.
    Delete(Vec<Arc<Pod>>),
}

/// The controller owner reference a ReplicaSet puts on its pods.
pub fn controller_ref(rs: &ReplicaSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".to_owned(),
        kind: "ReplicaSet".to_owned(),
        name: rs.metadata.name.clone().unwrap_or_default(),
        uid: rs.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        // The garbage collector's foreground deletion waits for such dependents.
        block_owner_deletion: Some(true),
    }
}

// ANCHOR: claim_pods
/// Sorts the active pods of the ReplicaSet's namespace (upstream `ControllerRefManager.
/// ClaimPods`): a pod controlled by this ReplicaSet is owned while it matches the selector and
/// released when it does not (unless the ReplicaSet is being deleted); an orphan that matches
/// is adopted (unless the ReplicaSet or the pod is being deleted); pods controlled by someone
/// else are none of our business.
pub fn claim_pods(rs: &ReplicaSet, pods: &[Arc<Pod>]) -> Result<Claims, SelectorError> {
    // BEGIN SOLUTION step-2: for each pod: controlled by us (same uid)? match -> owned, else release unless we are being deleted; controlled by another -> skip; orphan that matches, with neither side being deleted -> adopt
    let selector = rs
        .spec
        .as_ref()
        .map(|spec| spec.selector.clone())
        .unwrap_or_default();
    let uid = rs.metadata.uid.as_deref().unwrap_or_default();
    let rs_deleting = rs.metadata.deletion_timestamp.is_some();
    let mut claims = Claims::default();
    for pod in pods {
        let matches = selector_matches(&selector, pod.metadata.labels.as_ref())?;
        match controller_of(&pod.metadata) {
            Some(owner) if owner.uid == uid => {
                if matches {
                    claims.owned.push(pod.clone());
                } else if !rs_deleting {
                    claims.release.push(pod.clone());
                }
            }
            Some(_) => {}
            None => {
                if matches && !rs_deleting && pod.metadata.deletion_timestamp.is_none() {
                    claims.adopt.push(pod.clone());
                }
            }
        }
    }
    Ok(claims)
    // END SOLUTION
}
// ANCHOR_END: claim_pods

// ANCHOR: replica_action
/// Compares the active owned pods with `spec.replicas` (default 1): too few, create the
/// difference; too many, delete the difference, chosen by [`pods_to_delete`] (ranked against
/// `related`, the pods of this ReplicaSet and its siblings); both capped at
/// [`BURST_REPLICAS`] per sync.
pub fn replica_action(
    rs: &ReplicaSet,
    active: &[Arc<Pod>],
    related: &[Arc<Pod>],
    now: SystemTime,
) -> ReplicaAction {
    // BEGIN SOLUTION step-2: diff = active - wanted; negative: create min(-diff, burst); positive: delete the min(diff, burst) best candidates
    let wanted = desired_replicas(rs);
    if active.len() < wanted {
        ReplicaAction::Create((wanted - active.len()).min(BURST_REPLICAS))
    } else if active.len() > wanted {
        let count = (active.len() - wanted).min(BURST_REPLICAS);
        ReplicaAction::Delete(pods_to_delete(active, related, count, now))
    } else {
        ReplicaAction::Nothing
    }
    // END SOLUTION
}
// ANCHOR_END: replica_action

/// `spec.replicas`, 1 when unset, 0 when negative.
pub fn desired_replicas(rs: &ReplicaSet) -> usize {
    let replicas = rs.spec.as_ref().and_then(|spec| spec.replicas).unwrap_or(1);
    usize::try_from(replicas).unwrap_or(0)
}

// ANCHOR: slow_start_batches
/// The batch sizes for creating `count` pods (upstream `slowStartBatch`): 1, 2, 4, ... each
/// double the last, the final one what remains. A sync stops at the first batch with a
/// failure, so a template the apiserver refuses costs one failed request, not `count`.
pub fn slow_start_batches(count: usize) -> Vec<usize> {
    // BEGIN SOLUTION step-2: start at SLOW_START_INITIAL_BATCH, double each time, never past what remains
    let mut batches = Vec::new();
    let mut remaining = count;
    let mut size = SLOW_START_INITIAL_BATCH.min(remaining);
    while size > 0 {
        batches.push(size);
        remaining -= size;
        size = (size * 2).min(remaining);
    }
    batches
    // END SOLUTION
}
// ANCHOR_END: slow_start_batches

/// A new pod from the ReplicaSet's template (upstream `GetPodFromTemplate`): the template's
/// labels, annotations, finalizers and spec; a name generated from the ReplicaSet's
/// (`web-` + 5 random characters, by the apiserver); the controller reference.
pub fn new_pod(rs: &ReplicaSet) -> Pod {
    let template = rs
        .spec
        .as_ref()
        .and_then(|spec| spec.template.clone())
        .unwrap_or_default();
    let template_meta = template.metadata.unwrap_or_default();
    let name = rs.metadata.name.as_deref().unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: rs.metadata.namespace.clone(),
            labels: template_meta.labels,
            annotations: template_meta.annotations,
            finalizers: template_meta.finalizers,
            owner_references: Some(vec![controller_ref(rs)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}
