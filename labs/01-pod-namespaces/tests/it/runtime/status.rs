//! Step 7: PodStatus from what the runtime knows (pure).

use k8s_openapi::api::core::v1 as corev1;
use k8s_openapi::jiff::Timestamp;
use lab_01::lifecycle::Phase;
use lab_01::runtime::status::{
    ContainerRecord, ContainerState, PodSnapshot, Terminated, container_status, pod_conditions,
    pod_status, terminated_reason,
};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + seconds).unwrap()
}

fn run(exit_code: i32, oom_killed: bool) -> Terminated {
    Terminated {
        exit_code,
        oom_killed,
        started_at: at(0),
        finished_at: at(5),
    }
}

fn record(name: &str, state: ContainerState, ready: bool) -> ContainerRecord {
    ContainerRecord {
        name: name.to_owned(),
        image: "busybox".to_owned(),
        image_id: "sha256:abc".to_owned(),
        container_id: Some(format!("kubelab://{name}-1")),
        state,
        last_termination: None,
        restart_count: 0,
        ready,
        started: true,
    }
}

fn running() -> ContainerState {
    ContainerState::Running { started_at: at(1) }
}

fn snapshot(phase: Phase, init: Vec<ContainerRecord>, app: Vec<ContainerRecord>) -> PodSnapshot {
    PodSnapshot {
        phase,
        start_time: at(0),
        sandbox_ready: true,
        init,
        app,
        pod_ip: None,
    }
}

/// (type, status, reason, message) of each condition, for compact assertions.
fn conditions(snapshot: &PodSnapshot) -> Vec<(String, String, String, String)> {
    pod_conditions(snapshot)
        .into_iter()
        .map(|c| {
            (
                c.type_,
                c.status,
                c.reason.unwrap_or_default(),
                c.message.unwrap_or_default(),
            )
        })
        .collect()
}

fn row(kind: &str, status: &str, reason: &str, message: &str) -> (String, String, String, String) {
    (kind.into(), status.into(), reason.into(), message.into())
}

#[test]
fn step7_terminated_reason_is_completed_error_or_oomkilled() {
    assert_eq!(terminated_reason(&run(0, false)), "Completed");
    assert_eq!(terminated_reason(&run(1, false)), "Error");
    assert_eq!(terminated_reason(&run(143, false)), "Error");
    // The OOM killer's SIGKILL reads as 137; the cgroup's counter is what names it.
    assert_eq!(terminated_reason(&run(137, true)), "OOMKilled");
    assert_eq!(terminated_reason(&run(137, false)), "Error");
}

#[test]
fn step7_container_status_has_exactly_one_state() {
    let waiting = container_status(&record(
        "web",
        ContainerState::Waiting {
            reason: "ContainerCreating".into(),
            message: String::new(),
        },
        false,
    ));
    let state = waiting.state.unwrap();
    assert_eq!(
        state.waiting.unwrap().reason.as_deref(),
        Some("ContainerCreating")
    );
    assert!(state.running.is_none() && state.terminated.is_none());
    assert!(!waiting.ready);
    assert_eq!(
        waiting.started,
        Some(false),
        "only a running container has started"
    );

    let up = container_status(&record("web", running(), true));
    let state = up.state.unwrap();
    assert_eq!(state.running.unwrap().started_at.unwrap().0, at(1));
    assert!(state.waiting.is_none() && state.terminated.is_none());
    assert!(up.ready);
    assert_eq!(up.started, Some(true));
    assert_eq!(up.image_id, "sha256:abc");
    assert_eq!(up.container_id.as_deref(), Some("kubelab://web-1"));
}

#[test]
fn step7_a_terminated_container_reports_exit_code_reason_and_times() {
    let status = container_status(&record(
        "job",
        ContainerState::Terminated(run(137, true)),
        true,
    ));
    let done = status.state.unwrap().terminated.unwrap();
    assert_eq!(done.exit_code, 137);
    assert_eq!(done.reason.as_deref(), Some("OOMKilled"));
    assert_eq!(done.signal, Some(9));
    assert_eq!(done.started_at.unwrap().0, at(0));
    assert_eq!(done.finished_at.unwrap().0, at(5));
    assert!(
        !status.ready,
        "an exited container is never ready, whatever its probe said"
    );
}

#[test]
fn step7_a_restarted_container_keeps_its_last_run_as_last_state() {
    let mut web = record(
        "web",
        ContainerState::Waiting {
            reason: "CrashLoopBackOff".into(),
            message: "back-off 10s restarting failed container=web".into(),
        },
        false,
    );
    web.last_termination = Some(run(3, false));
    web.restart_count = 2;
    let status = container_status(&web);
    assert_eq!(status.restart_count, 2);
    let last = status.last_state.unwrap().terminated.unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (3, Some("Error")));
    let waiting = status.state.unwrap().waiting.unwrap();
    assert_eq!(waiting.reason.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(
        waiting.message.as_deref(),
        Some("back-off 10s restarting failed container=web")
    );
}

#[test]
fn step7_conditions_of_a_pod_waiting_for_init_containers() {
    let pod = snapshot(
        Phase::Pending,
        vec![
            record("migrate", ContainerState::Terminated(run(0, false)), false),
            record("seed", running(), false),
        ],
        vec![record(
            "web",
            ContainerState::Waiting {
                reason: "PodInitializing".into(),
                message: String::new(),
            },
            false,
        )],
    );
    assert_eq!(
        conditions(&pod),
        vec![
            row("PodReadyToStartContainers", "True", "", ""),
            row(
                "Initialized",
                "False",
                "ContainersNotInitialized",
                "containers with incomplete status: [seed]"
            ),
            row(
                "Ready",
                "False",
                "ContainersNotReady",
                "containers with unready status: [web]"
            ),
            row(
                "ContainersReady",
                "False",
                "ContainersNotReady",
                "containers with unready status: [web]"
            ),
            row("PodScheduled", "True", "", ""),
        ]
    );
}

#[test]
fn step7_conditions_of_a_running_pod_follow_readiness() {
    let pod = snapshot(
        Phase::Running,
        vec![],
        vec![
            record("web", running(), true),
            record("sidecar", running(), false),
        ],
    );
    let rows = conditions(&pod);
    assert_eq!(rows[1], row("Initialized", "True", "", ""));
    assert_eq!(
        rows[2],
        row(
            "Ready",
            "False",
            "ContainersNotReady",
            "containers with unready status: [sidecar]"
        )
    );
    let all_ready = snapshot(
        Phase::Running,
        vec![],
        vec![
            record("web", running(), true),
            record("sidecar", running(), true),
        ],
    );
    let rows = conditions(&all_ready);
    assert_eq!(rows[2], row("Ready", "True", "", ""));
    assert_eq!(rows[3], row("ContainersReady", "True", "", ""));
}

#[test]
fn step7_a_succeeded_pod_is_not_ready_because_it_completed() {
    let pod = snapshot(
        Phase::Succeeded,
        vec![record(
            "init",
            ContainerState::Terminated(run(0, false)),
            false,
        )],
        vec![record(
            "job",
            ContainerState::Terminated(run(0, false)),
            false,
        )],
    );
    let rows = conditions(&pod);
    assert_eq!(rows[1], row("Initialized", "True", "PodCompleted", ""));
    assert_eq!(rows[2], row("Ready", "False", "PodCompleted", ""));
    assert_eq!(rows[3], row("ContainersReady", "False", "PodCompleted", ""));
}

#[test]
fn step7_pod_status_puts_it_all_together() {
    let pod = snapshot(
        Phase::Running,
        vec![record(
            "init",
            ContainerState::Terminated(run(0, false)),
            false,
        )],
        vec![record("web", running(), true)],
    );
    let status: corev1::PodStatus = pod_status(&pod);
    assert_eq!(status.phase.as_deref(), Some("Running"));
    assert_eq!(status.start_time.unwrap().0, at(0));
    assert_eq!(status.init_container_statuses.unwrap()[0].name, "init");
    assert_eq!(status.container_statuses.unwrap()[0].name, "web");
    assert_eq!(status.conditions.unwrap().len(), 5);
    // Without init containers the field is absent, as in the API.
    let plain = pod_status(&snapshot(
        Phase::Running,
        vec![],
        vec![record("web", running(), true)],
    ));
    assert!(plain.init_container_statuses.is_none());
}
