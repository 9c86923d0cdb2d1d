//! The runtime's side of a helper: start it with its input and a status pipe, read its report.

use std::io::{self, PipeReader, Read as _, Write as _};
use std::os::fd::{AsFd as _, AsRawFd as _};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout};

use crate::error::{Error, Result};
use crate::helper::{HelperInput, OWNER_ENV, STATUS_FD, Status};

/// A helper process that has been started and may not have reported yet.
#[derive(Debug)]
pub struct Launched {
    /// The helper process, our child: we wait for it, and only we may reap it.
    pub child: Child,
    status: PipeReader,
    /// The input file; deleted when the launch is over (the helper read it first thing).
    _input: tempfile::NamedTempFile,
}

/// Starts `helper subcommand <input.json>` with the given stdin, stdout and stderr, an empty
/// environment (but [`OWNER_ENV`]), and the write end of a status pipe as fd 3.
pub fn launch(
    helper: &Path,
    subcommand: &str,
    input: &HelperInput,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
) -> Result<Launched> {
    // The plan goes in a file rather than on the command line: it can be long, and `ps` would
    // show it to everyone.
    let mut input_file = tempfile::Builder::new()
        .prefix("kubelab-helper-")
        .suffix(".json")
        .tempfile()
        .map_err(Error::io("create", std::env::temp_dir()))?;
    let json = serde_json::to_vec(input)
        .map_err(|error| Error::Protocol(format!("the plan cannot be written as JSON: {error}")))?;
    input_file
        .write_all(&json)
        .map_err(Error::io("write", input_file.path()))?;

    // Both ends are close-on-exec, as everything Rust opens: no other child of this
    // (multi-threaded) process can inherit them by accident. Only this helper gets the write
    // end, as fd 3, through `give_fd` below.
    let (reader, writer) = io::pipe().map_err(Error::io("create a pipe for", helper))?;
    let mut command = Command::new(helper);
    command
        .arg(subcommand)
        .arg(input_file.path())
        // Nothing of the runtime's environment leaks into a container: its env is in the plan.
        .env_clear()
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr);
    // Except the owner mark: a launcher finds its helpers by it (containers still get only
    // their plan's environment: the helper's own is not passed on by `execve`).
    if let Some(owner) = std::env::var_os(OWNER_ENV) {
        command.env(OWNER_ENV, owner);
    }
    give_fd(&mut command, writer.as_raw_fd(), STATUS_FD);
    let child = command.spawn().map_err(|source| Error::Spawn {
        helper: helper.to_path_buf(),
        source,
    })?;
    // Our copy of the write end must go, or we would never see end of file.
    drop(writer);
    Ok(Launched {
        child,
        status: reader,
        _input: input_file,
    })
}

/// Makes `fd` of this process appear as `target` in the child, without close-on-exec.
///
/// Rust's `Command` has no "extra files" option (Go's `exec.Cmd.ExtraFiles`), so this uses a
/// `pre_exec` hook, which runs in the child between `fork` and `execve`.
#[allow(unsafe_code)]
fn give_fd(command: &mut Command, fd: i32, target: i32) {
    let hook = move || {
        // `dup2` gives a copy without close-on-exec. When the pipe already *is* `target`,
        // `dup2` does nothing, so clear the flag by hand instead.
        let result = if fd == target {
            // SAFETY: `fcntl` on an open fd is async-signal-safe and touches no memory.
            unsafe { nix::libc::fcntl(fd, nix::libc::F_SETFD, 0) }
        } else {
            // SAFETY: `dup2` is async-signal-safe and touches no memory; `target` is free to
            // overwrite in the child, which has only its standard streams to keep.
            unsafe { nix::libc::dup2(fd, target) }
        };
        if result < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the hook runs in the forked child of a multi-threaded process, where only
    // async-signal-safe functions may be called. It calls `dup2` or `fcntl` and nothing else:
    // no allocation, no lock (the `io::Error` is built from an errno, without allocating).
    unsafe {
        command.pre_exec(hook);
    }
}

impl Launched {
    /// Reads status lines until the helper closes the channel (or `timeout` passes: then the
    /// helper is killed and reaped, and this says so).
    pub fn read_statuses(&mut self, what: &str, timeout: Duration) -> Result<Vec<Status>> {
        // poll(2) with a deadline, then read: a plain blocking read would wait forever for a
        // helper that hangs without closing its end.
        let deadline = Instant::now() + timeout;
        let mut bytes = Vec::new();
        let mut chunk = [0_u8; 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let millis = u32::try_from(left.as_millis()).unwrap_or(u32::MAX);
            let ready = {
                let mut fds = [PollFd::new(self.status.as_fd(), PollFlags::POLLIN)];
                nix::poll::poll(
                    &mut fds,
                    PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX),
                )
            };
            match ready {
                Ok(0) => {
                    self.kill_and_reap();
                    return Err(Error::Protocol(format!(
                        "{what} did not report within {timeout:?}; it was killed"
                    )));
                }
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(errno) => {
                    return Err(Error::io("poll the status pipe of", what.to_owned())(
                        errno.into(),
                    ));
                }
            }
            // POLLIN or POLLHUP: there are bytes, or end of file.
            match self.status.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(Error::io("read the status pipe of", what.to_owned())(error));
                }
            }
        }
        // End of file: every copy of the write end is closed. Now the lines can be parsed.
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| !line.is_empty())
            .map(Status::parse)
            .collect()
    }

    /// Kills the helper and reaps it; for a helper that failed or hung. Harmless when it has
    /// already been reaped: `Child` remembers, and does not signal a pid that may be reused.
    pub fn kill_and_reap(&mut self) {
        // Killing an exited (but unreaped) child is harmless too: its pid cannot be reused
        // before we reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `timeout` for the helper to exit on its own, then kills it; its exit status
    /// as text ("exited with status 127", "was killed by SIGKILL").
    pub fn reap_within(&mut self, timeout: Duration) -> String {
        let status = wait_within(&mut self.child, timeout).or_else(|| {
            let _ = self.child.kill();
            self.child.wait().ok()
        });
        status.map_or_else(|| "could not be waited for".to_owned(), describe)
    }
}

impl Drop for Launched {
    /// The guard that keeps tests and runtimes from leaking processes: whatever happens (an
    /// error, a panic, a forgotten handle), a helper that is still running when its handle
    /// goes is killed and reaped. Killing the supervisor is enough: its child has
    /// `PR_SET_PDEATHSIG` and dies with it, and with a container's process goes its mount
    /// namespace and every mount in it.
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// Waits up to `timeout` for `child` to exit; `None` if it is still running, and then the
/// caller kills it (which also ends the waiting thread below).
///
/// std has no "wait with a timeout". A thread that called `child.wait()` would reap the
/// child, after which its pid may belong to another process and must not be signalled. So the
/// thread waits with `waitid(.., WNOWAIT)`, which reports the exit *without* reaping, and tells
/// us over a channel; we reap with `child.wait()`, so `Child` knows the pid is gone.
#[cfg(target_os = "linux")]
pub fn wait_within(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    use nix::errno::Errno;
    use nix::sys::wait::{Id, WaitPidFlag, waitid};
    use std::sync::mpsc;

    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let (exited, exit_seen) = mpsc::channel();
    std::thread::spawn(move || {
        // EINTR only means a signal arrived while waiting: wait again.
        while let Err(Errno::EINTR) =
            waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
        {}
        // The receiver may be gone (we timed out): nothing to tell then.
        let _ = exited.send(());
    });
    match exit_seen.recv_timeout(timeout) {
        Err(mpsc::RecvTimeoutError::Timeout) => None,
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => child.wait().ok(),
    }
}

/// Elsewhere no helper ever runs (they need Linux and exit at once), so a plain wait will do.
#[cfg(not(target_os = "linux"))]
pub fn wait_within(child: &mut Child, _timeout: Duration) -> Option<std::process::ExitStatus> {
    child.wait().ok()
}

/// "exited with status 3", "was killed by SIGKILL".
pub fn describe(status: std::process::ExitStatus) -> String {
    // A process ends either by exiting (a code) or by a signal; never both.
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => match nix::sys::signal::Signal::try_from(signal) {
            Ok(signal) => format!("was killed by {signal}"),
            Err(_) => format!("was killed by signal {signal}"),
        },
        (None, None) => format!("ended ({status})"),
    }
}

/// The exit code as Kubernetes reports it: the code, or 128 + N for a process killed by
/// signal N (137 for SIGKILL), the shell's convention that containerd and the kubelet use too.
pub fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt as _;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}
