//! Printers for the batch group: Jobs and CronJobs.

use k8s_openapi::api::batch::v1::{CronJob, Job, JobCondition};
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::apps::template_containers;
use super::core::{age_of, name_of};
use super::descriptions as doc;
use super::{Column, Printer, Row, TableError, age, decode, format};

/// `kubectl get jobs`, with the STATUS column of recent printers (1.33 has it).
pub(crate) static JOBS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Status", "Status of the job."),
        Column::string("Completions", doc::JOB_SUCCEEDED),
        Column::string("Duration", "Time required to complete the job."),
        Column::AGE,
        Column::string("Containers", "Names of each container in the template.").wide(),
        Column::string(
            "Images",
            "Images referenced by each container in the template.",
        )
        .wide(),
        Column::string("Selector", doc::JOB_SELECTOR).wide(),
    ],
    row: job_row,
};

fn job_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let job: Job = decode(object, "jobs")?;
    let spec = job.spec.clone().unwrap_or_default();
    let status = job.status.clone().unwrap_or_default();
    let succeeded = status.succeeded.unwrap_or(0);
    let completions = match spec.completions {
        Some(completions) => format!("{succeeded}/{completions}"),
        None => match spec.parallelism.unwrap_or(0) {
            parallelism if parallelism > 1 => format!("{succeeded}/1 of {parallelism}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let duration = match (&status.start_time, &status.completion_time) {
        (None, _) => String::new(),
        (Some(start), None) => age::since(Some(&start.0), now),
        (Some(start), Some(end)) => age::human_duration(end.0.duration_since(start.0)),
    };
    let conditions = status.conditions.as_deref().unwrap_or_default();
    let state = if has_condition(conditions, "Complete") {
        "Complete"
    } else if has_condition(conditions, "Failed") {
        "Failed"
    } else if job.metadata.deletion_timestamp.is_some() {
        "Terminating"
    } else if has_condition(conditions, "Suspended") {
        "Suspended"
    } else if has_condition(conditions, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = format::containers(template_containers(Some(&spec.template)));
    Ok(Row::new(vec![
        name_of(&job.metadata),
        state.into(),
        completions.into(),
        duration.into(),
        age_of(&job.metadata, now),
        names.into(),
        images.into(),
        format::label_selector(spec.selector.as_ref()).into(),
    ]))
}

/// `hasJobCondition`: whether the first condition of this type is `True`.
fn has_condition(conditions: &[JobCondition], type_: &str) -> bool {
    conditions
        .iter()
        .find(|c| c.type_ == type_)
        .is_some_and(|c| c.status == "True")
}

/// `kubectl get cronjobs`.
pub(crate) static CRON_JOBS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Schedule", doc::CRON_JOB_SCHEDULE),
        Column::string("Timezone", doc::CRON_JOB_TIME_ZONE),
        Column::boolean("Suspend", doc::CRON_JOB_SUSPEND),
        Column::integer("Active", doc::CRON_JOB_ACTIVE),
        Column::string("Last Schedule", doc::CRON_JOB_LAST_SCHEDULE),
        Column::AGE,
        Column::string("Containers", "Names of each container in the template.").wide(),
        Column::string(
            "Images",
            "Images referenced by each container in the template.",
        )
        .wide(),
        Column::string("Selector", doc::JOB_SELECTOR).wide(),
    ],
    row: cron_job_row,
};

fn cron_job_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let cron_job: CronJob = decode(object, "cronjobs")?;
    let spec = cron_job.spec.clone().unwrap_or_default();
    let status = cron_job.status.clone().unwrap_or_default();
    let last_schedule = status
        .last_schedule_time
        .as_ref()
        .map_or_else(|| "<none>".to_owned(), |t| age::since(Some(&t.0), now));
    let job_spec = spec.job_template.spec.clone().unwrap_or_default();
    let (names, images) = format::containers(template_containers(Some(&job_spec.template)));
    Ok(Row::new(vec![
        name_of(&cron_job.metadata),
        spec.schedule.clone().into(),
        spec.time_zone.clone().unwrap_or("<none>".into()).into(),
        format::bool_ptr(spec.suspend).into(),
        status.active.as_ref().map_or(0, |a| a.len()).into(),
        last_schedule.into(),
        age_of(&cron_job.metadata, now),
        names.into(),
        images.into(),
        format::label_selector(job_spec.selector.as_ref()).into(),
    ]))
}
