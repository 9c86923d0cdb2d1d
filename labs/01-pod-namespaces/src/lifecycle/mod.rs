//! Step 5: the lifecycle of a Pod's containers, decided as the kubelet decides it.
//!
//! A Pod is not started once and forgotten. The kubelet runs a *sync loop*: every time something
//! changes (a container exits, a probe fails, the Pod is deleted) it looks at the Pod's spec and at
//! what its containers are doing, and computes what to do next. This module is that decision,
//! written as pure functions over a snapshot and a clock reading, so every rule is testable
//! without starting a process:
//!
//! - [`restart`]: does a container that exited get restarted? That is `restartPolicy`.
//! - [`backoff`]: when is that? The crash-loop back-off, 10 s doubling to 5 min.
//! - [`actions`]: what to do now: init containers one by one, in order, then the app containers.
//! - [`phase`]: what the Pod's `status.phase` is (Pending, Running, Succeeded, Failed).
//! - [`stop`]: how a container is stopped: `preStop` hook, SIGTERM, grace period, SIGKILL.
//!
//! Step 7 drives these with the real runtime: it feeds in what the processes did and carries out
//! the actions.

pub mod actions;
pub mod backoff;
pub mod phase;
pub mod restart;
pub mod stop;

pub use actions::{Action, ContainerView, State, compute_actions};
pub use backoff::Backoff;
pub use phase::{Phase, pod_phase};
pub use restart::{RestartPolicy, should_restart};
pub use stop::{StopStep, stop_plan};
