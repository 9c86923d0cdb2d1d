//! The storage contract, written once: each `pub(crate) async fn step1_*` takes any `Store`.
//!
//! Tests compare revisions relative to the store's revision when the test began, never to
//! absolute numbers, and wait for watch events with a deadline, never with a sleep.

mod crud;
mod watch;

use std::time::Duration;

use bytes::Bytes;
use lab_02::store::{Event, KeyValue, Watch};

pub(crate) use crud::*;
pub(crate) use watch::*;

/// How long a test waits for an event that should come at once: generous, because a loaded
/// CI machine is slow, and only ever spent when the test is failing anyway.
const EVENT_DEADLINE: Duration = Duration::from_secs(10);

/// A value from text.
pub(crate) fn value(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

/// A pair's value as text.
pub(crate) fn text(kv: &KeyValue) -> &str {
    std::str::from_utf8(&kv.value).expect("test values are UTF-8")
}

/// An event as (kind, key, value, revision), easy to compare in a list: a put shows its new
/// value, a delete shows the value it removed.
pub(crate) fn summary(event: &Event) -> (&'static str, String, String, i64) {
    match event {
        Event::Put { kv, .. } => ("put", kv.key.clone(), text(kv).to_owned(), kv.mod_revision),
        Event::Delete {
            key,
            prev,
            revision,
        } => ("delete", key.clone(), text(prev).to_owned(), *revision),
    }
}

/// The next event of `watch`; fails the test if the watch errors, ends, or stays silent.
pub(crate) async fn next_event(watch: &mut Watch) -> Event {
    match tokio::time::timeout(EVENT_DEADLINE, watch.recv()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(error))) => panic!("the watch failed: {error}"),
        Ok(None) => panic!("the watch ended"),
        Err(_) => panic!("no watch event within {EVENT_DEADLINE:?}"),
    }
}

/// The next `count` events of `watch`, summarised.
pub(crate) async fn next_events(
    watch: &mut Watch,
    count: usize,
) -> Vec<(&'static str, String, String, i64)> {
    let mut events = Vec::with_capacity(count);
    for _ in 0..count {
        events.push(summary(&next_event(watch).await));
    }
    events
}
