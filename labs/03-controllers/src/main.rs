//! `lab-03`: the command line of lab 03, a thin shell over the `lab_03` library.
//!
//! ```text
//! cargo run -p lab-03 -- controller-manager --kubeconfig FILE [--controllers replicaset,...]
//!     [--cluster-cidr 10.244.0.0/16] [--node-cidr-mask-size 24]
//!     [--leader-elect] [--node-monitor-grace-period 50s] ...
//! cargo run -p lab-03 -- hollow-nodes --kubeconfig FILE --count N [--ready-after 1s]
//!     [--name-prefix hollow-node-]
//! ```
//!
//! Both run until Ctrl-C or SIGTERM. Set `RUST_LOG=info` to see what the controllers do. Exit
//! codes: 0 after a clean stop, 2 for bad input (bad flags, an unreadable kubeconfig, an
//! unknown controller), with a one-line message; 1 when leader election is lost (upstream
//! exits too, and its supervisor starts it again as a candidate). An apiserver that is down is
//! not bad input: the controllers log it and keep retrying.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lab_03::flags::{ManagerFlags, parse_duration};
use lab_03::hollow::{self, HollowConfig};
use lab_03::manager::{self, Config, ManagerError};
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
    ControllerManager(ManagerFlags),
    /// Run N fake kubelets (kubemark's hollow nodes) until Ctrl-C: they register, send
    /// heartbeats and run pods as state only.
    HollowNodes {
        /// The kubeconfig of the apiserver.
        #[arg(long, value_name = "FILE")]
        kubeconfig: PathBuf,
        /// How many nodes.
        #[arg(long, value_name = "N")]
        count: usize,
        /// How long a pod runs before it is Ready (500ms, 1s, 2m).
        #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
        ready_after: Duration,
        /// Node names are this prefix and a number from 0.
        #[arg(long, value_name = "PREFIX", default_value = "hollow-node-")]
        name_prefix: String,
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
    let flags = match cli.command {
        Command::ControllerManager(flags) => flags,
        Command::HollowNodes {
            kubeconfig,
            count,
            ready_after,
            name_prefix,
        } => {
            let mut hollow = HollowConfig::new(count);
            hollow.ready_after = ready_after;
            hollow.name_prefix = name_prefix;
            return hollow_nodes(&kubeconfig, &hollow);
        }
    };
    let config = match flags.into_config() {
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
        Err(error) if matches!(error.downcast_ref(), Some(ManagerError::LeaderElectionLost)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// `hollow-nodes`: N fake kubelets in this process.
fn hollow_nodes(kubeconfig: &std::path::Path, hollow: &HollowConfig) -> ExitCode {
    if hollow.count > lab_03::hollow::nodes::MAX_NODES {
        eprintln!(
            "error: --count {} is more than {} hollow nodes per process",
            hollow.count,
            lab_03::hollow::nodes::MAX_NODES
        );
        return ExitCode::from(2);
    }
    let config = match Config::from_kubeconfig_file(kubeconfig) {
        Ok(config) => config,
        Err(error) => {
            let message = error.to_string();
            eprintln!("error: {}", message.lines().next().unwrap_or_default());
            return ExitCode::from(2);
        }
    };
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            runtime.block_on(async {
                let client = config.client().await?;
                hollow::run(client, hollow, shutdown_signal()).await?;
                anyhow::Ok(())
            })
        });
    match result {
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
