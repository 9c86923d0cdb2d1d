//! The error type of the cgroups module: bad quantities, bad names, and the kernel saying no.
//!
//! Like the image module's errors, each message is one line that says what is wrong and, where
//! the user can act, what to do. Causes (a quantity's parse error, an `io::Error`) are kept as
//! the error's `source`, not repeated in the message, so `anyhow`'s `{:#}` shows each once.

use std::io;
use std::path::PathBuf;

use crate::cgroups::quantity::QuantityError;

/// A `Result` whose error defaults to this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can fail between a container's `resources` and a cgroup on disk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `requests` or `limits` value is not a Kubernetes quantity we can use.
    #[error(
        "invalid quantity \"{value}\" for {field}; write e.g. 500m or 2 for cpu, 64Mi or 1G for memory"
    )]
    InvalidQuantity {
        /// Where it was found, e.g. `resources.limits.memory`.
        field: String,
        /// The quantity as written.
        value: String,
        /// What is wrong with it.
        #[source]
        source: QuantityError,
    },

    /// A request is larger than the limit of the same resource (the API server refuses that).
    #[error(
        "resources.requests.{resource} ({request}) is above resources.limits.{resource} ({limit}); a request must be less than or equal to its limit"
    )]
    RequestAboveLimit {
        /// `cpu` or `memory`.
        resource: &'static str,
        /// The request as written.
        request: String,
        /// The limit as written.
        limit: String,
    },

    /// A pod uid or container name cannot be used as one directory name.
    #[error(
        "{what} `{name}` cannot name a cgroup directory: use letters, digits, `-`, `_` and `.` (not `.` or `..` alone)"
    )]
    InvalidName {
        /// `pod uid` or `container name`.
        what: &'static str,
        /// The offending name.
        name: String,
    },

    /// This machine has no cgroup hierarchy this runtime can use.
    #[error("no usable cgroup hierarchy: {reason}")]
    NoHierarchy {
        /// What was looked for and not found.
        reason: String,
    },

    /// A controller the runtime needs is not available in a cgroup v2 parent.
    #[error("cgroup controller `{controller}` is not available in {}; it must be listed in cgroup.controllers", path.display())]
    MissingController {
        /// `cpu`, `memory` or `pids`.
        controller: &'static str,
        /// The cgroup directory whose `cgroup.controllers` lacks it.
        path: PathBuf,
    },

    /// Reading, writing, creating or removing a cgroup file or directory failed.
    #[error("failed to {action} {}", path.display())]
    Io {
        /// What we were doing, as a verb phrase.
        action: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The kernel's answer.
        #[source]
        source: io::Error,
    },

    /// Processes were still in a cgroup after it was killed and waited for.
    #[error("cgroup {} still holds processes {pids:?} after SIGKILL; they may be stuck in the kernel (D state)", path.display())]
    NotEmptied {
        /// The leaf cgroup directory.
        path: PathBuf,
        /// The pids left in its `cgroup.procs`.
        pids: Vec<u32>,
    },
}

impl Error {
    /// Builds an [`Error::Io`]; used as `.map_err(Error::io("write", &path))`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    /// Whether the user can fix this by changing the Pod spec (the CLI exits with 2), rather than
    /// the machine failing under us.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::InvalidQuantity { .. }
                | Self::RequestAboveLimit { .. }
                | Self::InvalidName { .. }
        )
    }
}
