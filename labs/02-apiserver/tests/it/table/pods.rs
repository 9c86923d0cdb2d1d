//! The Pod printer: READY, STATUS (the real printer's reason logic), RESTARTS and the wide cells.

use serde_json::{Value, json};

use super::{ago, meta, print_all, print_one};

/// A Pod created 10 minutes ago with these containers, init containers and status.
fn pod(containers: &[&str], init: Value, status: Value) -> Value {
    let containers: Vec<Value> = containers
        .iter()
        .map(|name| json!({ "name": name, "image": "busybox" }))
        .collect();
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": meta("web", 600),
        "spec": { "containers": containers },
    });
    pod["spec"]["initContainers"] = init;
    pod["status"] = status;
    pod
}

fn running(name: &str) -> Value {
    json!({ "name": name, "ready": true, "restartCount": 0, "image": "busybox", "imageID": "",
            "state": { "running": { "startedAt": ago(500) } } })
}

fn waiting(name: &str, reason: &str) -> Value {
    json!({ "name": name, "ready": false, "restartCount": 0, "image": "busybox", "imageID": "",
            "state": { "waiting": { "reason": reason } } })
}

fn terminated(name: &str, exit_code: i32, reason: Option<&str>, signal: Option<i32>) -> Value {
    let mut state = json!({ "exitCode": exit_code, "finishedAt": ago(60) });
    if let Some(reason) = reason {
        state["reason"] = json!(reason);
    }
    if let Some(signal) = signal {
        state["signal"] = json!(signal);
    }
    json!({ "name": name, "ready": false, "restartCount": 0, "image": "busybox", "imageID": "",
            "state": { "terminated": state } })
}

/// READY, STATUS, RESTARTS of a Pod.
fn summary(pod: Value) -> (String, String, String) {
    let (_, cells) = print_one("", "pods", pod);
    let text = |v: &Value| v.as_str().expect("a string cell").to_owned();
    (text(&cells[1]), text(&cells[2]), text(&cells[3]))
}

#[test]
fn step5_pod_columns_match_kubectl() {
    let (headers, cells) = print_one(
        "",
        "pods",
        pod(
            &["app"],
            json!([]),
            json!({ "phase": "Running", "containerStatuses": [running("app")] }),
        ),
    );
    assert_eq!(
        headers,
        "NAME READY STATUS RESTARTS AGE | IP NODE NOMINATED NODE READINESS GATES"
    );
    assert_eq!(
        cells,
        vec![
            json!("web"),
            json!("1/1"),
            json!("Running"),
            json!("0"),
            json!("10m"),
            json!("<none>"),
            json!("<none>"),
            json!("<none>"),
            json!("<none>")
        ]
    );
}

#[test]
fn step5_pod_status_reasons() {
    let ready = json!({ "type": "Ready", "status": "True" });
    let not_ready = json!({ "type": "Ready", "status": "False" });
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "no status yet",
            pod(&["app"], json!([]), json!({ "phase": "Pending" })),
            "0/1",
            "Pending",
        ),
        (
            "pulling the image",
            pod(
                &["app"],
                json!([]),
                json!({ "phase": "Pending", "containerStatuses": [waiting("app", "ContainerCreating")] }),
            ),
            "0/1",
            "ContainerCreating",
        ),
        (
            "running",
            pod(
                &["a", "b"],
                json!([]),
                json!({ "phase": "Running", "containerStatuses": [running("a"), running("b")] }),
            ),
            "2/2",
            "Running",
        ),
        (
            "the first container with a reason wins",
            pod(
                &["a", "b"],
                json!([]),
                json!({ "phase": "Running",
                "containerStatuses": [waiting("a", "CrashLoopBackOff"), waiting("b", "ErrImagePull")] }),
            ),
            "0/2",
            "CrashLoopBackOff",
        ),
        (
            "completed",
            pod(
                &["app"],
                json!([]),
                json!({ "phase": "Succeeded", "containerStatuses": [terminated("app", 0, Some("Completed"), None)] }),
            ),
            "0/1",
            "Completed",
        ),
        (
            "failed",
            pod(
                &["app"],
                json!([]),
                json!({ "phase": "Failed", "containerStatuses": [terminated("app", 1, Some("Error"), None)] }),
            ),
            "0/1",
            "Error",
        ),
        (
            "terminated without a reason: the exit code",
            pod(
                &["app"],
                json!([]),
                json!({ "phase": "Failed", "containerStatuses": [terminated("app", 3, None, None)] }),
            ),
            "0/1",
            "ExitCode:3",
        ),
        (
            "terminated without a reason: the signal",
            pod(
                &["app"],
                json!([]),
                json!({ "phase": "Failed", "containerStatuses": [terminated("app", 137, None, Some(9))] }),
            ),
            "0/1",
            "Signal:9",
        ),
        (
            "one container done, one still running and the pod ready",
            pod(
                &["a", "b"],
                json!([]),
                json!({ "phase": "Running", "conditions": [ready],
                "containerStatuses": [running("a"), terminated("b", 0, Some("Completed"), None)] }),
            ),
            "1/2",
            "Running",
        ),
        (
            "one container done, one still running, the pod not ready",
            pod(
                &["a", "b"],
                json!([]),
                json!({ "phase": "Running", "conditions": [not_ready],
                "containerStatuses": [running("a"), terminated("b", 0, Some("Completed"), None)] }),
            ),
            "1/2",
            "NotReady",
        ),
        (
            "evicted: status.reason wins over the phase",
            pod(
                &["app"],
                json!([]),
                json!({ "phase": "Failed", "reason": "Evicted" }),
            ),
            "0/1",
            "Evicted",
        ),
        (
            "scheduling gates",
            pod(
                &["app"],
                json!([]),
                json!({ "phase": "Pending",
                "conditions": [{ "type": "PodScheduled", "status": "False", "reason": "SchedulingGated" }] }),
            ),
            "0/1",
            "SchedulingGated",
        ),
    ];
    for (what, pod, want_ready, want_status) in cases {
        let (ready, status, _) = summary(pod);
        assert_eq!(
            (ready.as_str(), status.as_str()),
            (want_ready, want_status),
            "{what}"
        );
    }
}

#[test]
fn step5_pod_status_init_containers() {
    let init = json!([{ "name": "i1", "image": "busybox" }, { "name": "i2", "image": "busybox" }]);
    let pending = |statuses: Value| {
        pod(
            &["app"],
            init.clone(),
            json!({ "phase": "Pending",
            "initContainerStatuses": statuses, "containerStatuses": [waiting("app", "PodInitializing")] }),
        )
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "first init container running",
            pending(json!([running("i1"), waiting("i2", "PodInitializing")])),
            "Init:0/2",
        ),
        (
            "first done, second running",
            pending(json!([
                terminated("i1", 0, Some("Completed"), None),
                running("i2")
            ])),
            "Init:1/2",
        ),
        (
            "PodInitializing is not a reason",
            pending(json!([
                waiting("i1", "PodInitializing"),
                waiting("i2", "PodInitializing")
            ])),
            "Init:0/2",
        ),
        (
            "init container failed",
            pending(json!([
                terminated("i1", 1, Some("Error"), None),
                waiting("i2", "PodInitializing")
            ])),
            "Init:Error",
        ),
        (
            "init container crash-looping",
            pending(json!([
                waiting("i1", "CrashLoopBackOff"),
                waiting("i2", "PodInitializing")
            ])),
            "Init:CrashLoopBackOff",
        ),
        (
            "failed without a reason",
            pending(json!([
                terminated("i1", 2, None, None),
                waiting("i2", "PodInitializing")
            ])),
            "Init:ExitCode:2",
        ),
        (
            "killed without a reason",
            pending(json!([
                terminated("i1", 137, None, Some(9)),
                waiting("i2", "PodInitializing")
            ])),
            "Init:Signal:9",
        ),
    ];
    for (what, pod, want) in cases {
        let (ready, status, _) = summary(pod);
        assert_eq!((ready.as_str(), status.as_str()), ("0/1", want), "{what}");
    }
}

#[test]
fn step5_pod_sidecar_counts_in_ready() {
    // An init container with restartPolicy Always is a sidecar: once started it counts in
    // READY's total and, when ready, in its count.
    let init = json!([{ "name": "proxy", "image": "envoy", "restartPolicy": "Always" }]);
    let mut proxy = running("proxy");
    proxy["started"] = json!(true);
    let with_sidecar = pod(
        &["app"],
        init,
        json!({ "phase": "Running",
        "conditions": [{ "type": "Initialized", "status": "True" }],
        "initContainerStatuses": [proxy], "containerStatuses": [running("app")] }),
    );
    assert_eq!(
        summary(with_sidecar),
        ("2/2".into(), "Running".into(), "0".into())
    );
}

#[test]
fn step5_pod_deletion_reasons() {
    let deleting = |phase: &str, reason: Option<&str>, statuses: Value| {
        let mut deleted = pod(
            &["app"],
            json!([]),
            json!({ "phase": phase, "containerStatuses": statuses }),
        );
        deleted["metadata"]["deletionTimestamp"] = json!(ago(5));
        if let Some(reason) = reason {
            deleted["status"]["reason"] = json!(reason);
        }
        deleted
    };
    let (_, status, _) = summary(deleting("Running", None, json!([running("app")])));
    assert_eq!(status, "Terminating");
    let (_, status, _) = summary(deleting(
        "Running",
        Some("NodeLost"),
        json!([running("app")]),
    ));
    assert_eq!(status, "Unknown");
    // A finished Pod keeps its final status while it is deleted.
    let done = json!([terminated("app", 0, Some("Completed"), None)]);
    let (_, status, _) = summary(deleting("Succeeded", None, done));
    assert_eq!(status, "Completed");
}

#[test]
fn step5_pod_restarts_say_when_the_last_one_was() {
    let mut app = waiting("app", "CrashLoopBackOff");
    app["restartCount"] = json!(5);
    app["lastState"] =
        json!({ "terminated": { "exitCode": 1, "reason": "Error", "finishedAt": ago(300) } });
    let mut helper = running("helper");
    helper["restartCount"] = json!(1);
    helper["lastState"] = json!({ "terminated": { "exitCode": 1, "finishedAt": ago(3600) } });
    let crashing = pod(
        &["app", "helper"],
        json!([]),
        json!({ "phase": "Running", "containerStatuses": [app, helper] }),
    );
    assert_eq!(
        summary(crashing),
        ("1/2".into(), "CrashLoopBackOff".into(), "6 (5m ago)".into())
    );

    // Restarts without a recorded end: just the count.
    let mut app = running("app");
    app["restartCount"] = json!(2);
    let restarted = pod(
        &["app"],
        json!([]),
        json!({ "phase": "Running", "containerStatuses": [app] }),
    );
    assert_eq!(summary(restarted).2, "2");
}

#[test]
fn step5_pod_wide_cells() {
    let mut wide = pod(
        &["app"],
        json!([]),
        json!({
            "phase": "Running", "podIP": "10.244.1.5", "podIPs": [{ "ip": "10.244.1.5" }],
            "nominatedNodeName": "k8snode2",
            "conditions": [{ "type": "example.com/lb", "status": "True" }],
            "containerStatuses": [running("app")],
        }),
    );
    wide["spec"]["nodeName"] = json!("k8snode1");
    wide["spec"]["readinessGates"] =
        json!([{ "conditionType": "example.com/lb" }, { "conditionType": "example.com/other" }]);
    let (_, cells) = print_one("", "pods", wide);
    assert_eq!(
        &cells[5..],
        &[
            json!("10.244.1.5"),
            json!("k8snode1"),
            json!("k8snode2"),
            json!("1/2")
        ]
    );
}

#[test]
fn step5_finished_pod_rows_are_marked_completed() {
    let done = pod(
        &["app"],
        json!([]),
        json!({ "phase": "Succeeded", "containerStatuses": [terminated("app", 0, Some("Completed"), None)] }),
    );
    let table = print_all("", "pods", &[done]);
    assert_eq!(
        table["rows"][0]["conditions"],
        json!([{ "type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully." }])
    );
    let live = pod(
        &["app"],
        json!([]),
        json!({ "phase": "Running", "containerStatuses": [running("app")] }),
    );
    let table = print_all("", "pods", &[live]);
    assert!(table["rows"][0].get("conditions").is_none());
}
