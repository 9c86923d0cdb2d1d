//! The Recreate strategy's decisions (upstream `recreate.go`): every old pod stops before any
//! new one starts. For applications that cannot run two versions at once, at the price of a
//! gap with no pods at all.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;

use super::replicas::{actual_replica_count, rs_replicas};
use super::rolling::Scale;
use crate::pods::controller_of;

/// Every old ReplicaSet that still asks for pods, scaled to 0 (upstream
/// `scaleDownOldReplicaSetsForRecreate`).
pub fn scale_down_old(old: &[ReplicaSet]) -> Vec<Scale> {
    old.iter()
        .filter(|rs| rs_replicas(rs) != 0)
        .map(|rs| Scale {
            name: rs.metadata.name.clone().unwrap_or_default(),
            replicas: 0,
        })
        .collect()
}

// ANCHOR: old_pods_running
/// Whether any old pod may still run (upstream `oldPodsRunning`): an old ReplicaSet still
/// reports pods, or a pod controlled by one of the Deployment's ReplicaSets other than the
/// new one has not finished (`Succeeded` or `Failed`). The new ReplicaSet is created only
/// when this is false.
pub fn old_pods_running(new: Option<&ReplicaSet>, old: &[ReplicaSet], pods: &[Arc<Pod>]) -> bool {
    if actual_replica_count(old) > 0 {
        return true;
    }
    let new_uid = new.and_then(|rs| rs.metadata.uid.as_deref());
    let old_uids: Vec<&str> = old
        .iter()
        .filter_map(|rs| rs.metadata.uid.as_deref())
        .collect();
    pods.iter().any(|pod| {
        let Some(owner) = controller_of(&pod.metadata) else {
            return false;
        };
        if Some(owner.uid.as_str()) == new_uid || !old_uids.contains(&owner.uid.as_str()) {
            return false;
        }
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        !matches!(phase, Some("Succeeded" | "Failed"))
    })
}
// ANCHOR_END: old_pods_running
