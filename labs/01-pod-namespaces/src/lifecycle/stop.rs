//! Stopping a container gracefully: ask, wait, then insist.
//!
//! A container is stopped when its Pod is deleted, when a liveness probe fails, or when a newer
//! version replaces it. Killing it outright would lose in-flight requests, so the kubelet follows
//! a fixed sequence bounded by the Pod's `terminationGracePeriodSeconds` (default 30):
//!
//! ```text
//! preStop hook ──> SIGTERM ──> wait for exit ──> SIGKILL
//! └───────── at most the grace period ──────┘  (but SIGTERM always gets 2 s)
//! ```
//!
//! The `preStop` hook's time counts against the grace period; whatever is left is how long the
//! process gets after SIGTERM, never less than 2 s (the kubelet's minimum grace period).

use std::time::Duration;

/// The shortest wait after SIGTERM, whatever the grace period says.
pub const MINIMUM_GRACE: Duration = Duration::from_secs(2);

/// One step of stopping a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopStep {
    /// Run the `preStop` exec hook, abandoning it after `budget`.
    PreStop {
        /// How long the hook may take: the whole grace period.
        budget: Duration,
    },
    /// Send SIGTERM to the container's process.
    Terminate,
    /// Wait for the process to exit, for the grace left after the hook (see [`term_wait`]).
    WaitForExit,
    /// Send SIGKILL if it is still running.
    Kill,
}

/// The steps to stop a container with this grace period and, if it has one, a `preStop` hook.
pub fn stop_plan(grace: Duration, has_pre_stop: bool) -> Vec<StopStep> {
    // BEGIN SOLUTION step-5: the preStop hook first (if any, with the whole grace period as its budget), then SIGTERM, a wait, and SIGKILL
    let mut steps = Vec::with_capacity(4);
    if has_pre_stop {
        steps.push(StopStep::PreStop { budget: grace });
    }
    steps.extend([StopStep::Terminate, StopStep::WaitForExit, StopStep::Kill]);
    steps
    // END SOLUTION
}

// ANCHOR: term_wait
/// How long to wait after SIGTERM: the grace period minus what the hook took, at least 2 s.
pub fn term_wait(grace: Duration, pre_stop_took: Duration) -> Duration {
    // BEGIN SOLUTION step-5: subtract the hook's time from the grace period, but never go below the 2 s minimum
    grace.saturating_sub(pre_stop_took).max(MINIMUM_GRACE)
    // END SOLUTION
}
// ANCHOR_END: term_wait
