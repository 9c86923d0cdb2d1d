//! The [`Kubelet`]: one node's state and its long-running loops (registration, heartbeats,
//! static pod files, pod workers). The per-pod sync is in `sync.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeStatus, Pod};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use super::Config;
use super::decide::PodRecord;
use super::heartbeat::{NODE_LEASE_NAMESPACE, renewed_lease};
use super::node::{new_node, node_labels, node_status, status_changed};
use super::runtime::PodRuntime;
use super::static_pods::read_manifests;
use crate::informer::Cache;
use crate::queue::{RateLimiter, WorkQueue, run_workers};

/// Retries of a failed registration: 800 ms doubling to 30 s (the apiserver may be starting).
const FIRST_RETRY: Duration = Duration::from_millis(800);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// The first retry of a failed Lease renewal (upstream's lease controller: 200 ms).
const LEASE_FIRST_RETRY: Duration = Duration::from_millis(200);

/// One node's kubelet: its settings, runtime, pod cache and what it runs. Shared (`Arc`) by
/// its loops, the informer's handler and the runtime's reporters.
pub struct Kubelet {
    pub(super) config: Config,
    pub(super) runtime: Arc<dyn PodRuntime>,
    /// The API's pods: this node's only (the kubelet's own informer), or every pod (hollow
    /// nodes share one informer); `wanted` filters by `spec.nodeName` either way.
    pub(super) pods: Cache<Pod>,
    /// What this node runs, by pod key.
    pub(super) records: Mutex<HashMap<String, PodRecord>>,
    /// The static pods read from the manifest directory, by key (`namespace/<name>-<node>`).
    pub(super) static_pods: Mutex<HashMap<String, Arc<Pod>>>,
    /// The Node's UID once registered (owner of the Lease and of mirror pods).
    pub(super) node_uid: Mutex<Option<String>>,
    pub(super) queue: Arc<WorkQueue>,
}

impl std::fmt::Debug for Kubelet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kubelet")
            .field("node", &self.config.node_name)
            .finish_non_exhaustive()
    }
}

/// Locks a mutex, going on after a panic elsewhere (the maps stay consistent).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Kubelet {
    /// A kubelet for `config.node_name` that reads the API's pods from `pods` (a cache some
    /// informer fills; route its changes to [`Kubelet::pod_changed`]).
    pub fn new(config: Config, runtime: Arc<dyn PodRuntime>, pods: Cache<Pod>) -> Arc<Kubelet> {
        let limiter = RateLimiter::new(Duration::from_millis(200), MAX_RETRY);
        Arc::new(Kubelet {
            queue: Arc::new(WorkQueue::with_rate_limiter(config.clock.clone(), limiter)),
            config,
            runtime,
            pods,
            records: Mutex::new(HashMap::new()),
            static_pods: Mutex::new(HashMap::new()),
            node_uid: Mutex::new(None),
        })
    }

    /// The node's name.
    pub fn node_name(&self) -> &str {
        &self.config.node_name
    }

    /// Whether the Node is registered (its UID is known).
    pub fn is_registered(&self) -> bool {
        lock(&self.node_uid).is_some()
    }

    /// How many pods this kubelet has handed to its runtime and not yet forgotten.
    pub fn running_pods(&self) -> usize {
        lock(&self.records).len()
    }

    /// Runs the node's loops until `shutdown` completes: static pods and pod workers at once
    /// (static pods run even while the apiserver is unreachable: that is how a control plane
    /// made of static pods boots), registration with back-off, then heartbeats.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()> + Send) {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let until = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let mut tasks = tokio::task::JoinSet::new();
        let kubelet = self.clone();
        tasks.spawn(async move {
            let queue = kubelet.queue.clone();
            let workers = kubelet.config.workers;
            run_workers(queue, workers, move |key| {
                let kubelet = kubelet.clone();
                async move { kubelet.sync(&key).await }
            })
            .await;
        });
        if self.config.pod_manifest_path.is_some() {
            tasks.spawn(self.clone().watch_manifests(until(stopped.clone())));
        }
        tasks.spawn(self.clone().register_then_heartbeat(until(stopped)));
        shutdown.await;
        let _ = stop.send(true);
        self.queue.shut_down();
        while tasks.join_next().await.is_some() {}
    }

    /// Asks the runtime to stop every pod still running (the process is going away, and with
    /// it whatever runs inside it).
    pub fn stop_all_pods(&self) {
        // Not under the lock: a runtime may report from inside `stop_pod`.
        let running: Vec<(String, Duration)> = lock(&self.records)
            .values()
            .filter(|record| !record.finished)
            .map(|record| (record.uid.clone(), record.grace))
            .collect();
        for (uid, grace) in running {
            self.runtime.stop_pod(&uid, grace);
        }
    }

    async fn register_then_heartbeat(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut delay = FIRST_RETRY;
        let reported = loop {
            let registered = tokio::select! {
                () = &mut shutdown => return,
                registered = self.register() => registered,
            };
            match registered {
                Ok(reported) => break reported,
                Err(error) => {
                    tracing::warn!(node = %self.config.node_name, retry_in = ?delay, "cannot register the node: {error}");
                }
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(MAX_RETRY);
        };
        tracing::info!(node = %self.config.node_name, "node registered");
        // Mirror pods need the Node's UID: look at every static pod again.
        for key in lock(&self.static_pods).keys() {
            self.queue.add(key);
        }
        tokio::select! {
            () = &mut shutdown => {}
            () = self.heartbeat(reported) => {}
        }
    }

    // ANCHOR: register
    /// Registers the node (upstream `registerWithAPIServer`): creates the Node, or, if it
    /// exists (a restart), keeps its spec (podCIDR, taints, unschedulable), makes sure the
    /// standard labels are there, and writes the status. Returns the status written and when.
    async fn register(&self) -> Result<(NodeStatus, Instant), kube::Error> {
        let nodes: Api<Node> = Api::all(self.config.client.clone());
        let registered_at = self.config.clock.now();
        let now = self.config.clock.wall();
        let node = match nodes
            .create(&PostParams::default(), &new_node(&self.config, now))
            .await
        {
            Ok(node) => node,
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let labels = node_labels(&self.config);
                let patch = json!({"metadata": {"labels": labels}});
                nodes
                    .patch(
                        &self.config.node_name,
                        &PatchParams::default(),
                        &Patch::Merge(&patch),
                    )
                    .await?
            }
            Err(error) => return Err(error),
        };
        *lock(&self.node_uid) = node.metadata.uid.clone();
        let status = node_status(&self.config, node.status.as_ref(), now);
        self.write_node_status(&status).await?;
        Ok((status, registered_at))
    }
    // ANCHOR_END: register

    async fn write_node_status(&self, status: &NodeStatus) -> Result<(), kube::Error> {
        let nodes: Api<Node> = Api::all(self.config.client.clone());
        let patch = json!({ "status": status });
        nodes
            .patch_status(
                &self.config.node_name,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?;
        Ok(())
    }

    /// The heartbeat loop: renews the Lease every `lease_renew_interval`, and every
    /// `node_status_update_frequency` writes the node status if it changed or was last written
    /// `node_status_report_frequency` ago. Times come from the configured clock.
    async fn heartbeat(&self, (mut reported, mut reported_at): (NodeStatus, Instant)) {
        let clock = self.config.clock.clone();
        let mut lease: Option<Lease> = None;
        let mut next_lease = clock.now();
        let mut lease_retry = LEASE_FIRST_RETRY;
        let mut next_status = reported_at + self.config.node_status_update_frequency;
        loop {
            let now = clock.now();
            if now >= next_status {
                next_status = now + self.config.node_status_update_frequency;
                let status = node_status(&self.config, Some(&reported), clock.wall());
                let due = at_least(now, reported_at, self.config.node_status_report_frequency);
                if due || status_changed(&reported, &status) {
                    match self.write_node_status(&status).await {
                        Ok(()) => {
                            reported = status;
                            reported_at = now;
                        }
                        Err(error) => {
                            tracing::warn!(node = %self.config.node_name, "cannot update the node status: {error}")
                        }
                    }
                }
            }
            if now >= next_lease {
                match self.renew_lease(&mut lease).await {
                    Ok(()) => {
                        next_lease = now + self.config.lease_renew_interval;
                        lease_retry = LEASE_FIRST_RETRY;
                    }
                    Err(error) => {
                        // Upstream retries quickly first (200 ms), then no faster than the
                        // renew interval: a down apiserver is not hammered.
                        tracing::warn!(node = %self.config.node_name, retry_in = ?lease_retry, "cannot renew the node lease: {error}");
                        next_lease = now + lease_retry;
                        lease_retry = (lease_retry * 2).min(self.config.lease_renew_interval);
                    }
                }
            }
            tokio::time::sleep(self.config.tick).await;
        }
    }

    /// Renews (or creates) the Lease; `cached` is the last one written, re-read after a
    /// conflict or an error.
    async fn renew_lease(&self, cached: &mut Option<Lease>) -> Result<(), kube::Error> {
        let leases: Api<Lease> = Api::namespaced(self.config.client.clone(), NODE_LEASE_NAMESPACE);
        let name = &self.config.node_name;
        if cached.is_none() {
            *cached = leases.get_opt(name).await?;
        }
        let node_uid = lock(&self.node_uid).clone();
        let lease = renewed_lease(
            cached.as_ref(),
            name,
            node_uid.as_deref(),
            self.config.lease_duration_seconds,
            self.config.clock.wall(),
        );
        let written = if cached.is_some() {
            leases.replace(name, &PostParams::default(), &lease).await
        } else {
            leases.create(&PostParams::default(), &lease).await
        };
        match written {
            Ok(lease) => {
                *cached = Some(lease);
                Ok(())
            }
            Err(error) => {
                *cached = None;
                Err(error)
            }
        }
    }

    /// Reads the manifest directory every `file_check_frequency` and queues the static pods
    /// that appeared, changed or vanished.
    async fn watch_manifests(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        let Some(dir) = self.config.pod_manifest_path.clone() else {
            return;
        };
        tokio::pin!(shutdown);
        loop {
            match read_manifests(&dir, &self.config.node_name) {
                Ok(found) => self.set_static_pods(found),
                Err(error) => {
                    tracing::warn!(dir = %dir.display(), "cannot read static pod manifests: {error}")
                }
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.config.file_check_frequency) => {}
            }
        }
    }

    /// Replaces the static pods with `found`, queueing every key (a resync also makes sure
    /// each mirror pod is there).
    fn set_static_pods(&self, found: HashMap<String, Arc<Pod>>) {
        let mut static_pods = lock(&self.static_pods);
        let mut keys: Vec<String> = static_pods.keys().cloned().collect();
        keys.extend(found.keys().cloned());
        *static_pods = found;
        drop(static_pods);
        for key in keys {
            self.queue.add(&key);
        }
    }
}

/// Whether `period` has passed between `since` and `now`.
fn at_least(now: Instant, since: Instant, period: Duration) -> bool {
    now.saturating_duration_since(since) >= period
}
