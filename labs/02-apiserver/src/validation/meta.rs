//! `metadata` rules shared by every kind (`ValidateObjectMeta`): the name, the namespace,
//! labels, annotations, ownerReferences and finalizers.
//!
//! Also the renderers that causes about whole maps and selectors need: the real message prints
//! such a bad value as compact JSON, so a selector mismatch reads
//! `Invalid value: {"app":"web"}: ...`.

use serde_json::{Map, Value};

use super::names;
use super::{Bad, Causes, arr_at, str_at};

/// The most bytes all annotations of one object may hold together (keys plus values).
pub(crate) const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Which name rule a kind's `metadata.name` follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameRule {
    /// DNS-1123 subdomain: most kinds.
    Subdomain,
    /// DNS-1123 label: Namespaces (a namespace becomes part of DNS names).
    Label,
    /// DNS-1035 label: Services (`<service>.<namespace>.svc` must start with a letter).
    Dns1035,
    /// A path segment (no `/`, `%`, not `.` or `..`): RBAC roles and bindings.
    PathSegment,
}

fn name_rule(group: &str, kind: &str) -> NameRule {
    match (group, kind) {
        ("", "Namespace") => NameRule::Label,
        ("", "Service") => NameRule::Dns1035,
        ("rbac.authorization.k8s.io", _) => NameRule::PathSegment,
        _ => NameRule::Subdomain,
    }
}

/// Whether a kind lives outside namespaces (its objects may not carry `metadata.namespace`).
pub(crate) fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("", "Namespace" | "Node" | "PersistentVolume")
            | (
                "rbac.authorization.k8s.io",
                "ClusterRole" | "ClusterRoleBinding"
            )
            | ("storage.k8s.io", "StorageClass" | "CSIDriver" | "CSINode")
            | ("networking.k8s.io", "IngressClass")
            | ("scheduling.k8s.io", "PriorityClass")
            | ("apiextensions.k8s.io", "CustomResourceDefinition")
    )
}

/// Whether a kind is a built-in one known to live in a namespace.
fn is_namespaced(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "",
            "Pod"
                | "PodTemplate"
                | "Service"
                | "ConfigMap"
                | "Secret"
                | "ServiceAccount"
                | "Endpoints"
                | "Event"
                | "PersistentVolumeClaim"
                | "ReplicationController"
                | "LimitRange"
                | "ResourceQuota"
        ) | (
            "apps",
            "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" | "ControllerRevision"
        ) | ("batch", "Job" | "CronJob")
            | ("networking.k8s.io", "Ingress" | "NetworkPolicy")
            | ("discovery.k8s.io", "EndpointSlice")
            | ("events.k8s.io", "Event")
            | ("coordination.k8s.io", "Lease")
            | ("policy", "PodDisruptionBudget")
            | ("autoscaling", "HorizontalPodAutoscaler")
            | ("rbac.authorization.k8s.io", "Role" | "RoleBinding")
    )
}

fn path_segment_errors(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if name == "." || name == ".." {
        errs.push(format!("may not be '{name}'"));
    }
    for bad in ["/", "%"] {
        if name.contains(bad) {
            errs.push(format!("may not contain '{bad}'"));
        }
    }
    errs
}

/// `ValidateObjectMeta` with the kind's name rule. The REST layer has already resolved
/// `generateName` and set the namespace from the URL.
pub(crate) fn validate_object_meta(group: &str, kind: &str, object: &Value, causes: &mut Causes) {
    let empty = Value::Object(Map::new());
    let meta = object.get("metadata").unwrap_or(&empty);
    let name = str_at(meta, "name").unwrap_or("");
    if name.is_empty() {
        causes.required(
            "metadata.name".to_string(),
            "name or generateName is required",
        );
    } else {
        let errs = match name_rule(group, kind) {
            NameRule::Subdomain => names::is_dns1123_subdomain(name),
            NameRule::Label => names::is_dns1123_label(name),
            NameRule::Dns1035 => names::is_dns1035_label(name),
            NameRule::PathSegment => path_segment_errors(name),
        };
        causes.invalid_each("metadata.name", name, errs);
    }

    let namespace = str_at(meta, "namespace").unwrap_or("");
    if is_cluster_scoped(group, kind) {
        if !namespace.is_empty() {
            causes.forbidden("metadata.namespace".to_string(), "not allowed on this type");
        }
    } else if namespace.is_empty() {
        // Only kinds known to live in namespaces need one; for any other kind (a custom
        // resource, say) the REST layer knows the scope and has already set or refused it.
        if is_namespaced(group, kind) {
            causes.required("metadata.namespace".to_string(), "");
        }
    } else {
        causes.invalid_each(
            "metadata.namespace",
            namespace,
            names::is_dns1123_label(namespace),
        );
    }

    validate_labels(meta.get("labels"), "metadata.labels", causes);
    validate_annotations(meta.get("annotations"), "metadata.annotations", causes);
    validate_owner_references(meta, causes);
    for finalizer in arr_at(meta, "finalizers") {
        let finalizer = finalizer.as_str().unwrap_or("");
        causes.invalid_each(
            "metadata.finalizers",
            finalizer,
            names::is_qualified_name(finalizer),
        );
    }
}

/// `ValidateLabels`: keys are qualified names, values label values. Every cause names the
/// whole map (`metadata.labels`), as the real ones do.
pub(crate) fn validate_labels(labels: Option<&Value>, field: &str, causes: &mut Causes) {
    let Some(labels) = labels.and_then(Value::as_object) else {
        return;
    };
    for (key, value) in labels {
        causes.invalid_each(field, key, names::is_qualified_name(key));
        let value = value.as_str().unwrap_or("");
        causes.invalid_each(field, value, names::is_valid_label_value(value));
    }
}

/// `ValidateAnnotations`: qualified-name keys (compared in lower case) and 256 KiB in total.
fn validate_annotations(annotations: Option<&Value>, field: &str, causes: &mut Causes) {
    let Some(annotations) = annotations.and_then(Value::as_object) else {
        return;
    };
    let mut total = 0;
    for (key, value) in annotations {
        causes.invalid_each(field, key, names::is_qualified_name(&key.to_lowercase()));
        total += key.len() + value.as_str().map_or(0, str::len);
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        causes.too_long(field.to_string(), TOTAL_ANNOTATION_SIZE_LIMIT);
    }
}

/// `ValidateOwnerReferences`: each reference names an apiVersion, kind, name and uid, and at
/// most one is the controller. The real causes all name the list, not an item.
fn validate_owner_references(meta: &Value, causes: &mut Causes) {
    let field = "metadata.ownerReferences";
    let mut controllers = Vec::new();
    for reference in arr_at(meta, "ownerReferences") {
        let api_version = str_at(reference, "apiVersion").unwrap_or("");
        // The version is what follows the last '/' (`apps/v1`), or the whole of `v1`.
        let version = api_version.rsplit('/').next().unwrap_or("");
        if version.is_empty() {
            causes.invalid(
                format!("{field}.apiVersion"),
                Bad::str(api_version),
                "version must not be empty",
            );
        }
        for (key, what) in [("kind", "kind"), ("name", "name"), ("uid", "uid")] {
            let value = str_at(reference, key).unwrap_or("");
            if value.is_empty() {
                causes.invalid(
                    format!("{field}.{key}"),
                    Bad::str(value),
                    &format!("{what} must not be empty"),
                );
            }
        }
        if reference.get("controller").and_then(Value::as_bool) == Some(true) {
            controllers.push(format!(
                "{}/{}",
                str_at(reference, "kind").unwrap_or(""),
                str_at(reference, "name").unwrap_or("")
            ));
        }
    }
    if controllers.len() > 1 {
        causes.invalid(
            field.to_string(),
            Bad::Go(Value::from(controllers.clone()).to_string()),
            &format!(
                "Only one reference can have Controller set to true. Found \"true\" in references for {}",
                controllers.join(" and ")
            ),
        );
    }
}

/// A JSON string map as the real server prints a bad map value: compact JSON with sorted keys
/// (`{"app":"web","tier":"db"}`), `null` when missing.
pub(crate) fn json_string_map(map: Option<&Value>) -> String {
    let Some(map) = map.and_then(Value::as_object) else {
        return "null".to_string();
    };
    let mut entries: Vec<String> = map
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                Value::from(k.as_str()),
                Value::from(v.as_str().unwrap_or(""))
            )
        })
        .collect();
    entries.sort();
    format!("{{{}}}", entries.join(","))
}

/// A `LabelSelector` as the real server prints it: JSON in field order, empty parts left out
/// (`{"matchLabels":{"app":"web"}}`).
pub(crate) fn json_label_selector(selector: Option<&Value>) -> String {
    let empty = Value::Null;
    let selector = selector.unwrap_or(&empty);
    let mut parts = Vec::new();
    if selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
    {
        parts.push(format!(
            "\"matchLabels\":{}",
            json_string_map(selector.get("matchLabels"))
        ));
    }
    let expressions = arr_at(selector, "matchExpressions");
    if !expressions.is_empty() {
        let items: Vec<String> = expressions
            .iter()
            .map(|e| {
                let mut item = format!(
                    "{{\"key\":{},\"operator\":{}",
                    Value::from(str_at(e, "key").unwrap_or("")),
                    Value::from(str_at(e, "operator").unwrap_or(""))
                );
                let values = arr_at(e, "values");
                if !values.is_empty() {
                    item.push_str(&format!(",\"values\":{}", Value::from(values.to_vec())));
                }
                item.push('}');
                item
            })
            .collect();
        parts.push(format!("\"matchExpressions\":[{}]", items.join(",")));
    }
    format!("{{{}}}", parts.join(","))
}
