//! The controller-manager: one process that runs the chosen controllers against one apiserver
//! (upstream `kube-controller-manager --controllers=...`).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config as ClientConfig};
use labkit::{Clock, SystemClock};

use crate::endpoints::controller as endpoints;
use crate::leaderelection::{ElectionConfig, LeaderElector};
use crate::nodeipam::cidr::{Cidr, CidrSet, DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_MASK};
use crate::{
    cronjob, daemonset, deployment, garbagecollector, job, namespace, nodeipam, nodelifecycle,
    replicaset, serviceaccount, statefulset,
};

/// The controllers this lab has, by their `--controllers` name.
pub const CONTROLLERS: &[&str] = &[
    "cronjob",
    "daemonset",
    "deployment",
    "endpoint",
    "endpointslice",
    "garbagecollector",
    "job",
    "namespace",
    "nodeipam",
    "nodelifecycle",
    "replicaset",
    "serviceaccount",
    "statefulset",
];

/// Why the controller-manager could not start.
#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    /// The kubeconfig could not be read or parsed.
    #[error("cannot read the kubeconfig {path}: {source}")]
    Kubeconfig {
        /// The file.
        path: String,
        /// What went wrong.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The kubeconfig does not describe a usable client.
    #[error("cannot use the kubeconfig: {0}")]
    Client(String),
    /// The cluster CIDR and the node mask size do not fit together.
    #[error("bad --cluster-cidr / --node-cidr-mask-size: {0}")]
    Cidr(#[from] crate::nodeipam::cidr::CidrError),
    /// A controller name this lab does not have.
    #[error("unknown controller {0:?} (known: {known})", known = CONTROLLERS.join(", "))]
    UnknownController(String),
    /// Times that cannot work together (client-go's checks: the lease duration must exceed
    /// the renew deadline, which must exceed the retry period; no period may be zero).
    #[error("{0}")]
    InvalidTimes(String),
    /// The leader could not renew its Lease within the renew deadline: it stopped its
    /// controllers (upstream exits; a supervisor restarts it as a candidate).
    #[error("leader election lost")]
    LeaderElectionLost,
}

/// What to run and against which apiserver.
#[derive(Clone)]
pub struct Config {
    /// Where the apiserver is (a parsed kubeconfig).
    pub kubeconfig: Kubeconfig,
    /// The controllers to run (names from [`CONTROLLERS`]).
    pub controllers: Vec<String>,
    /// Workers per controller.
    pub workers: usize,
    /// The clock (tests may pass a fake one).
    pub clock: Arc<dyn Clock>,
    /// The pod network node IPAM cuts into blocks (`--cluster-cidr`, default 10.244.0.0/16).
    pub cluster_cidr: Cidr,
    /// The prefix length of each node's block (`--node-cidr-mask-size`, default 24).
    pub node_cidr_mask_size: u8,
    /// The node lifecycle controller's times.
    pub node_lifecycle: nodelifecycle::Settings,
    /// `--leader-elect`: compete for the Lease and run the controllers only while holding
    /// it. `None` (this lab's default) runs them at once; upstream's default is to elect.
    pub leader_election: Option<ElectionConfig>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("controllers", &self.controllers)
            .field("workers", &self.workers)
            .field("cluster_cidr", &self.cluster_cidr)
            .field("node_cidr_mask_size", &self.node_cidr_mask_size)
            .field("node_lifecycle", &self.node_lifecycle)
            .field("leader_election", &self.leader_election)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Every controller, upstream's worker count, the system clock.
    pub fn new(kubeconfig: Kubeconfig) -> Self {
        Config {
            kubeconfig,
            controllers: CONTROLLERS.iter().map(|name| (*name).to_owned()).collect(),
            workers: replicaset::DEFAULT_WORKERS,
            clock: Arc::new(SystemClock),
            cluster_cidr: DEFAULT_CLUSTER_CIDR,
            node_cidr_mask_size: DEFAULT_NODE_MASK,
            node_lifecycle: nodelifecycle::Settings::default(),
            leader_election: None,
        }
    }

    /// Reads the kubeconfig at `path`.
    pub fn from_kubeconfig_file(path: &Path) -> Result<Self, ManagerError> {
        let kubeconfig =
            Kubeconfig::read_from(path).map_err(|source| ManagerError::Kubeconfig {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Config::new(kubeconfig))
    }

    /// Parses a kubeconfig given as YAML text.
    pub fn from_kubeconfig_yaml(yaml: &str) -> Result<Self, ManagerError> {
        let kubeconfig =
            Kubeconfig::from_yaml(yaml).map_err(|source| ManagerError::Kubeconfig {
                path: "(inline)".to_owned(),
                source,
            })?;
        Ok(Config::new(kubeconfig))
    }

    /// Checks the controller names and the times.
    pub fn validate(&self) -> Result<(), ManagerError> {
        let invalid = |message: &str| Err(ManagerError::InvalidTimes(message.to_owned()));
        if self.node_lifecycle.monitor_period.is_zero() {
            return invalid("--node-monitor-period must be greater than zero");
        }
        if let Some(election) = &self.leader_election {
            if election.lease_duration <= election.renew_deadline {
                return invalid(
                    "--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline",
                );
            }
            if election.renew_deadline <= election.retry_period || election.retry_period.is_zero() {
                return invalid(
                    "--leader-elect-renew-deadline must be greater than --leader-elect-retry-period, which must be greater than zero",
                );
            }
        }
        match self
            .controllers
            .iter()
            .find(|name| !CONTROLLERS.contains(&name.as_str()))
        {
            Some(unknown) => Err(ManagerError::UnknownController(unknown.clone())),
            None => {
                CidrSet::new(self.cluster_cidr, self.node_cidr_mask_size)?;
                Ok(())
            }
        }
    }

    /// A client for the kubeconfig's current context.
    pub async fn client(&self) -> Result<Client, ManagerError> {
        let config = ClientConfig::from_custom_kubeconfig(
            self.kubeconfig.clone(),
            &KubeConfigOptions::default(),
        )
        .await
        .map_err(|error| ManagerError::Client(error.to_string()))?;
        Client::try_from(config).map_err(|error| ManagerError::Client(error.to_string()))
    }
}

// ANCHOR: run
/// Runs the configured controllers until `shutdown` completes. An apiserver that cannot be
/// reached is not an error: the informers log it and retry with back-off.
///
/// With leader election, the controllers start only once this process holds the Lease, and
/// stop when it cannot renew it ([`ManagerError::LeaderElectionLost`]); a clean shutdown
/// releases the Lease so another candidate takes over at once.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ManagerError> {
    config.validate()?;
    let client = config.client().await?;
    let Some(election) = config.leader_election.clone() else {
        run_controllers(config, client, shutdown).await;
        return Ok(());
    };
    tokio::pin!(shutdown);
    let mut elector = LeaderElector::new(client.clone(), election, config.clock.clone());
    if !elector.acquire(shutdown.as_mut()).await {
        return Ok(());
    }
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let controllers = tokio::spawn(run_controllers(config, client, async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    }));
    let lost = tokio::select! {
        () = shutdown.as_mut() => false,
        () = elector.renew_until_lost() => true,
    };
    let _ = stop.send(true);
    let _ = controllers.await;
    if lost {
        return Err(ManagerError::LeaderElectionLost);
    }
    elector.release().await;
    Ok(())
}
// ANCHOR_END: run

/// Runs the configured controllers until `shutdown` completes.
async fn run_controllers(
    config: Config,
    client: kube::Client,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    for name in &config.controllers {
        let mut stopped = stopped.clone();
        let until = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        tracing::info!(controller = %name, "starting");
        match name.as_str() {
            "cronjob" => {
                tasks.spawn(cronjob::run(
                    client.clone(),
                    config.clock.clone(),
                    cronjob::DEFAULT_WORKERS,
                    until,
                ));
            }
            "daemonset" => {
                tasks.spawn(daemonset::run(
                    client.clone(),
                    config.clock.clone(),
                    daemonset::DEFAULT_WORKERS,
                    until,
                ));
            }
            "job" => {
                tasks.spawn(job::run(
                    client.clone(),
                    config.clock.clone(),
                    job::DEFAULT_WORKERS,
                    until,
                ));
            }
            "nodelifecycle" => {
                tasks.spawn(nodelifecycle::run(
                    client.clone(),
                    config.clock.clone(),
                    config.node_lifecycle.clone(),
                    until,
                ));
            }
            "deployment" => {
                tasks.spawn(deployment::run(
                    client.clone(),
                    config.clock.clone(),
                    config.workers,
                    until,
                ));
            }
            "endpoint" => {
                tasks.spawn(endpoints::run_endpoints(
                    client.clone(),
                    config.clock.clone(),
                    endpoints::DEFAULT_WORKERS,
                    until,
                ));
            }
            "endpointslice" => {
                tasks.spawn(endpoints::run_endpointslices(
                    client.clone(),
                    config.clock.clone(),
                    endpoints::DEFAULT_WORKERS,
                    until,
                ));
            }
            "garbagecollector" => {
                tasks.spawn(garbagecollector::run(
                    client.clone(),
                    config.clock.clone(),
                    garbagecollector::DEFAULT_WORKERS,
                    until,
                ));
            }
            "namespace" => {
                tasks.spawn(namespace::run(
                    client.clone(),
                    config.clock.clone(),
                    namespace::DEFAULT_WORKERS,
                    until,
                ));
            }
            "nodeipam" => {
                let run = nodeipam::run(
                    client.clone(),
                    config.clock.clone(),
                    config.cluster_cidr,
                    config.node_cidr_mask_size,
                    until,
                );
                tasks.spawn(async move {
                    if let Err(error) = run.await {
                        tracing::error!("node IPAM cannot start: {error}");
                    }
                });
            }
            "replicaset" => {
                tasks.spawn(replicaset::run(
                    client.clone(),
                    config.clock.clone(),
                    config.workers,
                    until,
                ));
            }
            "serviceaccount" => {
                tasks.spawn(serviceaccount::run(
                    client.clone(),
                    config.clock.clone(),
                    serviceaccount::DEFAULT_WORKERS,
                    until,
                ));
            }
            "statefulset" => {
                tasks.spawn(statefulset::run(
                    client.clone(),
                    config.clock.clone(),
                    statefulset::DEFAULT_WORKERS,
                    until,
                ));
            }
            _ => {}
        }
    }
    shutdown.await;
    let _ = stop.send(true);
    while tasks.join_next().await.is_some() {}
}
