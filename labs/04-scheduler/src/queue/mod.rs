//! The scheduling queue (`PriorityQueue` upstream): where pending pods wait for a cycle.
//!
//! Three places hold a pod. **activeQ** is ordered by priority, then by the time the pod
//! entered the queue: [`SchedulingQueue::pop`] takes its head. **backoffQ** holds pods that
//! failed recently, each until its back-off (1 s, doubling per attempt up to 10 s) is over.
//! **unschedulablePods** holds pods that fit nowhere: retrying them is pointless until the
//! cluster changes, so they wait for a [`ClusterEvent`] that could help them, or at most
//! five minutes. Time comes from a [`Clock`], so tests drive it with a `FakeClock`.
//!
//! The queue makes no API call: the loop (wired with lab-03's informers) feeds it with
//! [`add`](SchedulingQueue::add) / [`update`](SchedulingQueue::update) /
//! [`delete`](SchedulingQueue::delete) and [`move_all_on_event`](SchedulingQueue::move_all_on_event),
//! pops a pod, runs [`schedule_one`](crate::framework::schedule_one), and reports the end of
//! the cycle with [`done`](SchedulingQueue::done) or
//! [`add_unschedulable`](SchedulingQueue::add_unschedulable).

mod events;
mod queued;
mod report;

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use labkit::Clock;

pub use events::{ClusterEvent, NodeChange, may_help};
pub use queued::{
    Counts, DEFAULT_SCHEDULER_NAME, Place, QueueConfig, QueuedPodInfo, is_ours, pod_priority,
};
pub use report::{
    EventText, MAX_EVENT_NOTE, failed_scheduling_event, preempted_event, scheduled_event,
    unschedulable_condition,
};

use crate::framework::FitError;
use crate::snapshot::{PodError, PodInfo};

// ANCHOR: active_key
/// A pod's position in activeQ: the heap upstream is ordered by `Less`; a sorted set here, so
/// an update or a delete can take a pod out of the middle.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ActiveKey {
    priority: i32,
    timestamp: Instant,
    /// Breaks exact ties in the order pods arrived.
    seq: u64,
    key: String,
}

impl Ord for ActiveKey {
    /// The first in this order pops first: higher priority, then the earlier timestamp
    /// (`PrioritySort`'s `Less`).
    fn cmp(&self, other: &Self) -> Ordering {
        // BEGIN SOLUTION step-4: priority descending, then timestamp ascending, then seq
        Reverse(self.priority)
            .cmp(&Reverse(other.priority))
            .then(self.timestamp.cmp(&other.timestamp))
            .then(self.seq.cmp(&other.seq))
            .then_with(|| self.key.cmp(&other.key))
        // END SOLUTION
    }
}
// ANCHOR_END: active_key

impl PartialOrd for ActiveKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug)]
struct Entry {
    pod: QueuedPodInfo,
    place: Place,
    seq: u64,
    /// The scheduling cycle that popped it (meaningful while in flight).
    cycle: u64,
}

/// The scheduling queue. `C` is the clock (`SystemClock` in the scheduler, `FakeClock` in
/// tests).
#[derive(Debug)]
pub struct SchedulingQueue<C: Clock> {
    clock: C,
    config: QueueConfig,
    entries: HashMap<String, Entry>,
    active: BTreeSet<ActiveKey>,
    /// (back-off expiry, seq, key): the first is the next to become ready.
    backoff: BTreeSet<(Instant, u64, String)>,
    next_seq: u64,
    /// Counts pops (`schedulingCycle`).
    scheduling_cycle: u64,
    /// The scheduling cycle when the last cluster event moved pods (`moveRequestCycle`): a pod
    /// that fails in a cycle that started before that event may have missed it.
    move_request_cycle: u64,
}

impl<C: Clock> SchedulingQueue<C> {
    /// An empty queue.
    pub fn new(clock: C, config: QueueConfig) -> Self {
        SchedulingQueue {
            clock,
            config,
            entries: HashMap::new(),
            active: BTreeSet::new(),
            backoff: BTreeSet::new(),
            next_seq: 0,
            scheduling_cycle: 0,
            move_request_cycle: 0,
        }
    }

    /// The queue's configuration.
    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    // ANCHOR: backoff
    /// How long a pod that has been tried `attempts` times backs off: the initial back-off,
    /// doubled for each attempt after the first, at most the maximum
    /// (`calculateBackoffDuration`).
    pub fn backoff_duration(&self, attempts: u32) -> Duration {
        // BEGIN SOLUTION step-4: start at initial_backoff, double attempts-1 times, cap at max_backoff
        let mut duration = self.config.initial_backoff;
        for _ in 1..attempts {
            duration = duration.saturating_mul(2);
            if duration > self.config.max_backoff {
                return self.config.max_backoff;
            }
        }
        duration.min(self.config.max_backoff)
        // END SOLUTION
    }
    // ANCHOR_END: backoff

    /// A new pending pod (informer add). Returns false if the pod is not ours (another
    /// `schedulerName`, or already bound) or already queued; fails if it cannot be read.
    pub fn add(&mut self, pod: Pod) -> Result<bool, PodError> {
        if !is_ours(&pod, &self.config.scheduler_name) {
            return Ok(false);
        }
        let info = PodInfo::new(pod)?;
        if self.entries.contains_key(&info.key) {
            return Ok(false);
        }
        let queued = QueuedPodInfo {
            priority: pod_priority(&info.pod),
            info: Arc::new(info),
            timestamp: self.clock.now(),
            attempts: 0,
            unschedulable_plugins: BTreeSet::new(),
        };
        self.put(queued, Place::Active);
        Ok(true)
    }

    /// A pending pod changed (informer update). In activeQ or backoffQ it is updated where it
    /// is; in unschedulablePods a change to its spec or labels may make it schedulable, so it
    /// moves on (to backoffQ if still backing off); a pod no longer ours leaves the queue.
    pub fn update(&mut self, pod: Pod) -> Result<(), PodError> {
        if !is_ours(&pod, &self.config.scheduler_name) {
            let info = PodInfo::new(pod)?;
            self.delete(&info.key);
            return Ok(());
        }
        let info = Arc::new(PodInfo::new(pod)?);
        let Some(place) = self.entries.get(&info.key).map(|e| e.place) else {
            self.add((*info.pod).clone())?;
            return Ok(());
        };
        if place == Place::InFlight {
            // The cycle works on its own copy; the next one will see this version.
            if let Some(entry) = self.entries.get_mut(&info.key) {
                entry.pod.priority = pod_priority(&info.pod);
                entry.pod.info = info;
            }
            return Ok(());
        }
        let Some(mut queued) = self.take(&info.key) else {
            return Ok(());
        };
        let changed = queued.info.pod.spec != info.pod.spec
            || queued.info.pod.metadata.labels != info.pod.metadata.labels;
        queued.priority = pod_priority(&info.pod);
        queued.info = info;
        let place = match place {
            Place::Unschedulable if changed => self.retry_place(&queued),
            other => other,
        };
        self.put(queued, place);
        Ok(())
    }

    /// A pod was deleted, or bound by someone else: it leaves the queue.
    pub fn delete(&mut self, key: &str) -> bool {
        self.take(key).is_some()
    }

    /// The next pod to schedule, or `None` if none is ready. Moves the pods whose back-off is
    /// over and the pods too long unschedulable first. The pod is in flight until
    /// [`done`](Self::done) or [`add_unschedulable`](Self::add_unschedulable).
    pub fn pop(&mut self) -> Option<QueuedPodInfo> {
        self.flush();
        let first = self.active.pop_first()?;
        self.scheduling_cycle += 1;
        let cycle = self.scheduling_cycle;
        let entry = self.entries.get_mut(&first.key)?;
        entry.place = Place::InFlight;
        entry.cycle = cycle;
        entry.pod.attempts += 1;
        Some(entry.pod.clone())
    }

    /// The cycle bound the pod (or gave up on it for good): it leaves the queue.
    pub fn done(&mut self, key: &str) {
        if self
            .entries
            .get(key)
            .is_some_and(|e| e.place == Place::InFlight)
        {
            self.entries.remove(key);
        }
    }

    /// The cycle found no node (`AddUnschedulableIfNotPresent`): the pod goes back, marked
    /// with the plugins that rejected it. Returns false if it was deleted meanwhile.
    pub fn add_unschedulable(&mut self, key: &str, fit: &FitError) -> bool {
        let Some(entry) = self.entries.get(key) else {
            return false;
        };
        if entry.place != Place::InFlight {
            return false;
        }
        let cycle = entry.cycle;
        let Some(mut queued) = self.take(key) else {
            return false;
        };
        queued.timestamp = self.clock.now();
        queued.unschedulable_plugins = fit.rejected.iter().map(|(_, r)| r.plugin).collect();
        let place = self.place_after_failure(&queued, cycle);
        self.put(queued, place);
        true
    }

    /// The cycle failed for another reason than "fits nowhere" (the binding failed): the pod
    /// retries after its back-off, without waiting for a cluster event. Returns false if it
    /// was deleted meanwhile.
    pub fn add_backoff(&mut self, key: &str) -> bool {
        if self.entries.get(key).map(|e| e.place) != Some(Place::InFlight) {
            return false;
        }
        let Some(mut queued) = self.take(key) else {
            return false;
        };
        queued.timestamp = self.clock.now();
        let place = self.retry_place(&queued);
        self.put(queued, place);
        true
    }

    // ANCHOR: after_failure
    /// Where a pod that failed in scheduling cycle `cycle` goes.
    fn place_after_failure(&self, pod: &QueuedPodInfo, cycle: u64) -> Place {
        // BEGIN SOLUTION step-4: an event since the cycle began may have helped: retry it (after back-off); else park it
        if self.move_request_cycle >= cycle {
            self.retry_place(pod)
        } else {
            Place::Unschedulable
        }
        // END SOLUTION
    }
    // ANCHOR_END: after_failure

    /// A cluster event happened: each unschedulable pod it may help moves to backoffQ (if
    /// still backing off) or activeQ (`MoveAllToActiveOrBackoffQueue`).
    pub fn move_all_on_event(&mut self, event: ClusterEvent) {
        let helped: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| {
                e.place == Place::Unschedulable && may_help(event, &e.pod.unschedulable_plugins)
            })
            .map(|(k, _)| k.clone())
            .collect();
        self.move_to_retry(helped);
        self.move_request_cycle = self.scheduling_cycle;
    }

    /// Where a pod that may now fit goes: backoffQ until its back-off is over, then activeQ.
    fn retry_place(&self, pod: &QueuedPodInfo) -> Place {
        if self.backoff_expiry(pod) > self.clock.now() {
            Place::Backoff
        } else {
            Place::Active
        }
    }

    fn backoff_expiry(&self, pod: &QueuedPodInfo) -> Instant {
        pod.timestamp + self.backoff_duration(pod.attempts)
    }

    /// Moves the backoffQ pods whose back-off is over to activeQ (`flushBackoffQCompleted`),
    /// and the pods unschedulable for longer than `max_in_unschedulable` on
    /// (`flushUnschedulablePodsLeftover`). Upstream runs these every 1 s and 30 s (so a
    /// pod may wait up to 30 s longer there); here every `pop` does.
    pub fn flush(&mut self) {
        let now = self.clock.now();
        while let Some(first) = self.backoff.first() {
            if first.0 > now {
                break;
            }
            let Some((_, _, key)) = self.backoff.pop_first() else {
                break;
            };
            if let Some(entry) = self.entries.get_mut(&key) {
                entry.place = Place::Active;
                self.active.insert(ActiveKey {
                    priority: entry.pod.priority,
                    timestamp: entry.pod.timestamp,
                    seq: entry.seq,
                    key,
                });
            }
        }
        let max = self.config.max_in_unschedulable;
        let stale: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| e.place == Place::Unschedulable && now - e.pod.timestamp > max)
            .map(|(k, _)| k.clone())
            .collect();
        self.move_to_retry(stale);
    }

    fn move_to_retry(&mut self, mut keys: Vec<String>) {
        // HashMap order is random: move in a fixed order so ties stay reproducible.
        keys.sort();
        for key in keys {
            if let Some(queued) = self.take(&key) {
                let place = self.retry_place(&queued);
                self.put(queued, place);
            }
        }
    }

    /// Where the pod `key` is.
    pub fn place(&self, key: &str) -> Option<Place> {
        self.entries.get(key).map(|e| e.place)
    }

    /// The pod `key` as queued.
    pub fn get(&self, key: &str) -> Option<&QueuedPodInfo> {
        self.entries.get(key).map(|e| &e.pod)
    }

    /// How many pods are in each place.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for entry in self.entries.values() {
            match entry.place {
                Place::Active => counts.active += 1,
                Place::Backoff => counts.backoff += 1,
                Place::Unschedulable => counts.unschedulable += 1,
                Place::InFlight => counts.in_flight += 1,
            }
        }
        counts
    }

    /// Puts a pod in a place.
    fn put(&mut self, pod: QueuedPodInfo, place: Place) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = pod.info.key.clone();
        match place {
            Place::Active => {
                self.active.insert(ActiveKey {
                    priority: pod.priority,
                    timestamp: pod.timestamp,
                    seq,
                    key: key.clone(),
                });
            }
            Place::Backoff => {
                self.backoff
                    .insert((self.backoff_expiry(&pod), seq, key.clone()));
            }
            Place::Unschedulable | Place::InFlight => {}
        }
        self.entries.insert(
            key,
            Entry {
                pod,
                place,
                seq,
                cycle: self.scheduling_cycle,
            },
        );
    }

    /// Takes a pod out of wherever it is.
    fn take(&mut self, key: &str) -> Option<QueuedPodInfo> {
        let entry = self.entries.remove(key)?;
        match entry.place {
            Place::Active => {
                self.active.remove(&ActiveKey {
                    priority: entry.pod.priority,
                    timestamp: entry.pod.timestamp,
                    seq: entry.seq,
                    key: key.to_string(),
                });
            }
            Place::Backoff => {
                self.backoff
                    .remove(&(self.backoff_expiry(&entry.pod), entry.seq, key.to_string()));
            }
            Place::Unschedulable | Place::InFlight => {}
        }
        Some(entry.pod)
    }
}
