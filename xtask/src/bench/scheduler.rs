//! `cargo xtask bench scheduler`: lab-04's scheduling cycle on upstream's scheduler_perf
//! workloads, in memory, beside upstream's thresholds.
//!
//! The measuring is lab-04's own example (`labs/04-scheduler/examples/scheduler_perf.rs`): 5000 fake
//! nodes, each workload's initial pods, then pods/s over the measured pods, the median over
//! runs. Upstream's floors (perf-anchors.md) were measured on much larger CI machines with the
//! API server in the loop; the goals on 2 cores: >= 1000 pods/s basic, >= 500 topology
//! spreading, >= 100 required anti-affinity.
//!
//! Then end to end (`labs/04-scheduler/examples/scheduler_e2e.rs`): lab-02 on its embedded
//! store, lab-04's scheduling loop and 5000 of lab-03's hollow nodes in one process, 5000 pods
//! created by 16 clients at once, pods/s from the first create to the last pod seen bound (and
//! each pod's create->bound latency), the median over runs; the goal on 2 cores: >= 200 pods/s.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

/// The most end-to-end runs (each takes tens of seconds; `--runs` defaults to 100 for the
/// apiserver's rows).
const MAX_E2E_RUNS: usize = 5;

/// `cargo xtask bench scheduler`; `runs` is the number of runs per workload (and end-to-end
/// runs), `pods` the pods of each end-to-end run.
pub(super) fn bench(root: &Path, runs: usize, pods: usize) -> Result<()> {
    eprintln!(
        "bench scheduler: building and running lab-04's benchmark (release), {runs} runs per workload"
    );
    crate::process::run(Command::new(env!("CARGO")).current_dir(root).args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "lab-04",
        "--example",
        "scheduler_perf",
        "--",
        "--runs",
        &runs.to_string(),
    ]))?;
    println!(
        "\nGoals on 2 cores: >= 1000 pods/s SchedulingBasic, >= 500 TopologySpreading, \
         >= 100 required PodAntiAffinity (in memory).\n"
    );
    crate::process::run(Command::new(env!("CARGO")).current_dir(root).args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "lab-04",
        "--example",
        "scheduler_e2e",
        "--",
        "--runs",
        &runs.min(MAX_E2E_RUNS).to_string(),
        "--pods",
        &pods.to_string(),
    ]))?;
    Ok(())
}
