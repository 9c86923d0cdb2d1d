//! The receiving end of a watch: the events a backend replays from its history, then the live
//! ones, through one bounded channel.
//!
//! Both backends hand out the same [`Watch`], so the apiserver's watch handler (step 4) is
//! written once. A watch has two parts:
//!
//! - a **backlog**: the events that had already happened when the watch started (the embedded
//!   store copies them out of its history while it registers the watcher, in the same critical
//!   section, so nothing can fall between the replay and the live events);
//! - a **live** channel: bounded, so a reader that stops reading cannot make the store buffer
//!   without limit. What happens when it fills is each backend's choice: the embedded store
//!   ends the watcher with [`Error::WatcherTooSlow`](super::Error::WatcherTooSlow); the etcd
//!   backend stops reading from etcd, which then buffers for it.

use std::collections::VecDeque;

use tokio::sync::mpsc;

use super::{Event, Result};

/// A stream of [`Event`]s in revision order, ended by dropping it.
///
/// `recv` yields `Some(Ok(event))` for each change, at most one `Some(Err(..))` when the watch
/// breaks (then the caller watches again from the last revision it saw), and `None` once the
/// watch has ended. Dropping a `Watch` unregisters it from the store.
#[derive(Debug)]
pub struct Watch {
    /// Events replayed from history, delivered before anything from `live`.
    backlog: VecDeque<Event>,
    /// Events that happen after the watch started, or the error that ended it.
    live: mpsc::Receiver<Result<Event>>,
}

impl Watch {
    /// A watch that first yields `backlog`, then whatever arrives on `live`.
    pub fn new(backlog: VecDeque<Event>, live: mpsc::Receiver<Result<Event>>) -> Self {
        Self { backlog, live }
    }

    /// The next event, waiting for it if need be. See [`Watch`] for what `None` and `Err` mean.
    pub async fn recv(&mut self) -> Option<Result<Event>> {
        if let Some(event) = self.backlog.pop_front() {
            return Some(Ok(event));
        }
        self.live.recv().await
    }
}
