//! `cluster`: the launcher of the local cluster.
//!
//! ```text
//! cluster up [--nodes 3] [--etcd | --etcd-servers URL,...]   # k8smaster, k8snode1, k8snode2
//! cluster status
//! cluster verify                                    # layer by layer; names what is broken
//! cluster down                                      # also after a crash; safe to repeat
//! ```
//!
//! Needs root (network namespaces, a bridge). State lives in `--state`, by default
//! `$KUBELAB_HOME/cluster` (`/var/lib/kubelab/cluster` for root). Exit codes: 0 done, 2 bad
//! input or a cluster in the way, 1 the machine failed us.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use final_cluster::launcher::{Error, Launcher, UpOptions, default_nodes};
use lab_05::netns::Netns;

/// The launcher of the course's local cluster.
#[derive(Debug, Parser)]
#[command(name = "cluster", version)]
struct Cli {
    /// The state directory (default: $KUBELAB_HOME/cluster).
    #[arg(long, global = true)]
    state: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Bring the nodes up and start the control plane; prints how to use kubectl.
    Up {
        /// How many nodes (the first runs the control plane).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=20))]
        nodes: u8,
        /// Comma-separated etcd endpoints for the API server; the embedded store if absent.
        #[arg(long, value_delimiter = ',', conflicts_with = "etcd")]
        etcd_servers: Vec<String>,
        /// Run real etcd on the control-plane node as the API server's store.
        #[arg(long)]
        etcd: bool,
    },
    /// Show the nodes and what runs on them.
    Status,
    /// Check the cluster layer by layer; a failure names the component and what to read.
    Verify,
    /// Stop everything and remove the nodes.
    Down,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("error: cluster needs root (network namespaces and a bridge): run it with sudo");
        return ExitCode::from(2);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            let bad_input = error.downcast_ref::<Error>().is_some_and(|error| {
                matches!(error, Error::AlreadyUp(_) | Error::MissingBinary(_))
            });
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let state = cli.state.unwrap_or_else(default_state);
    let host = Netns::open("/proc/self/ns/net").context("open this host's network namespace")?;
    let launcher = Launcher::new(host, &state, Launcher::network_config(&state))?;
    let mut progress = |line: &str| eprintln!("  {line}");
    match cli.command {
        Command::Up {
            nodes,
            etcd_servers,
            etcd,
        } => {
            let bin_dir = std::env::current_exe()
                .context("find this program's directory")?
                .parent()
                .map(PathBuf::from)
                .unwrap_or_default();
            let options = UpOptions {
                nodes: default_nodes(usize::from(nodes)),
                bin_dir,
                etcd_servers,
                etcd,
                controller_manager_args: Vec::new(),
            };
            eprintln!("cluster up: {} node(s)", options.nodes.len());
            let api = match launcher.up(&options, &mut progress) {
                Ok(api) => api,
                Err(error) => {
                    eprintln!("cluster up failed; cleaning up what it started");
                    launcher.down(&mut progress)?;
                    return Err(error.into());
                }
            };
            println!("The API server answers at http://{api}. Next:");
            println!("  export KUBECONFIG={}", launcher.kubeconfig().display());
            println!("  kubectl get nodes -o wide");
            println!(
                "  kubectl create deployment http-app --image=busybox --replicas=2 -- \\\n    \
                 sh -c 'hostname > /tmp/index.html; exec httpd -f -p 80 -h /tmp'"
            );
            println!("  kubectl get pods -o wide");
            println!("  cargo xtask down        # or: cluster down");
            Ok(())
        }
        Command::Status => {
            let nodes = launcher.recorded_nodes();
            if nodes.is_empty() {
                println!("no cluster is up");
                return Ok(());
            }
            println!("nodes: {}", nodes.join(", "));
            for line in launcher.status() {
                let state = line.pid.map_or("not running".to_owned(), |pid| {
                    format!("running (pid {pid})")
                });
                println!("{:<12} {:<26} {state}", line.node, line.component);
            }
            Ok(())
        }
        Command::Verify => {
            let findings = launcher.verify();
            if findings.is_empty() {
                println!("no cluster is up");
                return Ok(());
            }
            for finding in &findings {
                println!(
                    "{:<5} {}",
                    if finding.ok { "ok" } else { "FAIL" },
                    finding.what
                );
                if let Some(chapter) = finding.read {
                    println!("      read: {chapter}");
                }
            }
            let failed = findings.iter().filter(|finding| !finding.ok).count();
            anyhow::ensure!(failed == 0, "cluster verify: {failed} check(s) failed");
            println!("cluster verify: all {} checks passed", findings.len());
            Ok(())
        }
        Command::Down => {
            launcher.down(&mut progress)?;
            println!("cluster down: nothing left");
            Ok(())
        }
    }
}

/// `$KUBELAB_HOME/cluster`, `KUBELAB_HOME` defaulting to `/var/lib/kubelab` (we run as root).
fn default_state() -> PathBuf {
    std::env::var_os("KUBELAB_HOME")
        .map_or_else(|| PathBuf::from("/var/lib/kubelab"), PathBuf::from)
        .join("cluster")
}
