//! Step 6 against the real lab-02 apiserver: a node whose kubelet stops renewing its Lease
//! is marked `Unknown`, tainted `unreachable`, and its ReplicaSet's pods are evicted and
//! replaced; when it speaks again, the taints go. There are no kubelets: the test renews the
//! Leases and posts the node status itself, and times are short (a 2 s grace period).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use lab_03::leaderelection::decide::micro_time;
use lab_03::nodelifecycle::Settings;
use serde_json::json;

use crate::support::Cluster;

/// What a kubelet would post: `Ready: True` with a fresh heartbeat.
async fn post_ready(client: &Client, node: &str) {
    let now = serde_json::to_value(lab_03::pods::to_time(SystemTime::now())).unwrap();
    let status = json!({"status": {"conditions": [
        {"type": "Ready", "status": "True", "reason": "KubeletReady",
         "message": "kubelet is posting ready status",
         "lastHeartbeatTime": now, "lastTransitionTime": now},
    ]}});
    Api::<Node>::all(client.clone())
        .patch_status(node, &PatchParams::default(), &Patch::Merge(status))
        .await
        .expect("post the node status");
}

/// What a kubelet does every 10 s (here: when the test says): renew `kube-node-lease/<node>`.
async fn renew_lease(client: &Client, node: &str) {
    let patch = json!({"spec": {"renewTime": micro_time(SystemTime::now())}});
    Api::<Lease>::namespaced(client.clone(), "kube-node-lease")
        .patch(node, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .expect("renew the lease");
}

/// Registers a node as a kubelet does: the Node, its status, its Lease.
async fn register(client: &Client, node: &str) {
    let body: Node = serde_json::from_value(json!({"metadata": {"name": node}})).unwrap();
    Api::<Node>::all(client.clone())
        .create(&PostParams::default(), &body)
        .await
        .expect("create the node");
    post_ready(client, node).await;
    let lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": node, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": node, "leaseDurationSeconds": 40,
                 "renewTime": micro_time(SystemTime::now())},
    }))
    .unwrap();
    Api::<Lease>::namespaced(client.clone(), "kube-node-lease")
        .create(&PostParams::default(), &lease)
        .await
        .expect("create the lease");
}

/// A ReplicaSet whose pods tolerate an unreachable node for 1 s (the default, 300 s, is
/// real but too long for a test).
fn replica_set() -> ReplicaSet {
    serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "nginx", "image": "nginx:1.25"}],
                    "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                     "effect": "NoExecute", "tolerationSeconds": 1}],
                }
            }
        }
    }))
    .unwrap()
}

async fn bind(client: &Client, pod: &str, node: &str) {
    let binding = json!({
        "apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": pod, "namespace": "default"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    });
    Api::<Pod>::namespaced(client.clone(), "default")
        .create_subresource::<_, serde_json::Value>(
            "binding",
            pod,
            &PostParams::default(),
            &binding,
        )
        .await
        .expect("bind the pod");
}

fn taint_keys(node: &Node) -> Vec<String> {
    node.spec
        .as_ref()
        .and_then(|spec| spec.taints.as_ref())
        .map(|taints| {
            taints
                .iter()
                .map(|t| format!("{}:{}", t.key, t.effect))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn step6_a_silent_node_is_marked_unknown_tainted_and_its_pods_replaced() {
    let cluster = Cluster::start();
    let client = cluster.client.clone();
    let nodes = Api::<Node>::all(client.clone());
    let pods = Api::<Pod>::namespaced(client.clone(), "default");
    cluster.block_on(async {
        register(&client, "node-1").await;
        register(&client, "node-2").await;
    });

    // The "kubelets": node-2 renews its Lease all along; node-1 until told to stop.
    let node_1_alive = Arc::new(AtomicBool::new(true));
    let last_renewal = Arc::new(std::sync::Mutex::new(SystemTime::now()));
    cluster.runtime.spawn({
        let client = client.clone();
        let alive = node_1_alive.clone();
        let last_renewal = last_renewal.clone();
        async move {
            loop {
                renew_lease(&client, "node-2").await;
                if alive.load(Ordering::SeqCst) {
                    renew_lease(&client, "node-1").await;
                    *last_renewal.lock().unwrap() = SystemTime::now();
                }
                // The heartbeat period (10 s for a real kubelet), not a wait for a result.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });

    let mut config = cluster.config();
    config.controllers = vec!["nodelifecycle".to_owned(), "replicaset".to_owned()];
    config.node_lifecycle = Settings {
        monitor_period: Duration::from_millis(100),
        grace_period: Duration::from_secs(2),
        startup_grace_period: Duration::from_secs(2),
    };
    let stopped = cluster.stopped();
    cluster.runtime.spawn(async move {
        lab_03::manager::run(config, stopped)
            .await
            .expect("the controller-manager runs");
    });

    cluster
        .block_on(
            Api::<ReplicaSet>::namespaced(client.clone(), "default")
                .create(&PostParams::default(), &replica_set()),
        )
        .expect("create the ReplicaSet");
    let first: Vec<String> = cluster.wait_for("2 pods of web", || {
        let pods = pods.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels("app=web"))
                .await
                .ok()?;
            let names: Vec<String> = list
                .items
                .iter()
                .filter_map(|p| p.metadata.name.clone())
                .collect();
            (names.len() == 2).then_some(names)
        }
    });
    cluster.block_on(async {
        for name in &first {
            bind(&client, name, "node-1").await;
        }
    });

    // Renewals keep node-1 healthy well past the 2 s grace period.
    let renewing_since = SystemTime::now();
    cluster.wait_for("3 s of renewals of node-1's Lease", || {
        let last = *last_renewal.lock().unwrap();
        async move {
            (last.duration_since(renewing_since).unwrap_or_default() >= Duration::from_secs(3))
                .then_some(())
        }
    });
    let node = cluster.block_on(nodes.get("node-1")).unwrap();
    assert!(
        taint_keys(&node).is_empty(),
        "tainted while its Lease was renewed: {node:?}"
    );
    assert_eq!(
        lab_03::nodelifecycle::health::ready_status(&node),
        Some("True")
    );
    node_1_alive.store(false, Ordering::SeqCst);

    let node_1 = cluster.wait_for("node-1 Unknown and tainted unreachable", || {
        let nodes = nodes.clone();
        async move {
            let node = nodes.get("node-1").await.ok()?;
            let ready = lab_03::nodelifecycle::health::ready_status(&node)?.to_owned();
            (ready == "Unknown" && taint_keys(&node).len() == 2).then_some(node)
        }
    });
    let ready = lab_03::nodelifecycle::health::condition(&node_1, "Ready").unwrap();
    assert_eq!(ready.reason.as_deref(), Some("NodeStatusUnknown"));
    assert_eq!(
        ready.message.as_deref(),
        Some("Kubelet stopped posting node status.")
    );
    assert_eq!(
        taint_keys(&node_1),
        [
            "node.kubernetes.io/unreachable:NoSchedule",
            "node.kubernetes.io/unreachable:NoExecute"
        ]
    );
    assert!(
        node_1.spec.as_ref().unwrap().taints.as_ref().unwrap()[1]
            .time_added
            .is_some()
    );

    // The pods tolerate it for 1 s, then they are evicted and the ReplicaSet replaces them
    // (the replacements stay unbound: there is no scheduler).
    let replacements: Vec<Pod> = cluster.wait_for("the old pods gone, 2 replacements", || {
        let pods = pods.clone();
        let first = first.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels("app=web"))
                .await
                .ok()?;
            let gone = list.items.iter().all(|p| {
                p.metadata
                    .name
                    .as_ref()
                    .is_none_or(|name| !first.contains(name))
            });
            (gone && list.items.len() == 2).then_some(list.items)
        }
    });
    assert!(
        replacements
            .iter()
            .all(|p| p.spec.as_ref().unwrap().node_name.is_none())
    );

    // node-2 kept renewing: untouched.
    let node_2 = cluster.block_on(nodes.get("node-2")).unwrap();
    assert!(taint_keys(&node_2).is_empty(), "{:?}", taint_keys(&node_2));
    assert_eq!(
        lab_03::nodelifecycle::health::ready_status(&node_2),
        Some("True")
    );

    // node-1's kubelet comes back: it posts Ready and renews; the taints go.
    node_1_alive.store(true, Ordering::SeqCst);
    cluster.block_on(post_ready(&client, "node-1"));
    cluster.wait_for("node-1 untainted", || {
        let nodes = nodes.clone();
        async move {
            let node = nodes.get("node-1").await.ok()?;
            taint_keys(&node).is_empty().then_some(())
        }
    });
}
