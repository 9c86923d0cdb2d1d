//! Step 1 on the embedded store: the whole contract, plus what only the embedded store does
//! itself (etcd does it inside etcd): bounded per-watcher buffers and a bounded history.

use std::time::Duration;

use lab_02::store::mem::{Config, MemStore};
use lab_02::store::{Error, ListOptions, Store, registry_prefix};

use super::contract::{next_event, value};

/// A fresh embedded store with the default limits; there is nothing to keep alive.
macro_rules! embedded_store {
    () => {
        ((), lab_02::store::mem::MemStore::default())
    };
}

contract_tests!(embedded_store);

#[tokio::test]
async fn step1_a_slow_watcher_blocks_neither_writers_nor_fast_watchers() {
    let buffer = 8;
    let store = MemStore::new(Config {
        watch_buffer: buffer,
        ..Config::default()
    });
    let prefix = registry_prefix("pods", Some("default"));
    let writes = 100;
    // The slow watcher never reads while the writes happen.
    let mut slow = store.watch(&prefix, 1).await.unwrap();
    // The fast one reads everything, in its own task.
    let mut fast = store.watch(&prefix, 1).await.unwrap();
    let reader = tokio::spawn(async move {
        let mut revisions = Vec::new();
        for _ in 0..writes {
            revisions.push(next_event(&mut fast).await.revision());
        }
        revisions
    });
    for n in 0..writes {
        store
            .create(&format!("{prefix}pod-{n}"), value("x"))
            .await
            .unwrap();
        // Let the fast reader run between writes, as it would on its own core.
        tokio::task::yield_now().await;
    }
    // Every write went through, and the fast watcher saw all of them, in order.
    let expected: Vec<i64> = (2..2 + writes).collect();
    assert_eq!(reader.await.unwrap(), expected);
    // The slow watcher gets what fitted in its buffer, then the error, then the end.
    for revision in 2..2 + buffer as i64 {
        assert_eq!(next_event(&mut slow).await.revision(), revision);
    }
    let ended = tokio::time::timeout(Duration::from_secs(10), slow.recv()).await;
    let Ok(Some(Err(error))) = ended else {
        panic!("expected the slow watcher to end with an error, got {ended:?}");
    };
    assert!(
        matches!(error, Error::WatcherTooSlow { buffer: 8 }),
        "{error}"
    );
    assert!(error.is_gone());
    assert!(slow.recv().await.is_none());
    // Both watchers are gone from the store: one ended, one dropped with its task.
    store
        .create("/registry/pods/default/last", value("x"))
        .await
        .unwrap();
    assert_eq!(store.watcher_count(), 0);
}

#[tokio::test]
async fn step1_the_bounded_history_compacts_itself() {
    let store = MemStore::new(Config {
        history_limit: 5,
        ..Config::default()
    });
    let prefix = registry_prefix("pods", Some("default"));
    let key = format!("{prefix}web");
    store.create(&key, value("0")).await.unwrap();
    for n in 1..10 {
        store
            .update(&key, value(&n.to_string()), None)
            .await
            .unwrap();
    }
    // Revisions 2..=11 were written; only the last 5 events (7..=11) are kept.
    assert_eq!(store.current_revision().await.unwrap(), 11);
    let error = store.watch(&prefix, 5).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Compacted {
                requested: 5,
                compacted_revision: 7
            }
        ),
        "{error}"
    );
    let at = |revision| ListOptions {
        revision: Some(revision),
        ..ListOptions::default()
    };
    let error = store.list(&prefix, at(6)).await.unwrap_err();
    assert!(matches!(error, Error::Compacted { .. }), "{error}");
    // From 6 on, every event needed is there: 7, 8, 9, 10, 11.
    let mut watch = store.watch(&prefix, 6).await.unwrap();
    for revision in 7..=11 {
        assert_eq!(next_event(&mut watch).await.revision(), revision);
    }
    let at_seven = store.list(&prefix, at(7)).await.unwrap();
    assert_eq!(at_seven.items[0].value, value("5"));
    // The automatic compaction counts as one: compacting to 7 again is refused.
    assert!(matches!(
        store.compact(7).await,
        Err(Error::Compacted { .. })
    ));
}
