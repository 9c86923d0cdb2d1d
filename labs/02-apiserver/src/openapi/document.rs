//! One group-version's OpenAPI 3.0 document: `GET /openapi/v3/apis/apps/v1`.
//!
//! ```text
//! {"openapi": "3.0.0",
//!  "info": {"title": "Kubernetes", "version": "v1.33.0"},
//!  "paths": {"/apis/apps/v1/namespaces/{namespace}/deployments/{name}": {"patch": {..}, ..}, ..},
//!  "components": {"schemas": {"io.k8s.api.apps.v1.Deployment": {..}, ..}}}
//! ```
//!
//! The real server serves one such document per group-version, so a client downloads only the
//! group-versions it needs; each is self-contained: every `$ref` points into its own
//! `components.schemas`, which is why `ObjectMeta` is in every document.

use serde_json::{Value, json};

use super::{ServedResource, group_versions, paths, schemas};

/// The Kubernetes version the documents describe, in `info.version`: the API shapes are those
/// of k8s-openapi's `v1_33` feature.
pub const KUBERNETES_VERSION: &str = "v1.33.0";

/// The OpenAPI v3 document of `group`/`version` (`""`/`v1` for the core group), describing the
/// resources of `resources` in it; `None` when none is served there (the real server answers 404).
pub fn group_version_document(
    resources: &[ServedResource],
    group: &str,
    version: &str,
) -> Option<Value> {
    let mut served: Vec<&ServedResource> = resources
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if served.is_empty() {
        return None;
    }
    // The same resources in any order make the same document, and so the same hash.
    served.sort_by(|a, b| a.plural.cmp(&b.plural));

    let schemas = schemas::component_schemas(&served, &group_versions(resources));
    let paths = paths::paths(&served);
    Some(json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": KUBERNETES_VERSION },
        "paths": paths,
        "components": { "schemas": schemas },
    }))
}
