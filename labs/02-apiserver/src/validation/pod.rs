//! Pod spec validation (`ValidatePodSpec`), shared by Pods and every pod template (Deployments,
//! Jobs, ...): containers and init containers, ports, env, volumes and the mounts that must name
//! one, probes, resources (requests <= limits), restartPolicy and dnsPolicy.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::names;
use super::quantity::parse_quantity;
use super::{Bad, Causes, arr_at, child, index, key, meta, str_at};

/// The restart policies a pod may have.
pub(crate) const RESTART_POLICIES: [&str; 3] = ["Always", "OnFailure", "Never"];

/// A Pod: its spec at `spec`.
pub(crate) fn validate_pod(object: &Value, causes: &mut Causes) {
    let empty = Value::Object(Map::new());
    validate_pod_spec(object.get("spec").unwrap_or(&empty), "spec", causes);
}

/// A PodTemplate object: its template at `template`.
pub(crate) fn validate_template_object(object: &Value, causes: &mut Causes) {
    validate_pod_template(object.get("template"), "template", causes);
}

/// A pod template (`spec.template` of a workload): its labels and its pod spec.
pub(crate) fn validate_pod_template(template: Option<&Value>, path: &str, causes: &mut Causes) {
    let empty = Value::Object(Map::new());
    let template = template.unwrap_or(&empty);
    let labels = template.get("metadata").and_then(|m| m.get("labels"));
    meta::validate_labels(labels, &format!("{path}.metadata.labels"), causes);
    validate_pod_spec(
        template.get("spec").unwrap_or(&empty),
        &child(path, "spec"),
        causes,
    );
}

/// `ValidatePodSpec`, in the real order: volumes, containers, init containers, restartPolicy,
/// dnsPolicy, activeDeadlineSeconds.
pub(crate) fn validate_pod_spec(spec: &Value, path: &str, causes: &mut Causes) {
    let volumes = validate_volumes(spec, &child(path, "volumes"), causes);
    let mut container_names = BTreeSet::new();

    let containers_path = child(path, "containers");
    let containers = arr_at(spec, "containers");
    if containers.is_empty() {
        causes.required(containers_path.clone(), "");
    }
    for (i, container) in containers.iter().enumerate() {
        let at = index(&containers_path, i);
        validate_container(container, &at, &volumes, &mut container_names, causes);
    }
    let init_path = child(path, "initContainers");
    for (i, container) in arr_at(spec, "initContainers").iter().enumerate() {
        let at = index(&init_path, i);
        validate_container(container, &at, &volumes, &mut container_names, causes);
    }

    let restart_path = child(path, "restartPolicy");
    match str_at(spec, "restartPolicy") {
        None | Some("") => causes.required(restart_path, ""),
        Some(p) if !RESTART_POLICIES.contains(&p) => {
            causes.not_supported(restart_path, Bad::str(p), &RESTART_POLICIES);
        }
        Some(_) => {}
    }
    let dns_policies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
    match str_at(spec, "dnsPolicy") {
        None | Some("") => causes.required(child(path, "dnsPolicy"), ""),
        Some(p) if !dns_policies.contains(&p) => {
            causes.not_supported(child(path, "dnsPolicy"), Bad::str(p), &dns_policies);
        }
        Some(_) => {}
    }
    if let Some(deadline) = spec.get("activeDeadlineSeconds").and_then(Value::as_i64)
        && !(1..=i64::from(i32::MAX)).contains(&deadline)
    {
        causes.invalid(
            child(path, "activeDeadlineSeconds"),
            Bad::Int(deadline),
            "must be between 1 and 2147483647, inclusive",
        );
    }
    causes.nonnegative(
        child(path, "terminationGracePeriodSeconds"),
        spec.get("terminationGracePeriodSeconds"),
    );
}

/// `ValidateVolumes`: unique DNS-label names and exactly one source each. Returns the names,
/// which volumeMounts must refer to.
fn validate_volumes(spec: &Value, path: &str, causes: &mut Causes) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (i, volume) in arr_at(spec, "volumes").iter().enumerate() {
        let at = index(path, i);
        let name = str_at(volume, "name").unwrap_or("");
        if name.is_empty() {
            causes.required(child(&at, "name"), "");
        } else {
            causes.invalid_each(&child(&at, "name"), name, names::is_dns1123_label(name));
            if !seen.insert(name.to_string()) {
                causes.duplicate(child(&at, "name"), Bad::str(name));
            }
        }
        // Every other key of a volume is its source (emptyDir, configMap, ...).
        let sources: Vec<&String> = volume
            .as_object()
            .map(|o| o.keys().filter(|k| k.as_str() != "name").collect())
            .unwrap_or_default();
        match sources.as_slice() {
            [] => causes.required(at, "must specify a volume type"),
            [_] => {}
            [_, second, ..] => {
                causes.forbidden(
                    child(&at, second),
                    "may not specify more than 1 volume type",
                );
            }
        }
    }
    seen
}

// ANCHOR: container
/// One container (`validateContainerCommon`): a unique DNS-label name, an image, valid ports,
/// env names, mounts of existing volumes, probes, requests within limits and the enum fields.
fn validate_container(
    container: &Value,
    path: &str,
    volumes: &BTreeSet<String>,
    seen: &mut BTreeSet<String>,
    causes: &mut Causes,
) {
    // BEGIN SOLUTION step-2: name (required, DNS label, unique), image (required), then ports, env, volumeMounts, probes, resources and the pull and termination-message policies
    let name = str_at(container, "name").unwrap_or("");
    let name_path = child(path, "name");
    if name.is_empty() {
        causes.required(name_path, "");
    } else {
        causes.invalid_each(&name_path, name, names::is_dns1123_label(name));
        if !seen.insert(name.to_string()) {
            causes.duplicate(name_path, Bad::str(name));
        }
    }
    if str_at(container, "image").unwrap_or("").is_empty() {
        causes.required(child(path, "image"), "");
    }
    validate_ports(container, &child(path, "ports"), causes);
    validate_env(container, &child(path, "env"), causes);
    validate_volume_mounts(container, &child(path, "volumeMounts"), volumes, causes);
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = container.get(probe) {
            validate_probe(p, &child(path, probe), probe != "readinessProbe", causes);
        }
    }
    validate_resources(
        container.get("resources"),
        &child(path, "resources"),
        causes,
    );

    let pull = ["Always", "IfNotPresent", "Never"];
    match str_at(container, "imagePullPolicy") {
        None | Some("") => causes.required(child(path, "imagePullPolicy"), ""),
        Some(p) if !pull.contains(&p) => {
            causes.not_supported(child(path, "imagePullPolicy"), Bad::str(p), &pull);
        }
        Some(_) => {}
    }
    let termination = ["File", "FallbackToLogsOnError"];
    match str_at(container, "terminationMessagePolicy") {
        None | Some("") => causes.required(child(path, "terminationMessagePolicy"), ""),
        Some(p) if !termination.contains(&p) => {
            causes.not_supported(
                child(path, "terminationMessagePolicy"),
                Bad::str(p),
                &termination,
            );
        }
        Some(_) => {}
    }
    // END SOLUTION
}
// ANCHOR_END: container

/// `validateContainerPorts`: port numbers in range, unique IANA names, a known protocol.
fn validate_ports(container: &Value, path: &str, causes: &mut Causes) {
    let mut port_names = BTreeSet::new();
    for (i, port) in arr_at(container, "ports").iter().enumerate() {
        let at = index(path, i);
        if let Some(name) = str_at(port, "name").filter(|n| !n.is_empty()) {
            causes.invalid_each(&child(&at, "name"), name, names::is_valid_port_name(name));
            if !port_names.insert(name.to_string()) {
                causes.duplicate(child(&at, "name"), Bad::str(name));
            }
        }
        match port.get("containerPort").and_then(Value::as_i64) {
            None | Some(0) => causes.required(child(&at, "containerPort"), ""),
            Some(n) => {
                for msg in names::is_valid_port_num(n) {
                    causes.invalid(child(&at, "containerPort"), Bad::Int(n), &msg);
                }
            }
        }
        if let Some(n) = port
            .get("hostPort")
            .and_then(Value::as_i64)
            .filter(|n| *n != 0)
        {
            for msg in names::is_valid_port_num(n) {
                causes.invalid(child(&at, "hostPort"), Bad::Int(n), &msg);
            }
        }
        validate_protocol(port, &child(&at, "protocol"), causes);
    }
}

/// A port's `protocol`: TCP, UDP or SCTP (defaulted to TCP before validation).
pub(crate) fn validate_protocol(port: &Value, path: &str, causes: &mut Causes) {
    let protocols = ["SCTP", "TCP", "UDP"];
    match str_at(port, "protocol") {
        None | Some("") => causes.required(path.to_string(), ""),
        Some(p) if !protocols.contains(&p) => {
            causes.not_supported(path.to_string(), Bad::str(p), &protocols);
        }
        Some(_) => {}
    }
}

fn validate_env(container: &Value, path: &str, causes: &mut Causes) {
    for (i, env) in arr_at(container, "env").iter().enumerate() {
        let name_path = child(&index(path, i), "name");
        match str_at(env, "name") {
            None | Some("") => causes.required(name_path, ""),
            Some(name) => causes.invalid_each(&name_path, name, names::is_env_var_name(name)),
        }
    }
}

fn validate_volume_mounts(
    container: &Value,
    path: &str,
    volumes: &BTreeSet<String>,
    causes: &mut Causes,
) {
    let mut mount_paths = BTreeSet::new();
    for (i, mount) in arr_at(container, "volumeMounts").iter().enumerate() {
        let at = index(path, i);
        match str_at(mount, "name") {
            None | Some("") => causes.required(child(&at, "name"), ""),
            Some(name) if !volumes.contains(name) => {
                causes.not_found(child(&at, "name"), Bad::str(name));
            }
            Some(_) => {}
        }
        match str_at(mount, "mountPath") {
            None | Some("") => causes.required(child(&at, "mountPath"), ""),
            Some(p) if !mount_paths.insert(p.to_string()) => {
                causes.invalid(child(&at, "mountPath"), Bad::str(p), "must be unique");
            }
            Some(_) => {}
        }
    }
}

/// A probe: exactly one handler, non-negative timings; liveness and startup probes must have
/// `successThreshold: 1`.
fn validate_probe(probe: &Value, path: &str, success_must_be_one: bool, causes: &mut Causes) {
    let handlers: Vec<&str> = ["exec", "httpGet", "tcpSocket", "grpc"]
        .into_iter()
        .filter(|h| probe.get(*h).is_some())
        .collect();
    match handlers.as_slice() {
        [] => causes.required(path.to_string(), "must specify a handler type"),
        [_] => {}
        [_, second, ..] => {
            causes.forbidden(
                child(path, second),
                "may not specify more than 1 handler type",
            );
        }
    }
    for handler in ["httpGet", "tcpSocket"] {
        if let Some(h) = probe.get(handler) {
            validate_port_num_or_name(h.get("port"), &child(&child(path, handler), "port"), causes);
        }
    }
    if let Some(scheme) = probe.get("httpGet").and_then(|h| str_at(h, "scheme"))
        && !["HTTP", "HTTPS"].contains(&scheme)
    {
        let at = child(&child(path, "httpGet"), "scheme");
        causes.not_supported(at, Bad::str(scheme), &["HTTP", "HTTPS"]);
    }
    for field in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        causes.nonnegative(child(path, field), probe.get(field));
    }
    if let Some(n) = probe.get("successThreshold").and_then(Value::as_i64)
        && success_must_be_one
        && n != 1
    {
        causes.invalid(child(path, "successThreshold"), Bad::Int(n), "must be 1");
    }
}

/// `validatePortNumOrName`: a number in 1-65535 or an IANA port name.
pub(crate) fn validate_port_num_or_name(port: Option<&Value>, path: &str, causes: &mut Causes) {
    match port {
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(0);
            for msg in names::is_valid_port_num(n) {
                causes.invalid(path.to_string(), Bad::Int(n), &msg);
            }
        }
        Some(Value::String(name)) => {
            causes.invalid_each(path, name, names::is_valid_port_name(name));
        }
        _ => causes.required(path.to_string(), ""),
    }
}

/// `ValidateResourceRequirements`: valid, non-negative quantities and no request above its
/// limit (`resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit
/// of 1`).
fn validate_resources(resources: Option<&Value>, path: &str, causes: &mut Causes) {
    let Some(resources) = resources else { return };
    let limits = resources.get("limits").and_then(Value::as_object);
    for part in ["limits", "requests"] {
        let Some(map) = resources.get(part).and_then(Value::as_object) else {
            continue;
        };
        for (resource, quantity) in map {
            let at = key(&child(path, part), resource);
            let text = quantity_text(quantity);
            let Some(amount) = parse_quantity(&text) else {
                causes.invalid(
                    at,
                    Bad::str(&text),
                    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                );
                continue;
            };
            if amount < 0.0 {
                causes.invalid(at, Bad::str(&text), "must be greater than or equal to 0");
                continue;
            }
            if part != "requests" {
                continue;
            }
            let limit = limits.and_then(|l| l.get(resource)).map(quantity_text);
            if let Some(limit_text) = limit
                && parse_quantity(&limit_text).is_some_and(|limit| amount > limit)
            {
                causes.invalid(
                    at,
                    Bad::str(&text),
                    &format!("must be less than or equal to {resource} limit of {limit_text}"),
                );
            }
        }
    }
}

/// A quantity as text: manifests may write `cpu: 1` as a number.
fn quantity_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
