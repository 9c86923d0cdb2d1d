//! Watches with label and field selectors: the transition rule, and kubectl's single-object
//! watch (`fieldSelector=metadata.name=<name>`).

use serde_json::json;

use super::{CONFIGMAPS, TABLE_ACCEPT, WatchApi, configmap, version};

#[tokio::test]
async fn step4_a_label_change_moves_an_object_out_of_and_into_a_selector() {
    let api = WatchApi::embedded().await;
    let listed = api.list_version(CONFIGMAPS).await;
    let mut web = api
        .watch(&format!(
            "{CONFIGMAPS}?watch=true&resourceVersion={listed}&labelSelector=app%3Dweb"
        ))
        .await;
    let mut all = api
        .watch(&format!("{CONFIGMAPS}?watch=true&resourceVersion={listed}"))
        .await;

    let created = api
        .create(CONFIGMAPS, &configmap("c", json!({"app": "web"})))
        .await;
    let mut moved = created.clone();
    moved["metadata"]["labels"]["app"] = json!("db");
    let moved = api.update(CONFIGMAPS, &moved).await;
    let mut back = moved.clone();
    back["metadata"]["labels"]["app"] = json!("web");
    let back = api.update(CONFIGMAPS, &back).await;
    // A change while outside the selector is nothing for the selector's watcher.
    api.create(CONFIGMAPS, &configmap("other", json!({"app": "db"})))
        .await;
    api.delete(CONFIGMAPS, "other").await;
    api.delete(CONFIGMAPS, "c").await;

    web.expect("ADDED", "c").await;
    // Leaving the selector: DELETED with the last state it matched in, at the new version.
    let left = web.expect("DELETED", "c").await;
    assert_eq!(left["metadata"]["labels"]["app"], "web");
    assert_eq!(version(&left), version(&moved));
    // Coming back: ADDED.
    let returned = web.expect("ADDED", "c").await;
    assert_eq!(version(&returned), version(&back));
    web.expect("DELETED", "c").await;

    // Without a selector, the same changes are plain modifications.
    all.expect("ADDED", "c").await;
    all.expect("MODIFIED", "c").await;
    all.expect("MODIFIED", "c").await;
    all.expect("ADDED", "other").await;
    all.expect("DELETED", "other").await;
    all.expect("DELETED", "c").await;
}

#[tokio::test]
async fn step4_a_selector_filters_the_replayed_state_too() {
    let api = WatchApi::embedded().await;
    api.create(CONFIGMAPS, &configmap("a", json!({"tier": "front"})))
        .await;
    api.create(CONFIGMAPS, &configmap("b", json!({"tier": "back"})))
        .await;
    let mut events = api
        .watch(&format!(
            "{CONFIGMAPS}?watch=true&labelSelector=tier%3Dback"
        ))
        .await;
    events.expect("ADDED", "b").await;
    api.create(CONFIGMAPS, &configmap("c", json!({"tier": "back"})))
        .await;
    events.expect("ADDED", "c").await;
}

#[tokio::test]
async fn step4_a_field_selector_on_the_name_watches_one_object() {
    let api = WatchApi::embedded().await;
    api.create(CONFIGMAPS, &configmap("web", json!({}))).await;
    api.create(CONFIGMAPS, &configmap("db", json!({}))).await;
    // What `kubectl get configmap web -w` and `kubectl delete` send.
    let mut events = api
        .watch(&format!(
            "{CONFIGMAPS}?fieldSelector=metadata.name%3Dweb&resourceVersion=0&watch=true"
        ))
        .await;
    events.expect("ADDED", "web").await;
    api.delete(CONFIGMAPS, "db").await;
    api.delete(CONFIGMAPS, "web").await;
    events.expect("DELETED", "web").await;

    let (code, status) = api
        .call(
            "GET",
            &format!("{CONFIGMAPS}?watch=true&fieldSelector=data%3Dx"),
            None,
        )
        .await;
    assert_eq!(code, 400, "{status}");
}

#[tokio::test]
async fn step4_a_table_watch_sends_one_row_tables() {
    let api = WatchApi::embedded().await;
    api.create(CONFIGMAPS, &configmap("web", json!({}))).await;
    let mut events = api
        .watch_accepting(
            &format!("{CONFIGMAPS}?watch=true&fieldSelector=metadata.name%3Dweb"),
            TABLE_ACCEPT,
        )
        .await;
    let event = events.event().await;
    assert_eq!(event["type"], "ADDED", "{event}");
    let table = &event["object"];
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(table["columnDefinitions"][0]["name"], "Name");
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["cells"][0], "web");
    // The row carries the object's metadata: kubectl's -A and -L read it.
    assert_eq!(rows[0]["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(rows[0]["object"]["metadata"]["name"], "web");
    let object_version = rows[0]["object"]["metadata"]["resourceVersion"].clone();
    assert_eq!(table["metadata"]["resourceVersion"], object_version);

    api.delete(CONFIGMAPS, "web").await;
    let event = events.event().await;
    assert_eq!(event["type"], "DELETED", "{event}");
    assert_eq!(event["object"]["kind"], "Table");
    assert_eq!(event["object"]["rows"][0]["cells"][0], "web");
    // Only the first Table of a watch carries the columns, as upstream: kubectl keeps them.
    assert_eq!(event["object"]["columnDefinitions"], json!([]));
}
