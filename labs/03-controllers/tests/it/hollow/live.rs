//! Step 8: hollow nodes against lab-02: they register and run pods as state only.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{ListParams, PostParams};
use lab_03::hollow::{self, HollowConfig, HollowNodes};
use serde_json::{Value, json};

use crate::support::Cluster;

fn start(cluster: &Cluster, count: usize) -> HollowNodes {
    let mut config = HollowConfig::new(count);
    config.ready_after = Duration::from_millis(300);
    config.tick = Duration::from_millis(50);
    let client = cluster.client.clone();
    cluster
        .block_on(async move { hollow::start(&client, &config) })
        .expect("hollow nodes start")
}

fn is_true(conditions: Option<&Vec<impl serde::Serialize>>, type_: &str) -> bool {
    conditions.into_iter().flatten().any(|condition| {
        let condition = serde_json::to_value(condition).unwrap_or(Value::Null);
        condition["type"] == type_ && condition["status"] == "True"
    })
}

fn pod(name: &str, node: &str, restart_policy: &str, command: Option<&[&str]>) -> Pod {
    let mut container = json!({"name": "main", "image": "busybox"});
    if let Some(command) = command {
        container["command"] = json!(command);
    }
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": node, "restartPolicy": restart_policy, "containers": [container]}
    }))
    .expect("a Pod")
}

#[test]
fn step8_hollow_nodes_register_ready_with_leases() {
    let cluster = Cluster::start();
    let nodes = start(&cluster, 5);
    assert_eq!(nodes.names()[0], "hollow-node-0");
    let api: Api<Node> = Api::all(cluster.client.clone());
    let ready = cluster.wait_for("5 Ready nodes", || {
        let api = api.clone();
        async move {
            let list = api.list(&ListParams::default()).await.ok()?;
            let ready: Vec<String> = list
                .items
                .iter()
                .filter(|node| {
                    is_true(
                        node.status.as_ref().and_then(|s| s.conditions.as_ref()),
                        "Ready",
                    )
                })
                .filter_map(|node| node.metadata.name.clone())
                .collect();
            (ready.len() == 5).then_some(ready)
        }
    });
    assert_eq!(
        ready,
        [
            "hollow-node-0",
            "hollow-node-1",
            "hollow-node-2",
            "hollow-node-3",
            "hollow-node-4"
        ]
    );
    let leases: Api<Lease> = Api::namespaced(cluster.client.clone(), "kube-node-lease");
    cluster.wait_for("5 leases", || {
        let leases = leases.clone();
        async move { (leases.list(&ListParams::default()).await.ok()?.items.len() == 5).then_some(()) }
    });
    cluster.block_on(nodes.stop());
}

#[test]
fn step8_pods_on_hollow_nodes_run_then_become_ready() {
    let cluster = Cluster::start();
    let nodes = start(&cluster, 3);
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    for (index, node) in nodes.names().iter().enumerate() {
        cluster
            .block_on(pods.create(
                &PostParams::default(),
                &pod(&format!("web-{index}"), node, "Always", None),
            ))
            .expect("create a pod");
    }
    let running = cluster.wait_for("3 pods Running and Ready", || {
        let pods = pods.clone();
        async move {
            let list = pods.list(&ListParams::default()).await.ok()?;
            let ready = list.items.iter().all(|pod| {
                let status = pod.status.as_ref();
                status.and_then(|s| s.phase.as_deref()) == Some("Running")
                    && is_true(status.and_then(|s| s.conditions.as_ref()), "Ready")
            });
            (list.items.len() == 3 && ready).then_some(list.items)
        }
    });
    for pod in &running {
        let status = pod.status.clone().unwrap_or_default();
        let ip = status.pod_ip.unwrap_or_default();
        assert!(
            ip.starts_with("10.128."),
            "a pod IP from the node's fake range: {ip}"
        );
        let containers = status.container_statuses.unwrap_or_default();
        assert!(
            containers[0].ready
                && containers[0]
                    .state
                    .as_ref()
                    .is_some_and(|s| s.running.is_some())
        );
        assert!(status.start_time.is_some());
    }
    cluster.block_on(nodes.stop());
}

#[test]
fn step8_never_pod_that_exits_1_ends_failed_and_on_failure_exit_0_succeeds() {
    let cluster = Cluster::start();
    let nodes = start(&cluster, 2);
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    let node = nodes.names()[1].clone();
    let failing = pod("fails", &node, "Never", Some(&["sh", "-c", "exit 1"]));
    let succeeding = pod("succeeds", &node, "OnFailure", Some(&["true"]));
    for pod in [failing, succeeding] {
        cluster
            .block_on(pods.create(&PostParams::default(), &pod))
            .expect("create a pod");
    }
    let phase = |name: &'static str, want: &'static str| {
        cluster.wait_for(&format!("{name} to be {want}"), || {
            let pods = pods.clone();
            async move {
                let pod = pods.get(name).await.ok()?;
                (pod.status.as_ref()?.phase.as_deref() == Some(want)).then_some(pod)
            }
        })
    };
    let failed = phase("fails", "Failed");
    let state = failed
        .status
        .and_then(|s| s.container_statuses)
        .unwrap_or_default()[0]
        .state
        .clone();
    let terminated = state
        .and_then(|state| state.terminated)
        .expect("a terminated container");
    assert_eq!(
        (terminated.exit_code, terminated.reason.as_deref()),
        (1, Some("Error"))
    );
    phase("succeeds", "Succeeded");
    cluster.block_on(nodes.stop());
}
