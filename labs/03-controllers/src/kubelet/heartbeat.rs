//! Heartbeats: how the control plane knows a kubelet is alive (upstream `nodelease` and the
//! node status loop, KEP-589).
//!
//! Writing the whole Node status every 10 s from thousands of nodes is a lot of bytes for one
//! bit of news ("still here"). So a kubelet sends two heartbeats:
//!
//! ```text
//! Lease kube-node-lease/<node>   spec.renewTime = now        every 10 s (cheap: a tiny object)
//! Node <node> status             conditions[*].lastHeartbeatTime = now
//!                                when the status changed, or every nodeStatusReportFrequency (5 min)
//! ```
//!
//! The node lifecycle controller reads the Lease's `renewTime`: not renewed within the grace
//! period (40 s, the `leaseDurationSeconds`), the node is `Ready=Unknown` and its pods are
//! evicted later. The Lease is owned by its Node, so deleting the Node deletes the Lease.

use std::time::SystemTime;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};

/// The namespace of node Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// A `SystemTime` as a `metav1.MicroTime` (microseconds, as Leases keep them).
pub fn to_micro_time(time: SystemTime) -> MicroTime {
    let micros = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_micros());
    let micros = i64::try_from(micros).unwrap_or(i64::MAX);
    MicroTime(k8s_openapi::jiff::Timestamp::from_microsecond(micros).unwrap_or_default())
}

// ANCHOR: lease
/// The node's Lease renewed at `now`: `existing` (the last one read) with `renewTime = now`,
/// or a new one when there is none. Holder and duration are (re)set each time; the owner is
/// the Node (`node_uid`) once it is known.
pub fn renewed_lease(
    existing: Option<&Lease>,
    node_name: &str,
    node_uid: Option<&str>,
    lease_duration_seconds: i32,
    now: SystemTime,
) -> Lease {
    // BEGIN SOLUTION step-7: start from the existing Lease (or a new one named after the node in kube-node-lease); set holderIdentity = node, leaseDurationSeconds, renewTime = now; add the Node as owner when its UID is known
    let mut lease = existing.cloned().unwrap_or_else(|| Lease {
        metadata: ObjectMeta {
            name: Some(node_name.to_owned()),
            namespace: Some(NODE_LEASE_NAMESPACE.to_owned()),
            ..ObjectMeta::default()
        },
        spec: None,
    });
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    spec.holder_identity = Some(node_name.to_owned());
    spec.lease_duration_seconds = Some(lease_duration_seconds);
    spec.renew_time = Some(to_micro_time(now));
    if let Some(uid) = node_uid {
        let owners = lease.metadata.owner_references.get_or_insert_with(Vec::new);
        if !owners.iter().any(|owner| owner.uid == uid) {
            owners.push(OwnerReference {
                api_version: "v1".to_owned(),
                kind: "Node".to_owned(),
                name: node_name.to_owned(),
                uid: uid.to_owned(),
                ..OwnerReference::default()
            });
        }
    }
    lease
    // END SOLUTION
}
// ANCHOR_END: lease
