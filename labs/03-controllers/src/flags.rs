//! The controller-manager's command-line flags, with upstream's names and defaults, shared by
//! `lab-03 controller-manager` and the final cluster's `kube-controller-manager`.

use std::path::PathBuf;
use std::time::Duration;

use crate::leaderelection::{ElectionConfig, decide, default_identity};
use crate::manager::{Config, ManagerError};
use crate::nodeipam::cidr::{Cidr, DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_MASK};
use crate::nodelifecycle::health;

/// Every flag of the controller-manager.
#[derive(Debug, clap::Args)]
pub struct ManagerFlags {
    /// The kubeconfig of the apiserver (lab-02 writes one with --write-kubeconfig).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: PathBuf,
    /// The controllers to run, comma-separated (default: all of them).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub controllers: Option<Vec<String>>,
    /// Workers per controller.
    #[arg(long, default_value_t = crate::replicaset::DEFAULT_WORKERS)]
    pub workers: usize,
    /// The pod network node IPAM gives each node a block of.
    #[arg(long, value_name = "CIDR", default_value_t = DEFAULT_CLUSTER_CIDR)]
    pub cluster_cidr: Cidr,
    /// The prefix length of each node's block (`spec.podCIDR`).
    #[arg(long, value_name = "BITS", default_value_t = DEFAULT_NODE_MASK)]
    pub node_cidr_mask_size: u8,
    /// Node lifecycle and leader election times.
    #[command(flatten)]
    pub times: Times,
}

impl ManagerFlags {
    /// The manager's configuration: the kubeconfig read, the flags applied and checked.
    pub fn into_config(self) -> Result<Config, ManagerError> {
        let mut config = Config::from_kubeconfig_file(&self.kubeconfig)?;
        if let Some(controllers) = self.controllers {
            config.controllers = controllers;
        }
        config.workers = self.workers;
        config.cluster_cidr = self.cluster_cidr;
        config.node_cidr_mask_size = self.node_cidr_mask_size;
        self.times.apply(&mut config);
        config.validate()?;
        Ok(config)
    }
}

/// The node lifecycle controller's and the leader election's flags, with upstream's names
/// and defaults (durations as Go writes them: `50s`, `1m0s`, `500ms`).
#[derive(Debug, clap::Args)]
pub struct Times {
    /// How often the node lifecycle controller looks at every node.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub node_monitor_period: Duration,
    /// How long a node may go without renewing its Lease before it is marked Unknown.
    #[arg(long, value_name = "DURATION", default_value = "50s", value_parser = parse_duration)]
    pub node_monitor_grace_period: Duration,
    /// The same for a node that never posted a Ready condition.
    #[arg(long, value_name = "DURATION", default_value = "1m0s", value_parser = parse_duration)]
    pub node_startup_grace_period: Duration,
    /// Elect a leader with the Lease kube-system/kube-controller-manager before running
    /// controllers (upstream's default is true; this lab's is false).
    #[arg(long)]
    pub leader_elect: bool,
    /// How long candidates wait after the leader's last renewal before taking over.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub leader_elect_lease_duration: Duration,
    /// How long the leader keeps trying to renew before it gives up leadership.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub leader_elect_renew_deadline: Duration,
    /// The pause between two attempts to acquire or renew.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub leader_elect_retry_period: Duration,
}

impl Times {
    /// Puts the flags into the manager's configuration.
    pub fn apply(&self, config: &mut Config) {
        config.node_lifecycle = crate::nodelifecycle::Settings {
            monitor_period: self.node_monitor_period,
            grace_period: self.node_monitor_grace_period,
            startup_grace_period: self.node_startup_grace_period,
        };
        config.leader_election = self.leader_elect.then(|| ElectionConfig {
            lease_duration: self.leader_elect_lease_duration,
            renew_deadline: self.leader_elect_renew_deadline,
            retry_period: self.leader_elect_retry_period,
            ..ElectionConfig::new(default_identity())
        });
    }
}

// The defaults above are upstream's; keep them in one place with the library's constants.
const _: () = {
    assert!(health::DEFAULT_GRACE_PERIOD.as_secs() == 50);
    assert!(decide::DEFAULT_LEASE_DURATION.as_secs() == 15);
};

/// Parses a Go duration: one or more `<number><unit>` with units `h`, `m`, `s`, `ms`
/// (`1m30s`, `500ms`, `50s`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?} (examples: 50s, 1m0s, 500ms)");
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "h" => Duration::from_secs(3600),
            "m" => Duration::from_secs(60),
            "s" => Duration::from_secs(1),
            "ms" => Duration::from_millis(1),
            _ => return Err(bad()),
        };
        total += unit * u32::try_from(number).map_err(|_| bad())?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}
