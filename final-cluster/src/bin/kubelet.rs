//! `kubelet`: the final cluster's node agent, lab 03's kubelet loop driving lab 01's runtime,
//! with lab 05's pod network and the server `kubectl logs` and `kubectl exec` reach.
//!
//! ```text
//! kubelet --kubeconfig FILE --hostname-override NAME --node-ip IP [--port 10250]
//!         [--root-dir DIR] [--pod-manifest-path DIR] [--image-store DIR]
//!         [--insecure-registry HOST:PORT,...] [--max-pods 110]
//! ```
//!
//! It must run as root (namespaces, cgroups, mounts, links). The same binary is also lab 01's
//! helper: the runtime starts `kubelet __sandbox PLAN` and `kubelet __container PLAN` for the
//! pause process and each container, so this `main` hands those to lab 01 before anything else
//! (in particular before any thread exists).

use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use final_cluster::kubelet::network::{self, NetworkSlot};
use final_cluster::kubelet::runtime::{LabRuntime, NodeRuntime};
use final_cluster::kubelet::server::{self, ServerState};
use final_cluster::kubelet::volumes::ApiVolumeSources;
use lab_01::cgroups::CgroupRoot;
use lab_01::image::{PullOptions, Store};
use tracing_subscriber::EnvFilter;

/// How long the kubelet waits for its pods to stop when it is stopped itself.
const POD_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(8);

/// The Kubernetes node agent (the course's, from labs 01, 03 and 05).
#[derive(Debug, Parser)]
#[command(name = "kubelet", version, about)]
struct Args {
    /// The kubeconfig of the API server.
    #[arg(long, value_name = "FILE")]
    kubeconfig: PathBuf,
    /// The node's name (default: the host name).
    #[arg(long, alias = "node-name", value_name = "NAME")]
    hostname_override: Option<String>,
    /// The node's address (its InternalIP; the API server reaches the kubelet there).
    #[arg(long, value_name = "IP")]
    node_ip: IpAddr,
    /// The port of the kubelet's server (logs, exec).
    #[arg(long, default_value_t = 10250)]
    port: u16,
    /// Where pods' directories and the pod network's address files go.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/kubelab/kubelet")]
    root_dir: PathBuf,
    /// A directory of static pod manifests (the control plane's, on the first node).
    #[arg(long, value_name = "DIR")]
    pod_manifest_path: Option<PathBuf>,
    /// The image store (an OCI layout).
    #[arg(long, value_name = "DIR", default_value = "/var/lib/kubelab/images")]
    image_store: PathBuf,
    /// Registries to reach over plain HTTP.
    #[arg(long, value_delimiter = ',', value_name = "HOST:PORT")]
    insecure_registry: Vec<String>,
    /// The most pods this node runs.
    #[arg(long, default_value_t = 110)]
    max_pods: u32,
    /// A static busybox to build the offline `busybox` image from, when the store lacks it
    /// (lab 01's image: pods can use `busybox` without a registry).
    #[arg(long, value_name = "FILE", default_value = lab_01::image::busybox::DEFAULT_BUSYBOX)]
    offline_busybox: PathBuf,
}

fn main() -> ExitCode {
    // lab 01's helper processes first: single-threaded, no logging (stderr is a container's).
    let argv: Vec<String> = std::env::args().collect();
    if let [_, subcommand, plan] = argv.as_slice() {
        match subcommand.as_str() {
            lab_01::helper::SANDBOX_SUBCOMMAND => {
                return lab_01::helper::run_sandbox(plan.as_ref());
            }
            lab_01::helper::CONTAINER_SUBCOMMAND => {
                return lab_01::helper::run_container(plan.as_ref());
            }
            _ => {}
        }
    }
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let result = tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(run(args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kubelet: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        nix::unistd::geteuid().is_root(),
        "the kubelet needs root: it creates namespaces, cgroups, mounts and links"
    );
    let node_name = match args.hostname_override {
        Some(name) => name,
        None => nix::unistd::gethostname()?.to_string_lossy().into_owned(),
    };
    let client = lab_03::manager::Config::from_kubeconfig_file(&args.kubeconfig)
        .with_context(|| format!("cannot use --kubeconfig {}", args.kubeconfig.display()))?
        .client()
        .await?;
    let store = Store::open_or_create(&args.image_store)
        .with_context(|| format!("cannot open the image store {}", args.image_store.display()))?;
    ensure_offline_busybox(&store, &args.offline_busybox, &args.root_dir);
    let cgroup_root = CgroupRoot::detect()
        .map_err(|error| tracing::warn!(%error, "no cgroups: resource limits are not applied"))
        .ok();
    let slot = NetworkSlot::default();
    let runtime = Arc::new(LabRuntime::new(NodeRuntime {
        root: args.root_dir.join("pods"),
        claims: args.root_dir.join("claims"),
        helper: std::env::current_exe().context("cannot find the kubelet binary itself")?,
        store,
        pull: PullOptions {
            insecure_registries: args.insecure_registry,
        },
        cgroup_root,
        network: Some(slot.clone()),
        volumes: Some(ApiVolumeSources::new(
            client.clone(),
            tokio::runtime::Handle::current(),
        )),
    }));

    let mut config = lab_03::kubelet::Config::new(client.clone(), node_name.clone());
    config.node_ip = args.node_ip;
    config.kubelet_port = args.port;
    config.max_pods = args.max_pods;
    config.pod_manifest_path = args.pod_manifest_path;
    config.cpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .to_string();
    if let Some(memory) = memory_total() {
        config.memory = memory;
    }

    let listener = server::bind(SocketAddr::new(args.node_ip, args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.node_ip, args.port))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let serving = tokio::spawn(server::serve(
        listener,
        ServerState {
            containers: runtime.clone(),
            helper: std::env::current_exe()?,
        },
        until(stopped.clone()),
    ));
    let networking = tokio::spawn(network::run(
        client,
        node_name,
        args.root_dir.join("pod-network"),
        slot,
        until(stopped.clone()),
    ));
    lab_03::kubelet::run(config, runtime.clone(), lab_02::server::shutdown_signal()).await;
    // Every pod was asked to stop; they run in this process's tree, so wait for them (the
    // launcher gives a component 10 s before SIGKILL, and sweeps what is left).
    let waiting = runtime.clone();
    let stopped_all = tokio::task::spawn_blocking(move || waiting.wait_idle(POD_STOP_WAIT))
        .await
        .unwrap_or(false);
    if !stopped_all {
        tracing::warn!("pods still stopping after {POD_STOP_WAIT:?}; leaving them");
    }
    let _ = stop.send(true);
    let _ = networking.await;
    serving.await??;
    Ok(())
}

/// Builds lab 01's offline `busybox:latest` into the store unless it is there already. Without
/// a static busybox on the host the kubelet still runs; `busybox` is then pulled like any image.
fn ensure_offline_busybox(store: &Store, busybox: &std::path::Path, root_dir: &std::path::Path) {
    let Ok(name) = lab_01::image::ImageRef::parse(lab_01::image::busybox::IMAGE_NAME) else {
        return;
    };
    if store.resolve(&name).is_ok() {
        return;
    }
    let staging = root_dir.join("busybox-layout");
    let built = lab_01::image::busybox::build_layout(busybox, &staging)
        .and_then(|_| lab_01::image::OciDir::open(&staging))
        .and_then(|layout| store.import(&layout, None));
    match built {
        Ok(_) => tracing::info!(from = %busybox.display(), "built the offline busybox image"),
        Err(error) => tracing::warn!(%error, "no offline busybox image; busybox will be pulled"),
    }
    let _ = std::fs::remove_dir_all(&staging);
}

/// `MemTotal` of `/proc/meminfo` as a quantity (`4026532Ki`).
fn memory_total() -> Option<String> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib = line.split_whitespace().nth(1)?;
    Some(format!("{kib}Ki"))
}
