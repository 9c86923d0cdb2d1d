//! The `pods/binding` subresource: how the scheduler assigns a Pod to a node.
//!
//! The scheduler (lab 04) does not update Pods. It POSTs a `v1` `Binding` to the Pod's
//! `binding` subresource:
//!
//! ```text
//! POST /api/v1/namespaces/default/pods/web/binding
//! {"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},"target":{"kind":"Node","name":"node-1"}}
//! ```
//!
//! and the server sets `spec.nodeName` (plus the `PodScheduled` condition). A Pod is bound once:
//! if `spec.nodeName` is already set, or the Pod is being deleted, the binding is a 409 Conflict.
//! Two schedulers racing for one Pod thus cannot both win: the revision check of the update
//! makes the second one read the bound Pod and fail. The answer is a `Status` of success, 201.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::body::RequestBody;
use super::codec::{is_deleting, meta_str};
use super::path::Target;
use super::write::guaranteed_update;
use super::{ApiState, object, respond};
use crate::status::{Status, StatusCause};
use crate::store::registry_key;

// ANCHOR: bind
/// `POST pods/<name>/binding`.
pub(crate) async fn create(
    state: &ApiState,
    target: &Target,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let name = target.name.clone().unwrap_or_default();
    let Some(binding) = body.value().await? else {
        return Err(Status::bad_request(
            "the body of the request must be an object",
        ));
    };
    let in_body = meta_str(&binding, "name");
    if !in_body.is_empty() && in_body != name {
        return Err(Status::bad_request(
            "name in URL does not match name in Binding object",
        ));
    }
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if node.is_empty() {
        return Err(Status::invalid(
            resource,
            &name,
            vec![StatusCause {
                reason: "FieldValueRequired".into(),
                message: "Required value".into(),
                field: "target.name".into(),
            }],
        ));
    }
    let conflict = |why: String| {
        let mut status = Status::conflict(resource, &name, &why);
        status.message = format!("Operation cannot be fulfilled on pods/binding \"{name}\": {why}");
        status
    };
    let now = object::timestamp(state.clock.wall())?;
    let namespace = target.namespace.as_deref();
    let key = registry_key(resource.storage_name(), namespace, &name);
    guaranteed_update(state, resource, &key, &name, None, |old| {
        if is_deleting(old) {
            return Err(conflict(format!(
                "pod {name} is being deleted, cannot be assigned to a host"
            )));
        }
        let bound = old
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !bound.is_empty() {
            return Err(conflict(format!(
                "pod {name} is already assigned to node \"{bound}\""
            )));
        }
        let mut new = old.clone();
        new["spec"]["nodeName"] = json!(node);
        set_scheduled_condition(&mut new, &now);
        Ok(new)
    })
    .await?;
    let success = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    });
    Ok(respond(StatusCode::CREATED, &success, &[]))
}
// ANCHOR_END: bind

/// Sets the Pod's `PodScheduled` condition to `True`, as the binding registry does.
fn set_scheduled_condition(pod: &mut Value, now: &str) {
    let condition = json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now});
    if !pod["status"].is_object() {
        pod["status"] = json!({});
    }
    let conditions = &mut pod["status"]["conditions"];
    if !conditions.is_array() {
        *conditions = json!([]);
    }
    if let Some(list) = conditions.as_array_mut() {
        list.retain(|c| c.get("type").and_then(Value::as_str) != Some("PodScheduled"));
        list.push(condition);
    }
}
