//! Running a program whose output goes straight to the terminal, failing on a non-zero exit.

use std::process::Command;

use anyhow::{Context, Result, bail};

/// Runs `command` (stdout and stderr inherited) and turns a failure into an error naming it.
pub(crate) fn run(command: &mut Command) -> Result<()> {
    let shown = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|arg| arg.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let status = command
        .status()
        .with_context(|| format!("failed to run `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}
