//! Plans: what the runtime does to the kernel to start a sandbox or a container, as plain data.
//!
//! Starting a container is a sequence of system calls whose *order* is the whole lesson: join
//! the pod's namespaces before forking, make mounts private before mounting, mount before
//! `pivot_root`, write `cgroup.procs` while the host's `/sys` is still reachable, `execve` last.
//! So the runtime first writes that sequence down as a list of [`Op`]s, a *plan*, with pure
//! functions ([`crate::sandbox::plan()`], [`crate::container::plan()`]) that never touch the
//! machine. Then [`execute`] applies a plan through the [`Syscalls`] trait:
//!
//! ```text
//!   SandboxConfig ──sandbox::plan──┐                  ┌─> LinuxSyscalls      (the kernel; root)
//!   ContainerConfig ─container::plan┴─> Vec<Op> ─execute┤
//!                     (pure)                          └─> RecordingSyscalls  (a transcript)
//! ```
//!
//! With [`crate::syscalls::RecordingSyscalls`] a test gets the transcript of the calls, one
//! line each, written the way `strace` prints them, and compares it with a reviewed snapshot:
//! the plan of a whole pod is tested without root, in milliseconds, on any machine. This is the
//! "sans-IO" style: decisions in pure code, effects at the edge.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::syscalls::{Forked, Syscalls};

/// One kind of Linux namespace (see `namespaces(7)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Namespace {
    /// Network devices, addresses, routes, ports: one `localhost` per pod.
    Net,
    /// System V IPC and POSIX message queues.
    Ipc,
    /// Hostname and NIS domain name.
    Uts,
    /// Process ids: the first process inside is PID 1.
    Pid,
    /// The mount table: each container has its own `/`.
    Mnt,
}

impl Namespace {
    /// The file that names this namespace under `/proc/<pid>/ns/`.
    pub fn proc_name(self) -> &'static str {
        match self {
            Self::Net => "net",
            Self::Ipc => "ipc",
            Self::Uts => "uts",
            Self::Pid => "pid",
            Self::Mnt => "mnt",
        }
    }

    /// The `CLONE_NEW*` flag that `unshare(2)` and `setns(2)` take for it.
    pub fn clone_flag(self) -> &'static str {
        match self {
            Self::Net => "CLONE_NEWNET",
            Self::Ipc => "CLONE_NEWIPC",
            Self::Uts => "CLONE_NEWUTS",
            Self::Pid => "CLONE_NEWPID",
            Self::Mnt => "CLONE_NEWNS",
        }
    }
}

/// One `MS_*` flag of `mount(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MountFlag {
    /// Make `source` (a directory or file) visible at `target` too: a bind mount.
    Bind,
    /// Recursive: with `Bind`, take the mounts below `source` along; with a propagation flag,
    /// change every mount below `target` too.
    Rec,
    /// Propagation: events (mounts, unmounts) under this mount no longer reach other mount
    /// namespaces, nor come from them.
    Private,
    /// Change the flags of an existing mount instead of making a new one.
    Remount,
    /// Read-only.
    ReadOnly,
    /// Ignore set-user-id and set-group-id bits.
    NoSuid,
    /// Refuse to open device files found here.
    NoDev,
    /// Refuse to execute programs found here.
    NoExec,
}

impl MountFlag {
    /// The flag's name in `<sys/mount.h>`, as `strace` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bind => "MS_BIND",
            Self::Rec => "MS_REC",
            Self::Private => "MS_PRIVATE",
            Self::Remount => "MS_REMOUNT",
            Self::ReadOnly => "MS_RDONLY",
            Self::NoSuid => "MS_NOSUID",
            Self::NoDev => "MS_NODEV",
            Self::NoExec => "MS_NOEXEC",
        }
    }
}

/// The five arguments of one `mount(2)` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// What to mount: a path for bind mounts, a free-form name for pseudo filesystems (`proc`,
    /// `tmpfs`), nothing for a propagation change or a remount.
    pub source: Option<PathBuf>,
    /// Where.
    pub target: PathBuf,
    /// The filesystem type (`proc`, `tmpfs`, `devpts`), or nothing for bind mounts.
    pub fstype: Option<String>,
    /// The `MS_*` flags.
    pub flags: Vec<MountFlag>,
    /// Filesystem-specific options, such as `mode=755,size=65536k` for tmpfs.
    pub data: Option<String>,
}

impl Mount {
    /// A recursive bind mount: `mount --rbind source target`.
    pub fn bind(source: impl Into<PathBuf>, target: impl Into<PathBuf>) -> Self {
        Self {
            source: Some(source.into()),
            target: target.into(),
            fstype: None,
            flags: vec![MountFlag::Bind, MountFlag::Rec],
            data: None,
        }
    }

    /// A new instance of a pseudo filesystem: `mount -t fstype -o data fstype target`.
    pub fn filesystem(
        fstype: &str,
        target: impl Into<PathBuf>,
        flags: &[MountFlag],
        data: Option<&str>,
    ) -> Self {
        Self {
            source: Some(PathBuf::from(fstype)),
            target: target.into(),
            fstype: Some(fstype.to_owned()),
            flags: flags.to_vec(),
            data: data.map(str::to_owned),
        }
    }

    /// `mount --make-rprivate target`: cut the propagation of everything under `target`.
    pub fn make_rprivate(target: impl Into<PathBuf>) -> Self {
        Self {
            source: None,
            target: target.into(),
            fstype: None,
            flags: vec![MountFlag::Rec, MountFlag::Private],
            data: None,
        }
    }

    /// `mount -o remount,bind,ro target`: make an existing bind mount read-only. (A bind mount
    /// cannot be made read-only in the same call that creates it: the kernel ignores
    /// `MS_RDONLY` there.)
    pub fn remount_read_only(target: impl Into<PathBuf>) -> Self {
        Self {
            source: None,
            target: target.into(),
            fstype: None,
            flags: vec![MountFlag::Remount, MountFlag::Bind, MountFlag::ReadOnly],
            data: None,
        }
    }
}

/// One step of a plan: one system call (or, for [`Op::LoopbackUp`], one netlink request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `unshare(2)`: move this process into new namespaces of these kinds. For `Pid`, only the
    /// children made afterwards are inside; the caller stays where it was.
    Unshare(Vec<Namespace>),
    /// `setns(2)` on the open file `path` (`/proc/<pid>/ns/<kind>`): join that process's
    /// namespace. For `Pid`, again, only later children are inside.
    SetNs {
        /// The namespace file, `/proc/<pid>/ns/<kind>`.
        path: PathBuf,
        /// Which kind it must be (the kernel checks).
        namespace: Namespace,
    },
    /// `sethostname(2)`, in the UTS namespace we are in.
    SetHostname(String),
    /// Bring the `lo` interface of our network namespace up (`ip link set lo up`), through
    /// an rtnetlink request.
    LoopbackUp,
    /// `mount(2)`.
    Mount(Mount),
    /// `umount2(target, MNT_DETACH)`: detach a mount now, free it when no one uses it.
    UnmountDetach(PathBuf),
    /// `mkdir -p`: create a directory and its missing parents with this mode.
    Mkdir {
        /// The directory.
        path: PathBuf,
        /// Its permission bits, before the umask.
        mode: u32,
    },
    /// Create an empty file if missing: the mount point of a bind-mounted file.
    CreateFile(PathBuf),
    /// `symlink(2)`: make `link` point at `target`.
    Symlink {
        /// What the link points at, written as is.
        target: PathBuf,
        /// The link to create.
        link: PathBuf,
    },
    /// `pivot_root(2)`: make `new_root` the root of our mount namespace and move the old root
    /// to `put_old`.
    PivotRoot {
        /// The new root (must be a mount point).
        new_root: PathBuf,
        /// Where the old root goes (must be under `new_root`).
        put_old: PathBuf,
    },
    /// `chdir(2)`.
    Chdir(PathBuf),
    /// Write our own pid into this `cgroup.procs` file: join that cgroup (step 4 says which).
    JoinCgroup(PathBuf),
    /// `fork(2)`. The parent stays behind to supervise the child (it forwards signals and
    /// reports the exit code); the rest of the plan runs in the child only.
    Fork,
    /// `setsid(2)`, then `ioctl(0, TIOCSCTTY)`: start a new session whose controlling terminal
    /// is the one on our stdin (`kubectl exec -t`), so a shell gets job control and Ctrl-C.
    SetControllingTerminal,
    /// `execve(2)`: replace this process with the program `argv[0]` (looked up in the `PATH`
    /// of `env` when it has no `/`). On success it never returns.
    Exec {
        /// The program and its arguments.
        argv: Vec<String>,
        /// The environment, as `NAME=value` strings.
        env: Vec<String>,
    },
}

/// How a plan ended, in the process that ran it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every op ran and the plan had no [`Op::Fork`].
    Finished,
    /// An [`Op::Fork`] returned in the parent: the child (this pid, as the parent sees it)
    /// runs the rest of the plan.
    Parent {
        /// The child's pid in the parent's pid namespace.
        child: i32,
    },
    /// This is the child of an [`Op::Fork`], and it ran the rest of the plan.
    Child,
}

// ANCHOR: execute
/// Applies `plan` in order through `syscalls`, stopping at the first op that fails.
///
/// The error names the op (as `strace` would print it) and keeps the kernel's answer as its
/// source: `mount("/tmp/rootfs/proc", ...) failed: Operation not permitted (os error 1)`.
pub fn execute(plan: &[Op], syscalls: &mut dyn Syscalls) -> Result<Outcome> {
    let mut outcome = Outcome::Finished;
    for op in plan {
        let result = match op {
            Op::Unshare(namespaces) => syscalls.unshare(namespaces),
            Op::SetNs { path, namespace } => syscalls.setns(path, *namespace),
            Op::SetHostname(name) => syscalls.sethostname(name),
            Op::LoopbackUp => syscalls.loopback_up(),
            Op::Mount(mount) => syscalls.mount(mount),
            Op::UnmountDetach(target) => syscalls.umount_detach(target),
            Op::Mkdir { path, mode } => syscalls.mkdir_all(path, *mode),
            Op::CreateFile(path) => syscalls.create_file(path),
            Op::Symlink { target, link } => syscalls.symlink(target, link),
            Op::PivotRoot { new_root, put_old } => syscalls.pivot_root(new_root, put_old),
            Op::Chdir(path) => syscalls.chdir(path),
            Op::JoinCgroup(procs) => syscalls.join_cgroup(procs),
            Op::SetControllingTerminal => syscalls.set_controlling_terminal(),
            Op::Fork => match syscalls.fork() {
                // The parent's part of the plan ends here; the child carries on.
                Ok(Forked::Parent { child }) => return Ok(Outcome::Parent { child }),
                Ok(Forked::Child) => {
                    outcome = Outcome::Child;
                    Ok(())
                }
                Err(error) => Err(error),
            },
            Op::Exec { argv, env } => syscalls.exec(argv, env),
        };
        result.map_err(|source| Error::Syscall {
            call: op.to_string(),
            source,
        })?;
    }
    Ok(outcome)
}
// ANCHOR_END: execute

impl fmt::Display for Op {
    /// Writes the op as `strace` would print the call, so a plan's transcript reads like a
    /// trace of `runc` or `crun` doing the same job.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unshare(namespaces) => write!(f, "unshare({})", flags(namespaces)),
            Self::SetNs { path, namespace } => write!(
                f,
                "setns(open({}), {})",
                quote(path),
                namespace.clone_flag()
            ),
            Self::SetHostname(name) => write!(f, "sethostname({name:?})"),
            Self::LoopbackUp => write!(f, "rtnetlink(RTM_SETLINK, ifname=\"lo\", IFF_UP)"),
            Self::Mount(mount) => {
                let flags: Vec<&str> = mount.flags.iter().map(|flag| flag.name()).collect();
                write!(
                    f,
                    "mount({}, {}, {}, {}, {})",
                    mount.source.as_deref().map_or("NULL".to_owned(), quote),
                    quote(&mount.target),
                    mount
                        .fstype
                        .as_ref()
                        .map_or("NULL".to_owned(), |t| format!("{t:?}")),
                    if flags.is_empty() {
                        "0".to_owned()
                    } else {
                        flags.join("|")
                    },
                    mount
                        .data
                        .as_ref()
                        .map_or("NULL".to_owned(), |d| format!("{d:?}")),
                )
            }
            Self::UnmountDetach(target) => write!(f, "umount2({}, MNT_DETACH)", quote(target)),
            Self::Mkdir { path, mode } => write!(f, "mkdir -p {} {mode:04o}", quote(path)),
            Self::CreateFile(path) => write!(f, "open({}, O_CREAT, 0644)", quote(path)),
            Self::Symlink { target, link } => {
                write!(f, "symlink({}, {})", quote(target), quote(link))
            }
            Self::PivotRoot { new_root, put_old } => {
                write!(f, "pivot_root({}, {})", quote(new_root), quote(put_old))
            }
            Self::Chdir(path) => write!(f, "chdir({})", quote(path)),
            Self::JoinCgroup(procs) => write!(f, "write({}, getpid())", quote(procs)),
            Self::Fork => write!(f, "fork()"),
            Self::SetControllingTerminal => write!(f, "setsid(); ioctl(0, TIOCSCTTY, 0)"),
            Self::Exec { argv, env } => write!(
                f,
                "execve({:?}, {argv:?}, {env:?})",
                argv.first().map_or("", String::as_str)
            ),
        }
    }
}

/// `CLONE_NEWNET|CLONE_NEWIPC`, in the order given.
fn flags(namespaces: &[Namespace]) -> String {
    let names: Vec<&str> = namespaces.iter().map(|ns| ns.clone_flag()).collect();
    names.join("|")
}

/// A path in double quotes, as C strings appear in a trace.
fn quote(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}
