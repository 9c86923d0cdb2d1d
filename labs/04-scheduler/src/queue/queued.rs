//! What the queue knows about a pod, where a pod can be, the queue's timing, and which pods
//! are this scheduler's at all.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;

use crate::snapshot::PodInfo;

/// The scheduler name of the default profile.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

// ANCHOR: queue_config
/// The queue's timing (`KubeSchedulerConfiguration` fields of the same names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// Pods whose `spec.schedulerName` is this are ours; the others are ignored.
    pub scheduler_name: String,
    /// `podInitialBackoffSeconds`: 1 s.
    pub initial_backoff: Duration,
    /// `podMaxBackoffSeconds`: 10 s.
    pub max_backoff: Duration,
    /// `podMaxInUnschedulablePodsDuration`: 5 min, after which an unschedulable pod is retried
    /// even if no event came.
    pub max_in_unschedulable: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            scheduler_name: DEFAULT_SCHEDULER_NAME.to_string(),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            max_in_unschedulable: Duration::from_secs(300),
        }
    }
}
// ANCHOR_END: queue_config

/// A pod in the queue with its bookkeeping (`QueuedPodInfo`).
#[derive(Debug, Clone)]
pub struct QueuedPodInfo {
    /// The pod.
    pub info: Arc<PodInfo>,
    /// `spec.priority` (0 when unset: admission fills it from the PriorityClass).
    pub priority: i32,
    /// When the pod last entered the queue (added, or put back after a failure).
    pub timestamp: Instant,
    /// How many cycles have tried it.
    pub attempts: u32,
    /// The filter plugins that rejected it last time (the events that may help depend on them).
    pub unschedulable_plugins: BTreeSet<&'static str>,
}

/// Where a queued pod is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// activeQ: ready to pop.
    Active,
    /// backoffQ: waiting out its back-off.
    Backoff,
    /// unschedulablePods: waiting for a cluster event.
    Unschedulable,
    /// Popped: a cycle is working on it.
    InFlight,
}

/// How many pods are in each place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// In activeQ.
    pub active: usize,
    /// In backoffQ.
    pub backoff: usize,
    /// In unschedulablePods.
    pub unschedulable: usize,
    /// Being scheduled.
    pub in_flight: usize,
}

/// `spec.priority`, 0 when unset (`corev1helpers.PodPriority`).
pub fn pod_priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// True if the pod is pending and asks for `scheduler_name` (an unset `spec.schedulerName`
/// means the default scheduler): the informer's filter `!assignedPod && responsibleForPod`.
pub fn is_ours(pod: &Pod, scheduler_name: &str) -> bool {
    let spec = pod.spec.as_ref();
    let asked = spec
        .and_then(|s| s.scheduler_name.as_deref())
        .filter(|n| !n.is_empty())
        .unwrap_or(DEFAULT_SCHEDULER_NAME);
    let bound = spec
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    asked == scheduler_name && !bound
}
