//! Step 2: create, get, list, delete and deletecollection, and what the server fills in.

use lab_02::store::{Store, registry_key};
use serde_json::{Value, json};

use super::{Api, CONFIGMAPS, DEPLOYMENTS, START, configmap, deployment};

#[tokio::test]
async fn step2_create_sets_uid_creation_timestamp_generation_and_resource_version() {
    let api = Api::embedded().await;
    let created = api.post(DEPLOYMENTS, &deployment("web")).await;
    let object = created.ok(201);
    let metadata = &object["metadata"];
    assert_eq!(metadata["name"], "web");
    assert_eq!(metadata["namespace"], "default");
    assert_eq!(metadata["generation"], 1);
    assert_eq!(metadata["creationTimestamp"], START);
    let uid = metadata["uid"].as_str().unwrap();
    // A UUID v4: 8-4-4-4-12 hex digits, version nibble 4, variant 8..b.
    let parts: Vec<&str> = uid.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "{uid}"
    );
    assert!(parts[2].starts_with('4'), "{uid}");
    assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{uid}");
    // resourceVersion is the store's revision of the write.
    let revision = api.store.current_revision().await.unwrap();
    assert_eq!(created.rv(), revision.to_string());
    // GET returns the same object.
    let got = api.get(&format!("{DEPLOYMENTS}/web")).await;
    assert_eq!(got.ok(200), object);
}

#[tokio::test]
async fn step2_objects_are_stored_as_json_under_the_registry_key_without_resource_version() {
    let api = Api::embedded().await;
    api.post(DEPLOYMENTS, &deployment("web")).await.ok(201);
    let kv = api
        .store
        .get(&registry_key("deployments", Some("default"), "web"))
        .await
        .unwrap()
        .expect("the object is stored under /registry/deployments/default/web");
    let stored: Value = serde_json::from_slice(&kv.value).unwrap();
    assert_eq!(stored["kind"], "Deployment");
    assert_eq!(stored["metadata"]["name"], "web");
    assert!(
        stored["metadata"].get("resourceVersion").is_none(),
        "{stored}"
    );
}

#[tokio::test]
async fn step2_the_system_namespaces_exist_from_the_start() {
    let api = Api::embedded().await;
    let list = api.get("/api/v1/namespaces").await;
    let names: Vec<&str> = list.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ns| ns["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["default", "kube-node-lease", "kube-public", "kube-system"]
    );
    let default = api.get("/api/v1/namespaces/default").await;
    assert_eq!(default.ok(200)["status"]["phase"], "Active");
}

#[tokio::test]
async fn step2_generate_name_gets_a_random_suffix() {
    let api = Api::embedded().await;
    let body = json!({"metadata": {"generateName": "web-"}, "data": {}});
    let first = api.post(CONFIGMAPS, &body).await;
    let second = api.post(CONFIGMAPS, &body).await;
    let name = |reply: &super::Reply| {
        reply.ok(201)["metadata"]["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, b) = (name(&first), name(&second));
    assert!(a.starts_with("web-") && a.len() == 9, "{a}");
    assert_ne!(a, b);
    // apiVersion and kind default to the URL's.
    assert_eq!(first.body["kind"], "ConfigMap");
    assert_eq!(first.body["apiVersion"], "v1");
}

#[tokio::test]
async fn step2_list_is_a_kind_list_in_key_order_with_the_list_resource_version() {
    let api = Api::embedded().await;
    for name in ["b", "a", "c"] {
        api.post(CONFIGMAPS, &configmap(name)).await.ok(201);
    }
    api.post(
        "/api/v1/namespaces",
        &json!({"metadata": {"name": "other"}}),
    )
    .await
    .ok(201);
    api.post("/api/v1/namespaces/other/configmaps", &configmap("z"))
        .await
        .ok(201);
    let list = api.get(CONFIGMAPS).await;
    let body = list.ok(200);
    assert_eq!(body["kind"], "ConfigMapList");
    assert_eq!(body["apiVersion"], "v1");
    let revision = api.store.current_revision().await.unwrap();
    assert_eq!(list.rv(), revision.to_string());
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    // Every item carries its own resourceVersion.
    assert!(body["items"][0]["metadata"]["resourceVersion"].is_string());
    // The all-namespaces list sees the other namespace too.
    let all = api.get("/api/v1/configmaps").await;
    assert_eq!(all.ok(200)["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn step2_cluster_scoped_objects_have_no_namespace() {
    let api = Api::embedded().await;
    let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "namespace": "ignored"}});
    let created = api.post("/api/v1/nodes", &node).await;
    assert!(created.ok(201)["metadata"].get("namespace").is_none());
    assert!(
        api.store
            .get("/registry/nodes/node-1")
            .await
            .unwrap()
            .is_some()
    );
    api.get("/api/v1/nodes/node-1").await.ok(200);
}

#[tokio::test]
async fn step2_yaml_bodies_are_accepted() {
    let api = Api::embedded().await;
    let yaml =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  answer: \"42\"\n";
    let created = api
        .raw(
            "POST",
            CONFIGMAPS,
            "application/yaml",
            yaml.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(created.ok(201)["data"]["answer"], "42");
}

#[tokio::test]
async fn step2_delete_removes_the_object_and_answers_its_last_state() {
    let api = Api::embedded().await;
    api.post(CONFIGMAPS, &configmap("gone")).await.ok(201);
    let deleted = api.delete(&format!("{CONFIGMAPS}/gone")).await;
    assert_eq!(deleted.ok(200)["metadata"]["name"], "gone");
    api.get(&format!("{CONFIGMAPS}/gone"))
        .await
        .status(404, "NotFound");
    api.delete(&format!("{CONFIGMAPS}/gone"))
        .await
        .status(404, "NotFound");
}

#[tokio::test]
async fn step2_deletecollection_deletes_only_its_namespace() {
    let api = Api::embedded().await;
    api.post(
        "/api/v1/namespaces",
        &json!({"metadata": {"name": "other"}}),
    )
    .await
    .ok(201);
    for name in ["a", "b"] {
        api.post(CONFIGMAPS, &configmap(name)).await.ok(201);
    }
    api.post("/api/v1/namespaces/other/configmaps", &configmap("keep"))
        .await
        .ok(201);
    let deleted = api.delete(CONFIGMAPS).await;
    let body = deleted.ok(200);
    assert_eq!(body["kind"], "ConfigMapList");
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    assert_eq!(api.get(CONFIGMAPS).await.body["items"], json!([]));
    let other = api.get("/api/v1/namespaces/other/configmaps").await;
    assert_eq!(other.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn step2_the_bodies_kubectl_create_sends_are_accepted_under_strict_validation() {
    let api = Api::embedded().await;
    // Captured from `kubectl create namespace lab` and `kubectl create deployment d2
    // --image=nginx` (1.31): empty spec and status, null creationTimestamps.
    let namespace = json!({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"lab","creationTimestamp":null},"spec":{},"status":{}});
    let reply = api
        .post(
            "/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict",
            &namespace,
        )
        .await;
    reply.ok(201);
    assert!(reply.warnings.is_empty(), "{:?}", reply.warnings);
    let deployment = json!({"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d2","creationTimestamp":null,"labels":{"app":"d2"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"d2"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"d2"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},"strategy":{}},"status":{}});
    let reply = api
        .post(
            &format!("{DEPLOYMENTS}?fieldManager=kubectl-create&fieldValidation=Strict"),
            &deployment,
        )
        .await;
    assert_eq!(reply.ok(201)["metadata"]["creationTimestamp"], START);
    // A format the server does not read at all is 415 (kubectl 1.32+'s protobuf is read: see
    // rest::wiring).
    let unknown = api
        .raw("POST", CONFIGMAPS, "application/cbor", b"\xa0".to_vec())
        .await;
    unknown.status(415, "UnsupportedMediaType");
}

#[tokio::test]
async fn step2_a_new_pod_is_pending_with_its_qos_class_whatever_the_client_sent() {
    let api = Api::embedded().await;
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "web", "image": "busybox",
            "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}}}]},
        "status": {"phase": "Running", "podIP": "10.244.1.5"},
    });
    let created = api.post("/api/v1/namespaces/default/pods", &pod).await;
    // Limits are copied into the missing requests, so requests equal limits: Guaranteed.
    assert_eq!(
        created.ok(201)["status"],
        json!({"phase": "Pending", "qosClass": "Guaranteed"})
    );
}

#[tokio::test]
async fn step2_new_pods_tolerate_not_ready_and_unreachable_nodes_for_300_seconds() {
    // `DefaultTolerationSeconds`: appended after the pod's own tolerations, unless the pod
    // already tolerates that taint (an empty key or effect matches every key or effect).
    let api = Api::embedded().await;
    let pod = |name: &str, tolerations: Value| {
        json!({
            "metadata": {"name": name},
            "spec": {
                "containers": [{"name": "c", "image": "busybox"}],
                "tolerations": tolerations,
            }
        })
    };
    let pods = "/api/v1/namespaces/default/pods";
    let created = api.post(pods, &pod("plain", Value::Null)).await;
    assert_eq!(
        created.ok(201)["spec"]["tolerations"],
        json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300},
        ])
    );
    let own = json!([{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                      "effect": "NoExecute", "tolerationSeconds": 5},
                     {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]);
    let created = api.post(pods, &pod("own", own)).await;
    assert_eq!(
        created.ok(201)["spec"]["tolerations"],
        json!([
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 5},
            {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300},
        ])
    );
    let everything = json!([{"operator": "Exists"}]);
    let created = api.post(pods, &pod("all", everything.clone())).await;
    assert_eq!(created.ok(201)["spec"]["tolerations"], everything);
}
