//! Step 7: the kubelet's decision for one pod, without a server.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use lab_03::kubelet::decide::{PodAction, PodRecord, decide};
use serde_json::json;

fn pod(uid: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": uid},
        "spec": {"nodeName": "node1", "terminationGracePeriodSeconds": 7,
                 "containers": [{"name": "web", "image": "nginx"}]}
    }))
    .expect("a Pod")
}

fn deleting(uid: &str) -> Pod {
    let mut pod = pod(uid);
    pod.metadata.deletion_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH));
    pod.metadata.deletion_grace_period_seconds = Some(3);
    pod
}

fn status(phase: &str) -> PodStatus {
    PodStatus {
        phase: Some(phase.to_owned()),
        ..PodStatus::default()
    }
}

fn record(uid: &str) -> PodRecord {
    PodRecord {
        uid: uid.to_owned(),
        grace: Duration::from_secs(7),
        ..PodRecord::default()
    }
}

#[test]
fn step7_decide_starts_a_new_pod_but_not_a_finished_or_deleted_one() {
    assert_eq!(decide(Some(&pod("a")), None), [PodAction::Start]);
    assert_eq!(decide(None, None), []);
    let mut done = pod("a");
    done.status = Some(status("Succeeded"));
    assert_eq!(
        decide(Some(&done), None),
        [],
        "a finished pod never runs again"
    );
    assert_eq!(
        decide(Some(&deleting("a")), None),
        [PodAction::Delete],
        "nothing of it runs here: delete it for good at once"
    );
}

#[test]
fn step7_decide_writes_the_status_only_when_it_changed() {
    let mut running = record("a");
    running.status = Some(status("Running"));
    assert_eq!(
        decide(Some(&pod("a")), Some(&running)),
        [PodAction::WriteStatus(Box::new(status("Running")))]
    );
    running.written = Some(status("Running"));
    assert_eq!(
        decide(Some(&pod("a")), Some(&running)),
        [],
        "already written"
    );
    let started = record("a");
    assert_eq!(
        decide(Some(&pod("a")), Some(&started)),
        [],
        "no status reported yet"
    );
}

#[test]
fn step7_decide_stops_a_pod_being_deleted_then_deletes_it_for_good() {
    let running = record("a");
    assert_eq!(
        decide(Some(&deleting("a")), Some(&running)),
        [PodAction::Stop {
            grace: Duration::from_secs(3)
        }],
        "deletionGracePeriodSeconds wins over the spec's grace"
    );
    let stopping = PodRecord {
        stopping: true,
        ..record("a")
    };
    assert_eq!(
        decide(Some(&deleting("a")), Some(&stopping)),
        [],
        "stop is asked once"
    );
    let finished = PodRecord {
        stopping: true,
        finished: true,
        ..record("a")
    };
    assert_eq!(
        decide(Some(&deleting("a")), Some(&finished)),
        [PodAction::Delete]
    );
}

#[test]
fn step7_decide_stops_a_pod_gone_from_the_api_then_forgets_it() {
    assert_eq!(
        decide(None, Some(&record("a"))),
        [PodAction::Stop {
            grace: Duration::from_secs(7)
        }]
    );
    let finished = PodRecord {
        stopping: true,
        finished: true,
        ..record("a")
    };
    assert_eq!(decide(None, Some(&finished)), [PodAction::Forget]);
}

#[test]
fn step7_decide_replaces_a_pod_recreated_under_the_same_name() {
    assert_eq!(
        decide(Some(&pod("b")), Some(&record("a"))),
        [PodAction::Stop {
            grace: Duration::from_secs(7)
        }],
        "the old UID stops first"
    );
    let finished = PodRecord {
        stopping: true,
        finished: true,
        ..record("a")
    };
    assert_eq!(
        decide(Some(&pod("b")), Some(&finished)),
        [PodAction::Forget, PodAction::Start]
    );
}
