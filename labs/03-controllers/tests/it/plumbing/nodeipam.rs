//! Step 5: node IPAM against lab-02: every node gets its own block of the pod network.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Event, Node};
use kube::Api;
use kube::api::{DeleteParams, ListParams, PostParams};
use serde_json::json;

use crate::support::Cluster;

fn node(name: &str, pod_cidr: Option<&str>) -> Node {
    let mut node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}});
    if let Some(cidr) = pod_cidr {
        node["spec"] = json!({"podCIDR": cidr, "podCIDRs": [cidr]});
    }
    serde_json::from_value(node).expect("a Node")
}

fn create(cluster: &Cluster, nodes: &Api<Node>, name: &str, pod_cidr: Option<&str>) {
    cluster
        .block_on(nodes.create(&PostParams::default(), &node(name, pod_cidr)))
        .expect("the node is created");
}

/// Waits until the node `name` has a podCIDR; returns it after checking podCIDRs agrees.
fn wait_for_cidr(cluster: &Cluster, nodes: &Api<Node>, name: &str) -> String {
    cluster.wait_for(&format!("a podCIDR on {name}"), || async {
        let node = nodes.get(name).await.ok()?;
        let spec = node.spec?;
        let cidr = spec.pod_cidr?;
        assert_eq!(
            spec.pod_cidrs,
            Some(vec![cidr.clone()]),
            "podCIDRs lists podCIDR"
        );
        Some(cidr)
    })
}

#[test]
fn step5_nodeipam_gives_each_node_its_own_block_and_keeps_the_existing_ones() {
    let cluster = Cluster::start_without_stopgap();
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    // Written before the controller starts: it must rebuild its map from the nodes.
    create(&cluster, &nodes, "node-old", Some("10.244.0.0/24"));
    cluster.start_controllers(&["nodeipam"]);
    create(&cluster, &nodes, "node-a", None);
    create(&cluster, &nodes, "node-b", None);
    let given: BTreeSet<String> = ["node-a", "node-b"]
        .iter()
        .map(|name| wait_for_cidr(&cluster, &nodes, name))
        .collect();
    assert_eq!(
        given,
        BTreeSet::from(["10.244.1.0/24".to_owned(), "10.244.2.0/24".to_owned()])
    );
    assert_eq!(wait_for_cidr(&cluster, &nodes, "node-old"), "10.244.0.0/24");
}

#[test]
fn step5_nodeipam_full_range_is_a_warning_event_until_a_node_leaves() {
    let cluster = Cluster::start_without_stopgap();
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    let mut config = cluster.config();
    config.cluster_cidr = "10.250.0.0/23".parse().expect("a CIDR");
    config.node_cidr_mask_size = 24;
    cluster.start_manager(config, &["nodeipam"]);
    create(&cluster, &nodes, "n1", None);
    create(&cluster, &nodes, "n2", None);
    let first = wait_for_cidr(&cluster, &nodes, "n1");
    wait_for_cidr(&cluster, &nodes, "n2");
    create(&cluster, &nodes, "n3", None);
    let events: Api<Event> = Api::namespaced(cluster.client.clone(), "default");
    let event = cluster.wait_for("a CIDRNotAvailable event for n3", || async {
        let list = events.list(&ListParams::default()).await.ok()?;
        list.items.into_iter().find(|event| {
            event.reason.as_deref() == Some("CIDRNotAvailable")
                && event.involved_object.name.as_deref() == Some("n3")
        })
    });
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    assert_eq!(event.involved_object.kind.as_deref(), Some("Node"));
    cluster
        .block_on(nodes.delete("n1", &DeleteParams::default()))
        .expect("n1 is deleted");
    assert_eq!(
        wait_for_cidr(&cluster, &nodes, "n3"),
        first,
        "n1's block was freed"
    );
}
