//! The `scale` subresource: a Deployment, ReplicaSet or StatefulSet seen as an
//! `autoscaling/v1` `Scale`.
//!
//! `kubectl scale deploy web --replicas=4` does not touch the Deployment: it PATCHes
//! `.../deployments/web/scale` with `{"spec":{"replicas":4}}`. A `Scale` is the one view every
//! scalable kind shares, so that kubectl and the horizontal pod autoscaler can scale any of
//! them without knowing its type:
//!
//! ```text
//! {"kind":"Scale","apiVersion":"autoscaling/v1",
//!  "metadata":{"name":"web","namespace":"default","uid":..,"resourceVersion":"42",..},
//!  "spec":{"replicas":4},
//!  "status":{"replicas":2,"selector":"app=web"}}
//! ```
//!
//! The metadata is the parent's (same uid, same `resourceVersion`: a `Scale` is not stored).
//! `spec.replicas` is the parent's `spec.replicas`; `status.replicas` is its
//! `status.replicas`; `status.selector` its `spec.selector` as a label selector string. A write
//! changes only the parent's `spec.replicas`, through the same pipeline as any update
//! (generation, validation), with a revision check.

use axum::http::StatusCode;
use axum::response::Response;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::{Value, json};

use super::body::RequestBody;
use super::codec::{self, meta_str};
use super::patch::{check_field_manager, check_patched_version, patch_status};
use super::path::Target;
use super::query::Query;
use super::write::{Updated, guaranteed_update};
use super::{ApiState, admission, object, respond};
use crate::patch::{PatchError, PatchType, apply_patch};
use crate::registry::Resource;
use crate::selector::Selector;
use crate::status::Status;
use crate::store::{Store, registry_key};

// ANCHOR: scale_of
/// The `autoscaling/v1` `Scale` of a scalable object (as stored, with its `resourceVersion`).
pub(crate) fn scale_of(object: &Value) -> Value {
    // BEGIN SOLUTION step-5: the parent's name, namespace, uid, resourceVersion and creationTimestamp; spec.replicas; status.replicas and the selector as a string
    let metadata = object.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let mut scale_metadata = serde_json::Map::new();
    for field in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(value) = metadata.get(field) {
            scale_metadata.insert(field.into(), value.clone());
        }
    }
    let selector = object
        .pointer("/spec/selector")
        .and_then(|selector| serde_json::from_value::<LabelSelector>(selector.clone()).ok())
        .and_then(|selector| Selector::from_label_selector(Some(&selector)).ok())
        .map(|selector| selector.to_string())
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_metadata,
        "spec": {"replicas": object.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0)},
        "status": {
            "replicas": object.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
            "selector": selector,
        },
    })
    // END SOLUTION
}
// ANCHOR_END: scale_of

/// `spec.replicas` of a `Scale` a client sent or a patch made: a number, or 400/422.
fn wanted_replicas(resource: &Resource, name: &str, scale: &Value) -> Result<i64, Status> {
    match scale.pointer("/spec/replicas") {
        None | Some(Value::Null) => Ok(0),
        Some(value) => value.as_i64().ok_or_else(|| {
            Status::bad_request(format!(
                "Scale in version \"v1\" cannot be handled as a Scale: spec.replicas: {value} is not an integer ({} \"{name}\")",
                resource.qualified_name()
            ))
        }),
    }
}

/// The parent with `spec.replicas` set, through the update pipeline (generation, validation).
fn with_replicas(resource: &Resource, old: &Value, replicas: i64) -> Result<Value, Status> {
    let mut new = old.clone();
    new["spec"]["replicas"] = json!(replicas);
    object::prepare_update(resource, &mut new, old)?;
    admission::admit(resource, &mut new, Some(old))?;
    Ok(new)
}

fn key_of(target: &Target) -> (String, String) {
    let resource = target.resource;
    let name = target.name.clone().unwrap_or_default();
    let namespace = target.namespace.as_deref().filter(|_| resource.namespaced);
    (
        registry_key(resource.storage_name(), namespace, &name),
        name,
    )
}

fn answer(updated: Updated) -> Response {
    match updated {
        Updated::Stored(object) | Updated::Deleted(object) => {
            respond(StatusCode::OK, &scale_of(&object), &[])
        }
    }
}

/// `GET .../scale`.
pub(crate) async fn get(state: &ApiState, target: &Target) -> Result<Response, Status> {
    let resource = target.resource;
    let (key, name) = key_of(target);
    let stored = state
        .store
        .get(&key)
        .await
        .map_err(|error| Status::from_store(error, resource, &name))?;
    let Some(kv) = stored else {
        return Err(Status::not_found(resource, &name));
    };
    Ok(respond(
        StatusCode::OK,
        &scale_of(&codec::decode(resource, &kv)?),
        &[],
    ))
}

/// `PUT .../scale`: a whole `Scale`; its `metadata.resourceVersion`, if set, is a precondition.
pub(crate) async fn update(
    state: &ApiState,
    target: &Target,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let (key, name) = key_of(target);
    let Some(scale) = body.value().await? else {
        return Err(Status::bad_request(
            "the body of the request must be an object",
        ));
    };
    let replicas = wanted_replicas(resource, &name, &scale)?;
    let precondition = match meta_str(&scale, "resourceVersion") {
        "" => None,
        version => Some(version.parse::<i64>().map_err(|_| {
            Status::bad_request(format!(
                "invalid resourceVersion \"{version}\": not a number"
            ))
        })?),
    };
    let updated = guaranteed_update(state, resource, &key, &name, precondition, |old| {
        with_replicas(resource, old, replicas)
    })
    .await?;
    Ok(answer(updated))
}

// ANCHOR: patch_scale
/// `PATCH .../scale`: the patch applies to the `Scale` (not to the parent), then the new
/// `spec.replicas` goes to the parent; re-applied on a conflict, like every patch.
pub(crate) async fn patch(
    state: &ApiState,
    target: &Target,
    query: &Query,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let (key, name) = key_of(target);
    let patch_type = PatchType::from_content_type(body.content_type()).ok_or_else(|| {
        patch_status(&PatchError::UnsupportedMediaType {
            accepted: crate::patch::BUILT_IN_PATCH_TYPES,
        })
    })?;
    check_field_manager(patch_type, query)?;
    let bytes = body.bytes().await?;
    let updated = guaranteed_update(state, resource, &key, &name, None, |old| {
        let scale = scale_of(old);
        let patched = apply_patch(patch_type, "autoscaling", "Scale", &scale, &bytes)
            .map_err(|error| patch_status(&error))?;
        check_patched_version(resource, &scale, &patched)?;
        let replicas = wanted_replicas(resource, &name, &patched)?;
        with_replicas(resource, old, replicas)
    })
    .await?;
    Ok(answer(updated))
}
// ANCHOR_END: patch_scale
