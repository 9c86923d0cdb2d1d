//! Step 4: what a Job's sync decides, round by round, over a fake clock. Pure.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use lab_03::job::decide::{JobDecision, decide_job, new_pod};
use labkit::{Clock, FakeClock};
use serde_json::{Value, json};

/// A Job as lab-02 stores it (defaults and the generated labels included), with `spec` merged in.
fn job(spec: &Value) -> Job {
    let mut job = json!({
        "metadata": {"name": "pi", "namespace": "default", "uid": "job-uid"},
        "spec": {
            "parallelism": 1, "backoffLimit": 6,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "job-uid"}},
            "template": {
                "metadata": {"labels": {"batch.kubernetes.io/controller-uid": "job-uid",
                                        "batch.kubernetes.io/job-name": "pi",
                                        "controller-uid": "job-uid", "job-name": "pi"}},
                "spec": {"restartPolicy": "Never",
                         "containers": [{"name": "pi", "image": "perl:5.34"}]}
            }
        }
    });
    for (key, value) in spec.as_object().into_iter().flatten() {
        if key == "restartPolicy" {
            job["spec"]["template"]["spec"]["restartPolicy"] = value.clone();
        } else {
            job["spec"][key] = value.clone();
        }
    }
    serde_json::from_value(job).expect("a Job")
}

/// A pod of the Job named `name`, in `phase`, with `restarts` container restarts.
fn pod(job: &Job, name: &str, phase: &str, restarts: i32) -> Arc<Pod> {
    let mut pod = new_pod(job);
    pod.metadata.name = Some(name.to_owned());
    pod.status = serde_json::from_value(json!({
        "phase": phase,
        "containerStatuses": [{"name": "pi", "image": "perl", "imageID": "", "ready": false,
                               "restartCount": restarts}],
    }))
    .ok();
    Arc::new(pod)
}

fn with_status(job: &Job, decision: &JobDecision) -> Job {
    let mut job = job.clone();
    job.status = Some(decision.status.clone());
    job
}

fn conditions(decision: &JobDecision) -> Vec<String> {
    decision
        .status
        .conditions
        .iter()
        .flatten()
        .map(|c| format!("{}({})", c.type_, c.reason.as_deref().unwrap_or("")))
        .collect()
}

#[test]
fn step4_job_with_completions_5_and_parallelism_2_state_by_state() {
    // The controller decides; then the test plays the kubelets: the oldest running pod
    // finishes each round (the third one to finish fails: restartPolicy Never, so a
    // replacement runs).
    let clock = FakeClock::default();
    let mut job = job(&json!({"completions": 5, "parallelism": 2}));
    let mut pods: Vec<Arc<Pod>> = Vec::new();
    let mut created = 0;
    let mut finished = 0;
    let mut log = String::new();
    for round in 1..=8 {
        let decision = decide_job(&job, &pods, clock.wall());
        let status = &decision.status;
        writeln!(
            log,
            "round {round}: active {} succeeded {} failed {} -> create {} delete {} {:?}",
            status.active.unwrap_or(0),
            status.succeeded.unwrap_or(0),
            status.failed.unwrap_or(0),
            decision.create,
            decision.delete.len(),
            conditions(&decision),
        )
        .unwrap();
        job = with_status(&job, &decision);
        if decision.status.completion_time.is_some() {
            break;
        }
        for _ in 0..decision.create {
            created += 1;
            pods.push(pod(&job, &format!("pi-{created}"), "Running", 0));
        }
        if let Some(index) = pods
            .iter()
            .position(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        {
            finished += 1;
            let phase = if finished == 3 { "Failed" } else { "Succeeded" };
            let name = pods[index].metadata.name.clone().unwrap();
            pods[index] = pod(&job, &name, phase, 0);
        }
        clock.advance(Duration::from_secs(10));
    }
    assert_eq!(
        log,
        "\
round 1: active 2 succeeded 0 failed 0 -> create 2 delete 0 []
round 2: active 2 succeeded 1 failed 0 -> create 1 delete 0 []
round 3: active 2 succeeded 2 failed 0 -> create 1 delete 0 []
round 4: active 2 succeeded 2 failed 1 -> create 1 delete 0 []
round 5: active 2 succeeded 3 failed 1 -> create 1 delete 0 []
round 6: active 1 succeeded 4 failed 1 -> create 0 delete 0 []
round 7: active 0 succeeded 5 failed 1 -> create 0 delete 0 [\"SuccessCriteriaMet(CompletionsReached)\", \"Complete(CompletionsReached)\"]
"
    );
    let status = job.status.unwrap();
    assert_eq!(
        serde_json::to_value(status.start_time).unwrap(),
        json!("2024-01-01T00:00:00Z")
    );
    assert_eq!(
        serde_json::to_value(status.completion_time).unwrap(),
        json!("2024-01-01T00:01:00Z")
    );
}

#[test]
fn step4_job_without_completions_stops_creating_after_the_first_success() {
    let clock = FakeClock::default();
    let job = job(&json!({"completions": null, "parallelism": 3}));
    assert_eq!(decide_job(&job, &[], clock.wall()).create, 3);
    let pods = [pod(&job, "a", "Succeeded", 0), pod(&job, "b", "Running", 0)];
    let decision = decide_job(&job, &pods, clock.wall());
    assert_eq!((decision.create, decision.delete.len()), (0, 0));
    assert!(conditions(&decision).is_empty(), "b is still running");
    let pods = [pod(&job, "a", "Succeeded", 0), pod(&job, "b", "Failed", 0)];
    assert_eq!(
        conditions(&decide_job(&job, &pods, clock.wall())),
        [
            "SuccessCriteriaMet(CompletionsReached)",
            "Complete(CompletionsReached)"
        ]
    );
}

#[test]
fn step4_job_with_restart_policy_never_fails_after_more_than_backoff_limit_failures() {
    let clock = FakeClock::default();
    let job = job(&json!({"completions": 3, "parallelism": 2, "backoffLimit": 2}));
    let two = [pod(&job, "a", "Failed", 0), pod(&job, "b", "Failed", 0)];
    let decision = decide_job(&job, &two, clock.wall());
    assert_eq!(
        decision.create, 2,
        "2 failures are within a backoffLimit of 2"
    );
    let three = [
        pod(&job, "a", "Failed", 0),
        pod(&job, "b", "Failed", 0),
        pod(&job, "c", "Failed", 0),
        pod(&job, "d", "Running", 0),
    ];
    let decision = decide_job(&job, &three, clock.wall());
    assert_eq!(decision.create, 0);
    assert_eq!(decision.delete.len(), 1, "the running pod is stopped");
    assert_eq!(
        conditions(&decision),
        [
            "FailureTarget(BackoffLimitExceeded)",
            "Failed(BackoffLimitExceeded)"
        ]
    );
    let failed = &decision.status.conditions.as_ref().unwrap()[1];
    assert_eq!(
        failed.message.as_deref(),
        Some("Job has reached the specified backoff limit")
    );
    assert_eq!(decision.status.completion_time, None);
    // Finished: later syncs change nothing.
    let later = decide_job(&with_status(&job, &decision), &three, clock.wall());
    assert_eq!((later.create, later.delete.len()), (0, 0));
}

#[test]
fn step4_job_with_restart_policy_on_failure_counts_container_restarts() {
    let clock = FakeClock::default();
    let job = job(&json!({"backoffLimit": 3, "restartPolicy": "OnFailure"}));
    let restarting = [pod(&job, "a", "Running", 2)];
    assert!(conditions(&decide_job(&job, &restarting, clock.wall())).is_empty());
    let restarting = [pod(&job, "a", "Running", 3)];
    assert_eq!(
        conditions(&decide_job(&job, &restarting, clock.wall())),
        [
            "FailureTarget(BackoffLimitExceeded)",
            "Failed(BackoffLimitExceeded)"
        ]
    );
}

#[test]
fn step4_job_past_its_active_deadline_fails_and_stops_its_pods() {
    let clock = FakeClock::default();
    let job = job(&json!({"activeDeadlineSeconds": 30}));
    let first = decide_job(&job, &[], clock.wall());
    assert_eq!(first.create, 1);
    assert_eq!(
        first.requeue_after,
        Some(Duration::from_secs(30)),
        "look again at the deadline"
    );
    let job = with_status(&job, &first);
    let pods = [pod(&job, "a", "Running", 0)];
    clock.advance(Duration::from_secs(20));
    assert_eq!(
        decide_job(&job, &pods, clock.wall()).requeue_after,
        Some(Duration::from_secs(10))
    );
    clock.advance(Duration::from_secs(10));
    let decision = decide_job(&job, &pods, clock.wall());
    assert_eq!(decision.delete.len(), 1);
    assert_eq!(
        conditions(&decision),
        [
            "FailureTarget(DeadlineExceeded)",
            "Failed(DeadlineExceeded)"
        ]
    );
    assert_eq!(
        decision.status.conditions.as_ref().unwrap()[1]
            .message
            .as_deref(),
        Some("Job was active longer than specified deadline")
    );
}

#[test]
fn step4_job_pods_carry_the_job_labels_and_owner() {
    let job = job(&json!({}));
    let pod = new_pod(&job);
    assert_eq!(pod.metadata.generate_name.as_deref(), Some("pi-"));
    let labels = pod.metadata.labels.unwrap();
    assert_eq!(labels["batch.kubernetes.io/job-name"], "pi");
    assert_eq!(labels["controller-uid"], "job-uid");
    let owner = &pod.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (
            owner.api_version.as_str(),
            owner.kind.as_str(),
            owner.controller
        ),
        ("batch/v1", "Job", Some(true))
    );
}
