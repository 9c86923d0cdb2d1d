//! Step 7: node registration and heartbeats against lab-02.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::PostParams;
use labkit::FakeClock;
use serde_json::json;

use super::recording::{NODE, config, start_kubelet};
use crate::support::Cluster;

fn ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|condition| condition.type_ == "Ready" && condition.status == "True")
        })
}

fn wait_ready(cluster: &Cluster) -> Node {
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    cluster.wait_for("the node to be Ready", || {
        let nodes = nodes.clone();
        async move { nodes.get_opt(NODE).await.ok().flatten().filter(ready) }
    })
}

#[test]
fn step7_kubelet_registers_its_node_ready_with_labels_capacity_addresses_and_port() {
    let cluster = Cluster::start();
    let mut config = config(&cluster);
    config.cpu = "3".to_owned();
    config.memory = "5Gi".to_owned();
    start_kubelet(&cluster, config);
    let node = wait_ready(&cluster);

    let labels = node.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get("kubernetes.io/hostname").map(String::as_str),
        Some(NODE)
    );
    assert_eq!(
        labels.get("kubernetes.io/os").map(String::as_str),
        Some("linux")
    );
    assert!(labels.contains_key("kubernetes.io/arch"), "{labels:?}");

    let status = node.status.clone().unwrap_or_default();
    let capacity = status.capacity.clone().unwrap_or_default();
    let quantity = |name: &str| capacity.get(name).map(|quantity| quantity.0.clone());
    assert_eq!(quantity("cpu").as_deref(), Some("3"));
    assert_eq!(quantity("memory").as_deref(), Some("5Gi"));
    assert_eq!(quantity("pods").as_deref(), Some("110"));
    assert_eq!(status.allocatable, status.capacity, "nothing reserved");

    let addresses: Vec<(String, String)> = status
        .addresses
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|address| (address.type_, address.address))
        .collect();
    assert_eq!(
        addresses,
        [
            ("InternalIP".to_owned(), "192.168.50.11".to_owned()),
            ("Hostname".to_owned(), NODE.to_owned()),
        ]
    );
    let port = status
        .daemon_endpoints
        .and_then(|endpoints| endpoints.kubelet_endpoint)
        .map(|endpoint| endpoint.port);
    assert_eq!(
        port,
        Some(10255),
        "lab-02 proxies logs and exec to this port"
    );
    let info = status.node_info.clone().unwrap_or_default();
    assert_eq!(info.operating_system, "linux");
    assert!(info.kubelet_version.starts_with("v1."), "{info:?}");

    let conditions: Vec<(String, String, String)> = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .map(|condition| {
            (
                condition.type_,
                condition.status,
                condition.reason.unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
        ("Ready", "True", "KubeletReady"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(conditions, expected);
}

#[test]
fn step7_kubelet_keeps_the_spec_of_a_node_that_exists() {
    let cluster = Cluster::start();
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    let existing: Node = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": NODE, "labels": {"disk": "ssd"}},
        "spec": {"podCIDR": "10.244.7.0/24", "podCIDRs": ["10.244.7.0/24"]}
    }))
    .expect("a Node");
    cluster
        .block_on(nodes.create(&PostParams::default(), &existing))
        .expect("create the node");
    start_kubelet(&cluster, config(&cluster));
    let node = wait_ready(&cluster);
    let spec = node.spec.clone().unwrap_or_default();
    assert_eq!(spec.pod_cidr.as_deref(), Some("10.244.7.0/24"));
    let labels = node.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels.get("disk").map(String::as_str),
        Some("ssd"),
        "other labels stay"
    );
    assert_eq!(
        labels.get("kubernetes.io/hostname").map(String::as_str),
        Some(NODE)
    );
}

fn renew_time(lease: &Lease) -> Option<k8s_openapi::jiff::Timestamp> {
    lease.spec.as_ref()?.renew_time.as_ref().map(|time| time.0)
}

#[test]
fn step7_node_lease_is_owned_by_the_node_and_renewed_every_interval() {
    let cluster = Cluster::start();
    let clock = FakeClock::default();
    let mut config = config(&cluster);
    config.clock = Arc::new(clock.clone());
    start_kubelet(&cluster, config);
    let node = wait_ready(&cluster);

    let leases: Api<Lease> = Api::namespaced(cluster.client.clone(), "kube-node-lease");
    let lease = cluster.wait_for("the node's lease", || {
        let leases = leases.clone();
        async move { leases.get_opt(NODE).await.ok().flatten() }
    });
    let spec = lease.spec.clone().unwrap_or_default();
    assert_eq!(spec.holder_identity.as_deref(), Some(NODE));
    assert_eq!(spec.lease_duration_seconds, Some(40));
    let owners = lease.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(
        (owners[0].kind.as_str(), owners[0].name.as_str()),
        ("Node", NODE)
    );
    assert_eq!(Some(&owners[0].uid), node.metadata.uid.as_ref());

    let first = renew_time(&lease).expect("a renewTime");
    clock.advance(Duration::from_secs(10));
    let renewed = cluster.wait_for("the lease to be renewed", || {
        let leases = leases.clone();
        async move {
            let lease = leases.get_opt(NODE).await.ok().flatten()?;
            renew_time(&lease).filter(|time| *time > first)
        }
    });
    assert_eq!(
        renewed.duration_since(first).as_secs(),
        10,
        "renewTime follows the clock"
    );
}

#[test]
fn step7_unchanged_node_status_is_still_reported_after_the_report_frequency() {
    let cluster = Cluster::start();
    let clock = FakeClock::default();
    let mut config = config(&cluster);
    config.clock = Arc::new(clock.clone());
    start_kubelet(&cluster, config);
    let node = wait_ready(&cluster);
    let heartbeat = |node: &Node| {
        node.status
            .as_ref()
            .and_then(|status| status.conditions.as_ref())
            .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Ready"))
            .and_then(|ready| ready.last_heartbeat_time.clone())
            .map(|time| time.0)
    };
    let first = heartbeat(&node).expect("a heartbeat time");
    // 10 s later the status is computed again (before the lease is renewed), but it did not
    // change, so it is not written.
    clock.advance(Duration::from_secs(10));
    let leases: Api<Lease> = Api::namespaced(cluster.client.clone(), "kube-node-lease");
    cluster.wait_for("the lease renewed 10 s later", || {
        let leases = leases.clone();
        async move {
            let lease = leases.get_opt(NODE).await.ok().flatten()?;
            renew_time(&lease).filter(|time| time.duration_since(first).as_secs() >= 10)
        }
    });
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    let node = cluster.block_on(nodes.get(NODE)).expect("the node");
    assert_eq!(
        heartbeat(&node),
        Some(first),
        "an unchanged status waits for the report frequency"
    );
    clock.advance(Duration::from_secs(290));
    let later = cluster.wait_for("a heartbeat 5 minutes later", || {
        let nodes = nodes.clone();
        async move {
            let node = nodes.get_opt(NODE).await.ok().flatten()?;
            heartbeat(&node).filter(|time| *time > first)
        }
    });
    assert_eq!(later.duration_since(first).as_secs(), 300);
}
