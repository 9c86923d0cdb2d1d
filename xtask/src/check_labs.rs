//! `check-labs`: proves, for every lab with steps, that the course mechanics hold.
//!
//! 1. The reference solution passes every graded test (none may be "not run": CI runs as root).
//! 2. Every step that has solution regions also has graded tests, and the other way round.
//! 3. With every lab stripped, the whole workspace still compiles.
//! 4. Stripping each single step makes at least one of that step's tests fail, with the
//!    `todo!` message that names the step. With `--each-region`, so does stripping each single
//!    region of a step that has several, so no region is left without a test that notices it is
//!    missing. That costs one build and test run per region (about half a minute each here), so
//!    CI checks steps and instructors run `--each-region` when they change a lab's regions.
//!
//! Stripping happens in a scratch copy of the workspace under `target/`, never in the work tree,
//! and the copy builds into the real target directory so dependencies are compiled once. The
//! copy is made once; each check strips one lab in it and restores that lab's changed files
//! after, so only the lab under test is rebuilt, not the labs and crates its tests depend on.
//!
//! `cargo xtask test` (CI) runs each graded lab's tests once in its test stage and passes the
//! results in as check 1's reference runs ([`check_with_reference`]); `cargo xtask check-labs`
//! alone makes its own, on a snapshot of the work tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::grade::{self, LabRun, Outcome, RunOptions};
use crate::labs::{self, Lab};
use crate::report::{LabReport, Status};
use crate::start::is_student_repository;
use crate::strip::{Only, Region};

/// The cap on every wait of a stripped step's tests (see [`RunOptions::wait_cap_secs`]).
const STRIPPED_WAIT_CAP_SECS: u64 = 10;

/// One line of the final table.
struct Row {
    lab: String,
    step: String,
    check: String,
    verdict: Result<String, String>,
    /// How long the check took (0 for checks made from the reference runs).
    seconds: u64,
}

/// The reference runs of the graded labs, by lab id, when the caller has already run them
/// (`cargo xtask test` runs each graded lab's tests once, in its test stage, and hands the
/// results over instead of running them a second time).
pub(crate) type ReferenceRuns = BTreeMap<String, LabRun>;

/// `cargo xtask check-labs`: every graded lab, or only those named in `only`.
pub(crate) fn check_labs(root: &Path, each_region: bool, only: &[String]) -> Result<()> {
    if is_student_repository(root) {
        bail!(
            "check-labs proves the reference solutions, which this student repository does not have"
        );
    }
    // Everything below works on a snapshot of the work tree taken now, so editing files while
    // check-labs runs (it takes a while) cannot mix two versions of a lab into one check. One
    // snapshot and one scratch copy per run, so two runs at once cannot clobber each other's.
    let base = scratch_base(root);
    let snapshot = base.join("snapshot");
    copy_workspace(root, &snapshot, SNAPSHOT_MARK)?;
    let labs = labs::load_all(&snapshot)?;
    if let Some(unknown) = only
        .iter()
        .find(|id| !labs.iter().any(|lab| &lab.id == *id))
    {
        bail!("check-labs: there is no lab `{unknown}` (the labs are named like `lab-03`)");
    }
    let mut reference = ReferenceRuns::new();
    let selected = |lab: &&Lab| only.is_empty() || only.contains(&lab.id);
    for lab in labs
        .iter()
        .filter(|lab| !lab.steps.is_empty())
        .filter(selected)
    {
        eprintln!(
            "check-labs: {} reference (cargo test -p {})",
            lab.id, lab.id
        );
        let options = RunOptions {
            target_dir: Some(&root.join("target")),
            only_step: None,
            wait_cap_secs: None,
        };
        reference.insert(lab.id.clone(), grade::run_lab(&snapshot, lab, options)?);
    }
    let result = check(
        &snapshot,
        &root.join("target"),
        &base,
        &reference,
        each_region,
    );
    std::fs::remove_dir_all(&base).ok();
    result
}

/// Checks 2 to 4 (and 1, from `reference`) for the workspace at `root`, after its graded labs'
/// reference runs. `cargo xtask test` calls this on the work tree itself, which nothing edits
/// during CI.
pub(crate) fn check_with_reference(root: &Path, reference: &ReferenceRuns) -> Result<()> {
    let base = scratch_base(root);
    let result = check(root, &root.join("target"), &base, reference, false);
    std::fs::remove_dir_all(&base).ok();
    result
}

/// Where one run keeps its copies.
fn scratch_base(root: &Path) -> PathBuf {
    root.join(format!("target/xtask/check-labs-{}", std::process::id()))
}

/// The checks themselves, on the sources at `root`, building into `target_dir`, with scratch
/// space under `base`.
fn check(
    root: &Path,
    target_dir: &Path,
    base: &Path,
    reference: &ReferenceRuns,
    each_region: bool,
) -> Result<()> {
    let labs = labs::load_all(root)?;
    let mut rows = Vec::new();
    // The graded labs with a reference run: all of them, or those check-labs was asked for.
    let graded: Vec<&Lab> = labs
        .iter()
        .filter(|lab| !lab.steps.is_empty() && reference.contains_key(&lab.id))
        .collect();
    for lab in &graded {
        let run = reference
            .get(&lab.id)
            .with_context(|| format!("no reference run of {}", lab.id))?;
        let report = LabReport::new(lab, run.clone());
        check_reference(lab, &report, &lab.regions(root)?, &mut rows);
    }

    // One scratch copy for every check below. Each check strips one lab in it and puts that
    // lab's files back afterwards; the files of every other package keep their timestamps, so
    // cargo does not rebuild labkit, or lab-02 under lab-03's tests, for every single check.
    let scratch = base.join("scratch");
    copy_workspace(root, &scratch, STRIPPED_MARK)?;
    for lab in &labs {
        lab.strip_in_place(&scratch, Only::All, None)?;
    }
    eprintln!("check-labs: every lab stripped: cargo check --workspace --all-targets");
    let started = Instant::now();
    let verdict = cargo_check(&scratch, target_dir);
    rows.push(Row {
        lab: "all".into(),
        step: "-".into(),
        check: "stripped workspace compiles".into(),
        verdict,
        seconds: started.elapsed().as_secs(),
    });
    for lab in &labs {
        restore_lab(root, &scratch, lab)?;
    }

    for lab in &graded {
        let regions = lab.regions(root)?;
        for (step, count) in steps_with_regions(&regions) {
            let mut cases = vec![(
                Only::Step(step),
                None,
                "stripping the step fails its tests".to_owned(),
            )];
            if each_region && count > 1 {
                cases.extend(
                    regions
                        .iter()
                        .filter(|(_, r)| r.step == step)
                        .map(|(file, r)| {
                            let what = format!("stripping {}:{} fails", file.display(), r.line);
                            (Only::Line(r.line), Some(file.as_path()), what)
                        }),
                );
            }
            for (only, file, check) in cases {
                eprintln!("check-labs: {} step {step}: {check}?", lab.id);
                let started = Instant::now();
                lab.strip_in_place(&scratch, only, file)?;
                // Only this step's tests: the others are not what is being proved, and running
                // every test of the lab once per region would make check-labs slow.
                // A stripped step's tests only have to fail: a test waiting on a controller
                // that died at the step's `todo!` fails after the cap, not after the 30 s or
                // more a test allows for a loaded machine.
                let options = RunOptions {
                    target_dir: Some(target_dir),
                    only_step: Some(step),
                    wait_cap_secs: Some(STRIPPED_WAIT_CAP_SECS),
                };
                let run = grade::run_lab(&scratch, lab, options);
                restore_lab(root, &scratch, lab)?;
                let report = LabReport::new(lab, run?);
                rows.push(Row {
                    lab: lab.id.clone(),
                    step: step.to_string(),
                    check,
                    verdict: stripped_step_fails(lab, step, &report),
                    seconds: started.elapsed().as_secs(),
                });
            }
        }
    }

    print_table(&rows);
    let failures = rows.iter().filter(|row| row.verdict.is_err()).count();
    if failures > 0 {
        bail!("check-labs: {failures} checks failed");
    }
    println!("check-labs: all {} checks passed", rows.len());
    Ok(())
}

/// Puts back the lab's sources in `scratch` that differ from those in `root`. Only changed files
/// are written, so only they get a new timestamp (which is what makes cargo rebuild the lab).
fn restore_lab(root: &Path, scratch: &Path, lab: &Lab) -> Result<()> {
    for file in lab.sources(root) {
        let relative = file.strip_prefix(root)?;
        let copy = scratch.join(relative);
        let original =
            std::fs::read(&file).with_context(|| format!("failed to read {}", file.display()))?;
        if std::fs::read(&copy).ok().as_deref() != Some(original.as_slice()) {
            std::fs::write(&copy, &original)
                .with_context(|| format!("failed to restore {}", copy.display()))?;
        }
    }
    Ok(())
}

/// Checks 1 and 2 for one lab.
fn check_reference(
    lab: &Lab,
    report: &LabReport,
    regions: &[(PathBuf, Region)],
    rows: &mut Vec<Row>,
) {
    for step in &report.steps {
        let has_regions = regions.iter().any(|(_, region)| region.step == step.step);
        let verdict = match (step.status, has_regions) {
            (Status::NoTests, false) => continue, // a step not written yet: nothing to prove
            (Status::NoTests, true) => Err("has solution regions but no graded tests".into()),
            (_, false) => Err("has graded tests but no solution regions to strip".into()),
            (Status::Pass, true) => Ok(format!("{} tests pass", step.passed)),
            (Status::Fail, true) => Err(format!("{} of its tests fail", step.failed)),
            (Status::NotRun, true) => Err(format!(
                "{} tests did not run here; check-labs needs every test to run",
                step.not_run
            )),
        };
        rows.push(Row {
            lab: lab.id.clone(),
            step: step.step.to_string(),
            check: "reference passes".into(),
            verdict,
            seconds: 0,
        });
    }
    let failing_other: Vec<&str> = report
        .other_tests
        .iter()
        .filter(|test| matches!(test.outcome, Outcome::Fail(_)))
        .map(|test| test.name.as_str())
        .collect();
    if !failing_other.is_empty() {
        rows.push(Row {
            lab: lab.id.clone(),
            step: "-".into(),
            check: "reference's other tests pass".into(),
            verdict: Err(failing_other.join(", ")),
            seconds: 0,
        });
    }
    if let Some(error) = &report.build_error {
        rows.push(Row {
            lab: lab.id.clone(),
            step: "-".into(),
            check: "reference compiles".into(),
            verdict: Err(error.lines().next().unwrap_or("").to_owned()),
            seconds: 0,
        });
    }
    for (file, region) in regions {
        if lab.step(region.step).is_none() {
            rows.push(Row {
                lab: lab.id.clone(),
                step: region.step.to_string(),
                check: "region's step is in lab.toml".into(),
                verdict: Err(format!("{}:{}", file.display(), region.line)),
                seconds: 0,
            });
        }
    }
}

/// Check 4's verdict for one step.
fn stripped_step_fails(lab: &Lab, step: u32, report: &LabReport) -> Result<String, String> {
    if let Some(error) = &report.build_error {
        return Err(format!(
            "does not compile: {}",
            error.lines().next().unwrap_or("")
        ));
    }
    let label = format!("{} step {step}", lab.id);
    let failing: Vec<&str> = report
        .steps
        .iter()
        .filter(|s| s.step == step)
        .flat_map(|s| s.tests.iter())
        .filter_map(|test| match &test.outcome {
            Outcome::Fail(message) if message.contains(&label) => Some(test.name.as_str()),
            _ => None,
        })
        .collect();
    match failing.len() {
        0 => Err(format!(
            "no test of step {step} failed with the `{label}` todo! message"
        )),
        n => Ok(format!("{n} tests fail with `{label}`")),
    }
}

/// The step numbers that have solution regions, with their region counts.
fn steps_with_regions(regions: &[(PathBuf, Region)]) -> Vec<(u32, usize)> {
    let mut steps: Vec<(u32, usize)> = Vec::new();
    for (_, region) in regions {
        match steps.iter_mut().find(|(step, _)| *step == region.step) {
            Some((_, count)) => *count += 1,
            None => steps.push((region.step, 1)),
        }
    }
    steps.sort();
    steps
}

/// Makes `scratch` a fresh copy of the workspace sources (no `target`, `.git` or book output),
/// with every package's version marked (see [`mark_version`]).
fn copy_workspace(root: &Path, scratch: &Path, mark: &str) -> Result<()> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch)
            .with_context(|| format!("failed to clear {}", scratch.display()))?;
    }
    let skipped = ["target", ".git", "build"];
    for entry in walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|entry| {
            !(entry.depth() <= 2 && skipped.iter().any(|s| entry.file_name() == *s))
        })
    {
        let entry = entry?;
        let relative = entry.path().strip_prefix(root)?;
        let to = scratch.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &to)
                .with_context(|| format!("failed to copy {}", relative.display()))?;
        }
    }
    // Every package of the copy, not only the labs: labkit (and xtask, final-cluster) are
    // built in the copy too, and would otherwise share their artifacts with the real ones.
    for entry in walkdir::WalkDir::new(scratch).max_depth(3) {
        let entry = entry?;
        let manifest = entry.path();
        if entry.file_name() == "Cargo.toml"
            && manifest != scratch.join("Cargo.toml")
            && std::fs::read_to_string(manifest)?.contains("[package]")
        {
            mark_version(manifest, mark)?;
        }
    }
    Ok(())
}

/// The version mark of the snapshot's packages, and of the stripped scratch copy's.
const SNAPSHOT_MARK: &str = "check-labs";
/// See [`SNAPSHOT_MARK`].
const STRIPPED_MARK: &str = "check-labs-stripped";

/// Gives a package of a copy its own version (`0.1.0` becomes `0.1.0-check-labs`, or
/// `0.1.0-check-labs-stripped` in the scratch copy).
///
/// The scratch copy builds into the real target directory, so dependencies compile once. But
/// cargo names a workspace member's artifacts by its name, version and path relative to the
/// workspace root, which are the same in the copy: without this, a stripped `lab-01` and the real
/// one would share one artifact, and a `cargo test` in the real tree (during or after
/// check-labs) could run the stripped code, or an unchanged-looking `labkit` built from an older
/// snapshot. A different version keeps them apart.
fn mark_version(manifest: &Path, mark: &str) -> Result<()> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("failed to read {}", manifest.display()))?;
    let mut marked = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| match line.strip_prefix("version = \"") {
            Some(rest) if !marked => {
                marked = true;
                // A copy of a copy (the scratch copy is made from the snapshot) carries the
                // first copy's mark: replace it, so the two never share artifacts either.
                let version = rest.trim_end_matches('"');
                let base = version.split("-check-labs").next().unwrap_or(version);
                format!("version = \"{base}-{mark}\"")
            }
            _ => line.to_owned(),
        })
        .collect();
    if !marked {
        bail!(
            "{} has no `version = \"...\"` line to mark",
            manifest.display()
        );
    }
    std::fs::write(manifest, lines.join("\n") + "\n")?;
    Ok(())
}

fn cargo_check(dir: &Path, target_dir: &Path) -> Result<String, String> {
    let output = Command::new(env!("CARGO"))
        .current_dir(dir)
        .args([
            "check",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--color",
            "never",
        ])
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .map_err(|error| format!("failed to run cargo check: {error}"))?;
    if output.status.success() {
        Ok("compiles".into())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr
            .lines()
            .find(|line| line.starts_with("error"))
            .unwrap_or("");
        Err(format!("does not compile: {first}"))
    }
}

fn print_table(rows: &[Row]) {
    let width = rows.iter().map(|row| row.check.len()).max().unwrap_or(5);
    println!(
        "\n{:<8} {:<5} {:<width$} {:>5} result",
        "lab", "step", "check", "secs"
    );
    for row in rows {
        let (mark, text) = match &row.verdict {
            Ok(text) => ("ok  ", text),
            Err(text) => ("FAIL", text),
        };
        println!(
            "{:<8} {:<5} {:<width$} {:>5} {mark} {text}",
            row.lab, row.step, row.check, row.seconds
        );
    }
}
