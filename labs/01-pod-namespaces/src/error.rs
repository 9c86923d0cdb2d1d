//! The error type of the runtime (steps 2, 3 and 7): what can go wrong between a config and a
//! running sandbox or container.
//!
//! As in the image module, each message is one line that says what failed and, where the user
//! can act, what to do; causes (an `io::Error` from the kernel) are kept as the `source`, so a
//! caller printing the whole chain (`anyhow`'s `{:#}`, or [`chain`]) shows each cause once.

use std::io;
use std::path::PathBuf;

/// A `Result` whose error defaults to this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can fail while planning, starting or stopping a sandbox or a container.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One operation of a plan failed: the kernel said no.
    #[error("{call} failed")]
    Syscall {
        /// The call, written the way `strace` would print it.
        call: String,
        /// The kernel's answer (an errno).
        #[source]
        source: io::Error,
    },

    /// A filesystem operation of the runtime itself failed.
    #[error("failed to {action} {}", path.display())]
    Io {
        /// What we were doing, as a verb phrase.
        action: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The operating system's answer.
        #[source]
        source: io::Error,
    },

    /// A config or a Pod spec field has a value this runtime cannot use.
    #[error("{field}: {reason}")]
    InvalidConfig {
        /// The field, as a path: `spec.volumes[0].hostPath.path`, `container web: mountPath`.
        field: String,
        /// What is wrong and what to do about it.
        reason: String,
    },

    /// The helper binary (`lab-01`, re-executed as `lab-01 __sandbox` or `__container`) could
    /// not be started.
    #[error("failed to start the helper {}; is it the `lab-01` binary?", helper.display())]
    Spawn {
        /// The path we tried to run.
        helper: PathBuf,
        /// Why it did not start.
        #[source]
        source: io::Error,
    },

    /// The pause process did not get as far as holding the pod's namespaces.
    #[error("failed to start the sandbox of pod {pod}: {reason}")]
    SandboxStart {
        /// The pod's name.
        pod: String,
        /// What went wrong, as the pause process reported it.
        reason: String,
    },

    /// The pause process ended other than by a clean stop.
    #[error("the pause process of pod {pod} {status}{}", stderr_note(stderr))]
    SandboxExited {
        /// The pod's name.
        pod: String,
        /// How it ended: "exited with status 101", "was killed by SIGKILL".
        status: String,
        /// The last lines it wrote to stderr (a panic message, for example).
        stderr: String,
    },

    /// A container's init failed before its command started (the command was not found, a
    /// mount failed, ...), or the container's process could not be waited for.
    #[error("container {container} did not start: {reason}")]
    ContainerStart {
        /// The container's name.
        container: String,
        /// What went wrong, as the container's init reported it.
        reason: String,
        /// The init's exit code: 127 when the command does not exist, 126 when it cannot be
        /// executed, as a shell reports them.
        exit_code: Option<i32>,
    },

    /// A command run in a container (step 7's `ExecSync`) could not be started there.
    #[error("exec failed: {reason}")]
    Exec {
        /// What went wrong, as the helper reported it.
        reason: String,
    },

    /// A command run in a container was still running at its timeout; it was killed.
    #[error("exec timed out after {0:?}; the command was killed")]
    ExecTimedOut(std::time::Duration),

    /// A sandbox or container id the runtime does not know (step 7's CRI-shaped service).
    #[error("{what} {id} not found")]
    NotFound {
        /// "sandbox" or "container".
        what: &'static str,
        /// The id asked for.
        id: String,
    },

    /// A call that does not fit the object's state: starting a container twice, say.
    #[error("{0}")]
    WrongState(String),

    /// A step-4 cgroup operation failed for a container.
    #[error(transparent)]
    Cgroup(#[from] crate::cgroups::Error),

    /// A step-1 image operation failed while preparing a container.
    #[error(transparent)]
    Image(#[from] crate::image::Error),

    /// A helper wrote something on its status channel that is not part of the protocol.
    #[error("helper protocol error: {0}")]
    Protocol(String),

    /// The pod network (a kubelet's [`crate::pod::hooks::SandboxNetwork`]) could not connect
    /// the sandbox.
    #[error("pod network: {0}")]
    Network(String),
}

impl Error {
    /// Builds an [`Error::Io`]; used as `.map_err(Error::io("read", &path))`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    /// Builds an [`Error::InvalidConfig`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidConfig {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Whether the user can fix this by giving different input (a CLI exits with 2), rather
    /// than the machine or a container failing.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::InvalidConfig { .. } => true,
            Self::Image(error) => error.is_bad_input(),
            Self::Cgroup(error) => error.is_bad_input(),
            _ => false,
        }
    }
}

/// The error and all its causes on one line, `what: why: deeper why`, for places that have no
/// `anyhow` to do it (a helper's status line, a log).
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Appends a process's stderr to a message, when it said anything.
fn stderr_note(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!("; its stderr ends with:\n{}", stderr.trim_end())
    }
}
