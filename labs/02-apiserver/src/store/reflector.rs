//! A reflector: keeps an in-memory view of one key prefix current, by listing it once and then
//! watching it from the list's revision, and listing again whenever the watch breaks.
//!
//! This is the informer pattern of lab 03 in miniature, at the store level: the API server uses
//! it for the few things it must know often and cheaply, where a store read per request would
//! cost an etcd round trip each time (`NamespaceLifecycle`'s namespace states, the stopgap's
//! pending deletions). A [`View`] decides what to keep from the keys it is shown.

use std::time::Duration;

use super::{Event, KeyValue, ListOptions, Result, Store};

/// The page size of the listings that (re)fill a view.
const PAGE: usize = 500;
/// The first wait after a failure; it doubles up to [`MAX_BACKOFF`] while failures go on.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between two attempts (etcd down for a while: a retry every few seconds).
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a reflector feeds.
pub trait View: Send {
    /// Every key under the prefix as it was at `revision`: replace whatever was kept before.
    fn reset(&mut self, items: Vec<KeyValue>, revision: i64);
    /// One change after the last reset, in revision order.
    fn apply(&mut self, event: &Event);
    /// The view fell behind (the store is unreachable or the watch broke): until the next
    /// [`View::reset`], what it holds may be stale.
    fn lost(&mut self);
}

/// Keeps `view` current with the keys under `prefix`, forever: run it in a task and abort the
/// task to stop it. Failures never end it; they mark the view lost and retry with back-off.
pub async fn reflect<S: Store>(store: S, prefix: String, mut view: impl View) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let error = list_and_watch(&store, &prefix, &mut view, &mut backoff)
            .await
            .err();
        view.lost();
        match error {
            // The watch ended cleanly (the store closed it): list again at once.
            None => continue,
            Some(error) => {
                tracing::debug!(%prefix, %error, ?backoff, "reflector lost its watch; listing again");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// One round: list every page at one revision, reset the view, then apply the watch's events
/// until it ends. A successful listing resets the back-off.
async fn list_and_watch<S: Store>(
    store: &S,
    prefix: &str,
    view: &mut impl View,
    backoff: &mut Duration,
) -> Result<()> {
    let mut options = ListOptions {
        limit: Some(PAGE),
        ..ListOptions::default()
    };
    let mut items = Vec::new();
    let revision = loop {
        let page = store.list(prefix, options).await?;
        let next = page.next_page(Some(PAGE));
        items.extend(page.items);
        match next {
            Some(next) => options = next,
            None => break page.revision,
        }
    };
    view.reset(items, revision);
    *backoff = FIRST_BACKOFF;
    let mut watch = store.watch(prefix, revision).await?;
    while let Some(event) = watch.recv().await {
        view.apply(&event?);
    }
    Ok(())
}
