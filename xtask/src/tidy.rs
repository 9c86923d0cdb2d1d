//! Tidy checks: conventions the compiler does not enforce.
//!
//! Every Rust file opens with a `//!` doc saying what it is (learners open files at random and
//! should know where they are), and no lab file grows past 600 lines without saying why.

use std::path::Path;

use anyhow::{Result, bail};

/// Folders whose Rust files are checked.
const CHECKED: &[&str] = &["labs", "final-cluster", "xtask"];

/// Runs the tidy checks; returns how many files were checked.
pub(crate) fn check(root: &Path) -> Result<usize> {
    let mut problems = Vec::new();
    let mut checked = 0;
    for folder in CHECKED {
        for entry in walkdir::WalkDir::new(root.join(folder))
            .into_iter()
            .filter_entry(|entry| entry.file_name() != "target")
        {
            let entry = entry?;
            if entry.path().extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            checked += 1;
            let text = std::fs::read_to_string(entry.path())?;
            let name = entry.path().strip_prefix(root)?.display().to_string();
            if !text.trim_start().starts_with("//!") {
                problems.push(format!(
                    "{name}: does not start with a `//!` doc saying what it is"
                ));
            }
            let lines = text.lines().count();
            if lines > 600 && !text.contains("longer than 600 lines because") {
                problems.push(format!(
                    "{name}: {lines} lines; split it, or say in its `//!` why it is \
                     longer than 600 lines because ..."
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!("tidy:\n  {}", problems.join("\n  "));
    }
    Ok(checked)
}
