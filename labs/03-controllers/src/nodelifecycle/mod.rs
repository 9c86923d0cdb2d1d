//! The node lifecycle controller: notices nodes whose kubelet went silent, marks them, and
//! evicts their pods (upstream `pkg/controller/nodelifecycle` and, since 1.29 a controller of
//! its own, `pkg/controller/tainteviction`; here both run as `nodelifecycle`).
//!
//! Unlike the ReplicaSet controller it has no work queue: silence produces no event, so it
//! must look at every node on a timer, `--node-monitor-period`:
//!
//! ```text
//! every monitor period:
//!   for each node (from the Node informer), with its Lease (kube-node-lease/<node>):
//!     health::observe          a new Ready heartbeat or Lease renewTime?  probe := now
//!     health::unknown_conditions   probe older than the grace period?  conditions -> Unknown (PATCH status)
//!     taints::desired_taints   Ready False/Unknown?  not-ready/unreachable taints (PATCH spec.taints)
//!   for each pod bound to a node with NoExecute taints:
//!     taints::eviction         not tolerated: delete now; tolerated for N s: delete N s after the taint
//! ```
//!
//! The decisions are pure ([`health`], [`taints`]); this file reads the caches and writes
//! through the apiserver. "Now" comes from the [`Clock`]; the timer itself is real time.

pub mod health;
pub mod taints;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod, Taint};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use labkit::Clock;
use serde_json::json;

use self::health::{NodeHealth, observe, unknown_conditions};
use self::taints::{Eviction, desired_taints, eviction};
use crate::informer::{Cache, Informer};
use crate::podcontrol::only_this_pod;

/// The namespace of the kubelets' heartbeat Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// The controller's times (kube-controller-manager flags of the same names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `--node-monitor-period`: how often every node is looked at (default 5 s).
    pub monitor_period: Duration,
    /// `--node-monitor-grace-period`: how long a node may stay silent before its status is
    /// `Unknown` (default 50 s since 1.32; 40 s before).
    pub grace_period: Duration,
    /// `--node-startup-grace-period`: the same for a node that never posted `Ready`
    /// (default 60 s).
    pub startup_grace_period: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            monitor_period: health::DEFAULT_MONITOR_PERIOD,
            grace_period: health::DEFAULT_GRACE_PERIOD,
            startup_grace_period: health::DEFAULT_STARTUP_GRACE_PERIOD,
        }
    }
}

/// The controller's caches, what it remembers between passes, and how it writes.
struct NodeLifecycle {
    client: Client,
    clock: Arc<dyn Clock>,
    settings: Settings,
    nodes: Cache<Node>,
    leases: Cache<Lease>,
    pods: Cache<Pod>,
    /// Per node name: when it last showed life.
    health: HashMap<String, NodeHealth>,
    /// Per pod UID: when this controller first saw it on a `NoExecute`-tainted node.
    first_tainted: HashMap<String, SystemTime>,
}

/// Runs the node lifecycle controller until `shutdown` completes: informers on Nodes, node
/// Leases and Pods, then a pass every `settings.monitor_period` once the caches have synced.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let node_informer = Informer::new(Api::<Node>::all(client.clone()));
    let lease_informer = Informer::new(Api::<Lease>::namespaced(
        client.clone(),
        NODE_LEASE_NAMESPACE,
    ));
    let pod_informer = Informer::new(Api::<Pod>::all(client.clone()));
    let mut controller = NodeLifecycle {
        client,
        clock,
        settings,
        nodes: node_informer.cache(),
        leases: lease_informer.cache(),
        pods: pod_informer.cache(),
        health: HashMap::new(),
        first_tainted: HashMap::new(),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let wait = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let informers = tokio::spawn({
        let stopped = stopped.clone();
        async move {
            tokio::join!(
                node_informer.run(wait(stopped.clone())),
                lease_informer.run(wait(stopped.clone())),
                pod_informer.run(wait(stopped))
            );
        }
    });
    let passes = tokio::spawn({
        let mut stopped = stopped.clone();
        async move {
            let period = controller.settings.monitor_period;
            let mut announced = false;
            loop {
                if controller.synced() {
                    if !announced {
                        tracing::info!("node lifecycle controller: caches synced");
                        announced = true;
                    }
                    controller.monitor_nodes().await;
                    controller.evict_pods().await;
                }
                tokio::select! {
                    _ = stopped.changed() => return,
                    () = tokio::time::sleep(period) => {}
                }
            }
        }
    });
    shutdown.await;
    let _ = stop.send(true);
    let _ = informers.await;
    let _ = passes.await;
}

impl NodeLifecycle {
    fn synced(&self) -> bool {
        self.nodes.has_synced() && self.leases.has_synced() && self.pods.has_synced()
    }

    /// One pass over every node (upstream `monitorNodeHealth`): observe, mark `Unknown`,
    /// taint. A failed write is logged and tried again at the next pass.
    async fn monitor_nodes(&mut self) {
        let now = self.clock.now();
        let wall = self.clock.wall();
        let nodes = self.nodes.list();
        self.health.retain(|name, _| {
            nodes
                .iter()
                .any(|node| node.metadata.name.as_deref() == Some(name))
        });
        for node in nodes {
            let name = node.metadata.name.clone().unwrap_or_default();
            let lease = self.leases.get(&format!("{NODE_LEASE_NAMESPACE}/{name}"));
            let health = observe(self.health.get(&name), &node, lease.as_deref(), now);
            let mut node = (*node).clone();
            let settings = &self.settings;
            if let Some(conditions) = unknown_conditions(
                &node,
                &health,
                now,
                wall,
                settings.grace_period,
                settings.startup_grace_period,
            ) {
                tracing::info!(node = %name, "node stopped posting status: marking its conditions Unknown");
                match self.write_conditions(&node, &conditions).await {
                    Ok(updated) => node = updated,
                    Err(error) => {
                        tracing::warn!(node = %name, "cannot update the node's status: {error}");
                        self.health.insert(name, health);
                        continue;
                    }
                }
            }
            self.health.insert(name.clone(), health);
            if let Some(taints) = desired_taints(&node, wall)
                && let Err(error) = self.write_taints(&node, &taints).await
            {
                tracing::warn!(node = %name, "cannot update the node's taints: {error}");
            }
        }
    }

    /// Writes the node's conditions (status subresource), conditional on the version read:
    /// if the kubelet wrote meanwhile, the write fails and the next pass sees its news.
    async fn write_conditions(
        &self,
        node: &Node,
        conditions: &[NodeCondition],
    ) -> Result<Node, kube::Error> {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        let patch = json!({
            "metadata": {"resourceVersion": node.metadata.resource_version},
            "status": {"conditions": conditions},
        });
        Api::<Node>::all(self.client.clone())
            .patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
    }

    /// Writes the node's taints, conditional on the version read.
    async fn write_taints(&self, node: &Node, taints: &[Taint]) -> Result<Node, kube::Error> {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        let keys: Vec<String> = taints
            .iter()
            .map(|t| format!("{}:{}", t.key, t.effect))
            .collect();
        tracing::info!(node = %name, taints = ?keys, "updating the node's taints");
        let patch = json!({
            "metadata": {"resourceVersion": node.metadata.resource_version},
            "spec": {"taints": taints},
        });
        Api::<Node>::all(self.client.clone())
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
    }

    /// One pass of taint-based eviction over the pods bound to nodes (upstream
    /// `tainteviction.Controller`): delete the pods whose time has come. Their controllers
    /// create replacements, which the scheduler keeps off the tainted node.
    async fn evict_pods(&mut self) {
        let wall = self.clock.wall();
        let mut still_tainted = HashMap::new();
        for pod in self.pods.list() {
            let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
                continue;
            };
            if pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let Some(node) = self.nodes.get(node_name) else {
                continue;
            };
            let taints = node
                .spec
                .as_ref()
                .and_then(|spec| spec.taints.as_deref())
                .unwrap_or_default();
            if !taints.iter().any(|taint| taint.effect == "NoExecute") {
                continue;
            }
            let uid = pod.metadata.uid.clone().unwrap_or_default();
            let first_seen = self.first_tainted.get(&uid).copied().unwrap_or(wall);
            still_tainted.insert(uid.clone(), first_seen);
            if eviction(&pod, taints, first_seen, wall) == Eviction::Now {
                self.delete_pod(&pod, node_name).await;
            }
        }
        // Pods gone, or whose node lost its NoExecute taints, start afresh next time.
        self.first_tainted = still_tainted;
    }

    /// Deletes an evicted pod, only the incarnation we looked at (UID precondition).
    async fn delete_pod(&self, pod: &Pod, node_name: &str) {
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        tracing::info!(pod = %format!("{namespace}/{name}"), node = %node_name, "Taint manager: deleting due to NoExecute taint");
        match Api::<Pod>::namespaced(self.client.clone(), namespace)
            .delete(name, &only_this_pod(pod))
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => {}
            Err(error) => tracing::warn!(pod = %name, "cannot evict the pod: {error}"),
        }
    }
}
