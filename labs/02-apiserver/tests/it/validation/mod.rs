//! Step 2: defaulting and validation. Manifests go in as JSON; the tests compare the defaults
//! and every cause (field, reason, message) with what the real API server returns.

mod defaults;
mod message;
mod names;
mod pod;
mod services;
mod update;
mod workloads;

use lab_02::validation::{Cause, default_object, validate_create};
use serde_json::{Value, json};

/// A cause as (field, reason, message).
pub(super) type Expected = (String, &'static str, String);

/// A cause as a tuple, so expected lists read as tables.
pub(super) fn triple(cause: &Cause) -> (String, &'static str, String) {
    (
        cause.field.clone(),
        cause.reason.as_str(),
        cause.message.clone(),
    )
}

/// Defaults `object` like the server does before validating it, then validates it as new.
pub(super) fn create(
    group: &str,
    kind: &str,
    mut object: Value,
) -> Vec<(String, &'static str, String)> {
    default_object(group, kind, &mut object);
    validate_create(group, kind, &object)
        .iter()
        .map(triple)
        .collect()
}

/// An expected cause.
pub(super) fn c(
    field: &str,
    reason: &'static str,
    message: &str,
) -> (String, &'static str, String) {
    (field.to_string(), reason, message.to_string())
}

/// A minimal valid Pod named `web` in `default`.
pub(super) fn pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
    })
}

/// A minimal valid Deployment `web` selecting `app=web`.
pub(super) fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}
            }
        }
    })
}

/// Sets the value at a JSON pointer, creating nothing: the parent must exist.
pub(super) fn set(object: &mut Value, pointer: &str, value: Value) {
    let target = object.pointer_mut(pointer);
    assert!(target.is_some(), "no {pointer} in the fixture");
    if let Some(slot) = target {
        *slot = value;
    }
}
