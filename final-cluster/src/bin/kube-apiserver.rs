//! `kube-apiserver`: the final cluster's API server, lab 02's server under the real program's
//! name and flag names.
//!
//! ```text
//! kube-apiserver [--insecure-bind-address 127.0.0.1] [--insecure-port 8080]
//!                [--etcd-servers URL,...] [--service-cluster-ip-range 10.96.0.0/12]
//!                [--service-node-port-range 30000-32767] [--write-kubeconfig FILE]
//!                [--disable-stopgap]
//! ```
//!
//! It serves plain HTTP without authentication, like the real one's `--insecure-port` did before
//! it was removed (Kubernetes 1.20), hence those two flag names; TLS and authentication come in a
//! later lab. `--write-kubeconfig` is ours: the launcher reads the address from it.

use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use lab_02::allocator::{IpRange, PortRange};
use lab_02::server::{self, Config};
use tracing_subscriber::EnvFilter;

/// The Kubernetes API server (the course's, from lab 02).
#[derive(Debug, Parser)]
#[command(name = "kube-apiserver", version, about)]
struct Args {
    /// The address to serve plain HTTP on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    insecure_bind_address: IpAddr,
    /// The port to serve plain HTTP on.
    #[arg(long, default_value_t = 8080)]
    insecure_port: u16,
    /// Comma-separated etcd endpoints; the embedded store if absent.
    #[arg(long, value_delimiter = ',')]
    etcd_servers: Vec<String>,
    /// The CIDR Services' cluster IPs come from.
    #[arg(long, value_name = "CIDR", default_value = lab_02::allocator::DEFAULT_SERVICE_CIDR,
          value_parser = |text: &str| IpRange::parse(text).map_err(|error| error.to_string()))]
    service_cluster_ip_range: IpRange,
    /// The ports NodePort Services get (first-last).
    #[arg(long, value_name = "RANGE", default_value = lab_02::allocator::DEFAULT_NODE_PORTS,
          value_parser = |text: &str| PortRange::parse(text).map_err(|error| error.to_string()))]
    service_node_port_range: PortRange,
    /// Write a kubeconfig for this server to FILE.
    #[arg(long, value_name = "FILE")]
    write_kubeconfig: Option<PathBuf>,
    /// Leave namespace deletion and cascading deletes to the controller manager (lab 03's
    /// namespace controller and garbage collector), as the real API server does.
    #[arg(long)]
    disable_stopgap: bool,
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
    let config = Config {
        listen: SocketAddr::new(args.insecure_bind_address, args.insecure_port),
        etcd_servers: args.etcd_servers,
        write_kubeconfig: args.write_kubeconfig,
        service_cluster_ip_range: args.service_cluster_ip_range,
        service_node_port_range: args.service_node_port_range,
        stopgap: !args.disable_stopgap,
    };
    server::run(config, server::shutdown_signal())
        .await
        .context("kube-apiserver failed")
}
