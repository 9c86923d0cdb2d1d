//! OpenAPI: the schema documents kubectl downloads before `apply`, `edit`, `create -f` and
//! `explain`.
//!
//! kubectl refuses those commands ("failed to download openapi") unless the server describes
//! its API. It reads three things:
//!
//! ```text
//! GET /openapi/v3                      the index: one URL per group-version, with a content hash
//!   {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=9F3A.."},
//!             "apis/apps/v1":{"serverRelativeURL":"/openapi/v3/apis/apps/v1?hash=0C7E.."}}}
//! GET /openapi/v3/apis/apps/v1?hash=.. one group-version's OpenAPI 3.0 document:
//!   paths       one operation per resource and verb, each naming its group-version-kind
//!   components  the schema of every kind and of everything it references, with field docs
//! GET /openapi/v2                      kubectl 1.27/1.28 only: a (nearly empty) protobuf document
//! ```
//!
//! - **Validation**: before `apply`/`create -f`/`edit`/`replace`, kubectl looks for the PATCH
//!   operation of the object's group-version-kind. If that operation lists the `fieldValidation`
//!   query parameter, kubectl trusts the server to check fields: it sends
//!   `?fieldValidation=Strict` and validates nothing itself.
//! - **explain**: `kubectl explain deployment.spec.strategy` finds the kind through the paths'
//!   `x-kubernetes-group-version-kind`, then the schema whose `x-kubernetes-group-version-kind`
//!   list holds that kind, and walks `$ref`s down the fields, printing their `description`s.
//!
//! The schemas are not written by hand: k8s-openapi implements schemars' `JsonSchema` for every
//! type, with the upstream names (`io.k8s.api.apps.v1.Deployment`) and field docs.
//!
//! - [`group_version_document`]: `GET /openapi/v3/<api/v1 | apis/<group>/<version>>`. Start
//!   here (`document.rs`), then `paths.rs` (the operations; `operation.rs` has their
//!   parameters and bodies) and `schemas.rs` (the schemas); `kinds.rs` maps each kind to its
//!   Rust type.
//! - [`index()`] and [`document_hash`]: `GET /openapi/v3`.
//! - [`v2_protobuf`] and [`V2_PROTOBUF_CONTENT_TYPE`]: `GET /openapi/v2`.
//!
//! Every document depends only on its input, so the REST layer builds them once at start-up and
//! serves the cached bytes.

mod document;
mod index;
mod kinds;
mod operation;
mod paths;
mod schemas;
mod v2;

pub use document::{KUBERNETES_VERSION, group_version_document};
pub use index::{document_hash, index};
pub use v2::{V2_PROTOBUF_CONTENT_TYPE, v2_protobuf};

/// The verbs a resource serves when nothing else is said (those of discovery's `verbs`).
pub const STANDARD_VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// One resource the server serves, as the OpenAPI documents describe it: the REST layer's
/// registry turns each of its entries into one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedResource {
    /// The API group; empty for the core group (`v1` Pods, Services, ...).
    pub group: String,
    /// The version within the group, e.g. `v1`.
    pub version: String,
    /// The kind of its objects, e.g. `Deployment`.
    pub kind: String,
    /// The resource name in URLs, e.g. `deployments`.
    pub plural: String,
    /// Whether objects live in a namespace (`/namespaces/{namespace}/...` URLs).
    pub namespaced: bool,
    /// The verbs served, as discovery names them: `get`, `list`, `create`, `update`, `patch`,
    /// `delete`, `deletecollection`, `watch`.
    pub verbs: Vec<String>,
    /// The subresources served, e.g. `status`, `scale`. Only `status` and `scale` are described
    /// in the documents; kubectl reads no others.
    pub subresources: Vec<String>,
}

impl ServedResource {
    /// A resource with the [`STANDARD_VERBS`] and no subresources.
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            plural: plural.to_owned(),
            namespaced,
            verbs: STANDARD_VERBS.iter().map(|v| (*v).to_owned()).collect(),
            subresources: Vec::new(),
        }
    }

    /// The same resource, also serving `subresources` (e.g. `["status", "scale"]`).
    pub fn with_subresources(mut self, subresources: &[&str]) -> Self {
        self.subresources = subresources.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Whether the resource serves `verb`.
    pub(crate) fn serves(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// Whether the resource serves the subresource `name`.
    pub(crate) fn has_subresource(&self, name: &str) -> bool {
        self.subresources.iter().any(|s| s == name)
    }
}

/// A group-version as it appears in URLs: `api/v1` for the core group, `apis/<group>/<version>`
/// for the others. This is also the key of the OpenAPI v3 index.
pub fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The group-versions of `resources`, each once, sorted.
pub(crate) fn group_versions(resources: &[ServedResource]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = resources
        .iter()
        .map(|r| (r.group.clone(), r.version.clone()))
        .collect();
    all.sort();
    all.dedup();
    all
}
