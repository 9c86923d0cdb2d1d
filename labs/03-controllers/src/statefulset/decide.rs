//! The StatefulSet controller's decisions, as pure functions of the StatefulSet, its pods and
//! its two revisions (upstream `updateStatefulSet` in `stateful_set_control.go`): which
//! ordinals to create, which pods to delete, and in what order.
//!
//! With `podManagementPolicy: OrderedReady` (the default) one sync does at most one thing and
//! then waits: `web-1` is created only once `web-0` is Running and Ready, `web-2` goes before
//! `web-1` on a scale down, and a rolling update replaces one pod at a time from the highest
//! ordinal down. `Parallel` drops the waiting for creations and deletions (not for updates).

use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;

use super::identity::{ordinal_in, pod_revision};
use crate::pods::{is_available, is_ready};

/// The two revisions a sync works with: pods of `current` are the ones in place; `update` is
/// the StatefulSet's template now. Equal when no update is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revisions<'a> {
    /// The revision name in `status.currentRevision` (or `update` on the first sync).
    pub current: &'a str,
    /// The revision name of the StatefulSet's template.
    pub update: &'a str,
}

/// A pod to create: its ordinal and the revision whose template it is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPod {
    /// The ordinal (the pod is named `<statefulset>-<ordinal>`).
    pub ordinal: i32,
    /// The name of the revision to make it from.
    pub revision: String,
}

/// What one sync does to the pods: deletions first, then creations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actions {
    /// Pods to delete: failed ones, condemned ones (ordinal >= replicas), one to update.
    pub delete: Vec<Arc<Pod>>,
    /// Pods to create (each after its claims).
    pub create: Vec<NewPod>,
}

/// One slot per ordinal in `[0, replicas)`: the pod with that ordinal, if it exists.
pub type Replicas = Vec<Option<Arc<Pod>>>;

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or_default()
}

/// Whether the pod is being deleted.
pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// Whether the pod finished (`Failed`, or `Succeeded`): it is replaced, a StatefulSet member
/// is meant to run forever (upstream `isFailed` and `isSucceeded`).
pub fn is_finished(pod: &Pod) -> bool {
    matches!(phase(pod), "Failed" | "Succeeded")
}

/// Whether the pod is `Running` with its `Ready` condition `True` (upstream
/// `isRunningAndReady`).
pub fn is_running_and_ready(pod: &Pod) -> bool {
    phase(pod) == "Running" && is_ready(pod)
}

/// Running, ready and not being deleted (upstream `isHealthy`).
pub fn is_healthy(pod: &Pod) -> bool {
    is_running_and_ready(pod) && !is_terminating(pod)
}

/// `spec.minReadySeconds` (default 0).
pub fn min_ready_seconds(set: &StatefulSet) -> i32 {
    set.spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0)
}

/// `spec.replicas` (default 1).
pub fn replicas_of(set: &StatefulSet) -> i32 {
    set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// Whether creations and deletions wait for each other (`OrderedReady`, the default) or not
/// (`Parallel`, upstream `allowsBurst`).
pub fn is_ordered(set: &StatefulSet) -> bool {
    set.spec
        .as_ref()
        .and_then(|s| s.pod_management_policy.as_deref())
        != Some("Parallel")
}

/// `spec.updateStrategy`: `Some(partition)` for `RollingUpdate` (partition 0 when unset),
/// `None` for `OnDelete`.
pub fn rolling_partition(set: &StatefulSet) -> Option<i32> {
    let strategy = set.spec.as_ref().and_then(|s| s.update_strategy.as_ref());
    match strategy.and_then(|s| s.type_.as_deref()) {
        Some("OnDelete") => None,
        _ => Some(
            strategy
                .and_then(|s| s.rolling_update.as_ref())
                .and_then(|r| r.partition)
                .unwrap_or(0),
        ),
    }
}

/// The revision a new pod with `ordinal` is made from (upstream `newVersionedStatefulSetPod`):
/// below the partition of a rolling update, the current one (the canary stays on the
/// ordinals at or above it); otherwise the update revision.
pub fn revision_for<'a>(set: &StatefulSet, ordinal: i32, revisions: Revisions<'a>) -> &'a str {
    match rolling_partition(set) {
        Some(partition) if ordinal < partition => revisions.current,
        _ => revisions.update,
    }
}

/// Splits the StatefulSet's pods into the slots `[0, replicas)` and the condemned ones
/// (ordinal >= replicas), those sorted by ordinal. Pods whose name is not a member name are
/// left out.
pub fn split_by_ordinal(set: &StatefulSet, pods: &[Arc<Pod>]) -> (Replicas, Vec<Arc<Pod>>) {
    let count = usize::try_from(replicas_of(set)).unwrap_or(0);
    let mut replicas: Replicas = vec![None; count];
    let mut condemned: Vec<(i32, Arc<Pod>)> = Vec::new();
    for pod in pods {
        let Some(ordinal) = ordinal_in(set, pod) else {
            continue;
        };
        match usize::try_from(ordinal)
            .ok()
            .and_then(|i| replicas.get_mut(i))
        {
            Some(slot) => *slot = Some(pod.clone()),
            None => condemned.push((ordinal, pod.clone())),
        }
    }
    condemned.sort_by_key(|(ordinal, _)| *ordinal);
    (
        replicas,
        condemned.into_iter().map(|(_, pod)| pod).collect(),
    )
}

/// Whether the sync may go on after [`replica_actions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Every replica is in place (or the policy is `Parallel`): the rolling update may run.
    Continue,
    /// `OrderedReady` acted or must wait: nothing more this sync.
    Wait,
}

// ANCHOR: replica_actions
/// Creations and deletions for the replica count (the first half of upstream
/// `updateStatefulSet`), appended to `actions`. In ordinal order over `replicas`:
///
/// - a missing pod is created (from [`revision_for`]); a finished one is deleted and
///   created again, with the same name;
/// - ordered: after a creation, or at a pod that is terminating, not Running and Ready, or
///   not yet available (ready for `minReadySeconds` at `now`), stop ([`Progress::Wait`]): the
///   next ordinal waits for this one;
///
/// then over `condemned`, from the highest ordinal down:
///
/// - a terminating one: ordered, wait for it to go; parallel, skip it;
/// - ordered: delete one (a not Running and Ready one only if it is the first unhealthy pod
///   of the set) and stop; parallel: delete them all.
pub fn replica_actions(
    set: &StatefulSet,
    replicas: &Replicas,
    condemned: &[Arc<Pod>],
    revisions: Revisions<'_>,
    now: SystemTime,
    actions: &mut Actions,
) -> Progress {
    // ANCHOR_END: replica_actions
    // BEGIN SOLUTION step-4: walk the ordinals up (create missing, replace finished, ordered: stop at the first not Running and Ready), then the condemned down
    let ordered = is_ordered(set);
    // The first pod that is not healthy: missing replicas count, lowest ordinal first, then
    // the condemned from the highest down (the order they are deleted in).
    let first_unhealthy: Option<&Arc<Pod>> = if replicas
        .iter()
        .any(|slot| slot.as_ref().is_none_or(|p| !is_healthy(p)))
    {
        None
    } else {
        condemned.iter().rev().find(|pod| !is_healthy(pod))
    };
    for (ordinal, slot) in (0_i32..).zip(replicas) {
        let create = NewPod {
            ordinal,
            revision: revision_for(set, ordinal, revisions).to_owned(),
        };
        match slot {
            None => {
                actions.create.push(create);
                if ordered {
                    return Progress::Wait;
                }
            }
            Some(pod) if is_finished(pod) && !is_terminating(pod) => {
                actions.delete.push(pod.clone());
                actions.create.push(create);
                if ordered {
                    return Progress::Wait;
                }
            }
            Some(pod) => {
                let available = is_available(pod, min_ready_seconds(set), now);
                if ordered && (is_terminating(pod) || !is_running_and_ready(pod) || !available) {
                    return Progress::Wait;
                }
            }
        }
    }
    for pod in condemned.iter().rev() {
        if is_terminating(pod) {
            if ordered {
                return Progress::Wait;
            }
            continue;
        }
        let is_first_unhealthy = first_unhealthy.is_some_and(|first| Arc::ptr_eq(first, pod));
        if ordered && !is_running_and_ready(pod) && !is_first_unhealthy {
            return Progress::Wait;
        }
        actions.delete.push(pod.clone());
        if ordered {
            return Progress::Wait;
        }
    }
    Progress::Continue
    // END SOLUTION
}

// ANCHOR: rolling_update_target
/// The pod a `RollingUpdate` deletes next, to be recreated from the update revision (the
/// second half of upstream `updateStatefulSet`): from the highest ordinal down to the
/// partition, the first pod not of `update` and not already terminating; but stop (none)
/// at a missing or unhealthy pod on the way, so each updated pod is Running and Ready before
/// the next one goes. Ordinals below the partition keep their revision. `OnDelete`: none
/// (pods change only when someone deletes them).
pub fn rolling_update_target(
    set: &StatefulSet,
    replicas: &Replicas,
    update: &str,
) -> Option<Arc<Pod>> {
    // ANCHOR_END: rolling_update_target
    // BEGIN SOLUTION step-4: OnDelete -> none; else from the highest ordinal down to the partition: the first old, not terminating pod, stopping at an unhealthy one
    let partition = usize::try_from(rolling_partition(set)?).unwrap_or(0);
    for slot in replicas.iter().skip(partition).rev() {
        let pod = slot.as_ref()?;
        if pod_revision(pod) != Some(update) && !is_terminating(pod) {
            return Some(pod.clone());
        }
        if !is_healthy(pod) {
            return None;
        }
    }
    None
    // END SOLUTION
}

/// One sync's actions at `now`: [`replica_actions`], then, if they let it go on,
/// [`rolling_update_target`]. A StatefulSet being deleted gets none (the garbage collector
/// deletes its pods).
pub fn decide(
    set: &StatefulSet,
    pods: &[Arc<Pod>],
    revisions: Revisions<'_>,
    now: SystemTime,
) -> Actions {
    let mut actions = Actions::default();
    if set.metadata.deletion_timestamp.is_some() {
        return actions;
    }
    let (replicas, condemned) = split_by_ordinal(set, pods);
    let progress = replica_actions(set, &replicas, &condemned, revisions, now, &mut actions);
    if progress == Progress::Wait {
        return actions;
    }
    if let Some(pod) = rolling_update_target(set, &replicas, revisions.update) {
        actions.delete.push(pod);
    }
    actions
}
