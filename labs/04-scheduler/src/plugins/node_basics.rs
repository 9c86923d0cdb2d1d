//! The three simplest filters: NodeUnschedulable (cordoned nodes), NodeName (`spec.nodeName`)
//! and NodePorts (host ports already taken).

use super::taint_toleration::tolerates;
use crate::framework::Rejection;
use crate::snapshot::{HostPort, NodeInfo, PodInfo};
use k8s_openapi::api::core::v1::Taint;

/// NodeUnschedulable's reason.
pub const ERR_UNSCHEDULABLE: &str = "node(s) were unschedulable";
/// NodeName's reason.
pub const ERR_NODE_NAME: &str = "node(s) didn't match the requested node name";
/// NodePorts' reason.
pub const ERR_NODE_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";

/// NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes only pods that tolerate the
/// `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
pub fn node_unschedulable(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    if !node.unschedulable() {
        return Ok(());
    }
    let taint = Taint {
        key: "node.kubernetes.io/unschedulable".to_string(),
        effect: "NoSchedule".to_string(),
        ..Taint::default()
    };
    let tolerations = pod
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or(&[]);
    if tolerations.iter().any(|t| tolerates(t, &taint)) {
        return Ok(());
    }
    Err(Rejection::unresolvable(
        "NodeUnschedulable",
        ERR_UNSCHEDULABLE,
    ))
}

/// NodeName: a pod that names its node fits only there.
pub fn node_name(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    match pod.node_name() {
        Some(wanted) if wanted != node.name => {
            Err(Rejection::unresolvable("NodeName", ERR_NODE_NAME))
        }
        _ => Ok(()),
    }
}

/// NodePorts: every host port the pod wants must be free on the node.
pub fn node_ports(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    if pod
        .host_ports
        .iter()
        .any(|wanted| ports_conflict(&node.used_ports, wanted))
    {
        return Err(Rejection::unschedulable("NodePorts", ERR_NODE_PORTS));
    }
    Ok(())
}

/// `HostPortInfo.CheckConflict`: the same protocol and port conflict when either address is
/// `0.0.0.0` (all addresses) or both are the same address.
pub fn ports_conflict(used: &[HostPort], wanted: &HostPort) -> bool {
    used.iter().any(|u| {
        u.port == wanted.port
            && u.protocol == wanted.protocol
            && (u.ip == wanted.ip || u.ip == "0.0.0.0" || wanted.ip == "0.0.0.0")
    })
}
