//! Pod defaults (`SetDefaults_Pod`, `SetDefaults_PodSpec`, `SetDefaults_Container` and the
//! probe, port and volume defaults), for Pods and for every pod template.

use serde_json::{Value, json};

use super::{items_mut, object_at, set_default};

/// A Pod: the pod spec defaults, plus the two that only Pods get (`enableServiceLinks`, and
/// requests copied from limits), not templates.
pub fn default_pod(pod: &mut Value) {
    let Some(spec) = object_at(pod, "spec") else {
        return;
    };
    default_pod_spec(spec);
    set_default(spec, "enableServiceLinks", json!(true));
    for list in ["containers", "initContainers"] {
        for container in items_mut(spec, list) {
            copy_limits_to_requests(container);
        }
    }
}

/// A pod template (`spec.template` of a workload): its pod spec.
pub fn default_pod_template(template: &mut Value) {
    if let Some(spec) = object_at(template, "spec") {
        default_pod_spec(spec);
    }
}

/// `SetDefaults_PodSpec` and everything nested in a pod spec.
pub fn default_pod_spec(spec: &mut Value) {
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    let host_network = spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    for list in ["containers", "initContainers"] {
        for container in items_mut(spec, list) {
            default_container(container, host_network);
        }
    }
    for volume in items_mut(spec, "volumes") {
        default_volume(volume);
    }
}

/// `imagePullPolicy` from the image reference: `Always` for `:latest` or no tag at all (the
/// node must check the registry for what "latest" is now), `IfNotPresent` for a fixed tag or
/// a digest.
pub fn default_pull_policy(image: &str) -> &'static str {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    // A tag follows the last ':' after the last '/' (a ':' before it is a registry port).
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    let tag = last_segment.rsplit_once(':').map(|(_, tag)| tag);
    match (tag, digest) {
        (Some("latest"), _) | (None, None) => "Always",
        _ => "IfNotPresent",
    }
}

fn default_container(container: &mut Value, host_network: bool) {
    let image = container.get("image").and_then(Value::as_str).unwrap_or("");
    let pull = default_pull_policy(image);
    set_default(container, "imagePullPolicy", json!(pull));
    set_default(
        container,
        "terminationMessagePath",
        json!("/dev/termination-log"),
    );
    set_default(container, "terminationMessagePolicy", json!("File"));
    // Not a default but a Go serialization habit: `resources` is a struct, so the real server
    // always writes `resources: {}`; kubectl output shows it.
    set_default(container, "resources", json!({}));
    for port in items_mut(container, "ports") {
        set_default(port, "protocol", json!("TCP"));
        if host_network {
            // With the host's network, the container port is the host port.
            if let Some(number) = port.get("containerPort").cloned() {
                set_default(port, "hostPort", number);
            }
        }
    }
    for env in items_mut(container, "env") {
        if let Some(field_ref) = env.get_mut("valueFrom").and_then(|v| v.get_mut("fieldRef")) {
            set_default(field_ref, "apiVersion", json!("v1"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = container.get_mut(probe).filter(|p| p.is_object()) {
            default_probe(probe);
        }
    }
    if let Some(lifecycle) = container.get_mut("lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(http) = lifecycle.get_mut(hook).and_then(|h| h.get_mut("httpGet")) {
                default_http_get(http);
            }
        }
    }
}

/// `SetDefaults_Probe`: check every 10 s, time out after 1 s, one success to pass, three
/// failures to fail.
fn default_probe(probe: &mut Value) {
    set_default(probe, "timeoutSeconds", json!(1));
    set_default(probe, "periodSeconds", json!(10));
    set_default(probe, "successThreshold", json!(1));
    set_default(probe, "failureThreshold", json!(3));
    if let Some(http) = probe.get_mut("httpGet") {
        default_http_get(http);
    }
}

/// `SetDefaults_HTTPGetAction`: `GET /` over plain HTTP.
fn default_http_get(http: &mut Value) {
    if http
        .get("path")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
        && let Some(map) = http.as_object_mut()
    {
        map.insert("path".to_string(), json!("/"));
    }
    set_default(http, "scheme", json!("HTTP"));
}

/// `SetDefaults_Volume` and the sources' defaults: no source means an `emptyDir`; files
/// projected from ConfigMaps, Secrets and the downward API are mode 0644 (420).
fn default_volume(volume: &mut Value) {
    let has_source = volume
        .as_object()
        .is_some_and(|o| o.keys().any(|k| k != "name"));
    if !has_source {
        set_default(volume, "emptyDir", json!({}));
    }
    for source in ["configMap", "secret", "downwardAPI", "projected"] {
        if let Some(source) = volume.get_mut(source).filter(|s| s.is_object()) {
            set_default(source, "defaultMode", json!(420));
        }
    }
    // A projected token lives an hour unless told otherwise.
    if let Some(sources) = volume
        .get_mut("projected")
        .and_then(|p| p.get_mut("sources"))
        .and_then(Value::as_array_mut)
    {
        for source in sources {
            if let Some(token) = source
                .get_mut("serviceAccountToken")
                .filter(|t| t.is_object())
            {
                set_default(token, "expirationSeconds", json!(3600));
            }
        }
    }
    if let Some(host_path) = volume.get_mut("hostPath").filter(|h| h.is_object()) {
        set_default(host_path, "type", json!(""));
    }
}

/// `SetDefaults_Pod`'s resource rule: a resource with a limit and no request requests its
/// limit, so the scheduler reserves what the container may use.
fn copy_limits_to_requests(container: &mut Value) {
    let Some(resources) = container.get_mut("resources") else {
        return;
    };
    let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    if limits.is_empty() {
        return;
    }
    let Some(requests) = object_at(resources, "requests") else {
        return;
    };
    for (name, quantity) in limits {
        set_default(requests, &name, quantity);
    }
}
