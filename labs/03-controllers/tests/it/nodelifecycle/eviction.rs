//! Step 6: taint-based eviction, which pods go and when. Pure decisions.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::{Pod, Taint, Toleration};
use lab_03::nodelifecycle::taints::{Eviction, eviction, tolerates};
use labkit::{Clock, FakeClock};
use serde_json::{Value, json};

fn pod(tolerations: Value) -> Pod {
    let mut pod = json!({
        "metadata": {"name": "web-1", "namespace": "default", "uid": "u1"},
        "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]},
    });
    pod["spec"]["tolerations"] = tolerations;
    serde_json::from_value(pod).expect("a Pod")
}

/// The taint `key:effect`, added `added` seconds after the fake clock's start.
fn taint(key: &str, effect: &str, added: Option<u64>) -> Taint {
    Taint {
        key: key.to_owned(),
        effect: effect.to_owned(),
        value: None,
        time_added: added.map(|s| lab_03::pods::to_time(start() + Duration::from_secs(s))),
    }
}

fn start() -> SystemTime {
    FakeClock::default().wall()
}

fn after(seconds: u64) -> SystemTime {
    start() + Duration::from_secs(seconds)
}

/// What DefaultTolerationSeconds gives every pod.
fn default_tolerations() -> Value {
    json!([
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
    ])
}

const UNREACHABLE: &str = "node.kubernetes.io/unreachable";

#[test]
fn step6_a_pod_that_does_not_tolerate_a_no_execute_taint_goes_now() {
    let taints = [taint("maintenance", "NoExecute", Some(0))];
    assert_eq!(
        eviction(&pod(default_tolerations()), &taints, start(), start()),
        Eviction::Now
    );
}

#[test]
fn step6_no_schedule_taints_never_evict() {
    let taints = [taint("maintenance", "NoSchedule", None)];
    assert_eq!(
        eviction(&pod(json!(null)), &taints, start(), after(9999)),
        Eviction::Keep
    );
    assert_eq!(
        eviction(&pod(json!(null)), &[], start(), after(9999)),
        Eviction::Keep
    );
}

#[test]
fn step6_toleration_seconds_delay_eviction_counted_from_the_taint() {
    let taints = [
        taint(UNREACHABLE, "NoSchedule", None),
        taint(UNREACHABLE, "NoExecute", Some(60)),
    ];
    let pod = pod(default_tolerations());
    // The controller first saw the pod there later than the taint was added: the taint counts.
    assert_eq!(
        eviction(&pod, &taints, after(100), after(100)),
        Eviction::At(after(360))
    );
    assert_eq!(
        eviction(&pod, &taints, after(100), after(359)),
        Eviction::At(after(360))
    );
    assert_eq!(
        eviction(&pod, &taints, after(100), after(360)),
        Eviction::Now
    );
}

#[test]
fn step6_without_time_added_the_delay_counts_from_when_the_pod_was_first_seen() {
    let taints = [taint(UNREACHABLE, "NoExecute", None)];
    let pod = pod(default_tolerations());
    assert_eq!(
        eviction(&pod, &taints, after(10), after(20)),
        Eviction::At(after(310))
    );
}

#[test]
fn step6_the_shortest_toleration_wins_and_no_seconds_means_forever() {
    let taints = [taint(UNREACHABLE, "NoExecute", Some(0))];
    let forever = pod(json!([{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]));
    assert_eq!(
        eviction(&forever, &taints, start(), after(100_000)),
        Eviction::Keep
    );
    let both = pod(json!([
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"},
        {"operator": "Exists", "tolerationSeconds": 30},
    ]));
    assert_eq!(
        eviction(&both, &taints, start(), start()),
        Eviction::At(after(30))
    );
    let zero = pod(json!([{"key": UNREACHABLE, "operator": "Exists", "tolerationSeconds": 0}]));
    assert_eq!(eviction(&zero, &taints, start(), start()), Eviction::Now);
}

#[test]
fn step6_every_no_execute_taint_must_be_tolerated() {
    let taints = [
        taint(UNREACHABLE, "NoExecute", Some(0)),
        taint("example.com/broken", "NoExecute", Some(0)),
    ];
    assert_eq!(
        eviction(&pod(default_tolerations()), &taints, start(), start()),
        Eviction::Now
    );
}

fn toleration(value: Value) -> Toleration {
    serde_json::from_value(value).expect("a Toleration")
}

#[test]
fn step6_tolerations_match_by_key_value_effect_and_operator() {
    let gpu = Taint {
        key: "dedicated".to_owned(),
        value: Some("gpu".to_owned()),
        effect: "NoSchedule".to_owned(),
        time_added: None,
    };
    let cases = [
        (
            json!({"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}),
            true,
        ),
        (json!({"key": "dedicated", "value": "gpu"}), true),
        (json!({"key": "dedicated", "value": "cpu"}), false),
        (json!({"key": "dedicated", "operator": "Exists"}), true),
        (
            json!({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}),
            false,
        ),
        (json!({"key": "other", "operator": "Exists"}), false),
        (json!({"operator": "Exists"}), true),
    ];
    for (value, expected) in cases {
        assert_eq!(
            tolerates(&toleration(value.clone()), &gpu),
            expected,
            "{value}"
        );
    }
}
