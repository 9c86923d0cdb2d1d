//! The parts operations are made of: query and path parameters, request bodies, responses.
//!
//! The query parameters are those the real server declares for each kind of operation (list,
//! create and replace, patch, delete). kubectl looks at one of them: `fieldValidation` on the
//! PATCH operation of a kind tells it that the server validates fields (see `paths.rs`).

use serde_json::{Map, Value, json};

use super::schemas::{delete_options_name, schema_ref};

/// The query parameters operations declare: name, OpenAPI type, description.
const QUERY_PARAMETERS: &[(&str, &str, &str)] = &[
    (
        "allowWatchBookmarks",
        "boolean",
        "Ask a watch for BOOKMARK events.",
    ),
    (
        "continue",
        "string",
        "The continue token of the previous page of a list.",
    ),
    (
        "dryRun",
        "string",
        "`All`: check and answer the request without storing anything.",
    ),
    (
        "fieldManager",
        "string",
        "Who is making this change, for managedFields.",
    ),
    (
        "fieldValidation",
        "string",
        "Unknown or duplicate fields: Ignore, Warn, or Strict (fail the request).",
    ),
    (
        "fieldSelector",
        "string",
        "Only objects whose fields match, e.g. `metadata.name=web`.",
    ),
    (
        "force",
        "boolean",
        "Apply patches: take over fields owned by other managers.",
    ),
    (
        "gracePeriodSeconds",
        "integer",
        "Seconds before the object is deleted; 0: at once.",
    ),
    (
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        "boolean",
        "Delete an object that cannot be read from storage.",
    ),
    (
        "labelSelector",
        "string",
        "Only objects whose labels match, e.g. `app=web`.",
    ),
    (
        "limit",
        "integer",
        "At most this many objects; the rest comes with `continue`.",
    ),
    (
        "orphanDependents",
        "boolean",
        "Deprecated: use propagationPolicy.",
    ),
    ("pretty", "string", "Indent the output."),
    (
        "propagationPolicy",
        "string",
        "What happens to dependents: Orphan, Background or Foreground.",
    ),
    (
        "resourceVersion",
        "string",
        "Which version of the data a list or watch starts from.",
    ),
    (
        "resourceVersionMatch",
        "string",
        "How resourceVersion applies to a list: Exact or NotOlderThan.",
    ),
    (
        "sendInitialEvents",
        "boolean",
        "Start a watch with the current objects as ADDED events.",
    ),
    (
        "timeoutSeconds",
        "integer",
        "End a list or watch after this many seconds.",
    ),
    ("watch", "boolean", "Stream changes instead of listing."),
];

/// The query parameters of each kind of operation, as upstream declares them.
pub(crate) const LIST: &[&str] = &[
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
];
/// See [`LIST`].
pub(crate) const WRITE: &[&str] = &["dryRun", "fieldManager", "fieldValidation"];
/// See [`LIST`].
pub(crate) const PATCH: &[&str] = &["dryRun", "fieldManager", "fieldValidation", "force"];
/// See [`LIST`].
pub(crate) const DELETE: &[&str] = &[
    "dryRun",
    "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "orphanDependents",
    "propagationPolicy",
];
/// See [`LIST`].
pub(crate) const DELETE_COLLECTION: &[&str] = &[
    "continue",
    "dryRun",
    "fieldSelector",
    "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "labelSelector",
    "limit",
    "orphanDependents",
    "propagationPolicy",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
];

/// A `{name}` or `{namespace}` parameter.
pub(crate) fn path_parameter(name: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "path",
        "description": description,
        "required": true,
        "schema": { "type": "string", "uniqueItems": true },
    })
}

/// The query parameters `names`, from [`QUERY_PARAMETERS`].
pub(crate) fn query(names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .filter_map(|name| QUERY_PARAMETERS.iter().find(|(n, _, _)| n == name))
        .map(|(name, kind, description)| {
            json!({
                "name": name,
                "in": "query",
                "description": description,
                "schema": { "type": kind, "uniqueItems": true },
            })
        })
        .collect()
}

/// The body of a create or replace: an object of the schema `name`.
pub(crate) fn request_body(name: &str) -> Value {
    json!({ "content": { "*/*": { "schema": schema_ref(name) } }, "required": true })
}

/// The optional body of a delete: DeleteOptions.
pub(crate) fn delete_body() -> Value {
    json!({ "content": { "*/*": { "schema": schema_ref(&delete_options_name()) } } })
}

/// Answers with the codes `codes`, each a JSON body of the schema `name`, and 401.
pub(crate) fn responses(codes: &[&str], name: &str) -> Value {
    let mut responses = Map::new();
    for code in codes {
        let description = match *code {
            "201" => "Created",
            "202" => "Accepted",
            _ => "OK",
        };
        responses.insert(
            (*code).to_owned(),
            json!({
                "description": description,
                "content": { "application/json": { "schema": schema_ref(name) } },
            }),
        );
    }
    responses.insert("401".into(), json!({ "description": "Unauthorized" }));
    Value::Object(responses)
}
