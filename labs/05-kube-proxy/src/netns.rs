//! Network namespaces: open one, create or delete a named one, and run code inside one.
//!
//! A network namespace is a whole network stack: its own interfaces, addresses, routes,
//! `/proc/sys/net` settings and sockets. A pod has one (its sandbox holds it, see lab 01); in
//! the final cluster each node has one too.
//!
//! # Why every operation gets its own thread
//!
//! A process does not live in one network namespace: each *thread* does, and `setns(2)` moves
//! only the calling thread. A socket, once created, belongs to the namespace of the thread that
//! created it, whatever thread later uses it. A netlink socket is a socket, so "configure the
//! pod's namespace" means "open a netlink socket from a thread that is inside the pod's
//! namespace". [`Netns::netlink`] does exactly that: it starts a thread, `setns`es it into the
//! namespace, builds a small single-threaded tokio runtime on it (rtnetlink is async), opens
//! the netlink connection there and runs the caller's code. When the thread ends, nothing of
//! the caller's own threads has moved, so the rest of the program (a tokio runtime whose
//! worker threads must stay in the node's namespace) is never surprised.
//!
//! The same goes for `/proc/sys/net/...`: the kernel shows the settings of the namespace of
//! the thread that opens the file, so [`Netns::run`] is also how to read or write them.
//!
//! # Named namespaces
//!
//! `ip netns add NAME` keeps a namespace alive without any process in it by bind-mounting its
//! `/proc/<tid>/ns/net` file onto `/run/netns/NAME`. [`Netns::create_named`] and
//! [`Netns::delete_named`] do the same, so `ip netns list` and `ip netns exec` see them. (`ip`
//! also turns `/run/netns` into a shared mount, so the names show in other mount namespaces;
//! we leave the host's mounts as they are.)

use std::fs::File;
use std::future::Future;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;

use crate::Error;

/// Where `ip netns` keeps named network namespaces.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// An open network namespace: a path like `/proc/<pid>/ns/net` or `/run/netns/NAME`, opened
/// once and held as a file descriptor (so it stays valid even if the process exits).
#[derive(Debug)]
pub struct Netns {
    fd: OwnedFd,
    label: String,
}

impl Netns {
    /// Opens the namespace file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let label = path.display().to_string();
        let file = File::open(path).map_err(|source| netns_error(&label, "open", source))?;
        Ok(Self {
            fd: file.into(),
            label,
        })
    }

    /// Wraps a descriptor of a namespace file opened elsewhere; `label` names it in errors.
    pub fn from_fd(fd: OwnedFd, label: impl Into<String>) -> Self {
        Self {
            fd,
            label: label.into(),
        }
    }

    /// Opens the named namespace `/run/netns/NAME` (made by `ip netns add` or
    /// [`Netns::create_named`]).
    pub fn named(name: &str) -> Result<Self, Error> {
        Self::open(named_path(name)?)
    }

    /// Creates a new, empty network namespace named `name`, like `ip netns add NAME`: its only
    /// interface is `lo`, down.
    pub fn create_named(name: &str) -> Result<Self, Error> {
        let path = named_path(name)?;
        std::fs::create_dir_all(NETNS_RUN_DIR)
            .map_err(|source| netns_error(NETNS_RUN_DIR, "create directory", source))?;
        // The mount point. `create_new` fails if the name is taken.
        File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| netns_error(name, "create mount point", source))?;
        let made = run_on_thread(|| -> Result<(), (&'static str, io::Error)> {
            // Only this short-lived thread enters the new namespace ...
            nix::sched::unshare(CloneFlags::CLONE_NEWNET)
                .map_err(|errno| ("unshare", io::Error::from(errno)))?;
            // ... and the bind mount keeps the namespace alive after the thread is gone.
            nix::mount::mount(
                Some("/proc/thread-self/ns/net"),
                &path,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(|errno| ("bind mount", io::Error::from(errno)))
        });
        if let Err((what, source)) = made {
            let _ = std::fs::remove_file(&path);
            return Err(netns_error(name, what, source));
        }
        Self::open(&path)
    }

    /// Deletes the named namespace `name`, like `ip netns delete NAME`. Deleting one that does
    /// not exist is not an error. The kernel frees the namespace (and every interface in it,
    /// and the far ends of their veth pairs) once nothing holds it any more.
    pub fn delete_named(name: &str) -> Result<(), Error> {
        let path = named_path(name)?;
        match nix::mount::umount2(&path, MntFlags::MNT_DETACH) {
            // EINVAL: not a mount point (a half-made namespace); ENOENT: gone already.
            Ok(()) | Err(nix::errno::Errno::EINVAL | nix::errno::Errno::ENOENT) => {}
            Err(errno) => return Err(netns_error(name, "unmount", errno.into())),
        }
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(netns_error(name, "remove mount point", source)),
        }
    }

    /// The path or name this namespace was opened by, for messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Runs `f` on a new thread inside this namespace and returns its result. Sockets `f`
    /// creates belong to this namespace; `/proc/sys/net` shows this namespace's settings.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
        run_on_thread(|| {
            nix::sched::setns(&self.fd, CloneFlags::CLONE_NEWNET)
                .map_err(|errno| netns_error(&self.label, "setns", errno.into()))?;
            Ok(f())
        })
    }

    // ANCHOR: netlink
    /// Runs the async `f` with an rtnetlink [`Handle`](rtnetlink::Handle) whose socket lives in
    /// this namespace (see the module documentation for why it needs its own thread).
    pub fn netlink<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        T: Send,
        F: FnOnce(rtnetlink::Handle) -> Fut + Send,
        Fut: Future<Output = Result<T, Error>>,
    {
        let label = self.label.clone();
        self.run(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|source| netns_error(&label, "start a runtime", source))?;
            runtime.block_on(async {
                // The socket is created here, on the thread that is inside the namespace.
                let (connection, handle, _messages) = rtnetlink::new_connection()
                    .map_err(|source| netns_error(&label, "open a netlink socket", source))?;
                tokio::spawn(connection);
                f(handle).await
            })
        })?
    }
    // ANCHOR_END: netlink
}

impl AsFd for Netns {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Netns {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Runs `f` on a scoped thread (so it may borrow) and returns its value; a panic in `f` goes on
/// in the caller, so a test sees the original message.
fn run_on_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// `/run/netns/NAME`, refusing names that would escape the directory.
fn named_path(name: &str) -> Result<PathBuf, Error> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(netns_error(
            name,
            "check the name",
            io::Error::new(io::ErrorKind::InvalidInput, "not a valid namespace name"),
        ));
    }
    Ok(Path::new(NETNS_RUN_DIR).join(name))
}

fn netns_error(netns: &str, what: &'static str, source: io::Error) -> Error {
    Error::Netns {
        netns: netns.to_owned(),
        what,
        source,
    }
}
