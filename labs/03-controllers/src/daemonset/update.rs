//! A DaemonSet's rolling update (upstream `rollingUpdate` in `pkg/controller/daemon/update.go`):
//! which pods of an old template go now, and, with `maxSurge`, on which nodes a new pod
//! starts next to the old one.
//!
//! A DaemonSet cannot add pods elsewhere the way a Deployment does: each node has one slot.
//! So the update replaces node by node, and the two knobs say how many nodes may be in the
//! middle of it at once:
//!
//! - `maxUnavailable` (default 1): delete up to that many old pods whose nodes then run
//!   nothing until the next sync creates the new pod there; the next ones only once those new
//!   pods are available.
//! - `maxSurge` (default 0): start up to that many new pods *next to* the old ones; delete an
//!   old pod only once the new pod on its node is available. Zero downtime per node, at the
//!   price of two pods on a node for a while.
//!
//! With the `OnDelete` strategy nothing here runs: a pod is replaced only when someone deletes
//! it, and the controller's usual "this node needs a pod" creates the new one.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};

use super::decide::{DaemonActions, REVISION_LABEL, daemon_pod_spec, pods_by_node};
use super::placement::node_should_run;
use crate::deployment::replicas::scaled_value;
use crate::pods::is_available;

/// Whether the DaemonSet updates its pods itself (`updateStrategy.type` `RollingUpdate`, the
/// default) rather than waiting for them to be deleted (`OnDelete`).
pub fn is_rolling_update(ds: &DaemonSet) -> bool {
    let strategy = ds.spec.as_ref().and_then(|s| s.update_strategy.as_ref());
    strategy
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate")
        == "RollingUpdate"
}

/// Whether `pod` was made from the revision with `hash` (upstream `IsPodUpdated`, by the
/// `controller-revision-hash` label).
pub fn is_updated(pod: &Pod, hash: &str) -> bool {
    pod.metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(REVISION_LABEL))
        .is_some_and(|label| label == hash)
}

// ANCHOR: surge_and_unavailable
/// `maxSurge` and `maxUnavailable` as pod counts for `desired` nodes (upstream `SurgeCount`
/// and `UnavailableCount`): a percentage of `desired`, both rounded *up* (unlike a
/// Deployment's `maxUnavailable`); unset surge is 0, unset unavailable 1. Should both come out
/// 0, unavailable becomes 1, or the update could never move. `OnDelete`: (0, 0).
pub fn surge_and_unavailable(ds: &DaemonSet, desired: i32) -> (i32, i32) {
    // ANCHOR_END: surge_and_unavailable
    if !is_rolling_update(ds) {
        return (0, 0);
    }
    let rolling = ds
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    let surge = rolling.and_then(|r| r.max_surge.as_ref());
    let unavailable = rolling.and_then(|r| r.max_unavailable.as_ref());
    let surge = surge.map_or(Some(0), |v| scaled_value(v, desired, true));
    let unavailable = unavailable
        .map_or(Some(1), |v| scaled_value(v, desired, true))
        .unwrap_or(1);
    let surge = surge.unwrap_or(0).max(0);
    let mut unavailable = unavailable.max(0);
    if desired > 0 && surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// Whether the DaemonSet allows surging (upstream `AllowsSurge`: `maxSurge` is not 0), when
/// a node may run an old and a new pod at once.
pub fn allows_surge(ds: &DaemonSet) -> bool {
    surge_and_unavailable(ds, 1).0 > 0
}

/// A node's pod of the current revision and its pod of an old one, either possibly missing.
pub type UpdatedAndOld = (Option<Arc<Pod>>, Option<Arc<Pod>>);

/// The pods of one node (not being deleted), split by template (upstream
/// `findUpdatedPodsOnNode`): at most one made from the current revision and one from an old
/// one. `None` when a node has two of a kind: the duplicate is the manage step's to delete.
pub fn updated_and_old(pods: &[Arc<Pod>], hash: &str) -> Option<UpdatedAndOld> {
    let (mut updated, mut old) = (None, None);
    for pod in pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
    {
        let slot = if is_updated(pod, hash) {
            &mut updated
        } else {
            &mut old
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(pod.clone());
    }
    Some((updated, old))
}

/// Every node the update looks at, by name, with the DaemonSet's pods there: the nodes that
/// should run the pod (with no pods if they have none yet) and every node a pod is for.
pub fn nodes_to_pods(
    ds: &DaemonSet,
    nodes: &[Arc<Node>],
    pods: &[Arc<Pod>],
) -> (BTreeMap<String, Vec<Arc<Pod>>>, i32) {
    let spec = daemon_pod_spec(ds);
    let mut by_node = pods_by_node(pods);
    let mut desired = 0;
    for node in nodes {
        if node_should_run(&spec, node).should_run {
            desired += 1;
            let name = node.metadata.name.clone().unwrap_or_default();
            by_node.entry(name).or_default();
        }
    }
    (by_node, desired)
}

// ANCHOR: rolling_update
/// What the rolling update does in one sync, node by node in name order (upstream
/// `rollingUpdate`), given the current revision's `hash`. A node with two pods of a kind is
/// left to the manage step, and counts as unavailable (no surge) or surging (surge).
///
/// Without surge (`maxSurge` 0): a node with no pod, or with both an old and a new one,
/// counts as unavailable, and so does a new pod not available yet. An old pod that is not
/// available goes at once (it serves nothing); an available one is a candidate. Then delete
/// candidates, in node order, while fewer than `maxUnavailable` nodes are unavailable. The
/// manage step creates the new pods on those nodes at the next sync.
///
/// With surge: a node whose new pod is available has its old pod deleted; a node whose new
/// pod is not available yet counts as surging. A node with only an old pod gets a new one at
/// once if the old one is not available, else it is a candidate; candidates get a new pod, in
/// node order, while fewer than `maxSurge` nodes are surging.
pub fn rolling_update(
    ds: &DaemonSet,
    nodes: &[Arc<Node>],
    pods: &[Arc<Pod>],
    hash: &str,
    now: SystemTime,
) -> DaemonActions {
    // ANCHOR_END: rolling_update
    // BEGIN SOLUTION step-4: nodes_to_pods; surge_and_unavailable; for each node updated_and_old: count unavailable (or surging), collect the old pods (or nodes) to replace at once and the candidates; take candidates while under the limit
    let mut actions = DaemonActions::default();
    if !is_rolling_update(ds) {
        return actions;
    }
    let (by_node, desired) = nodes_to_pods(ds, nodes, pods);
    let (max_surge, max_unavailable) = surge_and_unavailable(ds, desired);
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let available = |pod: &Pod| is_available(pod, min_ready, now);
    if max_surge == 0 {
        let mut candidates = Vec::new();
        let mut unavailable = 0;
        for pods in by_node.values() {
            match updated_and_old(pods, hash) {
                None | Some((None, None) | (Some(_), Some(_))) => unavailable += 1,
                Some((Some(new), None)) => {
                    if !available(&new) {
                        unavailable += 1;
                    }
                }
                Some((None, Some(old))) => {
                    if !available(&old) {
                        actions.delete.push(old);
                    } else if unavailable < max_unavailable {
                        candidates.push(old);
                    }
                }
            }
        }
        let room = usize::try_from(max_unavailable - unavailable).unwrap_or(0);
        actions.delete.extend(candidates.into_iter().take(room));
    } else {
        let mut candidates = Vec::new();
        let mut surging = 0;
        for (node, pods) in &by_node {
            match updated_and_old(pods, hash) {
                None => surging += 1,
                Some((_, None)) => {}
                Some((None, Some(old))) => {
                    if !available(&old) {
                        actions.create_on.push(node.clone());
                    } else if surging < max_surge {
                        candidates.push(node.clone());
                    }
                }
                Some((Some(new), Some(old))) => {
                    if available(&new) {
                        actions.delete.push(old);
                    } else {
                        surging += 1;
                    }
                }
            }
        }
        let room = usize::try_from(max_surge - surging).unwrap_or(0);
        actions.create_on.extend(candidates.into_iter().take(room));
    }
    actions
    // END SOLUTION
}
