//! The container's init: `lab-01 __container <plan.json>`, the helper that becomes a container.
//!
//! It executes the plan up to its last op, the `execve` of the command, which it makes itself
//! so that it can tell the two kinds of failure apart, with the exit codes a shell uses (and
//! the kubelet shows): 127 for a command that does not exist, 126 for one that cannot be
//! executed, 1 for anything that went wrong before (a mount, a `setns`).
//!
//! ```text
//!  signals blocked ─> execute plan ─ fork ─┬─ parent: "pid <child>" ─> supervise(child)
//!                                          └─ child: ... pivot_root ... ─> execve(command)
//!                                                     on failure: "error <why>", exit 127/126/1
//! ```

use std::path::Path;
use std::process::ExitCode;

use crate::error::{Error, chain};
use crate::helper::status::StatusChannel;
use crate::helper::supervise::{exit_status_byte, supervise};
use crate::helper::{Status, start};
use crate::plan::{Op, Outcome, execute};
use crate::syscalls::{LinuxSyscalls, Syscalls as _};

/// Exit code of a command that does not exist (as a shell reports it).
pub const EXIT_NOT_FOUND: u8 = 127;
/// Exit code of a command that exists but cannot be executed.
pub const EXIT_NOT_EXECUTABLE: u8 = 126;

/// The entry point of `lab-01 __container <plan.json>`.
pub fn main(input: &Path) -> ExitCode {
    let (mut status, signals, input) = match start(input) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let Some((Op::Exec { argv, env }, setup)) = input.plan.split_last() else {
        return fail(
            &mut status,
            "the container's plan does not end with an exec",
            1,
        );
    };
    match execute(setup, &mut LinuxSyscalls) {
        Ok(Outcome::Parent { child }) => {
            status.send(&Status::Started { pid: child });
            status.close();
            ExitCode::from(exit_status_byte(supervise(child, &signals)))
        }
        Ok(Outcome::Child | Outcome::Finished) => {
            // On success `exec` does not return: the status pipe closes (close-on-exec) and
            // this process is the command now.
            let error = LinuxSyscalls
                .exec(argv, env)
                .err()
                .unwrap_or_else(|| std::io::Error::other("execve returned without an error"));
            let code = match error.kind() {
                std::io::ErrorKind::NotFound => EXIT_NOT_FOUND,
                _ => EXIT_NOT_EXECUTABLE,
            };
            let error = Error::Syscall {
                call: format!("execve({:?})", argv.first().map_or("", String::as_str)),
                source: error,
            };
            fail(&mut status, &chain(&error), code)
        }
        Err(error) => fail(&mut status, &chain(&error), 1),
    }
}

/// Reports `why` to the runtime and to the container's log (our stderr), and exits with `code`.
fn fail(status: &mut StatusChannel, why: &str, code: u8) -> ExitCode {
    eprintln!("lab-01: the container did not start: {why}");
    status.send(&Status::Failed(why.to_owned()));
    ExitCode::from(code)
}
