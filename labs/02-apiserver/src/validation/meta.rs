//! `metadata` rules shared by every kind (`ValidateObjectMeta`): the name, the namespace,
//! labels, annotations, ownerReferences and finalizers.
//!
//! Also the Go-syntax renderers that causes about whole maps and selectors need: the real
//! message prints the bad value with `%#v`, so a selector mismatch reads
//! `Invalid value: map[string]string{"app":"web"}: ...`.

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
        causes.required("metadata.namespace".to_string(), "");
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
            Bad::Go(format!("[]string{{{}}}", go_strings(&controllers))),
            &format!(
                "Only one reference can have Controller set to true. Found \"true\" in references for {}",
                controllers.join(" and ")
            ),
        );
    }
}

fn go_strings(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A JSON string map in Go's `%#v` form: `map[string]string{"app":"web", "tier":"db"}`, keys
/// sorted (Go's fmt sorts map keys).
pub(crate) fn go_string_map(map: Option<&Value>) -> String {
    let Some(map) = map.and_then(Value::as_object) else {
        return "map[string]string(nil)".to_string();
    };
    let mut entries: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or("")))
        .collect();
    entries.sort();
    format!("map[string]string{{{}}}", entries.join(", "))
}

/// A `LabelSelector` in Go's `%#v` form, as "field is immutable" causes print it.
pub(crate) fn go_label_selector(selector: Option<&Value>) -> String {
    let empty = Value::Null;
    let selector = selector.unwrap_or(&empty);
    let match_labels = match selector.get("matchLabels") {
        Some(labels) if labels.is_object() => go_string_map(Some(labels)),
        _ => "map[string]string(nil)".to_string(),
    };
    let expressions = arr_at(selector, "matchExpressions");
    let match_expressions = if expressions.is_empty() {
        "[]v1.LabelSelectorRequirement(nil)".to_string()
    } else {
        let items: Vec<String> = expressions
            .iter()
            .map(|e| {
                let values: Vec<String> = arr_at(e, "values")
                    .iter()
                    .map(|v| v.as_str().unwrap_or("").to_string())
                    .collect();
                format!(
                    "v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:[]string{{{}}}}}",
                    str_at(e, "key").unwrap_or(""),
                    str_at(e, "operator").unwrap_or(""),
                    go_strings(&values)
                )
            })
            .collect();
        format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
    };
    format!("v1.LabelSelector{{MatchLabels:{match_labels}, MatchExpressions:{match_expressions}}}")
}
