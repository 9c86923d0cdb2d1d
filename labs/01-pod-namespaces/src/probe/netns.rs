//! Running a network check from inside a Pod's network namespace.
//!
//! On a real node the kubelet, in the host's network namespace, connects to the Pod's IP. Our
//! Pods have no address the host can route to until lab 05 builds the Pod network, so the probe
//! goes to the Pod instead: a short-lived thread joins the Pod's network namespace with
//! `setns(2)` and connects to `127.0.0.1` there. That is the same socket a server in the Pod
//! listening on `0.0.0.0` or on its loopback has open.
//!
//! ```text
//!  runtime process (host netns)
//!   ├── main thread ........................ host netns, untouched
//!   └── probe thread ── setns(/proc/<pause>/ns/net) ──> Pod netns ── connect 127.0.0.1:8080
//!                       (ends after the check: no thread lingers in the Pod's namespace)
//! ```
//!
//! A namespace belongs to a thread, not to a process, so only the probe thread moves. Joining a
//! network namespace needs `CAP_SYS_ADMIN` over it (root, or the user namespace that owns it).

use std::path::{Path, PathBuf};

/// Why a check could not be run in a network namespace.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    /// The namespace file could not be opened (the Pod is gone?).
    #[error("failed to open network namespace {}", path.display())]
    Open {
        /// The namespace file, e.g. `/proc/<pid>/ns/net`.
        path: PathBuf,
        /// The operating system's answer.
        #[source]
        source: std::io::Error,
    },
    /// `setns(2)` refused (not root, or not a network namespace file).
    #[error("failed to join network namespace {}", path.display())]
    Join {
        /// The namespace file.
        path: PathBuf,
        /// The kernel's answer.
        #[source]
        source: std::io::Error,
    },
    /// Network namespaces are a Linux feature.
    #[error("network namespaces need Linux")]
    Unsupported,
}

/// Runs `check` on a new thread that has joined the network namespace at `netns` (a file such as
/// `/proc/<pid>/ns/net`), and returns what it returned.
#[cfg(target_os = "linux")]
pub fn in_network_namespace<R: Send>(
    netns: &Path,
    check: impl FnOnce() -> R + Send,
) -> Result<R, NetnsError> {
    use nix::sched::{CloneFlags, setns};

    // A scoped thread may borrow `netns` and `check`; the scope joins it before returning.
    std::thread::scope(|scope| {
        let thread = scope.spawn(|| {
            let file = std::fs::File::open(netns).map_err(|source| NetnsError::Open {
                path: netns.to_owned(),
                source,
            })?;
            // CLONE_NEWNET makes the kernel check that the file really is a network namespace.
            setns(&file, CloneFlags::CLONE_NEWNET).map_err(|errno| NetnsError::Join {
                path: netns.to_owned(),
                source: errno.into(),
            })?;
            Ok(check())
        });
        // A panic inside the check is the caller's panic: pass it on unchanged.
        thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Elsewhere there are no network namespaces to join.
#[cfg(not(target_os = "linux"))]
pub fn in_network_namespace<R: Send>(
    _netns: &Path,
    _check: impl FnOnce() -> R + Send,
) -> Result<R, NetnsError> {
    Err(NetnsError::Unsupported)
}
