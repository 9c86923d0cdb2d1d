//! The Pod printer: READY, STATUS, RESTARTS, and what `kubectl get pods -o wide` adds.
//!
//! STATUS is not a field of the Pod: it is a summary, and the most read column of Kubernetes.
//! The real printer (`printPod`) starts from `status.phase` (or `status.reason`, e.g. `Evicted`)
//! and lets the containers override it:
//!
//! 1. Init containers, in order, until the first that has not completed: one that failed gives
//!    `Init:<reason>` (`Init:Error`, or `Init:ExitCode:1` / `Init:Signal:9` without a reason),
//!    one waiting with a reason gives `Init:<reason>` (`Init:CrashLoopBackOff`; not for
//!    `PodInitializing`), otherwise `Init:<done>/<total>`. A sidecar (an init container with
//!    `restartPolicy: Always`) that has started counts as done, and in READY.
//! 2. Once initialised, the app containers, from last to first, so the *first* container with
//!    something to say wins: its waiting reason (`ContainerCreating`, `CrashLoopBackOff`,
//!    `ErrImagePull`), its terminated reason (`Completed`, `Error`, `OOMKilled`, or
//!    `ExitCode:N` / `Signal:N` without one). A ready, running container counts in READY; if
//!    one still runs, `Completed` turns back into `Running` (or `NotReady` without the Ready
//!    condition).
//! 3. A Pod being deleted says `Terminating` (unless it already finished), or `Unknown` when
//!    its node was lost (`status.reason: NodeLost`).
//!
//! RESTARTS sums the restart counts (of the init containers while initialising; afterwards of
//! the app containers and sidecars) and says how long ago the last one ended: `3 (5m ago)`.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod, PodCondition};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

use super::descriptions as doc;
use super::{Column, Printer, Row, TableError, age, decode};

/// `kubectl get pods`.
pub(crate) static PODS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string(
            "Ready",
            "The aggregate readiness state of this pod for accepting traffic.",
        ),
        Column::string(
            "Status",
            "The aggregate status of the containers in this pod.",
        ),
        Column::string(
            "Restarts",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
        ),
        Column::AGE,
        Column::string("IP", doc::POD_IP).wide(),
        Column::string("Node", doc::NODE_NAME).wide(),
        Column::string("Nominated Node", doc::NOMINATED_NODE_NAME).wide(),
        Column::string("Readiness Gates", doc::READINESS_GATES).wide(),
    ],
    row: pod_row,
};

/// READY, STATUS and RESTARTS of a Pod, before they are rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PodSummary {
    /// Ready containers (app containers, plus started sidecars).
    pub(crate) ready: usize,
    /// App containers plus sidecars (init containers with `restartPolicy: Always`).
    pub(crate) total: usize,
    /// The STATUS cell: `Running`, `Init:0/2`, `CrashLoopBackOff`, `Terminating`, ...
    pub(crate) reason: String,
    /// The RESTARTS count.
    pub(crate) restarts: i64,
    /// When the last restarted container last ended, if any did.
    pub(crate) last_restart: Option<Timestamp>,
}

fn pod_row(object: &serde_json::Value, now: Timestamp) -> Result<Row, TableError> {
    let pod: Pod = decode(object, "pods")?;
    let summary = summarize(&pod);
    let restarts = match summary.last_restart {
        Some(last) if summary.restarts != 0 => {
            format!(
                "{} ({} ago)",
                summary.restarts,
                age::since(Some(&last), now)
            )
        }
        _ => summary.restarts.to_string(),
    };
    let spec = pod.spec.unwrap_or_default();
    let status = pod.status.unwrap_or_default();
    let or_none =
        |value: Option<String>| value.filter(|v| !v.is_empty()).unwrap_or("<none>".into());
    let ip = or_none(
        status
            .pod_ips
            .as_ref()
            .and_then(|ips| ips.first())
            .map(|ip| ip.ip.clone()),
    );
    let gates = match spec.readiness_gates.as_deref() {
        None | Some([]) => "<none>".to_owned(),
        Some(gates) => {
            let conditions = status.conditions.as_deref().unwrap_or_default();
            let passed = gates
                .iter()
                .filter(|gate| {
                    conditions
                        .iter()
                        .find(|c| c.type_ == gate.condition_type)
                        .is_some_and(|c| c.status == "True")
                })
                .count();
            format!("{passed}/{}", gates.len())
        }
    };
    let mut row = Row::new(vec![
        pod.metadata.name.unwrap_or_default().into(),
        format!("{}/{}", summary.ready, summary.total).into(),
        summary.reason.into(),
        restarts.into(),
        age::since(pod.metadata.creation_timestamp.as_ref().map(|t| &t.0), now).into(),
        ip.into(),
        or_none(spec.node_name).into(),
        or_none(status.nominated_node_name).into(),
        gates.into(),
    ]);
    // A finished Pod's row is marked completed (`podSuccessConditions` / `podFailedConditions`).
    let finished = match status.phase.as_deref() {
        Some("Succeeded") => Some(("Succeeded", "The pod has completed successfully.")),
        Some("Failed") => Some(("Failed", "The pod failed.")),
        _ => None,
    };
    if let Some((reason, message)) = finished {
        row.conditions.push(json!({
            "type": "Completed", "status": "True", "reason": reason, "message": message,
        }));
    }
    Ok(row)
}

// ANCHOR: summarize
/// The READY, STATUS and RESTARTS of `pod`, by the rules at the top of this file.
pub(crate) fn summarize(pod: &Pod) -> PodSummary {
    // BEGIN SOLUTION step-5: start from phase (or status.reason); walk init containers until the first unfinished one (Init:...), then, if initialised, app containers last to first (waiting/terminated reason, ready+running counts); deletionTimestamp gives Terminating (or Unknown for NodeLost)
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let conditions = status.conditions.as_deref().unwrap_or_default();
    let phase = status.phase.clone().unwrap_or_default();
    let mut reason = match status.reason.as_deref() {
        Some(r) if !r.is_empty() => r.to_owned(),
        _ => phase.clone(),
    };
    if conditions
        .iter()
        .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated"))
    {
        reason = "SchedulingGated".to_owned();
    }

    let init_containers = spec.init_containers.as_deref().unwrap_or_default();
    // A sidecar: an init container that keeps running next to the app containers.
    let is_sidecar = |name: &str| {
        init_containers
            .iter()
            .any(|c| c.name == name && c.restart_policy.as_deref() == Some("Always"))
    };
    let total = spec.containers.len()
        + init_containers
            .iter()
            .filter(|c| c.restart_policy.as_deref() == Some("Always"))
            .count();
    let mut ready = 0;
    let mut restarts: i64 = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut sidecar_restarts: i64 = 0;
    let mut last_sidecar_restart: Option<Timestamp> = None;

    let mut initializing = false;
    let init_statuses = status
        .init_container_statuses
        .as_deref()
        .unwrap_or_default();
    for (i, container) in init_statuses.iter().enumerate() {
        restarts += i64::from(container.restart_count);
        last_restart = later(last_restart, last_termination(container));
        let sidecar = is_sidecar(&container.name);
        if sidecar {
            sidecar_restarts += i64::from(container.restart_count);
            last_sidecar_restart = later(last_sidecar_restart, last_termination(container));
        }
        let state = container.state.clone().unwrap_or_default();
        if state.terminated.as_ref().is_some_and(|t| t.exit_code == 0) {
            continue;
        }
        if sidecar && container.started == Some(true) {
            if container.ready {
                ready += 1;
            }
            continue;
        }
        let waiting_reason = state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.as_deref())
            .filter(|r| !r.is_empty() && *r != "PodInitializing");
        reason = if let Some(terminated) = &state.terminated {
            match terminated.reason.as_deref() {
                Some(r) if !r.is_empty() => format!("Init:{r}"),
                _ => match terminated.signal {
                    Some(signal) if signal != 0 => format!("Init:Signal:{signal}"),
                    _ => format!("Init:ExitCode:{}", terminated.exit_code),
                },
            }
        } else if let Some(waiting) = waiting_reason {
            format!("Init:{waiting}")
        } else {
            format!("Init:{i}/{}", init_containers.len())
        };
        initializing = true;
        break;
    }

    if !initializing || has_condition(conditions, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for container in status
            .container_statuses
            .as_deref()
            .unwrap_or_default()
            .iter()
            .rev()
        {
            restarts += i64::from(container.restart_count);
            last_restart = later(last_restart, last_termination(container));
            let state = container.state.clone().unwrap_or_default();
            let waiting = state
                .waiting
                .as_ref()
                .and_then(|w| w.reason.as_deref())
                .filter(|r| !r.is_empty());
            if let Some(waiting) = waiting {
                reason = waiting.to_owned();
            } else if let Some(terminated) = &state.terminated {
                reason = match terminated.reason.as_deref() {
                    Some(r) if !r.is_empty() => r.to_owned(),
                    _ => match terminated.signal {
                        Some(signal) if signal != 0 => format!("Signal:{signal}"),
                        _ => format!("ExitCode:{}", terminated.exit_code),
                    },
                };
            } else if container.ready && state.running.is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if has_condition(conditions, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_owned();
        }
    }

    if pod.metadata.deletion_timestamp.is_some() {
        if status.reason.as_deref() == Some("NodeLost") {
            reason = "Unknown".to_owned();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".to_owned();
        }
    }

    PodSummary {
        ready,
        total,
        reason,
        restarts,
        last_restart,
    }
    // END SOLUTION
}
// ANCHOR_END: summarize

/// When the container's previous run ended (`lastState.terminated.finishedAt`).
pub(crate) fn last_termination(container: &ContainerStatus) -> Option<Timestamp> {
    container
        .last_state
        .as_ref()?
        .terminated
        .as_ref()?
        .finished_at
        .as_ref()
        .map(|t| t.0)
}

/// The later of two optional times.
fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    a.max(b)
}

/// Whether the Pod has condition `type_` with status `True`.
fn has_condition(conditions: &[PodCondition], type_: &str) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == type_ && c.status == "True")
}
