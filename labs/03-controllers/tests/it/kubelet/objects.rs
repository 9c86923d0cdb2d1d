//! Step 7: the objects a kubelet writes (Node status, Lease, mirror pod), without a server.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::Pod;
use lab_03::kubelet::heartbeat::{NODE_LEASE_NAMESPACE, renewed_lease, to_micro_time};
use lab_03::kubelet::node::node_status;
use lab_03::kubelet::static_pods::{mirror_pod, static_pod};
use lab_03::pods::to_time;

/// A kubelet config for `node1`; its client points nowhere (nothing is sent).
fn config() -> lab_03::kubelet::Config {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let _entered = runtime.enter();
    let url = "http://127.0.0.1:9".parse().expect("a URL");
    let client = kube::Client::try_from(kube::Config::new(url)).expect("a client");
    lab_03::kubelet::Config::new(client, "node1")
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
}

#[test]
fn step7_node_status_moves_the_heartbeat_and_keeps_the_transition_time() {
    let config = config();
    let first = node_status(&config, None, at(0));
    let ready = |status: &k8s_openapi::api::core::v1::NodeStatus| {
        status
            .conditions
            .iter()
            .flatten()
            .find(|condition| condition.type_ == "Ready")
            .cloned()
            .expect("a Ready condition")
    };
    assert_eq!(ready(&first).last_transition_time, Some(to_time(at(0))));
    let later = node_status(&config, Some(&first), at(40));
    assert_eq!(ready(&later).last_heartbeat_time, Some(to_time(at(40))));
    assert_eq!(
        ready(&later).last_transition_time,
        Some(to_time(at(0))),
        "Ready since the first status"
    );
    let pods = later
        .allocatable
        .unwrap_or_default()
        .get("pods")
        .map(|q| q.0.clone());
    assert_eq!(pods.as_deref(), Some("110"));
}

#[test]
fn step7_renewed_lease_is_created_then_renewed_with_one_node_owner() {
    let created = renewed_lease(None, "node1", None, 40, at(0));
    assert_eq!(created.metadata.name.as_deref(), Some("node1"));
    assert_eq!(
        created.metadata.namespace.as_deref(),
        Some(NODE_LEASE_NAMESPACE)
    );
    let spec = created.spec.clone().unwrap_or_default();
    assert_eq!(spec.holder_identity.as_deref(), Some("node1"));
    assert_eq!(spec.lease_duration_seconds, Some(40));
    assert_eq!(spec.renew_time, Some(to_micro_time(at(0))));

    let owned = renewed_lease(Some(&created), "node1", Some("uid-1"), 40, at(10));
    let again = renewed_lease(Some(&owned), "node1", Some("uid-1"), 40, at(20));
    let owners = again.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owners.len(), 1, "the owner is added once: {owners:?}");
    assert_eq!(
        (owners[0].kind.as_str(), owners[0].uid.as_str()),
        ("Node", "uid-1")
    );
    assert_eq!(
        again.spec.and_then(|spec| spec.renew_time),
        Some(to_micro_time(at(20)))
    );
}

#[test]
fn step7_mirror_pod_copies_the_static_pod_with_the_mirror_annotation_and_node_owner() {
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\n\
                    spec: {containers: [{name: web, image: nginx}]}\n";
    let pod: Pod = static_pod(manifest, "node1").expect("a static pod");
    assert_eq!(pod.metadata.name.as_deref(), Some("web-node1"));
    let hash = pod.metadata.uid.clone().unwrap_or_default();
    let mirror = mirror_pod(&pod, "node1", "node-uid");
    assert_eq!(mirror.metadata.name.as_deref(), Some("web-node1"));
    assert_eq!(mirror.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(
        mirror.metadata.uid, None,
        "the apiserver gives the mirror its own UID"
    );
    assert_eq!(mirror.metadata.labels, pod.metadata.labels);
    let annotations = mirror.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(annotations.get("kubernetes.io/config.mirror"), Some(&hash));
    assert_eq!(
        annotations
            .get("kubernetes.io/config.source")
            .map(String::as_str),
        Some("file")
    );
    let owners = mirror.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owners.len(), 1);
    assert_eq!(
        (owners[0].kind.as_str(), owners[0].uid.as_str()),
        ("Node", "node-uid")
    );
    assert_eq!(owners[0].controller, Some(true));
    assert_eq!(mirror.spec, pod.spec);
}
