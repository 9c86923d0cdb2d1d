//! The supervisor: the parent that stays behind after a helper's `fork`.
//!
//! Entering a PID namespace takes a `fork`: `unshare(CLONE_NEWPID)` and `setns` into a PID
//! namespace only place the caller's *future children* inside. So a helper that needs one
//! forks, the child goes on with the plan, and the parent stays as a tiny supervisor, the way
//! `conmon` sits next to each container under CRI-O:
//!
//! ```text
//!  runtime ── waits for ──> helper (supervisor) ── waits for ──> child (pause, or the command)
//!          ── signals ───>          │ forwards the signal ──────>
//!                                   └ exits with the child's code (128+N if killed by signal N)
//! ```
//!
//! The runtime can only wait for its own children, and it must never signal a pid it has not
//! reaped itself (the pid could belong to another process by then). Both rules are kept by
//! talking to the supervisor only: it is the runtime's child, and it is the only one that
//! reaps the container's process. If the supervisor is killed outright (SIGKILL cannot be
//! forwarded), the child dies with it through `PR_SET_PDEATHSIG`, set right after the fork.
//!
//! Signals are handled synchronously: the helper blocks them from its first instruction (so
//! none is lost, even before the loop runs), and the loop takes them one at a time with
//! `sigwait(3)`. No signal handler, so nothing runs at an unexpected moment.

use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// The signals a helper blocks and then takes with `sigwait`: a child's exit, and the ones a
/// runtime or a user sends to stop or poke a process.
pub fn handled_signals() -> SigSet {
    let mut signals = SigSet::empty();
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        signals.add(signal);
    }
    signals
}

/// Forwards every signal but SIGCHLD to `child` until it exits, then returns the code to exit
/// with: its exit code, or 128 + N when signal N killed it.
pub fn supervise(child: i32, signals: &SigSet) -> i32 {
    let child = Pid::from_raw(child);
    loop {
        // Look first: the child may have exited before we got here. Its SIGCHLD would still be
        // pending (it is blocked), so the wait below would not miss it, but this is simpler.
        if let Some(code) = exit_code_of(child) {
            return code;
        }
        match signals.wait() {
            Ok(Signal::SIGCHLD) | Err(_) => {}
            // The child may be exiting at this very moment; it is not reaped yet (only we reap
            // it), so its pid is still its own and the signal cannot hit another process.
            Ok(signal) => {
                let _ = kill(child, signal);
            }
        }
    }
}

/// The child's exit code if it has exited (and reaps it), `None` while it runs.
fn exit_code_of(child: Pid) -> Option<i32> {
    match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::Exited(_, code)) => Some(code),
        Ok(WaitStatus::Signaled(_, signal, _)) => Some(128 + signal as i32),
        // Still running (or stopped, or continued: not our business).
        Ok(_) | Err(Errno::EINTR) => None,
        // ECHILD: it is gone and was not ours to reap; nothing to wait for.
        Err(_) => Some(1),
    }
}

/// An exit code as a process exit status (0-255), for `std::process::ExitCode`.
pub fn exit_status_byte(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}
