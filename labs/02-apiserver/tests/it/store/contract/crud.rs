//! Contract: reads and writes. Revisions, the three refusals (AlreadyExists, Conflict,
//! NotFound), prefixes, paging, reads at an old revision, and no lost update under contention.

use lab_02::store::{Error, KeyValue, ListOptions, Store, registry_key, registry_prefix};

use super::{text, value};

/// The keys of a listing, for comparing.
fn keys(items: &[KeyValue]) -> Vec<&str> {
    items.iter().map(|kv| kv.key.as_str()).collect()
}

pub(crate) async fn step1_create_get_update_delete_track_revisions<S: Store>(store: S) {
    let key = registry_key("pods", Some("default"), "web");
    assert_eq!(key, "/registry/pods/default/web");
    let start = store.current_revision().await.unwrap();

    // A create takes the next revision, as both create_revision and mod_revision.
    let created = store.create(&key, value("v1")).await.unwrap();
    assert_eq!(
        (created.create_revision, created.mod_revision),
        (start + 1, start + 1)
    );
    assert_eq!(text(&created), "v1");
    assert_eq!(store.get(&key).await.unwrap(), Some(created.clone()));

    // An update moves mod_revision on and keeps create_revision.
    let updated = store
        .update(&key, value("v2"), Some(created.mod_revision))
        .await
        .unwrap();
    assert_eq!(
        (updated.create_revision, updated.mod_revision),
        (start + 1, start + 2)
    );
    assert_eq!(store.get(&key).await.unwrap(), Some(updated.clone()));

    // Without an expected revision the update is unconditional (but the key must exist).
    let overwritten = store.update(&key, value("v3"), None).await.unwrap();
    assert_eq!(overwritten.mod_revision, start + 3);

    // A delete returns the last state and is a write too: it takes a revision.
    let deleted = store
        .delete(&key, Some(overwritten.mod_revision))
        .await
        .unwrap();
    assert_eq!(deleted, overwritten);
    assert_eq!(store.get(&key).await.unwrap(), None);
    assert_eq!(store.current_revision().await.unwrap(), start + 4);

    // Created again, the key starts a new life: a new create_revision.
    let again = store.create(&key, value("v4")).await.unwrap();
    assert_eq!(
        (again.create_revision, again.mod_revision),
        (start + 5, start + 5)
    );
}

pub(crate) async fn step1_create_of_an_existing_key_is_already_exists<S: Store>(store: S) {
    let key = registry_key("pods", Some("default"), "web");
    let created = store.create(&key, value("first")).await.unwrap();
    let error = store.create(&key, value("second")).await.unwrap_err();
    assert!(
        matches!(&error, Error::AlreadyExists { key: k } if *k == key),
        "{error}"
    );
    // Refused writes change nothing, not even the revision.
    assert_eq!(store.get(&key).await.unwrap(), Some(created.clone()));
    assert_eq!(
        store.current_revision().await.unwrap(),
        created.mod_revision
    );
}

pub(crate) async fn step1_update_or_delete_with_a_stale_mod_revision_is_a_conflict<S: Store>(
    store: S,
) {
    let key = registry_key("configmaps", Some("default"), "settings");
    let created = store.create(&key, value("v1")).await.unwrap();
    // Someone else updates first...
    let theirs = store
        .update(&key, value("theirs"), Some(created.mod_revision))
        .await
        .unwrap();
    // ...so an update or delete based on what we read before is refused.
    let error = store
        .update(&key, value("ours"), Some(created.mod_revision))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Conflict { expected, actual, .. }
            if expected == created.mod_revision && actual == theirs.mod_revision),
        "{error}"
    );
    let error = store
        .delete(&key, Some(created.mod_revision))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Conflict { .. }), "{error}");
    assert_eq!(store.get(&key).await.unwrap(), Some(theirs.clone()));
    assert_eq!(store.current_revision().await.unwrap(), theirs.mod_revision);
}

pub(crate) async fn step1_update_or_delete_of_a_missing_key_is_not_found<S: Store>(store: S) {
    let key = registry_key("nodes", None, "node-1");
    assert_eq!(key, "/registry/nodes/node-1");
    assert_eq!(store.get(&key).await.unwrap(), None);
    for error in [
        store.update(&key, value("v"), None).await.unwrap_err(),
        store.update(&key, value("v"), Some(1)).await.unwrap_err(),
        store.delete(&key, None).await.unwrap_err(),
        store.delete(&key, Some(1)).await.unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::NotFound { key: k } if *k == key),
            "{error}"
        );
    }
    // A deleted key is missing too: update is never an upsert.
    store.create(&key, value("v")).await.unwrap();
    store.delete(&key, None).await.unwrap();
    let error = store.update(&key, value("v"), None).await.unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error}");
}

pub(crate) async fn step1_list_sees_only_its_prefix<S: Store>(store: S) {
    for (resource, namespace, name) in [
        ("pods", "a", "web"),
        ("pods", "ab", "web"),
        ("pods", "a", "db"),
        ("services", "a", "web"),
    ] {
        let key = registry_key(resource, Some(namespace), name);
        store.create(&key, value(name)).await.unwrap();
    }
    let in_a = store
        .list(&registry_prefix("pods", Some("a")), ListOptions::default())
        .await
        .unwrap();
    // Namespace `a` only, in key order: not `ab`, not the service.
    assert_eq!(
        keys(&in_a.items),
        ["/registry/pods/a/db", "/registry/pods/a/web"]
    );
    assert!(!in_a.more);
    assert_eq!(in_a.revision, store.current_revision().await.unwrap());
    let all_pods = store
        .list(&registry_prefix("pods", None), ListOptions::default())
        .await
        .unwrap();
    assert_eq!(all_pods.items.len(), 3);
    // Why prefixes end with `/`: without it, namespace `a` would also match `ab`.
    let sloppy = store
        .list("/registry/pods/a", ListOptions::default())
        .await
        .unwrap();
    assert_eq!(sloppy.items.len(), 3);
}

pub(crate) async fn step1_list_pages_with_limit_and_continue_at_one_revision<S: Store>(store: S) {
    let prefix = registry_prefix("pods", Some("paged"));
    let key = |name: &str| format!("{prefix}{name}");
    for name in ["p1", "p2", "p3", "p4", "p5"] {
        store.create(&key(name), value(name)).await.unwrap();
    }
    let limit = Some(2);
    let first = store
        .list(
            &prefix,
            ListOptions {
                limit,
                ..ListOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(keys(&first.items), [key("p1"), key("p2")]);
    assert!(first.more);

    // Writes between two pages: one before the next page's start, one in it, one deleted.
    store.create(&key("p25"), value("new")).await.unwrap();
    store
        .update(&key("p3"), value("changed"), None)
        .await
        .unwrap();
    store.delete(&key("p4"), None).await.unwrap();

    // The next pages are read at the first page's revision: as if nothing happened.
    let second_options = first.next_page(limit).expect("a second page");
    assert_eq!(second_options.revision, Some(first.revision));
    let second = store.list(&prefix, second_options).await.unwrap();
    assert_eq!(keys(&second.items), [key("p3"), key("p4")]);
    assert_eq!(text(&second.items[0]), "p3");
    assert_eq!(second.revision, first.revision);
    assert!(second.more);
    let third = store
        .list(&prefix, second.next_page(limit).expect("a third page"))
        .await
        .unwrap();
    assert_eq!(keys(&third.items), [key("p5")]);
    assert!(!third.more);
    assert_eq!(third.next_page(limit), None);

    // A new listing sees the writes.
    let now = store.list(&prefix, ListOptions::default()).await.unwrap();
    assert_eq!(
        keys(&now.items),
        [key("p1"), key("p2"), key("p25"), key("p3"), key("p5")]
    );
    assert_eq!(text(&now.items[3]), "changed");
}

pub(crate) async fn step1_list_at_an_old_revision_reads_the_old_values<S: Store>(store: S) {
    let prefix = registry_prefix("secrets", Some("default"));
    let key = format!("{prefix}token");
    let v1 = store.create(&key, value("v1")).await.unwrap();
    let v2 = store.update(&key, value("v2"), None).await.unwrap();
    let other = store
        .create(&format!("{prefix}zz-other"), value("other"))
        .await
        .unwrap();
    let deleted_at = {
        store.delete(&key, None).await.unwrap();
        store.current_revision().await.unwrap()
    };
    let at = |revision: i64| ListOptions {
        revision: Some(revision),
        ..ListOptions::default()
    };
    let read = |revision| {
        let store = store.clone();
        let prefix = prefix.clone();
        async move { store.list(&prefix, at(revision)).await.unwrap() }
    };
    // Before anything was written: nothing. Then each version in turn.
    assert!(read(v1.mod_revision - 1).await.items.is_empty());
    assert_eq!(read(v1.mod_revision).await.items, std::slice::from_ref(&v1));
    assert_eq!(read(v2.mod_revision).await.items, std::slice::from_ref(&v2));
    assert_eq!(
        read(other.mod_revision).await.items,
        [v2.clone(), other.clone()]
    );
    assert_eq!(read(deleted_at).await.items, std::slice::from_ref(&other));
    assert_eq!(read(v2.mod_revision).await.revision, v2.mod_revision);
    // A revision that has not happened yet cannot be read.
    let error = store.list(&prefix, at(deleted_at + 100)).await.unwrap_err();
    assert!(
        matches!(error, Error::FutureRevision { requested, .. } if requested == deleted_at + 100),
        "{error}"
    );
}

/// Writers per test and increments per writer: 32 x 50, as the robustness goal asks.
const WRITERS: u64 = 32;
const INCREMENTS: u64 = 50;

pub(crate) async fn step1_no_update_is_lost_under_concurrent_writers<S: Store>(store: S) {
    let key = registry_key("configmaps", Some("default"), "counter");
    store.create(&key, value("0")).await.unwrap();
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..WRITERS {
        let store = store.clone();
        let key = key.clone();
        writers.spawn(async move {
            for _ in 0..INCREMENTS {
                // Read, modify, write with the revision read; on Conflict, read again.
                loop {
                    let current = store.get(&key).await.unwrap().expect("the counter exists");
                    let count: u64 = text(&current).parse().expect("a number");
                    // Let the other writers read the same revision: the race is the point.
                    tokio::task::yield_now().await;
                    let next = value(&(count + 1).to_string());
                    match store.update(&key, next, Some(current.mod_revision)).await {
                        Ok(_) => break,
                        Err(Error::Conflict { .. }) => continue,
                        Err(error) => panic!("update failed: {error}"),
                    }
                }
            }
        });
    }
    while let Some(finished) = writers.join_next().await {
        finished.expect("a writer panicked");
    }
    let counter = store.get(&key).await.unwrap().expect("the counter exists");
    assert_eq!(text(&counter), (WRITERS * INCREMENTS).to_string());
}
