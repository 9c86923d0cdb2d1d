//! PATCH an object or its `/status`: the patch formats of [`crate::patch`] over the store.
//!
//! A PATCH is an update the server computes: read the stored object, apply the body to it,
//! then treat the result exactly like the body of a PUT (unknown fields under
//! `?fieldValidation=`, defaulting, the server's metadata, admission) and write it with the
//! revision it was read at. The client did not name a revision, so on a conflict the server reads
//! again and re-applies the patch (`write::guaranteed_update`): two `kubectl label` commands at
//! once both land. A patch that itself sets `metadata.resourceVersion` is the exception: that is
//! a precondition, and a stale one is the client's 409.
//!
//! Server-side apply (`application/apply-patch+yaml`) also creates: applying to an object that
//! does not exist creates it (201). It requires `?fieldManager=`.

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::body::{RequestBody, typed_object};
use super::codec::meta_str;
use super::path::Target;
use super::query::Query;
use super::service_update::update_with_reservations;
use super::write::Updated;
use super::{ApiState, admission, object, respond, write};
use crate::patch::{
    self, BUILT_IN_PATCH_TYPES, CUSTOM_PATCH_TYPES, PatchError, PatchType, apply_patch,
    is_built_in_group,
};
use crate::registry::Resource;
use crate::status::{Status, StatusCause};
use crate::store::{Store, registry_key};

/// The `Status` of a patch that failed, with the code and reason the real server gives.
pub(crate) fn patch_status(error: &PatchError) -> Status {
    tracing::debug!(%error, "patch refused");
    Status {
        code: error.code(),
        reason: error.reason(),
        message: error.status_message(),
        details: None,
        continue_token: None,
    }
}

/// The patch type of a request, or 415 with the types `resource` accepts.
pub(crate) fn patch_type(resource: &Resource, content_type: &str) -> Result<PatchType, Status> {
    let accepted = if is_built_in_group(resource.group) {
        BUILT_IN_PATCH_TYPES
    } else {
        CUSTOM_PATCH_TYPES
    };
    PatchType::from_content_type(content_type)
        .filter(|patch_type| accepted.contains(&patch_type.content_type()))
        .ok_or_else(|| patch_status(&PatchError::UnsupportedMediaType { accepted }))
}

/// Server-side apply names who applies: `?fieldManager=` is required (422 otherwise).
pub(crate) fn check_field_manager(patch_type: PatchType, query: &Query) -> Result<(), Status> {
    if patch_type != PatchType::Apply || query.non_empty("fieldManager").is_some() {
        return Ok(());
    }
    Err(Status {
        code: 422,
        reason: "Invalid",
        message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(),
        details: Some(Box::new(crate::status::StatusDetails {
            group: "meta.k8s.io".into(),
            kind: "PatchOptions".into(),
            causes: vec![StatusCause {
                reason: "FieldValueRequired".into(),
                message: "Required value: is required for apply patch".into(),
                field: "fieldManager".into(),
            }],
            ..Default::default()
        })),
        continue_token: None,
    })
}

/// A patch that sets `metadata.resourceVersion` asks for that version: 409 when the stored
/// object has moved on.
pub(crate) fn check_patched_version(
    resource: &Resource,
    old: &Value,
    patched: &Value,
) -> Result<(), Status> {
    let wanted = meta_str(patched, "resourceVersion");
    if !wanted.is_empty() && wanted != meta_str(old, "resourceVersion") {
        return Err(Status::modified(resource, meta_str(old, "name")));
    }
    Ok(())
}

// ANCHOR: patch
/// `PATCH` an object (`status: false`) or its `/status` (`status: true`).
pub(crate) async fn patch(
    state: &ApiState,
    target: &Target,
    query: &Query,
    body: RequestBody,
    status: bool,
) -> Result<Response, Status> {
    let resource = target.resource;
    let patch_type = patch_type(resource, body.content_type())?;
    check_field_manager(patch_type, query)?;
    let bytes = body.bytes().await?;
    let name = target.name.clone().unwrap_or_default();
    let namespace = target.namespace.as_deref().filter(|_| resource.namespaced);
    let key = registry_key(resource.storage_name(), namespace, &name);

    if patch_type == PatchType::Apply && !status {
        let exists = state
            .store
            .get(&key)
            .await
            .map_err(|error| Status::from_store(error, resource, &name))?;
        if exists.is_none() {
            return apply_create(state, target, query, &bytes, &name).await;
        }
    }

    let mut warnings = Vec::new();
    let updated = update_with_reservations(state, resource, &key, &name, None, |old, reserved| {
        let patched = apply_patch(patch_type, resource.group, resource.kind, old, &bytes)
            .map_err(|error| patch_status(&error))?;
        check_patched_version(resource, old, &patched)?;
        if meta_str(&patched, "name") != name {
            return Err(Status::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                meta_str(&patched, "name")
            )));
        }
        let decoded = typed_object(resource, query, patched)?;
        warnings = decoded.warnings;
        let mut new = decoded.object;
        if status {
            new = object::with_status_of(old, &new);
        } else {
            admission::default_object(resource, &mut new);
            object::set_namespace(resource, &mut new, target.namespace.as_deref())?;
            object::prepare_update(resource, &mut new, old)?;
            reserved.fill(resource, &mut new, old)?;
        }
        admission::admit(resource, &mut new, Some(old))?;
        Ok(new)
    })
    .await?;
    match updated {
        Updated::Stored(object) | Updated::Deleted(object) => {
            Ok(respond(StatusCode::OK, &object, &warnings))
        }
    }
}
// ANCHOR_END: patch

/// Server-side apply of an object that does not exist yet: create the applied configuration
/// (with the URL's name when it has none), as a POST would, answering 201.
async fn apply_create(
    state: &ApiState,
    target: &Target,
    query: &Query,
    bytes: &Bytes,
    name: &str,
) -> Result<Response, Status> {
    let mut applied = patch::apply::parse_applied(bytes).map_err(|error| patch_status(&error))?;
    let in_body = meta_str(&applied, "name").to_string();
    if in_body.is_empty() {
        applied["metadata"]["name"] = json!(name);
    } else if in_body != name {
        return Err(Status::bad_request(format!(
            "the name of the object ({in_body}) does not match the name on the URL ({name})"
        )));
    }
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let body = RequestBody::new(&headers, Body::from(applied.to_string()));
    write::create(state, target, query, body).await
}
