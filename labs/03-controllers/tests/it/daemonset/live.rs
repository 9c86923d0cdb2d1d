//! Step 4 against the real lab-02 apiserver: a DaemonSet follows the nodes as they come, go
//! and change labels.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use lab_03::daemonset::placement::target_node;
use serde_json::json;

use crate::support::Cluster;

fn create_node(cluster: &Cluster, name: &str, labels: serde_json::Value) {
    let mut node = json!({"metadata": {"name": name}});
    node["metadata"]["labels"] = labels;
    let node: Node = serde_json::from_value(node).unwrap();
    cluster
        .block_on(Api::<Node>::all(cluster.client.clone()).create(&PostParams::default(), &node))
        .expect("create a node");
}

/// The agent pods (not being deleted) by the node they are for.
fn wait_for_pods_on(cluster: &Cluster, expected: &[&str]) -> BTreeMap<String, Pod> {
    let pods = Api::<Pod>::namespaced(cluster.client.clone(), "default");
    let expected: Vec<String> = expected.iter().map(|n| (*n).to_owned()).collect();
    cluster.wait_for(&format!("agent pods on {expected:?}"), || {
        let pods = pods.clone();
        let expected = expected.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels("app=agent"))
                .await
                .ok()?;
            let by_node: BTreeMap<String, Pod> = list
                .items
                .into_iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .filter_map(|p| Some((target_node(p.spec.as_ref()?)?.to_owned(), p)))
                .collect();
            (by_node.keys().cloned().collect::<Vec<_>>() == expected).then_some(by_node)
        }
    })
}

#[test]
fn step4_daemonset_runs_one_pod_per_matching_node_as_nodes_come_go_and_change() {
    let cluster = Cluster::start();
    create_node(&cluster, "n1", json!({"disk": "ssd"}));
    create_node(&cluster, "n2", json!({"disk": "ssd"}));
    create_node(&cluster, "n3", json!({}));
    cluster.start_controllers(&["daemonset"]);
    let ds: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"nodeSelector": {"disk": "ssd"},
                         "containers": [{"name": "agent", "image": "agent:1"}]}
            }
        }
    }))
    .unwrap();
    let daemonsets = Api::<DaemonSet>::namespaced(cluster.client.clone(), "default");
    cluster
        .block_on(daemonsets.create(&PostParams::default(), &ds))
        .expect("create the DaemonSet");
    let pods = wait_for_pods_on(&cluster, &["n1", "n2"]);
    assert!(
        pods.values()
            .all(|p| p.spec.as_ref().unwrap().node_name.is_none())
    );

    // A new matching node gets one.
    create_node(&cluster, "n4", json!({"disk": "ssd"}));
    wait_for_pods_on(&cluster, &["n1", "n2", "n4"]);
    // A removed node's pod goes; so does the pod of a node that stops matching.
    let nodes = Api::<Node>::all(cluster.client.clone());
    cluster
        .block_on(nodes.delete("n1", &DeleteParams::default()))
        .expect("delete n1");
    let unlabel = Patch::Merge(json!({"metadata": {"labels": {"disk": null}}}));
    cluster
        .block_on(nodes.patch("n2", &PatchParams::default(), &unlabel))
        .expect("unlabel n2");
    wait_for_pods_on(&cluster, &["n4"]);

    let status = cluster.wait_for("the status", || {
        let daemonsets = daemonsets.clone();
        async move {
            let status = daemonsets.get("agent").await.ok()?.status?;
            // The status settles a sync after the deletions (each sync counts the pods it saw).
            let settled = status.desired_number_scheduled == 1
                && status.current_number_scheduled == 1
                && status.number_misscheduled == 0;
            settled.then_some(status)
        }
    });
    assert_eq!(status.number_ready, 0, "no kubelet: nothing is ready");
    assert_eq!(status.number_unavailable, Some(1));
    assert_eq!(status.updated_number_scheduled, Some(1));
}
