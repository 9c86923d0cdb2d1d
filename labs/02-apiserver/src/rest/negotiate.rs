//! Content negotiation: which representation of an answer the client's `Accept` asks for.
//!
//! One URL, several answers. `GET /apis/apps/v1/namespaces/default/deployments` is a
//! `DeploymentList` for `kubectl get -o yaml`, but `kubectl get` sends
//!
//! ```text
//! Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json
//! ```
//!
//! and wants a `meta.k8s.io/v1` Table. The `Accept` header is a list of media types in order of
//! preference; the parameters `as` (the kind), `g` (its group) and `v` (its version) name a
//! representation other than the resource's own. The server answers with the first one it can
//! make and says which in `Content-Type`, echoing the media type it chose.
//!
//! Discovery negotiates the same way (`as=APIGroupDiscoveryList`, see [`crate::discovery`]).
//! What we cannot make (protobuf, which kubectl 1.32+ lists first) is skipped; when nothing in
//! the list can be made the answer is JSON anyway (the real server would say 406 Not Acceptable;
//! every client we serve lists `application/json` last).

use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::registry::Resource;
use crate::status::Status;
use crate::table::{self, IncludeObject};

/// One media type of an `Accept` header: `application/json;as=Table;v=v1;g=meta.k8s.io`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower-cased: `application/json`.
    pub essence: String,
    /// The parameters, in order, names lower-cased (`as`, `g`, `v`, `q`, ...).
    pub params: Vec<(String, String)>,
}

impl MediaType {
    /// The value of parameter `name`, if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// True for `application/json`, `application/*` and `*/*`: JSON is acceptable.
    pub fn accepts_json(&self) -> bool {
        matches!(
            self.essence.as_str(),
            "application/json" | "application/*" | "*/*"
        )
    }

    /// True when this asks for the kind `as` of `g`/`v` as JSON (`v` any of `versions`).
    pub fn asks_for(&self, kind: &str, group: &str, versions: &[&str]) -> bool {
        self.accepts_json()
            && self.param("as") == Some(kind)
            && self.param("g") == Some(group)
            && self.param("v").is_some_and(|v| versions.contains(&v))
    }
}

/// The media types of the request's `Accept` headers, in the client's order (quality values
/// are not used by Kubernetes clients; they are kept as parameters and ignored).
pub fn accepted(headers: &HeaderMap) -> Vec<MediaType> {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let essence = parts.next()?.trim().to_ascii_lowercase();
            if essence.is_empty() {
                return None;
            }
            let params = parts
                .filter_map(|param| {
                    let (name, value) = param.split_once('=')?;
                    Some((
                        name.trim().to_ascii_lowercase(),
                        value.trim().trim_matches('"').to_string(),
                    ))
                })
                .collect();
            Some(MediaType { essence, params })
        })
        .collect()
}

/// What a get, list or watch answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// The objects themselves (an object, a `<Kind>List`, watch events of objects).
    Object,
    /// A `meta.k8s.io` Table of the objects, of version `version` (`v1` or `v1beta1`), each
    /// row carrying what `include` says.
    Table {
        /// `v1` or `v1beta1`: the Table version the client asked for.
        version: &'static str,
        /// `?includeObject=`.
        include: IncludeObject,
    },
}

/// What a get, list or watch answers with, from its `Accept` header and `?includeObject=`.
/// A client that names no representation (no `as=` parameter anywhere in `Accept`) gets the
/// objects; otherwise [`negotiate`] decides. get and list call this, and so does watch, whose
/// events then carry one-row Tables.
pub fn representation(
    headers: &HeaderMap,
    include_object: Option<&str>,
) -> Result<Representation, Status> {
    let media_types = accepted(headers);
    if media_types
        .iter()
        .all(|media_type| media_type.param("as").is_none())
    {
        return Ok(Representation::Object);
    }
    negotiate(&media_types, include_object)
}

// ANCHOR: negotiate
/// The representation the client's media types (`Accept`, in order) ask for: the first one we
/// can make wins. `application/json;as=Table;g=meta.k8s.io` with `v=v1` or `v=v1beta1` is a
/// Table of that version, whose rows carry what `include_object` says (`None`, `Metadata`, the
/// default, or `Object`; anything else is a 400); JSON without `as=` (or `*/*`) is the objects
/// themselves; anything else (protobuf, another `as=`) is skipped. When nothing fits, the
/// objects (JSON) too.
pub fn negotiate(
    media_types: &[MediaType],
    include_object: Option<&str>,
) -> Result<Representation, Status> {
    // BEGIN SOLUTION step-5: the first media type that asks for a Table (v1 or v1beta1) or for plain JSON decides; includeObject only matters for a Table
    for media_type in media_types {
        if media_type.asks_for("Table", "meta.k8s.io", &["v1", "v1beta1"]) {
            let version = if media_type.param("v") == Some("v1") {
                "v1"
            } else {
                "v1beta1"
            };
            let include = IncludeObject::from_query(include_object)
                .map_err(|error| Status::bad_request(error.to_string()))?;
            return Ok(Representation::Table { version, include });
        }
        if media_type.accepts_json() && media_type.param("as").is_none() {
            return Ok(Representation::Object);
        }
    }
    Ok(Representation::Object)
    // END SOLUTION
}
// ANCHOR_END: negotiate

impl Representation {
    /// The `Content-Type` of an answer in this representation.
    pub fn content_type(self) -> &'static str {
        match self {
            Representation::Object => "application/json",
            Representation::Table { version: "v1", .. } => {
                "application/json;as=Table;v=v1;g=meta.k8s.io"
            }
            Representation::Table { .. } => "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
        }
    }

    /// `objects` of `resource` as this representation asks: for a Table, the Table of them (its
    /// `metadata` empty: the caller sets `resourceVersion` and `continue`); for objects, `None`
    /// (the caller answers with the objects as they are). `now` is the time ages are computed at.
    pub fn table(
        self,
        resource: &Resource,
        objects: &[Value],
        now: Timestamp,
    ) -> Result<Option<Value>, Status> {
        let Representation::Table { version, include } = self else {
            return Ok(None);
        };
        let mut table = table::table(resource.group, resource.plural, objects, include, now)
            .map_err(Status::internal)?;
        table["apiVersion"] = Value::String(format!("meta.k8s.io/{version}"));
        Ok(Some(table))
    }
}

/// A 200 answer with `body` and `content_type` (one of [`Representation::content_type`], or a
/// discovery media type).
pub fn respond_as(code: StatusCode, body: &Value, content_type: &str) -> Response {
    let mut response = (code, body.to_string()).into_response();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

/// The current time of `clock` as a timestamp, for table ages.
pub(crate) fn now(clock: &dyn labkit::Clock) -> Timestamp {
    let since_epoch = clock
        .wall()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(0);
    let nanos = i32::try_from(since_epoch.subsec_nanos()).unwrap_or(0);
    Timestamp::new(seconds, nanos).unwrap_or(Timestamp::UNIX_EPOCH)
}
