//! The cluster events that can make an unschedulable pod schedulable, and which filter plugin
//! each one can change its mind (`EventsToRegister` of each plugin upstream).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Node;

/// What changed in a node update (`NodeUpdate` action types upstream:
/// `UpdateNodeAllocatable`, `UpdateNodeLabel`, `UpdateNodeTaint`, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeChange {
    /// `status.allocatable` changed.
    pub allocatable: bool,
    /// `metadata.labels` changed.
    pub labels: bool,
    /// `spec.taints` changed.
    pub taints: bool,
    /// `spec.unschedulable` changed (a node was cordoned or uncordoned).
    pub unschedulable: bool,
}

impl NodeChange {
    /// Compares two versions of a node.
    pub fn between(old: &Node, new: &Node) -> Self {
        let spec = |n: &Node| n.spec.clone().unwrap_or_default();
        let allocatable = |n: &Node| n.status.as_ref().and_then(|s| s.allocatable.clone());
        NodeChange {
            allocatable: allocatable(old) != allocatable(new),
            labels: old.metadata.labels != new.metadata.labels,
            taints: spec(old).taints != spec(new).taints,
            unschedulable: spec(old).unschedulable != spec(new).unschedulable,
        }
    }

    /// True if nothing the scheduler reads changed (a heartbeat, a condition).
    pub fn is_empty(&self) -> bool {
        *self == NodeChange::default()
    }
}

/// An informer event the loop reports to the queue
/// ([`SchedulingQueue::move_all_on_event`](super::SchedulingQueue::move_all_on_event)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterEvent {
    /// A node joined.
    NodeAdded,
    /// A node changed.
    NodeUpdated(NodeChange),
    /// A pod was bound to a node (by us or anyone).
    AssignedPodAdded,
    /// A bound pod changed (labels, or resources resized down).
    AssignedPodUpdated,
    /// A bound pod went away: its room, ports and labels are free.
    AssignedPodDeleted,
}

// ANCHOR: may_help
/// True if `event` could make a pod schedulable that the filter plugins `plugins` rejected
/// (the pod's `UnschedulablePlugins`). A pod that no plugin rejected (no nodes at all) is
/// helped by any event. A new node can help every plugin.
pub fn may_help(event: ClusterEvent, plugins: &BTreeSet<&'static str>) -> bool {
    // BEGIN SOLUTION step-4: match the event against what each rejecting plugin registered for
    if plugins.is_empty() {
        return true;
    }
    plugins.iter().any(|plugin| match event {
        ClusterEvent::NodeAdded => true,
        ClusterEvent::NodeUpdated(change) => match *plugin {
            "NodeUnschedulable" => change.unschedulable || change.taints,
            "TaintToleration" => change.taints,
            "NodeAffinity" => change.labels,
            "NodeResourcesFit" => change.allocatable,
            "PodTopologySpread" => change.labels || change.taints,
            "InterPodAffinity" => change.labels,
            // NodeName and NodePorts: a node's name and its free ports do not change by update.
            _ => false,
        },
        // A new or changed pod can be the one an affinity term or a spread constraint counts.
        ClusterEvent::AssignedPodAdded => {
            matches!(*plugin, "InterPodAffinity" | "PodTopologySpread")
        }
        ClusterEvent::AssignedPodUpdated => matches!(
            *plugin,
            "InterPodAffinity" | "PodTopologySpread" | "NodeResourcesFit"
        ),
        ClusterEvent::AssignedPodDeleted => matches!(
            *plugin,
            "NodeResourcesFit" | "NodePorts" | "InterPodAffinity" | "PodTopologySpread"
        ),
    })
    // END SOLUTION
}
// ANCHOR_END: may_help
