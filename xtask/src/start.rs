//! `start` strips one lab in place for a learner; `restore` brings its reference solution back.

use std::path::Path;

use anyhow::{Result, bail};

use crate::git;
use crate::labs::{self, Lab};
use crate::strip::BEGIN;
use crate::strip::Only;

/// The file that marks a student repository (written by `export-student`).
pub(crate) const STUDENT_MARKER: &str = ".kit-student";

/// True in a repository made by `export-student`: it has no reference solutions.
pub(crate) fn is_student_repository(root: &Path) -> bool {
    root.join(STUDENT_MARKER).is_file()
}

/// `cargo xtask start <lab>`.
pub(crate) fn start(root: &Path, name: &str) -> Result<()> {
    let labs = labs::load_all(root)?;
    let lab = labs::find(&labs, name)?;
    if !git::is_repository(root) {
        bail!(
            "{} is not a git repository; `start` needs git so the reference stays recoverable \
             (clone the course with git)",
            root.display()
        );
    }
    refuse_uncommitted(
        root,
        lab,
        "commit or stash them first (git stash), then run start again",
    )?;
    let regions = lab.regions(root)?;
    if regions.is_empty() {
        println!(
            "{} has no solution regions left: it is started already, or has no steps yet.",
            lab.id
        );
        return Ok(());
    }
    let count = lab.strip_in_place(root, Only::All, None)?;
    let mut steps: Vec<u32> = regions.iter().map(|(_, region)| region.step).collect();
    steps.dedup();
    println!(
        "{}: replaced {count} solution regions with todo!() (steps {}).",
        lab.id,
        steps
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(step) = steps.first().and_then(|number| lab.step(*number)) {
        println!("Next: read {}", lab.section_of(step));
        println!(
            "      find `TODO({} step {})` in {}, then run `cargo xtask grade {}`",
            lab.id,
            step.number,
            lab.dir.display(),
            lab.id
        );
    }
    Ok(())
}

/// `cargo xtask restore <lab> [--force]`.
pub(crate) fn restore(root: &Path, name: &str, force: bool) -> Result<()> {
    let labs = labs::load_all(root)?;
    let lab = labs::find(&labs, name)?;
    if is_student_repository(root) {
        bail!(
            "the reference solutions are not part of this student repository; \
             ask your instructor for {}'s solution",
            lab.id
        );
    }
    if !git::is_repository(root) {
        bail!(
            "{} is not a git repository; restore takes the reference from git",
            root.display()
        );
    }
    if !force {
        refuse_uncommitted(
            root,
            lab,
            "restore would overwrite them: commit them first, or pass --force",
        )?;
    }
    let dir = lab.dir.to_string_lossy().into_owned();
    let Some(revision) = newest_revision_with_solution(root, &dir)? else {
        bail!(
            "no commit in this repository's history has {}'s reference solution",
            lab.id
        );
    };
    git::git(root, &["checkout", &revision, "--", &dir])?;
    println!(
        "{}: restored the reference solution from commit {}.",
        lab.id,
        &revision[..revision.len().min(12)]
    );
    Ok(())
}

fn refuse_uncommitted(root: &Path, lab: &Lab, what_to_do: &str) -> Result<()> {
    let changes = git::uncommitted(root, &lab.dir)?;
    if let Some(first) = changes.first() {
        bail!(
            "{} has uncommitted changes ({} files, first: `{}`); {what_to_do}",
            lab.id,
            changes.len(),
            first.trim()
        );
    }
    Ok(())
}

/// The newest commit (from HEAD back) whose copy of `dir` still has solution regions.
fn newest_revision_with_solution(root: &Path, dir: &str) -> Result<Option<String>> {
    let revisions = git::git(root, &["rev-list", "HEAD", "--", dir])?;
    for revision in revisions.lines() {
        // `git grep` exits 1 when nothing matches, which `git()` reports as an error.
        if git::git(root, &["grep", "-q", "-F", BEGIN, revision, "--", dir]).is_ok() {
            return Ok(Some(revision.to_owned()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
