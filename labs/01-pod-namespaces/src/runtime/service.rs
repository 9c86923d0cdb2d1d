//! Step 7: the runtime behind one CRI-shaped API, [`RuntimeService`], and its real
//! implementation, [`Runtime`].
//!
//! The kubelet talks to containerd or CRI-O through the Container Runtime Interface, a gRPC
//! service whose calls are the verbs below. Shaping this lab's runtime the same way is what lets
//! lab-03's kubelet loop drive it without knowing how a container is made:
//!
//! ```text
//!  RunPodSandbox ─> CreateContainer ─> StartContainer ─> ContainerStatus ...
//!                                                        ExecSync (probes, kubectl exec)
//!                   StopContainer ─> RemoveContainer ─> StopPodSandbox ─> RemovePodSandbox
//! ```
//!
//! A container is *created* (its cgroup exists, its config is kept) before it is *started*
//! (its process runs); a restart is a new container, with a new id, as in the CRI. Ids are
//! opaque strings: callers keep them, as the kubelet does.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use nix::sys::signal::Signal;
use sha2::{Digest as _, Sha256};

use crate::cgroups::{Cgroup, CgroupLimits, CgroupRoot};
use crate::config::{ContainerConfig, SandboxConfig};
use crate::container::{Container, ContainerHandle};
use crate::error::{Error, Result};
use crate::runtime::exec::{ExecResult, ExecTarget, exec_sync};
use crate::runtime::status::{Terminated, wall_now};
use crate::sandbox::{Sandbox, SandboxHandle};

/// What `CreateContainer` needs: the container's config and its resource limits.
#[derive(Debug, Clone, Default)]
pub struct ContainerRequest {
    /// The container (rootfs unpacked, mounts resolved, log path chosen).
    pub config: ContainerConfig,
    /// Its cgroup limits; `None` runs it in the runtime's own cgroup.
    pub limits: Option<CgroupLimits>,
}

/// A container's state as the runtime reports it (the CRI's `ContainerStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeState {
    /// Created, not started.
    Created,
    /// Its process runs.
    Running {
        /// The process, as this process sees pids.
        pid: i32,
        /// When it started.
        started_at: Timestamp,
    },
    /// Its process ended.
    Exited(Terminated),
}

/// A sandbox's state (the CRI's `PodSandboxStatus`, the part this lab has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxStatus {
    /// Whether its pause process runs.
    pub ready: bool,
    /// Its network namespace, for network probes from inside the pod (`None` once stopped).
    pub netns: Option<PathBuf>,
}

// ANCHOR: runtime_service
/// The CRI's `RuntimeService`, the calls the kubelet makes, in this lab's types.
pub trait RuntimeService {
    /// Starts a sandbox (the pause process and the Pod's namespaces); returns its id.
    fn run_pod_sandbox(&mut self, config: &SandboxConfig) -> Result<String>;
    /// Whether the sandbox runs, and its network namespace.
    fn pod_sandbox_status(&self, sandbox_id: &str) -> Result<SandboxStatus>;
    /// Stops the sandbox's pause process and every container still running in it.
    fn stop_pod_sandbox(&mut self, sandbox_id: &str) -> Result<()>;
    /// Removes a stopped sandbox and its containers (their cgroups go too).
    fn remove_pod_sandbox(&mut self, sandbox_id: &str) -> Result<()>;
    /// Creates a container in a sandbox (its cgroup, not its process); returns its id.
    fn create_container(&mut self, sandbox_id: &str, request: ContainerRequest) -> Result<String>;
    /// Starts a created container's process.
    fn start_container(&mut self, container_id: &str) -> Result<()>;
    /// SIGTERM, then SIGKILL if still running after `timeout`. Stopping a stopped container
    /// is fine.
    fn stop_container(&mut self, container_id: &str, timeout: Duration) -> Result<()>;
    /// Removes a container that is not running (its cgroup goes).
    fn remove_container(&mut self, container_id: &str) -> Result<()>;
    /// What the container is doing now.
    fn container_status(&mut self, container_id: &str) -> Result<RuntimeState>;
    /// Runs a command in a running container, waits at most `timeout`, returns its output.
    fn exec_sync(
        &mut self,
        container_id: &str,
        argv: &[String],
        timeout: Duration,
    ) -> Result<ExecResult>;
}
// ANCHOR_END: runtime_service

/// One sandbox the runtime holds.
#[derive(Debug)]
struct SandboxEntry {
    /// What it was started with.
    config: SandboxConfig,
    /// `None` once stopped.
    handle: Option<SandboxHandle>,
}

/// One container the runtime holds.
#[derive(Debug)]
struct ContainerEntry {
    sandbox_id: String,
    config: ContainerConfig,
    cgroup: Option<Cgroup>,
    /// Set by start; the process (running or exited but not yet waited for).
    handle: Option<ContainerHandle>,
    state: RuntimeState,
}

/// The real runtime: namespaces (steps 2 and 3), cgroups (step 4), exec (this step).
#[derive(Debug)]
pub struct Runtime {
    helper: PathBuf,
    cgroup_root: Option<CgroupRoot>,
    sandboxes: BTreeMap<String, SandboxEntry>,
    containers: BTreeMap<String, ContainerEntry>,
    /// Makes ids unique within this runtime.
    counter: u64,
}

impl Runtime {
    /// A runtime that starts its helpers from `helper` (the `lab-01` binary). Containers get
    /// cgroups under `cgroup_root` when their request has limits.
    pub fn new(helper: impl Into<PathBuf>, cgroup_root: Option<CgroupRoot>) -> Self {
        Self {
            helper: helper.into(),
            cgroup_root,
            sandboxes: BTreeMap::new(),
            containers: BTreeMap::new(),
            counter: 0,
        }
    }

    /// A new id: 64 hex digits like the CRI's, from a name, the time and a counter.
    fn new_id(&mut self, name: &str) -> String {
        self.counter += 1;
        let seed = format!(
            "{name}/{}/{}/{}",
            std::process::id(),
            wall_now(),
            self.counter
        );
        Sha256::digest(seed.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    fn container(&mut self, id: &str) -> Result<&mut ContainerEntry> {
        self.containers.get_mut(id).ok_or_else(|| Error::NotFound {
            what: "container",
            id: id.to_owned(),
        })
    }

    /// The ids of the containers of a sandbox.
    fn containers_in(&self, sandbox_id: &str) -> Vec<String> {
        self.containers
            .iter()
            .filter(|(_, entry)| entry.sandbox_id == sandbox_id)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Notices an exit: a running container whose process has ended becomes `Exited`.
    fn refresh(entry: &mut ContainerEntry) -> Result<()> {
        let RuntimeState::Running { started_at, .. } = entry.state else {
            return Ok(());
        };
        let Some(handle) = entry.handle.as_mut() else {
            return Ok(());
        };
        if let Some(exit_code) = handle.try_wait()? {
            // Ask the cgroup whether the kernel's OOM killer ended it (step 4).
            let oom_killed = match &entry.cgroup {
                Some(cgroup) => cgroup.oom_killed()?,
                None => false,
            };
            entry.state = RuntimeState::Exited(Terminated {
                exit_code,
                oom_killed,
                started_at,
                finished_at: wall_now(),
            });
        }
        Ok(())
    }
}

impl RuntimeService for Runtime {
    fn run_pod_sandbox(&mut self, config: &SandboxConfig) -> Result<String> {
        let handle = Sandbox::start(&self.helper, config)?;
        let id = self.new_id(&config.name);
        self.sandboxes.insert(
            id.clone(),
            SandboxEntry {
                config: config.clone(),
                handle: Some(handle),
            },
        );
        Ok(id)
    }

    fn pod_sandbox_status(&self, sandbox_id: &str) -> Result<SandboxStatus> {
        let entry = self
            .sandboxes
            .get(sandbox_id)
            .ok_or_else(|| Error::NotFound {
                what: "sandbox",
                id: sandbox_id.to_owned(),
            })?;
        Ok(SandboxStatus {
            ready: entry.handle.is_some(),
            netns: entry
                .handle
                .as_ref()
                .map(|handle| handle.namespaces().net.clone()),
        })
    }

    fn stop_pod_sandbox(&mut self, sandbox_id: &str) -> Result<()> {
        if !self.sandboxes.contains_key(sandbox_id) {
            return Err(Error::NotFound {
                what: "sandbox",
                id: sandbox_id.to_owned(),
            });
        }
        // Containers first: the pause process must outlive the namespaces' other users.
        for id in self.containers_in(sandbox_id) {
            self.stop_container(&id, Duration::ZERO)?;
        }
        let entry = self
            .sandboxes
            .get_mut(sandbox_id)
            .ok_or_else(|| Error::NotFound {
                what: "sandbox",
                id: sandbox_id.to_owned(),
            })?;
        match entry.handle.take() {
            Some(handle) => handle.stop(),
            None => Ok(()),
        }
    }

    fn remove_pod_sandbox(&mut self, sandbox_id: &str) -> Result<()> {
        self.stop_pod_sandbox(sandbox_id)?;
        for id in self.containers_in(sandbox_id) {
            self.remove_container(&id)?;
        }
        self.sandboxes.remove(sandbox_id);
        Ok(())
    }

    fn create_container(&mut self, sandbox_id: &str, request: ContainerRequest) -> Result<String> {
        let Some(sandbox) = self.sandboxes.get(sandbox_id) else {
            return Err(Error::NotFound {
                what: "sandbox",
                id: sandbox_id.to_owned(),
            });
        };
        let Some(handle) = &sandbox.handle else {
            return Err(Error::WrongState(format!(
                "sandbox {sandbox_id} is stopped"
            )));
        };
        let mut config = request.config;
        config.validate()?;
        // The pod's cgroup directory is named by its uid, as the kubelet's `pod<uid>`; a pod
        // without one (a hand-written manifest) uses its name and the sandbox id.
        let pod = if sandbox.config.uid.is_empty() {
            format!("{}-{}", handle.pod(), &sandbox_id[..12])
        } else {
            sandbox.config.uid.clone()
        };
        let id = self.new_id(&config.name);
        // The cgroup exists before the process: the container's init joins it before exec.
        let cgroup = match (&request.limits, &self.cgroup_root) {
            (Some(limits), Some(root)) => {
                // One cgroup per container instance: the id keeps a restart's apart from the
                // old one while that is being removed.
                let leaf = format!("{}-{}", config.name, &id[..12]);
                let cgroup = Cgroup::create(root, &pod, &leaf, limits)?;
                config.cgroup_procs = cgroup.procs_files();
                Some(cgroup)
            }
            _ => None,
        };
        self.containers.insert(
            id.clone(),
            ContainerEntry {
                sandbox_id: sandbox_id.to_owned(),
                config,
                cgroup,
                handle: None,
                state: RuntimeState::Created,
            },
        );
        Ok(id)
    }

    fn start_container(&mut self, container_id: &str) -> Result<()> {
        let helper = self.helper.clone();
        let entry = self
            .containers
            .get(container_id)
            .ok_or_else(|| Error::NotFound {
                what: "container",
                id: container_id.to_owned(),
            })?;
        if entry.state != RuntimeState::Created {
            return Err(Error::WrongState(format!(
                "container {} was started already; create a new one to run it again",
                entry.config.name
            )));
        }
        let sandbox = self
            .sandboxes
            .get(&entry.sandbox_id)
            .and_then(|sandbox| sandbox.handle.as_ref())
            .ok_or_else(|| {
                Error::WrongState(format!(
                    "the sandbox of container {} is stopped",
                    entry.config.name
                ))
            })?;
        let handle = Container::start(&helper, sandbox, &entry.config)?;
        let entry = self.container(container_id)?;
        entry.state = RuntimeState::Running {
            pid: handle.pid(),
            started_at: wall_now(),
        };
        entry.handle = Some(handle);
        Ok(())
    }

    fn stop_container(&mut self, container_id: &str, timeout: Duration) -> Result<()> {
        let entry = self.container(container_id)?;
        Self::refresh(entry)?;
        if !matches!(entry.state, RuntimeState::Running { .. }) {
            return Ok(());
        }
        if let Some(handle) = entry.handle.as_mut() {
            handle.kill(Signal::SIGTERM)?;
            // Poll for the exit until the grace period is over, then insist.
            if handle.wait_timeout(timeout)?.is_none() {
                handle.kill(Signal::SIGKILL)?;
                handle.wait()?;
            }
        }
        Self::refresh(entry)
    }

    fn remove_container(&mut self, container_id: &str) -> Result<()> {
        let entry = self.container(container_id)?;
        Self::refresh(entry)?;
        if matches!(entry.state, RuntimeState::Running { .. }) {
            return Err(Error::WrongState(format!(
                "container {} is running; stop it first",
                entry.config.name
            )));
        }
        if let Some(cgroup) = entry.cgroup.as_mut() {
            cgroup.remove()?;
        }
        self.containers.remove(container_id);
        Ok(())
    }

    fn container_status(&mut self, container_id: &str) -> Result<RuntimeState> {
        let entry = self.container(container_id)?;
        Self::refresh(entry)?;
        Ok(entry.state.clone())
    }

    fn exec_sync(
        &mut self,
        container_id: &str,
        argv: &[String],
        timeout: Duration,
    ) -> Result<ExecResult> {
        let target = self.exec_target(container_id)?;
        exec_sync(&self.helper, &target, argv, timeout)
    }
}

impl Runtime {
    /// Where a command must go to run inside the running container `container_id`: its
    /// process (whose namespaces are joined), cgroups, environment and working directory.
    /// A kubelet serving `kubectl exec` keeps these, so a long interactive command runs on its
    /// own and never holds up the pod's loop.
    pub fn exec_target(&mut self, container_id: &str) -> Result<ExecTarget> {
        let entry = self.container(container_id)?;
        Self::refresh(entry)?;
        let RuntimeState::Running { pid, .. } = entry.state else {
            return Err(Error::WrongState(format!(
                "container {} is not running; exec needs a running container",
                entry.config.name
            )));
        };
        Ok(ExecTarget {
            pid,
            cgroup_procs: entry.config.cgroup_procs.clone(),
            env: entry.config.env_strings(),
            working_dir: entry.config.working_dir().to_path_buf(),
        })
    }
}
