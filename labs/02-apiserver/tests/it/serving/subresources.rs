//! The `scale` and `pods/binding` subresources.

use serde_json::json;

use super::{DEPLOYMENTS, create, deployment, get, patch, router, send};

const SCALE: &str = "/apis/apps/v1/namespaces/default/deployments/web/scale";

#[tokio::test]
async fn step5_scale_reads_and_writes_spec_replicas() {
    let router = router().await;
    let created = create(&router, DEPLOYMENTS, &deployment("web", 2)).await;
    let scale = get(&router, SCALE, "application/json").await;
    assert_eq!(scale.code, 200, "{}", scale.body);
    assert_eq!(scale.body["kind"], "Scale");
    assert_eq!(scale.body["apiVersion"], "autoscaling/v1");
    assert_eq!(scale.body["metadata"]["uid"], created["metadata"]["uid"]);
    assert_eq!(scale.body["spec"]["replicas"], 2);
    assert_eq!(
        scale.body["status"],
        json!({"replicas": 0, "selector": "app=web"})
    );

    // kubectl scale: a merge patch of the Scale.
    let patched = patch(
        &router,
        SCALE,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":4}}"#,
    )
    .await;
    assert_eq!(patched.code, 200, "{}", patched.body);
    assert_eq!(patched.body["spec"]["replicas"], 4);
    let stored = get(
        &router,
        "/apis/apps/v1/namespaces/default/deployments/web",
        "application/json",
    )
    .await;
    assert_eq!(stored.body["spec"]["replicas"], 4);
    assert_eq!(stored.body["metadata"]["generation"], 2);

    // PUT with a stale resourceVersion is a conflict; without one it applies.
    let mut put = scale.body.clone();
    put["spec"]["replicas"] = json!(6);
    let stale = send(
        &router,
        "PUT",
        SCALE,
        &[("content-type", "application/json")],
        &put.to_string(),
    )
    .await;
    assert_eq!(stale.code, 409, "{}", stale.body);
    put["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let fresh = send(
        &router,
        "PUT",
        SCALE,
        &[("content-type", "application/json")],
        &put.to_string(),
    )
    .await;
    assert_eq!(fresh.code, 200, "{}", fresh.body);
    assert_eq!(fresh.body["spec"]["replicas"], 6);

    let negative = patch(
        &router,
        SCALE,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":-1}}"#,
    )
    .await;
    assert_eq!(negative.code, 422, "{}", negative.body);
    let missing = get(
        &router,
        "/apis/apps/v1/namespaces/default/deployments/nope/scale",
        "application/json",
    )
    .await;
    assert_eq!(missing.code, 404);
}

#[tokio::test]
async fn step5_binding_assigns_a_pod_to_a_node_once() {
    let router = router().await;
    let pods = "/api/v1/namespaces/default/pods";
    create(
        &router,
        pods,
        &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}),
    )
    .await;
    let binding = |node: &str| {
        json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"},
               "target": {"apiVersion": "v1", "kind": "Node", "name": node}})
        .to_string()
    };
    let headers = [("content-type", "application/json")];
    let bound = send(
        &router,
        "POST",
        &format!("{pods}/web/binding"),
        &headers,
        &binding("node-1"),
    )
    .await;
    assert_eq!(bound.code, 201, "{}", bound.body);
    assert_eq!(bound.body["status"], "Success");
    let pod = get(&router, &format!("{pods}/web"), "application/json").await;
    assert_eq!(pod.body["spec"]["nodeName"], "node-1");
    assert_eq!(pod.body["status"]["conditions"][0]["type"], "PodScheduled");

    let again = send(
        &router,
        "POST",
        &format!("{pods}/web/binding"),
        &headers,
        &binding("node-2"),
    )
    .await;
    assert_eq!(again.code, 409, "{}", again.body);
    assert_eq!(
        again.body["message"],
        "Operation cannot be fulfilled on pods/binding \"web\": pod web is already assigned to node \"node-1\""
    );
    let nobody = send(
        &router,
        "POST",
        &format!("{pods}/nope/binding"),
        &headers,
        &binding("node-1"),
    )
    .await;
    assert_eq!(nobody.code, 400, "name mismatch: {}", nobody.body);
}
