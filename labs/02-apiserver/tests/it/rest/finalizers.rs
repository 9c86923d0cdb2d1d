//! Step 2: delete with finalizers, DeleteOptions, and namespaces that terminate.

use std::time::Duration;

use serde_json::json;

use super::{Api, CONFIGMAPS, configmap};

/// Creates configmap `held` with one finalizer.
pub(crate) async fn create_held(api: &Api) {
    let mut body = configmap("held");
    body["metadata"]["finalizers"] = json!(["example.com/cleanup"]);
    api.post(CONFIGMAPS, &body).await.ok(201);
}

pub(crate) async fn finalizers_hold_the_object_until_removed(api: Api) {
    create_held(&api).await;
    api.clock.advance(Duration::from_secs(60));
    let url = format!("{CONFIGMAPS}/held");
    // The delete marks it and answers 202 Accepted.
    let marked = api.delete(&url).await;
    let body = marked.ok(202).clone();
    assert_eq!(
        body["metadata"]["deletionTimestamp"],
        "2024-01-01T00:01:00Z"
    );
    assert_eq!(body["metadata"]["deletionGracePeriodSeconds"], 0);
    // It is still there, and a second delete changes nothing.
    let again = api.delete(&url).await;
    assert_eq!(
        again.ok(202)["metadata"]["resourceVersion"],
        body["metadata"]["resourceVersion"]
    );
    api.get(&url).await.ok(200);
    // The update that removes the last finalizer deletes it.
    let mut done = api.get(&url).await.body;
    done["metadata"]["finalizers"] = json!([]);
    api.put(&url, &done).await.ok(200);
    api.get(&url).await.status(404, "NotFound");
}

#[tokio::test]
async fn step2_finalizers_keep_a_deleted_object_until_the_last_is_removed() {
    finalizers_hold_the_object_until_removed(Api::embedded().await).await;
}

#[tokio::test]
async fn step2_no_finalizer_can_be_added_to_an_object_being_deleted() {
    let api = Api::embedded().await;
    create_held(&api).await;
    let url = format!("{CONFIGMAPS}/held");
    let mut object = api.delete(&url).await.ok(202).clone();
    object["metadata"]["finalizers"] = json!(["example.com/cleanup", "example.com/more"]);
    let reply = api.put(&url, &object).await;
    assert_eq!(
        reply.status(422, "Invalid"),
        "ConfigMap \"held\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted"
    );
}

#[tokio::test]
async fn step2_delete_preconditions_must_match() {
    let api = Api::embedded().await;
    let created = api.post(CONFIGMAPS, &configmap("a")).await;
    let uid = created.body["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let rv = created.rv();
    let url = format!("{CONFIGMAPS}/a");
    let wrong_uid =
        json!({"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "other"}});
    let reply = api.call("DELETE", &url, Some(&wrong_uid)).await;
    assert_eq!(
        reply.status(409, "Conflict"),
        format!(
            "Operation cannot be fulfilled on configmaps \"a\": Precondition failed: UID in precondition: other, UID in object meta: {uid}"
        )
    );
    let wrong_rv = json!({"preconditions": {"resourceVersion": "1"}});
    let reply = api.call("DELETE", &url, Some(&wrong_rv)).await;
    assert_eq!(
        reply.status(409, "Conflict"),
        format!(
            "Operation cannot be fulfilled on configmaps \"a\": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: {rv}"
        )
    );
    let right = json!({"preconditions": {"uid": uid, "resourceVersion": rv}});
    api.call("DELETE", &url, Some(&right)).await.ok(200);
}

#[tokio::test]
async fn step2_propagation_policy_becomes_the_garbage_collector_finalizer() {
    let api = Api::embedded().await;
    api.post(CONFIGMAPS, &configmap("a")).await.ok(201);
    api.post(CONFIGMAPS, &configmap("b")).await.ok(201);
    let orphan = json!({"propagationPolicy": "Orphan"});
    let reply = api
        .call("DELETE", &format!("{CONFIGMAPS}/a"), Some(&orphan))
        .await;
    assert_eq!(reply.ok(202)["metadata"]["finalizers"], json!(["orphan"]));
    let foreground = json!({"propagationPolicy": "Foreground"});
    let reply = api
        .call("DELETE", &format!("{CONFIGMAPS}/b"), Some(&foreground))
        .await;
    assert_eq!(
        reply.ok(202)["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    let bad = json!({"propagationPolicy": "Sideways"});
    api.call("DELETE", &format!("{CONFIGMAPS}/b"), Some(&bad))
        .await
        .status(400, "BadRequest");
}

#[tokio::test]
async fn step2_a_deleted_namespace_terminates_until_finalized() {
    let api = Api::embedded().await;
    let namespace = json!({"metadata": {"name": "lab"}, "spec": {"finalizers": ["kubernetes"]}});
    api.post("/api/v1/namespaces", &namespace).await.ok(201);
    let deleting = api.delete("/api/v1/namespaces/lab").await;
    assert_eq!(deleting.ok(202)["status"]["phase"], "Terminating");
    // NamespaceLifecycle: no new content in a terminating namespace.
    let reply = api
        .post("/api/v1/namespaces/lab/configmaps", &configmap("late"))
        .await;
    assert_eq!(
        reply.status(403, "Forbidden"),
        "configmaps \"late\" is forbidden: unable to create new content in namespace lab because it is being terminated"
    );
    // The namespace controller empties spec.finalizers through /finalize: then it is gone.
    let mut object = api.get("/api/v1/namespaces/lab").await.body;
    object["spec"]["finalizers"] = json!([]);
    api.put("/api/v1/namespaces/lab/finalize", &object)
        .await
        .ok(200);
    api.get("/api/v1/namespaces/lab")
        .await
        .status(404, "NotFound");
}
