//! `cargo xtask bench scheduler`: lab-04's scheduling cycle on upstream's scheduler_perf
//! workloads, in memory, beside upstream's thresholds.
//!
//! The measuring is lab-04's own example (`labs/04-scheduler/examples/scheduler_perf.rs`): 5000 fake
//! nodes, each workload's initial pods, then pods/s over the measured pods, the median over
//! runs. Upstream's floors (perf-anchors.md) were measured on much larger CI machines with the
//! API server in the loop; the goals on 2 cores: >= 1000 pods/s basic, >= 500 topology
//! spreading, >= 100 required anti-affinity. The end-to-end row (lab-02 + lab-04 + hollow nodes)
//! joins when lab-04's scheduling loop and lab-03's hollow nodes exist.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

/// `cargo xtask bench scheduler`; `runs` is the number of runs per workload.
pub(super) fn bench(root: &Path, runs: usize) -> Result<()> {
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
         >= 100 required PodAntiAffinity (in memory). Not measured yet: end to end with lab-02 \
         and hollow nodes (needs lab-04's loop and lab-03's hollow nodes)."
    );
    Ok(())
}
