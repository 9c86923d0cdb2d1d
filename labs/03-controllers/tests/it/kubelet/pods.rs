//! Step 7: pods bound to the node run, report their status, and stop when deleted.

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::recording::{Call, NODE, config, start_kubelet};
use crate::support::Cluster;

fn pod(name: &str, node: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": node, "containers": [{"name": "web", "image": "nginx:1.25"}]}
    }))
    .expect("a Pod")
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref()?.phase.as_deref()
}

#[test]
fn step7_pod_bound_to_the_node_runs_and_its_status_is_written() {
    let cluster = Cluster::start();
    let runtime = start_kubelet(&cluster, config(&cluster));
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    let created = cluster
        .block_on(pods.create(&PostParams::default(), &pod("web", NODE)))
        .expect("create the pod");
    cluster
        .block_on(pods.create(&PostParams::default(), &pod("elsewhere", "node2")))
        .expect("create the other pod");

    let running = cluster.wait_for("the pod to be Running", || {
        let pods = pods.clone();
        async move {
            pods.get("web")
                .await
                .ok()
                .filter(|pod| phase(pod) == Some("Running"))
        }
    });
    let status = running.status.clone().unwrap_or_default();
    assert!(
        status
            .pod_ip
            .as_deref()
            .is_some_and(|ip| ip.starts_with("10.244.0.")),
        "{status:?}"
    );
    assert_eq!(
        status.host_ip.as_deref(),
        Some("192.168.50.11"),
        "the kubelet adds its node's IP"
    );
    let uid = created.metadata.uid.clone().unwrap_or_default();
    assert_eq!(
        runtime.calls(),
        [Call::Start {
            key: "default/web".to_owned(),
            uid
        }],
        "only the pod bound to this node is started, once"
    );
    let elsewhere = cluster
        .block_on(pods.get("elsewhere"))
        .expect("the other pod");
    let elsewhere = elsewhere.status.unwrap_or_default();
    assert_eq!(elsewhere.pod_ip, None, "not this node's pod: {elsewhere:?}");
    assert_ne!(elsewhere.phase.as_deref(), Some("Running"));
}

#[test]
fn step7_deleted_pod_is_stopped_and_a_new_pod_of_that_name_started() {
    let cluster = Cluster::start();
    let runtime = start_kubelet(&cluster, config(&cluster));
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    let first = cluster
        .block_on(pods.create(&PostParams::default(), &pod("web", NODE)))
        .expect("create the pod");
    let first_uid = first.metadata.uid.clone().unwrap_or_default();
    cluster.wait_for("the pod to be Running", || {
        let pods = pods.clone();
        async move {
            pods.get("web")
                .await
                .ok()
                .filter(|pod| phase(pod) == Some("Running"))
        }
    });
    cluster
        .block_on(pods.delete("web", &DeleteParams::default()))
        .expect("delete the pod");
    cluster.wait_for("the pod to be stopped", || {
        let calls = runtime.calls();
        let uid = first_uid.clone();
        async move { calls.contains(&Call::Stop { uid }).then_some(()) }
    });

    let second = cluster
        .block_on(pods.create(&PostParams::default(), &pod("web", NODE)))
        .expect("create the pod again");
    let second_uid = second.metadata.uid.clone().unwrap_or_default();
    cluster.wait_for("the new pod to be started", || {
        let calls = runtime.calls();
        let uid = second_uid.clone();
        async move {
            calls
                .contains(&Call::Start {
                    key: "default/web".to_owned(),
                    uid,
                })
                .then_some(())
        }
    });
    let stops = runtime
        .calls()
        .iter()
        .filter(|call| matches!(call, Call::Stop { .. }))
        .count();
    assert_eq!(stops, 1, "{:?}", runtime.calls());
}

#[test]
fn step7_pod_marked_for_deletion_is_stopped() {
    let cluster = Cluster::start();
    let runtime = start_kubelet(&cluster, config(&cluster));
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    let mut held = pod("web", NODE);
    // A finalizer makes the apiserver only mark the pod (deletionTimestamp) on delete, as a
    // graceful deletion does: the kubelet must stop it and then delete it for good.
    held.metadata.finalizers = Some(vec!["example.com/hold".to_owned()]);
    let created = cluster
        .block_on(pods.create(&PostParams::default(), &held))
        .expect("create the pod");
    let uid = created.metadata.uid.clone().unwrap_or_default();
    cluster.wait_for("the pod to be Running", || {
        let pods = pods.clone();
        async move {
            pods.get("web")
                .await
                .ok()
                .filter(|pod| phase(pod) == Some("Running"))
        }
    });
    cluster
        .block_on(pods.delete("web", &DeleteParams::default()))
        .expect("delete the pod");
    cluster.wait_for("the pod to be stopped", || {
        let calls = runtime.calls();
        let uid = uid.clone();
        async move { calls.contains(&Call::Stop { uid }).then_some(()) }
    });
    // Once the finalizer goes, nothing holds the pod any more.
    cluster
        .block_on(pods.patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        ))
        .expect("drop the finalizer");
    cluster.wait_for("the pod to be gone", || {
        let pods = pods.clone();
        async move {
            pods.get_opt("web")
                .await
                .ok()
                .flatten()
                .is_none()
                .then_some(())
        }
    });
}
