//! `lab-03`: the command line of lab 03, a thin shell over the `lab_03` library.
//!
//! ```text
//! cargo run -p lab-03 -- controller-manager --kubeconfig FILE [--controllers replicaset,...]
//!     [--leader-elect] [--node-monitor-grace-period 50s] ...
//! ```
//!
//! It runs until Ctrl-C or SIGTERM. Set `RUST_LOG=info` to see what the controllers do. Exit
//! codes: 0 after a clean stop, 2 for bad input (bad flags, an unreadable kubeconfig, an
//! unknown controller), with a one-line message; 1 when leader election is lost (upstream
//! exits too, and its supervisor starts it again as a candidate). An apiserver that is down is not bad input:
//! the controllers log it and keep retrying.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lab_03::leaderelection::{ElectionConfig, decide, default_identity};
use lab_03::manager::{self, Config, ManagerError};
use lab_03::nodelifecycle::health;
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
        #[command(flatten)]
        times: Times,
    },
}

/// The node lifecycle controller's and the leader election's flags, with upstream's names
/// and defaults (durations as Go writes them: `50s`, `1m0s`, `500ms`).
#[derive(Debug, clap::Args)]
struct Times {
    /// How often the node lifecycle controller looks at every node.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    node_monitor_period: Duration,
    /// How long a node may go without renewing its Lease before it is marked Unknown.
    #[arg(long, value_name = "DURATION", default_value = "50s", value_parser = parse_duration)]
    node_monitor_grace_period: Duration,
    /// The same for a node that never posted a Ready condition.
    #[arg(long, value_name = "DURATION", default_value = "1m0s", value_parser = parse_duration)]
    node_startup_grace_period: Duration,
    /// Elect a leader with the Lease kube-system/kube-controller-manager before running
    /// controllers (upstream's default is true; this lab's is false).
    #[arg(long)]
    leader_elect: bool,
    /// How long candidates wait after the leader's last renewal before taking over.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    leader_elect_lease_duration: Duration,
    /// How long the leader keeps trying to renew before it gives up leadership.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    leader_elect_renew_deadline: Duration,
    /// The pause between two attempts to acquire or renew.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    leader_elect_retry_period: Duration,
}

impl Times {
    /// Puts the flags into the manager's configuration.
    fn apply(&self, config: &mut Config) {
        config.node_lifecycle = lab_03::nodelifecycle::Settings {
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
fn parse_duration(text: &str) -> Result<Duration, String> {
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
        times,
    } = cli.command;
    let config = Config::from_kubeconfig_file(&kubeconfig).and_then(|mut config| {
        if let Some(controllers) = controllers {
            config.controllers = controllers;
        }
        config.workers = workers;
        times.apply(&mut config);
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
