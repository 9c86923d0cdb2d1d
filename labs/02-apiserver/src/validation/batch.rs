//! `batch/v1` validation: Jobs (pods that run to completion, so they restart `OnFailure` or
//! `Never`) and CronJobs (a schedule plus a Job template).

use serde_json::Value;

use super::apps::selector_matches_template;
use super::cron::parse_schedule;
use super::pod::validate_pod_template;
use super::selector::validate_label_selector;
use super::{Bad, Causes, at, child, str_at};

/// A CronJob's name plus the 11 characters of a Job's time suffix must fit a 63-character
/// label value, so it may be at most 52 characters.
const CRON_JOB_NAME_MAX_LENGTH: usize = 52;

/// A Job (`ValidateJobSpec`).
pub(crate) fn validate_job(object: &Value, causes: &mut Causes) {
    let spec = object.get("spec").unwrap_or(&Value::Null);
    validate_job_spec(spec, "spec", causes);
    match spec.get("selector").filter(|s| !s.is_null()) {
        None => causes.required("spec.selector".to_string(), ""),
        Some(selector) => validate_label_selector(selector, "spec.selector", causes),
    }
    // Generated or manual, the selector must select the Job's own pods.
    let labels = at(spec, &["template", "metadata", "labels"]);
    selector_matches_template(spec.get("selector"), labels, "spec.template", causes);
}

/// The parts of a Job spec a CronJob's `jobTemplate.spec` shares.
fn validate_job_spec(spec: &Value, path: &str, causes: &mut Causes) {
    for field in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
    ] {
        causes.nonnegative(child(path, field), spec.get(field));
    }
    match str_at(spec, "completionMode") {
        None | Some("NonIndexed") => {}
        Some("Indexed") => {
            if spec.get("completions").is_none_or(Value::is_null) {
                causes.required(
                    child(path, "completions"),
                    "when completion mode is Indexed",
                );
            }
        }
        Some(other) => causes.not_supported(
            child(path, "completionMode"),
            Bad::str(other),
            &["NonIndexed", "Indexed"],
        ),
    }
    let template_path = child(path, "template");
    validate_pod_template(spec.get("template"), &template_path, causes);
    let restart = at(spec, &["template", "spec", "restartPolicy"])
        .and_then(Value::as_str)
        .unwrap_or("");
    if restart != "OnFailure" && restart != "Never" {
        causes.not_supported(
            format!("{template_path}.spec.restartPolicy"),
            Bad::str(restart),
            &["OnFailure", "Never"],
        );
    }
}

/// A CronJob (`ValidateCronJobCreate`): a short enough name, a valid schedule, a known
/// concurrency policy, non-negative limits, and a valid Job template.
pub(crate) fn validate_cron_job(object: &Value, causes: &mut Causes) {
    let name = at(object, &["metadata", "name"])
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.len() > CRON_JOB_NAME_MAX_LENGTH {
        causes.invalid(
            "metadata.name".to_string(),
            Bad::str(name),
            "must be no more than 52 characters",
        );
    }
    let spec = object.get("spec").unwrap_or(&Value::Null);
    match str_at(spec, "schedule") {
        None | Some("") => causes.required("spec.schedule".to_string(), ""),
        Some(schedule) => {
            if let Err(message) = parse_schedule(schedule) {
                causes.invalid("spec.schedule".to_string(), Bad::str(schedule), &message);
            }
            if schedule.contains("TZ") {
                causes.invalid(
                    "spec.schedule".to_string(),
                    Bad::str(schedule),
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                );
            }
        }
    }
    let policies = ["Allow", "Forbid", "Replace"];
    match str_at(spec, "concurrencyPolicy") {
        Some(p) if policies.contains(&p) => {}
        None | Some("") => causes.required("spec.concurrencyPolicy".to_string(), ""),
        Some(p) => {
            causes.not_supported("spec.concurrencyPolicy".to_string(), Bad::str(p), &policies)
        }
    }
    for field in [
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ] {
        causes.nonnegative(format!("spec.{field}"), spec.get(field));
    }
    let job_spec = at(spec, &["jobTemplate", "spec"]).unwrap_or(&Value::Null);
    validate_job_spec(job_spec, "spec.jobTemplate.spec", causes);
}
