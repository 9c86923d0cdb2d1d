//! PATCH through the REST layer: formats, validation, apply, status, conflicts.

use serde_json::json;

use super::{DEPLOYMENTS, create, deployment, get, patch, router, send};

const WEB: &str = "/apis/apps/v1/namespaces/default/deployments/web";

#[tokio::test]
async fn step5_patch_in_each_format_changes_the_stored_object() {
    let router = router().await;
    create(&router, DEPLOYMENTS, &deployment("web", 1)).await;
    let merged = patch(
        &router,
        WEB,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":3}}"#,
    )
    .await;
    assert_eq!(merged.code, 200, "{}", merged.body);
    assert_eq!(merged.body["spec"]["replicas"], 3);
    assert_eq!(merged.body["metadata"]["generation"], 2);
    let json_patch = patch(
        &router,
        WEB,
        "application/json-patch+json",
        r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#,
    )
    .await;
    assert_eq!(json_patch.body["spec"]["replicas"], 4);
    let strategic = patch(
        &router,
        WEB,
        "application/strategic-merge-patch+json",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}"#,
    )
    .await;
    let containers = strategic.body["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 2, "merged by name: {containers:?}");
    // Labels are metadata: no new generation.
    let labeled = patch(
        &router,
        WEB,
        "application/merge-patch+json",
        r#"{"metadata":{"labels":{"tier":"web"}}}"#,
    )
    .await;
    assert_eq!(labeled.body["metadata"]["generation"], 4);
    let stored = get(&router, WEB, "application/json").await;
    assert_eq!(stored.body["metadata"]["labels"]["tier"], "web");
    assert_eq!(stored.body["spec"]["replicas"], 4);
}

#[tokio::test]
async fn step5_patch_refuses_other_media_types_with_415() {
    let router = router().await;
    create(&router, DEPLOYMENTS, &deployment("web", 1)).await;
    let answer = patch(
        &router,
        WEB,
        "application/json",
        r#"{"spec":{"replicas":3}}"#,
    )
    .await;
    assert_eq!(answer.code, 415, "{}", answer.body);
    assert_eq!(answer.body["reason"], "UnsupportedMediaType");
    assert_eq!(
        answer.body["message"],
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
    );
}

#[tokio::test]
async fn step5_patch_validates_like_an_update() {
    let router = router().await;
    create(&router, DEPLOYMENTS, &deployment("web", 1)).await;
    let strict = patch(
        &router,
        &format!("{WEB}?fieldValidation=Strict"),
        "application/merge-patch+json",
        r#"{"spec":{"replicaz":3}}"#,
    )
    .await;
    assert_eq!(strict.code, 400, "{}", strict.body);
    assert_eq!(
        strict.body["message"],
        "strict decoding error: unknown field \"spec.replicaz\""
    );
    let invalid = patch(
        &router,
        WEB,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":-1}}"#,
    )
    .await;
    assert_eq!(invalid.code, 422, "{}", invalid.body);
    let stale = patch(
        &router,
        WEB,
        "application/merge-patch+json",
        r#"{"metadata":{"resourceVersion":"1"},"spec":{"replicas":2}}"#,
    )
    .await;
    assert_eq!(stale.code, 409, "{}", stale.body);
    let missing = patch(
        &router,
        &format!("{DEPLOYMENTS}/nope"),
        "application/merge-patch+json",
        "{}",
    )
    .await;
    assert_eq!(missing.code, 404);
}

#[tokio::test]
async fn step5_apply_patch_creates_the_object_when_absent() {
    let router = router().await;
    let body = deployment("web", 2).to_string();
    let no_manager = patch(&router, WEB, "application/apply-patch+yaml", &body).await;
    assert_eq!(no_manager.code, 422, "{}", no_manager.body);
    let url = format!("{WEB}?fieldManager=kubectl&fieldValidation=Strict&force=false");
    let created = patch(&router, &url, "application/apply-patch+yaml", &body).await;
    assert_eq!(created.code, 201, "{}", created.body);
    assert_eq!(created.body["spec"]["replicas"], 2);
    let changed = deployment("web", 5).to_string();
    let applied = patch(&router, &url, "application/apply-patch+yaml", &changed).await;
    assert_eq!(applied.code, 200, "{}", applied.body);
    assert_eq!(applied.body["spec"]["replicas"], 5);
}

#[tokio::test]
async fn step5_patch_of_status_changes_only_the_status() {
    let router = router().await;
    create(&router, DEPLOYMENTS, &deployment("web", 1)).await;
    let answer = patch(
        &router,
        &format!("{WEB}/status"),
        "application/merge-patch+json",
        r#"{"spec":{"replicas":9},"status":{"replicas":1,"readyReplicas":1}}"#,
    )
    .await;
    assert_eq!(answer.code, 200, "{}", answer.body);
    assert_eq!(answer.body["status"]["readyReplicas"], 1);
    assert_eq!(answer.body["spec"]["replicas"], 1);
    // And the main resource ignores the status.
    let main = patch(
        &router,
        WEB,
        "application/merge-patch+json",
        r#"{"status":{"readyReplicas":7}}"#,
    )
    .await;
    assert_eq!(main.body["status"]["readyReplicas"], 1);
    let table = send(&router, "GET", WEB, &[("accept", super::TABLE_ACCEPT)], "").await;
    assert_eq!(table.body["rows"][0]["cells"][1], json!("1/1"));
}
