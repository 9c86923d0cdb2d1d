//! Step 4: on which nodes a DaemonSet runs a pod, which pods go, and its status. Pure.

use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use lab_03::daemonset::decide::{REVISION_LABEL, calculate_status, daemon_actions, new_pod};
use lab_03::daemonset::placement::{Placement, node_should_run, target_node};
use serde_json::{Value, json};

fn daemon_set(pod_spec: &Value) -> DaemonSet {
    let mut ds = json!({
        "metadata": {"name": "agent", "namespace": "kube-system", "uid": "ds-uid", "generation": 3},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}},
        }
    });
    ds["spec"]["template"]["spec"] = pod_spec.clone();
    serde_json::from_value(ds).expect("a DaemonSet")
}

/// The hash of the DaemonSet's current revision in these tests.
const HASH: &str = "rev2";

fn plain() -> Value {
    json!({"containers": [{"name": "agent", "image": "agent:1"}]})
}

fn node(name: &str, labels: &Value, taints: &Value) -> Arc<Node> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": labels},
            "spec": {"taints": taints},
        }))
        .expect("a Node"),
    )
}

/// A pod of the DaemonSet for `node` (bound when `bound`), in `phase`, created at `created`.
fn pod(ds: &DaemonSet, name: &str, node: &str, phase: &str, created: &str) -> Arc<Pod> {
    let mut pod = new_pod(ds, node, HASH);
    pod.metadata.name = Some(name.to_owned());
    pod.metadata.creation_timestamp = serde_json::from_value(json!(created)).ok();
    let mut status = json!({"phase": phase});
    if phase == "Running" {
        status["conditions"] = json!([{"type": "Ready", "status": "True"}]);
    }
    pod.status = serde_json::from_value(status).ok();
    Arc::new(pod)
}

fn names(pods: &[Arc<Pod>]) -> Vec<String> {
    pods.iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect()
}

#[test]
fn step4_daemonset_creates_one_pod_on_each_node_that_matches_its_node_selector() {
    let mut spec = plain();
    spec["nodeSelector"] = json!({"disk": "ssd"});
    let ds = daemon_set(&spec);
    let nodes = [
        node("a", &json!({"disk": "ssd"}), &json!(null)),
        node("b", &json!({"disk": "hdd"}), &json!(null)),
        node("c", &json!({"disk": "ssd", "zone": "z1"}), &json!(null)),
    ];
    let actions = daemon_actions(&ds, &nodes, &[], HASH, SystemTime::now());
    assert_eq!(actions.create_on, ["a", "c"]);
    assert!(actions.delete.is_empty());
}

#[test]
fn step4_daemonset_pods_are_pinned_by_node_affinity_and_tolerate_node_problems() {
    let ds = daemon_set(&plain());
    let pod = new_pod(&ds, "node-7", HASH);
    let spec = pod.spec.as_ref().unwrap();
    // Pinned for the scheduler to bind, not bound by the controller.
    assert_eq!(spec.node_name, None);
    assert_eq!(
        serde_json::to_value(&spec.affinity).unwrap(),
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": ["node-7"]}]}]}}})
    );
    assert_eq!(target_node(spec), Some("node-7"));
    let tolerations: Vec<String> = spec
        .tolerations
        .iter()
        .flatten()
        .map(|t| {
            format!(
                "{}:{}",
                t.key.as_deref().unwrap_or(""),
                t.effect.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        tolerations,
        [
            "node.kubernetes.io/not-ready:NoExecute",
            "node.kubernetes.io/unreachable:NoExecute",
            "node.kubernetes.io/disk-pressure:NoSchedule",
            "node.kubernetes.io/memory-pressure:NoSchedule",
            "node.kubernetes.io/pid-pressure:NoSchedule",
            "node.kubernetes.io/unschedulable:NoSchedule",
        ]
    );
    assert!(
        spec.tolerations
            .iter()
            .flatten()
            .all(|t| t.toleration_seconds.is_none())
    );
    let meta = &pod.metadata;
    assert_eq!(meta.generate_name.as_deref(), Some("agent-"));
    assert_eq!(
        meta.labels.as_ref().unwrap().get(REVISION_LABEL),
        Some(&HASH.to_owned())
    );
    let owner = lab_03::pods::controller_of(meta).unwrap();
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str()),
        ("DaemonSet", "ds-uid")
    );
}

#[test]
fn step4_daemonset_required_node_affinity_chooses_nodes() {
    let mut spec = plain();
    spec["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [
        {"matchExpressions": [{"key": "gpus", "operator": "Gt", "values": ["1"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["special"]}]},
    ]}}});
    let ds = daemon_set(&spec);
    let nodes = [
        node("one-gpu", &json!({"gpus": "1"}), &json!(null)),
        node("four-gpus", &json!({"gpus": "4"}), &json!(null)),
        node("special", &json!({}), &json!(null)),
        node("plain", &json!({}), &json!(null)),
    ];
    assert_eq!(
        daemon_actions(&ds, &nodes, &[], HASH, SystemTime::now()).create_on,
        ["four-gpus", "special"]
    );
}

#[test]
fn step4_daemonset_taints_keep_new_pods_away_and_no_execute_ones_evict() {
    let ds = daemon_set(&plain());
    let spec = ds.spec.as_ref().unwrap().template.spec.clone().unwrap();
    let spec = lab_03::daemonset::placement::with_daemon_tolerations(&spec);
    let no_schedule = node(
        "a",
        &json!({}),
        &json!([{"key": "dedicated", "effect": "NoSchedule"}]),
    );
    assert_eq!(
        node_should_run(&spec, &no_schedule),
        Placement {
            should_run: false,
            should_continue_running: true
        }
    );
    let no_execute = node(
        "b",
        &json!({}),
        &json!([{"key": "dedicated", "effect": "NoExecute"}]),
    );
    assert_eq!(
        node_should_run(&spec, &no_execute),
        Placement {
            should_run: false,
            should_continue_running: false
        }
    );
    // Cordoned or under memory pressure: a daemon still belongs there.
    let cordoned = node(
        "c",
        &json!({}),
        &json!([{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"}]),
    );
    assert_eq!(
        node_should_run(&spec, &cordoned),
        Placement {
            should_run: true,
            should_continue_running: true
        }
    );
    let nodes = [no_schedule, no_execute];
    let pods = [
        pod(&ds, "on-a", "a", "Running", "2024-01-01T00:00:00Z"),
        pod(&ds, "on-b", "b", "Running", "2024-01-01T00:00:00Z"),
    ];
    let actions = daemon_actions(&ds, &nodes, &pods, HASH, SystemTime::now());
    assert!(actions.create_on.is_empty());
    assert_eq!(names(&actions.delete), ["on-b"]);
}

#[test]
fn step4_daemonset_deletes_duplicates_failed_pods_and_pods_of_removed_nodes() {
    let ds = daemon_set(&plain());
    let nodes = [
        node("a", &json!({}), &json!(null)),
        node("b", &json!({}), &json!(null)),
    ];
    let pods = [
        pod(&ds, "a-new", "a", "Running", "2024-01-01T00:05:00Z"),
        pod(&ds, "a-old", "a", "Running", "2024-01-01T00:00:00Z"),
        pod(&ds, "b-failed", "b", "Failed", "2024-01-01T00:00:00Z"),
        pod(
            &ds,
            "gone",
            "removed-node",
            "Running",
            "2024-01-01T00:00:00Z",
        ),
    ];
    let actions = daemon_actions(&ds, &nodes, &pods, HASH, SystemTime::now());
    assert!(
        actions.create_on.is_empty(),
        "b gets its replacement next sync"
    );
    assert_eq!(names(&actions.delete), ["a-new", "b-failed", "gone"]);
}

#[test]
fn step4_daemonset_status_counts_desired_current_ready_and_misscheduled() {
    let mut spec = plain();
    spec["nodeSelector"] = json!({"role": "edge"});
    let ds = daemon_set(&spec);
    let edge = json!({"role": "edge"});
    let nodes = [
        node("a", &edge, &json!(null)),
        node("b", &edge, &json!(null)),
        node("c", &edge, &json!(null)),
        node("d", &json!({}), &json!(null)),
    ];
    let mut stale = (*pod(&ds, "on-b", "b", "Pending", "2024-01-01T00:00:00Z")).clone();
    stale
        .metadata
        .labels
        .as_mut()
        .unwrap()
        .insert(REVISION_LABEL.to_owned(), "old".to_owned());
    let pods = [
        pod(&ds, "on-a", "a", "Running", "2024-01-01T00:00:00Z"),
        Arc::new(stale),
        pod(&ds, "on-d", "d", "Running", "2024-01-01T00:00:00Z"),
    ];
    let status = calculate_status(&ds, &nodes, &pods, HASH, SystemTime::now());
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        json!({
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 2,
            "numberMisscheduled": 1,
            "numberReady": 1,
            "numberAvailable": 1,
            "numberUnavailable": 2,
            "updatedNumberScheduled": 1,
            "observedGeneration": 3,
        })
    );
}
