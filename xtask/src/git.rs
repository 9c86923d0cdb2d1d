//! The few git questions the tooling asks, through the `git` command.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Runs `git <args>` in `root` and returns its stdout; a non-zero exit is an error carrying
/// git's own message.
pub(crate) fn git(root: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .context("failed to run git (is it installed?)")?;
    if !output.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// True when `root` is inside a git work tree.
pub(crate) fn is_repository(root: &Path) -> bool {
    git(root, &["rev-parse", "--is-inside-work-tree"]).is_ok_and(|out| out.trim() == "true")
}

/// Uncommitted changes (staged, unstaged or untracked) under `path`, as `git status` lines.
pub(crate) fn uncommitted(root: &Path, path: &Path) -> Result<Vec<String>> {
    let path = path.to_string_lossy();
    let out = git(
        root,
        &[
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--",
            &path,
        ],
    )?;
    Ok(out.lines().map(str::to_owned).collect())
}
