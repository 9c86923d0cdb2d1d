//! `batch/v1` defaults: Jobs (`SetDefaults_Job` and the selector the Job strategy generates)
//! and CronJobs (`SetDefaults_CronJob`).

use serde_json::{Map, Value, json};

use super::pod::default_pod_template;
use super::{object_at, set_default};

/// The label that ties a Job's pods to it, by uid (and its pre-1.27 spelling, still set).
pub(crate) const CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
/// The Job's name on its pods (and the pre-1.27 spelling).
pub(crate) const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";

/// A Job: one completion at parallelism 1 unless told otherwise, 6 retries, `NonIndexed`, not
/// suspended, pods replaced once terminating or failed; a selector generated from the Job's uid
/// (unless `manualSelector`); the template's labels as the Job's labels when it has none.
///
/// The selector needs `metadata.uid`: the REST layer sets the uid before defaulting a new Job.
/// Without a uid no selector is generated and validation reports `spec.selector` missing.
pub(crate) fn default_job(job: &mut Value) {
    let uid = job
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = job
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(spec) = object_at(job, "spec") else {
        return;
    };
    let has = |spec: &Value, key: &str| spec.get(key).is_some_and(|v| !v.is_null());
    if !has(spec, "completions") && !has(spec, "parallelism") {
        set_default(spec, "completions", json!(1));
    }
    set_default(spec, "parallelism", json!(1));
    let backoff = if has(spec, "backoffLimitPerIndex") {
        i64::from(i32::MAX)
    } else {
        6
    };
    set_default(spec, "backoffLimit", json!(backoff));
    set_default(spec, "completionMode", json!("NonIndexed"));
    set_default(spec, "suspend", json!(false));
    let replacement = if has(spec, "podFailurePolicy") {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    set_default(spec, "podReplacementPolicy", json!(replacement));

    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    if !manual && !uid.is_empty() {
        generate_selector(spec, &uid, &name);
    }
    if let Some(template) = object_at(spec, "template") {
        default_pod_template(template);
    }
    // The Job wears its pods' labels when it has none of its own.
    let template_labels = spec
        .pointer("/template/metadata/labels")
        .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
        .cloned();
    if let (Some(labels), Some(metadata)) = (template_labels, object_at(job, "metadata")) {
        let empty = metadata
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty);
        if empty && let Some(map) = metadata.as_object_mut() {
            map.insert("labels".to_string(), labels);
        }
    }
}

/// The Job strategy's `generateSelector`: the pods get labels naming the Job's uid and name,
/// and the selector matches the uid, so no other pod can ever be mistaken for the Job's.
fn generate_selector(spec: &mut Value, uid: &str, name: &str) {
    if let Some(labels) = object_at(spec, "template")
        .and_then(|t| object_at(t, "metadata"))
        .and_then(|m| object_at(m, "labels"))
    {
        set_default(labels, CONTROLLER_UID_LABEL, json!(uid));
        set_default(labels, JOB_NAME_LABEL, json!(name));
        set_default(labels, "controller-uid", json!(uid));
        set_default(labels, "job-name", json!(name));
    }
    set_default(
        spec,
        "selector",
        json!({"matchLabels": {CONTROLLER_UID_LABEL: uid}}),
    );
}

/// `SetDefaults_CronJob`: concurrent runs allowed, not suspended, 3 successful and 1 failed
/// Job kept; the Job template's pod defaults.
pub(crate) fn default_cron_job(cron_job: &mut Value) {
    let Some(spec) = object_at(cron_job, "spec") else {
        return;
    };
    set_default(spec, "concurrencyPolicy", json!("Allow"));
    set_default(spec, "suspend", json!(false));
    set_default(spec, "successfulJobsHistoryLimit", json!(3));
    set_default(spec, "failedJobsHistoryLimit", json!(1));
    if let Some(template) = object_at(spec, "jobTemplate")
        .and_then(|t| object_at(t, "spec"))
        .and_then(|s| object_at(s, "template"))
    {
        default_pod_template(template);
    }
}
