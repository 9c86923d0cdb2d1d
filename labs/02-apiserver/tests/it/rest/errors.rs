//! Step 2: every refusal is a `Status` with the real code, reason and message.

use serde_json::json;

use super::{Api, CONFIGMAPS, DEPLOYMENTS, configmap, deployment};

#[tokio::test]
async fn step2_a_missing_object_is_not_found_with_details() {
    let api = Api::embedded().await;
    let reply = api.get(&format!("{DEPLOYMENTS}/web")).await;
    assert_eq!(
        reply.status(404, "NotFound"),
        "deployments.apps \"web\" not found"
    );
    assert_eq!(
        reply.body["details"],
        json!({"name": "web", "group": "apps", "kind": "deployments"})
    );
    let core = api.get(&format!("{CONFIGMAPS}/nope")).await;
    assert_eq!(
        core.status(404, "NotFound"),
        "configmaps \"nope\" not found"
    );
}

#[tokio::test]
async fn step2_an_unknown_resource_or_path_is_not_found() {
    let api = Api::embedded().await;
    api.get("/api/v1/namespaces/default/widgets")
        .await
        .status(404, "NotFound");
    api.get("/apis/apps/v2/namespaces/default/deployments")
        .await
        .status(404, "NotFound");
    api.get("/apis/apps/v1/namespaces/default/deployments/web/nothing")
        .await
        .status(404, "NotFound");
    // configmaps have no status subresource.
    api.get(&format!("{CONFIGMAPS}/x/status"))
        .await
        .status(404, "NotFound");
    api.get("/nothing/here").await.status(404, "NotFound");
    // Encoded segments that would be unsafe in a key.
    api.get("/api/v1/namespaces/default/configmaps/a%2Fb")
        .await
        .status(404, "NotFound");
    api.get("/api/v1/namespaces/%2E%2E/configmaps/x")
        .await
        .status(404, "NotFound");
    // A subresource this step does not serve yet.
    api.get(&format!("{DEPLOYMENTS}/web/scale"))
        .await
        .status(404, "NotFound");
}

#[tokio::test]
async fn step2_creating_an_existing_name_is_already_exists() {
    let api = Api::embedded().await;
    api.post(DEPLOYMENTS, &deployment("web")).await.ok(201);
    let reply = api.post(DEPLOYMENTS, &deployment("web")).await;
    assert_eq!(
        reply.status(409, "AlreadyExists"),
        "deployments.apps \"web\" already exists"
    );
}

#[tokio::test]
async fn step2_creating_in_a_missing_namespace_is_namespace_not_found() {
    let api = Api::embedded().await;
    let reply = api
        .post("/api/v1/namespaces/x/configmaps", &configmap("a"))
        .await;
    assert_eq!(reply.status(404, "NotFound"), "namespaces \"x\" not found");
    assert_eq!(reply.body["details"]["kind"], "namespaces");
}

#[tokio::test]
async fn step2_the_body_namespace_must_match_the_url() {
    let api = Api::embedded().await;
    let mut body = configmap("a");
    body["metadata"]["namespace"] = json!("kube-system");
    let reply = api.post(CONFIGMAPS, &body).await;
    assert_eq!(
        reply.status(400, "BadRequest"),
        "the namespace of the provided object does not match the namespace sent on the request"
    );
    // The same namespace, or none, is fine.
    body["metadata"]["namespace"] = json!("default");
    api.post(CONFIGMAPS, &body).await.ok(201);
}

#[tokio::test]
async fn step2_the_body_name_must_match_the_url_on_update() {
    let api = Api::embedded().await;
    api.post(CONFIGMAPS, &configmap("a")).await.ok(201);
    let reply = api.put(&format!("{CONFIGMAPS}/a"), &configmap("b")).await;
    assert_eq!(
        reply.status(400, "BadRequest"),
        "the name of the object (b) does not match the name on the URL (a)"
    );
}

#[tokio::test]
async fn step2_a_verb_the_resource_lacks_is_method_not_allowed() {
    let api = Api::embedded().await;
    // Namespaces cannot be deleted as a collection.
    api.delete("/api/v1/namespaces")
        .await
        .status(405, "MethodNotAllowed");
    // The all-namespaces URL only lists.
    api.post("/api/v1/configmaps", &configmap("a"))
        .await
        .status(405, "MethodNotAllowed");
    // POST to an object URL.
    api.post(&format!("{CONFIGMAPS}/a"), &configmap("a"))
        .await
        .status(405, "MethodNotAllowed");
}

#[tokio::test]
async fn step2_a_body_over_3_mib_is_request_entity_too_large() {
    let api = Api::embedded().await;
    let mut body = configmap("big");
    body["data"]["key"] = json!("x".repeat(3 * 1024 * 1024));
    let reply = api.post(CONFIGMAPS, &body).await;
    assert_eq!(
        reply.status(413, "RequestEntityTooLarge"),
        "Request entity too large: limit is 3145728"
    );
}

#[tokio::test]
async fn step2_malformed_json_is_bad_request() {
    let api = Api::embedded().await;
    let reply = api
        .raw(
            "POST",
            CONFIGMAPS,
            "application/json",
            b"{\"metadata\": ".to_vec(),
        )
        .await;
    reply.status(400, "BadRequest");
    let array = api
        .raw("POST", CONFIGMAPS, "application/json", b"[1]".to_vec())
        .await;
    array.status(400, "BadRequest");
}

#[tokio::test]
async fn step2_a_body_of_another_kind_or_version_is_bad_request() {
    let api = Api::embedded().await;
    // A Deployment posted to configmaps.
    let mut wrong_kind = deployment("web");
    wrong_kind["apiVersion"] = json!("v1");
    let reply = api.post(CONFIGMAPS, &wrong_kind).await;
    assert!(
        reply.status(400, "BadRequest").contains("Deployment"),
        "{}",
        reply.body
    );
    let mut wrong_version = deployment("web");
    wrong_version["apiVersion"] = json!("apps/v1beta1");
    let reply = api.post(DEPLOYMENTS, &wrong_version).await;
    assert_eq!(
        reply.status(400, "BadRequest"),
        "the API version in the data (apps/v1beta1) does not match the expected API version (apps/v1)"
    );
}

#[tokio::test]
async fn step2_a_field_of_the_wrong_type_is_bad_request() {
    let api = Api::embedded().await;
    let mut body = deployment("web");
    body["spec"]["replicas"] = json!("three");
    let reply = api.post(DEPLOYMENTS, &body).await;
    assert!(
        reply
            .status(400, "BadRequest")
            .starts_with("Deployment in version \"v1\" cannot be handled as a Deployment:"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn step2_unknown_fields_are_refused_when_strict_and_warned_about_otherwise() {
    let api = Api::embedded().await;
    let mut body = deployment("web");
    body["spec"]["foo"] = json!(1);
    body["spec"]["template"]["spec"]["containers"][0]["bar"] = json!(true);
    let strict = api
        .post(&format!("{DEPLOYMENTS}?fieldValidation=Strict"), &body)
        .await;
    assert_eq!(
        strict.status(400, "BadRequest"),
        "strict decoding error: unknown field \"spec.foo\", unknown field \"spec.template.spec.containers[0].bar\""
    );
    // Warn is the default: created, with one Warning header per field, and the field dropped.
    let warned = api.post(DEPLOYMENTS, &body).await;
    assert!(warned.ok(201)["spec"].get("foo").is_none());
    assert_eq!(
        warned.warnings,
        [
            "299 - \"unknown field \\\"spec.foo\\\"\"",
            "299 - \"unknown field \\\"spec.template.spec.containers[0].bar\\\"\""
        ]
    );
    let ignored = api
        .put(&format!("{DEPLOYMENTS}/web?fieldValidation=Ignore"), &body)
        .await;
    ignored.ok(200);
    assert!(ignored.warnings.is_empty());
}

#[tokio::test]
async fn step2_names_that_are_not_safe_path_segments_are_invalid() {
    let api = Api::embedded().await;
    for (name, problem) in [
        (".", "may not be '.'"),
        ("..", "may not be '..'"),
        ("a/b", "may not contain '/'"),
        ("a%b", "may not contain '%'"),
    ] {
        let reply = api.post(CONFIGMAPS, &configmap(name)).await;
        let message = reply.status(422, "Invalid");
        assert_eq!(
            message,
            format!(
                "ConfigMap \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": {problem}"
            )
        );
        assert_eq!(reply.body["details"]["causes"][0]["field"], "metadata.name");
        assert_eq!(reply.body["details"]["kind"], "ConfigMap");
    }
}

#[tokio::test]
async fn step2_a_create_without_name_or_generate_name_is_invalid() {
    let api = Api::embedded().await;
    let reply = api.post(CONFIGMAPS, &json!({"data": {}})).await;
    assert_eq!(
        reply.status(422, "Invalid"),
        "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required"
    );
}
