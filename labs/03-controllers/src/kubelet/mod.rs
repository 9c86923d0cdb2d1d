//! The kubelet's loop: the agent on every node that turns "pods bound to my node" into running
//! pods and reports back (upstream `pkg/kubelet`, reduced to its control loops).
//!
//! ```text
//!            ┌─ register the Node (create, or adopt the existing one)
//!  start ────┼─ heartbeats: Lease renewed every 10 s, Node status on change or every 5 min
//!            ├─ pod informer: pods?fieldSelector=spec.nodeName=<node> ─┐
//!            └─ static pods: manifests in --pod-manifest-path ─────────┼─> queue of pod keys
//!                                                                      │
//!   runtime reports (status, finished) ────────────────────────────────┘
//!
//!   sync(key): wanted pod vs record ─> decide ─> Start / Stop / WriteStatus / Delete / Forget
//!              static pod ─> its mirror pod in the API (create, replace, delete)
//! ```
//!
//! The runtime is a [`PodRuntime`]: lab 01 in the final cluster, [`crate::hollow`] for hollow
//! nodes, a recording fake in tests. The pieces: [`decide`] (the pure decision per pod),
//! [`node`] (the Node object), [`heartbeat`] (the Lease), [`static_pods`] (manifests and
//! mirror pods), [`Kubelet`] (the loop).

mod agent;
pub mod decide;
pub mod heartbeat;
pub mod node;
pub mod runtime;
mod source;
pub mod static_pods;
mod sync;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use labkit::{Clock, SystemClock};

pub use self::agent::Kubelet;
pub use self::runtime::{PodReport, PodRuntime, RuntimeError, StatusReporter};
pub use self::source::NodePods;

/// A kubelet's settings (upstream `KubeletConfiguration` and flags, the part this lab has).
#[derive(Clone)]
pub struct Config {
    /// The apiserver (hollow nodes share one client).
    pub client: Client,
    /// `--node-name`: the Node's name.
    pub node_name: String,
    /// `--node-ip`: the `InternalIP` address; the apiserver reaches the kubelet there.
    pub node_ip: IpAddr,
    /// `--hostname-override`: the `Hostname` address and the `kubernetes.io/hostname` label.
    pub hostname: String,
    /// `--port`: `status.daemonEndpoints.kubeletEndpoint.Port` (10250).
    pub kubelet_port: u16,
    /// `capacity.cpu` (a quantity: "2", "500m").
    pub cpu: String,
    /// `capacity.memory` (a quantity: "4Gi").
    pub memory: String,
    /// `--max-pods`: `capacity.pods` (110).
    pub max_pods: u32,
    /// `--node-labels`: added to the standard labels.
    pub labels: BTreeMap<String, String>,
    /// `status.nodeInfo.containerRuntimeVersion`.
    pub runtime_version: String,
    /// The Lease's `leaseDurationSeconds` (`--node-lease-duration-seconds`, 40).
    pub lease_duration_seconds: i32,
    /// How often the Lease is renewed (upstream: a quarter of the duration, 10 s).
    pub lease_renew_interval: Duration,
    /// How often the node status is computed (`nodeStatusUpdateFrequency`, 10 s).
    pub node_status_update_frequency: Duration,
    /// How often an unchanged node status is still written (`nodeStatusReportFrequency`, 5 min).
    pub node_status_report_frequency: Duration,
    /// `--pod-manifest-path`: the static pod directory.
    pub pod_manifest_path: Option<PathBuf>,
    /// How often that directory is read (`--file-check-frequency`, 20 s).
    pub file_check_frequency: Duration,
    /// Pod workers of this node (syncs of different pods run in parallel).
    pub workers: usize,
    /// How often timed work (heartbeats) looks at the clock.
    pub tick: Duration,
    /// The clock (tests pass a fake one to move heartbeats on).
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("node_name", &self.node_name)
            .field("node_ip", &self.node_ip)
            .field("pod_manifest_path", &self.pod_manifest_path)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Upstream's defaults for node `node_name`, at 127.0.0.1, with 2 CPUs and 4 GiB.
    pub fn new(client: Client, node_name: impl Into<String>) -> Self {
        let node_name = node_name.into();
        Config {
            client,
            hostname: node_name.clone(),
            node_name,
            node_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            kubelet_port: 10250,
            cpu: "2".to_owned(),
            memory: "4Gi".to_owned(),
            max_pods: 110,
            labels: BTreeMap::new(),
            runtime_version: "lab://0.1.0".to_owned(),
            lease_duration_seconds: 40,
            lease_renew_interval: Duration::from_secs(10),
            node_status_update_frequency: Duration::from_secs(10),
            node_status_report_frequency: Duration::from_secs(300),
            pod_manifest_path: None,
            file_check_frequency: Duration::from_secs(20),
            workers: 4,
            tick: Duration::from_secs(1),
            clock: Arc::new(SystemClock),
        }
    }
}

/// Runs a kubelet for `config.node_name` until `shutdown` completes: registers the node, sends
/// heartbeats, runs the pods bound to it (and the static pods) on `runtime`, and writes their
/// status back. An apiserver that cannot be reached is logged and retried with back-off.
/// Pods still running at shutdown are asked to stop.
pub async fn run(
    config: Config,
    runtime: Arc<dyn PodRuntime>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let source = NodePods::new(config.client.clone(), &config.node_name);
    let mut informer = crate::informer::Informer::new(source);
    let kubelet = Kubelet::new(config, runtime, informer.cache());
    let handler = kubelet.clone();
    informer.on_change(move |change| handler.pod_changed(change));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let informer = tokio::spawn(informer.run(until(stopped.clone())));
    let agent = tokio::spawn(kubelet.clone().run(until(stopped)));
    shutdown.await;
    let _ = stop.send(true);
    let _ = informer.await;
    let _ = agent.await;
    kubelet.stop_all_pods();
}
