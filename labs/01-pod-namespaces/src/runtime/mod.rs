//! Step 7: status and access. The runtime behind a CRI-shaped API, the Pod's status, logs and
//! exec.
//!
//! Steps 2 to 6 built the parts: a sandbox, containers, cgroups, the lifecycle rules, probes.
//! This step puts them behind the interface the kubelet expects of a container runtime, and
//! adds the three ways to look into a Pod:
//!
//! - [`service`]: [`RuntimeService`], the CRI's verbs (RunPodSandbox, CreateContainer,
//!   StartContainer, StopContainer, RemoveContainer, ContainerStatus, ExecSync, ...), and
//!   [`Runtime`], which implements them with the earlier steps.
//! - [`status`]: what the runtime knows, written as a `v1.PodStatus` (phase, conditions,
//!   container states with exit codes and reasons such as `OOMKilled`).
//! - [`logs`]: `kubectl logs --tail` and `-f` over a container's log file.
//! - [`exec`]: running a command inside a running container (`kubectl exec`, exec probes).
//!
//! [`crate::pod`] drives all of it for one Pod manifest: `lab-01 run pod.yaml`.

pub mod exec;
pub mod logs;
pub mod service;
pub mod status;

use std::sync::Mutex;
use std::time::Duration;

pub use exec::{ExecResult, ExecTarget};
pub use service::{ContainerRequest, Runtime, RuntimeService, RuntimeState, SandboxStatus};

use crate::probe::exec::{ExecError, ExecRunner};

/// Runs exec probes in one container through a [`RuntimeService`]'s `ExecSync`, as the
/// kubelet's prober does.
#[derive(Debug)]
pub struct ContainerExec<'a, R> {
    /// The runtime; behind a mutex because probes may run on another thread (see
    /// [`crate::probe::netns`]).
    pub runtime: Mutex<&'a mut R>,
    /// The container the commands run in.
    pub container_id: String,
}

impl<R: RuntimeService + Send> ExecRunner for ContainerExec<'_, R> {
    fn exec(&self, command: &[String], timeout: Duration) -> Result<i32, ExecError> {
        if command.is_empty() {
            return Err(ExecError::EmptyCommand);
        }
        let mut runtime = self
            .runtime
            .lock()
            .map_err(|_| ExecError::Runtime("the runtime's lock is poisoned".to_owned()))?;
        match runtime.exec_sync(&self.container_id, command, timeout) {
            Ok(result) => Ok(result.exit_code),
            Err(crate::error::Error::ExecTimedOut(after)) => Err(ExecError::TimedOut(after)),
            Err(error) => Err(ExecError::Runtime(crate::error::chain(&error))),
        }
    }
}
