//! Step 6: is a node alive, and which taints does it get? Pure decisions over a `FakeClock`.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Taint};
use lab_03::nodelifecycle::health::{NodeHealth, observe, unknown_conditions};
use lab_03::nodelifecycle::taints::desired_taints;
use labkit::{Clock, FakeClock};
use serde_json::json;

const GRACE: Duration = Duration::from_secs(50);
const STARTUP_GRACE: Duration = Duration::from_secs(60);

/// A node whose kubelet posted `Ready: <ready>` (no Ready condition with `None`) with a
/// heartbeat at `heartbeat`, plus `taints`.
fn node(ready: Option<&str>, heartbeat: &str, taints: serde_json::Value) -> Node {
    let conditions = match ready {
        Some(status) => json!([
            {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
             "lastHeartbeatTime": heartbeat, "lastTransitionTime": "2024-01-01T00:00:00Z"},
            {"type": "Ready", "status": status, "reason": "KubeletReady",
             "lastHeartbeatTime": heartbeat, "lastTransitionTime": "2024-01-01T00:00:00Z"},
        ]),
        None => json!([]),
    };
    let mut node = json!({
        "metadata": {"name": "node-1", "creationTimestamp": "2023-12-31T00:00:00Z"},
        "status": {"conditions": conditions},
    });
    node["spec"]["taints"] = taints;
    serde_json::from_value(node).expect("a Node")
}

fn lease(renewed: &str) -> Lease {
    serde_json::from_value(json!({
        "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40, "renewTime": renewed},
    }))
    .expect("a Lease")
}

fn taint_keys(taints: &[Taint]) -> Vec<String> {
    taints
        .iter()
        .map(|t| format!("{}:{}", t.key, t.effect))
        .collect()
}

#[test]
fn step6_a_node_seen_for_the_first_time_is_probed_now() {
    let clock = FakeClock::default();
    let node = node(Some("True"), "2023-12-31T23:59:50Z", json!(null));
    let health = observe(None, &node, None, clock.now());
    assert_eq!(health.probe, clock.now());
}

#[test]
fn step6_a_lease_renewal_moves_the_probe_and_silence_does_not() {
    let clock = FakeClock::default();
    let node = node(Some("True"), "2023-12-31T23:59:50Z", json!(null));
    let start = clock.now();
    let first = observe(
        None,
        &node,
        Some(&lease("2024-01-01T00:00:00.000000Z")),
        start,
    );
    clock.advance(Duration::from_secs(10));
    // The same Lease seen again is no news: the probe stays where it was.
    let same = observe(
        Some(&first),
        &node,
        Some(&lease("2024-01-01T00:00:00.000000Z")),
        clock.now(),
    );
    assert_eq!(same.probe, start);
    // A new renewTime is a sign of life, whatever time it says (the kubelet's clock may be off).
    let renewed = observe(
        Some(&same),
        &node,
        Some(&lease("2020-01-01T00:00:10.000000Z")),
        clock.now(),
    );
    assert_eq!(renewed.probe, clock.now());
}

#[test]
fn step6_a_new_ready_heartbeat_moves_the_probe() {
    let clock = FakeClock::default();
    let start = clock.now();
    let first = observe(
        None,
        &node(Some("True"), "2023-12-31T23:59:50Z", json!(null)),
        None,
        start,
    );
    clock.advance(Duration::from_secs(30));
    let posted = node(Some("True"), "2024-01-01T00:00:30Z", json!(null));
    assert_eq!(
        observe(Some(&first), &posted, None, clock.now()).probe,
        clock.now()
    );
}

#[test]
fn step6_a_silent_node_is_left_alone_within_the_grace_period() {
    let clock = FakeClock::default();
    let node = node(Some("True"), "2023-12-31T23:59:50Z", json!(null));
    let health = observe(None, &node, None, clock.now());
    clock.advance(GRACE);
    assert_eq!(
        unknown_conditions(
            &node,
            &health,
            clock.now(),
            clock.wall(),
            GRACE,
            STARTUP_GRACE
        ),
        None
    );
}

#[test]
fn step6_past_the_grace_period_the_kubelet_conditions_become_unknown() {
    let clock = FakeClock::default();
    let node = node(Some("True"), "2023-12-31T23:59:50Z", json!(null));
    let health = observe(None, &node, None, clock.now());
    clock.advance(GRACE + Duration::from_secs(1));
    let conditions = unknown_conditions(
        &node,
        &health,
        clock.now(),
        clock.wall(),
        GRACE,
        STARTUP_GRACE,
    )
    .expect("the conditions change");
    let by_type = |type_: &str| {
        conditions
            .iter()
            .find(|c| c.type_ == type_)
            .unwrap_or_else(|| panic!("a {type_} condition in {conditions:?}"))
    };
    let ready = by_type("Ready");
    assert_eq!(ready.status, "Unknown");
    assert_eq!(ready.reason.as_deref(), Some("NodeStatusUnknown"));
    assert_eq!(
        ready.message.as_deref(),
        Some("Kubelet stopped posting node status.")
    );
    // The heartbeat stays: it says when the kubelet last spoke.
    assert_eq!(
        serde_json::to_value(&ready.last_heartbeat_time).unwrap(),
        json!("2023-12-31T23:59:50Z")
    );
    assert_eq!(
        serde_json::to_value(&ready.last_transition_time).unwrap(),
        json!("2024-01-01T00:00:51Z")
    );
    assert_eq!(by_type("MemoryPressure").status, "Unknown");
    // Conditions the kubelet never posted are added, saying so.
    let disk = by_type("DiskPressure");
    assert_eq!(disk.status, "Unknown");
    assert_eq!(disk.reason.as_deref(), Some("NodeStatusNeverUpdated"));
    assert_eq!(
        disk.message.as_deref(),
        Some("Kubelet never posted node status.")
    );
    assert_eq!(by_type("PIDPressure").status, "Unknown");
    assert_eq!(conditions.len(), 4);
}

#[test]
fn step6_conditions_already_unknown_are_not_written_again() {
    let clock = FakeClock::default();
    let node = node(Some("True"), "2023-12-31T23:59:50Z", json!(null));
    let health = observe(None, &node, None, clock.now());
    clock.advance(Duration::from_secs(60));
    let conditions = unknown_conditions(
        &node,
        &health,
        clock.now(),
        clock.wall(),
        GRACE,
        STARTUP_GRACE,
    )
    .expect("the conditions change");
    let mut marked = node.clone();
    marked.status.as_mut().unwrap().conditions = Some(conditions);
    let health = observe(Some(&health), &marked, None, clock.now());
    clock.advance(Duration::from_secs(5));
    assert_eq!(
        unknown_conditions(
            &marked,
            &health,
            clock.now(),
            clock.wall(),
            GRACE,
            STARTUP_GRACE
        ),
        None,
        "marking Unknown is not a sign of life, and nothing is left to change"
    );
}

#[test]
fn step6_a_node_that_never_posted_ready_gets_the_startup_grace_period() {
    let clock = FakeClock::default();
    let node = node(None, "", json!(null));
    let health: NodeHealth = observe(None, &node, None, clock.now());
    clock.advance(Duration::from_secs(55));
    assert_eq!(
        unknown_conditions(
            &node,
            &health,
            clock.now(),
            clock.wall(),
            GRACE,
            STARTUP_GRACE
        ),
        None,
        "55 s is within the 60 s startup grace period"
    );
    clock.advance(Duration::from_secs(6));
    let conditions = unknown_conditions(
        &node,
        &health,
        clock.now(),
        clock.wall(),
        GRACE,
        STARTUP_GRACE,
    )
    .expect("past the startup grace period");
    assert!(
        conditions
            .iter()
            .all(|c| c.status == "Unknown" && c.reason.as_deref() == Some("NodeStatusNeverUpdated"))
    );
}

fn at(seconds: u64) -> SystemTime {
    FakeClock::default().wall() + Duration::from_secs(seconds)
}

#[test]
fn step6_ready_unknown_taints_unreachable_and_ready_false_taints_not_ready() {
    let unknown = node(Some("Unknown"), "2024-01-01T00:00:00Z", json!(null));
    let taints = desired_taints(&unknown, at(60)).expect("new taints");
    assert_eq!(
        taint_keys(&taints),
        [
            "node.kubernetes.io/unreachable:NoSchedule",
            "node.kubernetes.io/unreachable:NoExecute"
        ]
    );
    // The NoExecute taint is stamped: the pods' tolerationSeconds count from there.
    assert_eq!(
        serde_json::to_value(&taints[1].time_added).unwrap(),
        json!("2024-01-01T00:01:00Z")
    );
    assert_eq!(taints[0].time_added, None);

    let not_ready = node(Some("False"), "2024-01-01T00:00:00Z", json!(null));
    let taints = desired_taints(&not_ready, at(60)).expect("new taints");
    assert_eq!(
        taint_keys(&taints),
        [
            "node.kubernetes.io/not-ready:NoSchedule",
            "node.kubernetes.io/not-ready:NoExecute"
        ]
    );
}

#[test]
fn step6_taints_that_are_right_already_are_left_alone() {
    let tainted = json!([
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
         "timeAdded": "2024-01-01T00:01:00Z"},
    ]);
    let node = node(Some("Unknown"), "2024-01-01T00:00:00Z", tainted);
    assert_eq!(
        desired_taints(&node, at(600)),
        None,
        "timeAdded must not move"
    );
    let healthy = self::node(Some("True"), "2024-01-01T00:00:00Z", json!(null));
    assert_eq!(desired_taints(&healthy, at(600)), None);
}

#[test]
fn step6_a_node_that_comes_back_loses_its_taints_but_keeps_an_admins() {
    let tainted = json!([
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
         "timeAdded": "2024-01-01T00:01:00Z"},
    ]);
    let back = node(Some("True"), "2024-01-01T00:05:00Z", tainted.clone());
    let taints = desired_taints(&back, at(300)).expect("the taints go");
    assert_eq!(taint_keys(&taints), ["dedicated:NoSchedule"]);
    // Unreachable, then the kubelet speaks again but says NotReady: the key changes.
    let not_ready = node(Some("False"), "2024-01-01T00:05:00Z", tainted);
    let taints = desired_taints(&not_ready, at(300)).expect("the key changes");
    assert_eq!(
        taint_keys(&taints),
        [
            "dedicated:NoSchedule",
            "node.kubernetes.io/not-ready:NoSchedule",
            "node.kubernetes.io/not-ready:NoExecute"
        ]
    );
}
