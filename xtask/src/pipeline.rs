//! `cargo xtask test`: everything CI runs, in order, on this machine.
//!
//! The README's test command and `.ci/run` are this one command, so "passes locally" and
//! "passes in CI" mean the same. Every stage runs even when an earlier one failed (a formatting
//! slip should not hide a failing test), and a summary closes the output.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::{book, bootstrap, check_labs, tidy};

/// A stage of the pipeline: a name and the work it does.
type Stage<'a> = (&'static str, Box<dyn Fn() -> Result<()> + 'a>);

/// `cargo xtask test`.
pub(crate) fn test(root: &Path) -> Result<()> {
    bootstrap::ensure_system_parts(true)?;
    let cargo = env!("CARGO");
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
        (
            "test",
            Box::new(|| run(root, cargo, &["test", "--workspace", "--no-fail-fast"])),
        ),
        (
            "check-labs",
            Box::new(|| check_labs::check_labs(root, false)),
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
