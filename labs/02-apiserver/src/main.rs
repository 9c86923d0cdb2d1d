//! `lab-02`: the API server binary.
//!
//! ```text
//! lab-02 [--listen 127.0.0.1:6443] [--etcd-servers URL,...] [--write-kubeconfig FILE]
//!        [--service-cluster-ip-range 10.96.0.0/12] [--service-node-port-range 30000-32767]
//!        [--disable-stopgap]
//! ```
//!
//! Runs on the embedded store unless `--etcd-servers` names etcd endpoints; logs to stderr
//! (`RUST_LOG=debug` for more); stops cleanly on Ctrl-C or SIGTERM. With
//! `--write-kubeconfig /tmp/lab02.kubeconfig`, `kubectl --kubeconfig /tmp/lab02.kubeconfig ...`
//! talks to it.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use lab_02::allocator::{IpRange, PortRange};
use lab_02::server::{self, Config};
use tracing_subscriber::EnvFilter;

/// The lab-02 API server.
#[derive(Debug, Parser)]
#[command(name = "lab-02", version, about)]
struct Args {
    /// The address to serve plain HTTP on (loopback only: there is no authentication).
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Comma-separated etcd endpoints (`http://127.0.0.1:2379`); the embedded store if absent.
    #[arg(long, value_delimiter = ',')]
    etcd_servers: Vec<String>,
    /// Write a kubeconfig for this server to FILE.
    #[arg(long, value_name = "FILE")]
    write_kubeconfig: Option<PathBuf>,
    /// The CIDR Services' cluster IPs come from; `kubernetes.default` gets its first address.
    #[arg(long, value_name = "CIDR", default_value = lab_02::allocator::DEFAULT_SERVICE_CIDR,
          value_parser = |text: &str| IpRange::parse(text).map_err(|error| error.to_string()))]
    service_cluster_ip_range: IpRange,
    /// The ports NodePort Services get (first-last).
    #[arg(long, value_name = "RANGE", default_value = lab_02::allocator::DEFAULT_NODE_PORTS,
          value_parser = |text: &str| PortRange::parse(text).map_err(|error| error.to_string()))]
    service_node_port_range: PortRange,
    /// Do not finish namespace and cascading deletions in the server (run lab 03's namespace
    /// controller and garbage collector instead).
    #[arg(long)]
    disable_stopgap: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only for a terminal, not in a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = Config {
        listen: args.listen,
        etcd_servers: args.etcd_servers,
        write_kubeconfig: args.write_kubeconfig,
        service_cluster_ip_range: args.service_cluster_ip_range,
        service_node_port_range: args.service_node_port_range,
        stopgap: !args.disable_stopgap,
    };
    server::run(config, server::shutdown_signal())
        .await
        .context("the API server failed")
}
