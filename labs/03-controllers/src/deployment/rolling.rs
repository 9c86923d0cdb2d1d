//! The rolling update's decisions (upstream `rolling.go` and `NewRSNewReplicas`): grow the new
//! ReplicaSet as far as `maxSurge` allows; shrink the old ones as far as `maxUnavailable`
//! allows; one of the two per sync, then wait for the pods to change.
//!
//! With 3 replicas, `maxSurge: 1` and `maxUnavailable: 1`, pods ready at once (old, new):
//!
//! ```text
//! (3, 0) --create new at 1--> (3, 1) --old to 1--> (1, 1) --new to 3--> (1, 3) --old to 0--> (0, 3)
//!   at most 4 pods             2 may be unavailable
//! ```

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::replicas::{
    available_replica_count, by_creation, deployment_replicas, is_rolling_update, max_surge,
    max_unavailable, replica_count, rs_available, rs_replicas,
};

/// One decision: set the ReplicaSet `name` to `replicas` pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    /// The ReplicaSet.
    pub name: String,
    /// Its new `spec.replicas`.
    pub replicas: i32,
}

impl Scale {
    fn of(rs: &ReplicaSet, replicas: i32) -> Scale {
        Scale {
            name: rs.metadata.name.clone().unwrap_or_default(),
            replicas,
        }
    }
}

// ANCHOR: new_rs_new_replicas
/// The size the new ReplicaSet may grow to now (upstream `NewRSNewReplicas`). Rolling update:
/// all ReplicaSets together may ask for `spec.replicas + maxSurge` pods, and the new one never
/// for more than `spec.replicas`. Recreate: `spec.replicas` (the old ones are gone by then).
pub fn new_rs_new_replicas(deployment: &Deployment, all: &[ReplicaSet], new: &ReplicaSet) -> i32 {
    // BEGIN SOLUTION step-3: Recreate -> desired; else max total = desired + maxSurge; at or above it -> unchanged; else grow by min(room, desired - new)
    let desired = deployment_replicas(deployment);
    if !is_rolling_update(deployment) {
        return desired;
    }
    let max_total = desired + max_surge(deployment);
    let current = replica_count(all);
    if current >= max_total {
        return rs_replicas(new);
    }
    let scale_up = (max_total - current).min(desired - rs_replicas(new));
    rs_replicas(new) + scale_up
    // END SOLUTION
}
// ANCHOR_END: new_rs_new_replicas

/// Scales the new ReplicaSet toward `spec.replicas` (upstream `reconcileNewReplicaSet`):
/// down at once if it is larger, up as far as [`new_rs_new_replicas`] allows.
pub fn reconcile_new_replica_set(
    deployment: &Deployment,
    all: &[ReplicaSet],
    new: &ReplicaSet,
) -> Option<Scale> {
    let desired = deployment_replicas(deployment);
    let current = rs_replicas(new);
    let target = if current > desired {
        desired
    } else {
        new_rs_new_replicas(deployment, all, new)
    };
    (target != current).then(|| Scale::of(new, target))
}

// ANCHOR: reconcile_old_replica_sets
/// Scales the old ReplicaSets down (upstream `reconcileOldReplicaSets`). The most that may go
/// is `maxScaledDown = all pods asked for - (spec.replicas - maxUnavailable) - the new
/// ReplicaSet's unavailable pods`. Unhealthy old pods go first, oldest ReplicaSet first
/// (`cleanupUnhealthyReplicas`: they serve nobody, and they would block the rollout); then
/// available ones, as long as the available pods stay above `spec.replicas -
/// maxUnavailable` (`scaleDownOldReplicaSetsForRollingUpdate`).
pub fn reconcile_old_replica_sets(
    deployment: &Deployment,
    old: &[ReplicaSet],
    new: &ReplicaSet,
) -> Vec<Scale> {
    // BEGIN SOLUTION step-3: maxScaledDown as documented; <= 0 -> nothing; cleanup unhealthy (spec - available) oldest first up to it; then scale down while available > minAvailable, oldest first
    let mut old: Vec<ReplicaSet> = old
        .iter()
        .filter(|rs| rs_replicas(rs) > 0)
        .cloned()
        .collect();
    if old.is_empty() {
        return Vec::new();
    }
    old.sort_by(by_creation);
    let all_pods = replica_count(&old) + rs_replicas(new);
    let min_available = deployment_replicas(deployment) - max_unavailable(deployment);
    let new_unavailable = rs_replicas(new) - rs_available(new);
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return Vec::new();
    }
    // Sizes after each phase, by position in `old`.
    let mut sizes: Vec<i32> = old.iter().map(rs_replicas).collect();
    let mut cleaned = 0;
    for (rs, size) in old.iter().zip(sizes.iter_mut()) {
        if cleaned >= max_scaled_down {
            break;
        }
        let unhealthy = *size - rs_available(rs);
        if *size == 0 || unhealthy <= 0 {
            continue;
        }
        let down = unhealthy.min(max_scaled_down - cleaned);
        *size -= down;
        cleaned += down;
    }
    let available = available_replica_count(old.iter().chain(std::iter::once(new)));
    let mut scale_down = (available - min_available).max(0);
    for size in &mut sizes {
        if scale_down == 0 {
            break;
        }
        let down = (*size).min(scale_down);
        *size -= down;
        scale_down -= down;
    }
    old.iter()
        .zip(sizes)
        .filter(|(rs, size)| rs_replicas(rs) != *size)
        .map(|(rs, size)| Scale::of(rs, size))
        .collect()
    // END SOLUTION
}
// ANCHOR_END: reconcile_old_replica_sets

// ANCHOR: plan
/// One sync of a rolling update (upstream `rolloutRolling`, its scaling part): scale the new
/// ReplicaSet up if it may; if it may not, scale old ones down; if neither, nothing (the
/// rollout waits for pods, or is complete).
pub fn plan(deployment: &Deployment, new: &ReplicaSet, old: &[ReplicaSet]) -> Vec<Scale> {
    let mut all: Vec<ReplicaSet> = old.to_vec();
    all.push(new.clone());
    if let Some(scale) = reconcile_new_replica_set(deployment, &all, new) {
        return vec![scale];
    }
    reconcile_old_replica_sets(deployment, old, new)
}
// ANCHOR_END: plan
