//! `apps/v1` validation: Deployments, ReplicaSets, DaemonSets and StatefulSets. They share the
//! workload rules: a selector that is required, not empty and matches the template's labels, a
//! template whose pods restart `Always`, non-negative counts, and a valid rolling update.

use serde_json::Value;

use super::meta::{json_label_selector, json_string_map};
use super::pod::validate_pod_template;
use super::selector::{selector_matches, validate_label_selector};
use super::{Bad, Causes, at, str_at};

/// A Deployment (`ValidateDeploymentSpec`).
pub(crate) fn validate_deployment(object: &Value, causes: &mut Causes) {
    let spec = object.get("spec").unwrap_or(&Value::Null);
    causes.nonnegative("spec.replicas".to_string(), spec.get("replicas"));
    validate_workload_selector(spec, "deployment", causes);
    validate_template_for_replicas(spec, causes);
    validate_deployment_strategy(spec.get("strategy"), causes);
    causes.nonnegative(
        "spec.minReadySeconds".to_string(),
        spec.get("minReadySeconds"),
    );
    causes.nonnegative(
        "spec.revisionHistoryLimit".to_string(),
        spec.get("revisionHistoryLimit"),
    );
    if let Some(deadline) = spec.get("progressDeadlineSeconds").and_then(Value::as_i64) {
        let min_ready = spec
            .get("minReadySeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if deadline < 0 {
            causes.nonnegative(
                "spec.progressDeadlineSeconds".to_string(),
                Some(&deadline.into()),
            );
        } else if deadline <= min_ready {
            causes.invalid(
                "spec.progressDeadlineSeconds".to_string(),
                Bad::Int(deadline),
                "must be greater than minReadySeconds",
            );
        }
    }
}

/// A ReplicaSet (`ValidateReplicaSetSpec`).
pub(crate) fn validate_replica_set(object: &Value, causes: &mut Causes) {
    let spec = object.get("spec").unwrap_or(&Value::Null);
    causes.nonnegative("spec.replicas".to_string(), spec.get("replicas"));
    causes.nonnegative(
        "spec.minReadySeconds".to_string(),
        spec.get("minReadySeconds"),
    );
    validate_workload_selector(spec, "deployment", causes);
    validate_template_for_replicas(spec, causes);
}

/// A DaemonSet (`ValidateDaemonSetSpec`). Unlike the others it does not report a missing
/// selector as required: a missing selector selects nothing, so the template mismatch says it.
pub(crate) fn validate_daemon_set(object: &Value, causes: &mut Causes) {
    let spec = object.get("spec").unwrap_or(&Value::Null);
    if let Some(selector) = spec.get("selector").filter(|s| !s.is_null()) {
        validate_label_selector(selector, "spec.selector", causes);
    }
    let labels = at(spec, &["template", "metadata", "labels"]);
    selector_matches_template(spec.get("selector"), labels, "spec.template", causes);
    if let Some(selector) = spec.get("selector").filter(|s| !s.is_null()) {
        reject_empty_selector(selector, "daemonset", causes);
    }
    validate_template_restarts_always(spec, "DaemonSet", causes);
    causes.nonnegative(
        "spec.minReadySeconds".to_string(),
        spec.get("minReadySeconds"),
    );
    causes.nonnegative(
        "spec.revisionHistoryLimit".to_string(),
        spec.get("revisionHistoryLimit"),
    );
    let strategy = spec.get("updateStrategy").unwrap_or(&Value::Null);
    match str_at(strategy, "type") {
        Some("OnDelete") => {}
        Some("RollingUpdate") => {
            if let Some(rolling) = strategy.get("rollingUpdate") {
                validate_rolling_update(rolling, "spec.updateStrategy.rollingUpdate", causes);
            }
        }
        other => causes.not_supported(
            "spec.updateStrategy.type".to_string(),
            Bad::str(other.unwrap_or("")),
            &["OnDelete", "RollingUpdate"],
        ),
    }
}

/// A StatefulSet (`ValidateStatefulSetSpec`).
pub(crate) fn validate_stateful_set(object: &Value, causes: &mut Causes) {
    let spec = object.get("spec").unwrap_or(&Value::Null);
    let policies = ["OrderedReady", "Parallel"];
    match str_at(spec, "podManagementPolicy") {
        Some(p) if policies.contains(&p) => {}
        other => causes.not_supported(
            "spec.podManagementPolicy".to_string(),
            Bad::str(other.unwrap_or("")),
            &policies,
        ),
    }
    let strategy = spec.get("updateStrategy").unwrap_or(&Value::Null);
    match str_at(strategy, "type") {
        Some("OnDelete") => {}
        Some("RollingUpdate") => causes.nonnegative(
            "spec.updateStrategy.rollingUpdate.partition".to_string(),
            at(strategy, &["rollingUpdate", "partition"]),
        ),
        other => causes.not_supported(
            "spec.updateStrategy.type".to_string(),
            Bad::str(other.unwrap_or("")),
            &["OnDelete", "RollingUpdate"],
        ),
    }
    causes.nonnegative("spec.replicas".to_string(), spec.get("replicas"));
    causes.nonnegative(
        "spec.minReadySeconds".to_string(),
        spec.get("minReadySeconds"),
    );
    validate_workload_selector(spec, "statefulset", causes);
    validate_stateful_set_template(spec, causes);
}

/// The selector every workload needs: present, valid, and not empty (an empty selector would
/// select every pod of the namespace).
fn validate_workload_selector(spec: &Value, what: &str, causes: &mut Causes) {
    match spec.get("selector") {
        None | Some(Value::Null) => causes.required("spec.selector".to_string(), ""),
        Some(selector) => {
            validate_label_selector(selector, "spec.selector", causes);
            reject_empty_selector(selector, what, causes);
        }
    }
}

/// Whether a selector has neither matchLabels nor matchExpressions: it selects everything.
fn is_empty_selector(selector: &Value) -> bool {
    let labels = selector.get("matchLabels").and_then(Value::as_object);
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    labels.is_none_or(|l| l.is_empty()) && expressions.is_none_or(|e| e.is_empty())
}

fn reject_empty_selector(selector: &Value, what: &str, causes: &mut Causes) {
    if is_empty_selector(selector) {
        causes.invalid(
            "spec.selector".to_string(),
            Bad::Go(json_label_selector(Some(selector))),
            &format!("empty selector is invalid for {what}"),
        );
    }
}

/// `ValidatePodTemplateSpecForReplicaSet`: the selector must select the template's own pods,
/// which must restart `Always` and have no `activeDeadlineSeconds` (they are meant to run
/// forever).
fn validate_template_for_replicas(spec: &Value, causes: &mut Causes) {
    let labels = at(spec, &["template", "metadata", "labels"]);
    selector_matches_template(spec.get("selector"), labels, "spec.template", causes);
    validate_template_restarts_always(spec, "ReplicaSet", causes);
}

/// A StatefulSet's template (`ValidatePodTemplateSpecForStatefulSet`): the selector matches
/// its labels and its pods restart `Always`, but its pod spec is not validated as a pod's,
/// because its `volumeMounts` may name `volumeClaimTemplates` that become volumes only in
/// each pod (upstream leaves that check out for the same reason).
fn validate_stateful_set_template(spec: &Value, causes: &mut Causes) {
    let template = spec.get("template");
    let labels = at(spec, &["template", "metadata", "labels"]);
    selector_matches_template(spec.get("selector"), labels, "spec.template", causes);
    super::meta::validate_labels(labels, "spec.template.metadata.labels", causes);
    validate_restarts_always(template, "StatefulSet", causes);
}

/// The template of a workload whose pods run forever: valid, restarting `Always`, without
/// `activeDeadlineSeconds`.
fn validate_template_restarts_always(spec: &Value, kind: &str, causes: &mut Causes) {
    let template = spec.get("template");
    validate_pod_template(template, "spec.template", causes);
    validate_restarts_always(template, kind, causes);
}

/// The pods restart `Always` and have no `activeDeadlineSeconds`.
fn validate_restarts_always(template: Option<&Value>, kind: &str, causes: &mut Causes) {
    let pod_spec = template.and_then(|t| t.get("spec")).unwrap_or(&Value::Null);
    let restart = str_at(pod_spec, "restartPolicy").unwrap_or("");
    if restart != "Always" {
        causes.not_supported(
            "spec.template.spec.restartPolicy".to_string(),
            Bad::str(restart),
            &["Always"],
        );
    }
    if pod_spec.get("activeDeadlineSeconds").is_some() {
        causes.forbidden(
            "spec.template.spec.activeDeadlineSeconds".to_string(),
            &format!("activeDeadlineSeconds in {kind} is not Supported"),
        );
    }
}

// ANCHOR: selector_matches_template
/// The rule that ties a workload to its pods: the `selector` must match the template's labels,
/// or the controller would create pods it then does not count as its own. A missing selector
/// selects nothing (so it never matches); an empty one (`{}`) selects everything (so it always
/// does; the caller rejects it on its own). The cause names `<template>.metadata.labels` and
/// shows the labels as JSON.
pub(crate) fn selector_matches_template(
    selector: Option<&Value>,
    template_labels: Option<&Value>,
    template_path: &str,
    causes: &mut Causes,
) {
    // BEGIN SOLUTION step-2: a missing selector never matches, an empty one always does; otherwise match it against the labels; on a mismatch, one Invalid cause on <template>.metadata.labels
    let matches = match selector.filter(|s| !s.is_null()) {
        None => false,
        Some(selector) => selector_matches(selector, template_labels),
    };
    if !matches {
        causes.invalid(
            format!("{template_path}.metadata.labels"),
            Bad::Go(json_string_map(template_labels)),
            "`selector` does not match template `labels`",
        );
    }
    // END SOLUTION
}
// ANCHOR_END: selector_matches_template

/// `ValidateDeploymentStrategy`: `Recreate` without `rollingUpdate`, or a valid `RollingUpdate`.
fn validate_deployment_strategy(strategy: Option<&Value>, causes: &mut Causes) {
    let strategy = strategy.unwrap_or(&Value::Null);
    match str_at(strategy, "type") {
        Some("Recreate") => {
            if strategy.get("rollingUpdate").is_some_and(|r| !r.is_null()) {
                causes.forbidden(
                    "spec.strategy.rollingUpdate".to_string(),
                    "may not be specified when strategy `type` is 'Recreate'",
                );
            }
        }
        Some("RollingUpdate") => match strategy.get("rollingUpdate") {
            Some(rolling) if !rolling.is_null() => {
                validate_rolling_update(rolling, "spec.strategy.rollingUpdate", causes);
            }
            _ => causes.required(
                "spec.strategy.rollingUpdate".to_string(),
                "this should be defaulted and never be nil",
            ),
        },
        other => causes.not_supported(
            "spec.strategy".to_string(),
            Bad::Go(format!(
                "{{\"Type\":{},\"RollingUpdate\":null}}",
                Value::from(other.unwrap_or(""))
            )),
            &["Recreate", "RollingUpdate"],
        ),
    }
}

/// `ValidateRollingUpdateDeployment`: each of maxUnavailable and maxSurge is a non-negative
/// number or a percentage; they may not both be 0 (the rollout could never progress), and
/// maxUnavailable may not exceed 100%.
fn validate_rolling_update(rolling: &Value, path: &str, causes: &mut Causes) {
    let unavailable = rolling.get("maxUnavailable");
    let surge = rolling.get("maxSurge");
    for (name, value) in [("maxUnavailable", unavailable), ("maxSurge", surge)] {
        let field = format!("{path}.{name}");
        match value {
            Some(Value::String(s)) if !is_percent(s) => causes.invalid(
                field,
                json_int_or_string(value),
                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            ),
            Some(Value::Number(_)) => causes.nonnegative(field, value),
            _ => {}
        }
    }
    if int_or_percent_value(unavailable) == 0 && int_or_percent_value(surge) == 0 {
        causes.invalid(
            format!("{path}.maxUnavailable"),
            json_int_or_string(unavailable),
            "may not be 0 when `maxSurge` is 0",
        );
    }
    if let Some(Value::String(s)) = unavailable
        && is_percent(s)
        && int_or_percent_value(unavailable) > 100
    {
        causes.invalid(
            format!("{path}.maxUnavailable"),
            json_int_or_string(unavailable),
            "must not be greater than 100%",
        );
    }
}

fn is_percent(s: &str) -> bool {
    s.strip_suffix('%')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The number of an int-or-percent (`25%` -> 25, `1` -> 1, missing -> 0).
fn int_or_percent_value(value: Option<&Value>) -> i64 {
    match value {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim_end_matches('%').parse().unwrap_or(0),
        _ => 0,
    }
}

/// An int-or-string as the real message prints it (its JSON: `0` or `"25%"`).
fn json_int_or_string(value: Option<&Value>) -> Bad {
    match value {
        Some(Value::String(s)) => Bad::str(s),
        other => Bad::Int(other.and_then(Value::as_i64).unwrap_or(0)),
    }
}
