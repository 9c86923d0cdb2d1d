//! A watch request: its query parameters and `Accept` header, checked as kube-apiserver checks
//! them (`ValidateListOptions` for a watch).

use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;

use super::events::Shape;
use crate::registry::Resource;
use crate::rest::filter::Filter;
use crate::rest::query::Query;
use crate::status::{Status, StatusCause, StatusDetails};
use crate::table::IncludeObject;

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// `resourceVersion` unset or `0`: the current objects first, then the changes.
    Current,
    /// `resourceVersion=N`: the changes after revision N.
    After(i64),
}

/// What a watch request asks for.
#[derive(Debug, Clone)]
pub(super) struct WatchRequest {
    /// Where the stream starts (`resourceVersion`).
    pub(super) start: Start,
    /// The label and field selectors.
    pub(super) filter: Filter,
    /// `allowWatchBookmarks=true`.
    pub(super) bookmarks: bool,
    /// `timeoutSeconds`, when given and positive.
    pub(super) timeout: Option<Duration>,
    /// Objects or one-row Tables (the `Accept` header and `includeObject`).
    pub(super) shape: Shape,
}

impl WatchRequest {
    /// From the query parameters and the `Accept` header; the refusals of upstream's
    /// `ValidateListOptions` for a watch.
    pub(super) fn parse(
        resource: &'static Resource,
        query: &Query,
        headers: &HeaderMap,
    ) -> Result<Self, Status> {
        let filter = Filter::from_query(resource, query)?;
        let causes = option_errors(query);
        if !causes.is_empty() {
            return Err(invalid_options(causes));
        }
        let start = match query.non_empty("resourceVersion") {
            None | Some("0") => Start::Current,
            Some(text) => match text.parse::<i64>() {
                Ok(revision) if revision > 0 => Start::After(revision),
                _ => {
                    return Err(Status::bad_request(format!(
                        "invalid resourceVersion \"{text}\": not a number"
                    )));
                }
            },
        };
        let timeout = match query.non_empty("timeoutSeconds") {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(seconds) if seconds > 0 => u64::try_from(seconds).ok().map(Duration::from_secs),
                Ok(_) => None,
                Err(_) => {
                    return Err(Status::bad_request(format!(
                        "invalid timeoutSeconds \"{text}\": not a number"
                    )));
                }
            },
        };
        let shape = if asks_for_table(headers) {
            let include = IncludeObject::from_query(query.get("includeObject"))
                .map_err(|error| Status::bad_request(error.to_string()))?;
            Shape::Table(include)
        } else {
            Shape::Object
        };
        Ok(WatchRequest {
            start,
            filter,
            bookmarks: query.flag("allowWatchBookmarks"),
            timeout,
            shape,
        })
    }
}

/// The errors upstream's `ValidateListOptions` finds in a watch's `resourceVersionMatch` and
/// `sendInitialEvents`, in its order. This server answers as one with the `WatchList` feature
/// off: `sendInitialEvents` is refused (client-go then lists and watches), and
/// `resourceVersionMatch`, which only means something with it, is refused too.
fn option_errors(query: &Query) -> Vec<StatusCause> {
    const NOT_OLDER_THAN: &str = "NotOlderThan";
    let forbidden = |field: &str, why: &str| StatusCause {
        reason: "FieldValueForbidden".into(),
        message: format!("Forbidden: {why}"),
        field: field.into(),
    };
    let send_initial_events = query.non_empty("sendInitialEvents").is_some();
    let matching = query.non_empty("resourceVersionMatch").unwrap_or("");
    let mut causes = Vec::new();
    if send_initial_events {
        if matching != NOT_OLDER_THAN {
            causes.push(forbidden(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        causes.push(forbidden(
            "sendInitialEvents",
            "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
        ));
    }
    if !matching.is_empty() {
        if !send_initial_events {
            causes.push(forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
        }
        if matching != NOT_OLDER_THAN {
            causes.push(StatusCause {
                reason: "FieldValueNotSupported".into(),
                message: format!(
                    "Unsupported value: \"{matching}\": supported values: \"{NOT_OLDER_THAN}\""
                ),
                field: "resourceVersionMatch".into(),
            });
        }
    }
    causes
}

/// The 422 Invalid of refused `ListOptions`: `ListOptions.meta.k8s.io "" is invalid: <field>:
/// <message>`, several causes in brackets, as upstream.
fn invalid_options(causes: Vec<StatusCause>) -> Status {
    let listed: Vec<String> = causes
        .iter()
        .map(|cause| format!("{}: {}", cause.field, cause.message))
        .collect();
    let listed = match listed.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    let mut status = Status::bad_request(String::new());
    status.code = 422;
    status.reason = "Invalid";
    status.message = format!("ListOptions.meta.k8s.io \"\" is invalid: {listed}");
    status.details = Some(Box::new(StatusDetails {
        group: "meta.k8s.io".into(),
        kind: "ListOptions".into(),
        causes,
        ..Default::default()
    }));
    status
}

/// True when the `Accept` header asks for `meta.k8s.io` Tables (`as=Table;g=meta.k8s.io`).
fn asks_for_table(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media_type| {
            let params: Vec<&str> = media_type.split(';').map(str::trim).collect();
            params.contains(&"as=Table") && params.contains(&"g=meta.k8s.io")
        })
}
