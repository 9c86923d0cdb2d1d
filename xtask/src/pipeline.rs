//! `cargo xtask test`: everything CI runs, in order, on this machine.
//!
//! The README's test command and `.ci/run` are this one command, so "passes locally" and
//! "passes in CI" mean the same. Every stage runs even when an earlier one failed (a formatting
//! slip should not hide a failing test), and a summary closes the output.

use std::cell::RefCell;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::check_labs::ReferenceRuns;
use crate::grade::{self, Outcome, RunOptions};
use crate::report::{self, LabReport, Report};
use crate::{book, bootstrap, check_labs, labs, tidy};

/// A stage of the pipeline: a name and the work it does.
type Stage<'a> = (&'static str, Box<dyn Fn() -> Result<()> + 'a>);

/// `cargo xtask test`.
pub(crate) fn test(root: &Path) -> Result<()> {
    bootstrap::ensure_system_parts(true)?;
    let cargo = env!("CARGO");
    // The graded labs' test runs, made by the test stage and read again by check-labs, so
    // each lab's tests run once.
    let reference = RefCell::new(ReferenceRuns::new());
    let stages: Vec<Stage<'_>> = vec![
        (
            "fmt",
            Box::new(|| run(root, cargo, &["fmt", "--all", "--check"])),
        ),
        (
            "clippy",
            Box::new(|| {
                run(
                    root,
                    cargo,
                    &[
                        "clippy",
                        "--workspace",
                        "--all-targets",
                        "--",
                        "-D",
                        "warnings",
                    ],
                )
            }),
        ),
        (
            // Docs are part of what learners read: a broken intra-doc link fails like a lint.
            "doc",
            Box::new(|| {
                crate::process::run(
                    Command::new(cargo)
                        .current_dir(root)
                        .args([
                            "doc",
                            "--workspace",
                            "--no-deps",
                            "--document-private-items",
                        ])
                        .args(["--quiet"])
                        .env("RUSTDOCFLAGS", "-D warnings"),
                )
            }),
        ),
        (
            "tidy",
            Box::new(|| tidy::check(root).map(|n| println!("tidy: {n} Rust files checked"))),
        ),
        ("test", Box::new(|| test_stage(root, cargo, &reference))),
        (
            "check-labs",
            Box::new(|| check_labs::check_with_reference(root, &reference.borrow())),
        ),
        (
            "book",
            Box::new(|| {
                book(root)?;
                run(root, "mdbook", &["test", "book"])
            }),
        ),
    ];
    let mut summary = Vec::new();
    for (name, stage) in &stages {
        println!("\n==> {name}");
        let started = Instant::now();
        let result = stage();
        if let Err(error) = &result {
            eprintln!("{name} failed: {error:#}");
        }
        summary.push((*name, result.is_ok(), started.elapsed()));
    }
    println!("\nstage        result  time");
    for (name, ok, elapsed) in &summary {
        let result = if *ok { "ok" } else { "FAILED" };
        println!("{name:<12} {result:<7} {:.0} s", elapsed.as_secs_f64());
    }
    let failed: Vec<&str> = summary
        .iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(name, _, _)| *name)
        .collect();
    if !failed.is_empty() {
        bail!("failed stages: {}", failed.join(", "));
    }
    println!("all {} stages passed", summary.len());
    Ok(())
}

/// The test stage: `cargo test` for every crate but the graded labs, then each graded lab's tests
/// the way the grader runs them (`cargo test -p lab-0N`), kept in `reference` for check-labs.
fn test_stage(root: &Path, cargo: &str, reference: &RefCell<ReferenceRuns>) -> Result<()> {
    let labs = labs::load_all(root)?;
    let graded: Vec<_> = labs.iter().filter(|lab| !lab.steps.is_empty()).collect();
    let mut args = vec!["test", "--workspace", "--no-fail-fast"];
    for lab in &graded {
        args.extend(["--exclude", lab.id.as_str()]);
    }
    let others = run(root, cargo, &args);
    let mut reports = Vec::new();
    for lab in graded {
        println!("\ntest: {} (cargo test -p {})", lab.id, lab.id);
        let run = grade::run_lab(root, lab, RunOptions::default())?;
        // The grade table below shows a few failures; CI's log needs every one, whole.
        let tests = run.by_step.values().flatten().chain(&run.other);
        for test in tests {
            if let Outcome::Fail(message) = &test.outcome {
                println!("FAILED {} {}\n{message}\n", lab.id, test.name);
            }
        }
        reports.push(LabReport::new(lab, run.clone()));
        reference.borrow_mut().insert(lab.id.clone(), run);
    }
    let report = Report::new(reports);
    println!("\n{}", report::table(&report));
    others?;
    if !report.ok {
        bail!("graded labs have failing tests (listed above)");
    }
    Ok(())
}

/// `cargo xtask book`: the drift checks, then `mdbook build book`.
pub(crate) fn book(root: &Path) -> Result<()> {
    let includes = book::check(root)?;
    println!("book: {includes} includes resolve, every step section exists");
    run(root, "mdbook", &["build", "book"])
}

fn run(root: &Path, program: &str, args: &[&str]) -> Result<()> {
    crate::process::run(
        Command::new(program)
            .current_dir(root)
            .args(args)
            // Snapshots are never rewritten by a test run, in CI or here.
            .env("INSTA_UPDATE", "no"),
    )
}
