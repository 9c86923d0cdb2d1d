//! Step 7: what the runtime knows about a Pod, written as the Pod's `status`.
//!
//! The kubelet does not invent `status`: it reports what its runtime says about each
//! container, in the shape the API defines. A container is in exactly one of three states:
//!
//! ```text
//!  waiting ──start──> running ──exit──> terminated ──restart (policy, back-off)──> running
//!  reason: ContainerCreating,           exitCode, reason: Completed | Error | OOMKilled
//!          PodInitializing,             (and the previous run becomes lastState)
//!          CrashLoopBackOff
//! ```
//!
//! and the Pod's conditions summarise them: `Initialized` (every init container succeeded),
//! `ContainersReady` and `Ready` (every app container ready), plus
//! `PodReadyToStartContainers` (the sandbox exists) and `PodScheduled`. Everything here is pure:
//! [`pod_status`] turns a [`PodSnapshot`] into a `v1.PodStatus`, so every rule is testable
//! without starting a process.

use k8s_openapi::api::core::v1 as corev1;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::lifecycle::Phase;

/// The wall-clock time now, as the API's timestamps want it.
///
/// (`Timestamp::now` needs jiff's `std` feature, which k8s-openapi leaves off; the system clock
/// gives the same through `SystemTime`.)
pub fn wall_now() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // Seconds since 1970 fit jiff's range until the year 9999; past that, the latest time.
    Timestamp::new(
        since_epoch.as_secs().cast_signed(),
        since_epoch.subsec_nanos().cast_signed(),
    )
    .unwrap_or(Timestamp::MAX)
}

/// A terminated run of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    /// The exit code (128 + N for signal N).
    pub exit_code: i32,
    /// Whether the kernel's OOM killer ended it (its cgroup says so).
    pub oom_killed: bool,
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
}

/// The state of one container, as the runtime tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    /// Not running, and why: `ContainerCreating`, `PodInitializing`, `CrashLoopBackOff`, ...
    Waiting {
        /// The reason, one CamelCase word as Kubernetes writes it.
        reason: String,
        /// A sentence for humans (may be empty).
        message: String,
    },
    /// Its process runs since this instant.
    Running {
        /// When the process started.
        started_at: Timestamp,
    },
    /// Its last run ended.
    Terminated(Terminated),
}

/// One container as the runtime knows it: the input of [`container_status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRecord {
    /// The container's name.
    pub name: String,
    /// The image as the Pod names it (`busybox`).
    pub image: String,
    /// The image's identity: its manifest digest (`sha256:...`).
    pub image_id: String,
    /// The runtime's id of the current instance (`kubelab://<id>`), if one was created.
    pub container_id: Option<String>,
    /// What it is doing now.
    pub state: ContainerState,
    /// The run before the current one, if it restarted.
    pub last_termination: Option<Terminated>,
    /// How many times it was restarted.
    pub restart_count: i32,
    /// `ready`: running and its readiness probe (if any) says so.
    pub ready: bool,
    /// `started`: running and its startup probe (if any) has succeeded.
    pub started: bool,
}

/// Everything [`pod_status`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSnapshot {
    /// The Pod's phase (step 5's [`crate::lifecycle::pod_phase`]).
    pub phase: Phase,
    /// When the kubelet accepted the Pod (`status.startTime`).
    pub start_time: Timestamp,
    /// Whether the sandbox (the pause process) is up.
    pub sandbox_ready: bool,
    /// The init containers, in spec order.
    pub init: Vec<ContainerRecord>,
    /// The app containers, in spec order.
    pub app: Vec<ContainerRecord>,
    /// The Pod's IP, when it has a network of its own (lab-05); `None` here.
    pub pod_ip: Option<String>,
}

/// `reason` of a terminated container, as the kubelet reports it.
pub fn terminated_reason(run: &Terminated) -> &'static str {
    // BEGIN SOLUTION step-7: OOMKilled when the OOM killer ended it, else Completed for exit 0, Error otherwise
    if run.oom_killed {
        "OOMKilled"
    } else if run.exit_code == 0 {
        "Completed"
    } else {
        "Error"
    }
    // END SOLUTION
}

/// A terminated run in the API's shape.
fn terminated_state(
    run: &Terminated,
    container_id: Option<&String>,
) -> corev1::ContainerStateTerminated {
    corev1::ContainerStateTerminated {
        exit_code: run.exit_code,
        reason: Some(terminated_reason(run).to_owned()),
        started_at: Some(Time(run.started_at)),
        finished_at: Some(Time(run.finished_at)),
        container_id: container_id.cloned(),
        // A signal death has a signal number in the API; 128 + N is how we record it.
        signal: (run.exit_code > 128 && run.exit_code < 128 + 65).then(|| run.exit_code - 128),
        message: None,
    }
}

// ANCHOR: container_status
/// One entry of `containerStatuses` (or `initContainerStatuses`).
pub fn container_status(record: &ContainerRecord) -> corev1::ContainerStatus {
    // BEGIN SOLUTION step-7: map the state to exactly one of waiting/running/terminated; the previous run is lastState
    let state = match &record.state {
        ContainerState::Waiting { reason, message } => corev1::ContainerState {
            waiting: Some(corev1::ContainerStateWaiting {
                reason: Some(reason.clone()),
                message: (!message.is_empty()).then(|| message.clone()),
            }),
            ..Default::default()
        },
        ContainerState::Running { started_at } => corev1::ContainerState {
            running: Some(corev1::ContainerStateRunning {
                started_at: Some(Time(*started_at)),
            }),
            ..Default::default()
        },
        ContainerState::Terminated(run) => corev1::ContainerState {
            terminated: Some(terminated_state(run, record.container_id.as_ref())),
            ..Default::default()
        },
    };
    let last_state = record
        .last_termination
        .as_ref()
        .map(|run| corev1::ContainerState {
            terminated: Some(terminated_state(run, None)),
            ..Default::default()
        });
    let running = matches!(record.state, ContainerState::Running { .. });
    corev1::ContainerStatus {
        name: record.name.clone(),
        image: record.image.clone(),
        image_id: record.image_id.clone(),
        container_id: record.container_id.clone(),
        state: Some(state),
        last_state,
        restart_count: record.restart_count,
        // Only a running container can be ready or started.
        ready: running && record.ready,
        started: Some(running && record.started),
        ..Default::default()
    }
    // END SOLUTION
}
// ANCHOR_END: container_status

/// A condition with status True or False.
fn condition(
    kind: &str,
    ok: bool,
    reason: Option<&str>,
    message: Option<String>,
) -> corev1::PodCondition {
    corev1::PodCondition {
        type_: kind.to_owned(),
        status: if ok { "True" } else { "False" }.to_owned(),
        reason: reason.map(str::to_owned),
        message,
        ..Default::default()
    }
}

/// The names of the containers for which `pending` holds, as the kubelet lists them in
/// condition messages: `[a b]`.
fn names_where(
    records: &[ContainerRecord],
    pending: impl Fn(&ContainerRecord) -> bool,
) -> Vec<&str> {
    records
        .iter()
        .filter(|record| pending(record))
        .map(|record| record.name.as_str())
        .collect()
}

// ANCHOR: conditions
/// The Pod's conditions, in the order the kubelet writes them.
pub fn pod_conditions(snapshot: &PodSnapshot) -> Vec<corev1::PodCondition> {
    // BEGIN SOLUTION step-7: PodReadyToStartContainers, Initialized (all init containers exited 0), Ready and ContainersReady (all app containers ready; PodCompleted once Succeeded), PodScheduled
    let finished = matches!(snapshot.phase, Phase::Succeeded | Phase::Failed);
    let succeeded = |record: &ContainerRecord| matches!(&record.state, ContainerState::Terminated(run) if run.exit_code == 0);
    let uninitialized = names_where(&snapshot.init, |record| !succeeded(record));
    let initialized = if snapshot.phase == Phase::Succeeded || uninitialized.is_empty() {
        condition(
            "Initialized",
            true,
            finished.then_some("PodCompleted"),
            None,
        )
    } else {
        condition(
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(format!(
                "containers with incomplete status: [{}]",
                uninitialized.join(" ")
            )),
        )
    };
    let unready = names_where(&snapshot.app, |record| {
        !(record.ready && matches!(record.state, ContainerState::Running { .. }))
    });
    let ready = |kind: &str| {
        if snapshot.phase == Phase::Succeeded {
            // A Pod whose containers all completed is not "unready": it is done.
            condition(kind, false, Some("PodCompleted"), None)
        } else if unready.is_empty() {
            condition(kind, true, None, None)
        } else {
            condition(
                kind,
                false,
                Some("ContainersNotReady"),
                Some(format!(
                    "containers with unready status: [{}]",
                    unready.join(" ")
                )),
            )
        }
    };
    vec![
        condition(
            "PodReadyToStartContainers",
            snapshot.sandbox_ready,
            None,
            None,
        ),
        initialized,
        ready("Ready"),
        ready("ContainersReady"),
        condition("PodScheduled", true, None, None),
    ]
    // END SOLUTION
}
// ANCHOR_END: conditions

/// The whole `status` of the Pod.
pub fn pod_status(snapshot: &PodSnapshot) -> corev1::PodStatus {
    corev1::PodStatus {
        phase: Some(snapshot.phase.to_string()),
        conditions: Some(pod_conditions(snapshot)),
        start_time: Some(Time(snapshot.start_time)),
        init_container_statuses: (!snapshot.init.is_empty())
            .then(|| snapshot.init.iter().map(container_status).collect()),
        container_statuses: Some(snapshot.app.iter().map(container_status).collect()),
        pod_ip: snapshot.pod_ip.clone(),
        // Both fields, as the kubelet writes them: kubectl's IP column reads `podIPs`.
        pod_ips: snapshot
            .pod_ip
            .as_ref()
            .map(|ip| vec![corev1::PodIP { ip: ip.clone() }]),
        // `qosClass` is not the kubelet's to report: the API server sets it on create (lab-02).
        ..Default::default()
    }
}
