//! The update-only rules: fields that may not change once the object exists ("field is
//! immutable"), and the kinds that freeze most of their spec (Pods, StatefulSets, PVCs, and
//! ConfigMaps or Secrets marked `immutable: true`).

use serde_json::Value;

use super::meta::json_label_selector;
use super::{Bad, Causes, at, str_at};

/// The fields a Pod update may change; the cause lists them in the real words.
const POD_UPDATABLE_FIELDS: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// Every immutability rule for `group`/`kind`, comparing `new` with `old`.
pub(crate) fn validate_immutable(
    group: &str,
    kind: &str,
    new: &Value,
    old: &Value,
    causes: &mut Causes,
) {
    validate_meta_update(new, old, causes);
    match (group, kind) {
        ("apps", "Deployment" | "ReplicaSet" | "DaemonSet") => selector_immutable(new, old, causes),
        ("apps", "StatefulSet") => {
            selector_immutable(new, old, causes);
            stateful_set_spec_frozen(new, old, causes);
        }
        ("batch", "Job") => {
            selector_immutable(new, old, causes);
            let (new_t, old_t) = (
                at(new, &["spec", "template"]),
                at(old, &["spec", "template"]),
            );
            if new_t != old_t {
                // The real cause prints the whole template as JSON.
                let shown = new_t.map(Value::to_string).unwrap_or_default();
                causes.invalid(
                    "spec.template".to_string(),
                    Bad::Go(shown),
                    "field is immutable",
                );
            }
        }
        ("", "Pod") => pod_spec_frozen(new, old, causes),
        ("", "Service") => {
            let new_ip = at(new, &["spec", "clusterIP"])
                .and_then(Value::as_str)
                .unwrap_or("");
            let old_ip = at(old, &["spec", "clusterIP"])
                .and_then(Value::as_str)
                .unwrap_or("");
            let external =
                at(new, &["spec", "type"]).and_then(Value::as_str) == Some("ExternalName");
            // An empty new clusterIP means "keep it": the registry copies the old one over.
            if !old_ip.is_empty() && !new_ip.is_empty() && new_ip != old_ip && !external {
                causes.invalid(
                    "spec.clusterIPs[0]".to_string(),
                    Bad::Go(format!("[{}]", Value::from(new_ip))),
                    "may not change once set",
                );
            }
        }
        ("", "PersistentVolumeClaim") => pvc_spec_frozen(new, old, causes),
        ("", "ConfigMap") => data_frozen(new, old, &["data", "binaryData"], causes),
        ("", "Secret") => {
            let (new_type, old_type) = (str_at(new, "type"), str_at(old, "type"));
            if new_type != old_type {
                causes.invalid(
                    "type".to_string(),
                    Bad::str(new_type.unwrap_or("")),
                    "field is immutable",
                );
            }
            data_frozen(new, old, &["data"], causes);
        }
        _ => {}
    }
}

/// `ValidateObjectMetaUpdate`: name, namespace, uid and creationTimestamp never change.
fn validate_meta_update(new: &Value, old: &Value, causes: &mut Causes) {
    for field in ["name", "namespace", "uid", "creationTimestamp"] {
        let new_value = at(new, &["metadata", field]).and_then(Value::as_str);
        let old_value = at(old, &["metadata", field]).and_then(Value::as_str);
        if let (Some(n), Some(o)) = (new_value, old_value)
            && n != o
        {
            causes.invalid(
                format!("metadata.{field}"),
                Bad::str(n),
                "field is immutable",
            );
        }
    }
}

/// A workload's selector is fixed: changing it would orphan the pods it already owns.
fn selector_immutable(new: &Value, old: &Value, causes: &mut Causes) {
    let new_selector = at(new, &["spec", "selector"]);
    if new_selector != at(old, &["spec", "selector"]) {
        causes.invalid(
            "spec.selector".to_string(),
            Bad::Go(json_label_selector(new_selector)),
            "field is immutable",
        );
    }
}

/// A copy of `object`'s spec with the `allowed` keys removed.
fn spec_without(object: &Value, allowed: &[&str]) -> Value {
    let mut spec = object.get("spec").cloned().unwrap_or(Value::Null);
    if let Some(map) = spec.as_object_mut() {
        for key in allowed {
            map.remove(*key);
        }
    }
    spec
}

fn stateful_set_spec_frozen(new: &Value, old: &Value, causes: &mut Causes) {
    let allowed = [
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    ];
    if spec_without(new, &allowed) != spec_without(old, &allowed) {
        causes.forbidden(
            "spec".to_string(),
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        );
    }
}

/// `ValidatePodUpdate`: copy the allowed changes of `new` onto `old`'s spec; anything still
/// different is forbidden.
fn pod_spec_frozen(new: &Value, old: &Value, causes: &mut Causes) {
    let mut new_spec = new.get("spec").cloned().unwrap_or(Value::Null);
    let old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
    if let (Some(n), Some(o)) = (new_spec.as_object_mut(), old_spec.as_object()) {
        for list in ["containers", "initContainers"] {
            let old_images: Vec<Option<Value>> = o
                .get(list)
                .and_then(Value::as_array)
                .map(|cs| cs.iter().map(|c| c.get("image").cloned()).collect())
                .unwrap_or_default();
            if let Some(containers) = n.get_mut(list).and_then(Value::as_array_mut) {
                for (container, old_image) in containers.iter_mut().zip(&old_images) {
                    if let (Some(c), Some(image)) = (container.as_object_mut(), old_image) {
                        c.insert("image".to_string(), image.clone());
                    }
                }
            }
        }
        // activeDeadlineSeconds may be set, or lowered, never raised or removed.
        let new_deadline = n.get("activeDeadlineSeconds").and_then(Value::as_i64);
        let old_deadline = o.get("activeDeadlineSeconds").and_then(Value::as_i64);
        let deadline_ok = match (new_deadline, old_deadline) {
            (Some(new), None) => new > 0,
            (Some(new), Some(old)) => new > 0 && new <= old,
            (None, None) => true,
            (None, Some(_)) => false,
        };
        if deadline_ok {
            set_or_remove(n, "activeDeadlineSeconds", o.get("activeDeadlineSeconds"));
        }
        // Tolerations may only be added: the old ones must come first, unchanged.
        let old_tolerations = o.get("tolerations").and_then(Value::as_array);
        let new_tolerations = n.get("tolerations").and_then(Value::as_array);
        let only_added = match (new_tolerations, old_tolerations) {
            (Some(new), Some(old)) => new.starts_with(old),
            (_, None) => true,
            (None, Some(old)) => old.is_empty(),
        };
        if only_added {
            set_or_remove(n, "tolerations", o.get("tolerations"));
        }
        let old_grace = o
            .get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64);
        let new_grace = n
            .get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64);
        if old_grace.is_some_and(|g| g < 0) && new_grace == Some(1) {
            set_or_remove(
                n,
                "terminationGracePeriodSeconds",
                o.get("terminationGracePeriodSeconds"),
            );
        }
    }
    if new_spec != old_spec {
        causes.forbidden("spec".to_string(), POD_UPDATABLE_FIELDS);
    }
}

fn set_or_remove(map: &mut serde_json::Map<String, Value>, key: &str, value: Option<&Value>) {
    match value {
        Some(v) => {
            map.insert(key.to_string(), v.clone());
        }
        None => {
            map.remove(key);
        }
    }
}

/// A PVC's spec is fixed but for its storage request and volume attributes class (and the
/// volume name the binder fills in once).
fn pvc_spec_frozen(new: &Value, old: &Value, causes: &mut Causes) {
    let strip = |object: &Value, volume_name: Option<&Value>| {
        let mut spec = object.get("spec").cloned().unwrap_or(Value::Null);
        if let Some(requests) = spec.get_mut("resources").and_then(Value::as_object_mut) {
            requests.remove("requests");
        }
        if let Some(map) = spec.as_object_mut() {
            map.remove("volumeAttributesClassName");
            if let Some(name) = volume_name {
                map.insert("volumeName".to_string(), name.clone());
            }
        }
        spec
    };
    let old_name = at(old, &["spec", "volumeName"])
        .and_then(Value::as_str)
        .unwrap_or("");
    // The binder may set volumeName when it was empty.
    let new_name = at(new, &["spec", "volumeName"]).filter(|_| old_name.is_empty());
    if strip(new, None) != strip(old, new_name) {
        causes.forbidden(
            "spec".to_string(),
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        );
    }
}

/// A ConfigMap or Secret marked `immutable: true` keeps its data and the mark.
fn data_frozen(new: &Value, old: &Value, parts: &[&str], causes: &mut Causes) {
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return;
    }
    let message = "field is immutable when `immutable` is set";
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        causes.forbidden("immutable".to_string(), message);
    }
    for part in parts {
        if new.get(*part) != old.get(*part) {
            causes.forbidden((*part).to_string(), message);
        }
    }
}
