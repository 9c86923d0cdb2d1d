//! The DaemonSet controller's decisions, as pure functions of the DaemonSet, the nodes and
//! its pods: on which nodes to create a pod, which pods to delete, and the status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::placement::{
    Placement, node_should_run, pin_to_node, target_node, with_daemon_tolerations,
};
use super::update::{allows_surge, is_updated};
use crate::pods::{is_available, is_ready};

/// The label that says which revision of the template a daemon pod was made from (upstream
/// `DefaultDaemonSetUniqueLabelKey`): the hash of its ControllerRevision.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// What one sync does to the pods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DaemonActions {
    /// Nodes that need a pod, by name.
    pub create_on: Vec<String>,
    /// Pods to delete: on nodes where they may not stay, extra ones, failed ones, and those
    /// for nodes that no longer exist.
    pub delete: Vec<Arc<Pod>>,
}

/// The pod spec the DaemonSet's pods start from: its template's, with the daemon tolerations.
pub fn daemon_pod_spec(ds: &DaemonSet) -> PodSpec {
    let spec = ds
        .spec
        .as_ref()
        .and_then(|spec| spec.template.spec.as_ref())
        .cloned()
        .unwrap_or_default();
    with_daemon_tolerations(&spec)
}

/// The controller owner reference a DaemonSet puts on its pods.
pub fn controller_ref(ds: &DaemonSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".to_owned(),
        kind: "DaemonSet".to_owned(),
        name: ds.metadata.name.clone().unwrap_or_default(),
        uid: ds.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The pod for `node`: the template, the daemon tolerations, pinned to the node by node
/// affinity (the scheduler binds it), labelled with `hash` (its revision's, see
/// [`super::revisions`]), owned by the DaemonSet.
pub fn new_pod(ds: &DaemonSet, node: &str, hash: &str) -> Pod {
    let template_meta = ds
        .spec
        .as_ref()
        .and_then(|spec| spec.template.metadata.clone())
        .unwrap_or_default();
    let mut labels = template_meta.labels.unwrap_or_default();
    labels.insert(REVISION_LABEL.to_owned(), hash.to_owned());
    let mut spec = daemon_pod_spec(ds);
    spec.affinity = Some(pin_to_node(spec.affinity.as_ref(), node));
    let name = ds.metadata.name.as_deref().unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: ds.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: template_meta.annotations,
            owner_references: Some(vec![controller_ref(ds)]),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    }
}

/// The DaemonSet's pods grouped by the node they are for (pods for no node are left out).
pub fn pods_by_node(pods: &[Arc<Pod>]) -> BTreeMap<String, Vec<Arc<Pod>>> {
    let mut by_node: BTreeMap<String, Vec<Arc<Pod>>> = BTreeMap::new();
    for pod in pods {
        if let Some(node) = pod.spec.as_ref().and_then(target_node) {
            by_node
                .entry(node.to_owned())
                .or_default()
                .push(pod.clone());
        }
    }
    by_node
}

/// Sorts pods oldest first: by creation time, then by name (upstream
/// `podByCreationTimestampAndPhase`).
pub fn sort_oldest_first(pods: &mut [Arc<Pod>]) {
    pods.sort_by(|a, b| {
        a.metadata
            .creation_timestamp
            .cmp(&b.metadata.creation_timestamp)
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or_default()
}

// ANCHOR: daemon_actions
/// What to do (upstream `podsShouldBeOnNode`, node by node), given every node and the
/// DaemonSet's pods (not being deleted):
///
/// - the node should run a pod and has none: create one there;
/// - a pod may stay: delete the `Failed` ones (a replacement comes next sync) and, of the
///   others, all but the oldest; when the DaemonSet allows surge ([`allows_surge`]), all but
///   the oldest made from revision `hash` and the oldest of an older one, and that old one
///   too once it is not ready or the new one is available (`now`, `minReadySeconds`);
/// - a pod may not stay: delete them all;
/// - pods for a node that no longer exists: delete them.
pub fn daemon_actions(
    ds: &DaemonSet,
    nodes: &[Arc<Node>],
    pods: &[Arc<Pod>],
    hash: &str,
    now: SystemTime,
) -> DaemonActions {
    // ANCHOR_END: daemon_actions
    // BEGIN SOLUTION step-4: group pods by node; for each node decide with node_should_run (keeping one pod, or with surge one new and one old); then delete pods whose node is gone
    let spec = daemon_pod_spec(ds);
    let surge = allows_surge(ds);
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let mut by_node = pods_by_node(pods);
    let mut actions = DaemonActions::default();
    let mut nodes: Vec<&Arc<Node>> = nodes.iter().collect();
    nodes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    for node in nodes {
        let name = node.metadata.name.clone().unwrap_or_default();
        let mut here = by_node.remove(&name).unwrap_or_default();
        let Placement {
            should_run,
            should_continue_running,
        } = node_should_run(&spec, node);
        if should_run && here.is_empty() {
            actions.create_on.push(name);
        } else if should_continue_running {
            let (failed, mut running): (Vec<_>, Vec<_>) =
                here.drain(..).partition(|pod| phase(pod) == "Failed");
            actions.delete.extend(failed);
            sort_oldest_first(&mut running);
            if !surge {
                // Keep the oldest; the others are duplicates (two syncs raced, or a relist).
                actions.delete.extend(running.into_iter().skip(1));
                continue;
            }
            // Surging: the oldest new pod and the oldest old one may share the node.
            let (mut oldest_new, mut oldest_old) = (None, None);
            for pod in running {
                let slot = if is_updated(&pod, hash) {
                    &mut oldest_new
                } else {
                    &mut oldest_old
                };
                match slot {
                    None => *slot = Some(pod),
                    Some(_) => actions.delete.push(pod),
                }
            }
            if let (Some(new), Some(old)) = (oldest_new, oldest_old)
                && (!is_ready(&old) || is_available(&new, min_ready, now))
            {
                actions.delete.push(old);
            }
        } else {
            actions.delete.extend(here);
        }
    }
    // Whatever is left is for nodes that are gone.
    actions.delete.extend(by_node.into_values().flatten());
    actions
    // END SOLUTION
}

// ANCHOR: calculate_status
/// The status (upstream `updateDaemonSetStatus`), over the nodes that should run the pod
/// (`desiredNumberScheduled`): how many have one (`currentNumberScheduled`), ready
/// (`numberReady`), available for `minReadySeconds` (`numberAvailable`, and
/// `numberUnavailable` = desired - available), from the current template
/// (`updatedNumberScheduled`: labelled with the current revision's `hash`); and nodes that
/// have one but should not (`numberMisscheduled`). On a node with two pods (a surge) the
/// oldest counts. `collisionCount` is kept as it is.
pub fn calculate_status(
    ds: &DaemonSet,
    nodes: &[Arc<Node>],
    pods: &[Arc<Pod>],
    hash: &str,
    now: SystemTime,
) -> DaemonSetStatus {
    // ANCHOR_END: calculate_status
    // BEGIN SOLUTION step-4: count per node with node_should_run and the node's pods (the oldest one counts for ready/available/updated)
    let spec = daemon_pod_spec(ds);
    let mut by_node = pods_by_node(pods);
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let mut status = DaemonSetStatus {
        observed_generation: ds.metadata.generation,
        collision_count: ds.status.as_ref().and_then(|s| s.collision_count),
        ..DaemonSetStatus::default()
    };
    let (mut available, mut ready, mut updated) = (0, 0, 0);
    for node in nodes {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        let here = by_node
            .get_mut(name)
            .map(Vec::as_mut_slice)
            .unwrap_or_default();
        sort_oldest_first(here);
        let should_run = node_should_run(&spec, node).should_run;
        if !should_run {
            if !here.is_empty() {
                status.number_misscheduled += 1;
            }
            continue;
        }
        status.desired_number_scheduled += 1;
        let Some(pod) = here.first() else {
            continue;
        };
        status.current_number_scheduled += 1;
        if is_ready(pod) {
            ready += 1;
        }
        if is_available(pod, min_ready, now) {
            available += 1;
        }
        if is_updated(pod, hash) {
            updated += 1;
        }
    }
    status.number_ready = ready;
    status.number_available = Some(available);
    status.number_unavailable = Some(status.desired_number_scheduled - available);
    status.updated_number_scheduled = Some(updated);
    status
    // END SOLUTION
}
// ANCHOR_END: calculate_status
