//! `cargo xtask bench controllers`: lab-03's ReplicaSet and Deployment controllers at scale,
//! against lab-02 on its embedded store with 100 hollow nodes, beside the goals.
//!
//! The measuring is an example of lab-04 (`labs/04-scheduler/examples/controllers_perf/`): pods
//! need a binder, and the binder is lab-04's scheduler, which depends on lab-03 (so the example
//! cannot live in lab-03). It measures (a) one ReplicaSet scaled 0 -> 3000: pods created per
//! second and pod startup; (b) 100 Deployments of 10 replicas created at once, then updated to a
//! new image: the time until every rollout is complete, beside the apiserver alone doing as many
//! writes. Anchors (perf-anchors.md): upstream's controller-manager creates pods in slow-start
//! batches of up to 500 per sync; pod startup SLO p99 <= 5 s. Goals: >= 500 pods/s created on
//! the embedded store; every rollout complete within 2x the apiserver's time for its writes.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

/// `cargo xtask bench controllers`; `runs` is the number of runs of each scenario.
pub(super) fn bench(root: &Path, runs: usize) -> Result<()> {
    eprintln!(
        "bench controllers: building and running lab-04's controllers_perf example (release), \
         {runs} runs of each scenario"
    );
    crate::process::run(Command::new(env!("CARGO")).current_dir(root).args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "lab-04",
        "--example",
        "controllers_perf",
        "--",
        "--runs",
        &runs.to_string(),
    ]))?;
    println!(
        "\nGoals: >= 500 pods/s created on the embedded store (upstream's controller-manager \
         creates in slow-start batches of up to 500 per sync); pod startup p99 <= 5 s (upstream's \
         SLO); every rollout complete within 2x the time the apiserver alone needs for as many \
         writes. One process runs everything (apiserver, controllers, scheduler, hollow nodes, \
         the bench's watches): on 2 cores they share the CPU."
    );
    Ok(())
}
