//! `cargo xtask`: the course tooling, one command for learners, instructors and CI.
//!
//! Run with `cargo xtask --help`. The commands:
//!
//! - `grade [<lab>] [--json] [--junit FILE]`: run the graded tests offline, per lab and step.
//! - `start <lab>` / `restore <lab>`: strip a lab to its exercises / bring the reference back.
//! - `hint <lab> <step> [--all]`: the next tier of hints for a step.
//! - `export-student <dir>`: a learner's repository with no solutions in it or its history.
//! - `check-labs`: prove the reference passes and every stripped step fails its tests.
//! - `test`: everything CI runs (the README's test command).
//! - `bootstrap`: install the system parts the kit needs.
//! - `book`: check the book's includes and step sections, then build it.
//! - `bench <area>`: measure an area side by side with its real peer.
//! - `up` / `down`: build the final cluster's programs and start or stop the local cluster.
//!
//! # Layout
//! `labs.rs` reads each lab's `lab.toml`; `strip.rs` is the generator; `grade.rs` runs and
//! parses tests and `report.rs` prints them; one file per other command.

mod bench;
mod book;
mod bootstrap;
mod check_labs;
mod cluster;
mod export;
#[cfg(test)]
mod fixture;
mod git;
mod grade;
mod hint;
mod labs;
mod pipeline;
mod process;
mod report;
mod start;
mod strip;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

/// The course kit's tooling.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the graded tests offline and print a per-lab, per-step table.
    Grade {
        /// One lab (`lab-01`, `01` or `1`); all labs when omitted.
        lab: Option<String>,
        /// Print the stable JSON report instead of the table.
        #[arg(long)]
        json: bool,
        /// Also write a JUnit XML report to this file.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Strip one lab's reference solution in place: your turn to write it.
    Start {
        /// The lab to start.
        lab: String,
    },
    /// Put one lab's reference solution back from git (to skip a lab).
    Restore {
        /// The lab to restore.
        lab: String,
        /// Overwrite uncommitted changes in the lab.
        #[arg(long)]
        force: bool,
    },
    /// Print the next hint tier for a step.
    Hint {
        /// The lab.
        lab: String,
        /// The step number.
        step: String,
        /// Print every tier at once.
        #[arg(long)]
        all: bool,
        /// Start the hints of this step over.
        #[arg(long, conflicts_with = "all")]
        reset: bool,
    },
    /// Write a student repository: every lab stripped, no solution in its history.
    ExportStudent {
        /// A new (or empty) directory.
        dir: PathBuf,
        /// Skip the `cargo check` that proves the export builds.
        #[arg(long)]
        no_check: bool,
    },
    /// Prove the reference passes, stripped labs compile, stripped steps fail (instructors, CI).
    CheckLabs {
        /// Also strip each region of a multi-region step on its own (one build per region).
        #[arg(long)]
        each_region: bool,
        /// Check only this lab (repeat for several): `--lab lab-03`. The stripped workspace
        /// is still compiled whole.
        #[arg(long = "lab", value_name = "LAB")]
        labs: Vec<String>,
    },
    /// Run everything CI runs: bootstrap, fmt, clippy, doc, tidy, tests, check-labs, the book.
    Test,
    /// Check for the system parts the kit needs and install the missing ones.
    Bootstrap,
    /// Check the book's includes and step sections, then build it with mdbook.
    Book,
    /// Measure an area side by side with its real peer (runtime: lab-01 vs crun and runc;
    /// apiserver: lab-02 on both stores vs raw etcd; controllers: lab-03 scaling and rolling
    /// out on hollow nodes vs the apiserver alone; scheduler: lab-04 on scheduler_perf's
    /// workloads vs upstream's thresholds; cluster: `cluster up` and pod startup latency).
    Bench {
        /// The area to measure: runtime, apiserver, controllers, scheduler or cluster.
        area: String,
        /// How many runs per contender (default 100; apiserver: requests per row, at least 100;
        /// scheduler: runs per workload, 3 is plenty; controllers and cluster: default 3, each
        /// run takes about a minute).
        #[arg(long)]
        runs: Option<usize>,
        /// scheduler: the pods of each end-to-end run (lab-02 + lab-04 + 5000 hollow nodes).
        #[arg(long, default_value_t = 5000)]
        pods: usize,
    },
    /// Build the final cluster's programs and bring the local cluster up (root or sudo).
    Up {
        /// How many nodes (k8smaster, k8snode1, ...).
        #[arg(long, default_value_t = 3)]
        nodes: u8,
        /// Run the API server on these etcd endpoints instead of the embedded store.
        #[arg(long, conflicts_with = "etcd")]
        etcd_servers: Option<String>,
        /// Run real etcd on the control-plane node as the store.
        #[arg(long)]
        etcd: bool,
    },
    /// Bring the local cluster down, removing everything `up` made.
    Down,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            // One line: the error and its causes, as "what: why: why".
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a command; `Ok(false)` means it ran but reports failure (a failing grade).
fn run(command: Cmd) -> Result<bool> {
    let root = workspace_root();
    match command {
        Cmd::Grade { lab, json, junit } => grade(&root, lab.as_deref(), json, junit.as_deref()),
        Cmd::Start { lab } => start::start(&root, &lab).map(|()| true),
        Cmd::Restore { lab, force } => start::restore(&root, &lab, force).map(|()| true),
        Cmd::Hint {
            lab,
            step,
            all,
            reset,
        } => hint::hint(&root, &lab, &step, all, reset).map(|()| true),
        Cmd::ExportStudent { dir, no_check } => {
            export::export(&root, &dir, !no_check).map(|()| true)
        }
        Cmd::CheckLabs { each_region, labs } => {
            check_labs::check_labs(&root, each_region, &labs).map(|()| true)
        }
        Cmd::Test => pipeline::test(&root).map(|()| true),
        Cmd::Bootstrap => bootstrap::ensure_system_parts(false).map(|()| true),
        Cmd::Book => pipeline::book(&root).map(|()| true),
        Cmd::Bench { area, runs, pods } => bench::bench(&root, &area, runs, pods).map(|()| true),
        Cmd::Up {
            nodes,
            etcd_servers,
            etcd,
        } => cluster::up(&root, nodes, etcd_servers.as_deref(), etcd).map(|()| true),
        Cmd::Down => cluster::down(&root).map(|()| true),
    }
}

/// `cargo xtask grade`.
fn grade(root: &Path, lab: Option<&str>, json: bool, junit: Option<&Path>) -> Result<bool> {
    let all = labs::load_all(root)?;
    let chosen: Vec<&labs::Lab> = match lab {
        Some(name) => vec![labs::find(&all, name)?],
        None => all.iter().collect(),
    };
    if chosen.is_empty() {
        bail!("no labs found under {}/labs", root.display());
    }
    if chosen.iter().any(|lab| !lab.steps.is_empty()) {
        bootstrap::ensure_for_grading();
    }
    let mut reports = Vec::new();
    for lab in chosen {
        let run = if lab.steps.is_empty() {
            grade::LabRun::default() // nothing to grade yet: no need to build it
        } else {
            eprintln!("grading {} (cargo test -p {})", lab.id, lab.id);
            grade::run_lab(root, lab, grade::RunOptions::default())?
        };
        reports.push(report::LabReport::new(lab, run));
    }
    let report = report::Report::new(reports);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report::table(&report));
    }
    if let Some(path) = junit {
        std::fs::write(path, report::junit(&report))
            .map_err(|error| anyhow::anyhow!("failed to write {}: {error}", path.display()))?;
    }
    Ok(report.ok)
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}
