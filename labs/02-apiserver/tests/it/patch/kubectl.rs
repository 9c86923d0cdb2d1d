//! The exact bodies kubectl sends, and what the object must look like afterwards.

use super::{container_names, deployment, patch_deployment, strategic};
use lab_02::patch::{PatchType, apply_patch};
use serde_json::{Value, json};

#[test]
fn step5_label_is_a_merge_patch_that_adds_one_label() {
    // kubectl label deploy web tier=frontend
    let patched = patch_deployment(
        PatchType::Merge,
        &deployment(),
        r#"{"metadata":{"labels":{"tier":"frontend"}}}"#,
    )
    .expect("applies");
    assert_eq!(
        patched["metadata"]["labels"],
        json!({"app": "web", "tier": "frontend"})
    );
    // Nothing else changed.
    let mut expected = deployment();
    expected["metadata"]["labels"]["tier"] = json!("frontend");
    assert_eq!(patched, expected);
}

#[test]
fn step5_label_with_a_dash_is_a_merge_patch_whose_null_deletes_the_label() {
    // kubectl label deploy web app-
    let patched = patch_deployment(
        PatchType::Merge,
        &deployment(),
        r#"{"metadata":{"labels":{"app":null}}}"#,
    )
    .expect("applies");
    assert_eq!(patched["metadata"]["labels"], json!({}));
}

#[test]
fn step5_annotate_is_a_merge_patch_that_sets_one_annotation() {
    // kubectl annotate deploy web owner=alice (the Deployment has no annotations yet)
    let patched = patch_deployment(
        PatchType::Merge,
        &deployment(),
        r#"{"metadata":{"annotations":{"owner":"alice"}}}"#,
    )
    .expect("applies");
    assert_eq!(
        patched["metadata"]["annotations"],
        json!({"owner": "alice"})
    );
    assert_eq!(patched["metadata"]["labels"], json!({"app": "web"}));
}

#[test]
fn step5_scale_is_a_merge_patch_of_the_scale_subresource() {
    // kubectl scale deploy web --replicas=4: PATCH .../deployments/web/scale
    let scale = json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "default", "resourceVersion": "42"},
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "selector": "app=web"},
    });
    let patched = apply_patch(
        PatchType::Merge,
        "autoscaling",
        "Scale",
        &scale,
        br#"{"spec":{"replicas":4}}"#,
    )
    .expect("applies");
    assert_eq!(patched["spec"], json!({"replicas": 4}));
    assert_eq!(patched["status"], scale["status"]);
}

#[test]
fn step5_patch_strategic_updates_one_container_and_keeps_the_other() {
    // kubectl patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}'
    let patched = strategic(
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}"#,
    );
    let containers = &patched["spec"]["template"]["spec"]["containers"];
    assert_eq!(container_names(&patched), ["nginx", "sidecar"]);
    assert_eq!(containers[0]["image"], "nginx:1.27");
    // The rest of nginx is merged, not replaced: its ports and env are still there.
    assert_eq!(
        containers[0]["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}])
    );
    assert_eq!(containers[0]["env"][0]["name"], "MODE");
    assert_eq!(
        containers[1],
        deployment()["spec"]["template"]["spec"]["containers"][1]
    );
}

#[test]
fn step5_patch_merge_type_replaces_the_container_list() {
    // The same body with --type=merge: RFC 7386 replaces lists, so the sidecar is gone and nginx
    // has lost its ports. This is why kubectl's default is the strategic merge patch.
    let body =
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}"#;
    let patched = patch_deployment(PatchType::Merge, &deployment(), body).expect("applies");
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"],
        json!([{"name": "nginx", "image": "nginx:1.27"}])
    );
}

#[test]
fn step5_edit_sends_a_two_way_strategic_patch() {
    // kubectl edit deploy web, changing replicas to 5
    let patched = strategic(r#"{"spec":{"replicas":5}}"#);
    let mut expected = deployment();
    expected["spec"]["replicas"] = json!(5);
    assert_eq!(patched, expected);
}

/// The live object of a Deployment created by `kubectl apply` from a file with one container
/// `nginx:1.25`, after the server defaulted it and a controller annotated it.
fn applied_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": "web", "namespace": "default",
            "annotations": {
                "deployment.kubernetes.io/revision": "1",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"nginx\"}]}}}}\n",
            },
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "nginx", "image": "nginx:1.25",
                                    "imagePullPolicy": "IfNotPresent",
                                    "terminationMessagePath": "/dev/termination-log"}],
                    "restartPolicy": "Always",
                },
            },
        },
    })
}

#[test]
fn step5_apply_three_way_patch_updates_the_image_and_keeps_server_fields() {
    // kubectl apply -f deploy.yaml after changing the image to nginx:1.26 and replicas to 3.
    let last_applied = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.26\",\"name\":\"nginx\"}]}}}}\n";
    let body = json!({
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied}},
        "spec": {"replicas": 3, "template": {"spec": {
            "$setElementOrder/containers": [{"name": "nginx"}],
            "containers": [{"image": "nginx:1.26", "name": "nginx"}],
        }}},
    })
    .to_string();
    let patched =
        patch_deployment(PatchType::StrategicMerge, &applied_deployment(), &body).expect("applies");

    let mut expected = applied_deployment();
    expected["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!(last_applied);
    expected["spec"]["replicas"] = json!(3);
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.26");
    // The controller's annotation, the defaulted fields and restartPolicy are all kept, and no
    // directive is left in the object.
    assert_eq!(patched, expected);
}

#[test]
fn step5_apply_three_way_patch_deletes_a_container_removed_from_the_file() {
    // The sidecar was in the last applied configuration and is no longer in the file.
    let body = r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"$patch":"delete","name":"sidecar"}]}}}}"#;
    let patched = strategic(body);
    assert_eq!(container_names(&patched), ["nginx"]);
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"][0],
        deployment()["spec"]["template"]["spec"]["containers"][0]
    );
}

#[test]
fn step5_rollout_undo_is_a_json_patch_replacing_template_and_annotations() {
    let mut live = deployment();
    live["metadata"]["annotations"] = json!({"deployment.kubernetes.io/revision": "2"});
    let old_template = json!({"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}});
    let body = json!([
        {"op": "replace", "path": "/spec/template", "value": old_template},
        {"op": "replace", "path": "/metadata/annotations", "value": {"deployment.kubernetes.io/revision": "1"}},
    ])
    .to_string();
    let patched = patch_deployment(PatchType::Json, &live, &body).expect("applies");
    assert_eq!(patched["spec"]["template"], old_template);
    assert_eq!(
        patched["metadata"]["annotations"],
        json!({"deployment.kubernetes.io/revision": "1"})
    );
    assert_eq!(patched["spec"]["strategy"], live["spec"]["strategy"]);
}
