//! JSON patch, merge patch and apply, and the errors malformed bodies give.

use super::{container_names, deployment, patch_deployment};
use lab_02::patch::{GENERIC_UNPROCESSABLE, PatchError, PatchType, apply_patch};
use serde_json::json;

#[test]
fn step5_content_types_name_the_four_patch_types() {
    assert_eq!(
        PatchType::from_content_type("application/json-patch+json"),
        Some(PatchType::Json)
    );
    assert_eq!(
        PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
        Some(PatchType::Merge)
    );
    assert_eq!(
        PatchType::from_content_type("Application/Strategic-Merge-Patch+JSON"),
        Some(PatchType::StrategicMerge)
    );
    assert_eq!(
        PatchType::from_content_type("application/apply-patch+yaml"),
        Some(PatchType::Apply)
    );
    assert_eq!(PatchType::from_content_type("application/json"), None);
    assert_eq!(PatchType::from_content_type(""), None);
}

#[test]
fn step5_json_patch_adds_removes_and_replaces() {
    let body = r#"[
        {"op": "add", "path": "/metadata/labels/tier", "value": "frontend"},
        {"op": "remove", "path": "/spec/template/spec/containers/1"},
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "test", "path": "/spec/replicas", "value": 5}
    ]"#;
    let patched = patch_deployment(PatchType::Json, &deployment(), body).expect("applies");
    assert_eq!(
        patched["metadata"]["labels"],
        json!({"app": "web", "tier": "frontend"})
    );
    assert_eq!(container_names(&patched), ["nginx"]);
    assert_eq!(patched["spec"]["replicas"], 5);
}

#[test]
fn step5_json_patch_with_a_failing_test_applies_nothing_and_is_invalid() {
    let body = r#"[
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "test", "path": "/metadata/resourceVersion", "value": "41"}
    ]"#;
    let error = patch_deployment(PatchType::Json, &deployment(), body).expect_err("the test fails");
    assert!(matches!(error, PatchError::JsonPatch(_)), "{error:?}");
    assert_eq!((error.code(), error.reason()), (422, "Invalid"));
    assert_eq!(error.status_message(), GENERIC_UNPROCESSABLE);
    // The error itself says which operation failed, for the log.
    assert!(
        error.to_string().contains("/metadata/resourceVersion"),
        "{error}"
    );
}

#[test]
fn step5_json_patch_on_a_missing_path_is_invalid() {
    let body = r#"[{"op": "replace", "path": "/spec/paused", "value": true}]"#;
    let error =
        patch_deployment(PatchType::Json, &deployment(), body).expect_err("nothing to replace");
    assert_eq!((error.code(), error.reason()), (422, "Invalid"));
}

#[test]
fn step5_merge_patch_merges_maps_and_replaces_lists() {
    let body = r#"{"metadata":{"finalizers":["other"]},"spec":{"replicas":null,"selector":{"matchLabels":{"tier":"x"}}}}"#;
    let patched = patch_deployment(PatchType::Merge, &deployment(), body).expect("applies");
    assert_eq!(patched["metadata"]["finalizers"], json!(["other"]));
    assert!(patched["spec"].get("replicas").is_none());
    assert_eq!(
        patched["spec"]["selector"]["matchLabels"],
        json!({"app": "web", "tier": "x"})
    );
}

#[test]
fn step5_apply_merges_a_yaml_configuration_onto_the_live_object() {
    let body = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.27\n";
    let patched = patch_deployment(PatchType::Apply, &deployment(), body).expect("applies");
    assert_eq!(patched["spec"]["replicas"], 3);
    assert_eq!(container_names(&patched), ["nginx", "sidecar"]);
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );
}

#[test]
fn step5_apply_accepts_json_and_never_removes_omitted_fields() {
    // kubectl sends JSON. Real server-side apply would remove the sidecar if this manager had
    // applied it before; the simplified apply never removes what a configuration leaves out.
    let body = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}"#;
    let patched = patch_deployment(PatchType::Apply, &deployment(), body).expect("applies");
    assert_eq!(container_names(&patched), ["nginx", "sidecar"]);
}

#[test]
fn step5_apply_refuses_strategic_directives() {
    let body = r#"{"metadata":{"labels":{"$patch":"replace"}}}"#;
    let error =
        patch_deployment(PatchType::Apply, &deployment(), body).expect_err("not configuration");
    assert_eq!(error.code(), 400);
    assert!(
        error.to_string().contains(".metadata.labels.$patch"),
        "{error}"
    );
}

#[test]
fn step5_strategic_merge_patch_is_refused_for_custom_resources() {
    let error = apply_patch(
        PatchType::StrategicMerge,
        "stable.example.com",
        "CronTab",
        &json!({}),
        b"{}",
    )
    .expect_err("no merge keys for custom resources");
    assert_eq!(
        (error.code(), error.reason()),
        (415, "UnsupportedMediaType")
    );
    assert_eq!(
        error.to_string(),
        "the body of the request was in an unknown format - accepted media types include: \
         application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    );
}

#[test]
fn step5_malformed_bodies_are_errors_with_the_upstream_status() {
    let cases: &[(PatchType, &str, u16)] = &[
        (PatchType::Json, "not json", 400),
        (PatchType::Json, r#"{"op":"add"}"#, 400),
        // Upstream decodes operations loosely and fails these two while applying (422); the
        // json-patch crate refuses them while decoding, so they are 400 here.
        (PatchType::Json, r#"[{"op":"frobnicate","path":"/a"}]"#, 400),
        (
            PatchType::Json,
            r#"[{"op":"add","path":"no-slash","value":1}]"#,
            400,
        ),
        (PatchType::Merge, "{", 400),
        (PatchType::Merge, "null", 400),
        (PatchType::Merge, r#""a string""#, 422),
        (PatchType::StrategicMerge, "{", 400),
        (PatchType::StrategicMerge, "[1]", 400),
        (
            PatchType::StrategicMerge,
            r#"{"metadata":{"$retainKeys":"name"}}"#,
            400,
        ),
        (
            PatchType::StrategicMerge,
            r#"{"metadata":{"$deleteFromPrimitiveList/finalizers":"x"}}"#,
            400,
        ),
        (
            PatchType::StrategicMerge,
            r#"{"metadata":{"$deleteFromPrimitiveList":["x"]}}"#,
            400,
        ),
        (
            PatchType::StrategicMerge,
            r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":{}}}}}"#,
            400,
        ),
        (
            PatchType::StrategicMerge,
            r#"{"metadata":{"finalizers":[["a"]]}}"#,
            422,
        ),
        (
            PatchType::StrategicMerge,
            r#"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#,
            500,
        ),
        (
            PatchType::StrategicMerge,
            r#"{"spec":{"template":{"spec":{"containers":["x"]}}}}"#,
            500,
        ),
        (
            PatchType::StrategicMerge,
            r#"{"spec":{"template":{"spec":{"containers":[{"$patch":"merge"}]}}}}"#,
            500,
        ),
        (
            PatchType::StrategicMerge,
            r#"{"metadata":{"labels":{"$patch":"shuffle"}}}"#,
            500,
        ),
        (PatchType::Apply, "a: [", 400),
        (PatchType::Apply, "- just\n- a list\n", 400),
        (PatchType::Apply, "a: 1\n---\nb: 2\n", 400),
    ];
    for (patch_type, body, code) in cases {
        let result = patch_deployment(*patch_type, &deployment(), body);
        let Err(error) = result else {
            panic!("{patch_type:?} {body} should fail");
        };
        assert_eq!(error.code(), *code, "{patch_type:?} {body}: {error}");
    }
}

#[test]
fn step5_strategic_errors_carry_the_upstream_messages() {
    let message = |body: &str| {
        patch_deployment(PatchType::StrategicMerge, &deployment(), body)
            .expect_err("malformed")
            .to_string()
    };
    assert_eq!(
        message(r#"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#),
        r#"map: {"image":"x"} does not contain declared merge key: name"#
    );
    assert_eq!(
        message(r#"{"metadata":{"labels":{"$patch":"shuffle"}}}"#),
        r#"unknown patch type: shuffle in map: {"$patch":"shuffle"}"#
    );
    assert_eq!(
        message(r#"{"metadata":{"finalizers":[["a"]]}}"#),
        "lists of lists are not supported"
    );
    assert_eq!(
        message("[1]"),
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    );
}
