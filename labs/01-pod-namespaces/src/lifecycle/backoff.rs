//! The crash-loop back-off: how long a container that keeps failing waits before each restart.
//!
//! Restarting a broken container in a tight loop would burn a node's CPU and flood the logs, so
//! the kubelet spaces restarts out. Its rule (`flowcontrol.Backoff` with an initial 10 s and a
//! maximum of 300 s, keyed by Pod and container):
//!
//! ```text
//! exit #1 ──restart at once── exit #2 ──10 s── exit #3 ──20 s── ... ──300 s── ──300 s── ...
//! ```
//!
//! - When a container exits and is not already in back-off, it restarts at once, and the delay
//!   for the *next* exit is set: 10 s the first time, then double the last one, at most 300 s.
//! - When it exits again within that delay (measured from the exit), it waits: the kubelet
//!   reports `CrashLoopBackOff` until `finished_at + delay` has passed.
//! - A delay that was last set more than 2 × 300 s = 10 minutes ago is forgotten: a container
//!   that ran happily for a while starts again from 10 s.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The first delay.
pub const INITIAL: Duration = Duration::from_secs(10);
/// The longest delay.
pub const MAX: Duration = Duration::from_secs(300);

/// The back-off state of every container of a Pod, by container name.
#[derive(Debug, Default, Clone)]
pub struct Backoff {
    entries: HashMap<String, Entry>,
}

/// One container's current delay and when it was last changed.
#[derive(Debug, Clone, Copy)]
struct Entry {
    delay: Duration,
    last_update: Instant,
}

impl Backoff {
    /// Whether `container`, which exited at `finished_at`, must still wait at `now`; if so, the
    /// instant it may restart.
    pub fn wait_until(
        &self,
        container: &str,
        finished_at: Instant,
        now: Instant,
    ) -> Option<Instant> {
        let entry = self.entries.get(container)?;
        let ready_at = finished_at + entry.delay;
        (now < ready_at).then_some(ready_at)
    }

    // ANCHOR: restarted
    /// Records that `container` is restarted now, after an exit that was not in back-off, and
    /// returns the delay the next exit will have to wait.
    pub fn restarted(&mut self, container: &str, now: Instant) -> Duration {
        // BEGIN SOLUTION step-5: set the next delay: 10 s for a new or expired entry (last set over 10 min ago), else double the last, at most 300 s
        let delay = match self.entries.get(container) {
            Some(entry) if now.duration_since(entry.last_update) <= MAX * 2 => {
                (entry.delay * 2).min(MAX)
            }
            _ => INITIAL,
        };
        self.entries.insert(
            container.to_owned(),
            Entry {
                delay,
                last_update: now,
            },
        );
        delay
        // END SOLUTION
    }
    // ANCHOR_END: restarted

    /// The current delay of `container`, if it has one (for status messages such as
    /// "back-off 20s restarting failed container").
    pub fn delay(&self, container: &str) -> Option<Duration> {
        self.entries.get(container).map(|entry| entry.delay)
    }
}
