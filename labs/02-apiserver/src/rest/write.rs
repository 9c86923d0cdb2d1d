//! Create and update: `POST` a collection, `PUT` an object, its `/status` or `/finalize`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::body::{Decoded, RequestBody};
use super::codec::{self, finalizers, is_deleting, meta_str};
use super::path::Target;
use super::query::Query;
use super::service_update::update_with_reservations;
use super::{ApiState, admission, object, respond, services};
use crate::registry::Resource;
use crate::status::Status;
use crate::store::{self, Store, registry_key};

/// How many times a create with `generateName` tries another suffix when the name is taken.
const GENERATE_NAME_ATTEMPTS: usize = 5;

/// `POST` to a collection: the pipeline of a new object, then `store.create`.
pub(crate) async fn create(
    state: &ApiState,
    target: &Target,
    query: &Query,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let Decoded {
        mut object,
        warnings,
    } = body.object(resource, query).await?;
    admission::default_object(resource, &mut object);
    object::set_namespace(resource, &mut object, target.namespace.as_deref())?;
    let namespace = target.namespace.as_deref().filter(|_| resource.namespaced);
    let wanted = meta_str(&object, "name").to_string();
    admission::namespace_lifecycle(state, resource, namespace, &wanted).await?;
    object::prepare_create(&mut object, state.clock.wall())?;
    let generated = wanted.is_empty();
    for _ in 0..GENERATE_NAME_ATTEMPTS {
        let name = object::name_for_create(resource, &mut object)?;
        admission::admit(resource, &mut object, None)?;
        // A Service's addresses are taken after validation and given back if the write fails.
        let allocated = services::allocate(state, resource, &mut object).await?;
        let key = registry_key(resource.storage_name(), namespace, &name);
        let written = state.store.create(&key, codec::encode(&object)).await;
        if written.is_err() {
            services::release(state, allocated).await;
        }
        match written {
            Ok(kv) => {
                codec::set_resource_version(&mut object, kv.mod_revision);
                tracing::info!(resource = %resource.qualified_name(), key, "created");
                return Ok(respond(StatusCode::CREATED, &object, &warnings));
            }
            // A generated name that is taken: draw another suffix.
            Err(store::Error::AlreadyExists { .. }) if generated => {
                codec::metadata_mut(&mut object).remove("name");
            }
            Err(error) => return Err(Status::from_store(error, resource, &name)),
        }
    }
    Err(Status::already_exists(
        resource,
        meta_str(&object, "generateName"),
    ))
}

/// What a guaranteed update did.
pub(crate) enum Updated {
    /// The new object was stored (its `resourceVersion` set).
    Stored(Value),
    /// The update removed the last finalizer of an object being deleted, so it is gone now.
    Deleted(Value),
}

// ANCHOR: guaranteed_update
/// Read, change, write with a revision check, as kube-apiserver's `GuaranteedUpdate`.
///
/// Reads the object at `key`; refuses with 409 if the client sent a `resourceVersion`
/// (`precondition`) and the object has moved on since; lets `change` compute the new object
/// from the stored one; writes it only if the key's `mod_revision` is still the one read.
/// If someone wrote in between, the store says `Conflict`: with a precondition that is the
/// client's 409 ("the object has been modified"); without one the client asked for an
/// unconditional update, so we read again and re-apply `change` to the newer object.
///
/// An object being deleted whose last finalizer the change removed is deleted instead.
pub(crate) async fn guaranteed_update(
    state: &ApiState,
    resource: &Resource,
    key: &str,
    name: &str,
    precondition: Option<i64>,
    mut change: impl FnMut(&Value) -> Result<Value, Status>,
) -> Result<Updated, Status> {
    // BEGIN SOLUTION step-2: optimistic concurrency, retry only unconditional updates
    let refused = |error| Status::from_store(error, resource, name);
    loop {
        let Some(kv) = state.store.get(key).await.map_err(refused)? else {
            return Err(Status::not_found(resource, name));
        };
        if precondition.is_some_and(|expected| expected != kv.mod_revision) {
            return Err(Status::modified(resource, name));
        }
        let old = codec::decode(resource, &kv)?;
        let mut new = change(&old)?;
        let written =
            if is_deleting(&new) && finalizers(&new).is_empty() && !namespace_finalizers_left(&new)
            {
                state
                    .store
                    .delete(key, Some(kv.mod_revision))
                    .await
                    .map(|_| Updated::Deleted(new.clone()))
            } else {
                match state
                    .store
                    .update(key, codec::encode(&new), Some(kv.mod_revision))
                    .await
                {
                    Ok(stored) => {
                        codec::set_resource_version(&mut new, stored.mod_revision);
                        Ok(Updated::Stored(new))
                    }
                    Err(error) => Err(error),
                }
            };
        match written {
            Ok(updated) => return Ok(updated),
            Err(store::Error::Conflict { .. }) if precondition.is_none() => continue,
            Err(error) => return Err(refused(error)),
        }
    }
    // END SOLUTION
}
// ANCHOR_END: guaranteed_update

/// True for a namespace whose `spec.finalizers` (the namespace controller's list, not
/// `metadata.finalizers`) still holds entries: it stays until `/finalize` empties it.
pub(crate) fn namespace_finalizers_left(object: &Value) -> bool {
    object
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|list| !list.is_empty())
        && object.get("kind").and_then(Value::as_str) == Some("Namespace")
}

/// The body's `resourceVersion`, if the client sent one: the precondition of its update.
fn precondition(object: &Value) -> Result<Option<i64>, Status> {
    match meta_str(object, "resourceVersion") {
        "" => Ok(None),
        version => version.parse().map(Some).map_err(|_| {
            Status::bad_request(format!(
                "invalid resourceVersion \"{version}\": not a number"
            ))
        }),
    }
}

/// The body of an update, checked against its URL: name and namespace must match.
async fn read_update(
    target: &Target,
    query: &Query,
    body: RequestBody,
) -> Result<(Decoded, String, Option<i64>), Status> {
    let resource = target.resource;
    let mut decoded = body.object(resource, query).await?;
    admission::default_object(resource, &mut decoded.object);
    let url_name = target.name.clone().unwrap_or_default();
    let body_name = meta_str(&decoded.object, "name");
    if body_name != url_name {
        return Err(Status::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({url_name})"
        )));
    }
    object::set_namespace(resource, &mut decoded.object, target.namespace.as_deref())?;
    let precondition = precondition(&decoded.object)?;
    Ok((decoded, url_name, precondition))
}

fn key_of(target: &Target, name: &str) -> String {
    let namespace = target
        .namespace
        .as_deref()
        .filter(|_| target.resource.namespaced);
    registry_key(target.resource.storage_name(), namespace, name)
}

fn answer(updated: Updated, warnings: &[String]) -> Response {
    match updated {
        Updated::Stored(object) | Updated::Deleted(object) => {
            respond(StatusCode::OK, &object, warnings)
        }
    }
}

/// `PUT` an object: the client's object, with the server's fields and the status kept
/// (`object::prepare_update`), then admission, written with `guaranteed_update`.
pub(crate) async fn update(
    state: &ApiState,
    target: &Target,
    query: &Query,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let (Decoded { object, warnings }, name, precondition) =
        read_update(target, query, body).await?;
    let key = key_of(target, &name);
    let updated = update_with_reservations(
        state,
        resource,
        &key,
        &name,
        precondition,
        |old, reserved| {
            let mut new = object.clone();
            object::prepare_update(resource, &mut new, old)?;
            services::keep_allocations(resource, &mut new, old);
            reserved.fill(resource, &mut new, old)?;
            admission::admit(resource, &mut new, Some(old))?;
            Ok(new)
        },
    )
    .await?;
    if let Updated::Deleted(gone) = &updated {
        services::released(state, resource, gone).await;
    }
    Ok(answer(updated, &warnings))
}

/// `PUT .../status`: only the status changes; everything else stays as stored.
pub(crate) async fn update_status(
    state: &ApiState,
    target: &Target,
    query: &Query,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let (Decoded { object, warnings }, name, precondition) =
        read_update(target, query, body).await?;
    let key = key_of(target, &name);
    let updated = guaranteed_update(state, resource, &key, &name, precondition, |old| {
        let mut new = object::with_status_of(old, &object);
        admission::admit(resource, &mut new, Some(old))?;
        Ok(new)
    })
    .await?;
    Ok(answer(updated, &warnings))
}

/// `PUT /api/v1/namespaces/<name>/finalize`: only `spec.finalizers` changes. The namespace
/// controller (lab 03) calls it once a terminating namespace is empty; when both finalizer
/// lists are then empty, the namespace is deleted.
pub(crate) async fn finalize(
    state: &ApiState,
    target: &Target,
    query: &Query,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let (Decoded { object, warnings }, name, precondition) =
        read_update(target, query, body).await?;
    let key = key_of(target, &name);
    let finalizers = object
        .pointer("/spec/finalizers")
        .cloned()
        .unwrap_or_else(|| json!([]));
    let updated = guaranteed_update(state, resource, &key, &name, precondition, |old| {
        let mut new = old.clone();
        new["spec"]["finalizers"] = finalizers.clone();
        Ok(new)
    })
    .await?;
    Ok(answer(updated, &warnings))
}
