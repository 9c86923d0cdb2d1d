//! `LinuxSyscalls`: the real kernel, through `nix`.
//!
//! Every method changes the *calling process* for good: after `unshare` it lives in new
//! namespaces, after `pivot_root` it has a new `/`. That is why this type is only used by the
//! runtime's helper processes, which are fresh single-threaded processes started for exactly
//! this (see `crate::helper`). Most namespace calls act on the calling *thread*; in a
//! single-threaded process that is the same thing, in a test harness with many threads it is
//! not, which is one more reason to keep them out of the test process.

use std::ffi::CString;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;
use nix::sys::signal::{SigSet, Signal};

use crate::plan::{Mount, MountFlag, Namespace};
use crate::syscalls::{Forked, Syscalls, netlink};

/// The `PATH` used to find a command when the container's environment has none (the same
/// default as Docker and containerd).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The real kernel. See the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct LinuxSyscalls;

impl Syscalls for LinuxSyscalls {
    fn unshare(&mut self, namespaces: &[Namespace]) -> io::Result<()> {
        // unshare(2): all the flags in one call, so the process enters every new namespace at
        // once. `nix` returns an `Errno`, which `?` turns into an `io::Error`.
        Ok(nix::sched::unshare(clone_flags(namespaces))?)
    }

    fn setns(&mut self, path: &Path, namespace: Namespace) -> io::Result<()> {
        // The file is the namespace: holding it open keeps the namespace alive, and passing
        // the expected type makes the kernel check we opened the right kind of file.
        let file = File::open(path)?;
        Ok(nix::sched::setns(&file, clone_flags(&[namespace]))?)
    }

    fn sethostname(&mut self, hostname: &str) -> io::Result<()> {
        // Changes the hostname of the UTS namespace the caller is in: after `unshare`, the
        // pod's own, never the machine's.
        Ok(nix::unistd::sethostname(hostname)?)
    }

    fn loopback_up(&mut self) -> io::Result<()> {
        netlink::set_link_up("lo")
    }

    fn mount(&mut self, mount: &Mount) -> io::Result<()> {
        // mount(2) takes the flags as one bit mask: fold our list into `MsFlags`.
        let flags = mount
            .flags
            .iter()
            .fold(MsFlags::empty(), |all, flag| all | ms_flag(*flag));
        Ok(nix::mount::mount(
            mount.source.as_deref(),
            &mount.target,
            mount.fstype.as_deref(),
            flags,
            mount.data.as_deref(),
        )?)
    }

    fn umount_detach(&mut self, target: &Path) -> io::Result<()> {
        // MNT_DETACH ("lazy"): the mount disappears from the tree at once, even while in use;
        // the kernel frees it when its last user goes. A plain umount would fail with EBUSY.
        Ok(nix::mount::umount2(target, MntFlags::MNT_DETACH)?)
    }

    fn mkdir_all(&mut self, path: &Path, mode: u32) -> io::Result<()> {
        // An existing directory is fine (the image may already have `/proc`); the umask
        // (022, inherited) narrows the mode, which only matters for directories we create.
        DirBuilder::new().recursive(true).mode(mode).create(path)
    }

    fn create_file(&mut self, path: &Path) -> io::Result<()> {
        // `append` rather than `write`: never truncate a file that already exists.
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o644)
            .open(path)
            .map(drop)
    }

    fn symlink(&mut self, target: &Path, link: &Path) -> io::Result<()> {
        std::os::unix::fs::symlink(target, link)
    }

    fn pivot_root(&mut self, new_root: &Path, put_old: &Path) -> io::Result<()> {
        // glibc has no wrapper for pivot_root(2); `nix` makes the raw system call. It fails
        // with EINVAL when `new_root` is not a mount point or `/` is a shared mount.
        Ok(nix::unistd::pivot_root(new_root, put_old)?)
    }

    fn chdir(&mut self, path: &Path) -> io::Result<()> {
        // After `pivot_root`, relative paths ("." included) resolve from here.
        std::env::set_current_dir(path)
    }

    fn join_cgroup(&mut self, procs_file: &Path) -> io::Result<()> {
        // Our pid as *we* see it: in a new pid namespace that is 1, and the kernel looks it up
        // in the writer's namespace, so it still means "me".
        let pid = nix::unistd::getpid();
        let mut file = OpenOptions::new().write(true).open(procs_file)?;
        file.write_all(pid.to_string().as_bytes())
    }

    #[allow(unsafe_code)]
    fn set_controlling_terminal(&mut self) -> io::Result<()> {
        // A new session has no controlling terminal; the first terminal it claims becomes it.
        nix::unistd::setsid()?;
        // SAFETY: TIOCSCTTY takes a plain int (0: do not steal the terminal from another
        // session), no pointer; fd 0 is this process's own stdin.
        let result = unsafe { nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) };
        if result < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    #[allow(unsafe_code)]
    fn fork(&mut self) -> io::Result<Forked> {
        // SAFETY: `fork` is only unsafe in a multi-threaded process, where the child could
        // inherit a lock held by a thread that does not exist in it. This runs in a helper
        // process freshly exec'd by the runtime, which never starts a thread, so the child
        // gets a consistent copy of the only thread there is.
        match unsafe { nix::unistd::fork() }? {
            nix::unistd::ForkResult::Parent { child } => Ok(Forked::Parent {
                child: child.as_raw(),
            }),
            nix::unistd::ForkResult::Child => {
                // If the parent (our supervisor) is killed, we must not outlive it: the
                // runtime only knows the parent, so an orphaned container would be a leak.
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
                Ok(Forked::Child)
            }
        }
    }

    fn exec(&mut self, argv: &[String], env: &[String]) -> io::Result<()> {
        let Some(command) = argv.first() else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty command"));
        };
        let program = find_program(command, env)?;
        // execve(2) wants NUL-terminated C strings; a NUL inside one cannot be passed at all.
        let argv = c_strings(argv)?;
        let env = c_strings(env)?;
        // The helper blocked the signals it waits for; a blocked mask survives `execve`, and
        // the container's command must start with none blocked, as any program expects.
        SigSet::empty().thread_set_mask()?;
        let program = CString::new(program.into_os_string().into_encoded_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in program path"))?;
        // On success this process *is* the command now, and nothing after this line runs.
        match nix::unistd::execve(&program, &argv, &env) {
            Err(errno) => Err(errno.into()),
            Ok(never) => match never {},
        }
    }
}

/// Finds the program to run: a name with a `/` is a path, any other name is searched in the
/// directories of `PATH` (from the container's env, else [`DEFAULT_PATH`]), as a shell does.
/// This runs after `pivot_root`, so it searches the container's filesystem, not the host's.
pub fn find_program(command: &str, env: &[String]) -> io::Result<PathBuf> {
    if command.contains('/') {
        return Ok(PathBuf::from(command));
    }
    let path = env
        .iter()
        .rev() // the last PATH= wins, as in a shell
        .find_map(|entry| entry.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    path.split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(command))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{command:?}: executable file not found in PATH={path}"),
            )
        })
}

/// A regular file with an execute bit: what a shell's `PATH` search accepts.
fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Converts strings to C strings, refusing any with a NUL byte inside.
fn c_strings(items: &[String]) -> io::Result<Vec<CString>> {
    items
        .iter()
        .map(|item| {
            CString::new(item.as_str()).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("NUL byte in {item:?}"))
            })
        })
        .collect()
}

/// Our namespace kinds as the `CLONE_NEW*` bits of unshare(2) and setns(2).
fn clone_flags(namespaces: &[Namespace]) -> CloneFlags {
    namespaces
        .iter()
        .fold(CloneFlags::empty(), |all, namespace| {
            all | match namespace {
                Namespace::Net => CloneFlags::CLONE_NEWNET,
                Namespace::Ipc => CloneFlags::CLONE_NEWIPC,
                Namespace::Uts => CloneFlags::CLONE_NEWUTS,
                Namespace::Pid => CloneFlags::CLONE_NEWPID,
                Namespace::Mnt => CloneFlags::CLONE_NEWNS,
            }
        })
}

/// Our mount flag as its `MS_*` bit (the names match one to one).
fn ms_flag(flag: MountFlag) -> MsFlags {
    match flag {
        MountFlag::Bind => MsFlags::MS_BIND,
        MountFlag::Rec => MsFlags::MS_REC,
        MountFlag::Private => MsFlags::MS_PRIVATE,
        MountFlag::Remount => MsFlags::MS_REMOUNT,
        MountFlag::ReadOnly => MsFlags::MS_RDONLY,
        MountFlag::NoSuid => MsFlags::MS_NOSUID,
        MountFlag::NoDev => MsFlags::MS_NODEV,
        MountFlag::NoExec => MsFlags::MS_NOEXEC,
    }
}
