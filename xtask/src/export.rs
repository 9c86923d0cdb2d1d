//! `export-student <dir>`: a learner's repository with every lab stripped and no solution in
//! its history.
//!
//! The export is a new git repository with a single commit, so `git log` cannot lead back to
//! the reference. The reference's CI (`.ci/`) is left out: it proves the solutions, which a
//! student repository does not have.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::git;
use crate::labs;
use crate::start::STUDENT_MARKER;
use crate::strip::{self, Only};

/// Paths of the reference repository that a student repository does not get.
const LEFT_OUT: &[&str] = &[".ci/"];

/// `cargo xtask export-student <dir> [--no-check]`.
pub(crate) fn export(root: &Path, dest: &Path, check: bool) -> Result<()> {
    if dest.exists() && dest.read_dir()?.next().is_some() {
        bail!(
            "{} exists and is not empty; choose a new directory",
            dest.display()
        );
    }
    if !git::is_repository(root) {
        bail!(
            "{} is not a git repository; export copies the files git tracks",
            root.display()
        );
    }
    // Tracked files plus new files not ignored: what the instructor sees is what is exported.
    let listing = git::git(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    )?;
    let mut files: Vec<&str> = listing
        .split('\0')
        .filter(|path| !path.is_empty())
        .filter(|path| !LEFT_OUT.iter().any(|prefix| path.starts_with(prefix)))
        .collect();
    files.sort();
    files.dedup();
    std::fs::create_dir_all(dest)
        .with_context(|| format!("failed to create {}", dest.display()))?;
    for file in &files {
        let from = root.join(file);
        if !from.exists() {
            continue; // deleted in the work tree but not yet in git
        }
        let to = dest.join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&from, &to).with_context(|| format!("failed to copy {file}"))?;
    }
    std::fs::write(
        dest.join(STUDENT_MARKER),
        "This repository was made by `cargo xtask export-student`: every lab is stripped to its\n\
         exercises and the reference solutions are not part of it.\n",
    )?;
    let mut stripped = 0;
    for lab in labs::load_all(dest)? {
        stripped += lab.strip_in_place(dest, Only::All, None)?;
    }
    let leftover = find_markers(dest)?;
    if let Some(path) = leftover.first() {
        bail!(
            "a solution marker is left outside the labs, in {}; move it into a lab",
            path.display()
        );
    }
    commit(dest)?;
    println!(
        "exported {} files to {} ({stripped} solution regions stripped, one commit)",
        files.len(),
        dest.display()
    );
    if check {
        cargo_check(root, dest)?;
    }
    Ok(())
}

/// Rust files under `dir` that still hold a solution region. xtask itself is left out: its
/// generator and its tests talk about markers without being solutions.
fn find_markers(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let skipped = [".git", "target", "xtask"];
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|entry| !skipped.iter().any(|name| entry.file_name() == *name))
    {
        let entry = entry?;
        let is_rust = entry.path().extension().is_some_and(|ext| ext == "rs");
        if entry.file_type().is_file() && is_rust {
            let text = std::fs::read_to_string(entry.path())?;
            if strip::scan(&text).map_or(true, |regions| !regions.is_empty()) {
                found.push(entry.into_path());
            }
        }
    }
    Ok(found)
}

fn commit(dest: &Path) -> Result<()> {
    git::git(dest, &["init", "--quiet", "--initial-branch=main"])?;
    git::git(dest, &["add", "--all"])?;
    git::git(
        dest,
        &[
            "-c",
            "user.name=Course kit",
            "-c",
            "user.email=course-kit@localhost",
            "commit",
            "--quiet",
            "-m",
            "Student repository: every lab stripped to its exercises",
        ],
    )?;
    Ok(())
}

/// Proves the export builds as it is: `cargo check --workspace --all-targets`, reusing this
/// workspace's compiled dependencies through its target directory.
fn cargo_check(root: &Path, dest: &Path) -> Result<()> {
    println!("checking that it builds: cargo check --workspace --all-targets");
    let status = Command::new(env!("CARGO"))
        .current_dir(dest)
        .args(["check", "--workspace", "--all-targets", "--quiet"])
        .env("CARGO_TARGET_DIR", root.join("target"))
        .status()
        .context("failed to run cargo check")?;
    if !status.success() {
        bail!("the student repository does not build; see the errors above");
    }
    println!("it builds");
    Ok(())
}

#[cfg(test)]
mod tests;
