//! `restartPolicy`: which exits bring a container back.

use std::fmt;

/// A Pod's `spec.restartPolicy`. It applies to every container of the Pod (and, for init
/// containers, `Always` behaves like `OnFailure`: an init container that succeeded is done).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    /// Restart whatever the exit code (the default, for long-running services).
    #[default]
    Always,
    /// Restart only after a failure (non-zero exit), for batch work that must finish.
    OnFailure,
    /// Never restart: the exit is final.
    Never,
}

impl RestartPolicy {
    /// Parses the manifest value; `None` means the field was absent (default `Always`).
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None | Some("Always") => Ok(Self::Always),
            Some("OnFailure") => Ok(Self::OnFailure),
            Some("Never") => Ok(Self::Never),
            Some(other) => Err(format!(
                "spec.restartPolicy: unsupported value {other:?}: must be Always, OnFailure or Never"
            )),
        }
    }
}

impl fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Always => "Always",
            Self::OnFailure => "OnFailure",
            Self::Never => "Never",
        })
    }
}

// ANCHOR: should_restart
/// Whether a container that exited with `exit_code` is to run again under `policy`.
///
/// `init` marks an init container: it exists to finish successfully once, so even under
/// `Always` a zero exit means done, not "start again".
pub fn should_restart(policy: RestartPolicy, exit_code: i32, init: bool) -> bool {
    // BEGIN SOLUTION step-5: Always restarts any exit (but an init container that succeeded is done), OnFailure only non-zero exits, Never nothing
    match policy {
        RestartPolicy::Always if init => exit_code != 0,
        RestartPolicy::Always => true,
        RestartPolicy::OnFailure => exit_code != 0,
        RestartPolicy::Never => false,
    }
    // END SOLUTION
}
// ANCHOR_END: should_restart
