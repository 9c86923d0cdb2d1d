//! The Node object a kubelet registers and keeps up to date (upstream `kubelet_node_status.go`
//! and `pkg/kubelet/nodestatus`).
//!
//! A node exists in the API because its kubelet creates it: the scheduler places pods on the
//! nodes it sees, with the room the kubelet says it has (`allocatable`), and the apiserver
//! reaches the kubelet (`kubectl logs`, `exec`) at the address and port it publishes.
//!
//! ```text
//! metadata.labels    kubernetes.io/hostname, kubernetes.io/os=linux, kubernetes.io/arch
//! status.capacity    cpu, memory, pods (110)        status.allocatable   the same here
//! status.addresses   InternalIP, Hostname           status.daemonEndpoints.kubeletEndpoint.Port
//! status.nodeInfo    kubeletVersion, osImage, ...   status.conditions    MemoryPressure, DiskPressure,
//!                                                                        PIDPressure, Ready
//! ```

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::SystemTime;

use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Config;
use crate::pods::to_time;

/// The `kubeletVersion` this kubelet reports (it speaks the 1.33 API).
pub const KUBELET_VERSION: &str = "v1.33.0";

/// The node's architecture as Kubernetes (Go's `GOARCH`) names it.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// The labels every kubelet puts on its node (upstream `getNodeLabels`), then `--node-labels`.
pub fn node_labels(config: &Config) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("kubernetes.io/hostname".to_owned(), config.hostname.clone()),
        ("kubernetes.io/os".to_owned(), "linux".to_owned()),
        ("kubernetes.io/arch".to_owned(), go_arch().to_owned()),
        ("beta.kubernetes.io/os".to_owned(), "linux".to_owned()),
        ("beta.kubernetes.io/arch".to_owned(), go_arch().to_owned()),
    ]);
    labels.extend(config.labels.clone());
    labels
}

/// The four conditions a healthy kubelet reports, in upstream's order: type, status, reason,
/// message.
const CONDITIONS: [(&str, &str, &str, &str); 4] = [
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    (
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    (
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
    (
        "Ready",
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    ),
];

// ANCHOR: node_status
/// The node's status at `now`. `previous` is the status last reported: a condition whose status
/// did not change keeps its `lastTransitionTime`; `lastHeartbeatTime` is always `now`.
pub fn node_status(config: &Config, previous: Option<&NodeStatus>, now: SystemTime) -> NodeStatus {
    // BEGIN SOLUTION step-7: capacity = allocatable = cpu, memory, pods; addresses InternalIP and Hostname; daemonEndpoints.kubeletEndpoint.Port; nodeInfo; the four conditions with heartbeat now and the transition time kept while the status holds
    let resources = BTreeMap::from([
        ("cpu".to_owned(), Quantity(config.cpu.clone())),
        ("memory".to_owned(), Quantity(config.memory.clone())),
        ("pods".to_owned(), Quantity(config.max_pods.to_string())),
    ]);
    let previous_conditions = previous
        .and_then(|status| status.conditions.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let conditions = CONDITIONS
        .iter()
        .map(|&(type_, status, reason, message)| {
            let transition = previous_conditions
                .iter()
                .find(|old| old.type_ == type_ && old.status == status)
                .and_then(|old| old.last_transition_time.clone())
                .unwrap_or_else(|| to_time(now));
            NodeCondition {
                type_: type_.to_owned(),
                status: status.to_owned(),
                reason: Some(reason.to_owned()),
                message: Some(message.to_owned()),
                last_heartbeat_time: Some(to_time(now)),
                last_transition_time: Some(transition),
            }
        })
        .collect();
    NodeStatus {
        capacity: Some(resources.clone()),
        allocatable: Some(resources),
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".to_owned(),
                address: config.node_ip.to_string(),
            },
            NodeAddress {
                type_: "Hostname".to_owned(),
                address: config.hostname.clone(),
            },
        ]),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint {
                port: i32::from(config.kubelet_port),
            }),
        }),
        node_info: Some(node_info(config)),
        conditions: Some(conditions),
        ..NodeStatus::default()
    }
    // END SOLUTION
}
// ANCHOR_END: node_status

/// The Node a kubelet creates when it registers: name, labels and status; `spec` is left to
/// others (node IPAM sets `podCIDR`, `kubectl cordon` sets `unschedulable`).
pub fn new_node(config: &Config, now: SystemTime) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(config.node_name.clone()),
            labels: Some(node_labels(config)),
            ..ObjectMeta::default()
        },
        spec: Some(Default::default()),
        status: Some(node_status(config, None, now)),
    }
}

/// Whether two statuses differ in more than their heartbeat times: a change is reported at
/// once, an unchanged status only every `nodeStatusReportFrequency`.
pub fn status_changed(old: &NodeStatus, new: &NodeStatus) -> bool {
    let strip = |status: &NodeStatus| {
        let mut status = status.clone();
        for condition in status.conditions.iter_mut().flatten() {
            condition.last_heartbeat_time = None;
        }
        status
    };
    strip(old) != strip(new)
}

/// `status.nodeInfo`: what `kubectl get nodes -o wide` shows about the machine.
fn node_info(config: &Config) -> NodeSystemInfo {
    // Read once per process: hollow nodes compute thousands of statuses.
    static HOST: OnceLock<(String, String)> = OnceLock::new();
    let (boot_id, kernel_version) = HOST.get_or_init(|| {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .map(|text| text.trim().to_owned())
                .unwrap_or_default()
        };
        (
            read("/proc/sys/kernel/random/boot_id"),
            read("/proc/sys/kernel/osrelease"),
        )
    });
    NodeSystemInfo {
        architecture: go_arch().to_owned(),
        boot_id: boot_id.clone(),
        container_runtime_version: config.runtime_version.clone(),
        kernel_version: kernel_version.clone(),
        kube_proxy_version: String::new(),
        kubelet_version: KUBELET_VERSION.to_owned(),
        machine_id: config.node_name.clone(),
        operating_system: "linux".to_owned(),
        os_image: "Linux (lab-03 kubelet)".to_owned(),
        system_uuid: config.node_name.clone(),
        ..NodeSystemInfo::default()
    }
}
