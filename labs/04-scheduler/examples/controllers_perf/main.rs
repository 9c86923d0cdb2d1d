//! The controllers benchmark behind `cargo xtask bench controllers`: lab-03's ReplicaSet and
//! Deployment controllers at scale, against lab-02 on its embedded store, with 100 hollow nodes.
//!
//! ```text
//! cargo run --release -p lab-04 --example controllers_perf                # 3 runs
//! cargo run --release -p lab-04 --example controllers_perf -- --runs 5 --nodes 100 \
//!     --replicas 3000 --deployments 100 --deployment-replicas 10 --ready-after-ms 0
//! ```
//!
//! Why it lives in lab-04: pods need a binder, and the binder is lab-04's scheduler
//! (`lab_04::scheduler::run`), which depends on lab-03; lab-03 cannot depend back on lab-04.
//! Everything runs in this one process on one tokio runtime: lab-02's server on a free loopback
//! port, lab-03's hollow nodes (real kubelet loops over a state-only runtime), lab-04's
//! scheduler, and lab-03's controller-manager with `replicaset,deployment` (5 workers each, as
//! upstream). Each scenario of each run gets a fresh cluster.
//!
//! - (a) One ReplicaSet is created with 0 replicas, then scaled to 3000 with one PATCH. Measured
//!   from the PATCH, by a watch: the rate at which pods appear (3000 / time until the 3000th pod
//!   exists), the time until all are Ready, and each pod's startup (created -> Running, the
//!   quantity of upstream's pod startup SLO, p99 <= 5 s). Goal: >= 500 pods/s created.
//! - (b) 100 Deployments of 10 replicas are created at once (100 concurrent creates), and later
//!   all updated to a new image at once (100 concurrent patches). Measured: the time until every
//!   rollout is complete (`observedGeneration == generation`, `updatedReplicas ==
//!   availableReplicas == replicas`, no old pods left). Its peer: the apiserver alone doing the
//!   same number of writes (every watch event on pods, ReplicaSets and Deployments during the
//!   rollout is one write) as pod creates then deletes, 100 concurrent, on the same server with
//!   the same watchers, timed like the rollout: until the bench's watch has seen the last write
//!   (the response to the last DELETE comes earlier, while watchers are still catching up).
//!   Goal: every rollout complete within 2x that time.
//!
//! Hollow pods become Ready `--ready-after-ms` after they start (default 0: the rollout then
//! waits on the controllers, the scheduler, the kubelets and the apiserver, not on a sleep).

// Every part of the cluster allocates and frees on the same few threads, often freeing what
// another thread allocated. With glibc's malloc a quarter of the CPU time went to malloc and
// free, part of it waiting on arena locks; mimalloc keeps a heap per thread. Measured once
// each way on this bench: the rollouts took about half the time with it, the apiserver alone
// about 0.6 of it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod binder;
mod cluster;
mod observe;
mod scenarios;

use std::time::Duration;

use anyhow::Result;
use clap::Parser;

use crate::scenarios::{RolloutResult, ScaleResult};

/// The benchmark's knobs.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// Runs of each scenario (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub(crate) runs: usize,
    /// Hollow nodes.
    #[arg(long, default_value_t = 100)]
    pub(crate) nodes: usize,
    /// (a): the ReplicaSet's replicas after the scale.
    #[arg(long, default_value_t = 3000)]
    pub(crate) replicas: i32,
    /// (b): how many Deployments.
    #[arg(long, default_value_t = 100)]
    pub(crate) deployments: usize,
    /// (b): replicas of each Deployment.
    #[arg(long, default_value_t = 10)]
    pub(crate) deployment_replicas: i32,
    /// How long after it starts a hollow pod is Ready, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub(crate) ready_after_ms: u64,
    /// Who binds pods to nodes: `scheduler` (lab-04's) or `test` (round robin, 100 bindings
    /// in flight: the controllers without the scheduler's cost).
    #[arg(long, default_value = "scheduler", value_parser = ["scheduler", "test"])]
    pub(crate) binder: String,
    /// Skip a scenario: `scale` or `rollout`.
    #[arg(long)]
    pub(crate) skip: Option<String>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn list(values: &[f64], unit: &str) -> String {
    let digits = if values.iter().all(|v| *v >= 100.0) {
        0
    } else {
        2
    };
    let parts: Vec<String> = values.iter().map(|v| format!("{v:.digits$}")).collect();
    format!("{} {unit}", parts.join(", "))
}

fn verdict(met: bool) -> &'static str {
    if met { "**met**" } else { "**not met**" }
}

fn print_scale(args: &Args, results: &[ScaleResult]) {
    let rate: Vec<f64> = results.iter().map(|r| r.pods_per_second).collect();
    let created: Vec<f64> = results
        .iter()
        .map(|r| r.all_created.as_secs_f64())
        .collect();
    let ready: Vec<f64> = results.iter().map(|r| r.all_ready.as_secs_f64()).collect();
    let p50: Vec<f64> = results
        .iter()
        .map(|r| r.startup_p50.as_secs_f64())
        .collect();
    let p99: Vec<f64> = results
        .iter()
        .map(|r| r.startup_p99.as_secs_f64())
        .collect();
    let bound: Vec<f64> = results.iter().map(|r| r.all_bound.as_secs_f64()).collect();
    let bind: Vec<f64> = results.iter().map(|r| r.bind_p99.as_secs_f64()).collect();
    let run: Vec<f64> = results.iter().map(|r| r.run_p99.as_secs_f64()).collect();
    let n = args.replicas;
    println!(
        "| (a) ReplicaSet 0 -> {n}: pods created per second | {:.0} pods/s | {} | >= 500 pods/s | {} |",
        median(rate.clone()),
        list(&rate, "pods/s"),
        verdict(median(rate) >= 500.0)
    );
    println!(
        "| (a) time until all {n} pods exist | {:.2} s | {} | - | - |",
        median(created.clone()),
        list(&created, "s")
    );
    println!(
        "| (a) time until all {n} pods are bound (the binder) | {:.2} s | {} | - | - |",
        median(bound.clone()),
        list(&bound, "s")
    );
    println!(
        "| (a) time until all {n} pods are Ready | {:.2} s | {} | - | - |",
        median(ready.clone()),
        list(&ready, "s")
    );
    println!(
        "| (a) pod startup p50 (created -> Running, seen by watch) | {:.2} s | {} | - | - |",
        median(p50.clone()),
        list(&p50, "s")
    );
    println!(
        "| (a) pod startup p99 (created -> Running, seen by watch) | {:.2} s | {} | <= 5 s (upstream SLO) | {} |",
        median(p99.clone()),
        list(&p99, "s"),
        verdict(median(p99) <= 5.0)
    );
    println!(
        "| (a) ... of which created -> bound, p99 (the binder) | {:.2} s | {} | - | - |",
        median(bind.clone()),
        list(&bind, "s")
    );
    println!(
        "| (a) ... of which bound -> Running, p99 (the hollow kubelets) | {:.2} s | {} | - | - |",
        median(run.clone()),
        list(&run, "s")
    );
}

/// One rollout phase of each run: its time, its writes, the apiserver's time and writes, its
/// pods' created -> bound p99, and the CPU time used by the rollout and by the apiserver alone.
type Phase = (
    Duration,
    usize,
    Duration,
    usize,
    Duration,
    Duration,
    Duration,
);

fn print_rollout(args: &Args, what: &str, phases: &[Phase]) {
    let rollout: Vec<f64> = phases.iter().map(|p| p.0.as_secs_f64()).collect();
    let writes: Vec<f64> = phases.iter().map(|p| p.1 as f64).collect();
    let alone: Vec<f64> = phases.iter().map(|p| p.2.as_secs_f64()).collect();
    let ratio: Vec<f64> = phases
        .iter()
        .map(|p| p.0.as_secs_f64() / p.2.as_secs_f64())
        .collect();
    let bind: Vec<f64> = phases.iter().map(|p| p.4.as_secs_f64()).collect();
    let d = args.deployments;
    println!(
        "| (b) {d} Deployments x {} {what}: every rollout complete | {:.2} s | {} | - | - |",
        args.deployment_replicas,
        median(rollout.clone()),
        list(&rollout, "s")
    );
    println!(
        "| (b) ... writes it made (watch events on pods, ReplicaSets, Deployments) | {:.0} | {} | - | - |",
        median(writes.clone()),
        list(&writes, "writes")
    );
    println!(
        "| (b) ... its pods' created -> bound, p99 (the binder) | {:.2} s | {} | - | - |",
        median(bind.clone()),
        list(&bind, "s")
    );
    let alone_writes: Vec<f64> = phases.iter().map(|p| p.3 as f64).collect();
    println!(
        "| (b) apiserver alone: {:.0} writes (pod creates, then deletes), {d} concurrent | {:.2} s | {} | - | - |",
        median(alone_writes),
        median(alone.clone()),
        list(&alone, "s")
    );
    let cpu_ratio: Vec<f64> = phases
        .iter()
        .map(|p| p.5.as_secs_f64() / p.6.as_secs_f64())
        .collect();
    println!(
        "| (b) ... CPU time used, rollout / apiserver alone (both cores busy in each) | {:.2}x | {} | - | - |",
        median(cpu_ratio.clone()),
        list(&cpu_ratio, "x")
    );
    println!(
        "| (b) rollout / apiserver alone | {:.2}x | {} | <= 2x | {} |",
        median(ratio.clone()),
        list(&ratio, "x"),
        verdict(median(ratio) <= 2.0)
    );
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let ready_after = Duration::from_millis(args.ready_after_ms);
    let mut scale = Vec::new();
    let mut rollouts: Vec<RolloutResult> = Vec::new();
    for run in 1..=args.runs {
        if args.skip.as_deref() != Some("scale") {
            let result = scenarios::scale(&args, ready_after).await?;
            eprintln!("run {run} (a): {result:?}");
            scale.push(result);
        }
        if args.skip.as_deref() != Some("rollout") {
            let result = scenarios::rollout(&args, ready_after).await?;
            eprintln!("run {run} (b): {result:?}");
            rollouts.push(result);
        }
    }
    println!(
        "\nlab-02 (embedded store) + lab-03 controller-manager (replicaset, deployment; 5 workers \
         each) + binder: {} + {} hollow nodes (pods Ready {} ms after start); median of {} runs \
         (each run listed)\n",
        if args.binder == "test" {
            "the test binder (round robin, no scheduling)"
        } else {
            "lab-04's scheduler"
        },
        args.nodes,
        args.ready_after_ms,
        args.runs
    );
    println!("| measurement | median | runs | goal | |");
    println!("| --- | --- | --- | --- | --- |");
    if !scale.is_empty() {
        print_scale(&args, &scale);
    }
    if !rollouts.is_empty() {
        let create: Vec<_> = rollouts
            .iter()
            .map(|r| {
                (
                    r.create,
                    r.create_writes,
                    r.create_alone,
                    r.create_alone_writes,
                    r.create_bind_p99,
                    r.create_cpu,
                    r.create_alone_cpu,
                )
            })
            .collect();
        print_rollout(&args, "created", &create);
        let update: Vec<_> = rollouts
            .iter()
            .map(|r| {
                (
                    r.update,
                    r.update_writes,
                    r.update_alone,
                    r.update_alone_writes,
                    r.update_bind_p99,
                    r.update_cpu,
                    r.update_alone_cpu,
                )
            })
            .collect();
        print_rollout(&args, "updated to a new image", &update);
    }
    Ok(())
}
