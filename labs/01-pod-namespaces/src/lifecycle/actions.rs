//! What to do next for a Pod's containers: the heart of the kubelet's sync loop.
//!
//! Given a snapshot of every container and the clock, [`compute_actions`] returns the actions
//! that move the Pod toward its spec. The order rule comes from how init containers are defined:
//! they run one at a time, in the order listed, each to a successful exit, and only then do the
//! app containers start (all together).
//!
//! ```text
//! init-1 ──exit 0──> init-2 ──exit 0──> app-a, app-b start together
//!    │ exit 1
//!    └─ restartPolicy Never: the Pod has failed; otherwise restart init-1 (with back-off)
//! ```

use std::time::Instant;

use super::backoff::Backoff;
use super::restart::{RestartPolicy, should_restart};

/// What a container is doing, as the kubelet tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not started yet.
    Waiting,
    /// Its process is running.
    Running,
    /// Its process exited with this code at this instant (a signal death is 128 + signal).
    Exited {
        /// The exit code.
        exit_code: i32,
        /// When it exited.
        finished_at: Instant,
    },
}

/// One container as [`compute_actions`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerView {
    /// The container's name (unique in the Pod, init containers included).
    pub name: String,
    /// What it is doing now.
    pub state: State,
    /// The exit code of its previous run, if it ran before (for `lastState` and the phase).
    pub last_exit_code: Option<i32>,
}

impl ContainerView {
    /// A container in `state` with no earlier run.
    pub fn new(name: &str, state: State) -> Self {
        Self {
            name: name.to_owned(),
            state,
            last_exit_code: None,
        }
    }
}

/// One thing the runtime is to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start a container for the first time.
    Start(String),
    /// Start a container again after it exited. The caller records it with
    /// [`Backoff::restarted`].
    Restart(String),
    /// The container is to restart but is in back-off until this instant
    /// (`CrashLoopBackOff`).
    Wait {
        /// The container.
        name: String,
        /// When it may restart.
        until: Instant,
    },
}

// ANCHOR: compute_actions
/// The actions that move the Pod toward its spec, given each container's state now.
pub fn compute_actions(
    policy: RestartPolicy,
    init: &[ContainerView],
    app: &[ContainerView],
    backoff: &Backoff,
    now: Instant,
) -> Vec<Action> {
    // BEGIN SOLUTION step-5: walk init containers in order (start the first not done, restart a failed one unless Never, wait while one runs); only when all succeeded, start or restart each app container
    for container in init {
        match container.state {
            State::Exited { exit_code: 0, .. } => continue,
            State::Running => return Vec::new(),
            State::Waiting => return vec![Action::Start(container.name.clone())],
            State::Exited { exit_code, .. } if !should_restart(policy, exit_code, true) => {
                // The Pod has failed: nothing more starts.
                return Vec::new();
            }
            State::Exited { .. } => return vec![restart_or_wait(container, backoff, now)],
        }
    }
    app.iter()
        .filter_map(|container| match container.state {
            State::Waiting => Some(Action::Start(container.name.clone())),
            State::Running => None,
            State::Exited { exit_code, .. } => should_restart(policy, exit_code, false)
                .then(|| restart_or_wait(container, backoff, now)),
        })
        .collect()
    // END SOLUTION
}
// ANCHOR_END: compute_actions

/// `Restart`, or `Wait` while the container's back-off has not passed.
pub fn restart_or_wait(container: &ContainerView, backoff: &Backoff, now: Instant) -> Action {
    let State::Exited { finished_at, .. } = container.state else {
        return Action::Restart(container.name.clone());
    };
    match backoff.wait_until(&container.name, finished_at, now) {
        Some(until) => Action::Wait {
            name: container.name.clone(),
            until,
        },
        None => Action::Restart(container.name.clone()),
    }
}
