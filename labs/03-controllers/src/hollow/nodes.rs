//! N hollow nodes in one process, sharing one client and one pod informer.
//!
//! Why one informer over all pods rather than each node's own `fieldSelector=spec.nodeName=`
//! watch: with N nodes, N watches make the apiserver test every pod event against N filters
//! and keep N streams open; one watch moves each event once, and routing it to its node is
//! one hash lookup here. The cache holds every pod once, which is what the N caches would
//! hold together anyway (a pod is bound to at most one node). A real kubelet cannot do this
//! (it must not see other nodes' pods, and it is one process per machine); a simulator can.

use std::collections::HashMap;
use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use labkit::{Clock, SystemClock};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::HollowRuntime;
use crate::informer::Informer;
use crate::kubelet::{self, Kubelet, RuntimeError};

/// The most hollow nodes one process runs: each gets a /24 of pods out of 10.128.0.0/9.
pub const MAX_NODES: usize = 32_768;

/// How many hollow nodes, and how they behave.
#[derive(Clone)]
pub struct HollowConfig {
    /// How many nodes.
    pub count: usize,
    /// Node names are this prefix and 0..count (`hollow-node-0`, ...).
    pub name_prefix: String,
    /// How long a pod runs before it is Ready.
    pub ready_after: Duration,
    /// Each node's `capacity.cpu`.
    pub cpu: String,
    /// Each node's `capacity.memory`.
    pub memory: String,
    /// Each node's `capacity.pods`.
    pub max_pods: u32,
    /// How often each node renews its Lease (upstream 10 s).
    pub lease_renew_interval: Duration,
    /// How often each node computes its status (upstream 10 s).
    pub node_status_update_frequency: Duration,
    /// How often timed work looks at the clock.
    pub tick: Duration,
    /// The clock of heartbeats.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for HollowConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HollowConfig")
            .field("count", &self.count)
            .field("name_prefix", &self.name_prefix)
            .field("ready_after", &self.ready_after)
            .finish_non_exhaustive()
    }
}

impl HollowConfig {
    /// `count` nodes named `hollow-node-<i>`, pods Ready after 1 s, 4 CPUs and 16 GiB each,
    /// upstream's heartbeat periods.
    pub fn new(count: usize) -> Self {
        HollowConfig {
            count,
            name_prefix: "hollow-node-".to_owned(),
            ready_after: Duration::from_secs(1),
            cpu: "4".to_owned(),
            memory: "16Gi".to_owned(),
            max_pods: 110,
            lease_renew_interval: Duration::from_secs(10),
            node_status_update_frequency: Duration::from_secs(10),
            tick: Duration::from_secs(1),
            clock: Arc::new(SystemClock),
        }
    }

    /// The kubelet settings of node `index`: `<prefix><index>` at 10.64.0.0 + index + 1.
    pub fn kubelet_config(&self, client: Client, index: usize) -> kubelet::Config {
        let mut config = kubelet::Config::new(client, format!("{}{index}", self.name_prefix));
        let offset = u32::try_from(index).unwrap_or(u32::MAX).saturating_add(1);
        config.node_ip =
            Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 64, 0, 0)).saturating_add(offset)).into();
        config.cpu = self.cpu.clone();
        config.memory = self.memory.clone();
        config.max_pods = self.max_pods;
        config.runtime_version = "hollow://0.1.0".to_owned();
        config.lease_renew_interval = self.lease_renew_interval;
        config.node_status_update_frequency = self.node_status_update_frequency;
        config.tick = self.tick;
        config.workers = 1;
        config.clock = self.clock.clone();
        config
    }
}

/// The pod network of node `index`: 10.128.0.0/9 cut into /24s.
fn pod_network(index: usize) -> Ipv4Addr {
    let index = u32::try_from(index % MAX_NODES).unwrap_or(0);
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 128, 0, 0)) + (index << 8))
}

/// Running hollow nodes. Dropping it leaves them running until the runtime ends; call
/// [`HollowNodes::stop`] to stop them.
#[derive(Debug)]
pub struct HollowNodes {
    names: Vec<String>,
    kubelets: Arc<HashMap<String, Arc<Kubelet>>>,
    stops: HashMap<String, watch::Sender<bool>>,
    tasks: Vec<JoinHandle<()>>,
}

// ANCHOR: start
/// Starts `config.count` hollow nodes on the current tokio runtime: one pod informer over every
/// pod whose changes go to the node named in `spec.nodeName`, and one [`Kubelet`] with its own
/// [`HollowRuntime`] per node. Returns at once; the nodes register in the background.
pub fn start(client: &Client, config: &HollowConfig) -> Result<HollowNodes, RuntimeError> {
    // BEGIN SOLUTION step-8: one Kubelet (own HollowRuntime, pod network of its index) per node over the shared informer cache, in a map by name; one informer handler routing each change to the kubelet of the pod's spec.nodeName; spawn the informer and every kubelet's run, each node with its own stop signal
    if config.count > MAX_NODES {
        return Err(RuntimeError(format!(
            "at most {MAX_NODES} hollow nodes per process"
        )));
    }
    let mut informer = Informer::new(Api::<Pod>::all(client.clone()));
    let mut kubelets = HashMap::new();
    let mut names = Vec::with_capacity(config.count);
    for index in 0..config.count {
        let node = config.kubelet_config(client.clone(), index);
        let runtime = HollowRuntime::new(config.ready_after, pod_network(index))?;
        names.push(node.node_name.clone());
        kubelets.insert(
            node.node_name.clone(),
            Kubelet::new(node, Arc::new(runtime), informer.cache()),
        );
    }
    let kubelets = Arc::new(kubelets);
    let routes = kubelets.clone();
    informer.on_change(move |change| {
        let pod = match change {
            crate::informer::Change::Added(pod) | crate::informer::Change::Deleted(pod) => pod,
            crate::informer::Change::Updated { new, .. } => new,
        };
        let node = pod.spec.as_ref().and_then(|spec| spec.node_name.as_deref());
        if let Some(kubelet) = node.and_then(|node| routes.get(node)) {
            kubelet.pod_changed(change);
        }
    });
    let (informer_stop, informer_stopped) = watch::channel(false);
    let mut stops = HashMap::new();
    let mut tasks = vec![tokio::spawn(informer.run(until(informer_stopped)))];
    for (name, kubelet) in kubelets.iter() {
        let (stop, stopped) = watch::channel(false);
        stops.insert(name.clone(), stop);
        tasks.push(tokio::spawn(kubelet.clone().run(until(stopped))));
    }
    stops.insert(String::new(), informer_stop);
    Ok(HollowNodes {
        names,
        kubelets,
        stops,
        tasks,
    })
    // END SOLUTION
}
// ANCHOR_END: start

/// Runs hollow nodes until `shutdown` completes (the `hollow-nodes` command).
pub async fn run(
    client: Client,
    config: &HollowConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RuntimeError> {
    let nodes = start(&client, config)?;
    tracing::info!(count = config.count, prefix = %config.name_prefix, "hollow nodes started");
    shutdown.await;
    nodes.stop().await;
    Ok(())
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

impl HollowNodes {
    /// The nodes' names, by index.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The kubelet of node `name`.
    pub fn kubelet(&self, name: &str) -> Option<&Arc<Kubelet>> {
        self.kubelets.get(name)
    }

    /// How many nodes have registered so far (a benchmark waits for all of them).
    pub fn registered(&self) -> usize {
        self.kubelets
            .values()
            .filter(|kubelet| kubelet.is_registered())
            .count()
    }

    /// Kills node `name` as a crashed machine dies: its heartbeats and pod syncs stop, its
    /// pods stay where they are in the API. Returns whether there was such a node.
    pub fn kill(&self, name: &str) -> bool {
        if name.is_empty() {
            return false;
        }
        self.stops
            .get(name)
            .is_some_and(|stop| stop.send(true).is_ok())
    }

    /// Stops every node and the informer, and waits for them.
    pub async fn stop(self) {
        for stop in self.stops.values() {
            let _ = stop.send(true);
        }
        for kubelet in self.kubelets.values() {
            kubelet.stop_all_pods();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
