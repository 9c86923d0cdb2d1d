//! Step 8: a hollow node dies (its heartbeats stop) and its pods move to the living nodes.
//!
//! The whole failure path of seeds 001/004 with no container anywhere: hollow nodes renew
//! their Leases, the node lifecycle controller (step 6) marks the silent one `Unknown` and
//! taints it `unreachable:NoExecute`, the taint evicts its pods once their toleration is over,
//! the ReplicaSet controller (step 2) makes replacements, and a binder puts them on the nodes
//! that are still Ready, where the hollow kubelets run them. Times are short but real: a 2 s
//! grace period and a 1 s toleration, set on the controller-manager and in the pod template.
//!
//! The binder ([`super::binder`]) stands in for lab 04's scheduler. The final cluster's
//! end-to-end test does the same with the real scheduler and real kubelets.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{ListParams, PostParams};
use lab_03::hollow::{self, HollowConfig};
use lab_03::nodelifecycle::Settings;
use lab_03::nodelifecycle::health::ready_status;
use serde_json::json;

use crate::support::Cluster;

/// The node lifecycle settings of this test: a node silent for 2 s is `Unknown`.
fn lifecycle() -> Settings {
    Settings {
        monitor_period: Duration::from_millis(100),
        grace_period: Duration::from_secs(2),
        startup_grace_period: Duration::from_secs(2),
    }
}

/// Six replicas that tolerate an unreachable node for 1 s (the real default is 300 s).
fn replica_set() -> ReplicaSet {
    serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 6,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "httpd", "image": "busybox"}],
                    "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                     "effect": "NoExecute", "tolerationSeconds": 1}],
                }
            }
        }
    }))
    .expect("a ReplicaSet")
}

/// The pods of `web` that are Running and Ready, as (name, node), when there are `count`.
async fn running_web_pods(pods: &Api<Pod>, count: usize) -> Option<Vec<(String, String)>> {
    let list = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .ok()?;
    let running: Vec<(String, String)> = list
        .items
        .iter()
        .filter(|pod| lab_03::pods::is_ready(pod))
        .filter(|pod| pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter_map(|pod| {
            Some((
                pod.metadata.name.clone()?,
                pod.spec.as_ref()?.node_name.clone()?,
            ))
        })
        .collect();
    (list.items.len() == count && running.len() == count).then_some(running)
}

#[test]
fn step8_killing_a_hollow_node_moves_its_pods_to_the_other_nodes() {
    let cluster = Cluster::start();
    let client = cluster.client.clone();
    let mut config = HollowConfig::new(3);
    config.ready_after = Duration::from_millis(200);
    config.tick = Duration::from_millis(50);
    config.lease_renew_interval = Duration::from_millis(200);
    config.node_status_update_frequency = Duration::from_millis(200);
    let nodes = cluster
        .block_on({
            let client = client.clone();
            async move { hollow::start(&client, &config) }
        })
        .expect("hollow nodes start");
    let mut manager = cluster.config();
    manager.node_lifecycle = lifecycle();
    cluster.start_manager(manager, &["nodelifecycle", "replicaset"]);
    cluster.runtime.spawn(super::binder::run(client.clone()));

    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    cluster
        .block_on(
            Api::<ReplicaSet>::namespaced(client.clone(), "default")
                .create(&PostParams::default(), &replica_set()),
        )
        .expect("create the ReplicaSet");
    let before = cluster.wait_for("6 pods of web Running and Ready", || {
        running_web_pods(&pods, 6)
    });
    let victim = nodes.names()[0].clone();
    let doomed: Vec<String> = before
        .iter()
        .filter(|(_, node)| *node == victim)
        .map(|(name, _)| name.clone())
        .collect();
    assert_eq!(
        doomed.len(),
        2,
        "the binder spreads 6 pods over 3 nodes: {before:?}"
    );

    let killed = Instant::now();
    assert!(nodes.kill(&victim));
    let node_api: Api<Node> = Api::all(client.clone());
    cluster.wait_for("the killed node Unknown", || {
        let node_api = node_api.clone();
        let victim = victim.clone();
        async move {
            let node = node_api.get(&victim).await.ok()?;
            (ready_status(&node) == Some("Unknown")).then_some(())
        }
    });
    let after = cluster.wait_for(
        "6 pods of web Running and Ready on the living nodes",
        || {
            let pods = pods.clone();
            let victim = victim.clone();
            async move {
                let running = running_web_pods(&pods, 6).await?;
                running
                    .iter()
                    .all(|(_, node)| *node != victim)
                    .then_some(running)
            }
        },
    );
    eprintln!(
        "pods moved off {victim} {:.1} s after it was killed (grace 2 s, then a 1 s toleration \
         from the taint's timeAdded, which has whole seconds)",
        killed.elapsed().as_secs_f64()
    );
    // The two pods of the dead node were replaced (new names); the other four stayed put.
    let names: Vec<&String> = after.iter().map(|(name, _)| name).collect();
    assert!(doomed.iter().all(|name| !names.contains(&name)));
    let kept = before
        .iter()
        .filter(|(_, node)| *node != victim)
        .filter(|pod| after.contains(pod))
        .count();
    assert_eq!(kept, 4, "before {before:?}, after {after:?}");
    let living = &nodes.names()[1..];
    assert!(after.iter().all(|(_, node)| living.contains(node)));
    cluster.block_on(nodes.stop());
}
