//! Running an `exec` probe's command: the [`ExecRunner`] seam, and a runner for the host.
//!
//! An exec probe's command runs *inside* the container: in its mount namespace (so it sees the
//! container's files, not the host's), its PID namespace and its cgroup, exactly as
//! `kubectl exec` would run it. Entering a container is step 7's job (`ExecSync` in the CRI), so
//! the probe code only asks for "run this, with this timeout, and tell me the exit code" through
//! a trait; step 7's runtime implements it by entering the container.
//!
//! [`HostExecRunner`] is the other implementation: it runs the command on the host, in the
//! runtime's own namespaces. It is for tests and for trying probes out, and it is named so that
//! nobody mistakes it for the real thing.

use std::io;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs a probe command somewhere and reports its exit code.
pub trait ExecRunner: Send + Sync {
    /// Runs `command` (program, then arguments; no shell) and returns its exit code. A command
    /// still running after `timeout` is killed and reported as [`ExecError::TimedOut`].
    fn exec(&self, command: &[String], timeout: Duration) -> Result<i32, ExecError>;
}

/// Why a probe command gave no exit code.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The command list is empty.
    #[error("probe command is empty")]
    EmptyCommand,
    /// The program could not be started (not found, not executable, ...).
    #[error("failed to start probe command {program:?}")]
    Spawn {
        /// The program's name as given.
        program: String,
        /// The operating system's answer.
        #[source]
        source: io::Error,
    },
    /// Waiting for or killing the command failed.
    #[error("failed to wait for probe command {program:?}")]
    Wait {
        /// The program's name as given.
        program: String,
        /// The operating system's answer.
        #[source]
        source: io::Error,
    },
    /// The command did not finish within the probe's timeout; it was killed.
    #[error("probe command timed out after {0:?}")]
    TimedOut(Duration),
    /// The runner could not enter the container (step 7's runner reports this).
    #[error("failed to run probe command in the container: {0}")]
    Runtime(String),
}

/// Runs probe commands **on the host**, not in a container: for tests and experiments only.
///
/// Linux only (it waits with `waitid(2)`, see `wait_with_timeout`); elsewhere every command
/// fails with [`ExecError::Runtime`].
#[derive(Debug, Clone, Copy, Default)]
pub struct HostExecRunner;

impl ExecRunner for HostExecRunner {
    fn exec(&self, command: &[String], timeout: Duration) -> Result<i32, ExecError> {
        let Some((program, args)) = command.split_first() else {
            return Err(ExecError::EmptyCommand);
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that a timeout kills the whole command: `sh -c 'sleep 60'`
        // is two processes, and killing only `sh` would leave `sleep` running.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().map_err(|source| ExecError::Spawn {
            program: program.clone(),
            source,
        })?;
        wait_with_timeout(&mut child, timeout).map_err(|source| ExecError::Wait {
            program: program.clone(),
            source,
        })?
    }
}

/// Waits for `child` at most `timeout`; then kills its process group. The outer error is a
/// failure to wait; the inner result is the exit code or [`ExecError::TimedOut`].
///
/// std has no "wait with a timeout". A thread that simply called `wait` could tell us when the
/// child ends, but then we could no longer kill it safely: once reaped, its pid may be given to
/// another process. So the thread waits with `waitid(.., WNOWAIT)`, which reports the exit
/// *without* reaping; the pid stays ours until `child.wait()` below, and a kill cannot miss.
#[cfg(target_os = "linux")]
fn wait_with_timeout(
    child: &mut std::process::Child,
    timeout: Duration,
) -> io::Result<Result<i32, ExecError>> {
    use nix::errno::Errno;
    use nix::sys::signal::{Signal, killpg};
    use nix::sys::wait::{Id, WaitPidFlag, waitid};
    use nix::unistd::Pid;
    use std::sync::mpsc;

    let pid = Pid::from_raw(child.id().cast_signed());
    let (exited, exit_seen) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        // EINTR only means a signal arrived while waiting: wait again.
        while let Err(Errno::EINTR) =
            waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
        {}
        // The receiver may be gone (we timed out and killed): nothing to tell then.
        let _ = exited.send(());
    });
    let timed_out = matches!(
        exit_seen.recv_timeout(timeout),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    if timed_out {
        // The child is not reaped yet, so its pid (also its group's id) is still ours.
        if killpg(pid, Signal::SIGKILL).is_err() {
            child.kill()?;
        }
    }
    let status = child.wait()?;
    // The waiter has seen the exit by now (the child is dead and reaped): it ends at once.
    let _ = waiter.join();
    Ok(if timed_out {
        Err(ExecError::TimedOut(timeout))
    } else {
        Ok(exit_code(status))
    })
}

/// Without `waitid` there is no safe way to bound the wait (see the Linux version).
#[cfg(not(target_os = "linux"))]
fn wait_with_timeout(
    child: &mut std::process::Child,
    _timeout: Duration,
) -> io::Result<Result<i32, ExecError>> {
    child.kill()?;
    child.wait()?;
    Ok(Err(ExecError::Runtime(
        "the host exec runner needs Linux".to_owned(),
    )))
}

/// The exit code, or `128 + signal` for a command killed by a signal, as a shell reports it.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    match std::os::unix::process::ExitStatusExt::signal(&status) {
        Some(signal) => 128 + signal,
        None => status.code().unwrap_or(-1),
    }
}
