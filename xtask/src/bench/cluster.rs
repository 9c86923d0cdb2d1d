//! `cargo xtask bench cluster`: the final cluster's own numbers: `cluster up` until every node
//! is Ready, and pod startup latency (create -> Running, seen by a watch) for 100 busybox pods
//! created at 10/s on three nodes. The anchor is Kubernetes' pod startup SLO, p99 <= 5 s with
//! images pre-pulled; the goal here is p99 <= 1 s.
//!
//! The measuring is final-cluster's example (`final-cluster/examples/cluster_bench.rs`), built
//! in release with the component binaries it starts. Needs root.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

/// `cargo xtask bench cluster`; `runs` clusters are brought up one after the other.
pub(super) fn bench(root: &Path, runs: usize) -> Result<()> {
    if !cfg!(target_os = "linux") {
        bail!("the cluster benchmark runs on Linux only (network namespaces)");
    }
    eprintln!("bench cluster: building the cluster's programs (release)");
    crate::process::run(Command::new(env!("CARGO")).current_dir(root).args([
        "build",
        "--release",
        "--quiet",
        "--package",
        "final-cluster",
        "--bins",
    ]))?;
    eprintln!("bench cluster: {runs} runs of cluster up + 100 pods at 10/s");
    crate::process::run(Command::new(env!("CARGO")).current_dir(root).args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "final-cluster",
        "--example",
        "cluster_bench",
        "--",
        "--runs",
        &runs.to_string(),
    ]))
}
