//! The pause process: `lab-01 __sandbox <plan.json>`, the helper that holds a pod's namespaces.
//!
//! Kubernetes' own pause container is a C program of some 60 lines (`build/pause/linux/pause.c`
//! in the kubernetes repository): it installs signal handlers, then loops on `pause(2)`. Its job
//! is to *exist*: a namespace lives as long as a process is in it, so as long as pause sleeps,
//! the pod keeps its network (its IP address), its IPC and its hostname, however often its
//! containers restart. When the pod shares its PID namespace, pause is that namespace's PID 1,
//! which gives it a second job: every orphaned process in the pod is re-parented to it, and
//! when one exits it stays a *zombie* (an entry in the process table holding its exit status)
//! until its parent collects it with `wait`. PID 1 must collect them, or they pile up.
//!
//! Ours runs the sandbox plan first (it creates the namespaces itself), reports "ready" to the
//! runtime, and then pauses the same way, with `sigwait` instead of handlers:
//!
//! ```text
//!  signals blocked ─> execute plan ─┬─ no fork ──────────> "ready <own pid>" ─> pause()
//!                                   └─ fork ─┬─ parent ──> "ready <child>"  ─> supervise(child)
//!                                            └─ child (PID 1 of the pod) ───────> pause()
//! ```

use std::path::Path;
use std::process::ExitCode;

use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::error::chain;
use crate::helper::supervise::{exit_status_byte, supervise};
use crate::helper::{Status, start};
use crate::plan::{Outcome, execute};
use crate::syscalls::LinuxSyscalls;

/// The entry point of `lab-01 __sandbox <plan.json>`.
pub fn main(input: &Path) -> ExitCode {
    let (mut status, signals, input) = match start(input) {
        Ok(started) => started,
        Err(code) => return code,
    };
    match execute(&input.plan, &mut LinuxSyscalls) {
        Ok(Outcome::Parent { child }) => {
            // We stay outside the new PID namespace; our child is its PID 1 and holds every
            // namespace of the pod, so it is the one the runtime points containers at.
            status.send(&Status::Ready { pid: child });
            status.close();
            ExitCode::from(exit_status_byte(supervise(child, &signals)))
        }
        Ok(Outcome::Child) => {
            // The parent reports for us: it knows our pid as the runtime sees it (we are 1).
            status.close();
            pause_or_fail(&signals)
        }
        Ok(Outcome::Finished) => {
            let pid = nix::unistd::getpid().as_raw();
            status.send(&Status::Ready { pid });
            status.close();
            pause_or_fail(&signals)
        }
        Err(error) => {
            status.send(&Status::Failed(chain(&error)));
            ExitCode::FAILURE
        }
    }
}

fn pause_or_fail(signals: &SigSet) -> ExitCode {
    match pause(signals) {
        Ok(()) => ExitCode::SUCCESS,
        Err(errno) => {
            eprintln!("pause: sigwait failed: {errno}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: pause
/// Sleeps until SIGTERM or SIGINT, reaping zombies whenever SIGCHLD arrives.
///
/// `signals` are already blocked in this thread, so they wait as *pending* until `wait`
/// (`sigwait(3)`) takes them one at a time; nothing is lost between two waits.
pub fn pause(signals: &SigSet) -> nix::Result<()> {
    // BEGIN SOLUTION step-2: loop on sigwait: SIGTERM/SIGINT return, SIGCHLD reaps zombies
    loop {
        match signals.wait()? {
            // A clean stop: returning ends the process, and with it the namespaces it holds
            // (unless a container still lives in them).
            Signal::SIGTERM | Signal::SIGINT => return Ok(()),
            // Some child, or some orphan we inherited as PID 1, has exited.
            Signal::SIGCHLD => {
                let reaped = reap_zombies();
                tracing::debug!(reaped, "pause reaped zombies");
            }
            // SIGHUP, SIGUSR1 and the like mean nothing to pause.
            _ => {}
        }
    }
    // END SOLUTION
}
// ANCHOR_END: pause

// ANCHOR: reap_zombies
/// Collects every child that has exited, without blocking; returns how many.
///
/// One SIGCHLD may stand for several exits (a pending signal is not counted twice), so this
/// loops until `waitpid` says nobody else is ready.
pub fn reap_zombies() -> usize {
    // BEGIN SOLUTION step-2: waitpid(-1, WNOHANG) until no exited child is left
    let mut reaped = 0;
    loop {
        // -1: any child. WNOHANG: answer "still alive" instead of blocking.
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return reaped,
            Ok(_) => reaped += 1,
            Err(Errno::EINTR) => {}
            // ECHILD: no children at all.
            Err(_) => return reaped,
        }
    }
    // END SOLUTION
}
// ANCHOR_END: reap_zombies
