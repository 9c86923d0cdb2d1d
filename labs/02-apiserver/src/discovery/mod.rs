//! Discovery: the documents that tell a client which resources this server has.
//!
//! kubectl knows no resource in advance. Before `kubectl get deploy` it asks the server which
//! group-versions exist and what resources each holds, and only then turns `deploy` into
//! `GET /apis/apps/v1/namespaces/default/deployments`. With no discovery every command but the
//! `create <generator>` ones fails: "couldn't get current server API group list".
//!
//! There are two forms, both made from the [`crate::registry`], the single source of
//! truth (a resource added there is served and discovered at once):
//!
//! - **legacy** (every kubectl): `/api` lists the core versions (`APIVersions`), `/apis` the
//!   named groups (`APIGroupList`), and then one `APIResourceList` per group-version,
//!   `/api/v1` and `/apis/<group>/<version>`, each asked for separately ([`api_versions`],
//!   [`api_group_list`], [`api_group`], [`api_resource_list`]);
//! - **aggregated** (kubectl 1.27+ when the server offers it): `/api` and `/apis` answer, when
//!   `Accept` asks for `as=APIGroupDiscoveryList`, with everything at once: two requests instead
//!   of 2 + N ([`aggregated`]).
//!
//! [`handlers`] serves them, with `/version`, the health endpoints and the OpenAPI documents:
//! everything a client reads before it touches a resource.

pub mod aggregated;
pub mod handlers;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions, GroupVersionForDiscovery,
    ServerAddressByClientCIDR,
};
use k8s_openapi::apimachinery::pkg::version::Info;

use crate::registry::{self, Resource, Verb};

/// The Kubernetes version this server reports at `/version`: the API shapes are 1.33's
/// (k8s-openapi's `v1_33` feature).
///
/// Careful: Google's `/usr/bin/kubectl` is a dispatcher that asks `/version` first and then
/// runs `kubectl.1.<minor>`. Reporting 33 makes plain `kubectl` run kubectl 1.33, which sends
/// protobuf bodies for `kubectl create namespace|deployment` (see `rest::body`).
pub const MINOR: &str = "33";

/// `GET /version`: `apimachinery/pkg/version.Info`.
pub fn version_info() -> Info {
    Info {
        major: "1".into(),
        minor: MINOR.into(),
        git_version: format!("v1.{MINOR}.0-lab"),
        git_commit: "0000000000000000000000000000000000000000".into(),
        git_tree_state: "clean".into(),
        build_date: "2025-01-01T00:00:00Z".into(),
        go_version: "go1.24.0".into(),
        compiler: "gc".into(),
        platform: "linux/amd64".into(),
        ..Info::default()
    }
}

/// The served group-versions, in registry order, each once: `("", "v1")`, `("apps", "v1")`, ...
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut seen: Vec<(&'static str, &'static str)> = Vec::new();
    for resource in registry::all() {
        let group_version = (resource.group, resource.version);
        if !seen.contains(&group_version) {
            seen.push(group_version);
        }
    }
    seen
}

/// `group/version`, or `version` for the core group.
fn group_version_string(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The verbs of a resource or subresource as discovery spells them.
fn verb_names(verbs: &[Verb]) -> Vec<String> {
    verbs.iter().map(|verb| verb.as_str().to_string()).collect()
}

/// `Some(list)` of strings, `None` when empty (discovery leaves empty lists out).
fn non_empty(items: &[&str]) -> Option<Vec<String>> {
    (!items.is_empty()).then(|| items.iter().map(|item| item.to_string()).collect())
}

/// `GET /api`: the core group's versions, and where clients reach the server.
pub fn api_versions(server_address: &str) -> APIVersions {
    APIVersions {
        versions: group_versions()
            .into_iter()
            .filter(|(group, _)| group.is_empty())
            .map(|(_, version)| version.to_string())
            .collect(),
        server_address_by_client_cidrs: vec![ServerAddressByClientCIDR {
            client_cidr: "0.0.0.0/0".into(),
            server_address: server_address.into(),
        }],
    }
}

/// `GET /apis/<group>`: one named group, its versions (the first is the preferred one).
pub fn api_group(name: &str) -> Option<APIGroup> {
    let versions: Vec<GroupVersionForDiscovery> = group_versions()
        .into_iter()
        .filter(|(group, _)| *group == name && !name.is_empty())
        .map(|(group, version)| GroupVersionForDiscovery {
            group_version: group_version_string(group, version),
            version: version.into(),
        })
        .collect();
    let preferred = versions.first().cloned()?;
    Some(APIGroup {
        name: name.into(),
        preferred_version: Some(preferred),
        server_address_by_client_cidrs: None,
        versions,
    })
}

/// `GET /apis`: every named group.
pub fn api_group_list() -> APIGroupList {
    let mut names: Vec<&str> = Vec::new();
    for (group, _) in group_versions() {
        if !group.is_empty() && !names.contains(&group) {
            names.push(group);
        }
    }
    APIGroupList {
        groups: names.into_iter().filter_map(api_group).collect(),
    }
}

// ANCHOR: api_resource_list
/// `GET /api/v1` or `GET /apis/<group>/<version>`: the resources of one group-version, and
/// each subresource as its own entry named `<resource>/<subresource>` (`pods/status`,
/// `deployments/scale`), with the group and version of its kind when they differ (a `Scale`
/// is `autoscaling/v1`). `None` for a group-version that is not served.
pub fn api_resource_list(group: &str, version: &str) -> Option<APIResourceList> {
    let served: Vec<&Resource> = registry::all()
        .iter()
        .filter(|resource| resource.group == group && resource.version == version)
        .collect();
    if served.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for resource in served {
        resources.push(APIResource {
            name: resource.plural.into(),
            singular_name: resource.singular.into(),
            namespaced: resource.namespaced,
            kind: resource.kind.into(),
            verbs: verb_names(resource.verbs),
            short_names: non_empty(resource.short_names),
            categories: non_empty(resource.categories),
            ..APIResource::default()
        });
        for sub in resource.subresources {
            let other_group_version = (sub.group, sub.version) != (group, version);
            resources.push(APIResource {
                name: format!("{}/{}", resource.plural, sub.name),
                singular_name: String::new(),
                namespaced: resource.namespaced,
                group: other_group_version.then(|| sub.group.to_string()),
                version: other_group_version.then(|| sub.version.to_string()),
                kind: sub.kind.into(),
                verbs: verb_names(sub.verbs),
                ..APIResource::default()
            });
        }
    }
    Some(APIResourceList {
        group_version: group_version_string(group, version),
        resources,
    })
}
// ANCHOR_END: api_resource_list
