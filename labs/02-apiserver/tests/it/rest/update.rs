//! Step 2: updates: generation, optimistic concurrency, the status subresource.

use serde_json::{Value, json};

use super::{Api, CONFIGMAPS, DEPLOYMENTS, START, configmap, deployment};

/// Creates deployment `web` and returns it as stored.
async fn created(api: &Api) -> Value {
    api.post(DEPLOYMENTS, &deployment("web"))
        .await
        .ok(201)
        .clone()
}

#[tokio::test]
async fn step2_generation_counts_spec_changes_only() {
    let api = Api::embedded().await;
    let web = format!("{DEPLOYMENTS}/web");
    let mut object = created(&api).await;
    // A label is metadata: a new resourceVersion, the same generation.
    object["metadata"]["labels"]["tier"] = json!("front");
    let relabelled = api.put(&web, &object).await.ok(200).clone();
    assert_eq!(relabelled["metadata"]["generation"], 1);
    assert_ne!(
        relabelled["metadata"]["resourceVersion"],
        object["metadata"]["resourceVersion"]
    );
    // The spec: generation 2.
    let mut object = relabelled;
    object["spec"]["replicas"] = json!(3);
    let scaled = api.put(&web, &object).await.ok(200).clone();
    assert_eq!(scaled["metadata"]["generation"], 2);
    // The same spec again: still 2.
    let again = api.put(&web, &scaled).await.ok(200).clone();
    assert_eq!(again["metadata"]["generation"], 2);
    // The client cannot set generation, uid or creationTimestamp.
    let mut forged = again.clone();
    forged["metadata"]["generation"] = json!(40);
    forged["metadata"]["uid"] = json!("forged");
    forged["metadata"]["creationTimestamp"] = json!("2000-01-01T00:00:00Z");
    let kept = api.put(&web, &forged).await.ok(200).clone();
    assert_eq!(kept["metadata"]["generation"], 2);
    assert_eq!(kept["metadata"]["uid"], again["metadata"]["uid"]);
    assert_eq!(kept["metadata"]["creationTimestamp"], START);
}

#[tokio::test]
async fn step2_an_update_with_a_stale_resource_version_is_a_conflict() {
    let api = Api::embedded().await;
    let web = format!("{DEPLOYMENTS}/web");
    let stale = created(&api).await;
    let mut first = stale.clone();
    first["spec"]["replicas"] = json!(2);
    api.put(&web, &first).await.ok(200);
    let mut second = stale;
    second["spec"]["replicas"] = json!(5);
    let reply = api.put(&web, &second).await;
    assert_eq!(
        reply.status(409, "Conflict"),
        "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"
    );
    assert_eq!(
        reply.body["details"],
        json!({"name": "web", "group": "apps", "kind": "deployments"})
    );
    let stored = api.get(&web).await;
    assert_eq!(stored.body["spec"]["replicas"], 2);
}

#[tokio::test]
async fn step2_an_update_without_resource_version_is_unconditional() {
    let api = Api::embedded().await;
    api.post(CONFIGMAPS, &configmap("a")).await.ok(201);
    let mut body = configmap("a");
    body["data"]["key"] = json!("changed");
    let reply = api.put(&format!("{CONFIGMAPS}/a"), &body).await;
    assert_eq!(reply.ok(200)["data"]["key"], "changed");
}

#[tokio::test]
async fn step2_an_update_of_a_missing_object_is_not_found() {
    let api = Api::embedded().await;
    let reply = api
        .put(&format!("{DEPLOYMENTS}/web"), &deployment("web"))
        .await;
    assert_eq!(
        reply.status(404, "NotFound"),
        "deployments.apps \"web\" not found"
    );
}

#[tokio::test]
async fn step2_status_is_written_only_through_the_status_subresource() {
    let api = Api::embedded().await;
    let web = format!("{DEPLOYMENTS}/web");
    let mut object = created(&api).await;
    // The main resource ignores a status change...
    object["status"] = json!({"replicas": 7});
    object["spec"]["replicas"] = json!(2);
    let updated = api.put(&web, &object).await.ok(200).clone();
    assert!(updated.get("status").is_none(), "{updated}");
    assert_eq!(updated["spec"]["replicas"], 2);
    // ...and /status changes only the status (a spec change there is ignored).
    let mut report = updated.clone();
    report["status"] = json!({"replicas": 2, "observedGeneration": 2});
    report["spec"]["replicas"] = json!(9);
    let reported = api
        .put(&format!("{web}/status"), &report)
        .await
        .ok(200)
        .clone();
    assert_eq!(reported["status"]["replicas"], 2);
    assert_eq!(reported["spec"]["replicas"], 2);
    assert_eq!(reported["metadata"]["generation"], 2);
    // GET .../status returns the whole object.
    let got = api.get(&format!("{web}/status")).await;
    assert_eq!(got.ok(200)["status"]["observedGeneration"], 2);
    // A stale status write is a conflict too.
    api.put(&format!("{web}/status"), &report)
        .await
        .status(409, "Conflict");
}
