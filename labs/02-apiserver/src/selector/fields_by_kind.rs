//! Which fields each resource lets clients select on, and how their values are read from an
//! object, as kube-apiserver defines them.
//!
//! Field selectors are not a query language over any field: each resource lists a few fields,
//! chosen because some component needs them (a kubelet lists `pods?fieldSelector=spec.nodeName=
//! <its node>`, `kubectl describe` lists `events?fieldSelector=involvedObject.uid=...`). Two
//! tables in the real server say which, and both are here:
//!
//! - the *field-label conversion* (`AddFieldLabelConversionFunc` in `pkg/apis/*/v1`): which
//!   names a request may use, possibly renamed (pods still accept the old `spec.host`), and the
//!   error for any other name. Its wording differs by resource, and a test pins each one.
//! - the *selectable fields* (`GetAttrs`/`ToSelectableFields` in `pkg/registry`): the value of
//!   each field for one object. Missing values read as "", booleans as `true`/`false`,
//!   counters as numbers (missing counts as `0`).
//!
//! | resource                  | fields besides `metadata.name` and `metadata.namespace`          |
//! | ------------------------- | ----------------------------------------------------------------- |
//! | pods                      | `spec.nodeName` `spec.restartPolicy` `spec.schedulerName` `spec.serviceAccountName` `spec.hostNetwork` `status.phase` `status.podIP` `status.nominatedNodeName` (`status.podIPs` is accepted and always reads "") |
//! | events                    | `involvedObject.{kind,namespace,name,uid,apiVersion,resourceVersion,fieldPath}` `reason` `reportingComponent` `source` `type` |
//! | services                  | `spec.clusterIP` `spec.type`                                     |
//! | secrets                   | `type`                                                            |
//! | replicationcontrollers    | `status.replicas`                                                 |
//! | jobs (batch)              | `status.successful`                                               |
//! | nodes                     | `spec.unschedulable`, and no `metadata.namespace`                 |
//! | namespaces                | `status.phase`, and no `metadata.namespace`                       |
//! | everything else           | only the two `metadata` fields                                    |
//!
//! ReplicaSets are "everything else": their registry computes `status.replicas`, but apps/v1
//! registers no conversion for it, so the real server refuses it (kubernetes/kubernetes#135136).

use serde_json::Value;

use super::error::SelectorError;
use super::field::Fields;

/// The resources whose field selectors differ from the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pod,
    Node,
    ReplicationController,
    Event,
    Namespace,
    Secret,
    Service,
    Job,
    Other,
}

impl Kind {
    fn of(group: &str, resource: &str) -> Kind {
        match (group, resource) {
            ("", "pods") => Kind::Pod,
            ("", "nodes") => Kind::Node,
            ("", "replicationcontrollers") => Kind::ReplicationController,
            ("", "events") => Kind::Event,
            ("", "namespaces") => Kind::Namespace,
            ("", "secrets") => Kind::Secret,
            ("", "services") => Kind::Service,
            ("batch", "jobs") => Kind::Job,
            _ => Kind::Other,
        }
    }

    /// The field names requests may use, besides the ones `convert` renames.
    fn supported(self) -> &'static [&'static str] {
        const META: [&str; 2] = ["metadata.name", "metadata.namespace"];
        match self {
            Kind::Pod => &[
                "metadata.name",
                "metadata.namespace",
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "spec.hostNetwork",
                "status.phase",
                "status.podIP",
                "status.podIPs",
                "status.nominatedNodeName",
            ],
            Kind::Node => &["metadata.name", "spec.unschedulable"],
            Kind::Namespace => &["status.phase", "metadata.name"],
            Kind::ReplicationController => {
                &["metadata.name", "metadata.namespace", "status.replicas"]
            }
            Kind::Event => &[
                "involvedObject.kind",
                "involvedObject.namespace",
                "involvedObject.name",
                "involvedObject.uid",
                "involvedObject.apiVersion",
                "involvedObject.resourceVersion",
                "involvedObject.fieldPath",
                "reason",
                "reportingComponent",
                "source",
                "type",
                "metadata.namespace",
                "metadata.name",
            ],
            Kind::Secret => &["type", "metadata.namespace", "metadata.name"],
            Kind::Service => &[
                "metadata.namespace",
                "metadata.name",
                "spec.clusterIP",
                "spec.type",
            ],
            Kind::Job => &["metadata.name", "metadata.namespace", "status.successful"],
            Kind::Other => &META,
        }
    }
}

/// Checks a field name a request uses against the resource's conversion table and returns the
/// name to select on (`scheme.ConvertFieldLabel`). The error is the real server's, which is
/// worded differently for built-in tables, for jobs, and for resources without a table.
pub fn convert_field_label(
    group: &str,
    resource: &str,
    label: &str,
) -> Result<&'static str, SelectorError> {
    let kind = Kind::of(group, resource);
    if kind == Kind::Pod && label == "spec.host" {
        // Old v1 clients sent spec.host; the server still understands it.
        return Ok("spec.nodeName");
    }
    if let Some(name) = kind.supported().iter().find(|name| **name == label) {
        return Ok(name);
    }
    let message = match kind {
        Kind::Other => format!(
            "\"{label}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        ),
        Kind::Job => format!("field label \"{label}\" not supported for batchv1.Job"),
        _ => format!("field label not supported: {label}"),
    };
    Err(SelectorError::FieldNotSupported { message })
}

/// The selectable fields of one object of the resource, with their values (`GetAttrs`).
pub fn selectable_fields(group: &str, resource: &str, object: &Value) -> Fields {
    let mut fields = Fields::new();
    fields.insert(
        "metadata.name".to_owned(),
        text(object, &["metadata", "name"]),
    );
    fields.insert(
        "metadata.namespace".to_owned(),
        text(object, &["metadata", "namespace"]),
    );
    let mut put = |name: &str, value: String| {
        fields.insert(name.to_owned(), value);
    };
    match Kind::of(group, resource) {
        Kind::Pod => pod_fields(object, &mut put),
        Kind::Node => put(
            "spec.unschedulable",
            boolean(object, &["spec", "unschedulable"]),
        ),
        Kind::Namespace => put("status.phase", text(object, &["status", "phase"])),
        Kind::ReplicationController => {
            put("status.replicas", integer(object, &["status", "replicas"]));
        }
        Kind::Job => put(
            "status.successful",
            integer(object, &["status", "succeeded"]),
        ),
        Kind::Secret => put("type", text(object, &["type"])),
        Kind::Service => {
            put("spec.clusterIP", text(object, &["spec", "clusterIP"]));
            put("spec.type", text(object, &["spec", "type"]));
        }
        Kind::Event => event_fields(object, &mut put),
        Kind::Other => {}
    }
    fields
}

// ANCHOR: pod_fields
/// A pod's selectable fields (`pod.ToSelectableFields`). `spec.hostNetwork` is `false` unless
/// set; `status.podIP` is the first of `status.podIPs` (the server's internal form keeps only
/// the list), falling back to `status.podIP`.
fn pod_fields(pod: &Value, put: &mut impl FnMut(&str, String)) {
    // BEGIN SOLUTION step-3: read the pod's fields from its JSON: four spec strings, spec.hostNetwork as "true"/"false", status.phase and status.nominatedNodeName, and status.podIP from status.podIPs[0].ip (else status.podIP)
    for name in [
        "nodeName",
        "restartPolicy",
        "schedulerName",
        "serviceAccountName",
    ] {
        put(&format!("spec.{name}"), text(pod, &["spec", name]));
    }
    put("spec.hostNetwork", boolean(pod, &["spec", "hostNetwork"]));
    put("status.phase", text(pod, &["status", "phase"]));
    let first_ip = pod
        .pointer("/status/podIPs/0/ip")
        .and_then(Value::as_str)
        .map(str::to_owned);
    put(
        "status.podIP",
        first_ip.unwrap_or_else(|| text(pod, &["status", "podIP"])),
    );
    put(
        "status.nominatedNodeName",
        text(pod, &["status", "nominatedNodeName"]),
    );
    // END SOLUTION
}
// ANCHOR_END: pod_fields

/// A core/v1 event's selectable fields. `source` is `source.component`, or the
/// `reportingComponent` when the event has no source component (newer reporters).
fn event_fields(event: &Value, put: &mut impl FnMut(&str, String)) {
    for name in [
        "kind",
        "namespace",
        "name",
        "uid",
        "apiVersion",
        "resourceVersion",
        "fieldPath",
    ] {
        put(
            &format!("involvedObject.{name}"),
            text(event, &["involvedObject", name]),
        );
    }
    put("reason", text(event, &["reason"]));
    put("type", text(event, &["type"]));
    let reporting = text(event, &["reportingComponent"]);
    let component = text(event, &["source", "component"]);
    put(
        "source",
        if component.is_empty() {
            reporting.clone()
        } else {
            component
        },
    );
    put("reportingComponent", reporting);
}

fn lookup<'a>(object: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(object, |value, key| value.get(key))
}

/// A string field; "" when missing or not a string.
fn text(object: &Value, path: &[&str]) -> String {
    lookup(object, path)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A boolean field as Go prints it; `false` when missing.
fn boolean(object: &Value, path: &[&str]) -> String {
    let value = lookup(object, path)
        .and_then(Value::as_bool)
        .unwrap_or(false);
    value.to_string()
}

/// An integer field as Go's `strconv.Itoa` prints it; `0` when missing.
fn integer(object: &Value, path: &[&str]) -> String {
    let value = lookup(object, path).and_then(Value::as_i64).unwrap_or(0);
    value.to_string()
}
