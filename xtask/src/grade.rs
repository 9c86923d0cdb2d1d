//! The grader: runs a lab's tests offline and maps each test to the step it checks.
//!
//! Convention: a graded test is a `#[test]` whose function name starts with `stepN_`
//! (`step1_whiteout_removes_a_file_from_a_lower_layer`), anywhere in the lab crate. Its outcome
//! is one of pass, fail (with the panic message), or not run (the test reported what it needs
//! through `labkit::NotRun`, or it is `#[ignore = "reason"]`). Snapshots are read-only while
//! grading (`INSTA_UPDATE=no`): a snapshot that does not match fails, it is never rewritten.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use serde::Serialize;

use crate::labs::Lab;

/// What happened to one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass,
    Fail(String),
    NotRun(String),
}

/// One test's result.
#[derive(Debug, Clone)]
pub(crate) struct TestResult {
    /// The test's full path inside its binary (`image::tests::step1_...`).
    pub(crate) name: String,
    pub(crate) outcome: Outcome,
}

/// In JSON a test is always `{"name", "status", "message"}`; `message` is `null` for a pass.
impl Serialize for TestResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (status, message) = match &self.outcome {
            Outcome::Pass => ("pass", None),
            Outcome::Fail(message) => ("fail", Some(message)),
            Outcome::NotRun(reason) => ("not-run", Some(reason)),
        };
        let mut object = serializer.serialize_struct("TestResult", 3)?;
        object.serialize_field("name", &self.name)?;
        object.serialize_field("status", status)?;
        object.serialize_field("message", &message)?;
        object.end()
    }
}

/// Everything one `cargo test -p <lab>` run told us.
#[derive(Debug, Clone, Default)]
pub(crate) struct LabRun {
    /// Graded tests by step number.
    pub(crate) by_step: BTreeMap<u32, Vec<TestResult>>,
    /// Tests without a `stepN_` prefix: not graded, but a failure still fails the run.
    pub(crate) other: Vec<TestResult>,
    /// Set when the crate did not compile: the first compiler error.
    pub(crate) build_error: Option<String>,
}

/// How to run a lab's tests.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunOptions<'a> {
    /// Build into this target directory: `check-labs` builds a scratch copy of the workspace
    /// while reusing the compiled dependencies of the real one.
    pub(crate) target_dir: Option<&'a Path>,
    /// Run only the tests of this step (libtest's name filter `stepN_`).
    pub(crate) only_step: Option<u32>,
    /// Cap every test's wait for a condition at this many seconds (labkit's `WAIT_CAP_ENV`):
    /// `check-labs` runs a stripped step's tests only to see them fail.
    pub(crate) wait_cap_secs: Option<u64>,
}

/// Runs the lab's tests in the workspace at `root` and collects the results.
pub(crate) fn run_lab(root: &Path, lab: &Lab, options: RunOptions<'_>) -> Result<LabRun> {
    let not_run_dir = tempfile::Builder::new()
        .prefix("xtask-not-run-")
        .tempdir()
        .context("failed to create a temporary directory")?;
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(root)
        .args([
            "test",
            "--package",
            &lab.id,
            "--no-fail-fast",
            "--color",
            "never",
        ])
        // One step's check (check-labs) needs only the test harnesses (unit and integration
        // tests): building the examples and the doc tests again for every step is wasted time.
        .args(options.only_step.map(|_| "--tests"))
        .args(["--", "--color", "never"])
        .args(options.only_step.map(|step| format!("step{step}_")))
        // Snapshots are the specification: never written by a graded run.
        .env("INSTA_UPDATE", "no")
        .env_remove("INSTA_FORCE_PASS")
        .env("RUST_BACKTRACE", "0")
        .env(labkit::not_run::NOT_RUN_DIR_ENV, not_run_dir.path());
    if let Some(target_dir) = options.target_dir {
        command.env("CARGO_TARGET_DIR", target_dir);
    }
    if let Some(cap) = options.wait_cap_secs {
        command.env(labkit::poll::WAIT_CAP_ENV, cap.to_string());
    }
    let output = command
        .output()
        .with_context(|| format!("failed to run cargo test for {}", lab.id))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let not_run = read_not_run_records(not_run_dir.path())?;
    let mut run = parse_test_output(&stdout, &not_run);
    if !output.status.success() && run.by_step.is_empty() && run.other.is_empty() {
        run.build_error = Some(first_compile_error(&stderr));
    }
    Ok(run)
}

/// Reads the records `labkit::NotRun::report` left: file name = flattened test name.
fn read_not_run_records(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut records = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let reason = std::fs::read_to_string(entry.path())?;
        records.insert(entry.file_name().to_string_lossy().into_owned(), reason);
    }
    Ok(records)
}

/// Parses libtest's human output: `test <name> ... ok|FAILED|ignored[, reason]` lines and the
/// `---- <name> stdout ----` sections that hold each failure's panic message.
pub(crate) fn parse_test_output(stdout: &str, not_run: &BTreeMap<String, String>) -> LabRun {
    let messages = failure_messages(stdout);
    let mut run = LabRun::default();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, verdict)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let outcome = match verdict.trim() {
            "ok" => match not_run.get(&labkit::not_run::record_file_name(name)) {
                Some(reason) => Outcome::NotRun(reason.clone()),
                None => Outcome::Pass,
            },
            "FAILED" => Outcome::Fail(messages.get(name).cloned().unwrap_or_default()),
            ignored if ignored.starts_with("ignored") => {
                let reason = ignored
                    .trim_start_matches("ignored")
                    .trim_start_matches(", ");
                Outcome::NotRun(if reason.is_empty() { "ignored" } else { reason }.to_owned())
            }
            _ => continue, // "bench", or a line that only looks like a result
        };
        let result = TestResult {
            name: name.to_owned(),
            outcome,
        };
        match step_of(name) {
            Some(step) => run.by_step.entry(step).or_default().push(result),
            None => run.other.push(result),
        }
    }
    run
}

/// The step a test belongs to: `a::b::step12_x` -> 12. Doc-tests (`src/x.rs - f (line 3)`)
/// have no step.
pub(crate) fn step_of(test_name: &str) -> Option<u32> {
    let function = test_name.rsplit("::").next()?;
    let rest = function.strip_prefix("step")?;
    let (number, tail) = rest.split_once('_')?;
    (!tail.is_empty()).then(|| number.parse().ok()).flatten()
}

/// Collects the short panic message of each failed test from the captured-output sections.
fn failure_messages(stdout: &str) -> BTreeMap<String, String> {
    let mut messages = BTreeMap::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    let mut finish = |current: &mut Option<(String, Vec<&str>)>| {
        if let Some((name, lines)) = current.take() {
            messages.insert(name, summarize_panic(&lines));
        }
    };
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|rest| rest.strip_suffix(" stdout ----"))
        {
            finish(&mut current);
            current = Some((name.to_owned(), Vec::new()));
        } else if line == "failures:" || line.starts_with("test result:") {
            finish(&mut current);
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    finish(&mut current);
    messages
}

/// The panic message is what follows `thread '..' panicked at file:line:col:`; the
/// `note: run with RUST_BACKTRACE` line is noise. Long messages (snapshot diffs) are kept whole
/// but the first lines matter most, so callers may shorten them.
fn summarize_panic(lines: &[&str]) -> String {
    let start = lines
        .iter()
        .position(|line| line.contains("panicked at"))
        .map_or(0, |index| index + 1);
    lines[start..]
        .iter()
        .filter(|line| !line.starts_with("note: run with `RUST_BACKTRACE"))
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// The first `error...` block of cargo's stderr, so a learner sees why the lab did not build.
fn first_compile_error(stderr: &str) -> String {
    let mut lines = stderr
        .lines()
        .skip_while(|line| !line.starts_with("error"))
        .take_while(|line| !line.is_empty());
    let block: Vec<&str> = lines.by_ref().take(12).collect();
    if block.is_empty() {
        stderr.lines().rev().take(5).collect::<Vec<_>>().join("\n")
    } else {
        block.join("\n")
    }
}

#[cfg(test)]
mod tests;
