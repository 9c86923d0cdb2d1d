//! Stopgaps until lab 03: the two controllers that let `kubectl delete` return.
//!
//! Some deletions are not finished by the API server but by controllers:
//!
//! - **namespaces**: `DELETE` marks the namespace `Terminating`; the *namespace controller*
//!   deletes everything in it, then removes `kubernetes` from `spec.finalizers` through
//!   `PUT .../finalize`, and only then is the namespace gone;
//! - **foreground and orphan deletion** (`kubectl delete --cascade=foreground|orphan`): the
//!   server adds the `foregroundDeletion` or `orphan` finalizer; the *garbage collector*
//!   deletes the dependents (objects whose `ownerReferences` name the owner's uid) or strips
//!   their owner reference, then removes the finalizer, and the object goes.
//!
//! kubectl waits for the object to disappear, so without those controllers it hangs. Lab 03
//! writes the real ones (informers, work queues, the dependency graph). Until then the server
//! runs [`run`], a deliberately small loop: it scans every resource and does the next step of
//! each pending deletion, again whenever the store has changed (checked every `POLL`) as
//! long as a namespace is terminating or an object waits for its dependents (the
//! `foregroundDeletion` and `orphan` finalizers). When none is, it sleeps until a
//! DELETE leaves an object marked (`ApiState::deletions_pending`): a scan reads every object,
//! so an idle stopgap must cost nothing while clients write. It is a client of the API
//! like any controller: it goes through the same REST handler (`rest::handle`) with the
//! requests a controller would send, so finalizers, preconditions and validation apply.
//! Background deletion of dependents (the garbage collector's default) is left to lab 03.
//! Once lab 03's namespace controller and garbage collector run, turn this off
//! (`--disable-stopgap`, `Config::stopgap`): they do the same work from informers.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use serde_json::{Value, json};

use crate::registry::{self, Resource, Verb};
use crate::rest::{self, ApiState};
use crate::store::Store;

/// How often the loop checks whether the store changed while deletions are pending.
const POLL: Duration = Duration::from_millis(100);

/// Runs until the task is dropped or aborted (the server aborts it when it stops).
pub async fn run(state: ApiState) {
    // One scan at start-up finds the deletions left pending by an earlier run of the server.
    let mut pending = true;
    let mut seen = -1;
    let mut ticker = tokio::time::interval(POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if !pending {
            state.deletions_pending.notified().await;
            seen = -1;
        }
        ticker.tick().await;
        let Ok(revision) = state.store.current_revision().await else {
            continue;
        };
        if revision == seen {
            continue;
        }
        seen = revision;
        let objects = all_objects(&state).await;
        pending = false;
        for (resource, object) in &objects {
            if object.pointer("/metadata/deletionTimestamp").is_none() {
                continue;
            }
            // Pending: what this loop has a next step for. An object held only by someone
            // else's finalizer is theirs to finish, and must not keep the loop scanning.
            if resource.kind == "Namespace" {
                pending = true;
                finalize_namespace(&state, object, &objects).await;
            }
            if has_finalizer(object, "foregroundDeletion") {
                pending = true;
                finish_foreground(&state, resource, object, &objects).await;
            }
            if has_finalizer(object, "orphan") {
                pending = true;
                finish_orphan(&state, resource, object, &objects).await;
            }
        }
    }
}

/// One request to the REST handler; the answer's code and JSON body.
async fn call(
    state: &ApiState,
    method: Method,
    uri: &str,
    body: Option<(&str, Value)>,
) -> (u16, Value) {
    let mut builder = Request::builder().method(method).uri(uri);
    let body = match body {
        Some((content_type, value)) => {
            builder = builder.header("content-type", content_type);
            Body::from(value.to_string())
        }
        None => Body::empty(),
    };
    let Ok(request) = builder.body(body) else {
        return (400, Value::Null);
    };
    let response = rest::handle(State(state.clone()), request).await;
    let code = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// The URL of a resource's collection (all namespaces when `namespace` is `None`) or object.
fn url(resource: &Resource, namespace: Option<&str>, name: Option<&str>) -> String {
    let mut url = if resource.group.is_empty() {
        format!("/api/{}", resource.version)
    } else {
        format!("/apis/{}/{}", resource.group, resource.version)
    };
    if let Some(namespace) = namespace.filter(|_| resource.namespaced) {
        url.push_str(&format!("/namespaces/{namespace}"));
    }
    url.push_str(&format!("/{}", resource.plural));
    if let Some(name) = name {
        url.push_str(&format!("/{name}"));
    }
    url
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn has_finalizer(object: &Value, finalizer: &str) -> bool {
    object
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().any(|f| f.as_str() == Some(finalizer)))
}

/// Every object of every listable resource.
async fn all_objects(state: &ApiState) -> Vec<(&'static Resource, Value)> {
    let mut objects = Vec::new();
    for resource in registry::all().iter().filter(|r| r.allows(Verb::List)) {
        let (code, list) = call(state, Method::GET, &url(resource, None, None), None).await;
        if code != 200 {
            continue;
        }
        for item in list["items"].as_array().into_iter().flatten() {
            objects.push((resource, item.clone()));
        }
    }
    objects
}

/// The objects whose `ownerReferences` name `owner`'s uid.
fn dependents<'a>(
    owner: &Value,
    objects: &'a [(&'static Resource, Value)],
) -> Vec<&'a (&'static Resource, Value)> {
    let uid = text(owner, "/metadata/uid");
    objects
        .iter()
        .filter(|(_, object)| {
            object
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| refs.iter().any(|r| text(r, "/uid") == uid))
        })
        .collect()
}

/// Deletes `object` with the given propagation policy, unless it is already being deleted.
async fn delete(state: &ApiState, resource: &Resource, object: &Value, policy: &str) {
    if object.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let namespace = text(object, "/metadata/namespace");
    let uri = url(
        resource,
        Some(namespace),
        Some(text(object, "/metadata/name")),
    );
    let options = json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy});
    let (code, _) = call(
        state,
        Method::DELETE,
        &uri,
        Some(("application/json", options)),
    )
    .await;
    tracing::debug!(uri, code, "stopgap deleted");
}

/// Removes `finalizer` from `object` with a merge patch that sets the rest of the list; the
/// `resourceVersion` in it makes a concurrent change a conflict, retried at the next scan.
async fn remove_finalizer(state: &ApiState, resource: &Resource, object: &Value, finalizer: &str) {
    let rest: Vec<&Value> = object
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| f.as_str() != Some(finalizer))
        .collect();
    let patch = json!({"metadata": {
        "finalizers": rest,
        "resourceVersion": text(object, "/metadata/resourceVersion"),
    }});
    let namespace = text(object, "/metadata/namespace");
    let uri = url(
        resource,
        Some(namespace),
        Some(text(object, "/metadata/name")),
    );
    let (code, _) = call(
        state,
        Method::PATCH,
        &uri,
        Some(("application/merge-patch+json", patch)),
    )
    .await;
    tracing::debug!(uri, code, finalizer, "stopgap removed a finalizer");
}

// ANCHOR: finalize_namespace
/// The namespace controller's job: delete everything in a terminating namespace; once nothing
/// is left, remove `kubernetes` from `spec.finalizers` (`PUT .../finalize`).
async fn finalize_namespace(
    state: &ApiState,
    namespace: &Value,
    objects: &[(&'static Resource, Value)],
) {
    let name = text(namespace, "/metadata/name");
    let contents: Vec<_> = objects
        .iter()
        .filter(|(resource, object)| {
            resource.namespaced && text(object, "/metadata/namespace") == name
        })
        .collect();
    for (resource, object) in &contents {
        delete(state, resource, object, "Background").await;
    }
    if !contents.is_empty() {
        return; // the next scan checks again
    }
    let mut finalized = namespace.clone();
    let kept: Vec<&Value> = namespace
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| f.as_str() != Some("kubernetes"))
        .collect();
    finalized["spec"]["finalizers"] = json!(kept);
    let uri = format!("/api/v1/namespaces/{name}/finalize");
    let (code, _) = call(
        state,
        Method::PUT,
        &uri,
        Some(("application/json", finalized)),
    )
    .await;
    tracing::debug!(uri, code, "stopgap finalized a namespace");
}
// ANCHOR_END: finalize_namespace

/// The garbage collector's `foregroundDeletion`: delete the dependents (in the foreground too,
/// so a Deployment waits for its ReplicaSets, which wait for their Pods); once none is left,
/// drop the finalizer.
async fn finish_foreground(
    state: &ApiState,
    resource: &Resource,
    owner: &Value,
    objects: &[(&'static Resource, Value)],
) {
    let dependents = dependents(owner, objects);
    for (dependent_resource, dependent) in &dependents {
        delete(state, dependent_resource, dependent, "Foreground").await;
    }
    if dependents.is_empty() {
        remove_finalizer(state, resource, owner, "foregroundDeletion").await;
    }
}

/// The garbage collector's `orphan`: remove the owner's reference from every dependent, then
/// drop the finalizer. The dependents stay.
async fn finish_orphan(
    state: &ApiState,
    resource: &Resource,
    owner: &Value,
    objects: &[(&'static Resource, Value)],
) {
    let uid = text(owner, "/metadata/uid");
    for (dependent_resource, dependent) in dependents(owner, objects) {
        let kept: Vec<&Value> = dependent
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| text(r, "/uid") != uid)
            .collect();
        let patch = json!({"metadata": {
            "ownerReferences": if kept.is_empty() { Value::Null } else { json!(kept) },
            "resourceVersion": text(dependent, "/metadata/resourceVersion"),
        }});
        let namespace = text(dependent, "/metadata/namespace");
        let uri = url(
            dependent_resource,
            Some(namespace),
            Some(text(dependent, "/metadata/name")),
        );
        call(
            state,
            Method::PATCH,
            &uri,
            Some(("application/merge-patch+json", patch)),
        )
        .await;
    }
    remove_finalizer(state, resource, owner, "orphan").await;
}
