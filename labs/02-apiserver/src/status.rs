//! Kubernetes `Status` errors: every refusal of the API server, as the object clients expect.
//!
//! A Kubernetes API server never answers an error with bare text. It sends a `Status` object
//! (`kind: Status`, `apiVersion: v1`, `status: Failure`) whose `code` repeats the HTTP code,
//! whose `reason` is a machine-readable word (`NotFound`, `AlreadyExists`, `Conflict`,
//! `Invalid`, ...) that clients switch on, and whose `message` is the sentence kubectl prints
//! after `Error from server (<reason>):`. `details` says which object (`name`, `group`, `kind`)
//! and, for `Invalid`, which fields were wrong (`causes`).
//!
//! [`Status`] is that error as a Rust value; each constructor produces one upstream message word
//! for word, and [`axum::response::IntoResponse`] turns it into the HTTP answer.

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::registry::Resource;
use crate::store;

/// The largest request body the server reads, as kube-apiserver's `--max-request-bytes`
/// default (3 MiB). etcd refuses values above 1.5 MiB anyway.
pub const MAX_REQUEST_BYTES: usize = 3 * 1024 * 1024;

/// One reason a field was refused (`details.causes[]` of an `Invalid` status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCause {
    /// Why: `FieldValueInvalid`, `FieldValueRequired`, `FieldValueForbidden`, ...
    pub reason: String,
    /// What is wrong, as a sentence: `Invalid value: "a%b": may not contain '%'`.
    pub message: String,
    /// The path of the field: `metadata.name`, `spec.replicas`.
    pub field: String,
}

/// What a [`Status`] is about (`details`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusDetails {
    /// The object's name, when one object is concerned.
    pub name: String,
    /// The API group of the resource.
    pub group: String,
    /// The resource (`deployments`) or, for `Invalid`, the kind (`Deployment`), as upstream.
    pub kind: String,
    /// Field-level reasons.
    pub causes: Vec<StatusCause>,
    /// How long a client should wait before retrying, for a `Timeout`.
    pub retry_after_seconds: Option<i32>,
}

/// An API error: an HTTP code, a reason and a message, sent as a `Status` object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} ({code}): {message}")]
pub struct Status {
    /// The HTTP status code (repeated as `code` in the body).
    pub code: u16,
    /// The machine-readable reason, such as `NotFound`.
    pub reason: &'static str,
    /// The human-readable sentence.
    pub message: String,
    /// What the error is about, when known (boxed: most errors have none, and a small error
    /// type keeps every `Result` small).
    pub details: Option<Box<StatusDetails>>,
    /// `metadata.continue` of the status: a 410 for an expired continue token carries a token
    /// that continues at the latest revision (an inconsistent, but complete, rest of the list).
    pub continue_token: Option<String>,
}

impl Status {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Status {
            code,
            reason,
            message: message.into(),
            details: None,
            continue_token: None,
        }
    }

    fn about(mut self, resource: &Resource, name: &str) -> Self {
        self.details = Some(Box::new(StatusDetails {
            name: name.to_string(),
            group: resource.group.to_string(),
            kind: resource.plural.to_string(),
            ..StatusDetails::default()
        }));
        self
    }

    /// 400 BadRequest: the request itself is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Status::new(400, "BadRequest", message)
    }

    /// 404 NotFound for an object: `deployments.apps "web" not found`.
    pub fn not_found(resource: &Resource, name: &str) -> Self {
        let message = format!("{} \"{name}\" not found", resource.qualified_name());
        Status::new(404, "NotFound", message).about(resource, name)
    }

    /// 404 NotFound for a URL that names no resource.
    pub fn no_such_path() -> Self {
        Status::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// 409 AlreadyExists: `deployments.apps "web" already exists`.
    pub fn already_exists(resource: &Resource, name: &str) -> Self {
        let message = format!("{} \"{name}\" already exists", resource.qualified_name());
        Status::new(409, "AlreadyExists", message).about(resource, name)
    }

    /// 409 Conflict: `Operation cannot be fulfilled on deployments.apps "web": <why>`.
    pub fn conflict(resource: &Resource, name: &str, why: &str) -> Self {
        let message = format!(
            "Operation cannot be fulfilled on {} \"{name}\": {why}",
            resource.qualified_name()
        );
        Status::new(409, "Conflict", message).about(resource, name)
    }

    /// The 409 of optimistic concurrency: the object changed since the client read it.
    pub fn modified(resource: &Resource, name: &str) -> Self {
        Status::conflict(
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 422 Invalid: `Deployment.apps "web" is invalid: spec.replicas: Invalid value: ...`.
    /// The message lists the causes (in brackets when there are several), as upstream.
    pub fn invalid(resource: &Resource, name: &str, causes: Vec<StatusCause>) -> Self {
        let kind = if resource.group.is_empty() {
            resource.kind.to_string()
        } else {
            format!("{}.{}", resource.kind, resource.group)
        };
        let listed: Vec<String> = causes
            .iter()
            .map(|cause| format!("{}: {}", cause.field, cause.message))
            .collect();
        let listed = match listed.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let mut status = Status::new(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {listed}"),
        );
        status.details = Some(Box::new(StatusDetails {
            name: name.to_string(),
            group: resource.group.to_string(),
            kind: resource.kind.to_string(),
            causes,
            retry_after_seconds: None,
        }));
        status
    }

    /// 403 Forbidden: the NamespaceLifecycle admission refusing a create in a namespace that
    /// is being deleted.
    pub fn namespace_terminating(resource: &Resource, name: &str, namespace: &str) -> Self {
        let message = format!(
            "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
            resource.qualified_name()
        );
        Status::new(403, "Forbidden", message).about(resource, name)
    }

    /// 405 MethodNotAllowed: the resource does not support this verb.
    pub fn method_not_allowed(resource: &Resource, verb: &str) -> Self {
        let message = format!(
            "{verb} is not supported on resources of kind \"{}\"",
            resource.qualified_name()
        );
        Status::new(405, "MethodNotAllowed", message)
    }

    /// 413 RequestEntityTooLarge: the body is above [`MAX_REQUEST_BYTES`].
    pub fn too_large() -> Self {
        Status::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {MAX_REQUEST_BYTES}"),
        )
    }

    /// 415 UnsupportedMediaType: a body in a format the server does not read.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        tracing::debug!(content_type, "unsupported request body format");
        Status::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        )
    }

    /// 410 Expired: the revision asked for is older than the store keeps.
    pub fn expired(message: impl Into<String>) -> Self {
        Status::new(410, "Expired", message)
    }

    /// 504 Timeout: a `resourceVersion` the store has not reached yet.
    pub fn too_large_resource_version(requested: i64, current: i64) -> Self {
        let mut status = Status::new(
            504,
            "Timeout",
            format!("Too large resource version: {requested}, current: {current}"),
        );
        status.details = Some(Box::new(StatusDetails {
            causes: vec![StatusCause {
                reason: "ResourceVersionTooLarge".into(),
                message: "Too large resource version".into(),
                field: String::new(),
            }],
            retry_after_seconds: Some(1),
            ..StatusDetails::default()
        }));
        status
    }

    /// 500 InternalError: a bug or a store answer we cannot use.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Status::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
        )
    }

    // ANCHOR: from_store
    /// The answer to a store error on `name` of `resource` (see `store::Error` for the table).
    pub fn from_store(error: store::Error, resource: &Resource, name: &str) -> Self {
        match error {
            store::Error::NotFound { .. } => Status::not_found(resource, name),
            store::Error::AlreadyExists { .. } => Status::already_exists(resource, name),
            store::Error::Conflict { .. } => Status::modified(resource, name),
            store::Error::Compacted { .. } | store::Error::WatcherTooSlow { .. } => {
                Status::expired("The resourceVersion for the provided list is too old.")
            }
            store::Error::FutureRevision { requested, current } => {
                Status::too_large_resource_version(requested, current)
            }
            store::Error::Unavailable { message, .. } => Status::new(
                503,
                "ServiceUnavailable",
                format!("storage unavailable: {message}"),
            ),
            store::Error::Unexpected(message) => Status::internal(message),
        }
    }
    // ANCHOR_END: from_store

    /// The `Status` object, as JSON.
    pub fn to_json(&self) -> Value {
        let mut object = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(token) = &self.continue_token {
            object["metadata"]["continue"] = json!(token);
        }
        if let Some(details) = &self.details {
            let mut out = Map::new();
            if !details.name.is_empty() {
                out.insert("name".into(), json!(details.name));
            }
            if !details.group.is_empty() {
                out.insert("group".into(), json!(details.group));
            }
            if !details.kind.is_empty() {
                out.insert("kind".into(), json!(details.kind));
            }
            if !details.causes.is_empty() {
                let causes = details.causes.iter().map(|cause| {
                    let mut c = json!({"reason": cause.reason, "message": cause.message});
                    if !cause.field.is_empty() {
                        c["field"] = json!(cause.field);
                    }
                    c
                });
                out.insert("causes".into(), Value::Array(causes.collect()));
            }
            if let Some(seconds) = details.retry_after_seconds {
                out.insert("retryAfterSeconds".into(), json!(seconds));
            }
            object["details"] = Value::Object(out);
        }
        object
    }
}

impl IntoResponse for Status {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.to_json().to_string();
        (code, [(CONTENT_TYPE, "application/json")], body).into_response()
    }
}
