//! Scaling a Deployment (upstream `sync.go`: `isScalingEvent`, `scale`): a change of
//! `spec.replicas` alone is not a rollout. With one active ReplicaSet it takes the new size;
//! in the middle of a rolling update every active ReplicaSet grows or shrinks in proportion
//! to its size, so the update goes on from where it was (proportional scaling).

use std::cmp::Ordering;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::replicas::{
    DESIRED_REPLICAS, MAX_REPLICAS, by_creation, deployment_replicas, int_annotation,
    is_rolling_update, max_surge, replica_count, rs_available, rs_replicas,
};
use super::rolling::Scale;

/// Whether `spec.replicas` changed since the Deployment last sized its active ReplicaSets: one
/// of them has a `desired-replicas` annotation other than `spec.replicas` (upstream
/// `isScalingEvent`).
pub fn is_scaling_event(deployment: &Deployment, all: &[ReplicaSet]) -> bool {
    let desired = i64::from(deployment_replicas(deployment));
    all.iter()
        .filter(|rs| rs_replicas(rs) > 0)
        .filter_map(|rs| int_annotation(rs, DESIRED_REPLICAS))
        .any(|annotated| annotated != desired)
}

/// The only active ReplicaSet; with none active, the new one or else the newest old one
/// (upstream `FindActiveOrLatest`); `None` when several are active.
fn active_or_latest(new: Option<&ReplicaSet>, old: &[ReplicaSet]) -> Option<ReplicaSet> {
    let mut old: Vec<&ReplicaSet> = old.iter().collect();
    old.sort_by(|a, b| by_creation(b, a));
    let all: Vec<&ReplicaSet> = old.iter().copied().chain(new).collect();
    let active: Vec<&&ReplicaSet> = all.iter().filter(|rs| rs_replicas(rs) > 0).collect();
    match active.as_slice() {
        [] => new.or(old.first().copied()).cloned(),
        [only] => Some((**only).clone()),
        _ => None,
    }
}

/// Whether the new ReplicaSet already runs the whole Deployment (upstream `IsSaturated`).
fn is_saturated(deployment: &Deployment, new: Option<&ReplicaSet>) -> bool {
    let Some(new) = new else {
        return false;
    };
    let desired = deployment_replicas(deployment);
    rs_replicas(new) == desired
        && int_annotation(new, DESIRED_REPLICAS) == Some(i64::from(desired))
        && rs_available(new) == desired
}

/// How many replicas `rs` gains (or loses, negative) of `to_add` still to share out
/// (upstream `GetReplicaSetProportion` and `getReplicaSetFraction`): its size times the ratio
/// of the new maximum (`spec.replicas + maxSurge`) to the maximum it was sized for (its
/// `max-replicas` annotation, else `status.replicas`), rounded half away from zero.
fn proportion(deployment: &Deployment, rs: &ReplicaSet, to_add: i32, added: i32) -> i32 {
    let size = rs_replicas(rs);
    if size == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = if deployment_replicas(deployment) == 0 {
        -size
    } else {
        let max_now = deployment_replicas(deployment) + max_surge(deployment);
        let before = match int_annotation(rs, MAX_REPLICAS) {
            Some(before) if before != 0 => before,
            _ => i64::from(
                deployment
                    .status
                    .as_ref()
                    .and_then(|status| status.replicas)
                    .unwrap_or(0),
            ),
        };
        if before == 0 {
            0
        } else {
            let scaled = (f64::from(size) * f64::from(max_now) / before as f64).round();
            // Within i32: a size times a ratio of two i32 counts, rounded.
            scaled as i32 - size
        }
    };
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

// ANCHOR: scale
/// The new sizes after a scaling event (upstream `scale`): the one active (or latest)
/// ReplicaSet takes `spec.replicas`; a saturated new ReplicaSet means every old one goes to 0;
/// otherwise, for a rolling update, `spec.replicas + maxSurge - (pods asked for)` is shared
/// among the active ReplicaSets in proportion to their sizes, largest first (newer first when
/// growing, older first when shrinking), the rounding leftover going to the first.
pub fn scale(deployment: &Deployment, new: Option<&ReplicaSet>, old: &[ReplicaSet]) -> Vec<Scale> {
    let desired = deployment_replicas(deployment);
    let named = |rs: &ReplicaSet, replicas: i32| Scale {
        name: rs.metadata.name.clone().unwrap_or_default(),
        replicas,
    };
    if let Some(rs) = active_or_latest(new, old) {
        return if rs_replicas(&rs) == desired {
            Vec::new()
        } else {
            vec![named(&rs, desired)]
        };
    }
    if is_saturated(deployment, new) {
        return old
            .iter()
            .filter(|rs| rs_replicas(rs) > 0)
            .map(|rs| named(rs, 0))
            .collect();
    }
    if !is_rolling_update(deployment) {
        return Vec::new();
    }
    let mut active: Vec<&ReplicaSet> = old
        .iter()
        .chain(new)
        .filter(|rs| rs_replicas(rs) > 0)
        .collect();
    let allowed = if desired > 0 {
        desired + max_surge(deployment)
    } else {
        0
    };
    let to_add = allowed - replica_count(active.iter().copied());
    let by_size = |a: &&ReplicaSet, b: &&ReplicaSet| rs_replicas(b).cmp(&rs_replicas(a));
    match to_add.cmp(&0) {
        Ordering::Greater => active.sort_by(|a, b| by_size(a, b).then_with(|| by_creation(b, a))),
        Ordering::Less => active.sort_by(|a, b| by_size(a, b).then_with(|| by_creation(a, b))),
        Ordering::Equal => {}
    }
    let mut added = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(active.len());
    for rs in &active {
        let share = proportion(deployment, rs, to_add, added);
        sizes.push(rs_replicas(rs) + share);
        added += share;
    }
    if let Some(first) = sizes.first_mut()
        && to_add != 0
    {
        *first = (*first + to_add - added).max(0);
    }
    active
        .iter()
        .zip(sizes)
        .map(|(rs, size)| named(rs, size))
        .collect()
}
// ANCHOR_END: scale
