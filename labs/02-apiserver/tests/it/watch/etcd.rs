//! Step 4 on real etcd: the same watch, when the store is etcd's own watch.

use lab_02::store::etcd::{EtcdConfig, EtcdStore};
use lab_02::store::{Backend, Store};
use serde_json::json;

use super::{CONFIGMAPS, WatchApi, configmap, version};

#[tokio::test]
async fn step4_etcd_watch_replays_then_streams_and_expires() {
    let etcd = labkit::require!(labkit::Etcd::start());
    let store = EtcdStore::connect(EtcdConfig::new(vec![etcd.endpoint()]))
        .await
        .expect("failed to connect to the test etcd");
    let api = WatchApi::on(Backend::Etcd(store)).await;
    let first = api
        .create(CONFIGMAPS, &configmap("a", json!({"app": "web"})))
        .await;

    let mut events = api
        .watch(&format!("{CONFIGMAPS}?watch=true&labelSelector=app%3Dweb"))
        .await;
    events.expect("ADDED", "a").await;
    let mut changed = first.clone();
    changed["data"]["key"] = json!("changed");
    api.update(CONFIGMAPS, &changed).await;
    events.expect("MODIFIED", "a").await;
    let mut moved = changed.clone();
    moved["metadata"]["labels"]["app"] = json!("db");
    moved["metadata"]["resourceVersion"] = json!(null);
    api.update(CONFIGMAPS, &moved).await;
    let left = events.expect("DELETED", "a").await;
    assert_eq!(left["metadata"]["labels"]["app"], "web");
    api.create(CONFIGMAPS, &configmap("b", json!({"app": "web"})))
        .await;
    events.expect("ADDED", "b").await;

    let current = api.state.store.current_revision().await.unwrap();
    api.state.store.compact(current).await.unwrap();
    let mut expired = api
        .watch(&format!(
            "{CONFIGMAPS}?watch=true&resourceVersion={}",
            version(&first) - 1
        ))
        .await;
    let event = expired.event().await;
    assert_eq!(event["type"], "ERROR", "{event}");
    assert_eq!(event["object"]["code"], 410);
    expired.expect_end().await;
}

/// etcd goes away while the server runs: requests fail fast with a 5xx `Status` (no hang, no
/// panic), and once etcd is back, reads, writes and new watches work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step4_etcd_outage_fails_fast_and_recovers_watches_included() {
    let mut etcd = labkit::require!(labkit::Etcd::start());
    let store = EtcdStore::connect(EtcdConfig::new(vec![etcd.endpoint()]))
        .await
        .expect("failed to connect to the test etcd");
    let api = WatchApi::on(Backend::Etcd(store)).await;
    api.create(CONFIGMAPS, &configmap("before", json!({"app": "web"})))
        .await;

    tokio::task::block_in_place(|| etcd.stop());
    let started = std::time::Instant::now();
    let (code, body) = api.call("GET", &format!("{CONFIGMAPS}/before"), None).await;
    assert!((500..600).contains(&code), "{code}: {body}");
    assert_eq!(body["kind"], "Status", "{body}");
    let (code, body) = api
        .call(
            "POST",
            CONFIGMAPS,
            Some(&configmap("during", json!({"app": "web"}))),
        )
        .await;
    assert!((500..600).contains(&code), "{code}: {body}");
    // Two requests, each bounded by the store's request timeout (5 s): well under a hang.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );

    tokio::task::block_in_place(|| etcd.restart());
    // The client reconnects on its own; give it a few tries.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (code, _) = api.call("GET", &format!("{CONFIGMAPS}/before"), None).await;
        if code == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {code} 30 s after etcd came back"
        );
        tokio::task::yield_now().await;
    }
    let mut events = api.watch(&format!("{CONFIGMAPS}?watch=true")).await;
    events.expect("ADDED", "before").await;
    api.create(CONFIGMAPS, &configmap("after", json!({"app": "web"})))
        .await;
    events.expect("ADDED", "after").await;
}
