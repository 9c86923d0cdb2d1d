//! The Job controller's decisions, as a pure function of the Job, its pods and the time
//! (upstream `syncJob` for `completionMode: NonIndexed`).
//!
//! ```text
//! finished already (Complete or Failed)?            -> nothing
//! failures past backoffLimit, or activeDeadlineSeconds passed?
//!                                                   -> Failed: delete the active pods
//! enough successes (completions; without completions: one success and nothing active)?
//!                                                   -> Complete
//! otherwise: active wanted = min(parallelism, completions - succeeded)
//!                                                   -> create or delete the difference
//! ```
//!
//! Since 1.31 a finishing Job first gets an interim condition, `FailureTarget` or
//! `SuccessCriteriaMet`, and the terminal `Failed` or `Complete` only once no pod of it is
//! still running; both carry the same reason. Lab 02 deletes a pod at once (there is no
//! kubelet to wait for), so here both come in the same sync.
//!
//! Not here (yet): `Indexed` completion mode, `suspend`, `podFailurePolicy`, `successPolicy`,
//! the pods' tracking finalizer, and the back-off (10 s doubling to 6 min) upstream waits
//! before replacing a failed pod.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::pods::{is_ready, to_system_time, to_time};
use crate::replicaset::decide::BURST_REPLICAS;

/// Why a Job failed: too many failures (`backoffLimit`).
pub const REASON_BACKOFF_LIMIT: &str = "BackoffLimitExceeded";
/// Its message.
pub const MESSAGE_BACKOFF_LIMIT: &str = "Job has reached the specified backoff limit";
/// Why a Job failed: it ran longer than `activeDeadlineSeconds`.
pub const REASON_DEADLINE: &str = "DeadlineExceeded";
/// Its message.
pub const MESSAGE_DEADLINE: &str = "Job was active longer than specified deadline";
/// Why a Job succeeded.
pub const REASON_COMPLETIONS: &str = "CompletionsReached";
/// Its message.
pub const MESSAGE_COMPLETIONS: &str = "Reached expected number of succeeded pods";

/// What one sync does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobDecision {
    /// Pods to create.
    pub create: usize,
    /// Active pods to delete (the Job failed, succeeded, or has too many).
    pub delete: Vec<Arc<Pod>>,
    /// The status to write.
    pub status: JobStatus,
    /// Look again after this long (the active deadline), even without an event.
    pub requeue_after: Option<Duration>,
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or_default()
}

/// The container restarts of a pod (init containers included): with `restartPolicy:
/// OnFailure` a failing container restarts in place, and each restart counts as a failure.
fn restarts(pod: &Pod) -> i32 {
    let Some(status) = pod.status.as_ref() else {
        return 0;
    };
    status
        .container_statuses
        .iter()
        .flatten()
        .chain(status.init_container_statuses.iter().flatten())
        .map(|c| c.restart_count)
        .sum()
}

/// Whether the Job has a condition of this type set to `True`.
pub fn has_condition(job: &Job, type_: &str) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == type_ && c.status == "True")
        })
}

/// A `True` condition with this reason and message, as of `now`.
fn condition(type_: &str, reason: &str, message: &str, now: SystemTime) -> JobCondition {
    JobCondition {
        type_: type_.to_owned(),
        status: "True".to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message.to_owned()),
        last_probe_time: Some(to_time(now)),
        last_transition_time: Some(to_time(now)),
    }
}

// ANCHOR: decide_job
/// One sync of a Job at `now`, given its pods (owned ones, deleted ones left out).
///
/// Counts: active pods (neither `Succeeded` nor `Failed`), succeeded, failed. The Job fails
/// when `failed > backoffLimit` (with `restartPolicy: OnFailure` the container restarts of
/// active pods count too: `restarts >= backoffLimit`), or when `activeDeadlineSeconds` have
/// passed since `status.startTime`. It succeeds when `succeeded >= completions` (no
/// `completions`: a success and nothing active). Finishing deletes the active pods and adds
/// the interim condition (`FailureTarget` / `SuccessCriteriaMet`) and the terminal one
/// (`Failed` / `Complete`, and `completionTime` for `Complete`).
/// Otherwise it creates or deletes pods toward `min(parallelism, completions - succeeded)`
/// active (no `completions`: `parallelism` until the first success, then no new ones).
pub fn decide_job(job: &Job, pods: &[Arc<Pod>], now: SystemTime) -> JobDecision {
    // ANCHOR_END: decide_job
    // BEGIN SOLUTION step-4: finished -> nothing; count; failure (backoff, deadline) or success -> delete active + conditions; else create/delete toward the wanted active count; status
    let mut status = job.status.clone().unwrap_or_default();
    if has_condition(job, "Complete") || has_condition(job, "Failed") {
        return JobDecision {
            status,
            ..JobDecision::default()
        };
    }
    let spec = job.spec.clone().unwrap_or_default();
    let start = status.start_time.as_ref().map_or(now, to_system_time);
    status.start_time = Some(to_time(start));

    let mut active: Vec<Arc<Pod>> = pods
        .iter()
        .filter(|pod| !matches!(phase(pod), "Succeeded" | "Failed"))
        .cloned()
        .collect();
    let succeeded = pods.iter().filter(|pod| phase(pod) == "Succeeded").count();
    let failed = pods.iter().filter(|pod| phase(pod) == "Failed").count();
    let succeeded = i32::try_from(succeeded).unwrap_or(i32::MAX);
    let failed = i32::try_from(failed).unwrap_or(i32::MAX);

    let backoff_limit = spec.backoff_limit.unwrap_or(6);
    let on_failure = spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        == Some("OnFailure");
    let restarts: i32 = active.iter().map(|pod| restarts(pod)).sum();
    let past_backoff =
        failed > backoff_limit || (on_failure && restarts > 0 && restarts >= backoff_limit.max(1));
    let deadline = spec
        .active_deadline_seconds
        .map(|s| Duration::from_secs(s.unsigned_abs()));
    let past_deadline = deadline.is_some_and(|d| start + d <= now);
    let complete = match spec.completions {
        Some(completions) => succeeded >= completions,
        None => succeeded > 0 && active.is_empty(),
    };

    let mut decision = JobDecision::default();
    let finished = if past_backoff {
        Some((
            "FailureTarget",
            "Failed",
            REASON_BACKOFF_LIMIT,
            MESSAGE_BACKOFF_LIMIT,
        ))
    } else if past_deadline {
        Some(("FailureTarget", "Failed", REASON_DEADLINE, MESSAGE_DEADLINE))
    } else if complete {
        Some((
            "SuccessCriteriaMet",
            "Complete",
            REASON_COMPLETIONS,
            MESSAGE_COMPLETIONS,
        ))
    } else {
        None
    };
    if let Some((interim, terminal, reason, message)) = finished {
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        if !conditions.iter().any(|c| c.type_ == interim) {
            conditions.push(condition(interim, reason, message, now));
        }
        // Pods deleted now are gone at once here (no kubelet to wait for): terminal too.
        conditions.push(condition(terminal, reason, message, now));
        if terminal == "Complete" {
            status.completion_time = Some(to_time(now));
        }
        decision.delete = active;
        active = Vec::new();
    } else {
        let parallelism = usize::try_from(spec.parallelism.unwrap_or(1).max(0)).unwrap_or(0);
        let wanted = match spec.completions {
            Some(completions) => {
                let left = usize::try_from((completions - succeeded).max(0)).unwrap_or(0);
                parallelism.min(left)
            }
            None if succeeded > 0 => active.len(),
            None => parallelism,
        };
        if wanted > active.len() {
            decision.create = (wanted - active.len()).min(BURST_REPLICAS);
        } else if wanted < active.len() {
            // Too many (parallelism lowered): the newest go first.
            active.sort_by(|a, b| {
                b.metadata
                    .creation_timestamp
                    .cmp(&a.metadata.creation_timestamp)
            });
            decision.delete = active.drain(..active.len() - wanted).collect();
        }
        decision.requeue_after =
            deadline.map(|d| (start + d).duration_since(now).unwrap_or_default());
    }
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    status.active = Some(count(active.len() + decision.create));
    status.ready = Some(count(active.iter().filter(|pod| is_ready(pod)).count()));
    status.succeeded = Some(succeeded);
    status.failed = Some(failed);
    decision.status = status;
    decision
    // END SOLUTION
}

/// The controller owner reference a Job puts on its pods.
pub fn controller_ref(job: &Job) -> OwnerReference {
    OwnerReference {
        api_version: "batch/v1".to_owned(),
        kind: "Job".to_owned(),
        name: job.metadata.name.clone().unwrap_or_default(),
        uid: job.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// A new pod of the Job: `<job>-xxxxx`, the template (whose labels the apiserver's defaulting
/// gave `batch.kubernetes.io/controller-uid` and `batch.kubernetes.io/job-name`, plus their
/// legacy forms `controller-uid` and `job-name`), owned by the Job.
pub fn new_pod(job: &Job) -> Pod {
    let template = job
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let meta = template.metadata.unwrap_or_default();
    let name = job.metadata.name.as_deref().unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: job.metadata.namespace.clone(),
            labels: meta.labels,
            annotations: meta.annotations,
            owner_references: Some(vec![controller_ref(job)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}
