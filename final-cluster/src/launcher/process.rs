//! Component processes: started inside a node (its network namespace, its own host name), and
//! found and stopped again later, by another run of the launcher, through pid files.
//!
//! A pid file holds the pid and the program's path. Pids are reused by the kernel, so before
//! signalling a pid the launcher checks that the process still runs that program: `down` after a
//! reboot or a crash must never kill an unrelated process.

use std::fs::{self, File};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lab_05::netns::Netns;
use nix::sched::CloneFlags;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How long a component gets to stop after SIGTERM before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// A started (or found) component process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Its pid (in the host's pid namespace: nodes share it).
    pub pid: i32,
    /// The program it runs.
    pub program: PathBuf,
}

/// Starts `program args` inside `node` (its network namespace, a new UTS namespace named
/// `hostname`, a new session so a Ctrl-C in the launcher's terminal does not reach it), with
/// stdout and stderr appended to `log`, and records it in `pid_file`.
#[allow(unsafe_code)]
pub fn start(
    node: &Netns,
    hostname: &str,
    program: &Path,
    args: &[String],
    log: &Path,
    pid_file: &Path,
) -> io::Result<Recorded> {
    let out = File::options().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    let netns: OwnedFd = node.as_fd().try_clone_to_owned()?;
    let hostname = hostname.to_owned();
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    let hook = move || -> io::Result<()> {
        nix::sched::setns(&netns, CloneFlags::CLONE_NEWNET)?;
        nix::sched::unshare(CloneFlags::CLONE_NEWUTS)?;
        nix::unistd::sethostname(&hostname)?;
        nix::unistd::setsid()?;
        Ok(())
    };
    // SAFETY: the hook runs in the forked child of a possibly multi-threaded process, where only
    // async-signal-safe functions may be called. It makes four raw system calls (setns, unshare,
    // sethostname, setsid) through nix's thin wrappers, which neither allocate nor lock (the
    // host name was turned into a String before the fork; an error is built from an errno).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, hook);
    }
    let child = command.spawn()?;
    let recorded = Recorded {
        pid: i32::try_from(child.id()).map_err(io::Error::other)?,
        program: program.to_path_buf(),
    };
    write_pid_file(pid_file, &recorded)?;
    Ok(recorded)
}

fn write_pid_file(path: &Path, recorded: &Recorded) -> io::Result<()> {
    let text = format!("{}\n{}\n", recorded.pid, recorded.program.display());
    let temporary = path.with_extension("pid.new");
    fs::write(&temporary, text)?;
    fs::rename(temporary, path)
}

/// Reads a pid file; `None` if there is none or it is not ours.
pub fn read_pid_file(path: &Path) -> Option<Recorded> {
    let text = fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let program = PathBuf::from(lines.next()?.trim());
    Some(Recorded { pid, program })
}

/// Whether the recorded process is still running its program (not a zombie, not a reused pid).
pub fn running(recorded: &Recorded) -> bool {
    let proc = PathBuf::from(format!("/proc/{}", recorded.pid));
    let Ok(stat) = fs::read_to_string(proc.join("stat")) else {
        return false;
    };
    // The state letter follows the command name, which is in parentheses and may hold spaces.
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
    if zombie {
        return false;
    }
    // `/proc/<pid>/exe` names the program; a replaced binary shows " (deleted)" after it.
    fs::read_link(proc.join("exe")).is_ok_and(|exe| {
        let exe = exe.to_string_lossy();
        let program = recorded.program.to_string_lossy();
        exe == program || exe.strip_suffix(" (deleted)") == Some(&*program)
    })
}

/// Stops the process recorded in `pid_file`: SIGTERM, then SIGKILL after `grace`; removes the
/// pid file. A process that is gone already (or a pid now used by another program) is left
/// alone. Returns whether a process was stopped.
pub fn stop(pid_file: &Path, grace: Duration) -> io::Result<bool> {
    let Some(recorded) = read_pid_file(pid_file) else {
        remove_if_present(pid_file)?;
        return Ok(false);
    };
    let stopped = if running(&recorded) {
        let pid = Pid::from_raw(recorded.pid);
        signal(pid, Signal::SIGTERM)?;
        let deadline = Instant::now() + grace;
        while running(&recorded) && Instant::now() < deadline {
            wait_a_little();
        }
        if running(&recorded) {
            tracing::warn!(
                pid = recorded.pid,
                "did not stop after SIGTERM; sending SIGKILL"
            );
            signal(pid, Signal::SIGKILL)?;
            let deadline = Instant::now() + grace;
            while running(&recorded) {
                if Instant::now() >= deadline {
                    return Err(io::Error::other(format!(
                        "process {} survived SIGKILL (stuck in the kernel?)",
                        recorded.pid
                    )));
                }
                wait_a_little();
            }
        }
        true
    } else {
        false
    };
    remove_if_present(pid_file)?;
    Ok(stopped)
}

fn signal(pid: Pid, signal: Signal) -> io::Result<()> {
    match kill(pid, signal) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
        Err(errno) => Err(errno.into()),
    }
}

/// A short pause in a polling loop with a deadline: a process that is not our child has
/// nothing to wait on but its `/proc` entry, and a server starting up nothing but its port.
#[allow(clippy::disallowed_methods)]
pub(crate) fn wait_a_little() {
    std::thread::sleep(Duration::from_millis(20));
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}
