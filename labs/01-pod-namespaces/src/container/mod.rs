//! Step 3: containers, processes that join a sandbox and run in their own root filesystem.
//!
//! The CRI's `CreateContainer` + `StartContainer`, in one call: [`Container::start`] plans the
//! container's init (pure, in [`plan`](mod@plan)), starts the helper `lab-01 __container` to
//! execute it, and returns once the command runs, or with the reason it could not.
//!
//! ```text
//!  runtime               helper = supervisor             container process
//!  ───────               ───────────────────             ─────────────────
//!  Container::start ───> setns, unshare, fork ─────────> cgroups, mounts, pivot_root
//!     <── "pid <n>" ──── (reports the child's pid)       execve(command)  ── closes fd 3
//!     <── end of file ─────────────────────────────────────────────────────┘
//!  ContainerHandle       forwards signals, waits,        the command runs, its stdout and
//!   .kill/.wait ───────> exits with the child's code     stderr go to the log file
//! ```
//!
//! - [`plan`](mod@plan): the container's plan, part by part.
//! - `init` (Linux only): the helper's entry point.

#[cfg(target_os = "linux")]
pub mod init;
pub mod plan;

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::Signal;

pub use self::plan::plan;
use crate::config::{ContainerConfig, in_rootfs};
use crate::error::{Error, Result};
use crate::helper::launch::{Launched, exit_code, launch, wait_within};
use crate::helper::{CONTAINER_SUBCOMMAND, HelperInput, Status};
use crate::sandbox::SandboxHandle;

/// How long a container's init gets to report that its command started.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts containers in sandboxes (the CRI's `CreateContainer` and `StartContainer`).
#[derive(Debug)]
pub struct Container;

/// A started container. Dropping it kills it (SIGKILL) if it still runs.
#[derive(Debug)]
pub struct ContainerHandle {
    name: String,
    /// The supervisor: our child, the container process's parent.
    helper: Launched,
    pid: i32,
}

impl Container {
    /// Starts `config` in `sandbox` with the helper binary `helper` (see
    /// [`Sandbox::start`](crate::sandbox::Sandbox::start)). Returns once the command has been
    /// exec'd; a command that cannot be (missing, not executable) is an
    /// [`Error::ContainerStart`] with exit code 127 or 126. Needs root.
    pub fn start(
        helper: &Path,
        sandbox: &SandboxHandle,
        config: &ContainerConfig,
    ) -> Result<ContainerHandle> {
        // Everything the user could have got wrong is refused here, before any process exists:
        // a bad config leaves nothing behind.
        config.validate()?;
        check_on_disk(config)?;
        // The plan is computed here, in the runtime, where a bug is an ordinary error or
        // panic in the caller; the helper only executes it.
        let input = HelperInput {
            name: config.name.clone(),
            plan: plan(config, sandbox.namespaces()),
        };
        let log = open_log(&config.log_path)?;
        let log_copy = log
            .try_clone()
            .map_err(Error::io("duplicate", &config.log_path))?;
        // stdout and stderr share one file description (one offset, O_APPEND): the lines of
        // both streams land in the order they were written, as in `kubectl logs`.
        let mut helper = launch(
            helper,
            CONTAINER_SUBCOMMAND,
            &input,
            Stdio::null(),
            Stdio::from(log_copy),
            Stdio::from(log),
        )?;
        // Blocks until end of file on the status pipe: the `execve` succeeded (close-on-exec
        // closed the pipe) or the init reported an error and exited.
        let what = format!("the init of container {}", config.name);
        let statuses = helper.read_statuses(&what, START_TIMEOUT)?;
        let started = statuses.iter().find_map(|status| match status {
            Status::Started { pid } => Some(*pid),
            _ => None,
        });
        let failed = statuses.iter().find_map(|status| match status {
            Status::Failed(why) => Some(why.clone()),
            _ => None,
        });
        match (started, failed) {
            (Some(pid), None) => {
                tracing::info!(container = %config.name, pid, "container started");
                Ok(ContainerHandle {
                    name: config.name.clone(),
                    helper,
                    pid,
                })
            }
            (_, Some(reason)) => {
                // The init exits right after reporting; its code says which kind of failure.
                let exit = wait_within(&mut helper.child, Duration::from_secs(5)).map(exit_code);
                Err(Error::ContainerStart {
                    container: config.name.clone(),
                    reason,
                    exit_code: exit,
                })
            }
            // The init died without a word (a panic, a signal): say how, and where to look.
            (None, None) => {
                let ended = helper.reap_within(Duration::from_secs(5));
                Err(Error::ContainerStart {
                    container: config.name.clone(),
                    reason: format!(
                        "its init {ended} without reporting; see {}",
                        config.log_path.display()
                    ),
                    exit_code: None,
                })
            }
        }
    }
}

impl ContainerHandle {
    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pid of the container's process, as this process sees pids (inside its own PID
    /// namespace it is 1, or another number in a shared one).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Waits for the container to exit; its exit code (128 + N if signal N killed it).
    pub fn wait(&mut self) -> Result<i32> {
        // We wait for the supervisor, our child; it exits with the container's code.
        let status = self
            .helper
            .child
            .wait()
            .map_err(Error::io("wait for", format!("container {}", self.name)))?;
        Ok(exit_code(status))
    }

    /// The exit code if the container has exited, `None` while it runs.
    pub fn try_wait(&mut self) -> Result<Option<i32>> {
        let status = self
            .helper
            .child
            .try_wait()
            .map_err(Error::io("wait for", format!("container {}", self.name)))?;
        Ok(status.map(exit_code))
    }

    /// Waits at most `timeout` for the container to exit; its exit code, or `None` if it still
    /// runs.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<i32>> {
        if let Some(code) = self.try_wait()? {
            return Ok(Some(code));
        }
        Ok(wait_within(&mut self.helper.child, timeout).map(exit_code))
    }

    /// Sends `signal` to the container's process; nothing if it has already exited.
    ///
    /// The signal goes to the supervisor, which forwards it (see `helper::supervise`): only
    /// the supervisor reaps the container's process, so only it can signal that pid without
    /// risking a stranger that reused it. SIGKILL cannot be forwarded; it kills the supervisor,
    /// and the container's process dies with it (`PR_SET_PDEATHSIG`).
    pub fn kill(&mut self, signal: Signal) -> Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        let supervisor = nix::unistd::Pid::from_raw(self.helper.child.id() as i32);
        match nix::sys::signal::kill(supervisor, signal) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
            Err(errno) => Err(Error::io("signal", format!("container {}", self.name))(
                errno.into(),
            )),
        }
    }
}

/// The checks that need the disk: a rootfs, host directories to mount, and mount points that
/// do not go through a symlink of the image.
fn check_on_disk(config: &ContainerConfig) -> Result<()> {
    let field = |name: &str| format!("container {}: {name}", config.name);
    // The rootfs must exist: step 1's store unpacks it before the container is created.
    if !config.rootfs.is_dir() {
        return Err(Error::invalid(
            field("rootfs"),
            format!(
                "{} is not a directory; unpack the image first (`lab-01 images unpack`)",
                config.rootfs.display()
            ),
        ));
    }
    // Every place the plan mounts on, with the field to blame: the plan's own two, then the
    // volumes.
    let mut mount_points: Vec<(String, PathBuf)> = vec![
        ("/proc".to_owned(), PathBuf::from("/proc")),
        ("/dev".to_owned(), PathBuf::from("/dev")),
    ];
    for (index, mount) in config.mounts.iter().enumerate() {
        if !mount.host_path.is_dir() {
            return Err(Error::invalid(
                field(&format!("volumeMounts[{index}]")),
                format!(
                    "the volume's host path {} is not a directory; this runtime mounts directories only",
                    mount.host_path.display()
                ),
            ));
        }
        mount_points.push((
            format!("volumeMounts[{index}].mountPath"),
            mount.container_path.clone(),
        ));
    }
    for (name, path) in mount_points {
        if let Some(link) = symlink_on_the_way(&config.rootfs, &path) {
            return Err(Error::invalid(
                field(&name),
                format!(
                    "{} goes through the symlink {} in the image; mounting there would follow it, \
                     possibly out of the rootfs; choose another path",
                    path.display(),
                    link.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The first component of `container_path` that is a symlink in the rootfs, if any.
///
/// The mounts happen before `pivot_root`, on host paths (`rootfs/data`), where an image's
/// absolute symlink (`data -> /etc`) would point at the *host's* `/etc`. Refusing symlinks on
/// the way is the simple, safe answer; `runc` resolves them inside the rootfs instead.
fn symlink_on_the_way(rootfs: &Path, container_path: &Path) -> Option<PathBuf> {
    // Walk down from `/` one component at a time (skipping the root component itself).
    let mut partial = PathBuf::from("/");
    for part in container_path.components().skip(1) {
        partial.push(part);
        let on_host = in_rootfs(rootfs, &partial);
        match std::fs::symlink_metadata(&on_host) {
            Ok(meta) if meta.file_type().is_symlink() => return Some(partial),
            Ok(_) => {}
            // Missing: the plan creates it, as a directory, so nothing below can be a symlink.
            Err(_) => return None,
        }
    }
    None
}

/// Opens (creating it and its directory) the log file, for appending.
fn open_log(path: &Path) -> Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(Error::io("open the log file", path))
}
