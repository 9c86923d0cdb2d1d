//! A tour of the step 1 store: writes and their revisions, a conflict, a paged list at one
//! revision, a watch that replays history, and a compaction that makes old revisions gone.
//!
//! Run with the embedded store, or against an etcd (a scratch one: the tour compacts it):
//!
//! ```text
//! cargo run -p lab-02 --example store
//! cargo run -p lab-02 --example store -- http://127.0.0.1:2379
//! ```
//!
//! Then look at what it left in etcd with `etcdctl get --prefix /registry/pods/`.
//! `RUST_LOG=debug` shows the store's own log lines.

use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use lab_02::store::etcd::{EtcdConfig, EtcdStore};
use lab_02::store::{Backend, Error, Event, ListOptions, Store, registry_key, registry_prefix};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let store = match std::env::args().nth(1) {
        Some(endpoint) => {
            let etcd = EtcdStore::connect(EtcdConfig::new(vec![endpoint.clone()]))
                .await
                .with_context(|| format!("failed to reach etcd at {endpoint}"))?;
            println!("store: etcd at {endpoint}");
            Backend::Etcd(etcd)
        }
        None => {
            println!("store: embedded (pass an etcd URL to use etcd)");
            Backend::default()
        }
    };
    let prefix = registry_prefix("pods", Some("default"));
    let names = ["web-1", "web-2", "web-3"];
    // A second run against the same etcd starts clean.
    for name in names {
        let key = registry_key("pods", Some("default"), name);
        match store.delete(&key, None).await {
            Ok(_) | Err(Error::NotFound { .. }) => {}
            Err(error) => return Err(error).context("failed to clean up"),
        }
    }

    let start = store.current_revision().await?;
    println!("\ncurrent revision: {start}");
    for name in names {
        let key = registry_key("pods", Some("default"), name);
        let kv = store.create(&key, pod(name, "nginx:1.27")).await?;
        println!("create {key:<32} -> revision {}", kv.mod_revision);
    }
    // Everything under the prefix after `start`: what happened above, then what happens next.
    let mut watch = store.watch(&prefix, start).await?;

    let key = registry_key("pods", Some("default"), "web-1");
    let read = store.get(&key).await?.context("web-1 was just created")?;
    let updated = store
        .update(&key, pod("web-1", "nginx:1.28"), Some(read.mod_revision))
        .await?;
    println!(
        "\nupdate web-1 at mod_revision {} -> mod_revision {}",
        read.mod_revision, updated.mod_revision
    );
    match store
        .update(&key, pod("web-1", "nginx:1.29"), Some(read.mod_revision))
        .await
    {
        Err(error @ Error::Conflict { .. }) => {
            println!("update again with the stale one -> {error}")
        }
        other => println!("update again with the stale one -> unexpectedly {other:?}"),
    }

    println!("\nlist {prefix}, two per page:");
    let mut options = ListOptions {
        limit: Some(2),
        ..ListOptions::default()
    };
    loop {
        let page = store.list(&prefix, options).await?;
        for kv in &page.items {
            println!("  {} (mod_revision {})", kv.key, kv.mod_revision);
        }
        println!(
            "  -- page read at revision {}, more: {}",
            page.revision, page.more
        );
        match page.next_page(Some(2)) {
            Some(next) => options = next,
            None => break,
        }
    }

    let removed = store
        .delete(&registry_key("pods", Some("default"), "web-3"), None)
        .await?;
    println!(
        "\ndelete web-3 (it was at mod_revision {})",
        removed.mod_revision
    );

    println!("\nwatch from revision {start}:");
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(500), watch.recv()).await
    {
        match event? {
            Event::Put { kv, prev } => println!(
                "  {:>4} {} {}",
                kv.mod_revision,
                if prev.is_some() {
                    "MODIFIED"
                } else {
                    "ADDED   "
                },
                kv.key
            ),
            Event::Delete { key, revision, .. } => println!("  {revision:>4} DELETED  {key}"),
        }
    }

    let now = store.current_revision().await?;
    store.compact(now).await?;
    println!("\ncompacted at revision {now}");
    match store.watch(&prefix, start).await {
        Err(error) if error.is_gone() => {
            println!("watch from {start} again -> {error}\n  (the apiserver answers 410 Gone)");
        }
        Err(error) => return Err(error.into()),
        Ok(_) => println!("watch from {start} again -> still possible"),
    }
    Ok(())
}

/// A small Pod as JSON, standing in for the objects step 2 will store.
fn pod(name: &str, image: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","namespace":"default"}},"spec":{{"containers":[{{"name":"main","image":"{image}"}}]}}}}"#
    ))
}
