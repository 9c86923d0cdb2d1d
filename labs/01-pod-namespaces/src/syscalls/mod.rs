//! The syscall seam: every effect the runtime has on the kernel goes through [`Syscalls`].
//!
//! The trait has one method per kind of [`Op`](crate::plan::Op), and two implementations:
//!
//! - [`LinuxSyscalls`] (Linux only) makes the real calls with `nix`: `unshare(2)`,
//!   `setns(2)`, `mount(2)`, `pivot_root(2)`, `execve(2)` ... It needs root, and it changes the
//!   calling process for good, so it only ever runs inside the runtime's helper processes
//!   (`lab-01 __sandbox`, `lab-01 __container`), never in a test or in the runtime itself.
//! - [`RecordingSyscalls`] changes nothing and writes down each call as a line of text. Tests
//!   run whole plans through it and compare the transcript with a snapshot.
//!
//! Errors are plain `io::Error`s (an errno, mostly): the caller,
//! [`execute`](crate::plan::execute), knows which op it was and says so.

pub mod recording;

#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "linux")]
pub mod netlink;

use std::io;
use std::path::Path;

use crate::plan::{Mount, Namespace};

#[cfg(target_os = "linux")]
pub use linux::LinuxSyscalls;
pub use recording::RecordingSyscalls;

/// Which side of a `fork(2)` we are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// The parent; the child has this pid (in the parent's pid namespace).
    Parent {
        /// The child's pid.
        child: i32,
    },
    /// The child.
    Child,
}

/// The kernel, as far as the runtime uses it. See the module docs.
pub trait Syscalls {
    /// `unshare(2)` with the `CLONE_NEW*` flags of `namespaces`.
    fn unshare(&mut self, namespaces: &[Namespace]) -> io::Result<()>;
    /// Opens `path` (a `/proc/<pid>/ns/<kind>` file) and `setns(2)`s into it.
    fn setns(&mut self, path: &Path, namespace: Namespace) -> io::Result<()>;
    /// `sethostname(2)`.
    fn sethostname(&mut self, hostname: &str) -> io::Result<()>;
    /// Sets the `lo` interface up with an `RTM_SETLINK` request over rtnetlink.
    fn loopback_up(&mut self) -> io::Result<()>;
    /// `mount(2)`.
    fn mount(&mut self, mount: &Mount) -> io::Result<()>;
    /// `umount2(target, MNT_DETACH)`.
    fn umount_detach(&mut self, target: &Path) -> io::Result<()>;
    /// Creates a directory and its missing parents (`mkdir -p`).
    fn mkdir_all(&mut self, path: &Path, mode: u32) -> io::Result<()>;
    /// Creates an empty file if there is none.
    fn create_file(&mut self, path: &Path) -> io::Result<()>;
    /// `symlink(2)`.
    fn symlink(&mut self, target: &Path, link: &Path) -> io::Result<()>;
    /// `pivot_root(2)`.
    fn pivot_root(&mut self, new_root: &Path, put_old: &Path) -> io::Result<()>;
    /// `chdir(2)`.
    fn chdir(&mut self, path: &Path) -> io::Result<()>;
    /// Writes the caller's pid into a `cgroup.procs` file.
    fn join_cgroup(&mut self, procs_file: &Path) -> io::Result<()>;
    /// `fork(2)`.
    fn fork(&mut self) -> io::Result<Forked>;
    /// `setsid(2)`, then make the terminal on fd 0 our controlling terminal (`TIOCSCTTY`).
    fn set_controlling_terminal(&mut self) -> io::Result<()>;
    /// `execve(2)` of `argv[0]`, looked up in the `PATH` of `env` when it has no `/`. The real
    /// one returns only on failure.
    fn exec(&mut self, argv: &[String], env: &[String]) -> io::Result<()>;
}
