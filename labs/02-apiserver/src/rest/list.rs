//! Get and list: `GET` an object or a collection.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::filter::Filter;
use super::negotiate::{self, Representation};
use super::paging::{ListRequest, ReadAt, read_list};
use super::path::Target;
use super::query::Query;
use super::{ApiState, codec, respond};
use crate::registry::Resource;
use crate::status::Status;
use crate::store::{Store, registry_key};

/// Refuses a `resourceVersion` the store has not reached (504, as upstream after its wait).
async fn check_not_in_future(
    state: &ApiState,
    resource: &Resource,
    requested: i64,
) -> Result<(), Status> {
    let current = state
        .store
        .current_revision()
        .await
        .map_err(|error| Status::from_store(error, resource, ""))?;
    if requested > current {
        return Err(Status::too_large_resource_version(requested, current));
    }
    Ok(())
}

/// `GET` one object (also its `/status`: the same object). `?resourceVersion=N` asks for a
/// version at least that new; the store always has the latest, so only a future N is refused.
/// `as` is the representation the client asked for (a one-row Table for `kubectl get`).
pub(crate) async fn get(
    state: &ApiState,
    target: &Target,
    query: &Query,
    as_: Representation,
) -> Result<Response, Status> {
    let resource = target.resource;
    let name = target.name.clone().unwrap_or_default();
    if let Some(text) = query.non_empty("resourceVersion") {
        let requested: i64 = text.parse().map_err(|_| {
            Status::bad_request(format!("invalid resourceVersion \"{text}\": not a number"))
        })?;
        check_not_in_future(state, resource, requested).await?;
    }
    let namespace = target.namespace.as_deref().filter(|_| resource.namespaced);
    let key = registry_key(resource.storage_name(), namespace, &name);
    let stored = state
        .store
        .get(&key)
        .await
        .map_err(|error| Status::from_store(error, resource, &name))?;
    let Some(kv) = stored else {
        return Err(Status::not_found(resource, &name));
    };
    let object = codec::decode(resource, &kv)?;
    answer(state, resource, as_, &object, std::slice::from_ref(&object))
}

/// Answers `body` (an object, or a list whose `items` are `objects`), or, when the client
/// asked for a Table, the Table of `objects` with `body`'s `resourceVersion` and `continue`.
fn answer(
    state: &ApiState,
    resource: &Resource,
    as_: Representation,
    body: &Value,
    objects: &[Value],
) -> Result<Response, Status> {
    let Some(mut table) = as_.table(resource, objects, negotiate::now(state.clock.as_ref()))?
    else {
        return Ok(respond(StatusCode::OK, body, &[]));
    };
    for field in ["resourceVersion", "continue"] {
        if let Some(value) = body.pointer(&format!("/metadata/{field}")) {
            table["metadata"][field] = value.clone();
        }
    }
    Ok(negotiate::respond_as(
        StatusCode::OK,
        &table,
        as_.content_type(),
    ))
}

/// `GET` a collection: a `<Kind>List` of one page, with the list's `resourceVersion` (the
/// revision to watch from) and `continue` when more remain.
pub(crate) async fn list(
    state: &ApiState,
    target: &Target,
    query: &Query,
    as_: Representation,
) -> Result<Response, Status> {
    let resource = target.resource;
    let filter = Filter::from_query(resource, query)?;
    let request = ListRequest::from_query(query)?;
    if let ReadAt::NotOlderThan(requested) = request.read_at {
        check_not_in_future(state, resource, requested).await?;
    }
    let namespace = target.namespace.as_deref().filter(|_| resource.namespaced);
    let page = read_list(state, resource, namespace, &request, &filter).await?;
    let mut metadata = json!({"resourceVersion": page.revision.to_string()});
    if let Some(token) = page.continue_token {
        metadata["continue"] = Value::String(token);
    }
    if matches!(as_, Representation::Table { .. }) {
        let head = json!({"metadata": metadata});
        return answer(state, resource, as_, &head, &page.items);
    }
    let list = json!({
        "kind": resource.list_kind(),
        "apiVersion": resource.api_version(),
        "metadata": metadata,
        "items": page.items,
    });
    Ok(respond(StatusCode::OK, &list, &[]))
}
