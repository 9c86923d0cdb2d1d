//! `lab-03`: the command line of lab 03, a thin shell over the `lab_03` library.
//!
//! ```text
//! cargo run -p lab-03 -- controller-manager --kubeconfig FILE [--controllers replicaset,...]
//!                        [--cluster-cidr 10.244.0.0/16] [--node-cidr-mask-size 24]
//! ```
//!
//! It runs until Ctrl-C or SIGTERM. Set `RUST_LOG=info` to see what the controllers do. Exit
//! codes: 0 after a clean stop, 2 for bad input (bad flags, an unreadable kubeconfig, an
//! unknown controller), with a one-line message. An apiserver that is down is not bad input:
//! the controllers log it and keep retrying.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lab_03::manager::{self, Config};
use tracing_subscriber::EnvFilter;

/// Kubernetes controllers (lab 03 of the course).
#[derive(Debug, Parser)]
#[command(name = "lab-03", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run controllers against an apiserver until Ctrl-C.
    ControllerManager {
        /// The kubeconfig of the apiserver (lab-02 writes one with --write-kubeconfig).
        #[arg(long, value_name = "FILE")]
        kubeconfig: PathBuf,
        /// The controllers to run, comma-separated (default: all of them).
        #[arg(long, value_name = "NAMES", value_delimiter = ',')]
        controllers: Option<Vec<String>>,
        /// Workers per controller.
        #[arg(long, default_value_t = lab_03::replicaset::DEFAULT_WORKERS)]
        workers: usize,
        /// The pod network node IPAM gives each node a block of.
        #[arg(long, value_name = "CIDR", default_value_t = lab_03::nodeipam::cidr::DEFAULT_CLUSTER_CIDR)]
        cluster_cidr: lab_03::nodeipam::cidr::Cidr,
        /// The prefix length of each node's block (`spec.podCIDR`).
        #[arg(long, value_name = "BITS", default_value_t = lab_03::nodeipam::cidr::DEFAULT_NODE_MASK)]
        node_cidr_mask_size: u8,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::ControllerManager {
        kubeconfig,
        controllers,
        workers,
        cluster_cidr,
        node_cidr_mask_size,
    } = cli.command;
    let config = Config::from_kubeconfig_file(&kubeconfig).and_then(|mut config| {
        if let Some(controllers) = controllers {
            config.controllers = controllers;
        }
        config.workers = workers;
        config.cluster_cidr = cluster_cidr;
        config.node_cidr_mask_size = node_cidr_mask_size;
        config.validate()?;
        Ok(config)
    });
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            // One line: a YAML parser's error adds a picture of the bad line below it.
            let message = error.to_string();
            eprintln!("error: {}", message.lines().next().unwrap_or_default());
            return ExitCode::from(2);
        }
    };
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(manager::run(config, shutdown_signal()))?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
