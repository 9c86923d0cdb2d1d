//! Paths and operations: what kubectl's validation and explain look up.

use lab_02::openapi::{ServedResource, group_version_document};
use serde_json::{Value, json};

use super::{document, served};

const DEPLOYMENT: &str = "/apis/apps/v1/namespaces/{namespace}/deployments/{name}";

/// The names of an operation's parameters that are `in: query`.
fn query_parameters(operation: &Value) -> Vec<&str> {
    operation["parameters"]
        .as_array()
        .map(|parameters| {
            parameters
                .iter()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// kubectl's check (cli-runtime `QueryParamVerifierV3`): is there a path whose PATCH operation
/// is for this kind and declares `fieldValidation` in the query?
fn supports_field_validation(document: &Value, group: &str, version: &str, kind: &str) -> bool {
    let gvk = json!({ "group": group, "version": version, "kind": kind });
    document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .filter_map(|path| path.get("patch"))
        .any(|patch| {
            patch["x-kubernetes-group-version-kind"] == gvk
                && query_parameters(patch).contains(&"fieldValidation")
        })
}

#[test]
fn step5_document_header() {
    let document = document("apps", "v1");
    assert_eq!(document["openapi"], "3.0.0");
    assert_eq!(document["info"]["title"], "Kubernetes");
    assert!(
        document["info"]["version"]
            .as_str()
            .expect("a version")
            .starts_with("v1.")
    );
}

#[test]
fn step5_deployment_patch_names_its_kind_and_field_validation() {
    let document = document("apps", "v1");
    let path = &document["paths"][DEPLOYMENT];
    let patch = &path["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({ "group": "apps", "version": "v1", "kind": "Deployment" })
    );
    assert_eq!(patch["x-kubernetes-action"], "patch");
    assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
    let parameters = query_parameters(patch);
    assert!(parameters.contains(&"fieldValidation"), "{parameters:?}");
    assert!(parameters.contains(&"fieldManager"), "{parameters:?}");
    assert!(
        patch.get("requestBody").is_none(),
        "no request body: kubectl must compute strategic merge patches from its own types"
    );
    // The path's shared parameters name the URL's placeholders.
    let shared: Vec<&str> = path["parameters"]
        .as_array()
        .expect("path parameters")
        .iter()
        .filter(|p| p["in"] == "path")
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(shared, ["name", "namespace"]);
}

#[test]
fn step5_every_served_kind_validates_on_the_server() {
    for resource in served() {
        let document = document(&resource.group, &resource.version);
        assert!(
            supports_field_validation(
                &document,
                &resource.group,
                &resource.version,
                &resource.kind
            ),
            "kubectl would validate {} on the client",
            resource.kind
        );
    }
}

#[test]
fn step5_operations_follow_verbs_and_scope() {
    let apps = document("apps", "v1");
    let collection = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"];
    assert_eq!(collection["get"]["x-kubernetes-action"], "list");
    assert_eq!(collection["post"]["x-kubernetes-action"], "post");
    assert_eq!(
        collection["delete"]["x-kubernetes-action"],
        "deletecollection"
    );
    assert!(query_parameters(&collection["post"]).contains(&"fieldValidation"));
    assert!(query_parameters(&collection["get"]).contains(&"labelSelector"));
    let item = &apps["paths"][DEPLOYMENT];
    for (method, action) in [
        ("get", "get"),
        ("put", "put"),
        ("patch", "patch"),
        ("delete", "delete"),
    ] {
        assert_eq!(item[method]["x-kubernetes-action"], action, "{method}");
    }
    let everywhere = &apps["paths"]["/apis/apps/v1/deployments"];
    assert_eq!(
        everywhere["get"]["operationId"],
        "listAppsV1DeploymentForAllNamespaces"
    );

    let deployment = json!({ "group": "apps", "version": "v1", "kind": "Deployment" });
    let status = &apps["paths"][format!("{DEPLOYMENT}/status")];
    assert_eq!(
        status["patch"]["x-kubernetes-group-version-kind"],
        deployment
    );
    let scale = &apps["paths"][format!("{DEPLOYMENT}/scale")];
    assert_eq!(
        scale["put"]["x-kubernetes-group-version-kind"],
        json!({ "group": "autoscaling", "version": "v1", "kind": "Scale" }),
        "every scale subresource is an autoscaling/v1 Scale"
    );
    assert!(
        apps["paths"]
            .get("/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}/scale")
            .is_none()
    );

    let core = document("", "v1");
    let node = &core["paths"]["/api/v1/nodes/{name}"];
    assert_eq!(node["get"]["operationId"], "readCoreV1Node");
    assert!(
        node["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .all(|p| p["name"] != "namespace"),
        "nodes are cluster-scoped"
    );
    assert!(
        core["paths"]
            .get("/api/v1/namespaces/{namespace}/nodes")
            .is_none()
    );

    // Only the verbs served get operations.
    let mut read_only = ServedResource::new("apps", "v1", "Deployment", "deployments", true);
    read_only.verbs = vec!["get".into(), "list".into()];
    let document = group_version_document(&[read_only], "apps", "v1").expect("served");
    let methods = |path: &str| -> Vec<String> {
        let mut methods: Vec<String> = document["paths"][path]
            .as_object()
            .expect("a path")
            .keys()
            .filter(|k| *k != "parameters")
            .cloned()
            .collect();
        methods.sort();
        methods
    };
    assert_eq!(methods(DEPLOYMENT), ["get"]);
    assert_eq!(
        methods("/apis/apps/v1/namespaces/{namespace}/deployments"),
        ["get"]
    );
}

#[test]
fn step5_unserved_group_version_has_no_document() {
    assert_eq!(group_version_document(&served(), "policy", "v1"), None);
    assert_eq!(group_version_document(&served(), "apps", "v1beta1"), None);
    assert_eq!(group_version_document(&[], "", "v1"), None);
}

#[test]
fn step5_unknown_kind_gets_paths_and_an_open_schema() {
    let widget = ServedResource::new("stable.example.com", "v1", "CronTab", "crontabs", true);
    let document = group_version_document(&[widget], "stable.example.com", "v1").expect("served");
    assert!(supports_field_validation(
        &document,
        "stable.example.com",
        "v1",
        "CronTab"
    ));
    let schema = &document["components"]["schemas"]["com.example.stable.v1.CronTab"];
    assert_eq!(schema["x-kubernetes-preserve-unknown-fields"], true);
    assert_eq!(
        schema["x-kubernetes-group-version-kind"],
        json!([{ "group": "stable.example.com", "version": "v1", "kind": "CronTab" }])
    );
}
