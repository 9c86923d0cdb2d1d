//! The CronJob controller's decisions, as a pure function of the CronJob, its Jobs and the
//! time (upstream `cronjob_controllerv2.go`, `syncCronJob`).
//!
//! ```text
//! suspended, or a bad schedule            -> nothing
//! t = the most recent scheduled time since lastScheduleTime (or creation), at most
//!     startingDeadlineSeconds ago          -> none: wait for the next one
//! a Job for t exists already               -> nothing (this schedule was handled)
//! concurrencyPolicy Forbid and one running -> skip t
//!                   Replace and some running -> delete them, then create
//! create the Job <cronjob>-<t in minutes since 1970>, lastScheduleTime = t
//! finished Jobs beyond the history limits (3 succeeded, 1 failed) -> delete the oldest
//! ```

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::batch::v1::{CronJob, CronJobStatus, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::schedule::Schedule;
use crate::job::decide::has_condition;
use crate::pods::{to_system_time, to_time};

/// The annotation a CronJob's Job carries: the scheduled time it runs for.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/// What one sync does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CronDecision {
    /// A Job to create.
    pub create: Option<Job>,
    /// Jobs to delete: running ones (`Replace`) and finished ones beyond the history limits.
    pub delete: Vec<Arc<Job>>,
    /// The status to write.
    pub status: CronJobStatus,
    /// Look again then (the next scheduled time).
    pub requeue_after: Option<Duration>,
}

/// The name of the Job for the scheduled time `t` (upstream: minutes since 1970), so the
/// same schedule never makes two Jobs: the second create is `AlreadyExists`.
pub fn job_name(cron_job: &CronJob, t: SystemTime) -> String {
    let minutes = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 60);
    format!(
        "{}-{minutes}",
        cron_job.metadata.name.as_deref().unwrap_or_default()
    )
}

/// The Job for scheduled time `t`: the CronJob's `jobTemplate`, named by [`job_name`],
/// annotated with `t`, owned by the CronJob.
pub fn new_job(cron_job: &CronJob, t: SystemTime) -> Job {
    let template = cron_job
        .spec
        .as_ref()
        .map(|s| s.job_template.clone())
        .unwrap_or_default();
    let meta = template.metadata.unwrap_or_default();
    let mut annotations = meta.annotations.unwrap_or_default();
    let stamp = serde_json::to_value(to_time(t))
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    annotations.insert(SCHEDULED_TIMESTAMP.to_owned(), stamp);
    Job {
        metadata: ObjectMeta {
            name: Some(job_name(cron_job, t)),
            namespace: cron_job.metadata.namespace.clone(),
            labels: meta.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: "batch/v1".to_owned(),
                kind: "CronJob".to_owned(),
                name: cron_job.metadata.name.clone().unwrap_or_default(),
                uid: cron_job.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}

fn finished(job: &Job) -> bool {
    has_condition(job, "Complete") || has_condition(job, "Failed")
}

fn reference(job: &Job) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".to_owned()),
        kind: Some("Job".to_owned()),
        name: job.metadata.name.clone(),
        namespace: job.metadata.namespace.clone(),
        uid: job.metadata.uid.clone(),
        resource_version: job.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

/// The oldest finished Jobs of one outcome beyond `limit`.
fn beyond_limit(jobs: &[Arc<Job>], outcome: &str, limit: Option<i32>) -> Vec<Arc<Job>> {
    let mut done: Vec<Arc<Job>> = jobs
        .iter()
        .filter(|job| has_condition(job, outcome))
        .cloned()
        .collect();
    let limit = usize::try_from(limit.unwrap_or(i32::MAX).max(0)).unwrap_or(usize::MAX);
    done.sort_by(|a, b| {
        let start = |j: &Job| j.status.as_ref().and_then(|s| s.start_time.clone());
        start(a)
            .cmp(&start(b))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    let extra = done.len().saturating_sub(limit);
    done.truncate(extra);
    done
}

// ANCHOR: decide_cron_job
/// One sync of a CronJob at `now`, given the Jobs it owns.
///
/// `status.active` lists its unfinished Jobs and `lastSuccessfulTime` the latest completion.
/// Suspended or with a bad schedule, nothing else. Else `t` = the latest scheduled time after
/// `lastScheduleTime` (or the creation) and at most `now`, no earlier than
/// `startingDeadlineSeconds` before `now` (missed otherwise). With a `t` whose Job does not
/// exist yet: `Forbid` skips it while a Job runs; `Replace` deletes the running ones; then a
/// Job is created for `t` and `lastScheduleTime` = `t`. Finished Jobs beyond
/// `successfulJobsHistoryLimit` / `failedJobsHistoryLimit` are deleted, oldest first. The
/// controller looks again at the next scheduled time.
pub fn decide_cron_job(cron_job: &CronJob, jobs: &[Arc<Job>], now: SystemTime) -> CronDecision {
    // ANCHOR_END: decide_cron_job
    // BEGIN SOLUTION step-4: status from the jobs; suspended or bad schedule -> stop; most recent t within the deadline; concurrency policy; create; history limits; requeue at the next time
    let spec = cron_job.spec.clone().unwrap_or_default();
    let mut status = cron_job.status.clone().unwrap_or_default();
    let running: Vec<Arc<Job>> = jobs.iter().filter(|job| !finished(job)).cloned().collect();
    let mut decision = CronDecision::default();
    let latest_success = jobs
        .iter()
        .filter(|job| has_condition(job, "Complete"))
        .filter_map(|job| job.status.as_ref()?.completion_time.clone())
        .max();
    if latest_success.is_some() && latest_success > status.last_successful_time {
        status.last_successful_time = latest_success;
    }
    decision.delete.extend(beyond_limit(
        jobs,
        "Complete",
        spec.successful_jobs_history_limit,
    ));
    decision
        .delete
        .extend(beyond_limit(jobs, "Failed", spec.failed_jobs_history_limit));

    let mut active = running.clone();
    let schedule = Schedule::parse(&spec.schedule).ok();
    if let Some(schedule) = schedule.as_ref().filter(|_| spec.suspend != Some(true)) {
        let since = status
            .last_schedule_time
            .as_ref()
            .or(cron_job.metadata.creation_timestamp.as_ref())
            .map_or(now, to_system_time);
        let deadline = spec
            .starting_deadline_seconds
            .map(|s| Duration::from_secs(s.unsigned_abs()));
        let earliest = match deadline {
            // A schedule more than the deadline ago is missed: do not look before it.
            Some(deadline) => since.max(now.checked_sub(deadline).unwrap_or(since)),
            None => since,
        };
        let due = schedule.most_recent(earliest, now);
        let name = due.map(|t| job_name(cron_job, t));
        let exists = jobs
            .iter()
            .any(|job| job.metadata.name.is_some() && job.metadata.name == name);
        if let Some(t) = due.filter(|_| !exists) {
            let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
            if policy == "Forbid" && !running.is_empty() {
                // Skipped: this run never happens.
            } else {
                if policy == "Replace" {
                    decision.delete.extend(running.iter().cloned());
                    active.clear();
                }
                let job = new_job(cron_job, t);
                // Active from now on (upstream appends the new Job's reference at once).
                active.push(Arc::new(job.clone()));
                decision.create = Some(job);
                status.last_schedule_time = Some(to_time(t));
            }
        }
        decision.requeue_after = schedule
            .next_after(now)
            .map(|next| next.duration_since(now).unwrap_or_default());
    }
    let mut references: Vec<ObjectReference> = active.iter().map(|job| reference(job)).collect();
    references.sort_by(|a, b| a.name.cmp(&b.name));
    status.active = (!references.is_empty()).then_some(references);
    decision.status = status;
    decision
    // END SOLUTION
}
