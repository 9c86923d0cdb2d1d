//! The kubelet's decision for one pod: what the apiserver wants against what the runtime
//! runs, as a list of actions (upstream `syncPod`/`syncTerminatingPod` of the pod workers and
//! the status manager, reduced to their decisions).
//!
//! ```text
//!  wanted (API or file)   record (what I run)        actions
//!  ────────────────────   ───────────────────        ───────────────────────────────────
//!  none                   none                       -
//!  pod                    none                       Start  (unless it ended before, or is being deleted: Delete)
//!  pod                    running, new status        WriteStatus
//!  pod, deletionTimestamp running                    Stop(grace)  ... finished ... Delete (grace 0)
//!  none (deleted)         running                    Stop(grace)  ... finished ... Forget
//!  pod with another UID   running                    Stop, then (finished) Forget and Start the new one
//! ```
//!
//! Level-triggered like every controller: the same inputs always give the same actions, so a
//! sync may run any number of times.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};

/// Upstream's `terminationGracePeriodSeconds` default.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// What the kubelet remembers about a pod it has handed to the runtime.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodRecord {
    /// The UID of the pod the runtime runs (a new pod under the same name has another).
    pub uid: String,
    /// The grace period to stop it with when it vanishes from the API without one.
    pub grace: Duration,
    /// `stop_pod` was called.
    pub stopping: bool,
    /// The runtime said nothing of it runs any more.
    pub finished: bool,
    /// The latest status the runtime reported.
    pub status: Option<PodStatus>,
    /// The last status written to the apiserver.
    pub written: Option<PodStatus>,
}

impl PodRecord {
    /// A record for a pod about to be started.
    pub fn starting(pod: &Pod) -> Self {
        PodRecord {
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            grace: termination_grace(pod),
            ..PodRecord::default()
        }
    }
}

/// One thing the kubelet does for a pod.
#[derive(Debug, Clone, PartialEq)]
pub enum PodAction {
    /// Hand the wanted pod to the runtime (and record it).
    Start,
    /// Ask the runtime to stop the recorded pod within this grace period.
    Stop {
        /// SIGTERM to SIGKILL.
        grace: Duration,
    },
    /// Write this status through `pods/<name>/status`.
    WriteStatus(Box<PodStatus>),
    /// Delete the pod from the apiserver for good (`gracePeriodSeconds: 0`, this UID only):
    /// its containers are gone, so nothing waits any more.
    Delete,
    /// Drop the record: the pod is finished and no longer wanted.
    Forget,
}

/// Whether the pod's phase is final (`Succeeded` or `Failed`): a kubelet never runs it again.
pub fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status
            .as_ref()
            .and_then(|status| status.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// The grace period a pod is stopped with: `metadata.deletionGracePeriodSeconds` once it is
/// being deleted, else `spec.terminationGracePeriodSeconds`, else 30 s.
pub fn termination_grace(pod: &Pod) -> Duration {
    let seconds = pod.metadata.deletion_grace_period_seconds.or_else(|| {
        pod.spec
            .as_ref()
            .and_then(|spec| spec.termination_grace_period_seconds)
    });
    seconds.map_or(DEFAULT_GRACE, |seconds| {
        Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
    })
}

// ANCHOR: decide
/// The actions for one pod, given the pod wanted on this node (`None`: deleted from the API,
/// or its manifest file removed) and the kubelet's record of it (`None`: never started here).
pub fn decide(wanted: Option<&Pod>, record: Option<&PodRecord>) -> Vec<PodAction> {
    // BEGIN SOLUTION step-7: no record: start it (not if it ended before; Delete if it is being deleted); not wanted or another UID: stop once, Forget when finished (then start the new UID); deletionTimestamp: stop, Delete when finished; else WriteStatus when the runtime's status is not the one written
    let Some(record) = record else {
        return match wanted {
            None => Vec::new(),
            Some(pod) if pod.metadata.deletion_timestamp.is_some() => vec![PodAction::Delete],
            Some(pod) if is_terminal(pod) => Vec::new(),
            Some(_) => vec![PodAction::Start],
        };
    };
    let same_pod = wanted.filter(|pod| pod.metadata.uid.as_deref() == Some(record.uid.as_str()));
    let Some(pod) = same_pod else {
        // Deleted from the API, or replaced by a new pod of the same name: stop what runs.
        if record.finished {
            let mut actions = vec![PodAction::Forget];
            actions.extend(decide(wanted, None));
            return actions;
        }
        if record.stopping {
            return Vec::new();
        }
        return vec![PodAction::Stop {
            grace: record.grace,
        }];
    };
    if pod.metadata.deletion_timestamp.is_some() {
        if record.finished {
            return vec![PodAction::Delete];
        }
        if record.stopping {
            return Vec::new();
        }
        return vec![PodAction::Stop {
            grace: termination_grace(pod),
        }];
    }
    match &record.status {
        Some(status) if record.written.as_ref() != Some(status) => {
            vec![PodAction::WriteStatus(Box::new(status.clone()))]
        }
        _ => Vec::new(),
    }
    // END SOLUTION
}
// ANCHOR_END: decide
