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
        if let Some(matching) = query.non_empty("resourceVersionMatch") {
            return Err(invalid_options(
                matching,
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
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

/// The 422 of a forbidden `ListOptions` combination, worded as upstream.
fn invalid_options(value: &str, why: &str) -> Status {
    let cause = StatusCause {
        reason: "FieldValueForbidden".into(),
        message: format!("Forbidden: {why}"),
        field: "resourceVersionMatch".into(),
    };
    let mut status = Status::bad_request(String::new());
    status.code = 422;
    status.reason = "Invalid";
    status.message =
        format!("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: {why}");
    status.details = Some(Box::new(StatusDetails {
        group: "meta.k8s.io".into(),
        kind: "ListOptions".into(),
        causes: vec![cause],
        ..Default::default()
    }));
    tracing::debug!(value, "resourceVersionMatch refused for a watch");
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
