//! Watch fan-out in the embedded store: every write is offered to every watcher, and no
//! watcher can slow down a write or another watcher.
//!
//! A cluster has many watchers (every kubelet watches its pods, every controller its kinds),
//! and some are slow: a kubelet on a busy node, a client on a bad network. If a write waited
//! until every watcher had taken its event, the slowest client would set the speed of the whole
//! cluster. So delivery never waits:
//!
//! - each watcher has its own **bounded** channel, and the store only ever `try_send`s into it;
//! - a watcher whose channel is full has fallen too far behind. It is not waited for and its
//!   events are not silently dropped (a watcher that misses an event has a wrong picture of
//!   the world forever). It is **ended**, with [`Error::WatcherTooSlow`] as its last item.
//!   It then watches again from the last revision it saw, from the store's history, or lists
//!   again if that is gone. The real apiserver's watch cache does the same to a watcher whose
//!   buffer stays full ("forcing watcher close due to unresponsiveness").
//!
//! The channel has one slot more than the watcher's allowance, so there is always room for
//! that final error.

use tokio::sync::mpsc;

use crate::store::{Error, Event, Result};

/// The registered watchers of one store.
#[derive(Debug)]
pub(super) struct Watchers {
    /// Live watchers, in no particular order.
    list: Vec<Watcher>,
    /// How many undelivered events a watcher may have before it is ended.
    buffer: usize,
}

/// One registered watcher: what it wants, and where its events go.
#[derive(Debug)]
struct Watcher {
    /// Only keys that start with this prefix.
    prefix: String,
    /// Only events with a revision greater than this.
    after: i64,
    /// The sending half of the watcher's channel; the [`Watch`](crate::store::Watch) holds the
    /// receiving half. Its capacity is `buffer + 1`.
    sender: mpsc::Sender<Result<Event>>,
}

impl Watchers {
    /// No watchers yet; each one will be allowed `buffer` unread events.
    pub(super) fn new(buffer: usize) -> Self {
        Self {
            list: Vec::new(),
            buffer: buffer.max(1),
        }
    }

    /// Registers a watcher for the events under `prefix` after revision `after`, and returns
    /// the receiving end of its channel.
    pub(super) fn add(&mut self, prefix: &str, after: i64) -> mpsc::Receiver<Result<Event>> {
        // One slot more than the allowance: the last one is kept for `WatcherTooSlow`.
        let (sender, receiver) = mpsc::channel(self.buffer + 1);
        self.list.push(Watcher {
            prefix: prefix.to_owned(),
            after,
            sender,
        });
        receiver
    }

    /// Offers `event` to every watcher, dropping the watchers that are gone or too slow.
    pub(super) fn notify(&mut self, event: &Event) {
        let buffer = self.buffer;
        self.list.retain(|watcher| watcher.offer(event, buffer));
    }

    /// How many watchers are registered (for tests and metrics).
    pub(super) fn len(&self) -> usize {
        self.list.len()
    }
}

impl Watcher {
    // ANCHOR: offer
    /// Delivers `event` to this watcher if it wants it, without ever waiting. Returns whether
    /// the watcher stays registered: false when its [`Watch`](crate::store::Watch) was
    /// dropped, or when its buffer of `buffer` events was full and it has just been ended with
    /// [`Error::WatcherTooSlow`].
    fn offer(&self, event: &Event, buffer: usize) -> bool {
        // BEGIN SOLUTION step-1: deliver an event without waiting; end a watcher whose buffer is full with WatcherTooSlow
        // The receiver is gone: nobody reads this channel any more, so forget the watcher.
        if self.sender.is_closed() {
            return false;
        }
        // Not for this watcher: another prefix, or a revision it has already seen.
        if event.revision() <= self.after || !event.key().starts_with(&self.prefix) {
            return true;
        }
        // `capacity()` is the number of free slots. The store is the only sender and holds the
        // lock, so no one else can take a slot between this check and the send below.
        if self.sender.capacity() > 1 {
            return self.sender.try_send(Ok(event.clone())).is_ok();
        }
        // Only the reserved slot is left: the watcher is `buffer` events behind. End it with
        // the error in that last slot; dropping the sender (by returning false) then closes
        // the channel, so the reader sees the error and then `None`.
        tracing::warn!(
            prefix = %self.prefix,
            buffer,
            revision = event.revision(),
            "closing a watcher that fell too far behind"
        );
        let _ = self.sender.try_send(Err(Error::WatcherTooSlow { buffer }));
        false
        // END SOLUTION
    }
    // ANCHOR_END: offer
}
