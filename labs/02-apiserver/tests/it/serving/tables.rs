//! Table negotiation on get and list.

use serde_json::json;

use super::{DEPLOYMENTS, TABLE_ACCEPT, create, deployment, get, router};

#[tokio::test]
async fn step5_list_answers_a_table_when_accept_asks_for_one() {
    let router = router().await;
    create(&router, DEPLOYMENTS, &deployment("web", 2)).await;
    let table = get(&router, &format!("{DEPLOYMENTS}?limit=500"), TABLE_ACCEPT).await;
    assert_eq!(table.code, 200, "{}", table.body);
    assert_eq!(
        table.content_type,
        "application/json;as=Table;v=v1;g=meta.k8s.io"
    );
    assert_eq!(table.body["kind"], "Table");
    assert_eq!(table.body["apiVersion"], "meta.k8s.io/v1");
    assert!(table.body["metadata"]["resourceVersion"].is_string());
    let columns: Vec<&str> = table.body["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        [
            "Name",
            "Ready",
            "Up-to-date",
            "Available",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let row = &table.body["rows"][0];
    assert_eq!(row["cells"][0], "web");
    assert_eq!(row["cells"][1], "0/2");
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(row["object"]["metadata"]["name"], "web");

    // Without the Table media type: the list itself.
    let list = get(&router, DEPLOYMENTS, "application/json").await;
    assert_eq!(list.body["kind"], "DeploymentList");
    // kubectl 1.32+ put protobuf first: we answer JSON.
    let list = get(
        &router,
        DEPLOYMENTS,
        "application/vnd.kubernetes.protobuf,application/json",
    )
    .await;
    assert_eq!(list.body["kind"], "DeploymentList");
}

#[tokio::test]
async fn step5_get_answers_a_one_row_table_with_the_objects_version() {
    let router = router().await;
    let created = create(&router, DEPLOYMENTS, &deployment("web", 1)).await;
    let table = get(&router, &format!("{DEPLOYMENTS}/web"), TABLE_ACCEPT).await;
    assert_eq!(table.body["kind"], "Table");
    assert_eq!(table.body["rows"].as_array().unwrap().len(), 1);
    assert_eq!(
        table.body["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    // Only v1beta1 asked for: a v1beta1 Table.
    let old = get(
        &router,
        &format!("{DEPLOYMENTS}/web"),
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
    )
    .await;
    assert_eq!(old.body["apiVersion"], "meta.k8s.io/v1beta1");
}

#[tokio::test]
async fn step5_include_object_says_what_each_row_carries() {
    let router = router().await;
    create(&router, DEPLOYMENTS, &deployment("web", 1)).await;
    let with = |include: &str| format!("{DEPLOYMENTS}?includeObject={include}");
    let none = get(&router, &with("None"), TABLE_ACCEPT).await;
    assert!(none.body["rows"][0].get("object").is_none());
    let object = get(&router, &with("Object"), TABLE_ACCEPT).await;
    assert_eq!(object.body["rows"][0]["object"]["kind"], "Deployment");
    assert_eq!(object.body["rows"][0]["object"]["spec"]["replicas"], 1);
    let bad = get(&router, &with("Everything"), TABLE_ACCEPT).await;
    assert_eq!(bad.code, 400, "{}", bad.body);
}

#[tokio::test]
async fn step5_a_table_page_carries_the_continue_token() {
    let router = router().await;
    for name in ["a", "b", "c"] {
        create(&router, DEPLOYMENTS, &deployment(name, 1)).await;
    }
    let first = get(&router, &format!("{DEPLOYMENTS}?limit=2"), TABLE_ACCEPT).await;
    assert_eq!(first.body["rows"].as_array().unwrap().len(), 2);
    let token = first.body["metadata"]["continue"]
        .as_str()
        .expect("a token");
    let rest = get(
        &router,
        &format!("{DEPLOYMENTS}?limit=2&continue={token}"),
        TABLE_ACCEPT,
    )
    .await;
    let names: Vec<_> = rest.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["cells"][0].clone())
        .collect();
    assert_eq!(names, [json!("c")]);
    assert!(rest.body["metadata"].get("continue").is_none());
}
