//! REST: the HTTP verbs on the resources of the [registry](crate::registry), over the store.
//!
//! Every Kubernetes URL names a resource and, optionally, a namespace, an object and a
//! subresource:
//!
//! ```text
//! /api/v1/namespaces/default/pods/web/status      core group: /api/<version>
//! /apis/apps/v1/namespaces/default/deployments     other groups: /apis/<group>/<version>
//! /api/v1/nodes/node-1                             cluster-scoped: no namespace segment
//! /api/v1/pods                                     a namespaced resource in all namespaces
//! ```
//!
//! and the HTTP method picks the verb: `POST` a collection is *create*, `GET` an object *get*,
//! `GET` a collection *list*, `PUT` *update*, `DELETE` an object *delete*, `DELETE` a
//! collection *deletecollection*. [`handle`] parses the URL (`path`), picks the verb and calls
//! one function per verb:
//!
//! - `write`: create and update, through the object pipeline of `object` (server-set metadata,
//!   `generation`, the status rule), one defaulting hook (`admission::default_object`) and one
//!   admission hook (`admission::admit`);
//! - `delete`: delete and deletecollection, with finalizers;
//! - `list`: get and list, with paging (`paging`: `limit` and `continue`);
//! - `watch`: `?watch=true`, the streams of change events (step 4);
//! - `body`: reading a request body (JSON or YAML, size limit, unknown fields).
//!
//! Objects are stored as JSON under `store::registry_key(...)`, without their
//! `resourceVersion`: that is the key's `mod_revision`, filled in on the way out (`codec`).

mod admission;
mod binding;
mod body;
mod codec;
mod delete;
mod filter;
mod list;
pub mod namespaces;
pub mod negotiate;
mod object;
mod paging;
mod patch;
mod path;
mod query;
mod scale;
mod service_update;
pub mod services;
mod watch;
mod write;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use labkit::Clock;
use serde_json::Value;

use crate::allocator::{DEFAULT_NODE_PORTS, DEFAULT_SERVICE_CIDR, IpRange, PortRange};
use crate::registry::Verb;
use crate::status::Status;
use crate::store::Backend;

pub use admission::{
    DEFAULT_TOLERATION_SECONDS, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, admit,
    default_object, default_toleration_seconds,
};
pub use path::Target;
pub use query::Query;
pub use watch::{DEFAULT_BOOKMARK_INTERVAL, Shutdown, WatchSettings};

/// What every request handler needs: the store, the clock and the Service allocators.
#[derive(Clone)]
pub struct ApiState {
    /// Where the objects live.
    pub store: Backend,
    /// The wall clock for `creationTimestamp` and `deletionTimestamp` (a `FakeClock` in tests).
    pub clock: Arc<dyn Clock>,
    /// Cluster IPs and node ports for Services (step 6), kept in the same store.
    pub services: Arc<services::ServiceAllocators>,
    /// Watch responses: the bookmark interval and the server's shutdown signal (step 4).
    pub watch: WatchSettings,
    /// Which namespaces exist and which terminate, for `NamespaceLifecycle`; fed by a
    /// reflector while the server runs, and read from the store until then.
    pub namespaces: namespaces::NamespaceCache,
    /// Woken by every DELETE that leaves its object in place, marked (finalizers remain): the
    /// server's `stopgap` loop waits on it to finish namespace and cascading deletions.
    pub deletions_pending: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// A state over `store`, with the system clock and the default Service ranges
    /// ([`crate::allocator::DEFAULT_SERVICE_CIDR`], [`crate::allocator::DEFAULT_NODE_PORTS`]).
    pub fn new(store: Backend) -> Self {
        let ips = IpRange::parse(DEFAULT_SERVICE_CIDR).expect("the default service range parses");
        let ports = PortRange::parse(DEFAULT_NODE_PORTS).expect("the default node ports parse");
        ApiState {
            services: services::ServiceAllocators::new(store.clone(), ips, ports),
            store,
            clock: Arc::new(labkit::SystemClock),
            watch: WatchSettings::default(),
            namespaces: namespaces::NamespaceCache::default(),
            deletions_pending: Arc::default(),
        }
    }

    /// The same state with another clock (a `FakeClock` in tests).
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        ApiState { clock, ..self }
    }

    /// The same state with other Service ranges (`--service-cluster-ip-range`,
    /// `--service-node-port-range`).
    #[must_use]
    pub fn with_service_ranges(self, ips: IpRange, ports: PortRange) -> Self {
        let services = services::ServiceAllocators::new(self.store.clone(), ips, ports);
        ApiState { services, ..self }
    }
}

/// The axum handler for every resource URL (`/api/v1/...` and `/apis/<group>/<version>/...`):
/// parses the URL, picks the verb, answers with an object or a `Status`.
pub async fn handle(State(state): State<ApiState>, request: Request) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let result = dispatch(&state, request).await;
    match result {
        Ok(response) => response,
        Err(status) => {
            tracing::debug!(%method, %uri, code = status.code, reason = status.reason, "refused");
            status.into_response()
        }
    }
}

// ANCHOR: dispatch
/// The verb of a request, from its method and what its URL names.
async fn dispatch(state: &ApiState, request: Request) -> Result<Response, Status> {
    let (parts, body) = request.into_parts();
    let target = path::parse(parts.uri.path())?;
    // Step 7: `log` and `exec` are answered by the kubelet of the pod's node.
    if target
        .subresource
        .is_some_and(|sub| matches!(sub.name, "log" | "exec"))
    {
        return crate::node_proxy::serve(state, &target, parts).await;
    }
    let query = query::Query::parse(parts.uri.query().unwrap_or(""));
    let resource = target.resource;
    let verb = match (&parts.method, &target.name) {
        (&Method::POST, None) => Verb::Create,
        // POST below an object creates in a subresource (`pods/web/binding`).
        (&Method::POST, Some(_)) if target.subresource.is_some() => Verb::Create,
        (&Method::GET, None) if query.flag("watch") => Verb::Watch,
        (&Method::GET, None) => Verb::List,
        (&Method::DELETE, None) => Verb::DeleteCollection,
        (&Method::GET, Some(_)) => Verb::Get,
        (&Method::PUT, Some(_)) => Verb::Update,
        (&Method::PATCH, Some(_)) => Verb::Patch,
        (&Method::DELETE, Some(_)) => Verb::Delete,
        (method, _) => return Err(Status::method_not_allowed(resource, method.as_str())),
    };
    if let Some(sub) = target.subresource {
        if !sub.verbs.contains(&verb) {
            return Err(Status::method_not_allowed(resource, verb.as_str()));
        }
    } else if !resource.allows(verb) {
        return Err(Status::method_not_allowed(resource, verb.as_str()));
    }
    // A namespaced resource without a namespace is the all-namespaces collection: read-only.
    if resource.namespaced
        && target.namespace.is_none()
        && verb != Verb::List
        && verb != Verb::Watch
    {
        return Err(Status::method_not_allowed(resource, verb.as_str()));
    }
    let request = body::RequestBody::new(&parts.headers, body);
    // What a read answers with: the objects, or a Table of them (`kubectl get`).
    let read_as = || negotiate::representation(&parts.headers, query.get("includeObject"));
    match (verb, target.subresource.map(|sub| sub.name)) {
        (Verb::Create, None) => write::create(state, &target, &query, request).await,
        (Verb::Create, Some("binding")) => binding::create(state, &target, request).await,
        (Verb::List, _) => list::list(state, &target, &query, read_as()?).await,
        (Verb::Get, None | Some("status")) => list::get(state, &target, &query, read_as()?).await,
        (Verb::Get, Some("scale")) => scale::get(state, &target).await,
        (Verb::Update, None) => write::update(state, &target, &query, request).await,
        (Verb::Update, Some("status")) => {
            write::update_status(state, &target, &query, request).await
        }
        (Verb::Update, Some("scale")) => scale::update(state, &target, request).await,
        (Verb::Update, Some("finalize")) => write::finalize(state, &target, &query, request).await,
        (Verb::Patch, None) => patch::patch(state, &target, &query, request, false).await,
        (Verb::Patch, Some("status")) => patch::patch(state, &target, &query, request, true).await,
        (Verb::Patch, Some("scale")) => scale::patch(state, &target, &query, request).await,
        (Verb::Delete, None) => delete::delete(state, &target, &query, request).await,
        (Verb::DeleteCollection, _) => {
            delete::delete_collection(state, &target, &query, request).await
        }
        (Verb::Watch, _) => watch::watch(state, &target, &query, &parts.headers).await,
        // The log and exec subresources are step 7; any other subresource URL is not found.
        (_, Some(_)) => Err(Status::no_such_path()),
    }
}
// ANCHOR_END: dispatch

/// An object (or list) answer, with `Warning` headers for what the client should know.
pub(crate) fn respond(code: StatusCode, object: &Value, warnings: &[String]) -> Response {
    let mut response = (code, object.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for warning in warnings {
        // The HTTP Warning header (RFC 7234): code 299 "miscellaneous persistent warning",
        // agent "-", then the text as a quoted string. kubectl prints it as `Warning: <text>`.
        let text = warning.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"{text}\"")) {
            headers.append("warning", value);
        }
    }
    response
}

/// A random `metadata.uid` (for objects the server makes itself).
pub fn new_uid() -> Result<String, Status> {
    object::new_uid()
}

/// The state's clock's time, formatted as Kubernetes timestamps are.
pub fn object_timestamp(state: &ApiState) -> Result<String, Status> {
    object::timestamp(state.clock.wall())
}
