//! Steps 2 and 3 through the REST layer: defaulting, validation and selectors are not only
//! functions, they are what the server does with every request.

use serde_json::json;

use super::{Api, CONFIGMAPS, DEPLOYMENTS, configmap, deployment};

#[tokio::test]
async fn step2_created_objects_come_back_with_their_defaults() {
    let api = Api::embedded().await;
    let created = api.post(DEPLOYMENTS, &deployment("web")).await;
    let spec = &created.ok(201)["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["revisionHistoryLimit"], 10);
    assert_eq!(spec["progressDeadlineSeconds"], 600);
    assert_eq!(
        spec["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    );
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Always");
}

#[tokio::test]
async fn step2_an_invalid_object_is_a_422_that_names_the_field() {
    let api = Api::embedded().await;
    let mut bad = deployment("web");
    bad["spec"]["replicas"] = json!(-1);
    let reply = api.post(DEPLOYMENTS, &bad).await;
    let message = reply.status(422, "Invalid");
    assert_eq!(
        message,
        "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    );
    let cause = &reply.body["details"]["causes"][0];
    assert_eq!(cause["field"], "spec.replicas");
    assert_eq!(cause["reason"], "FieldValueInvalid");
    // Updates are validated too, with the immutable fields on top.
    let created = api.post(DEPLOYMENTS, &deployment("web")).await;
    let mut changed = created.ok(201).clone();
    changed["spec"]["selector"] = json!({"matchLabels": {"app": "other"}});
    changed["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    let reply = api.put(&format!("{DEPLOYMENTS}/web"), &changed).await;
    assert!(
        reply.status(422, "Invalid").contains("field is immutable"),
        "{:?}",
        reply.body
    );
}

#[tokio::test]
async fn step3_lists_honour_label_and_field_selectors() {
    let api = Api::embedded().await;
    for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web")] {
        let mut map = configmap(name);
        map["metadata"]["labels"] = json!({"tier": tier});
        api.post(CONFIGMAPS, &map).await.ok(201);
    }
    let names = |reply: &super::Reply| -> Vec<String> {
        reply.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(
            &api.get(&format!("{CONFIGMAPS}?labelSelector=tier%3Dweb"))
                .await
        ),
        ["a", "c"]
    );
    assert_eq!(
        names(
            &api.get(&format!("{CONFIGMAPS}?labelSelector=tier%20notin%20(web)"))
                .await
        ),
        ["b"]
    );
    assert_eq!(
        names(
            &api.get(&format!("{CONFIGMAPS}?fieldSelector=metadata.name%3Dc"))
                .await
        ),
        ["c"]
    );
    let bad = api
        .get(&format!("{CONFIGMAPS}?fieldSelector=spec.nodeName%3Dx"))
        .await;
    assert!(
        bad.status(400, "BadRequest").contains("spec.nodeName"),
        "{:?}",
        bad.body
    );
    let bad = api
        .get(&format!("{CONFIGMAPS}?labelSelector=a%20in%20b"))
        .await;
    bad.status(400, "BadRequest");
}

/// A request body kubectl 1.33 sent, captured for the protobuf tests.
fn captured(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/protobuf/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

#[tokio::test]
async fn step5_kubectl_1_33_protobuf_creates_are_stored_as_json() {
    let api = Api::embedded().await;
    let pb = "application/vnd.kubernetes.protobuf";
    let namespace = api
        .raw(
            "POST",
            "/api/v1/namespaces?fieldValidation=Strict",
            pb,
            captured("namespace.kubectl-1.33.pb"),
        )
        .await;
    let name = namespace.ok(201)["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(namespace.body["kind"], "Namespace");
    let deployments = format!("/apis/apps/v1/namespaces/{name}/deployments?fieldValidation=Strict");
    let created = api
        .raw(
            "POST",
            &deployments,
            pb,
            captured("deployment.kubectl-1.33.pb"),
        )
        .await;
    let object = created.ok(201);
    assert_eq!(object["kind"], "Deployment");
    assert_eq!(
        object["spec"]["strategy"]["type"], "RollingUpdate",
        "defaulted like a JSON body"
    );
    // Garbage is a 400, not a panic or a 500.
    let garbage = api
        .raw("POST", CONFIGMAPS, pb, b"k8s\x00\xff\xff".to_vec())
        .await;
    garbage.status(400, "BadRequest");
}
