//! One watch response as a task: the replayed objects, then the store's changes as events,
//! bookmarks when they are due, until the client, the deadline, the store or the server ends it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use k8s_openapi::jiff::Timestamp;
use labkit::Clock;
use serde_json::Value;
use tokio::sync::{mpsc, watch as signal};
use tokio::time::Instant;

use super::events::{Encoder, EventType, Translator};
use super::{Opening, Shutdown, next_bookmark, too_old};
use crate::status::Status;
use crate::store;

/// Where a watch's lines go: the channel the response body reads, given up when the client
/// has gone, the deadline has passed or the server is stopping.
pub(super) struct Outbox {
    pub(super) sender: mpsc::Sender<Result<Bytes, Infallible>>,
    pub(super) deadline: Option<Instant>,
    pub(super) stopping: signal::Receiver<bool>,
}

impl Outbox {
    /// Sends one line, waiting while the client is slow; false when the stream must end.
    async fn send(&self, line: Bytes) -> bool {
        tokio::select! {
            sent = self.sender.send(Ok(line)) => sent.is_ok(),
            () = sleep_until(self.deadline) => false,
            () = Shutdown::wait(self.stopping.clone()) => false,
        }
    }
}

/// Sleeps until `at`, or forever when there is no `at`.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One watch response, from its opening to its end (a task of its own).
pub(super) struct EventStream {
    pub(super) translator: Translator,
    pub(super) encoder: Encoder,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) outbox: Outbox,
    /// `Some` when the client allowed bookmarks.
    pub(super) bookmark_interval: Option<Duration>,
}

impl EventStream {
    /// The time Table ages are computed at.
    fn now(&self) -> Timestamp {
        let seconds = self
            .clock
            .wall()
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        i64::try_from(seconds)
            .ok()
            .and_then(|seconds| Timestamp::from_second(seconds).ok())
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Encodes and sends one event; false when the stream must end.
    async fn send(&self, kind: EventType, object: &Value) -> bool {
        match self.encoder.line(kind, object, self.now()) {
            Ok(line) => self.outbox.send(line).await,
            Err(status) => {
                tracing::warn!(message = status.message, "watch event could not be encoded");
                let error = self
                    .encoder
                    .line(EventType::Error, &status.to_json(), self.now());
                if let Ok(line) = error {
                    self.outbox.send(line).await;
                }
                false
            }
        }
    }

    /// Streams until the end; dropping `self` then closes the response and the store watch.
    pub(super) async fn run(self, opening: Opening) {
        let (initial, mut changes, mut revision) = match opening {
            Opening::Stream {
                initial,
                changes,
                revision,
            } => (initial, changes, revision),
            Opening::Expired(status) => {
                self.send(EventType::Error, &status.to_json()).await;
                return;
            }
        };
        for object in &initial {
            if !self.send(EventType::Added, object).await {
                return;
            }
        }
        let deadline = self.outbox.deadline;
        let interval = self.bookmark_interval;
        let mut bookmark_at =
            interval.and_then(|interval| next_bookmark(Instant::now(), interval, deadline));
        loop {
            tokio::select! {
                () = sleep_until(deadline) => return,
                () = Shutdown::wait(self.outbox.stopping.clone()) => return,
                () = self.outbox.sender.closed() => return,
                () = sleep_until(bookmark_at) => {
                    let bookmark = self.encoder.bookmark(revision);
                    if !self.send(EventType::Bookmark, &bookmark).await {
                        return;
                    }
                    bookmark_at = interval
                        .and_then(|interval| next_bookmark(Instant::now(), interval, deadline));
                }
                change = changes.recv() => {
                    let change = match change {
                        None => return,
                        Some(Ok(change)) => change,
                        Some(Err(error)) => return self.end_with(error).await,
                    };
                    // Every change moves the stream on, even one this watcher does not see:
                    // a bookmark then lets the client resume after it.
                    revision = change.revision();
                    let event = match self.translator.translate(&change) {
                        Ok(event) => event,
                        Err(status) => {
                            self.send(EventType::Error, &status.to_json()).await;
                            return;
                        }
                    };
                    if let Some((kind, object)) = event
                        && !self.send(kind, &object).await
                    {
                        return;
                    }
                }
            }
        }
    }

    /// The store ended the watch: a slow watcher's response just ends (the client watches
    /// again from the last version it saw); lost history is an ERROR 410; anything else an
    /// ERROR with the store's status.
    async fn end_with(&self, error: store::Error) {
        let status = match error {
            store::Error::WatcherTooSlow { buffer } => {
                tracing::debug!(buffer, "closing a watch that fell behind");
                return;
            }
            store::Error::Compacted {
                requested,
                compacted_revision,
            } => too_old(requested, compacted_revision),
            other => Status::from_store(other, self.translator.resource, ""),
        };
        self.send(EventType::Error, &status.to_json()).await;
    }
}
