//! Step 2: the pod sandbox, a pause process holding the namespaces a pod's containers share.
//!
//! The CRI calls it `RunPodSandbox`: before any container of a pod exists, the runtime creates
//! the pod's shared namespaces and starts an infra ("pause") process to hold them. Containers
//! then *join* those namespaces (step 3), and may come and go; the pod's network identity stays.
//!
//! ```text
//!   runtime                         pause (lab-01 __sandbox)
//!   ───────                         ─────────────────────────────────────────────────
//!   Sandbox::start ── spawn ──────> unshare(NET|IPC|UTS[|PID]), sethostname, lo up
//!          <───── "ready <pid>" ──  (forks first when the PID namespace is shared)
//!   SandboxHandle                   sleeps in sigwait, reaps zombies as PID 1
//!     .namespaces() = /proc/<pid>/ns/{net,ipc,uts[,pid]}   <── containers setns into these
//!     .stop() ───────── SIGTERM ──> exits 0; the namespaces go when their last process does
//! ```
//!
//! - [`plan`](mod@plan): the pure plan of the pause process (what it does to the kernel).
//! - `pause` (Linux only): the helper's entry point, the pause loop and the zombie reaper.

#[cfg(target_os = "linux")]
pub mod pause;
pub mod plan;

use std::fs::File;
use std::io::{Read as _, Seek as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use self::plan::plan;
use crate::config::SandboxConfig;
use crate::error::{Error, Result};
use crate::helper::launch::{Launched, describe, launch, wait_within};
use crate::helper::{HelperInput, SANDBOX_SUBCOMMAND, Status};
use crate::plan::Namespace;

/// How long the pause process gets to report "ready".
pub const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`SandboxHandle::stop`] waits after SIGTERM before it sends SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// The namespace files of a sandbox: what a container `setns`es into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxNamespaces {
    /// `/proc/<pid>/ns/net`.
    pub net: PathBuf,
    /// `/proc/<pid>/ns/ipc`.
    pub ipc: PathBuf,
    /// `/proc/<pid>/ns/uts`.
    pub uts: PathBuf,
    /// `/proc/<pid>/ns/pid`, when the pod shares its PID namespace.
    pub pid: Option<PathBuf>,
}

impl SandboxNamespaces {
    /// The namespaces of process `pid`, as seen through `/proc`.
    pub fn of_process(pid: i32, share_process_namespace: bool) -> Self {
        let path = |namespace: Namespace| {
            PathBuf::from(format!("/proc/{pid}/ns/{}", namespace.proc_name()))
        };
        Self {
            net: path(Namespace::Net),
            ipc: path(Namespace::Ipc),
            uts: path(Namespace::Uts),
            pid: share_process_namespace.then(|| path(Namespace::Pid)),
        }
    }
}

/// Starts pod sandboxes (the CRI's `RunPodSandbox`).
#[derive(Debug)]
pub struct Sandbox;

/// A running sandbox. Dropping it kills the pause process (and so the namespaces, once no
/// container is left in them): the helper's own guard does that, see
/// [`crate::helper::launch::Launched`]. [`SandboxHandle::stop`] stops it gracefully.
#[derive(Debug)]
pub struct SandboxHandle {
    pod: String,
    helper: Launched,
    holder: i32,
    namespaces: SandboxNamespaces,
    /// The pause process's stderr, an anonymous temporary file: read back when it fails.
    stderr: File,
}

impl Sandbox {
    /// Starts the pause process for `config` with the helper binary `helper` (the `lab-01`
    /// executable: `std::env::current_exe()` in the CLI, `env!("CARGO_BIN_EXE_lab-01")` in
    /// tests), and returns once it holds the pod's namespaces. Needs root.
    pub fn start(helper: &Path, config: &SandboxConfig) -> Result<SandboxHandle> {
        // Bad input is refused before any process exists.
        config.validate()?;
        let input = HelperInput {
            name: config.name.clone(),
            plan: plan(config),
        };
        // Pause's stderr goes to an unnamed temporary file (gone when closed): nothing to clean
        // up, and readable when pause fails, for the error message.
        let stderr = tempfile::tempfile().map_err(Error::io("create", std::env::temp_dir()))?;
        let stderr_copy = stderr
            .try_clone()
            .map_err(Error::io("duplicate", "a temporary file"))?;
        let mut helper = launch(
            helper,
            SANDBOX_SUBCOMMAND,
            &input,
            Stdio::null(),
            Stdio::null(),
            Stdio::from(stderr_copy),
        )?;
        // "ready <pid>" then end of file: pause closes the pipe once it holds the namespaces.
        let what = format!("the pause process of pod {}", config.name);
        let statuses = helper.read_statuses(&what, START_TIMEOUT)?;
        let ready = statuses.iter().find_map(|status| match status {
            Status::Ready { pid } => Some(*pid),
            _ => None,
        });
        let mut handle = SandboxHandle {
            pod: config.name.clone(),
            helper,
            holder: 0,
            namespaces: SandboxNamespaces::of_process(0, false),
            stderr,
        };
        let Some(holder) = ready else {
            // Dropping the handle kills and reaps whatever is left of the helper.
            let reason = failure_reason(&statuses, &mut handle);
            return Err(Error::SandboxStart {
                pod: config.name.clone(),
                reason,
            });
        };
        // The namespace files are named by pid: valid as long as that process lives, which is
        // exactly as long as the handle keeps it alive.
        handle.holder = holder;
        handle.namespaces = SandboxNamespaces::of_process(holder, config.share_process_namespace);
        tracing::info!(pod = %config.name, pid = holder, "sandbox ready");
        Ok(handle)
    }
}

impl SandboxHandle {
    /// The pid of the process that holds the namespaces (as this process sees pids): the
    /// pause process, or with a shared PID namespace its child, PID 1 inside.
    pub fn pid(&self) -> i32 {
        self.holder
    }

    /// The pod's name.
    pub fn pod(&self) -> &str {
        &self.pod
    }

    /// The namespace files containers join.
    pub fn namespaces(&self) -> &SandboxNamespaces {
        &self.namespaces
    }

    /// Stops the sandbox: SIGTERM, then SIGKILL after [`STOP_GRACE`]. `Ok` only if the pause
    /// process exited cleanly; otherwise the error says how it ended and what it printed.
    pub fn stop(mut self) -> Result<()> {
        let child = &mut self.helper.child;
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        // If it already exited, it is a zombie until we reap it, so its pid is still its own.
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        // Pause exits at once on SIGTERM; one that does not within the grace period is killed,
        // as the kubelet does with any container.
        let status = match wait_within(child, STOP_GRACE) {
            Some(status) => status,
            None => {
                let _ = child.kill();
                child
                    .wait()
                    .map_err(Error::io("wait for", format!("pause process {pid}")))?
            }
        };
        if status.success() {
            tracing::info!(pod = %self.pod, "sandbox stopped");
            return Ok(());
        }
        Err(Error::SandboxExited {
            pod: self.pod.clone(),
            status: describe(status),
            stderr: stderr_tail(&mut self.stderr),
        })
    }
}

/// Why the pause process never said "ready": its own `error` line, or how it ended.
fn failure_reason(statuses: &[Status], handle: &mut SandboxHandle) -> String {
    let reported = statuses.iter().find_map(|status| match status {
        Status::Failed(why) => Some(why.clone()),
        _ => None,
    });
    let ended = handle.helper.reap_within(Duration::from_secs(5));
    match reported {
        Some(why) => why,
        None => format!(
            "it {ended} without reporting{}",
            match stderr_tail(&mut handle.stderr) {
                tail if tail.is_empty() => String::new(),
                tail => format!("; its stderr ends with:\n{tail}"),
            }
        ),
    }
}

/// The last lines of a stderr file (where a panic message would be).
fn stderr_tail(file: &mut File) -> String {
    let mut text = String::new();
    if file.rewind().is_err() || file.read_to_string(&mut text).is_err() {
        return String::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
