//! `$ref`s and schema names: every document stands alone, with upstream names.

use serde_json::Value;

use super::{GROUP_VERSIONS, document, schema};

const PREFIX: &str = "#/components/schemas/";

/// Every `$ref` in `value`, with whether the object holding it has other keys.
fn refs(value: &Value, found: &mut Vec<(String, bool)>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get("$ref") {
                found.push((target.clone(), object.len() > 1));
            }
            object.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[test]
fn step5_every_ref_resolves_inside_its_document() {
    for (group, version) in GROUP_VERSIONS {
        let document = document(group, version);
        let schemas = document["components"]["schemas"]
            .as_object()
            .expect("schemas");
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(found.len() > 20, "{group}/{version}: refs expected");
        for (target, has_siblings) in found {
            let name = target
                .strip_prefix(PREFIX)
                .unwrap_or_else(|| panic!("{group}/{version}: {target} is not an OpenAPI 3 ref"));
            assert!(
                schemas.contains_key(name),
                "{group}/{version}: {target} does not resolve"
            );
            assert!(
                !has_siblings,
                "{group}/{version}: OpenAPI 3.0 ignores siblings of {target}"
            );
        }
    }
}

#[test]
fn step5_schemas_have_upstream_names() {
    for (group, version) in GROUP_VERSIONS {
        schema(
            &document(group, version),
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        );
    }
    let apps = document("apps", "v1");
    for name in [
        "io.k8s.api.apps.v1.Deployment",
        "io.k8s.api.apps.v1.DeploymentList",
        "io.k8s.api.apps.v1.DeploymentSpec",
        "io.k8s.api.core.v1.PodTemplateSpec",
        "io.k8s.api.autoscaling.v1.Scale",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    ] {
        schema(&apps, name);
    }
    schema(
        &document("networking.k8s.io", "v1"),
        "io.k8s.api.networking.v1.Ingress",
    );
    schema(
        &document("coordination.k8s.io", "v1"),
        "io.k8s.api.coordination.v1.Lease",
    );
}
