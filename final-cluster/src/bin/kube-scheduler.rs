//! `kube-scheduler`: the final cluster's scheduler, lab 04's loop under the real program's name
//! and flag names.
//!
//! ```text
//! kube-scheduler --kubeconfig FILE [--scheduler-name default-scheduler] [--seed 0]
//!                [--disable-preemption]
//! ```
//!
//! The real scheduler reads its profiles from `--config`; ours has the default profile only,
//! so `--scheduler-name` names it (a second scheduler beside the default one is a second process
//! with another name, as in the course's "two schedulers" exercise).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use lab_04::scheduler;
use tracing_subscriber::EnvFilter;

/// The Kubernetes scheduler (the course's, from lab 04).
#[derive(Debug, Parser)]
#[command(name = "kube-scheduler", version, about)]
struct Args {
    /// The kubeconfig of the API server.
    #[arg(long, value_name = "FILE")]
    kubeconfig: PathBuf,
    /// Schedule the pods whose spec.schedulerName is this.
    #[arg(long, default_value = lab_04::queue::DEFAULT_SCHEDULER_NAME)]
    scheduler_name: String,
    /// The seed that breaks ties between equally scored nodes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Never preempt lower-priority pods (the real flag of the same name's meaning).
    #[arg(long)]
    disable_preemption: bool,
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
    let client = lab_03::manager::Config::from_kubeconfig_file(&args.kubeconfig)
        .with_context(|| format!("cannot use --kubeconfig {}", args.kubeconfig.display()))?;
    let config = scheduler::Config {
        client,
        scheduler_name: args.scheduler_name,
        seed: args.seed,
        preemption: !args.disable_preemption,
    };
    scheduler::run(config, lab_02::server::shutdown_signal())
        .await
        .context("kube-scheduler failed")
}
