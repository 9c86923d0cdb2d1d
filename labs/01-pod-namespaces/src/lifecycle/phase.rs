//! The Pod's phase: one word that sums up where the Pod is in its life.
//!
//! `status.phase` is computed, never stored as a decision: the kubelet derives it from the
//! containers' states every time (its `getPhase`). The rules, in order:
//!
//! 1. An init container failed and `restartPolicy` is `Never`: **Failed** (it will not be retried).
//! 2. An init container has not finished yet, or an app container is waiting to start for the
//!    first time: **Pending**.
//! 3. Some app container runs: **Running**.
//! 4. Every app container has stopped: `Always` means they will be restarted: **Running**; all
//!    exited 0: **Succeeded**; `Never` with a failure: **Failed**; `OnFailure` with a failure
//!    will restart: **Running**.

use std::fmt;

use super::actions::{ContainerView, State};
use super::restart::RestartPolicy;

/// `status.phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Accepted, but not all containers have been started.
    Pending,
    /// Bound to the node, and at least one container runs or is being restarted.
    Running,
    /// All containers exited successfully and will not restart.
    Succeeded,
    /// All containers stopped, at least one failed, and none will restart.
    Failed,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
        })
    }
}

// ANCHOR: pod_phase
/// Computes the phase from the init and app containers' views.
pub fn pod_phase(policy: RestartPolicy, init: &[ContainerView], app: &[ContainerView]) -> Phase {
    // BEGIN SOLUTION step-5: count init containers pending/failed and app containers running/waiting/stopped/succeeded, then apply the four rules in order
    let mut pending_init = 0;
    let mut failed_init = 0;
    for container in init {
        match container.state {
            State::Exited { exit_code: 0, .. } => {}
            State::Exited { .. } => failed_init += 1,
            // Waiting again after a failed run counts as failed, not as not-yet-run.
            State::Waiting if container.last_exit_code.is_some_and(|code| code != 0) => {
                failed_init += 1
            }
            State::Waiting | State::Running => pending_init += 1,
        }
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for container in app {
        match container.state {
            State::Running => running += 1,
            State::Exited { exit_code, .. } => {
                stopped += 1;
                if exit_code == 0 {
                    succeeded += 1;
                }
            }
            // A container waiting for a restart has run before: it counts as stopped.
            State::Waiting if container.last_exit_code.is_some() => stopped += 1,
            State::Waiting => waiting += 1,
        }
    }
    if failed_init > 0 && policy == RestartPolicy::Never {
        return Phase::Failed;
    }
    if pending_init > 0 || failed_init > 0 || waiting > 0 {
        return Phase::Pending;
    }
    if running > 0 {
        return Phase::Running;
    }
    if stopped == 0 {
        return Phase::Pending;
    }
    match policy {
        RestartPolicy::Always => Phase::Running,
        _ if stopped == succeeded => Phase::Succeeded,
        RestartPolicy::Never => Phase::Failed,
        RestartPolicy::OnFailure => Phase::Running,
    }
    // END SOLUTION
}
// ANCHOR_END: pod_phase
