//! The `resourceVersion` rules of a watch, the event types, 410 for lost history, and the
//! scopes a watch can cover.

use serde_json::json;

use super::{CONFIGMAPS, WatchApi, configmap, version};
use lab_02::store::Store;

#[tokio::test]
async fn step4_watch_without_version_replays_current_objects_as_added_then_streams_changes() {
    let api = WatchApi::embedded().await;
    api.create(CONFIGMAPS, &configmap("a", json!({}))).await;
    api.create(CONFIGMAPS, &configmap("b", json!({}))).await;

    let mut events = api.watch(&format!("{CONFIGMAPS}?watch=true")).await;
    assert_eq!(events.code, 200);
    assert_eq!(events.content_type, "application/json");
    // The current state, in key order, as full objects with their versions...
    let a = events.expect("ADDED", "a").await;
    let b = events.expect("ADDED", "b").await;
    assert_eq!(a["kind"], "ConfigMap");
    assert_eq!(a["data"]["key"], "value");
    assert!(version(&a) < version(&b));
    // ...then the live changes.
    api.create(CONFIGMAPS, &configmap("c", json!({}))).await;
    let c = events.expect("ADDED", "c").await;
    assert!(version(&c) > version(&b));
}

#[tokio::test]
async fn step4_watch_from_version_0_also_replays_current_state() {
    let api = WatchApi::embedded().await;
    api.create(CONFIGMAPS, &configmap("a", json!({}))).await;

    let mut events = api
        .watch(&format!("{CONFIGMAPS}?watch=1&resourceVersion=0"))
        .await;
    events.expect("ADDED", "a").await;
    api.delete(CONFIGMAPS, "a").await;
    events.expect("DELETED", "a").await;
}

#[tokio::test]
async fn step4_watch_from_a_list_version_sends_only_later_changes() {
    let api = WatchApi::embedded().await;
    api.create(CONFIGMAPS, &configmap("old", json!({}))).await;
    let listed = api.list_version(CONFIGMAPS).await;

    let mut events = api
        .watch(&format!("{CONFIGMAPS}?watch=true&resourceVersion={listed}"))
        .await;
    api.create(CONFIGMAPS, &configmap("new", json!({}))).await;
    // No ADDED for "old": the list already showed it.
    let new = events.expect("ADDED", "new").await;
    assert_eq!(version(&new), listed.parse::<i64>().unwrap() + 1);
}

#[tokio::test]
async fn step4_a_watch_from_an_older_version_replays_the_changes_since() {
    let api = WatchApi::embedded().await;
    let before = api.list_version(CONFIGMAPS).await;
    api.create(CONFIGMAPS, &configmap("a", json!({}))).await;
    api.delete(CONFIGMAPS, "a").await;

    let mut events = api
        .watch(&format!("{CONFIGMAPS}?watch=true&resourceVersion={before}"))
        .await;
    events.expect("ADDED", "a").await;
    events.expect("DELETED", "a").await;
}

#[tokio::test]
async fn step4_create_update_delete_arrive_as_added_modified_deleted_in_order() {
    let api = WatchApi::embedded().await;
    let listed = api.list_version(CONFIGMAPS).await;
    let mut events = api
        .watch(&format!("{CONFIGMAPS}?watch=true&resourceVersion={listed}"))
        .await;

    let created = api.create(CONFIGMAPS, &configmap("web", json!({}))).await;
    let mut changed = created.clone();
    changed["data"]["key"] = json!("changed");
    let updated = api.update(CONFIGMAPS, &changed).await;
    api.delete(CONFIGMAPS, "web").await;

    let added = events.expect("ADDED", "web").await;
    assert_eq!(
        added["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    assert_eq!(added["metadata"]["uid"], created["metadata"]["uid"]);
    let modified = events.expect("MODIFIED", "web").await;
    assert_eq!(modified["data"]["key"], "changed");
    assert_eq!(
        modified["metadata"]["resourceVersion"],
        updated["metadata"]["resourceVersion"]
    );
    // DELETED carries the last state, at the version of the delete (so a watch from it does
    // not see the delete again).
    let deleted = events.expect("DELETED", "web").await;
    assert_eq!(deleted["data"]["key"], "changed");
    assert_eq!(version(&deleted), version(&updated) + 1);
}

#[tokio::test]
async fn step4_a_compacted_version_is_one_error_event_410_then_the_end() {
    let api = WatchApi::embedded().await;
    let first = api.create(CONFIGMAPS, &configmap("a", json!({}))).await;
    api.create(CONFIGMAPS, &configmap("b", json!({}))).await;
    let current = api.state.store.current_revision().await.unwrap();
    api.state.store.compact(current).await.unwrap();

    let old = version(&first) - 1;
    let mut events = api
        .watch(&format!("{CONFIGMAPS}?watch=true&resourceVersion={old}"))
        .await;
    // Not an HTTP error: a 200 whose one event is the error.
    assert_eq!(events.code, 200);
    let event = events.event().await;
    assert_eq!(event["type"], "ERROR", "{event}");
    let status = &event["object"];
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["code"], 410);
    assert_eq!(status["reason"], "Expired");
    assert_eq!(
        status["message"],
        format!("too old resource version: {old} ({})", current - 1)
    );
    events.expect_end().await;
}

#[tokio::test]
async fn step4_resource_version_match_and_send_initial_events_are_refused_for_watch() {
    let api = WatchApi::embedded().await;
    let (code, status) = api
        .call(
            "GET",
            &format!("{CONFIGMAPS}?watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan"),
            None,
        )
        .await;
    assert_eq!(code, 422, "{status}");
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(
        status["message"],
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
    );
    // This server has no WatchList (streaming lists): clients fall back to list and watch.
    let (code, status) = api
        .call(
            "GET",
            &format!("{CONFIGMAPS}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"),
            None,
        )
        .await;
    assert_eq!(code, 422, "{status}");
    assert_eq!(
        status["message"],
        "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled]"
    );
    let (code, status) = api
        .call(
            "GET",
            &format!("{CONFIGMAPS}?watch=true&resourceVersion=abc"),
            None,
        )
        .await;
    assert_eq!(code, 400, "{status}");
}

#[tokio::test]
async fn step4_watch_covers_all_namespaces_and_cluster_scoped_resources() {
    let api = WatchApi::embedded().await;
    api.create(
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}}),
    )
    .await;
    let listed = api.list_version(CONFIGMAPS).await;
    let from = format!("watch=true&resourceVersion={listed}");
    let mut everywhere = api.watch(&format!("/api/v1/configmaps?{from}")).await;
    let mut in_lab = api
        .watch(&format!("/api/v1/namespaces/lab/configmaps?{from}"))
        .await;
    let mut namespaces = api.watch(&format!("/api/v1/namespaces?{from}")).await;

    api.create(CONFIGMAPS, &configmap("in-default", json!({})))
        .await;
    api.create(
        "/api/v1/namespaces/lab/configmaps",
        &configmap("in-lab", json!({})),
    )
    .await;
    api.create(
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}}),
    )
    .await;

    let first = everywhere.expect("ADDED", "in-default").await;
    assert_eq!(first["metadata"]["namespace"], "default");
    let second = everywhere.expect("ADDED", "in-lab").await;
    assert_eq!(second["metadata"]["namespace"], "lab");
    in_lab.expect("ADDED", "in-lab").await;
    namespaces.expect("ADDED", "other").await;
}

#[tokio::test]
async fn step4_server_shutdown_ends_open_watches() {
    let api = WatchApi::embedded().await;
    let mut events = api.watch(&format!("{CONFIGMAPS}?watch=true")).await;
    api.create(CONFIGMAPS, &configmap("a", json!({}))).await;
    events.expect("ADDED", "a").await;
    api.state.watch.shutdown.begin();
    events.expect_end().await;
}
