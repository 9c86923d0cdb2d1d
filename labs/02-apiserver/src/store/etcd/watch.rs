//! Watching etcd: one etcd watch stream per [`Watch`], forwarded by a small task.
//!
//! etcd already does what the embedded store's history and fan-out do: it keeps the events of
//! every revision since its last compaction and replays them to a watch that starts at an old
//! revision, then streams the new ones. What is left here is translation:
//!
//! - our `from_revision` means "events *after* it"; etcd's `start_revision` is inclusive, so
//!   the watch starts at `from_revision + 1`;
//! - `prev_kv` asks etcd to attach each key's previous value, which a DELETED event needs;
//! - a watch from a compacted revision is refused by etcd *asynchronously* (the stream is
//!   created, then cancelled with `compact_revision`); to answer [`Error::Compacted`] up front
//!   like the embedded store, we first read at `from_revision + 1`, which etcd refuses exactly
//!   when the watch would be refused.
//!
//! The forwarding task ends when the [`Watch`] is dropped (its channel closes), when etcd ends
//! the stream, or on the first error, which it forwards as the watch's last item.

use std::collections::VecDeque;

use etcd_client::{EventType, GetOptions, WatchOptions, WatchResponse, WatchStream};
use tokio::sync::mpsc;

use super::EtcdStore;
use super::convert::{key_string, key_value, prefix_end, range_start};
use crate::store::{Error, Event, Result, Store, Watch};

/// How many converted events may wait in a watch's channel. When it is full the task stops
/// reading from etcd, and HTTP/2 flow control makes etcd hold the rest: a slow watcher slows
/// only its own stream.
const CHANNEL_CAPACITY: usize = 256;

/// Starts a watch on `prefix` for the events after `from_revision`.
pub(super) async fn open(store: &EtcdStore, prefix: &str, from_revision: i64) -> Result<Watch> {
    // Replaying from an old revision needs its history: a read at the first revision to
    // replay fails with Compacted exactly when the history is gone. (Nothing to replay when
    // `from_revision` is the current revision or later.)
    if from_revision < store.current_revision().await? {
        let mut kv = store.client.kv_client();
        let probe = GetOptions::new()
            .with_range(prefix_end(prefix.as_bytes()))
            .with_revision(from_revision + 1)
            .with_count_only();
        store
            .call(
                "watch",
                from_revision,
                kv.get(range_start(prefix), Some(probe)),
            )
            .await?;
    }
    let options = WatchOptions::new()
        .with_range(prefix_end(prefix.as_bytes()))
        .with_start_revision(from_revision + 1)
        .with_prev_key();
    let mut client = store.client.watch_client();
    let stream = store
        .call(
            "watch",
            from_revision,
            client.watch(range_start(prefix), Some(options)),
        )
        .await?;
    let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
    tokio::spawn(forward(stream, sender, from_revision));
    Ok(Watch::new(VecDeque::new(), receiver))
}

/// Reads etcd's watch responses and sends their events, converted, into the watch's channel.
async fn forward(mut stream: WatchStream, sender: mpsc::Sender<Result<Event>>, from: i64) {
    loop {
        let message = tokio::select! {
            // The `Watch` was dropped: stop. Dropping `stream` cancels the watch in etcd.
            () = sender.closed() => return,
            // The next response from etcd (events, or the watch's end).
            message = stream.message() => message,
        };
        let items: Vec<Result<Event>> = match message {
            Ok(Some(response)) if response.canceled() => vec![Err(cancelled(&response, from))],
            Ok(Some(response)) => response.events().iter().map(event).collect(),
            Ok(None) => vec![Err(Error::Unavailable {
                message: "etcd closed the watch stream".into(),
                source: None,
            })],
            Err(error) => vec![Err(Error::Unavailable {
                message: "the etcd watch stream failed".into(),
                source: Some(error),
            })],
        };
        for item in items {
            let last = item.is_err();
            // A send fails only when the `Watch` is gone; an error is always the last item.
            if sender.send(item).await.is_err() || last {
                tracing::debug!(from, "etcd watch forwarding ended");
                return;
            }
        }
    }
}

/// Why etcd cancelled a watch: a compacted start revision, or something else.
fn cancelled(response: &WatchResponse, from: i64) -> Error {
    match response.compact_revision() {
        0 => Error::Unexpected(format!(
            "etcd cancelled the watch: {}",
            response.cancel_reason()
        )),
        compacted_revision => Error::Compacted {
            requested: from,
            compacted_revision,
        },
    }
}

/// Converts one etcd event. A delete must carry its previous value; etcd leaves it out only if
/// that value was compacted away, which kube-apiserver treats as an error too.
fn event(event: &etcd_client::Event) -> Result<Event> {
    let kv = event
        .kv()
        .ok_or_else(|| Error::Unexpected("etcd sent a watch event without a key".into()))?;
    match event.event_type() {
        EventType::Put => Ok(Event::Put {
            kv: key_value(kv)?,
            prev: event.prev_kv().map(key_value).transpose()?,
        }),
        EventType::Delete => {
            let prev = event.prev_kv().ok_or_else(|| {
                Error::Unexpected("etcd sent a delete event without the previous value".into())
            })?;
            Ok(Event::Delete {
                key: key_string(kv.key())?,
                prev: key_value(prev)?,
                // A delete event's kv holds only the key, stamped with the delete's revision.
                revision: kv.mod_revision(),
            })
        }
    }
}

/// etcd's compaction revision. etcd says it in one place only: a watch that starts before it
/// is cancelled with `compact_revision` set. So we open a watch from revision 1 on a key nobody
/// uses and read that answer (etcd sends it within ~100 ms). 0 when etcd does not say in time.
pub(super) async fn compacted_revision(store: &EtcdStore) -> i64 {
    let probe = async {
        let mut client = store.client.watch_client();
        let options = WatchOptions::new().with_start_revision(1);
        let mut stream = client.watch("\0", Some(options)).await?;
        while let Some(response) = stream.message().await? {
            if response.compact_revision() > 0 {
                return Ok(response.compact_revision());
            }
            if response.canceled() || !response.events().is_empty() {
                break;
            }
        }
        Ok::<i64, etcd_client::Error>(0)
    };
    match tokio::time::timeout(store.request_timeout, probe).await {
        Ok(Ok(revision)) => revision,
        _ => 0,
    }
}
