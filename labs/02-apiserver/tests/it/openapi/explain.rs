//! What `kubectl explain` reads: kinds on the schemas, field docs, `$ref`s to follow.

use serde_json::{Value, json};

use super::{document, schema, served};

/// The schema name a field's schema refers to: `{"allOf": [{"$ref": ..}]}` or a bare `$ref`.
fn referenced(field: &Value) -> Option<&str> {
    let reference = field["allOf"][0]["$ref"]
        .as_str()
        .or(field["$ref"].as_str())?;
    reference.strip_prefix("#/components/schemas/")
}

#[test]
fn step5_deployment_strategy_schema_has_its_docs() {
    let apps = document("apps", "v1");
    let strategy = schema(&apps, "io.k8s.api.apps.v1.DeploymentStrategy");
    assert!(
        strategy["description"]
            .as_str()
            .expect("a description")
            .starts_with("DeploymentStrategy describes how to replace existing pods")
    );
    assert_eq!(strategy["type"], "object");
    let properties = strategy["properties"].as_object().expect("properties");
    assert_eq!(
        properties.keys().collect::<Vec<_>>(),
        ["rollingUpdate", "type"]
    );
    assert_eq!(
        referenced(&properties["rollingUpdate"]),
        Some("io.k8s.api.apps.v1.RollingUpdateDeployment")
    );
    assert!(
        properties["rollingUpdate"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("RollingUpdate"))
    );
    assert_eq!(properties["type"]["type"], "string");
    assert!(
        properties["type"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("Recreate"))
    );
}

#[test]
fn step5_every_kind_schema_carries_its_group_version_kind() {
    for resource in served() {
        let document = document(&resource.group, &resource.version);
        for kind in [resource.kind.clone(), format!("{}List", resource.kind)] {
            let gvk = json!({ "group": resource.group, "version": resource.version, "kind": kind });
            let holders: Vec<&String> = document["components"]["schemas"]
                .as_object()
                .expect("schemas")
                .iter()
                .filter(|(_, schema)| {
                    schema["x-kubernetes-group-version-kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.contains(&gvk))
                })
                .map(|(name, _)| name)
                .collect();
            assert_eq!(holders.len(), 1, "{gvk}: {holders:?}");
        }
    }
}

/// `kubectl explain deployment.spec.strategy`, as kubectl does it: the kind from the
/// resource's path, the schema that lists that kind, then one `$ref` per field.
#[test]
fn step5_explain_walks_deployment_spec_strategy() {
    let apps = document("apps", "v1");
    let path = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    let gvk = &path["get"]["x-kubernetes-group-version-kind"];
    let (_, mut current) = apps["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .iter()
        .find(|(_, s)| {
            s["x-kubernetes-group-version-kind"]
                .as_array()
                .is_some_and(|k| k.contains(gvk))
        })
        .expect("the schema of the path's kind");
    assert!(
        !current["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("metadata"))),
        "explain would print `metadata -required-`, unlike a real server"
    );
    for field in ["spec", "strategy"] {
        let property = &current["properties"][field];
        let name = referenced(property).unwrap_or_else(|| panic!("{field} refers to a schema"));
        current = schema(&apps, name);
    }
    assert!(current["properties"]["rollingUpdate"].is_object());
    assert!(
        current["description"]
            .as_str()
            .is_some_and(|d| d.contains("replace existing pods"))
    );
}
