//! Aggregated discovery (`apidiscovery.k8s.io`): every group, version and resource in one
//! document.
//!
//! Legacy discovery costs 2 + N requests (N group-versions). Since Kubernetes 1.26 a client can
//! ask `/api` and `/apis` for everything at once, by naming the kind it wants in `Accept`:
//!
//! ```text
//! kubectl 1.27-1.29: Accept: application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json
//! kubectl 1.30-1.33: Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
//!                            application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json
//! ```
//!
//! The server answers with the first version it serves (v2 and v2beta1 have the same shape) and
//! **must echo the media type in `Content-Type`**: with plain `application/json` kubectl would
//! decode the answer as the legacy `APIGroupList` and find no resources at all ("the server
//! doesn't have a resource type pods"). k8s-openapi has no types for these documents; they are
//! small enough to write as JSON:
//!
//! ```text
//! {"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},
//!  "items":[{"metadata":{"name":"apps"},
//!    "versions":[{"version":"v1","freshness":"Current","resources":[
//!      {"resource":"deployments","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},
//!       "scope":"Namespaced","singularResource":"deployment","verbs":[..],"shortNames":["deploy"],
//!       "categories":["all"],"subresources":[{"subresource":"scale",
//!         "responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},"verbs":[..]}]}]}]}]}
//! ```
//!
//! `/api` answers one item, the core group (name `""`); `/apis` one per named group.

use serde_json::{Value, json};

use super::{group_versions, verb_names};
use crate::registry::{self, Resource};
use crate::rest::negotiate::MediaType;

/// Which half of the API a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `/api`: the core group.
    Api,
    /// `/apis`: the named groups.
    Apis,
}

/// The `apidiscovery.k8s.io` versions served, in order of preference.
pub const VERSIONS: &[&str] = &["v2", "v2beta1"];

/// The aggregated version one of the client's media types asks for, if it is one we serve.
pub fn requested_version(media_type: &MediaType) -> Option<&'static str> {
    VERSIONS.iter().copied().find(|version| {
        media_type.asks_for("APIGroupDiscoveryList", "apidiscovery.k8s.io", &[version])
    })
}

/// The `Content-Type` of an aggregated answer of `version`: the media type the client asked
/// for, echoed.
pub fn content_type(version: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList")
}

/// `{"group":..,"version":..,"kind":..}`.
fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "version": version, "kind": kind})
}

// ANCHOR: resource_discovery
/// One resource's entry (`APIResourceDiscovery`), its subresources nested in it.
fn resource_discovery(resource: &Resource) -> Value {
    // BEGIN SOLUTION step-5: resource, responseKind, scope, singularResource, verbs; shortNames and categories when there are some; each subresource with its own responseKind and verbs
    let mut entry = json!({
        "resource": resource.plural,
        "responseKind": gvk(resource.group, resource.version, resource.kind),
        "scope": if resource.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": resource.singular,
        "verbs": verb_names(resource.verbs),
    });
    if !resource.short_names.is_empty() {
        entry["shortNames"] = json!(resource.short_names);
    }
    if !resource.categories.is_empty() {
        entry["categories"] = json!(resource.categories);
    }
    let subresources: Vec<Value> = resource
        .subresources
        .iter()
        .map(|sub| {
            json!({
                "subresource": sub.name,
                "responseKind": gvk(sub.group, sub.version, sub.kind),
                "verbs": verb_names(sub.verbs),
            })
        })
        .collect();
    if !subresources.is_empty() {
        entry["subresources"] = Value::Array(subresources);
    }
    entry
    // END SOLUTION
}
// ANCHOR_END: resource_discovery

/// The `APIGroupDiscoveryList` of `root`, as `apidiscovery.k8s.io/<version>`.
pub fn document(root: Root, version: &str) -> Value {
    let mut groups: Vec<&str> = Vec::new();
    for (group, _) in group_versions() {
        let wanted = match root {
            Root::Api => group.is_empty(),
            Root::Apis => !group.is_empty(),
        };
        if wanted && !groups.contains(&group) {
            groups.push(group);
        }
    }
    let items: Vec<Value> = groups
        .into_iter()
        .map(|group| {
            let versions: Vec<Value> = group_versions()
                .into_iter()
                .filter(|(g, _)| *g == group)
                .map(|(_, group_version)| {
                    let resources: Vec<Value> = registry::all()
                        .iter()
                        .filter(|r| r.group == group && r.version == group_version)
                        .map(resource_discovery)
                        .collect();
                    json!({"version": group_version, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
        })
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    })
}
