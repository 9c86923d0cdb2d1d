//! Step 5, OpenAPI: the documents kubectl downloads before `apply`, `edit`, `create -f` and
//! `explain`, checked the way kubectl reads them.
//!
//! The served resources are the lab's: core/v1, apps/v1, batch/v1, networking.k8s.io/v1,
//! discovery.k8s.io/v1 and coordination.k8s.io/v1 kinds, with the subresources the real server
//! has (`status` on most, `scale` on the scalable workloads).

mod documents;
mod explain;
mod index;
mod refs;
mod v2;

use lab_02::openapi::{ServedResource, group_version_document};
use serde_json::Value;

/// The resources the lab serves.
fn served() -> Vec<ServedResource> {
    let r = ServedResource::new;
    vec![
        r("", "v1", "Pod", "pods", true).with_subresources(&["status"]),
        r("", "v1", "Service", "services", true).with_subresources(&["status"]),
        r("", "v1", "Endpoints", "endpoints", true),
        r("", "v1", "Namespace", "namespaces", false).with_subresources(&["status"]),
        r("", "v1", "Node", "nodes", false).with_subresources(&["status"]),
        r("", "v1", "ConfigMap", "configmaps", true),
        r("", "v1", "Secret", "secrets", true),
        r("", "v1", "Event", "events", true),
        r("", "v1", "ServiceAccount", "serviceaccounts", true),
        r(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
        )
        .with_subresources(&["status"]),
        r("apps", "v1", "Deployment", "deployments", true).with_subresources(&["status", "scale"]),
        r("apps", "v1", "ReplicaSet", "replicasets", true).with_subresources(&["status", "scale"]),
        r("apps", "v1", "DaemonSet", "daemonsets", true).with_subresources(&["status"]),
        r("apps", "v1", "StatefulSet", "statefulsets", true)
            .with_subresources(&["status", "scale"]),
        r(
            "apps",
            "v1",
            "ControllerRevision",
            "controllerrevisions",
            true,
        ),
        r("batch", "v1", "Job", "jobs", true).with_subresources(&["status"]),
        r("batch", "v1", "CronJob", "cronjobs", true).with_subresources(&["status"]),
        r("networking.k8s.io", "v1", "Ingress", "ingresses", true).with_subresources(&["status"]),
        r(
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            true,
        ),
        r("coordination.k8s.io", "v1", "Lease", "leases", true),
    ]
}

/// The group-versions of [`served`].
const GROUP_VERSIONS: [(&str, &str); 6] = [
    ("", "v1"),
    ("apps", "v1"),
    ("batch", "v1"),
    ("coordination.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
    ("networking.k8s.io", "v1"),
];

/// The document of one served group-version.
fn document(group: &str, version: &str) -> Value {
    group_version_document(&served(), group, version).expect("a served group-version")
}

/// The `components.schemas` entry `name` of `document`.
fn schema<'a>(document: &'a Value, name: &str) -> &'a Value {
    let schema = &document["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}
