//! The two measured scenarios, (a) scale and (b) rollouts, and the apiserver-alone peer of (b).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::Args;
use crate::cluster::Cluster;
use crate::observe::Observer;

const NAMESPACE: &str = "default";
const IMAGE: &str = "registry.k8s.io/pause:3.10";
const NEW_IMAGE: &str = "registry.k8s.io/pause:3.9";
/// The longest any one wait may take before the run is reported as failed.
const TIMEOUT: Duration = Duration::from_secs(600);

/// What (a) measured in one run.
#[derive(Debug)]
pub(crate) struct ScaleResult {
    pub(crate) pods_per_second: f64,
    pub(crate) all_created: Duration,
    pub(crate) all_ready: Duration,
    pub(crate) startup_p50: Duration,
    pub(crate) startup_p99: Duration,
    /// Where startup goes: created -> bound (the scheduler), bound -> Running (the kubelet).
    pub(crate) bind_p99: Duration,
    pub(crate) run_p99: Duration,
    pub(crate) all_bound: Duration,
}

/// What (b) measured in one run: each rollout's time and writes, and the apiserver's time for
/// as many writes (which it rounds up to an even number: creates then deletes).
#[derive(Debug)]
pub(crate) struct RolloutResult {
    pub(crate) create: Duration,
    pub(crate) create_writes: usize,
    pub(crate) create_alone: Duration,
    pub(crate) create_alone_writes: usize,
    pub(crate) update: Duration,
    pub(crate) update_writes: usize,
    pub(crate) update_alone: Duration,
    pub(crate) update_alone_writes: usize,
    /// Where the time goes: created -> bound p99 of the pods each rollout made (the binder).
    pub(crate) create_bind_p99: Duration,
    pub(crate) update_bind_p99: Duration,
    /// CPU time this process used in each phase (all threads): how busy the cores were.
    pub(crate) create_cpu: Duration,
    pub(crate) update_cpu: Duration,
    pub(crate) create_alone_cpu: Duration,
    pub(crate) update_alone_cpu: Duration,
}

/// The CPU time (user + system) this process has used so far, from `/proc/self/stat`.
pub(crate) fn process_cpu() -> Duration {
    // Fields 14 and 15 (utime, stime) in clock ticks, which /proc reports at USER_HZ = 100.
    // The command name (field 2) may contain spaces, so count from its closing parenthesis.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Runs `count` requests, at most `limit` at a time.
async fn concurrently<F, Fut, T>(count: usize, limit: usize, request: F) -> Result<()>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<T, kube::Error>> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let mut tasks = JoinSet::new();
    for index in 0..count {
        let permit = permits.clone().acquire_owned().await?;
        let request = request(index);
        tasks.spawn(async move {
            let result = request.await;
            drop(permit);
            result
        });
    }
    while let Some(result) = tasks.join_next().await {
        result?.context("a request of the bench failed")?;
    }
    Ok(())
}

fn template(app: &str, image: &str) -> serde_json::Value {
    json!({
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    })
}

/// (a): one ReplicaSet, 0 -> `args.replicas` with one PATCH.
pub(crate) async fn scale(args: &Args, ready_after: Duration) -> Result<ScaleResult> {
    let cluster = Cluster::start(args.nodes, ready_after, args.binder == "test").await?;
    let result = measure_scale(&cluster.client, args).await;
    cluster.stop().await;
    result
}

async fn measure_scale(client: &Client, args: &Args) -> Result<ScaleResult> {
    let observer = Observer::start(client, NAMESPACE).await?;
    let api = Api::<ReplicaSet>::namespaced(client.clone(), NAMESPACE);
    let rs: ReplicaSet = serde_json::from_value(json!({
        "metadata": {"name": "scale"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "scale"}},
            "template": template("scale", IMAGE),
        },
    }))?;
    api.create(&PostParams::default(), &rs).await?;
    let want = usize::try_from(args.replicas)?;

    let start = Instant::now();
    api.patch(
        "scale",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": args.replicas}})),
    )
    .await?;
    let last_added = observer
        .wait("every pod to exist", TIMEOUT, || {
            let pods = observer.pods();
            (pods.len() >= want).then(|| pods.iter().map(|p| p.added).max())?
        })
        .await?;
    let last_ready = observer
        .wait("every pod to be Ready", TIMEOUT, || {
            let pods = observer.pods();
            let ready: Vec<Instant> = pods.iter().filter_map(|p| p.ready).collect();
            (ready.len() >= want).then(|| ready.into_iter().max())?
        })
        .await?;
    let pods = observer.pods();
    let startups: Vec<Duration> = pods
        .iter()
        .filter_map(|p| p.running.map(|running| running - p.added))
        .collect();
    let binds: Vec<Duration> = pods
        .iter()
        .filter_map(|p| p.bound.map(|bound| bound - p.added))
        .collect();
    let runs: Vec<Duration> = pods
        .iter()
        .filter_map(|p| Some(p.running? - p.bound?))
        .collect();
    let last_bound = pods.iter().filter_map(|p| p.bound).max().unwrap_or(start);
    let all_created = last_added - start;
    Ok(ScaleResult {
        pods_per_second: want as f64 / all_created.as_secs_f64(),
        all_created,
        all_ready: last_ready - start,
        startup_p50: rank(startups.clone(), 0.5),
        startup_p99: rank(startups, 0.99),
        bind_p99: rank(binds, 0.99),
        run_p99: rank(runs, 0.99),
        all_bound: last_bound - start,
    })
}

/// Created -> bound of the existing pods created after `since`.
fn bind_times(observer: &Observer, since: Instant) -> Vec<Duration> {
    observer
        .pods()
        .iter()
        .filter(|p| p.added >= since)
        .filter_map(|p| p.bound.map(|bound| bound - p.added))
        .collect()
}

/// The `q` quantile (nearest rank) of `samples`; zero if there are none.
fn rank(mut samples: Vec<Duration>, q: f64) -> Duration {
    samples.sort();
    let index = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len().max(1)) - 1;
    samples.get(index).copied().unwrap_or_default()
}

/// (b): `args.deployments` Deployments created at once, then all updated at once.
pub(crate) async fn rollout(args: &Args, ready_after: Duration) -> Result<RolloutResult> {
    let cluster = Cluster::start(args.nodes, ready_after, args.binder == "test").await?;
    let result = measure_rollout(&cluster.client, args).await;
    cluster.stop().await;
    result
}

/// Whether `deployment` has rolled out `image` completely.
fn complete(deployment: &Deployment, replicas: i32, image: &str) -> bool {
    let spec_image = deployment
        .spec
        .as_ref()
        .and_then(|spec| spec.template.spec.as_ref())
        .and_then(|pod| pod.containers.first())
        .and_then(|container| container.image.as_deref());
    let Some(status) = deployment.status.as_ref() else {
        return false;
    };
    spec_image == Some(image)
        && status.observed_generation.is_some()
        && status.observed_generation == deployment.metadata.generation
        && status.replicas == Some(replicas)
        && status.updated_replicas == Some(replicas)
        && status.available_replicas == Some(replicas)
}

async fn all_complete(observer: &Observer, args: &Args, image: &str) -> Result<()> {
    observer
        .wait("every rollout to complete", TIMEOUT, || {
            let done = observer
                .deployments
                .list()
                .iter()
                .filter(|d| complete(d, args.deployment_replicas, image))
                .count();
            (done == args.deployments).then_some(())
        })
        .await
}

async fn measure_rollout(client: &Client, args: &Args) -> Result<RolloutResult> {
    let observer = Observer::start(client, NAMESPACE).await?;
    let api = Api::<Deployment>::namespaced(client.clone(), NAMESPACE);
    let replicas = args.deployment_replicas;

    let (writes, start, cpu) = (observer.writes(), Instant::now(), process_cpu());
    concurrently(args.deployments, args.deployments, |index| {
        let api = api.clone();
        let name = format!("deploy-{index}");
        async move {
            let deployment: Deployment = serde_json::from_value(json!({
                "metadata": {"name": name},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": name}},
                    "template": template(&name, IMAGE),
                },
            }))
            .map_err(kube::Error::SerdeError)?;
            api.create(&PostParams::default(), &deployment).await
        }
    })
    .await?;
    all_complete(&observer, args, IMAGE).await?;
    let create = start.elapsed();
    let create_cpu = process_cpu() - cpu;
    let create_writes = observer.writes() - writes;
    let create_bind_p99 = rank(bind_times(&observer, start), 0.99);

    let (writes, start, cpu) = (observer.writes(), Instant::now(), process_cpu());
    concurrently(args.deployments, args.deployments, |index| {
        let api = api.clone();
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": NEW_IMAGE},
        ]}}}});
        async move {
            api.patch(
                &format!("deploy-{index}"),
                &PatchParams::default(),
                &Patch::Merge(patch),
            )
            .await
        }
    })
    .await?;
    all_complete(&observer, args, NEW_IMAGE).await?;
    let update = start.elapsed();
    let update_cpu = process_cpu() - cpu;
    let update_writes = observer.writes() - writes;
    let update_bind_p99 = rank(bind_times(&observer, start), 0.99);

    let cpu = process_cpu();
    let (create_alone, create_alone_writes) = apiserver_alone(
        client,
        &observer,
        "alone-a",
        create_writes,
        args.deployments,
    )
    .await?;
    let (create_alone_cpu, cpu) = (process_cpu() - cpu, process_cpu());
    let (update_alone, update_alone_writes) = apiserver_alone(
        client,
        &observer,
        "alone-b",
        update_writes,
        args.deployments,
    )
    .await?;
    let update_alone_cpu = process_cpu() - cpu;
    Ok(RolloutResult {
        create,
        create_writes,
        create_alone,
        create_alone_writes,
        update,
        update_writes,
        update_alone,
        update_alone_writes,
        create_bind_p99,
        update_bind_p99,
        create_cpu,
        update_cpu,
        create_alone_cpu,
        update_alone_cpu,
    })
}

/// The peer: `writes` writes as pod creates then deletes, `concurrency` at a time. The pods
/// name a scheduler nobody runs, so no other component writes them. As for a rollout, the
/// time ends when the bench's watch has seen the last write: the same watchers are attached,
/// and a write counts once its watchers have it, not when its response is back.
async fn apiserver_alone(
    client: &Client,
    observer: &Observer,
    prefix: &str,
    writes: usize,
    concurrency: usize,
) -> Result<(Duration, usize)> {
    let pods = Api::<Pod>::namespaced(client.clone(), NAMESPACE);
    let count = writes.div_ceil(2);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"labels": {"bench": prefix}},
        "spec": {
            "schedulerName": "nobody",
            "containers": [{"name": "app", "image": IMAGE}],
        },
    }))?;
    let (start, seen) = (Instant::now(), observer.writes());
    concurrently(count, concurrency, |index| {
        let (pods, mut pod) = (pods.clone(), pod.clone());
        pod.metadata.name = Some(format!("{prefix}-{index}"));
        async move { pods.create(&PostParams::default(), &pod).await }
    })
    .await?;
    concurrently(count, concurrency, |index| {
        let (pods, name) = (pods.clone(), format!("{prefix}-{index}"));
        async move {
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                ..DeleteParams::default()
            };
            pods.delete(&name, &params).await
        }
    })
    .await?;
    observer
        .wait("the watch to see every write of the peer", TIMEOUT, || {
            (observer.writes() - seen >= 2 * count).then_some(())
        })
        .await?;
    Ok((start.elapsed(), 2 * count))
}
