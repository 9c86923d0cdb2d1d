//! The arithmetic of a Deployment's ReplicaSets (upstream `pkg/controller/deployment/util`):
//! how far `maxSurge` and `maxUnavailable` reach, replica counts summed over ReplicaSets, the
//! annotations that record them, and the orders ReplicaSets are sorted in.

use std::cmp::Ordering;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The label (and selector term) that tells a Deployment's ReplicaSets apart: the hash of the
/// pod template each one runs (`apps.DefaultDeploymentUniqueLabelKey`).
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// The revision of a ReplicaSet (and of its Deployment): 1, 2, 3, ... in rollout order.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The earlier revisions a ReplicaSet had before a rollback reused it, comma-separated.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// `spec.replicas` of the Deployment when it last sized this ReplicaSet.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// `spec.replicas + maxSurge` of the Deployment when it last sized this ReplicaSet: what
/// proportional scaling compares the new size with.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// The reason of a change, copied from the Deployment to its new ReplicaSet (`kubectl
/// rollout history` prints it as CHANGE-CAUSE).
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// Deployment annotations that are *not* copied to its ReplicaSets (upstream
/// `annotationsToSkip`): the controller's own bookkeeping and kubectl's apply record.
pub const ANNOTATIONS_NOT_COPIED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

/// `spec.replicas` of a Deployment (1 when unset, the apiserver's default).
pub fn deployment_replicas(deployment: &Deployment) -> i32 {
    deployment
        .spec
        .as_ref()
        .and_then(|spec| spec.replicas)
        .unwrap_or(1)
}

/// `spec.replicas` of a ReplicaSet (1 when unset).
pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|spec| spec.replicas).unwrap_or(1)
}

/// `status.availableReplicas` of a ReplicaSet.
pub fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|status| status.available_replicas)
        .unwrap_or(0)
}

/// Whether the strategy is `RollingUpdate` (the default when no type is set).
pub fn is_rolling_update(deployment: &Deployment) -> bool {
    strategy_type(deployment) == "RollingUpdate"
}

/// `spec.strategy.type`: `RollingUpdate` (the default) or `Recreate`.
pub fn strategy_type(deployment: &Deployment) -> &str {
    deployment
        .spec
        .as_ref()
        .and_then(|spec| spec.strategy.as_ref())
        .and_then(|strategy| strategy.type_.as_deref())
        .unwrap_or("RollingUpdate")
}

// ANCHOR: scaled_value
/// An int-or-percent against `total` (upstream `GetScaledValueFromIntOrPercent`): an integer
/// is itself; `"25%"` of 10 is 2.5, rounded up (`round_up`, how `maxSurge` rounds) or down
/// (how `maxUnavailable` rounds). `None` for a malformed percentage (validation refuses those).
pub fn scaled_value(value: &IntOrString, total: i32, round_up: bool) -> Option<i32> {
    // BEGIN SOLUTION step-3: an Int is itself; a String must end in %; percent * total / 100, ceil when round_up else floor
    match value {
        IntOrString::Int(value) => Some(*value),
        IntOrString::String(text) => {
            let percent: i64 = text.strip_suffix('%')?.parse().ok()?;
            let scaled = percent * i64::from(total);
            let value = if round_up {
                (scaled + 99).div_euclid(100)
            } else {
                scaled.div_euclid(100)
            };
            i32::try_from(value).ok()
        }
    }
    // END SOLUTION
}
// ANCHOR_END: scaled_value

/// `maxSurge` and `maxUnavailable` resolved against `desired` (upstream `ResolveFenceposts`):
/// unset values count as 0; surge rounds up, unavailable down; and when both come out 0 (a
/// small percentage rounded down), unavailable becomes 1, or the rollout could never move.
pub fn resolve_fenceposts(deployment: &Deployment, desired: i32) -> (i32, i32) {
    let rolling = deployment
        .spec
        .as_ref()
        .and_then(|spec| spec.strategy.as_ref())
        .and_then(|strategy| strategy.rolling_update.as_ref());
    let zero = IntOrString::Int(0);
    let surge_value = rolling.and_then(|r| r.max_surge.as_ref()).unwrap_or(&zero);
    let unavailable_value = rolling
        .and_then(|r| r.max_unavailable.as_ref())
        .unwrap_or(&zero);
    let surge = scaled_value(surge_value, desired, true).unwrap_or(0);
    let unavailable = scaled_value(unavailable_value, desired, false).unwrap_or(0);
    if surge == 0 && unavailable == 0 {
        return (0, 1);
    }
    (surge, unavailable)
}

/// How many pods above `spec.replicas` a rolling update may run (upstream `MaxSurge`; 0 for
/// `Recreate`).
pub fn max_surge(deployment: &Deployment) -> i32 {
    if !is_rolling_update(deployment) {
        return 0;
    }
    resolve_fenceposts(deployment, deployment_replicas(deployment)).0
}

/// How many of `spec.replicas` may be unavailable during a rolling update (upstream
/// `MaxUnavailable`; 0 for `Recreate` or 0 replicas; never more than `spec.replicas`).
pub fn max_unavailable(deployment: &Deployment) -> i32 {
    let desired = deployment_replicas(deployment);
    if !is_rolling_update(deployment) || desired == 0 {
        return 0;
    }
    resolve_fenceposts(deployment, desired).1.min(desired)
}

/// The sum of `spec.replicas` (upstream `GetReplicaCountForReplicaSets`): pods asked for.
pub fn replica_count<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    rss.into_iter().map(rs_replicas).sum()
}

/// The sum of `status.replicas` (upstream `GetActualReplicaCountForReplicaSets`): pods there.
pub fn actual_replica_count<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    rss.into_iter()
        .map(|rs| rs.status.as_ref().map_or(0, |status| status.replicas))
        .sum()
}

/// The sum of `status.readyReplicas`.
pub fn ready_replica_count<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    rss.into_iter()
        .map(|rs| {
            rs.status
                .as_ref()
                .and_then(|status| status.ready_replicas)
                .unwrap_or(0)
        })
        .sum()
}

/// The sum of `status.availableReplicas`.
pub fn available_replica_count<'a>(rss: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    rss.into_iter().map(rs_available).sum()
}

/// An integer annotation of a ReplicaSet.
pub fn int_annotation(rs: &ReplicaSet, key: &str) -> Option<i64> {
    rs.metadata.annotations.as_ref()?.get(key)?.parse().ok()
}

/// The revision of a ReplicaSet (0 when it has none or a malformed one).
pub fn revision(rs: &ReplicaSet) -> i64 {
    int_annotation(rs, REVISION).unwrap_or(0)
}

/// Whether the `desired-replicas` / `max-replicas` annotations differ from these values.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    int_annotation(rs, DESIRED_REPLICAS) != Some(i64::from(desired))
        || int_annotation(rs, MAX_REPLICAS) != Some(i64::from(max))
}

/// Sets the `desired-replicas` / `max-replicas` annotations; whether anything changed.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    if !replicas_annotations_need_update(rs, desired, max) {
        return false;
    }
    let annotations = rs.metadata.annotations.get_or_insert_default();
    annotations.insert(DESIRED_REPLICAS.to_owned(), desired.to_string());
    annotations.insert(MAX_REPLICAS.to_owned(), max.to_string());
    true
}

/// Oldest first, then by name (upstream `ReplicaSetsByCreationTimestamp`).
pub fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    let created = |rs: &ReplicaSet| rs.metadata.creation_timestamp.as_ref().map(|t| t.0);
    created(a)
        .cmp(&created(b))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// Lowest revision first, then oldest (upstream `ReplicaSetsByRevision`).
pub fn by_revision(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    revision(a)
        .cmp(&revision(b))
        .then_with(|| by_creation(a, b))
}

/// The ReplicaSets with pods asked for (upstream `FilterActiveReplicaSets`).
pub fn active(rss: &[ReplicaSet]) -> Vec<ReplicaSet> {
    rss.iter()
        .filter(|rs| rs_replicas(rs) > 0)
        .cloned()
        .collect()
}
