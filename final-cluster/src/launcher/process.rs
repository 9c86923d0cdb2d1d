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

/// The environment variable that ties a component, and every process it starts, to its
/// cluster: its value is the cluster's state directory. Helpers inherit it; [`sweep`] reads it.
pub const CLUSTER_ENV: &str = lab_01::helper::OWNER_ENV;

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
/// stdout and stderr appended to `log`, marked as part of the cluster whose state is `cluster`
/// ([`CLUSTER_ENV`]), and records it in `pid_file`.
#[allow(unsafe_code)]
pub fn start(
    node: &Netns,
    hostname: &str,
    program: &Path,
    args: &[String],
    log: &Path,
    pid_file: &Path,
    cluster: &Path,
) -> io::Result<Recorded> {
    let out = File::options().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    let netns: OwnedFd = node.as_fd().try_clone_to_owned()?;
    let hostname = hostname.to_owned();
    let mut command = Command::new(program);
    command
        .args(args)
        .env(CLUSTER_ENV, cluster)
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

/// Stops the processes recorded in `pid_files`, all at once: SIGTERM to each, then SIGKILL to
/// those still running after `grace`; removes the pid files. A process that is gone already
/// (or a pid now used by another program) is left alone. Returns the pid files whose process
/// was stopped.
pub fn stop_all(pid_files: &[PathBuf], grace: Duration) -> io::Result<Vec<PathBuf>> {
    let mut stopping = Vec::new();
    for pid_file in pid_files {
        match read_pid_file(pid_file).filter(running) {
            Some(recorded) => {
                signal(Pid::from_raw(recorded.pid), Signal::SIGTERM)?;
                stopping.push((pid_file.clone(), recorded));
            }
            None => remove_if_present(pid_file)?,
        }
    }
    let deadline = Instant::now() + grace;
    while stopping.iter().any(|(_, recorded)| running(recorded)) && Instant::now() < deadline {
        wait_a_little();
    }
    for (_, recorded) in stopping.iter().filter(|(_, recorded)| running(recorded)) {
        tracing::warn!(
            pid = recorded.pid,
            "did not stop after SIGTERM; sending SIGKILL"
        );
        signal(Pid::from_raw(recorded.pid), Signal::SIGKILL)?;
    }
    let deadline = Instant::now() + grace;
    while let Some((_, stuck)) = stopping.iter().find(|(_, recorded)| running(recorded)) {
        if Instant::now() >= deadline {
            return Err(io::Error::other(format!(
                "process {} survived SIGKILL (stuck in the kernel?)",
                stuck.pid
            )));
        }
        wait_a_little();
    }
    for (pid_file, _) in &stopping {
        remove_if_present(pid_file)?;
    }
    Ok(stopping.into_iter().map(|(pid_file, _)| pid_file).collect())
}

/// [`stop_all`] for one process; whether it was stopped.
pub fn stop(pid_file: &Path, grace: Duration) -> io::Result<bool> {
    Ok(!stop_all(&[pid_file.to_path_buf()], grace)?.is_empty())
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

/// Kills (SIGKILL) every process of the cluster whose state is `cluster`, and waits until they
/// are gone; returns how many there were. This is `down`'s last sweep: pods' helper processes
/// (the pause process, container supervisors: the `kubelet` binary) and containers (programs
/// from root filesystems in the state directory) have no pid file, and outlive a kubelet that
/// crashed or was killed. A process is the cluster's when it runs a program from `cluster`, or
/// one of `programs` with [`CLUSTER_ENV`] naming `cluster` (so another cluster's are spared).
pub fn sweep(programs: &[PathBuf], cluster: &Path) -> io::Result<usize> {
    let marker = format!("{CLUSTER_ENV}={}", cluster.display()).into_bytes();
    let ours = |proc: &Path, exe: &Path| {
        let exe = PathBuf::from(exe.to_string_lossy().trim_end_matches(" (deleted)"));
        exe.starts_with(cluster)
            || (programs.contains(&exe)
                && fs::read(proc.join("environ"))
                    .is_ok_and(|env| env.split(|byte| *byte == 0).any(|var| var == marker)))
    };
    let mut killed = Vec::new();
    for entry in fs::read_dir("/proc")?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == std::process::id().cast_signed() {
            continue;
        }
        let Ok(exe) = fs::read_link(entry.path().join("exe")) else {
            continue;
        };
        if ours(&entry.path(), &exe) {
            signal(Pid::from_raw(pid), Signal::SIGKILL)?;
            killed.push(Recorded { pid, program: exe });
        }
    }
    let deadline = Instant::now() + STOP_GRACE;
    while killed.iter().any(running) {
        if Instant::now() >= deadline {
            return Err(io::Error::other(
                "processes survived SIGKILL (stuck in the kernel?)",
            ));
        }
        wait_a_little();
    }
    Ok(killed.len())
}
