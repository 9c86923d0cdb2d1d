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
use crate::pods::{is_available, is_ready};

/// The label that says which version of the template a daemon pod was made from.
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

/// A short hash of the template (FNV-1a of its JSON), the value of [`REVISION_LABEL`] (upstream
/// hashes the template's ControllerRevision; the idea is the same: same template, same hash).
pub fn template_hash(ds: &DaemonSet) -> String {
    let template = ds.spec.as_ref().map(|spec| &spec.template);
    let text = serde_json::to_string(&template).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:010x}", hash & 0xff_ffff_ffff)
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
/// affinity (the scheduler binds it), labelled with the template's hash, owned by the DaemonSet.
pub fn new_pod(ds: &DaemonSet, node: &str) -> Pod {
    let template_meta = ds
        .spec
        .as_ref()
        .and_then(|spec| spec.template.metadata.clone())
        .unwrap_or_default();
    let mut labels = template_meta.labels.unwrap_or_default();
    labels.insert(REVISION_LABEL.to_owned(), template_hash(ds));
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
///   others, all but the oldest;
/// - a pod may not stay: delete them all;
/// - pods for a node that no longer exists: delete them.
pub fn daemon_actions(ds: &DaemonSet, nodes: &[Arc<Node>], pods: &[Arc<Pod>]) -> DaemonActions {
    // ANCHOR_END: daemon_actions
    // BEGIN SOLUTION step-4: group pods by node; for each node decide with node_should_run; then delete pods whose node is gone
    let spec = daemon_pod_spec(ds);
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
            // Keep the oldest; the others are duplicates (two syncs raced, or a relist).
            running.sort_by(|a, b| {
                a.metadata
                    .creation_timestamp
                    .cmp(&b.metadata.creation_timestamp)
                    .then_with(|| a.metadata.name.cmp(&b.metadata.name))
            });
            actions.delete.extend(running.into_iter().skip(1));
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
/// (`updatedNumberScheduled`); and nodes that have one but should not (`numberMisscheduled`).
pub fn calculate_status(
    ds: &DaemonSet,
    nodes: &[Arc<Node>],
    pods: &[Arc<Pod>],
    now: SystemTime,
) -> DaemonSetStatus {
    // ANCHOR_END: calculate_status
    // BEGIN SOLUTION step-4: count per node with node_should_run and the node's pods (the first one counts for ready/available/updated)
    let spec = daemon_pod_spec(ds);
    let by_node = pods_by_node(pods);
    let hash = template_hash(ds);
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let mut status = DaemonSetStatus {
        observed_generation: ds.metadata.generation,
        ..DaemonSetStatus::default()
    };
    let (mut available, mut ready, mut updated) = (0, 0, 0);
    for node in nodes {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        let here = by_node.get(name).map(Vec::as_slice).unwrap_or_default();
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
        let labels = pod.metadata.labels.as_ref();
        if labels.and_then(|l| l.get(REVISION_LABEL)) == Some(&hash) {
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
