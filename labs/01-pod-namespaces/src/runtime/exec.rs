//! Step 7: running a command inside a running container (the CRI's `ExecSync`, `kubectl exec`).
//!
//! There is no "exec" system call for containers. A container is a process in some namespaces
//! and cgroups; to run another command "in" it, we start a new process and move it into the
//! same namespaces and cgroups, then `execve` the command. That is all `nsenter`, `runc exec`
//! and `crictl exec` do:
//!
//! ```text
//!  runtime ─> helper: setns net, ipc, uts, pid   (the container's, by /proc/<pid>/ns/*)
//!                     join the container's cgroups
//!                     setns mnt                   (last: afterwards the host's /proc is gone)
//!                     fork ──> child: in the pid namespace too; chdir workingDir; execve
//! ```
//!
//! Joining the mount namespace changes our root to the container's root (the kernel sets the
//! root and working directory to the namespace's root), so no `chroot` is needed. The plan is
//! pure, like a container's; the same helper (`lab-01 __container`) executes it.

use std::io::{Read as _, Seek as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::helper::launch::{Launched, exit_code, launch, wait_within};
use crate::helper::{CONTAINER_SUBCOMMAND, HelperInput, Status};
use crate::plan::{Namespace, Op};

/// The most output of each stream [`exec_sync`] returns (like the kubelet, which caps
/// `ExecSync` output at 16 MiB; a probe needs much less).
pub const MAX_EXEC_OUTPUT: u64 = 16 * 1024 * 1024;

/// What to run, and in which container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecTarget {
    /// The container's process, as the runtime sees pids: its `/proc/<pid>/ns/*` are joined.
    pub pid: i32,
    /// The container's `cgroup.procs` files (empty: stay in the runtime's cgroup).
    pub cgroup_procs: Vec<PathBuf>,
    /// The container's environment (`NAME=value`); the command inherits it, as in `kubectl exec`.
    pub env: Vec<String>,
    /// The container's working directory.
    pub working_dir: PathBuf,
}

/// The result of [`exec_sync`]: the CRI's `ExecSyncResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// The command's exit code (128 + N when signal N killed it).
    pub exit_code: i32,
    /// What it wrote to stdout.
    pub stdout: Vec<u8>,
    /// What it wrote to stderr.
    pub stderr: Vec<u8>,
}

// ANCHOR: exec_plan
/// The plan of a helper that runs `argv` inside the container `target`.
pub fn exec_plan(target: &ExecTarget, argv: &[String]) -> Vec<Op> {
    // BEGIN SOLUTION step-7: setns net, ipc, uts, pid; join the cgroups; setns mnt last; fork; chdir; exec
    let ns = |namespace: Namespace| Op::SetNs {
        path: PathBuf::from(format!("/proc/{}/ns/{}", target.pid, namespace.proc_name())),
        namespace,
    };
    let mut ops = vec![
        ns(Namespace::Net),
        ns(Namespace::Ipc),
        ns(Namespace::Uts),
        ns(Namespace::Pid),
    ];
    // The cgroup files live in the host's /sys: write them while we still see it. Joining in
    // the parent is enough; the child inherits the cgroup at the fork.
    ops.extend(target.cgroup_procs.iter().cloned().map(Op::JoinCgroup));
    // The mount namespace last: after it, `/proc/<pid>` means the container's /proc.
    ops.push(ns(Namespace::Mnt));
    // `setns` of a PID namespace only moves our children into it.
    ops.push(Op::Fork);
    ops.push(Op::Chdir(target.working_dir.clone()));
    ops.push(Op::Exec {
        argv: argv.to_vec(),
        env: target.env.clone(),
    });
    ops
    // END SOLUTION
}
// ANCHOR_END: exec_plan

/// The standard streams of a command started with [`exec_start`].
#[derive(Debug)]
pub struct ExecStdio {
    /// Its stdin (`Stdio::null()` when the caller sends nothing).
    pub stdin: Stdio,
    /// Its stdout.
    pub stdout: Stdio,
    /// Its stderr.
    pub stderr: Stdio,
}

/// A command started in a container by [`exec_start`]; [`RunningExec::wait`] ends it.
#[derive(Debug)]
pub struct RunningExec {
    launched: Launched,
    what: String,
}

/// Starts `argv` in the container `target` with the helper binary `helper`, its standard
/// streams given by the caller (pipes for `kubectl exec -i`, a terminal for `-t`), and returns
/// without waiting. With `tty`, the command gets a session of its own whose controlling
/// terminal is the one on its stdin, as `runc exec -t` does. Needs root.
pub fn exec_start(
    helper: &Path,
    target: &ExecTarget,
    argv: &[String],
    stdio: ExecStdio,
    tty: bool,
) -> Result<RunningExec> {
    if argv.is_empty() {
        return Err(Error::invalid("command", "nothing to run; give a command"));
    }
    let mut plan = exec_plan(target, argv);
    if tty {
        // In the child, just before the exec: the supervisor keeps its own session.
        let exec_at = plan
            .iter()
            .rposition(|op| matches!(op, Op::Exec { .. }))
            .unwrap_or(plan.len());
        plan.insert(exec_at, Op::SetControllingTerminal);
    }
    let input = HelperInput {
        name: format!("exec {}", argv[0]),
        plan,
    };
    let launched = launch(
        helper,
        CONTAINER_SUBCOMMAND,
        &input,
        stdio.stdin,
        stdio.stdout,
        stdio.stderr,
    )?;
    Ok(RunningExec {
        launched,
        what: format!("exec of {:?}", argv[0]),
    })
}

impl RunningExec {
    /// Waits for the command, at most `timeout`, and returns its exit code. A command that
    /// does not exist is a result (127, or 126: not executable), as in a shell; one still
    /// running at the timeout is killed and reported as [`Error::ExecTimedOut`]. The
    /// second value is why it did not start, when it did not.
    pub fn wait(mut self, timeout: Duration) -> Result<(i32, Option<String>)> {
        // One deadline for the whole call: starting and running.
        let deadline = Instant::now() + timeout;
        let statuses = self.launched.read_statuses(&self.what, timeout)?;
        if let Some(why) = statuses.iter().find_map(|status| match status {
            Status::Failed(why) => Some(why.clone()),
            _ => None,
        }) {
            let code = wait_within(&mut self.launched.child, Duration::from_secs(5)).map(exit_code);
            if let Some(code @ (126 | 127)) = code {
                return Ok((code, Some(why)));
            }
            return Err(Error::Exec { reason: why });
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(status) = wait_within(&mut self.launched.child, left) else {
            // SIGKILL to the supervisor; the command dies with it (PR_SET_PDEATHSIG).
            self.launched.kill_and_reap();
            return Err(Error::ExecTimedOut(timeout));
        };
        Ok((exit_code(status), None))
    }

    /// Kills the command (its supervisor, which takes the command with it) and reaps it.
    pub fn kill(mut self) {
        self.launched.kill_and_reap();
    }
}

/// Runs `argv` in the container `target` with the helper binary `helper`, waits at most
/// `timeout`, and returns its exit code and output. A command still running at the timeout
/// is killed and reported as [`Error::ExecTimedOut`]. Needs root.
pub fn exec_sync(
    helper: &Path,
    target: &ExecTarget,
    argv: &[String],
    timeout: Duration,
) -> Result<ExecResult> {
    // Files, not pipes: a command that writes a lot cannot block on a full pipe while we wait
    // for it to exit, and the files vanish when closed.
    let mut stdout = tempfile::tempfile().map_err(Error::io("create", std::env::temp_dir()))?;
    let mut stderr = tempfile::tempfile().map_err(Error::io("create", std::env::temp_dir()))?;
    let clone = |file: &std::fs::File| {
        file.try_clone()
            .map_err(Error::io("duplicate", "a temporary file"))
    };
    let stdio = ExecStdio {
        stdin: Stdio::null(),
        stdout: Stdio::from(clone(&stdout)?),
        stderr: Stdio::from(clone(&stderr)?),
    };
    let (exit_code, not_started) = exec_start(helper, target, argv, stdio, false)?.wait(timeout)?;
    if let Some(why) = not_started {
        return Ok(ExecResult {
            exit_code,
            stdout: Vec::new(),
            stderr: why.into_bytes(),
        });
    }
    Ok(ExecResult {
        exit_code,
        stdout: read_capped(&mut stdout)?,
        stderr: read_capped(&mut stderr)?,
    })
}

/// Reads an output file from its start, at most [`MAX_EXEC_OUTPUT`] bytes.
fn read_capped(file: &mut std::fs::File) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.rewind()
        .and_then(|()| file.take(MAX_EXEC_OUTPUT).read_to_end(&mut bytes))
        .map_err(Error::io("read", "the output of an exec"))?;
    Ok(bytes)
}
