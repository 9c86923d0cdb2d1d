//! `kube-controller-manager`: the final cluster's controllers, lab 03's manager under the real
//! program's name and flag names.
//!
//! ```text
//! kube-controller-manager --kubeconfig FILE [--controllers replicaset,deployment,...]
//! ```

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use lab_03::manager::{self, Config};
use tracing_subscriber::EnvFilter;

/// The Kubernetes controller manager (the course's, from lab 03).
#[derive(Debug, Parser)]
#[command(name = "kube-controller-manager", version, about)]
struct Args {
    /// The kubeconfig of the API server.
    #[arg(long, value_name = "FILE")]
    kubeconfig: PathBuf,
    /// The controllers to run, comma-separated (default: all of them).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    controllers: Option<Vec<String>>,
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
    let args = Args::parse();
    let mut config = Config::from_kubeconfig_file(&args.kubeconfig)
        .with_context(|| format!("cannot use --kubeconfig {}", args.kubeconfig.display()))?;
    if let Some(controllers) = args.controllers {
        config.controllers = controllers;
    }
    config.validate()?;
    manager::run(config, lab_02::server::shutdown_signal())
        .await
        .context("kube-controller-manager failed")
}
