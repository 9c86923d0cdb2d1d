//! The HTTP side of discovery: `/version`, health, `/api`, `/apis`, the per-group-version
//! resource lists, and the OpenAPI documents. [`routes`] adds them all to the router.
//!
//! | URL | answer |
//! | --- | --- |
//! | `/version` | `version.Info` (kubectl's dispatcher picks the client by `minor`) |
//! | `/healthz`, `/livez`, `/readyz` | `ok` |
//! | `/api`, `/apis` | aggregated discovery when `Accept` asks for it, else `APIVersions` / `APIGroupList` |
//! | `/api/v1`, `/apis/<group>/<version>` | `APIResourceList` |
//! | `/apis/<group>` | `APIGroup` |
//! | `/openapi/v3`, `/openapi/v3/<api/v1 \| apis/<g>/<v>>` | the OpenAPI v3 index and documents |
//! | `/openapi/v2` | the protobuf stub kubectl 1.27/1.28 need |
//!
//! Every document depends only on the registry, so the OpenAPI ones, which take a moment to
//! generate, are built once ([`OpenApi`], forced when the router is made) and served as bytes.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, HOST};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::aggregated::{self, Root};
use crate::openapi::{self, ServedResource};
use crate::registry;
use crate::rest::negotiate::{accepted, respond_as};
use crate::rest::{self, ApiState};
use crate::status::Status;

/// Adds the discovery, version, health and OpenAPI routes to `router`. The resource lists
/// (`/api/v1`, `/apis/apps/v1`) share their prefix with the resource URLs, so they are not
/// routes of their own: [`api_or_resource`] sorts them out.
pub fn routes<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    LazyLock::force(&OPENAPI);
    router
        .route("/version", get(version))
        .route("/healthz", get(ok))
        .route("/livez", get(ok))
        .route("/readyz", get(ok))
        .route("/api", get(api))
        .route("/apis", get(apis))
        .route("/openapi/v2", get(openapi_v2))
        .route("/openapi/v3", get(openapi_index))
        .route("/openapi/v3/{*path}", get(openapi_document))
}

/// A JSON answer of a k8s-openapi type.
fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_value(value) {
        Ok(body) => respond_as(StatusCode::OK, &body, "application/json"),
        Err(error) => Status::internal(error).into_response(),
    }
}

async fn version() -> Response {
    json(&super::version_info())
}

async fn ok() -> &'static str {
    "ok"
}

// ANCHOR: negotiate_discovery
/// `/api` or `/apis`: the first media type of `Accept` we can make decides between the
/// aggregated document (its `Content-Type` echoing the version asked for) and the legacy one.
fn discovery(headers: &HeaderMap, root: Root) -> Response {
    for media_type in accepted(headers) {
        if let Some(version) = aggregated::requested_version(&media_type) {
            let document = aggregated::document(root, version);
            return respond_as(
                StatusCode::OK,
                &document,
                &aggregated::content_type(version),
            );
        }
        if media_type.accepts_json() && media_type.param("as").is_none() {
            break;
        }
    }
    match root {
        Root::Api => {
            let address = headers
                .get(HOST)
                .and_then(|host| host.to_str().ok())
                .unwrap_or("127.0.0.1:6443");
            json(&super::api_versions(address))
        }
        Root::Apis => json(&super::api_group_list()),
    }
}
// ANCHOR_END: negotiate_discovery

async fn api(headers: HeaderMap) -> Response {
    discovery(&headers, Root::Api)
}

async fn apis(headers: HeaderMap) -> Response {
    discovery(&headers, Root::Apis)
}

/// The handler of every URL under `/api/` and `/apis/`: a `GET` of `/api/<version>`,
/// `/apis/<group>` or `/apis/<group>/<version>` is discovery; everything else (deeper paths,
/// other methods) is a resource URL for [`rest::handle`].
pub async fn api_or_resource(state: State<ApiState>, request: Request) -> Response {
    if request.method() == Method::GET {
        let segments: Vec<&str> = request.uri().path().trim_matches('/').split('/').collect();
        let list = match segments.as_slice() {
            ["api", version] => Some(super::api_resource_list("", version).map(|l| json(&l))),
            ["apis", group] => Some(super::api_group(group).map(|g| json(&g))),
            ["apis", group, version] => {
                Some(super::api_resource_list(group, version).map(|l| json(&l)))
            }
            _ => None,
        };
        if let Some(answer) = list {
            return answer.unwrap_or_else(|| Status::no_such_path().into_response());
        }
    }
    rest::handle(state, request).await
}

/// The OpenAPI documents, generated once from the registry.
pub struct OpenApi {
    /// `/openapi/v3`, as bytes.
    index: String,
    /// Each group-version's document by its path (`api/v1`, `apis/apps/v1`): bytes and hash.
    documents: BTreeMap<String, (String, String)>,
    /// `/openapi/v2`.
    v2: Vec<u8>,
}

/// The registry as the OpenAPI generator wants it.
pub fn served_resources() -> Vec<ServedResource> {
    registry::all()
        .iter()
        .map(|resource| {
            let mut served = ServedResource::new(
                resource.group,
                resource.version,
                resource.kind,
                resource.plural,
                resource.namespaced,
            );
            served.verbs = resource
                .verbs
                .iter()
                .map(|verb| verb.as_str().to_string())
                .collect();
            let subresources: Vec<&str> = resource.subresources.iter().map(|s| s.name).collect();
            served.with_subresources(&subresources)
        })
        .collect()
}

impl OpenApi {
    fn build() -> OpenApi {
        let resources = served_resources();
        let mut documents = BTreeMap::new();
        for (group, version) in super::group_versions() {
            if let Some(document) = openapi::group_version_document(&resources, group, version) {
                let hash = openapi::document_hash(&document);
                documents.insert(
                    openapi::group_version_path(group, version),
                    (document.to_string(), hash),
                );
            }
        }
        OpenApi {
            index: openapi::index(&resources).to_string(),
            documents,
            v2: openapi::v2_protobuf(openapi::KUBERNETES_VERSION),
        }
    }
}

static OPENAPI: LazyLock<OpenApi> = LazyLock::new(OpenApi::build);

async fn openapi_index() -> Response {
    ([(CONTENT_TYPE, "application/json")], OPENAPI.index.clone()).into_response()
}

/// `/openapi/v3/<gv>?hash=..`: with the current hash the answer may be cached for good.
async fn openapi_document(Path(path): Path<String>, RawQuery(query): RawQuery) -> Response {
    let Some((document, hash)) = OPENAPI.documents.get(path.trim_end_matches('/')) else {
        return Status::no_such_path().into_response();
    };
    let mut response = ([(CONTENT_TYPE, "application/json")], document.clone()).into_response();
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{hash}\"")) {
        headers.insert(ETAG, etag);
    }
    let asked_hash = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|pair| pair == format!("hash={hash}"));
    let cache = if asked_hash {
        "public, immutable"
    } else {
        "no-cache, private"
    };
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

async fn openapi_v2() -> Response {
    (
        [(CONTENT_TYPE, openapi::V2_PROTOBUF_CONTENT_TYPE)],
        OPENAPI.v2.clone(),
    )
        .into_response()
}
