//! Waiting for the nodes, and marking the control plane: `up` is done when every node's kubelet
//! has registered its Node, the Node says `Ready=True` and the controller manager's node IPAM has
//! given it a `podCIDR` (its pods' addresses come from it), read from the API server as kubectl
//! would; then the first node gets the control plane's label and taint, as kubeadm's
//! `mark-control-plane` phase does, so ordinary pods go to the workers.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::process;

/// Polls `GET /api/v1/nodes` until every node in `names` is Ready and has its podCIDR;
/// `progress` hears each one as it gets there. On timeout: how long it waited.
pub(super) fn wait_for_ready_nodes(
    api: SocketAddr,
    names: &[&str],
    timeout: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Duration> {
    let started = Instant::now();
    let mut ready = BTreeSet::new();
    loop {
        if let Some(now_ready) = ready_nodes(api) {
            for name in names {
                if now_ready.contains(*name) && ready.insert((*name).to_owned()) {
                    progress(&format!("node {name}: Ready"));
                }
            }
        }
        if names.iter().all(|name| ready.contains(*name)) {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(started.elapsed());
        }
        process::wait_a_little();
    }
}

/// The names of the Nodes whose Ready condition is True and that have a `spec.podCIDR`
/// (`None`: the API did not answer). The kubelet reports Ready before node IPAM has assigned
/// the CIDR, and a node without one cannot give its pods addresses.
fn ready_nodes(api: SocketAddr) -> Option<BTreeSet<String>> {
    let list = get_json(api, "/api/v1/nodes")?;
    let ready = list["items"]
        .as_array()?
        .iter()
        .filter(|node| node_ready(node) && node["spec"]["podCIDR"].is_string())
        .filter_map(|node| node["metadata"]["name"].as_str().map(str::to_owned))
        .collect();
    Some(ready)
}

/// Whether a Node (as JSON) has `Ready=True`.
pub(super) fn node_ready(node: &serde_json::Value) -> bool {
    node["status"]["conditions"]
        .as_array()
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// `GET path` from the API server, as JSON (`None`: no answer, or not JSON).
pub(super) fn get_json(api: SocketAddr, path: &str) -> Option<serde_json::Value> {
    let mut stream = TcpStream::connect_timeout(&api, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {api}\r\nAccept: application/json\r\n\r\n"
    )
    .ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let answer = String::from_utf8_lossy(&answer);
    let (_, body) = answer.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}

/// The label and taint kubeadm gives a control-plane node.
pub(super) const CONTROL_PLANE_ROLE: &str = "node-role.kubernetes.io/control-plane";

/// Labels and taints `node` as the control plane (a strategic merge patch: other labels and
/// taints stay). Errors say what the API server answered.
pub(super) fn mark_control_plane(api: SocketAddr, node: &str) -> Result<(), String> {
    let patch = serde_json::json!({
        "metadata": {"labels": {CONTROL_PLANE_ROLE: ""}},
        "spec": {"taints": [{"key": CONTROL_PLANE_ROLE, "effect": "NoSchedule"}]},
    })
    .to_string();
    let mut stream = TcpStream::connect_timeout(&api, Duration::from_secs(2))
        .map_err(|error| format!("connect to {api}: {error}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|error| error.to_string())?;
    write!(
        stream,
        "PATCH /api/v1/nodes/{node} HTTP/1.0\r\nHost: {api}\r\n\
         Content-Type: application/strategic-merge-patch+json\r\n\
         Content-Length: {}\r\n\r\n{patch}",
        patch.len()
    )
    .map_err(|error| error.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|error| error.to_string())?;
    if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(answer.lines().next().unwrap_or_default().to_owned())
    }
}
