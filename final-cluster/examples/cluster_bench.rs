//! The final cluster's benchmark (`cargo xtask bench cluster`): how long `cluster up` takes
//! until every node is Ready, and pod startup latency, creation to Running as a watch sees it,
//! for 100 busybox pods created at 10 per second on the three-node cluster.
//!
//! It runs the real launcher with the real binaries (from the same target directory as this
//! example), in a private host network namespace so the machine's own network is untouched,
//! and brings everything down at the end. Needs root.
//!
//! ```text
//! cargo run --release -p final-cluster --example cluster_bench -- [--pods 100] [--rate 10] [--runs 3]
//! ```
//!
//! Anchor: Kubernetes' pod startup SLO, p99 <= 5 s (images pre-pulled); the goal here is
//! p99 <= 1 s. The offline busybox image is built by each kubelet at its start, before any pod.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use final_cluster::launcher::{Launcher, UpOptions, default_nodes};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{PostParams, WatchEvent, WatchParams};
use lab_05::netns::Netns;

/// One run's numbers.
struct Run {
    up: Duration,
    latencies: Vec<Duration>,
}

fn main() -> anyhow::Result<()> {
    let mut pods = 100_usize;
    let mut rate = 10_u32;
    let mut runs = 3_usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().context("a flag without its value");
        match flag.as_str() {
            "--pods" => pods = value()?.parse()?,
            "--rate" => rate = value()?.parse()?,
            "--runs" => runs = value()?.parse()?,
            other => bail!("unknown flag {other} (use --pods N, --rate PER_SECOND, --runs N)"),
        }
    }
    anyhow::ensure!(
        nix::unistd::geteuid().is_root(),
        "the cluster benchmark needs root (network namespaces, cgroups)"
    );
    anyhow::ensure!(
        rate > 0 && pods > 0 && runs > 0,
        "--pods, --rate and --runs must be > 0"
    );
    let bin_dir = std::env::current_exe()?
        .parent()
        .and_then(|examples| examples.parent())
        .map(PathBuf::from)
        .context("find the target directory")?;
    let mut results = Vec::new();
    for run in 1..=runs {
        eprintln!("run {run}/{runs}: cluster up, then {pods} pods at {rate}/s");
        results.push(one_run(&bin_dir, pods, rate)?);
    }
    report(&results);
    Ok(())
}

/// Brings a cluster up in a fresh host namespace, measures, and brings it down.
fn one_run(bin_dir: &std::path::Path, pods: usize, rate: u32) -> anyhow::Result<Run> {
    let name = format!("kubelab-bench-{}", std::process::id());
    let host = Netns::create_named(&name).context("create the benchmark's host namespace")?;
    let state = std::env::temp_dir().join(&name);
    let mut config = Launcher::network_config(&state);
    config.netns_prefix = format!("{name}-");
    let launcher = Launcher::new(Netns::named(&name)?, &state, config)?;
    let options = UpOptions {
        nodes: default_nodes(3),
        bin_dir: bin_dir.to_path_buf(),
        etcd_servers: Vec::new(),
        etcd: false,
        controller_manager_args: Vec::new(),
    };
    let measured = host.run(|| -> anyhow::Result<Run> {
        let started = Instant::now();
        launcher.up(&options, &mut |_| {})?;
        let up = started.elapsed();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let latencies = runtime.block_on(start_pods(&launcher, pods, rate))?;
        Ok(Run { up, latencies })
    });
    let down = host.run(|| launcher.down(&mut |_| {}));
    drop(host);
    let _ = Netns::delete_named(&name);
    let _ = std::fs::remove_dir_all(&state);
    let run = measured??;
    down??;
    Ok(run)
}

/// Creates `count` pods at `rate` per second and returns each one's creation-to-Running time.
async fn start_pods(launcher: &Launcher, count: usize, rate: u32) -> anyhow::Result<Vec<Duration>> {
    let client = lab_03::manager::Config::from_kubeconfig_file(&launcher.kubeconfig())?
        .client()
        .await?;
    let api: Api<Pod> = Api::namespaced(client, "default");
    let mut watch = api
        .watch(&WatchParams::default().labels("bench=startup"), "0")
        .await?
        .boxed();
    let mut created: BTreeMap<String, Instant> = BTreeMap::new();
    let mut running: BTreeMap<String, Instant> = BTreeMap::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate);
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(120 + count as u64 / u64::from(rate));
    while running.len() < count {
        tokio::select! {
            _ = ticks.tick(), if created.len() < count => {
                let name = format!("startup-{}", created.len());
                let pod: Pod = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": name, "labels": {"bench": "startup"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 1,
                        "containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}],
                    },
                }))?;
                created.insert(name, Instant::now());
                api.create(&PostParams::default(), &pod).await?;
            }
            event = watch.next() => {
                let Some(event) = event else { bail!("the watch ended") };
                if let WatchEvent::Added(pod) | WatchEvent::Modified(pod) = event? {
                    let is_running = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
                    if let (true, Some(name)) = (is_running, pod.metadata.name) {
                        running.entry(name).or_insert_with(Instant::now);
                    }
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                bail!("only {} of {count} pods Running in time", running.len());
            }
        }
    }
    Ok(running
        .iter()
        .filter_map(|(name, at)| Some(at.duration_since(*created.get(name)?)))
        .collect())
}

/// Prints the medians over runs.
fn report(results: &[Run]) {
    let median = |mut values: Vec<Duration>| {
        values.sort();
        values[values.len() / 2]
    };
    let percentile = |values: &[Duration], p: f64| {
        let mut values = values.to_vec();
        values.sort();
        let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
        values[rank.saturating_sub(1).min(values.len() - 1)]
    };
    let ups: Vec<Duration> = results.iter().map(|run| run.up).collect();
    let p50s: Vec<Duration> = results
        .iter()
        .map(|run| percentile(&run.latencies, 50.0))
        .collect();
    let p99s: Vec<Duration> = results
        .iter()
        .map(|run| percentile(&run.latencies, 99.0))
        .collect();
    let (p50, p99) = (median(p50s), median(p99s));
    println!(
        "| measure (median of {} runs) | result | goal |",
        results.len()
    );
    println!("| --- | --- | --- |");
    println!(
        "| cluster up until 3 nodes Ready | {:.1} s | - |",
        median(ups).as_secs_f64()
    );
    println!(
        "| pod startup p50 (create -> Running) | {} ms | - |",
        p50.as_millis()
    );
    println!(
        "| pod startup p99 | {} ms | <= 1000 ms ({}) |",
        p99.as_millis(),
        if p99 <= Duration::from_secs(1) {
            "met"
        } else {
            "not met"
        }
    );
}
