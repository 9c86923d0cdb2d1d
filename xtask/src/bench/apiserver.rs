//! `cargo xtask bench apiserver`: lab-02's request throughput and latency, on the embedded store
//! and on etcd, beside raw etcd through `etcd-client`, and watch delivery to many watchers.
//!
//! The measuring is lab-02's own example (`labs/02-apiserver/examples/bench.rs`): it starts the
//! server in-process, a real etcd through labkit, and prints the table. Anchors (perf-anchors.md):
//! etcd here ~1.0-1.7k puts/s with one client and ~10k/s with 64 (p99 16-18 ms); goals: on etcd
//! at least 70% of raw etcd's throughput at 64 clients with p99 <= 50 ms, the embedded store at
//! least 3x etcd, and 1000 watchers each get an event within 100 ms p99.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::bootstrap;

/// `cargo xtask bench apiserver`; `runs` is the number of requests per row.
pub(super) fn bench(root: &Path, runs: usize) -> Result<()> {
    bootstrap::ensure_programs(&[("etcd", "etcd-server")])?;
    eprintln!(
        "bench apiserver: building and running lab-02's benchmark (release), {runs} requests per row"
    );
    crate::process::run(Command::new(env!("CARGO")).current_dir(root).args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "lab-02",
        "--example",
        "bench",
        "--",
        "--requests",
        &runs.max(100).to_string(),
    ]))?;
    println!(
        "\nAnchors: raw etcd here ~1.0-1.7k puts/s (1 client), ~10k/s (64 clients, p99 16-18 ms). \
         Goals: apiserver on etcd >= 70% of raw etcd at 64 clients with p99 <= 50 ms; embedded >= 3x etcd; \
         1000 watchers receive an event within 100 ms p99.\n\
         A create is a transaction on etcd (put only if the key does not exist: that is how \
         AlreadyExists is detected, by kube-apiserver too), which costs etcd more than a plain put: \
         compare creates with the raw `create (txn)` row, and gets with raw gets."
    );
    Ok(())
}
