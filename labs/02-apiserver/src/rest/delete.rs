//! Delete and deletecollection, with `DeleteOptions` and finalizers.
//!
//! A delete does not always remove the object. If `metadata.finalizers` is not empty, some
//! controller has asked to clean up first (release a volume, delete the dependents): the server
//! only marks the object, setting `metadata.deletionTimestamp`, and answers 202 Accepted. Each
//! controller removes its finalizer with an update when done; the update that removes the last
//! one deletes the object (`write::guaranteed_update`).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::body::RequestBody;
use super::codec::{self, finalizers, is_deleting, meta_str, metadata_mut};
use super::filter::Filter;
use super::path::Target;
use super::query::Query;
use super::write::namespace_finalizers_left;
use super::{ApiState, object, respond, services};
use crate::registry::Resource;
use crate::status::Status;
use crate::store::{self, ListOptions, Store, registry_key, registry_prefix};

/// The parts of a `DeleteOptions` body (or query) the server acts on.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeleteOptions {
    /// `preconditions.uid`: delete only this incarnation of the name.
    pub(crate) uid: Option<String>,
    /// `preconditions.resourceVersion`: delete only if nobody changed it since.
    pub(crate) resource_version: Option<String>,
    /// `propagationPolicy`: `Orphan`, `Background` (default) or `Foreground`. The garbage
    /// collector (lab 03) acts on it; here it becomes the finalizer the collector looks for.
    pub(crate) propagation: Option<String>,
}

impl DeleteOptions {
    /// From the optional JSON body, with `?propagationPolicy=` as a fallback.
    async fn read(query: &Query, body: RequestBody) -> Result<Self, Status> {
        let body = body.value().await?.unwrap_or(Value::Null);
        let text = |pointer: &str| {
            body.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let options = DeleteOptions {
            uid: text("/preconditions/uid"),
            resource_version: text("/preconditions/resourceVersion"),
            propagation: text("/propagationPolicy")
                .or_else(|| query.non_empty("propagationPolicy").map(str::to_string)),
        };
        match options.propagation.as_deref() {
            None | Some("Orphan" | "Background" | "Foreground") => Ok(options),
            Some(other) => Err(Status::bad_request(format!(
                "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            ))),
        }
    }
}

/// What a delete does to one object.
enum Plan {
    /// Remove it from the store now.
    Remove,
    /// Keep it (finalizers remain); store this marked version if it changed.
    Mark { changed: bool },
}

// ANCHOR: plan_delete
/// Decides what deleting `object` means, marking it when it must stay:
///
/// - `propagationPolicy` `Orphan` or `Foreground` adds the garbage collector's finalizer
///   (`orphan`, `foregroundDeletion`) to an object not yet being deleted;
/// - with finalizers (or, for a namespace, `spec.finalizers`) left, the object stays: the
///   first delete sets `deletionTimestamp` (and `deletionGracePeriodSeconds: 0`); a namespace
///   also turns `Terminating`;
/// - without any, it is removed.
fn plan_delete(object: &mut Value, options: &DeleteOptions, now: &str) -> Plan {
    // BEGIN SOLUTION step-2: finalizers keep the object, marked with a deletionTimestamp
    let mut changed = false;
    let mut list = finalizers(object);
    let gc_finalizer = match options.propagation.as_deref() {
        Some("Orphan") => Some("orphan"),
        Some("Foreground") => Some("foregroundDeletion"),
        _ => None,
    };
    if let Some(finalizer) = gc_finalizer
        && !is_deleting(object)
        && !list.iter().any(|f| f == finalizer)
    {
        list.push(finalizer.to_string());
        metadata_mut(object).insert("finalizers".into(), json!(list));
        changed = true;
    }
    if list.is_empty() && !namespace_finalizers_left(object) {
        return Plan::Remove;
    }
    if !is_deleting(object) {
        let metadata = metadata_mut(object);
        metadata.insert("deletionTimestamp".into(), json!(now));
        metadata.insert("deletionGracePeriodSeconds".into(), json!(0));
        if object.get("kind").and_then(Value::as_str) == Some("Namespace") {
            object["status"]["phase"] = json!("Terminating");
        }
        changed = true;
    }
    Plan::Mark { changed }
    // END SOLUTION
}
// ANCHOR_END: plan_delete

/// Deletes the object at `key`: checks the preconditions, plans, then removes or marks it
/// with a revision check (re-reading on a conflict). Returns the object's last state and
/// whether it is gone.
async fn delete_one(
    state: &ApiState,
    resource: &Resource,
    key: &str,
    name: &str,
    options: &DeleteOptions,
) -> Result<(Value, bool), Status> {
    let refused = |error| Status::from_store(error, resource, name);
    let now = object::timestamp(state.clock.wall())?;
    if resource.kind == "Namespace" && resource.group.is_empty() {
        // Before the write, so no create can be admitted by a cache that has not seen it yet.
        state.namespaces.doom(name);
    }
    loop {
        let Some(kv) = state.store.get(key).await.map_err(refused)? else {
            return Err(Status::not_found(resource, name));
        };
        let mut object = codec::decode(resource, &kv)?;
        if let Some(uid) = &options.uid
            && uid != meta_str(&object, "uid")
        {
            let why = format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                meta_str(&object, "uid")
            );
            return Err(Status::conflict(resource, name, &why));
        }
        if let Some(version) = &options.resource_version
            && *version != kv.mod_revision.to_string()
        {
            let why = format!(
                "Precondition failed: ResourceVersion in precondition: {version}, ResourceVersion in object meta: {}",
                kv.mod_revision
            );
            return Err(Status::conflict(resource, name, &why));
        }
        let written = match plan_delete(&mut object, options, &now) {
            Plan::Remove => state
                .store
                .delete(key, Some(kv.mod_revision))
                .await
                .map(|_| true),
            Plan::Mark { changed: false } => Ok(false),
            Plan::Mark { changed: true } => state
                .store
                .update(key, codec::encode(&object), Some(kv.mod_revision))
                .await
                .map(|stored| {
                    codec::set_resource_version(&mut object, stored.mod_revision);
                    false
                }),
        };
        match written {
            Ok(gone) => {
                tracing::info!(resource = %resource.qualified_name(), key, gone, "deleted");
                if gone {
                    services::released(state, resource, &object).await;
                }
                return Ok((object, gone));
            }
            // Someone wrote in between: plan again on the newer object.
            Err(store::Error::Conflict { .. }) => continue,
            Err(error) => return Err(refused(error)),
        }
    }
}

/// `DELETE` an object: 200 with its last state when it is gone, 202 with the marked object
/// when finalizers keep it.
pub(crate) async fn delete(
    state: &ApiState,
    target: &Target,
    query: &Query,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let options = DeleteOptions::read(query, body).await?;
    let name = target.name.clone().unwrap_or_default();
    let namespace = target.namespace.as_deref().filter(|_| resource.namespaced);
    let key = registry_key(resource.storage_name(), namespace, &name);
    let (object, gone) = delete_one(state, resource, &key, &name, &options).await?;
    if !gone {
        state.deletions_pending.notify_one();
    }
    let code = if gone {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok(respond(code, &object, &[]))
}

/// `DELETE` a collection: every object the filter keeps, one by one; answers the list of
/// their last states. Objects that vanish meanwhile are skipped.
pub(crate) async fn delete_collection(
    state: &ApiState,
    target: &Target,
    query: &Query,
    body: RequestBody,
) -> Result<Response, Status> {
    let resource = target.resource;
    let filter = Filter::from_query(resource, query)?;
    let options = DeleteOptions::read(query, body).await?;
    let namespace = target.namespace.as_deref().filter(|_| resource.namespaced);
    let prefix = registry_prefix(resource.storage_name(), namespace);
    let listed = state
        .store
        .list(&prefix, ListOptions::default())
        .await
        .map_err(|error| Status::from_store(error, resource, ""))?;
    let mut items = Vec::new();
    for kv in &listed.items {
        let object = codec::decode(resource, kv)?;
        if !filter.matches(&object) {
            continue;
        }
        let name = meta_str(&object, "name").to_string();
        match delete_one(state, resource, &kv.key, &name, &options).await {
            Ok((object, gone)) => {
                if !gone {
                    state.deletions_pending.notify_one();
                }
                items.push(object);
            }
            Err(status) if status.code == 404 => {}
            Err(status) => return Err(status),
        }
    }
    let list = json!({
        "kind": resource.list_kind(),
        "apiVersion": resource.api_version(),
        "metadata": {"resourceVersion": listed.revision.to_string()},
        "items": items,
    });
    Ok(respond(StatusCode::OK, &list, &[]))
}
