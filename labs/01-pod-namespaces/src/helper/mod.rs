//! The runtime's helper processes, and the little protocol it speaks with them.
//!
//! The runtime (a test, or later the kubelet's loop) is a multi-threaded program. It must not
//! `unshare`, `setns` or `pivot_root` itself (those change the calling thread or process for
//! good), and it must not `fork` and go on running Rust in the child (a child of a
//! multi-threaded process may inherit a lock that no thread will ever release). So it starts
//! a *helper*: the `lab-01` binary again, with a hidden subcommand, as a fresh single-threaded
//! process that may do all of that safely:
//!
//! ```text
//!  runtime ──spawn──> lab-01 __sandbox   plan.json   executes the sandbox plan, then pauses
//!          ──spawn──> lab-01 __container plan.json   executes the container plan, ends in execve
//!     ▲                     │
//!     └──── fd 3 (a pipe) ──┘  "ready <pid>" / "pid <pid>" / "error <why>", then end of file
//! ```
//!
//! The runtime computes the plan (pure code, in its own process, where a bug is an ordinary
//! error or panic) and writes it to a temporary JSON file; the helper only executes it. The
//! helper reports on file descriptor 3, a pipe whose other end the runtime reads until end of
//! file. The helper marks its end close-on-exec, so a successful `execve` of the container's
//! command closes it: end of file *without* an `error` line means "the command is running".
//! This is how `runc` reports the failure of its init, and how Rust's own `Command::spawn`
//! learns that `execve` failed in the child.

pub mod launch;
#[cfg(target_os = "linux")]
pub mod status;
pub mod supervise;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::plan::Op;

/// The hidden subcommand that runs the pause process.
pub const SANDBOX_SUBCOMMAND: &str = "__sandbox";
/// The hidden subcommand that runs a container's init.
pub const CONTAINER_SUBCOMMAND: &str = "__container";

/// The file descriptor on which a helper reports to the runtime.
pub const STATUS_FD: i32 = 3;

/// The one variable of the runtime's environment a helper keeps: whoever started the runtime
/// (the final cluster's launcher) may set it to find every helper process again later, even
/// after the runtime itself died.
pub const OWNER_ENV: &str = "KUBELAB_CLUSTER";

/// What a helper reads from its JSON input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelperInput {
    /// The pod's or the container's name, for messages.
    pub name: String,
    /// The ops to execute, in order.
    pub plan: Vec<Op>,
}

/// One line on the status channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The sandbox holds its namespaces; `pid` is the process whose `/proc/<pid>/ns/*` name
    /// them (as the runtime sees pids).
    Ready {
        /// The namespace-holding process.
        pid: i32,
    },
    /// A container's process exists with this pid (as the runtime sees pids); end of file
    /// after this means its command is running.
    Started {
        /// The container's process.
        pid: i32,
    },
    /// The helper failed; the text says why.
    Failed(String),
}

impl Status {
    /// The line written on the channel, newline included.
    pub fn to_line(&self) -> String {
        match self {
            Self::Ready { pid } => format!("ready {pid}\n"),
            Self::Started { pid } => format!("pid {pid}\n"),
            // One line: a multi-line message (a panic's) is folded.
            Self::Failed(why) => format!("error {}\n", why.replace('\n', " | ")),
        }
    }

    /// Parses one line (without its newline).
    pub fn parse(line: &str) -> Result<Self> {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let pid = || {
            rest.parse::<i32>()
                .map_err(|_| Error::Protocol(format!("bad pid in status line `{line}`")))
        };
        match word {
            "ready" => Ok(Self::Ready { pid: pid()? }),
            "pid" => Ok(Self::Started { pid: pid()? }),
            "error" => Ok(Self::Failed(rest.to_owned())),
            _ => Err(Error::Protocol(format!("unknown status line `{line}`"))),
        }
    }
}

/// Reads a helper's input file.
pub fn read_input(path: &Path) -> Result<HelperInput> {
    let text = std::fs::read_to_string(path).map_err(Error::io("read", path))?;
    serde_json::from_str(&text)
        .map_err(|error| Error::Protocol(format!("bad helper input: {error}")))
}

/// The common start of both helpers: take the status pipe, block the signals they handle, and
/// read their plan. The signals are blocked before anything else so that one sent the moment
/// the runtime hears from us (a SIGTERM right after "ready", say) waits until we take it with
/// `sigwait` instead of killing us with its default action; the mask survives `fork`, and
/// `exec` clears it for a container's command. On failure the runtime has been told why, and
/// the caller exits with the code returned.
pub fn start(
    input: &Path,
) -> std::result::Result<
    (status::StatusChannel, nix::sys::signal::SigSet, HelperInput),
    std::process::ExitCode,
> {
    let mut status = status::StatusChannel::take();
    let signals = supervise::handled_signals();
    if let Err(errno) = signals.thread_block() {
        status.send(&Status::Failed(format!("failed to block signals: {errno}")));
        return Err(std::process::ExitCode::FAILURE);
    }
    match read_input(input) {
        Ok(input) => Ok((status, signals, input)),
        Err(error) => {
            let why = crate::error::chain(&error);
            eprintln!("lab-01: the helper did not start: {why}");
            status.send(&Status::Failed(why));
            Err(std::process::ExitCode::FAILURE)
        }
    }
}

/// The entry point of `lab-01 __sandbox <plan.json>`: the pause process (Linux only).
pub fn run_sandbox(input: &Path) -> std::process::ExitCode {
    #[cfg(target_os = "linux")]
    return crate::sandbox::pause::main(input);
    #[cfg(not(target_os = "linux"))]
    return not_linux(input);
}

/// The entry point of `lab-01 __container <plan.json>`: a container's init (Linux only).
pub fn run_container(input: &Path) -> std::process::ExitCode {
    #[cfg(target_os = "linux")]
    return crate::container::init::main(input);
    #[cfg(not(target_os = "linux"))]
    return not_linux(input);
}

#[cfg(not(target_os = "linux"))]
fn not_linux(_input: &Path) -> std::process::ExitCode {
    eprintln!("lab-01: sandboxes and containers need Linux namespaces; use the Vagrant VMs");
    std::process::ExitCode::FAILURE
}
