//! Which pods a ReplicaSet deletes first when it has too many.
//!
//! Scaling down should hurt as little as possible: remove pods that serve no traffic yet before
//! pods that do. Upstream sorts the candidates with `controller.ActivePodsWithRanks` and deletes
//! from the front; the first rule that tells two pods apart decides:
//!
//! 1. unscheduled (no `spec.nodeName`) before scheduled;
//! 2. phase `Pending` before `Unknown` before `Running`;
//! 3. not ready before ready;
//! 4. lower `controller.kubernetes.io/pod-deletion-cost` annotation before higher (default 0);
//! 5. more pods of the same owner on its node ("doubled up") before fewer, which spreads the
//!    survivors over the nodes;
//! 6. both ready: ready for a shorter time before longer;
//! 7. more container restarts before fewer;
//! 8. created more recently before older.
//!
//! Rules 6 and 8 compare times on a logarithmic scale (`LogarithmicScaleDown`, on since 1.22):
//! durations whose `floor(log2(nanoseconds))` agree count as equal and the pods' UIDs decide,
//! so pods of about the same age are picked pseudo-randomly rather than always the newest.
//! A zero time (never ready, no timestamp) comes first.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::core::v1::Pod;

use crate::pods::{is_active, is_ready, ready_since, to_system_time};

/// The annotation that lets users steer scale-down (lower cost: deleted first).
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// A pod with its rank: how many active related pods share its node.
#[derive(Debug, Clone)]
pub struct RankedPod {
    /// The pod.
    pub pod: Arc<Pod>,
    /// Active pods of the same owner (or owners) on the same node, this one included.
    pub rank: usize,
}

/// Ranks `pods` by the number of active pods in `related` on the same node
/// (`getPodsRankedByRelatedPodsOnSameNode`); `related` usually includes `pods`.
pub fn rank_by_colocation(pods: &[Arc<Pod>], related: &[Arc<Pod>]) -> Vec<RankedPod> {
    let mut on_node: HashMap<&str, usize> = HashMap::new();
    for pod in related.iter().filter(|pod| is_active(pod)) {
        *on_node.entry(node_name(pod)).or_default() += 1;
    }
    pods.iter()
        .map(|pod| RankedPod {
            pod: pod.clone(),
            rank: on_node.get(node_name(pod)).copied().unwrap_or(0),
        })
        .collect()
}

/// The `count` pods to delete first out of `pods`, ranked against `related` at `now`.
pub fn pods_to_delete(
    pods: &[Arc<Pod>],
    related: &[Arc<Pod>],
    count: usize,
    now: SystemTime,
) -> Vec<Arc<Pod>> {
    let mut ranked = rank_by_colocation(pods, related);
    ranked.sort_by(|a, b| deletion_order(a, b, now));
    ranked
        .into_iter()
        .take(count)
        .map(|ranked| ranked.pod)
        .collect()
}

/// `Less` as an [`Ordering`]: `Less` when `a` should be deleted before `b`.
pub fn deletion_order(a: &RankedPod, b: &RankedPod, now: SystemTime) -> Ordering {
    if delete_before(a, b, now) {
        Ordering::Less
    } else if delete_before(b, a, now) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

// ANCHOR: delete_before
/// Whether `a` should be deleted before `b`: the first of the module doc's rules that tells
/// them apart decides; `false` when none does.
pub fn delete_before(a: &RankedPod, b: &RankedPod, now: SystemTime) -> bool {
    // BEGIN SOLUTION step-2: apply the eight rules in order (unassigned, phase, ready, deletion cost, rank, ready time, restarts, creation time); the first that differs decides
    let (pa, pb) = (a.pod.as_ref(), b.pod.as_ref());
    // 1. Unassigned before assigned.
    let (na, nb) = (node_name(pa), node_name(pb));
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return na.is_empty();
    }
    // 2. Pending < Unknown < Running.
    if phase_ordinal(pa) != phase_ordinal(pb) {
        return phase_ordinal(pa) < phase_ordinal(pb);
    }
    // 3. Not ready before ready.
    if is_ready(pa) != is_ready(pb) {
        return !is_ready(pa);
    }
    // 4. Lower deletion cost first.
    if deletion_cost(pa) != deletion_cost(pb) {
        return deletion_cost(pa) < deletion_cost(pb);
    }
    // 5. Doubled up before alone.
    if a.rank != b.rank {
        return a.rank > b.rank;
    }
    // 6. Both ready: ready more recently first.
    if is_ready(pa) && is_ready(pb) {
        let (ra, rb) = (ready_since(pa), ready_since(pb));
        if ra != rb {
            return newer_first(pa, ra, pb, rb, now);
        }
    }
    // 7. More restarts first.
    if max_restarts(pa) != max_restarts(pb) {
        return max_restarts(pa) > max_restarts(pb);
    }
    // 8. Created more recently first.
    let (ca, cb) = (created(pa), created(pb));
    if ca != cb {
        return newer_first(pa, ca, pb, cb, now);
    }
    false
    // END SOLUTION
}
// ANCHOR_END: delete_before

/// Rules 6 and 8: a missing time first; then the more recent time first, on a logarithmic
/// scale of the age at `now`, with the UIDs deciding within one bucket.
fn newer_first(
    a: &Pod,
    time_a: Option<SystemTime>,
    b: &Pod,
    time_b: Option<SystemTime>,
    now: SystemTime,
) -> bool {
    let (Some(time_a), Some(time_b)) = (time_a, time_b) else {
        return time_a.is_none();
    };
    match log2_age(time_a, now).cmp(&log2_age(time_b, now)) {
        Ordering::Equal => uid(a) < uid(b),
        order => order == Ordering::Less,
    }
}

/// `floor(log2(age in nanoseconds))`, or -1 for a time not in the past.
fn log2_age(time: SystemTime, now: SystemTime) -> i64 {
    match now.duration_since(time) {
        Ok(age) if age.as_nanos() > 0 => i64::from(127 - age.as_nanos().leading_zeros()),
        _ => -1,
    }
}

fn node_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|spec| spec.node_name.as_deref())
        .unwrap_or_default()
}

/// Pending 0, Unknown 1, Running 2; any other phase (or none) counts as 0, as upstream's map
/// lookup does.
fn phase_ordinal(pod: &Pod) -> u8 {
    match pod
        .status
        .as_ref()
        .and_then(|status| status.phase.as_deref())
    {
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 0,
    }
}

/// The pod's deletion cost; missing or unparsable counts as 0.
fn deletion_cost(pod: &Pod) -> i32 {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(POD_DELETION_COST))
        .and_then(|cost| cost.parse().ok())
        .unwrap_or(0)
}

fn max_restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|status| status.container_statuses.as_ref())
        .and_then(|statuses| statuses.iter().map(|status| status.restart_count).max())
        .unwrap_or(0)
}

fn created(pod: &Pod) -> Option<SystemTime> {
    pod.metadata.creation_timestamp.as_ref().map(to_system_time)
}

fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or_default()
}
