//! What a hollow container "does", read from its command, and the pod phase that follows
//! (upstream `getPhase` in `kubelet_pods.go`).
//!
//! A hollow node runs no process, so it cannot know what a program would do. It recognises a
//! few commands that tests use to mean "exit now with this code" or "run for a while", and
//! treats every other container as a server that runs until stopped:
//!
//! | command (`command` + `args`)                  | the container                          |
//! | --------------------------------------------- | -------------------------------------- |
//! | `true`, `sh -c true`                          | exits 0 at once                        |
//! | `false`, `sh -c false`                        | exits 1 at once                        |
//! | `sh -c "exit N"`                              | exits N at once                        |
//! | `sleep S`, `sh -c "sleep S"`                  | exits 0 after S seconds                |
//! | `sh -c "sleep S; exit N"` (or `&&`)           | exits N after S seconds                |
//! | anything else, or no command (the image's)   | runs until the pod is stopped          |
//!
//! `sh` may also be `/bin/sh`, `bash` or `/bin/bash`. Init containers always succeed at once.

use std::time::Duration;

use k8s_openapi::api::core::v1::Container;

/// How a hollow container ends on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// Its exit code.
    pub code: i32,
    /// How long it runs first.
    pub after: Duration,
}

/// A hollow container's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HollowState {
    /// Running (ready once the pod's ready delay has passed).
    Running,
    /// Exited for good with this code.
    Exited(i32),
    /// Exited with this code and waits to be restarted (`CrashLoopBackOff`): a hollow node
    /// does not rerun it, since it would exit the same way again.
    BackOff(i32),
}

/// Seconds as a duration ("1", "0.5"); `None` if not a number of seconds.
fn seconds(text: &str) -> Option<Duration> {
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| Duration::from_secs_f64(value))
}

/// A shell script of the known shapes: `true`, `false`, `exit N`, `sleep S`, `sleep S; exit N`.
fn script_exit(script: &str) -> Option<Exit> {
    let mut after = Duration::ZERO;
    let mut rest = script.trim();
    if let Some(sleep) = rest.strip_prefix("sleep ") {
        let (time, tail) = match sleep.find([';', '&']) {
            Some(at) => (&sleep[..at], &sleep[at..]),
            None => (sleep, ""),
        };
        after = seconds(time.trim())?;
        rest = tail.trim_start_matches([';', '&', ' ']);
        if rest.is_empty() {
            return Some(Exit { code: 0, after });
        }
    }
    let code = match rest.trim() {
        "true" => 0,
        "false" => 1,
        other => other.strip_prefix("exit ")?.trim().parse().ok()?,
    };
    Some(Exit { code, after })
}

// ANCHOR: exit_of
/// How `container` ends on its own, if its command is a known pattern (see the table above);
/// `None` means it runs until stopped.
pub fn exit_of(container: &Container) -> Option<Exit> {
    // BEGIN SOLUTION step-8: join command and args into one argv; true/false; sleep S; a shell (sh, /bin/sh, bash, /bin/bash) with -c SCRIPT -> script_exit(SCRIPT); else None
    let argv: Vec<&str> = container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten())
        .map(String::as_str)
        .collect();
    match argv.as_slice() {
        ["true"] => Some(Exit {
            code: 0,
            after: Duration::ZERO,
        }),
        ["false"] => Some(Exit {
            code: 1,
            after: Duration::ZERO,
        }),
        ["sleep", time] => seconds(time).map(|after| Exit { code: 0, after }),
        ["sh" | "/bin/sh" | "bash" | "/bin/bash", "-c", script] => script_exit(script),
        _ => None,
    }
    // END SOLUTION
}
// ANCHOR_END: exit_of

/// The state of a container that exited with `code`, under the pod's `restartPolicy`:
/// `Never` keeps it exited; `OnFailure` restarts it after a failure; `Always` (the default)
/// restarts it whatever the code.
pub fn after_exit(restart_policy: &str, code: i32) -> HollowState {
    match (restart_policy, code) {
        ("Never", _) | ("OnFailure", 0) => HollowState::Exited(code),
        _ => HollowState::BackOff(code),
    }
}

// ANCHOR: pod_phase
/// The pod's phase from its containers' states (upstream `getPhase`, for a pod whose init
/// containers are done): any still running or waiting to restart, `Running`; all exited,
/// `Failed` if any exited non-zero, else `Succeeded`.
pub fn pod_phase(states: &[HollowState]) -> &'static str {
    // BEGIN SOLUTION step-8: Running while any container runs or backs off; once all exited: Failed if any code is non-zero, else Succeeded
    let mut failed = false;
    for state in states {
        match state {
            HollowState::Running | HollowState::BackOff(_) => return "Running",
            HollowState::Exited(code) => failed |= *code != 0,
        }
    }
    if failed { "Failed" } else { "Succeeded" }
    // END SOLUTION
}
// ANCHOR_END: pod_phase
