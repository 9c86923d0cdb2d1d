//! A Deployment's status and its two conditions (upstream `progress.go`, `calculateStatus`):
//! what `kubectl rollout status` and `kubectl get deployment` read.
//!
//! - `Available`: `True` (`MinimumReplicasAvailable`) while at least `spec.replicas -
//!   maxUnavailable` pods are available, else `False` (`MinimumReplicasUnavailable`).
//! - `Progressing`: `True` with `NewReplicaSetCreated` / `FoundNewReplicaSet` /
//!   `ReplicaSetUpdated` while the rollout moves, `NewReplicaSetAvailable` once complete;
//!   `False` with `ProgressDeadlineExceeded` when nothing moved for
//!   `progressDeadlineSeconds`; `Unknown` with `DeploymentPaused` / `DeploymentResumed`.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};

use super::replicas::{
    actual_replica_count, available_replica_count, deployment_replicas, max_unavailable,
    ready_replica_count, replica_count,
};
use crate::pods::{to_system_time, to_time};

/// The `Progressing` condition type.
pub const PROGRESSING: &str = "Progressing";
/// The `Available` condition type.
pub const AVAILABLE: &str = "Available";
/// The `ReplicaFailure` condition type (copied from a ReplicaSet that cannot create pods).
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

/// Reason: the Deployment created its new ReplicaSet.
pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
/// Reason: the Deployment found its new ReplicaSet (it existed already).
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
/// Reason: the rollout made progress.
pub const RS_UPDATED: &str = "ReplicaSetUpdated";
/// Reason: the rollout is complete.
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
/// Reason: no progress for `progressDeadlineSeconds`.
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
/// Reason: the new ReplicaSet could not be created.
pub const FAILED_RS_CREATE: &str = "ReplicaSetCreateError";
/// Reason: `spec.paused` became true.
pub const PAUSED: &str = "DeploymentPaused";
/// Reason: `spec.paused` became false.
pub const RESUMED: &str = "DeploymentResumed";
/// Reason: enough pods are available.
pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
/// Reason: too few pods are available.
pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// A condition stamped `now` (upstream `NewDeploymentCondition`).
pub fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: SystemTime,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message),
        last_update_time: Some(to_time(now)),
        last_transition_time: Some(to_time(now)),
    }
}

/// The condition of this type, if any.
pub fn get_condition<'a>(
    status: &'a DeploymentStatus,
    type_: &str,
) -> Option<&'a DeploymentCondition> {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == type_)
}

/// Sets a condition (upstream `SetDeploymentCondition`): nothing when one of that type has the
/// same status and reason; otherwise it replaces the old one, keeping its
/// `lastTransitionTime` when the status did not change.
pub fn set_condition(status: &mut DeploymentStatus, mut condition: DeploymentCondition) {
    if let Some(current) = get_condition(status, &condition.type_) {
        if current.status == condition.status && current.reason == condition.reason {
            return;
        }
        if current.status == condition.status {
            condition.last_transition_time = current.last_transition_time.clone();
        }
    }
    remove_condition(status, &condition.type_);
    status.conditions.get_or_insert_default().push(condition);
}

/// Removes the condition of this type.
pub fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != type_);
    }
}

/// `spec.progressDeadlineSeconds`, unless unset or "no deadline" (`i32::MAX`).
pub fn progress_deadline(deployment: &Deployment) -> Option<Duration> {
    let seconds = deployment.spec.as_ref()?.progress_deadline_seconds?;
    (seconds != i32::MAX).then(|| Duration::from_secs(u64::from(seconds.unsigned_abs())))
}

// ANCHOR: calculate_status
/// The status the ReplicaSets add up to (upstream `calculateStatus`): `replicas`,
/// `readyReplicas` and `availableReplicas` summed over all of them, `updatedReplicas` the new
/// one's pods, `unavailableReplicas` = pods asked for - available (not below 0), the
/// generation observed, the collision count and conditions kept, and `Available` set.
pub fn calculate_status(
    deployment: &Deployment,
    all: &[ReplicaSet],
    new: Option<&ReplicaSet>,
    now: SystemTime,
) -> DeploymentStatus {
    // BEGIN SOLUTION step-3: sum the counts; Available True/MinimumReplicasAvailable when available >= replicas - maxUnavailable, else False/MinimumReplicasUnavailable
    let old = deployment.status.clone().unwrap_or_default();
    let available = available_replica_count(all);
    let unavailable = (replica_count(all) - available).max(0);
    let mut status = DeploymentStatus {
        observed_generation: deployment.metadata.generation,
        replicas: Some(actual_replica_count(all)),
        updated_replicas: Some(actual_replica_count(new)),
        ready_replicas: Some(ready_replica_count(all)),
        available_replicas: Some(available),
        unavailable_replicas: Some(unavailable),
        collision_count: old.collision_count,
        conditions: old.conditions.clone(),
        terminating_replicas: old.terminating_replicas,
    };
    let condition = if available >= deployment_replicas(deployment) - max_unavailable(deployment) {
        let message = "Deployment has minimum availability.".to_owned();
        new_condition(AVAILABLE, "True", MIN_AVAILABLE, message, now)
    } else {
        let message = "Deployment does not have minimum availability.".to_owned();
        new_condition(AVAILABLE, "False", MIN_UNAVAILABLE, message, now)
    };
    set_condition(&mut status, condition);
    status
    // END SOLUTION
}
// ANCHOR_END: calculate_status

fn count(value: Option<i32>) -> i32 {
    value.unwrap_or(0)
}

/// Whether the rollout is done (upstream `DeploymentComplete`): every desired pod is updated
/// and available, no old pod is left, and the status describes the current generation.
pub fn is_complete(deployment: &Deployment, status: &DeploymentStatus) -> bool {
    let desired = deployment_replicas(deployment);
    count(status.updated_replicas) == desired
        && count(status.replicas) == desired
        && count(status.available_replicas) == desired
        && status.observed_generation >= deployment.metadata.generation
}

/// Whether the new status shows progress over the old one (upstream `DeploymentProgressing`):
/// more updated pods, fewer old pods, more ready or more available pods.
pub fn is_progressing(deployment: &Deployment, new: &DeploymentStatus) -> bool {
    let old = deployment.status.clone().unwrap_or_default();
    let old_old = count(old.replicas) - count(old.updated_replicas);
    let new_old = count(new.replicas) - count(new.updated_replicas);
    count(new.updated_replicas) > count(old.updated_replicas)
        || new_old < old_old
        || count(new.ready_replicas) > count(old.ready_replicas)
        || count(new.available_replicas) > count(old.available_replicas)
}

/// Whether the rollout ran out of time (upstream `DeploymentTimedOut`): the `Progressing`
/// condition was last updated more than `progressDeadlineSeconds` before `now` (and it does
/// not say the rollout completed).
pub fn is_timed_out(deployment: &Deployment, status: &DeploymentStatus, now: SystemTime) -> bool {
    let Some(deadline) = progress_deadline(deployment) else {
        return false;
    };
    let Some(condition) = get_condition(status, PROGRESSING) else {
        return false;
    };
    match condition.reason.as_deref() {
        Some(NEW_RS_AVAILABLE) => false,
        Some(TIMED_OUT) => true,
        _ => condition
            .last_update_time
            .as_ref()
            .is_some_and(|from| to_system_time(from) + deadline < now),
    }
}

// ANCHOR: rollout_status
/// The status after a rollout step, with its `Progressing` condition (upstream
/// `syncRolloutStatus`): no deadline, no condition; a rollout already complete stays so;
/// otherwise complete -> `True`/`NewReplicaSetAvailable`; progress -> `True`/`ReplicaSetUpdated`
/// (updated now, keeping the transition time of a `True` one); no progress for too long ->
/// `False`/`ProgressDeadlineExceeded`. A `ReplicaFailure` of the ReplicaSets is copied.
pub fn rollout_status(
    deployment: &Deployment,
    all: &[ReplicaSet],
    new: Option<&ReplicaSet>,
    now: SystemTime,
) -> DeploymentStatus {
    // BEGIN SOLUTION step-3: calculate_status; then, with a deadline and not already complete: complete / progressing / timed out, as documented
    let mut status = calculate_status(deployment, all, new, now);
    let has_deadline = progress_deadline(deployment).is_some();
    if !has_deadline {
        remove_condition(&mut status, PROGRESSING);
    }
    let old = deployment.status.clone().unwrap_or_default();
    let current = get_condition(&old, PROGRESSING).cloned();
    let already_complete = count(status.replicas) == count(status.updated_replicas)
        && current
            .as_ref()
            .is_some_and(|c| c.reason.as_deref() == Some(NEW_RS_AVAILABLE));
    let name = deployment.metadata.name.as_deref().unwrap_or_default();
    let subject = match new.and_then(|rs| rs.metadata.name.as_deref()) {
        Some(rs) => format!("ReplicaSet {rs:?}"),
        None => format!("Deployment {name:?}"),
    };
    if has_deadline && !already_complete {
        if is_complete(deployment, &status) {
            let message = format!("{subject} has successfully progressed.");
            let condition = new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, message, now);
            set_condition(&mut status, condition);
        } else if is_progressing(deployment, &status) {
            let message = format!("{subject} is progressing.");
            let mut condition = new_condition(PROGRESSING, "True", RS_UPDATED, message, now);
            if let Some(current) = &current {
                if current.status == "True" {
                    condition.last_transition_time = current.last_transition_time.clone();
                }
                remove_condition(&mut status, PROGRESSING);
            }
            set_condition(&mut status, condition);
        } else if is_timed_out(deployment, &status, now) {
            let message = format!("{subject} has timed out progressing.");
            let condition = new_condition(PROGRESSING, "False", TIMED_OUT, message, now);
            set_condition(&mut status, condition);
        }
    }
    match replica_failure(all, new) {
        Some(failure) => set_condition(&mut status, failure),
        None => remove_condition(&mut status, REPLICA_FAILURE),
    }
    status
    // END SOLUTION
}
// ANCHOR_END: rollout_status

/// The first `ReplicaFailure` condition of the new ReplicaSet, else of an old one, as a
/// Deployment condition (upstream `getReplicaFailures`).
fn replica_failure(all: &[ReplicaSet], new: Option<&ReplicaSet>) -> Option<DeploymentCondition> {
    new.into_iter().chain(all).find_map(|rs| {
        let condition = rs
            .status
            .as_ref()?
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == REPLICA_FAILURE)?;
        Some(DeploymentCondition {
            type_: REPLICA_FAILURE.to_owned(),
            status: condition.status.clone(),
            reason: condition.reason.clone(),
            message: condition.message.clone(),
            last_update_time: condition.last_transition_time.clone(),
            last_transition_time: condition.last_transition_time.clone(),
        })
    })
}

/// When to look at a rollout again to check its deadline (upstream
/// `requeueStuckDeployment`): `None` without a deadline, a `Progressing` condition, or when
/// complete or already timed out; else the time left, plus a second.
pub fn recheck_after(
    deployment: &Deployment,
    status: &DeploymentStatus,
    now: SystemTime,
) -> Option<Duration> {
    let deadline = progress_deadline(deployment)?;
    let old = deployment.status.clone().unwrap_or_default();
    let current = get_condition(&old, PROGRESSING)?;
    if is_complete(deployment, status) || current.reason.as_deref() == Some(TIMED_OUT) {
        return None;
    }
    let updated = to_system_time(current.last_update_time.as_ref()?);
    let left = (updated + deadline)
        .duration_since(now)
        .unwrap_or(Duration::ZERO);
    Some(left + Duration::from_secs(1))
}

/// The `Progressing` condition to set when `spec.paused` changed (upstream
/// `checkPausedConditions`): `Unknown`/`DeploymentPaused` on pause, `Unknown`/
/// `DeploymentResumed` on resume; nothing without a deadline or after a timeout.
pub fn paused_condition(deployment: &Deployment, now: SystemTime) -> Option<DeploymentCondition> {
    progress_deadline(deployment)?;
    let status = deployment.status.clone().unwrap_or_default();
    let current = get_condition(&status, PROGRESSING);
    let reason = current.and_then(|c| c.reason.as_deref());
    if reason == Some(TIMED_OUT) {
        return None;
    }
    let paused = deployment
        .spec
        .as_ref()
        .and_then(|s| s.paused)
        .unwrap_or(false);
    match (paused, reason == Some(PAUSED)) {
        (true, false) => Some(new_condition(
            PROGRESSING,
            "Unknown",
            PAUSED,
            "Deployment is paused".to_owned(),
            now,
        )),
        (false, true) => Some(new_condition(
            PROGRESSING,
            "Unknown",
            RESUMED,
            "Deployment is resumed".to_owned(),
            now,
        )),
        _ => None,
    }
}
