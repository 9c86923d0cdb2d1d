//! Bookmarks and `timeoutSeconds`, on tokio's paused clock: the runtime jumps to the next timer
//! whenever every task is idle, so minutes of watch time pass instantly and deterministically.

use std::time::Duration;

use serde_json::json;

use super::{CONFIGMAPS, WatchApi, configmap, version};

/// Long enough for any read on the paused clock (more than a bookmark interval).
const PATIENCE: Duration = Duration::from_secs(600);

#[tokio::test(start_paused = true)]
async fn step4_bookmarks_arrive_when_allowed_with_the_latest_version() {
    let api = WatchApi::embedded().await;
    let listed = api.list_version(CONFIGMAPS).await;
    let mut events = api
        .watch(&format!(
            "{CONFIGMAPS}?watch=true&allowWatchBookmarks=true&resourceVersion={listed}&labelSelector=app%3Dweb"
        ))
        .await;
    events.deadline = PATIENCE;

    let started = tokio::time::Instant::now();
    let bookmark = events.event().await;
    assert_eq!(bookmark["type"], "BOOKMARK", "{bookmark}");
    // About a minute after the start, and only kind, apiVersion and the version.
    assert!(
        started.elapsed() >= Duration::from_secs(59),
        "{:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() <= Duration::from_secs(61),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        bookmark["object"],
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"resourceVersion": listed}})
    );

    // A change the selector hides still moves the bookmark on: the client may resume after it.
    let other = api
        .create(CONFIGMAPS, &configmap("x", json!({"app": "db"})))
        .await;
    let next = events.event().await;
    assert_eq!(next["type"], "BOOKMARK", "{next}");
    assert_eq!(version(&next["object"]), version(&other));
}

#[tokio::test(start_paused = true)]
async fn step4_no_bookmarks_unless_allowed() {
    let api = WatchApi::embedded().await;
    let mut events = api
        .watch(&format!("{CONFIGMAPS}?watch=true&timeoutSeconds=300"))
        .await;
    events.deadline = PATIENCE;
    // Five minutes of nothing, then the end: not a single bookmark.
    events.expect_end().await;
}

#[tokio::test(start_paused = true)]
async fn step4_timeout_seconds_ends_the_stream_after_a_last_bookmark() {
    let api = WatchApi::embedded().await;
    let mut events = api
        .watch(&format!(
            "{CONFIGMAPS}?watch=true&allowWatchBookmarks=true&timeoutSeconds=30"
        ))
        .await;
    events.deadline = PATIENCE;
    let started = tokio::time::Instant::now();
    // 30 s is shorter than the bookmark interval: the one bookmark comes 2 s before the end.
    let bookmark = events.event().await;
    assert_eq!(bookmark["type"], "BOOKMARK", "{bookmark}");
    assert_eq!(started.elapsed(), Duration::from_secs(28));
    events.expect_end().await;
    assert_eq!(started.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn step4_watching_a_missing_namespace_is_an_empty_stream() {
    let api = WatchApi::embedded().await;
    let mut events = api
        .watch("/api/v1/namespaces/missing/configmaps?watch=true&timeoutSeconds=5")
        .await;
    assert_eq!(events.code, 200);
    events.deadline = PATIENCE;
    events.expect_end().await;
}
