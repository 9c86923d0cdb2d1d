//! Is a node alive? The node lifecycle controller's health decisions, as pure functions of
//! the Node, its Lease and the time (upstream `tryUpdateNodeHealth`).
//!
//! A kubelet shows it is alive in two ways: it renews its Lease `kube-node-lease/<node>` every
//! 10 s (cheap: a tiny object), and it posts the Node's status (conditions with a
//! `lastHeartbeatTime`) when something changes or every 5 minutes. The controller never trusts
//! the timestamps inside those objects to be comparable with its own clock (the kubelet's
//! clock may be off): it records *when it saw* either of them change, the *probe time*, on its
//! own monotonic clock, and declares the node's status unknown once
//! `--node-monitor-grace-period` has passed since the last probe.

use std::time::{Duration, Instant, SystemTime};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeCondition};

use crate::pods::{to_system_time, to_time};

/// Upstream's default `--node-monitor-grace-period` since Kubernetes 1.32 (40 s before):
/// five missed lease renewals of 10 s, plus the time a kubelet needs to notice a broken
/// HTTP/2 connection and reconnect.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(50);
/// Upstream's default `--node-startup-grace-period`: a node that never posted a `Ready`
/// condition gets longer.
pub const DEFAULT_STARTUP_GRACE_PERIOD: Duration = Duration::from_secs(60);
/// Upstream's default `--node-monitor-period`: how often the controller looks at every node.
pub const DEFAULT_MONITOR_PERIOD: Duration = Duration::from_secs(5);

/// The conditions a kubelet reports and the controller marks `Unknown` when the kubelet goes
/// silent (upstream `nodeConditionTypes`).
pub const KUBELET_CONDITIONS: [&str; 4] =
    ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/// The reason and message of a condition the controller marked `Unknown`.
pub const REASON_UNKNOWN: &str = "NodeStatusUnknown";
/// The message that goes with [`REASON_UNKNOWN`].
pub const MESSAGE_UNKNOWN: &str = "Kubelet stopped posting node status.";
/// The reason of a condition the kubelet never posted at all.
pub const REASON_NEVER_UPDATED: &str = "NodeStatusNeverUpdated";
/// The message that goes with [`REASON_NEVER_UPDATED`].
pub const MESSAGE_NEVER_UPDATED: &str = "Kubelet never posted node status.";

// ANCHOR: node_health
/// What the controller remembers about a node between two passes (upstream
/// `nodeHealthData`): when it last saw a sign of life, and the signs themselves, to tell a new
/// one from the same one seen again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeHealth {
    /// When (on the controller's monotonic clock) a sign of life was last seen.
    pub probe: Instant,
    /// The `Ready` condition's `lastHeartbeatTime` seen last (the kubelet posted status).
    pub ready_heartbeat: Option<SystemTime>,
    /// The Lease's `renewTime` seen last (the kubelet renewed its Lease).
    pub lease_renew: Option<SystemTime>,
}
// ANCHOR_END: node_health

/// The node's condition of type `type_`, if any.
pub fn condition<'a>(node: &'a Node, type_: &str) -> Option<&'a NodeCondition> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|condition| condition.type_ == type_)
}

/// The status (`True`, `False`, `Unknown`) of the node's `Ready` condition, if it has one.
pub fn ready_status(node: &Node) -> Option<&str> {
    condition(node, "Ready").map(|ready| ready.status.as_str())
}

// ANCHOR: observe
/// Updates what the controller knows of a node at `now`: the probe time moves to `now` when
/// the node is seen for the first time, when the `Ready` condition carries a heartbeat not
/// seen before, or when the Lease's `renewTime` is one not seen before. Otherwise it stays.
pub fn observe(
    previous: Option<&NodeHealth>,
    node: &Node,
    lease: Option<&Lease>,
    now: Instant,
) -> NodeHealth {
    // ANCHOR_END: observe
    // BEGIN SOLUTION step-6: read the Ready heartbeat and the Lease renewTime; probe = now unless both equal what `previous` saw
    let ready_heartbeat = condition(node, "Ready")
        .and_then(|ready| ready.last_heartbeat_time.as_ref())
        .map(to_system_time);
    let lease_renew = lease
        .and_then(|lease| lease.spec.as_ref())
        .and_then(|spec| spec.renew_time.as_ref())
        .map(|renewed| SystemTime::from(renewed.0));
    let probe = match previous {
        Some(previous)
            if previous.ready_heartbeat == ready_heartbeat
                && previous.lease_renew == lease_renew =>
        {
            previous.probe
        }
        // New, or a sign of life: the kubelet posted status or renewed its Lease.
        _ => now,
    };
    NodeHealth {
        probe,
        ready_heartbeat,
        lease_renew,
    }
    // END SOLUTION
}

// ANCHOR: unknown_conditions
/// The node's conditions after a pass at `now` (`wall` is the same instant as a date), or
/// `None` when nothing changes. While the last probe is within the grace period (the startup
/// grace period for a node that never posted `Ready`) nothing changes. After it, every
/// condition of [`KUBELET_CONDITIONS`] becomes `Unknown`: an existing one that is not already
/// `Unknown` gets [`REASON_UNKNOWN`] / [`MESSAGE_UNKNOWN`] and a new `lastTransitionTime`
/// (its `lastHeartbeatTime` stays: that is when the kubelet last spoke); a missing one is
/// added with [`REASON_NEVER_UPDATED`] / [`MESSAGE_NEVER_UPDATED`], its heartbeat the node's
/// creation. Other conditions are left as they are.
pub fn unknown_conditions(
    node: &Node,
    health: &NodeHealth,
    now: Instant,
    wall: SystemTime,
    grace_period: Duration,
    startup_grace_period: Duration,
) -> Option<Vec<NodeCondition>> {
    // ANCHOR_END: unknown_conditions
    // BEGIN SOLUTION step-6: pick the grace period; within it None; else mark each kubelet condition Unknown (or add it), None if all already were
    let grace = if condition(node, "Ready").is_some() {
        grace_period
    } else {
        startup_grace_period
    };
    if now.saturating_duration_since(health.probe) <= grace {
        return None;
    }
    let mut conditions = node
        .status
        .as_ref()
        .and_then(|status| status.conditions.clone())
        .unwrap_or_default();
    let mut changed = false;
    for type_ in KUBELET_CONDITIONS {
        match conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(existing) if existing.status == "Unknown" => {}
            Some(existing) => {
                existing.status = "Unknown".to_owned();
                existing.reason = Some(REASON_UNKNOWN.to_owned());
                existing.message = Some(MESSAGE_UNKNOWN.to_owned());
                existing.last_transition_time = Some(to_time(wall));
                changed = true;
            }
            None => {
                conditions.push(NodeCondition {
                    type_: type_.to_owned(),
                    status: "Unknown".to_owned(),
                    reason: Some(REASON_NEVER_UPDATED.to_owned()),
                    message: Some(MESSAGE_NEVER_UPDATED.to_owned()),
                    last_heartbeat_time: node.metadata.creation_timestamp.clone(),
                    last_transition_time: Some(to_time(wall)),
                });
                changed = true;
            }
        }
    }
    changed.then_some(conditions)
    // END SOLUTION
}
