//! The in-memory scheduler benchmark: upstream's scheduler_perf workloads, without an API server.
//!
//! ```text
//! cargo run --release -p lab-04 --example scheduler_perf                  # every workload, 3 runs each
//! cargo run --release -p lab-04 --example scheduler_perf -- --runs 5 SchedulingBasic
//! cargo run --release -p lab-04 --example scheduler_perf -- --nodes 500 --scale 0.1
//! ```
//!
//! Each workload builds a snapshot of fake nodes (4 CPUs, 32 GiB, 110 pods, as scheduler_perf's
//! node template), schedules its initial pods (not measured), then measures how fast it schedules
//! the measured pods: `schedule_one` plus `assume`, one pod after another, exactly the scheduling
//! cycle of the real scheduler minus the API round trip. It prints pods/s, the median over the
//! runs, beside upstream's threshold for the same workload (`perf-anchors.md`; those floors were
//! measured on much larger CI machines, with the API server in the loop).

use std::time::Instant;

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::{Node, Pod};
use lab_04::framework::{Profile, SchedulingState, schedule_one};
use lab_04::snapshot::{PodInfo, Snapshot};

/// One scheduler_perf workload.
struct Workload {
    name: &'static str,
    /// Nodes, initial pods, measured pods at full scale.
    nodes: usize,
    init_pods: usize,
    measured_pods: usize,
    /// The label each node gets besides its hostname (zone spreading), by node index.
    zones: usize,
    /// The pod template (YAML, without metadata.name).
    init_pod: &'static str,
    measured_pod: &'static str,
    /// Upstream's threshold in pods/s.
    threshold: &'static str,
}

const BASIC_POD: &str = "metadata: {namespace: sched-0, labels: {app: basic}}\nspec:\n  containers: [{name: pause, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 100m, memory: 500Mi}}}]";

const NODE_AFFINITY_POD: &str = "metadata: {namespace: sched-0}\nspec:\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone1, zone2]}]\n  containers: [{name: pause, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 100m, memory: 500Mi}}}]";

const SPREAD_POD: &str = "metadata: {namespace: sched-0, labels: {color: blue}}\nspec:\n  topologySpreadConstraints:\n  - {maxSkew: 5, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {color: blue}}}\n  containers: [{name: pause, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 100m, memory: 500Mi}}}]";

const PREFERRED_SPREAD_POD: &str = "metadata: {namespace: sched-0, labels: {color: blue}}\nspec:\n  topologySpreadConstraints:\n  - {maxSkew: 5, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {color: blue}}}\n  containers: [{name: pause, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 100m, memory: 500Mi}}}]";

const ANTI_AFFINITY_POD: &str = "metadata: {namespace: sched-0, labels: {color: green}}\nspec:\n  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - {labelSelector: {matchLabels: {color: green}}, topologyKey: kubernetes.io/hostname}\n  containers: [{name: pause, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 100m, memory: 500Mi}}}]";

const PREFERRED_AFFINITY_POD: &str = "metadata: {namespace: sched-0, labels: {color: red}}\nspec:\n  affinity:\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 1\n        podAffinityTerm: {labelSelector: {matchLabels: {color: red}}, topologyKey: kubernetes.io/hostname}\n  containers: [{name: pause, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 100m, memory: 500Mi}}}]";

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "SchedulingBasic",
        nodes: 5000,
        init_pods: 1000,
        measured_pods: 10000,
        zones: 0,
        init_pod: BASIC_POD,
        measured_pod: BASIC_POD,
        threshold: "680 (5000/1000/10000)",
    },
    Workload {
        name: "SchedulingNodeAffinity",
        nodes: 5000,
        init_pods: 5000,
        measured_pods: 10000,
        zones: 3,
        init_pod: BASIC_POD,
        measured_pod: NODE_AFFINITY_POD,
        threshold: "220 (5000/5000/10000)",
    },
    Workload {
        name: "TopologySpreading",
        nodes: 5000,
        init_pods: 5000,
        measured_pods: 5000,
        zones: 3,
        init_pod: BASIC_POD,
        measured_pod: SPREAD_POD,
        threshold: "460 (5000/5000/5000)",
    },
    Workload {
        name: "PreferredTopologySpreading",
        nodes: 5000,
        init_pods: 5000,
        measured_pods: 5000,
        zones: 3,
        init_pod: BASIC_POD,
        measured_pod: PREFERRED_SPREAD_POD,
        threshold: "(none published; 460 required)",
    },
    Workload {
        name: "SchedulingPodAntiAffinity",
        nodes: 5000,
        init_pods: 1000,
        measured_pods: 2000,
        zones: 0,
        init_pod: ANTI_AFFINITY_POD,
        measured_pod: ANTI_AFFINITY_POD,
        threshold: "60 (5000/1000/2000)",
    },
    Workload {
        name: "SchedulingPreferredPodAffinity",
        nodes: 5000,
        init_pods: 5000,
        measured_pods: 5000,
        zones: 0,
        init_pod: PREFERRED_AFFINITY_POD,
        measured_pod: PREFERRED_AFFINITY_POD,
        threshold: "90 (5000/5000/5000)",
    },
];

fn node(index: usize, zones: usize) -> Result<Node> {
    let name = format!("node-{index:05}");
    let zone = if zones > 0 {
        format!(", topology.kubernetes.io/zone: zone{}", index % zones + 1)
    } else {
        String::new()
    };
    let yaml = format!(
        "metadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}{zone}}}}}\n\
         status: {{allocatable: {{cpu: \"4\", memory: 32Gi, pods: \"110\"}}}}"
    );
    Ok(serde_yaml::from_str(&yaml)?)
}

fn pods(template: &str, prefix: &str, count: usize) -> Result<Vec<PodInfo>> {
    let template: Pod = serde_yaml::from_str(template).context("pod template")?;
    (0..count)
        .map(|i| {
            let mut pod = template.clone();
            pod.metadata.name = Some(format!("{prefix}-{i}"));
            PodInfo::new(pod).context("pod template")
        })
        .collect()
}

/// Schedules and assumes every pod; returns how many found a node.
fn schedule_all(snapshot: &mut Snapshot, pods: &[PodInfo], state: &mut SchedulingState) -> usize {
    let profile = Profile::default();
    let mut placed = 0;
    for pod in pods {
        if let Ok(result) = schedule_one(snapshot, pod, &profile, state)
            && snapshot.assume(pod, &result.node).is_ok()
        {
            placed += 1;
        }
    }
    placed
}

/// One run of a workload: pods/s over the measured pods, and how many were placed.
fn run(workload: &Workload, scale: f64, nodes: Option<usize>) -> Result<(f64, usize, usize)> {
    let scaled = |n: usize| ((n as f64 * scale).round() as usize).max(1);
    let node_count = nodes.unwrap_or_else(|| scaled(workload.nodes));
    let mut snapshot = Snapshot::new();
    for i in 0..node_count {
        snapshot.add_node(node(i, workload.zones)?)?;
    }
    let mut state = SchedulingState::new(1);
    let init = pods(workload.init_pod, "init", scaled(workload.init_pods))?;
    schedule_all(&mut snapshot, &init, &mut state);
    let measured = pods(
        workload.measured_pod,
        "measured",
        scaled(workload.measured_pods),
    )?;
    let start = Instant::now();
    let placed = schedule_all(&mut snapshot, &measured, &mut state);
    let seconds = start.elapsed().as_secs_f64();
    Ok((measured.len() as f64 / seconds, placed, measured.len()))
}

fn main() -> Result<()> {
    let mut runs = 3usize;
    let mut scale = 1.0f64;
    let mut nodes = None;
    let mut only = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--runs" => runs = value("--runs")?.parse()?,
            "--scale" => scale = value("--scale")?.parse()?,
            "--nodes" => nodes = Some(value("--nodes")?.parse()?),
            "-h" | "--help" => {
                println!("scheduler_perf [--runs N] [--scale F] [--nodes N] [WORKLOAD...]");
                return Ok(());
            }
            name if name.starts_with('-') => bail!("unknown option {name}"),
            name => only.push(name.to_string()),
        }
    }
    println!(
        "{:<32} {:>10} {:>14}  upstream threshold (pods/s, nodes/init/measured)",
        "workload", "pods/s", "placed"
    );
    for workload in WORKLOADS {
        if !only.is_empty() && !only.iter().any(|o| o == workload.name) {
            continue;
        }
        let mut rates = Vec::new();
        let mut placed = (0, 0);
        for _ in 0..runs.max(1) {
            let (rate, ok, total) = run(workload, scale, nodes)?;
            rates.push(rate);
            placed = (ok, total);
        }
        rates.sort_by(f64::total_cmp);
        let median = rates[rates.len() / 2];
        println!(
            "{:<32} {:>10.0} {:>14}  {}",
            workload.name,
            median,
            format!("{}/{}", placed.0, placed.1),
            workload.threshold
        );
    }
    Ok(())
}
