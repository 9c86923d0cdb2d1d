//! Contract: watch and compaction. Replay from 0, from now and from an old revision, prefix
//! filtering, delete events, and the `Compacted` answer once history is gone.

use lab_02::store::{Error, Event, ListOptions, Store, registry_prefix};

use super::{next_event, next_events, text, value};

pub(crate) async fn step1_watch_from_zero_replays_every_event_in_order<S: Store>(store: S) {
    let prefix = registry_prefix("pods", Some("default"));
    let (a, b) = (format!("{prefix}a"), format!("{prefix}b"));
    let start = store.current_revision().await.unwrap();
    store.create(&a, value("a1")).await.unwrap();
    store.update(&a, value("a2"), None).await.unwrap();
    store.create(&b, value("b1")).await.unwrap();
    store.delete(&a, None).await.unwrap();

    // From 0: the whole (uncompacted) history, oldest first, then live events.
    let mut watch = store.watch(&prefix, 0).await.unwrap();
    assert_eq!(
        next_events(&mut watch, 4).await,
        [
            ("put", a.clone(), "a1".into(), start + 1),
            ("put", a.clone(), "a2".into(), start + 2),
            ("put", b.clone(), "b1".into(), start + 3),
            ("delete", a.clone(), "a2".into(), start + 4),
        ]
    );
    store.update(&b, value("b2"), None).await.unwrap();
    assert_eq!(
        next_events(&mut watch, 1).await,
        [("put", b.clone(), "b2".into(), start + 5)]
    );
}

pub(crate) async fn step1_watch_from_the_current_revision_sees_only_new_events<S: Store>(store: S) {
    let prefix = registry_prefix("pods", Some("default"));
    store
        .create(&format!("{prefix}old"), value("old"))
        .await
        .unwrap();
    // A list's revision is where its watch starts: nothing before it is sent again.
    let listed = store.list(&prefix, ListOptions::default()).await.unwrap();
    let mut watch = store.watch(&prefix, listed.revision).await.unwrap();
    let new = store
        .create(&format!("{prefix}new"), value("new"))
        .await
        .unwrap();
    let event = next_event(&mut watch).await;
    // A creation: a put with no previous value.
    assert_eq!(
        event,
        Event::Put {
            kv: new.clone(),
            prev: None
        }
    );
}

pub(crate) async fn step1_watch_from_an_old_revision_replays_then_follows<S: Store>(store: S) {
    let prefix = registry_prefix("deployments", Some("default"));
    let (a, b) = (format!("{prefix}a"), format!("{prefix}b"));
    let first = store.create(&a, value("a1")).await.unwrap();
    let b1 = store.create(&b, value("b1")).await.unwrap();
    let a2 = store.update(&a, value("a2"), None).await.unwrap();
    // Everything after `first`: two replayed events...
    let mut watch = store.watch(&prefix, first.mod_revision).await.unwrap();
    assert_eq!(
        next_events(&mut watch, 2).await,
        [
            ("put", b.clone(), "b1".into(), b1.mod_revision),
            ("put", a.clone(), "a2".into(), a2.mod_revision),
        ]
    );
    // ...then the live ones, with no gap and nothing twice.
    store.delete(&b, None).await.unwrap();
    let a3 = store.update(&a, value("a3"), None).await.unwrap();
    assert_eq!(
        next_events(&mut watch, 2).await,
        [
            ("delete", b.clone(), "b1".into(), a2.mod_revision + 1),
            ("put", a.clone(), "a3".into(), a3.mod_revision),
        ]
    );
    // An update's event carries the value it replaced.
    let replay = store.watch(&prefix, a3.mod_revision - 1).await;
    let event = next_event(&mut replay.unwrap()).await;
    let Event::Put {
        prev: Some(prev), ..
    } = event
    else {
        panic!("expected an update, got {event:?}");
    };
    assert_eq!(text(&prev), "a2");
}

pub(crate) async fn step1_watch_sees_only_its_prefix<S: Store>(store: S) {
    let mut watch = store
        .watch(&registry_prefix("pods", Some("a")), 0)
        .await
        .unwrap();
    // Neither namespace `ab` nor another resource is seen; the first event is the pod in `a`.
    for key in [
        "/registry/pods/ab/web",
        "/registry/services/a/web",
        "/registry/pods/a/web",
    ] {
        store.create(key, value(key)).await.unwrap();
    }
    let event = next_event(&mut watch).await;
    assert_eq!(event.key(), "/registry/pods/a/web");
}

pub(crate) async fn step1_delete_events_carry_the_previous_value<S: Store>(store: S) {
    let prefix = registry_prefix("pods", Some("default"));
    let key = format!("{prefix}web");
    store.create(&key, value("v1")).await.unwrap();
    let last = store.update(&key, value("v2"), None).await.unwrap();
    let mut watch = store
        .watch(&prefix, store.current_revision().await.unwrap())
        .await
        .unwrap();
    let deleted = store.delete(&key, Some(last.mod_revision)).await.unwrap();
    assert_eq!(deleted, last);
    let event = next_event(&mut watch).await;
    // The DELETED event a client gets carries the object's last state.
    assert_eq!(
        event,
        Event::Delete {
            key: key.clone(),
            prev: last.clone(),
            revision: last.mod_revision + 1,
        }
    );
}

pub(crate) async fn step1_compaction_makes_old_reads_answer_compacted<S: Store>(store: S) {
    let prefix = registry_prefix("pods", Some("default"));
    let key = format!("{prefix}web");
    let v1 = store.create(&key, value("v1")).await.unwrap();
    let v2 = store.update(&key, value("v2"), None).await.unwrap();
    let v3 = store.update(&key, value("v3"), None).await.unwrap();
    store.compact(v2.mod_revision).await.unwrap();
    let at = |revision: i64| ListOptions {
        revision: Some(revision),
        ..ListOptions::default()
    };
    // Older than the compaction revision: gone (the apiserver will answer 410 Gone).
    let error = store.list(&prefix, at(v1.mod_revision)).await.unwrap_err();
    assert!(
        matches!(error, Error::Compacted { requested, compacted_revision }
            if requested == v1.mod_revision && compacted_revision == v2.mod_revision),
        "{error}"
    );
    assert!(error.is_gone());
    // At or after it: still readable, and the latest is untouched.
    let at_compaction = store.list(&prefix, at(v2.mod_revision)).await.unwrap();
    assert_eq!(at_compaction.items, std::slice::from_ref(&v2));
    assert_eq!(store.get(&key).await.unwrap(), Some(v3.clone()));
    // Compacting again to the same or an older revision is refused; so is the future.
    for revision in [v2.mod_revision, v1.mod_revision] {
        let error = store.compact(revision).await.unwrap_err();
        assert!(matches!(error, Error::Compacted { .. }), "{error}");
    }
    let error = store.compact(v3.mod_revision + 10).await.unwrap_err();
    assert!(matches!(error, Error::FutureRevision { .. }), "{error}");
}

pub(crate) async fn step1_compaction_makes_old_watches_answer_compacted<S: Store>(store: S) {
    let prefix = registry_prefix("pods", Some("default"));
    let key = format!("{prefix}web");
    let v1 = store.create(&key, value("v1")).await.unwrap();
    let v2 = store.update(&key, value("v2"), None).await.unwrap();
    let v3 = store.update(&key, value("v3"), None).await.unwrap();
    store.compact(v3.mod_revision).await.unwrap();
    // Events after v1 include v2's, which is gone: Compacted, for that watch and from 0.
    for from in [v1.mod_revision, 0] {
        let error = store.watch(&prefix, from).await.unwrap_err();
        assert!(
            matches!(error, Error::Compacted { requested, compacted_revision }
                if requested == from && compacted_revision == v3.mod_revision),
            "{error}"
        );
    }
    // From v2 on, everything needed (v3's event) is still kept, as in etcd.
    let mut watch = store.watch(&prefix, v2.mod_revision).await.unwrap();
    assert_eq!(
        next_events(&mut watch, 1).await,
        [("put", key.clone(), "v3".into(), v3.mod_revision)]
    );
}
