//! Many watchers at once: each gets every event, and one that never reads holds nobody up.

use std::time::Duration;

use lab_02::store::Backend;
use lab_02::store::mem::{Config, MemStore};
use serde_json::json;

use super::{CONFIGMAPS, WatchApi, configmap, version};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn step4_a_hundred_watchers_all_receive_while_one_never_reads() {
    let api = WatchApi::embedded().await;
    let listed = api.list_version(CONFIGMAPS).await;
    let uri = format!("{CONFIGMAPS}?watch=true&resourceVersion={listed}");
    // Opened and never read: its lines pile up until its own buffers are full.
    let stuck = api.watch(&uri).await;
    let mut readers = Vec::new();
    for _ in 0..100 {
        let mut events = api.watch(&uri).await;
        readers.push(tokio::spawn(async move {
            let mut seen = 0;
            loop {
                let object = events.expect("ADDED", &format!("cm-{seen}")).await;
                seen += 1;
                if object["metadata"]["name"] == "cm-49" {
                    return seen;
                }
            }
        }));
    }
    let everything = async {
        for i in 0..50 {
            api.create(CONFIGMAPS, &configmap(&format!("cm-{i}"), json!({})))
                .await;
        }
        for reader in readers {
            assert_eq!(reader.await.unwrap(), 50);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), everything)
        .await
        .expect("writers and readers were held up");
    drop(stuck);
}

#[tokio::test]
async fn step4_a_watcher_that_falls_behind_is_closed_and_can_watch_again() {
    let store = Backend::Embedded(MemStore::new(Config {
        watch_buffer: 8,
        ..Config::default()
    }));
    let api = WatchApi::on(store).await;
    let listed = api.list_version(CONFIGMAPS).await;
    let mut slow = api
        .watch(&format!("{CONFIGMAPS}?watch=true&resourceVersion={listed}"))
        .await;
    // 60 writes while the watcher reads nothing: they all succeed at once.
    for i in 0..60 {
        api.create(CONFIGMAPS, &configmap(&format!("cm-{i:02}"), json!({})))
            .await;
    }
    // It gets what was buffered for it, then its response ends.
    let mut last = None;
    while let Some(event) = slow.next().await {
        assert_eq!(event["type"], "ADDED", "{event}");
        last = Some(event["object"].clone());
    }
    let last = last.expect("the buffered events arrive before the end");
    let seen = last["metadata"]["name"].as_str().unwrap().to_string();
    assert!(
        seen.as_str() < "cm-59",
        "the slow watcher was not closed (saw {seen})"
    );
    // Watching again from the last version seen delivers the rest.
    let mut again = api
        .watch(&format!(
            "{CONFIGMAPS}?watch=true&resourceVersion={}",
            version(&last)
        ))
        .await;
    let next: usize = seen["cm-".len()..].parse::<usize>().unwrap() + 1;
    for i in next..60 {
        again.expect("ADDED", &format!("cm-{i:02}")).await;
    }
}
