//! `kube-controller-manager`: the final cluster's controllers, lab 03's manager under the real
//! program's name and flag names (the same flags as `lab-03 controller-manager`).
//!
//! ```text
//! kube-controller-manager --kubeconfig FILE [--controllers replicaset,deployment,...]
//!     [--cluster-cidr 10.244.0.0/16] [--node-cidr-mask-size 24]
//!     [--leader-elect] [--node-monitor-grace-period 50s] ...
//! ```

use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use lab_03::flags::ManagerFlags;
use lab_03::manager;
use tracing_subscriber::EnvFilter;

/// The Kubernetes controller manager (the course's, from lab 03).
#[derive(Debug, Parser)]
#[command(name = "kube-controller-manager", version, about)]
struct Args {
    #[command(flatten)]
    flags: ManagerFlags,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Args::parse().flags.into_config()?;
    manager::run(config, lab_02::server::shutdown_signal())
        .await
        .context("kube-controller-manager failed")
}
