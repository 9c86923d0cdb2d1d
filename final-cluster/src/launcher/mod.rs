//! The `cluster` launcher: brings the nodes up on the node network and starts the components on
//! them; brings everything down again, also after a crash.
//!
//! What exists so far: the node network and the control plane on the first node (the API server
//! of lab 02, the controller manager of lab 03 and the scheduler of lab 04), as plain processes
//! (static pods come with the kubelet), reachable from the host with the kubeconfig `up` writes.
//!
//! Everything `up` makes is recorded under the state directory, so `down` can find it from
//! another process:
//!
//! ```text
//! <state>/nodes          one node name per line, in order (the first is the control plane)
//! <state>/node-network/  the node addresses (lab 05's allocator files)
//! <state>/pids/          <node>.<component>.pid
//! <state>/logs/          <node>.<component>.log
//! <state>/kubeconfig     for kubectl
//! <state>/node-data/     <node>/kubelet (pods' directories, pod addresses), <node>/images
//! ```

pub mod process;
mod ready;
pub mod verify;

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lab_05::netns::Netns;

use self::ready::wait_for_ready_nodes;
use crate::node_network::{NodeNetwork, NodeNetworkConfig};

/// Every program `up` starts: the control plane on the first node, a kubelet on each.
pub const COMPONENTS: [&str; 4] = [
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
];

/// etcd's client port on the control-plane node (`--etcd`).
pub const ETCD_PORT: u16 = 2379;

/// How long `up` waits for every node to be Ready.
const NODES_READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The API server's port on the control-plane node.
pub const API_PORT: u16 = 6443;
/// How long `up` waits for the API server to answer.
const API_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Errors of the launcher, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The node network failed.
    #[error(transparent)]
    Network(#[from] crate::node_network::Error),
    /// A file of the state directory.
    #[error("{path}: {source}")]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A component binary is missing.
    #[error(
        "{0} not found: build the components first (cargo build -p final-cluster; for --etcd, \
         install Debian's etcd-server)"
    )]
    MissingBinary(PathBuf),
    /// A component did not become ready.
    #[error("{component} on {node} is not ready after {waited:?}; its log: {log}")]
    NotReady {
        /// The component.
        component: String,
        /// Its node.
        node: String,
        /// How long `up` waited.
        waited: Duration,
        /// Where to look.
        log: PathBuf,
    },
    /// A cluster is already up (or a crashed one left its state).
    #[error("a cluster is already up (state in {0}); run `cluster down` first")]
    AlreadyUp(PathBuf),
}

fn state_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::State {
        path: path.to_path_buf(),
        source,
    }
}

/// What `up` is asked to start.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// The node names; the first runs the control plane.
    pub nodes: Vec<String>,
    /// Where the component binaries are (`kube-apiserver`, ...).
    pub bin_dir: PathBuf,
    /// `--etcd-servers` for the API server; the embedded store when empty (and no `etcd`).
    pub etcd_servers: Vec<String>,
    /// Run real etcd (Debian's `etcd-server`) on the control-plane node as the store.
    pub etcd: bool,
    /// More flags for kube-controller-manager (`--node-monitor-grace-period=10s`, say).
    pub controller_manager_args: Vec<String>,
}

/// The default node names, as in the seed notes.
pub fn default_nodes(count: usize) -> Vec<String> {
    std::iter::once("k8smaster".to_owned())
        .chain((1..count).map(|n| format!("k8snode{n}")))
        .collect()
}

/// A cluster's state directory and the host namespace its bridge lives in.
#[derive(Debug)]
pub struct Launcher {
    state: PathBuf,
    network: NodeNetwork,
}

/// One line of `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentStatus {
    /// The node.
    pub node: String,
    /// The component.
    pub component: String,
    /// Its pid, if it runs.
    pub pid: Option<i32>,
}

impl Launcher {
    /// The launcher over `state` (created if missing), with its bridge in `host`.
    pub fn new(host: Netns, state: &Path, network: NodeNetworkConfig) -> Result<Self, Error> {
        fs::create_dir_all(state).map_err(state_error(state))?;
        let network = NodeNetwork::new(host, network)?;
        Ok(Self {
            state: state.to_path_buf(),
            network,
        })
    }

    /// The node network's defaults, with their state under `state`.
    pub fn network_config(state: &Path) -> NodeNetworkConfig {
        NodeNetworkConfig::new(state.join("node-network"))
    }

    fn nodes_file(&self) -> PathBuf {
        self.state.join("nodes")
    }

    /// The kubeconfig `up` writes.
    pub fn kubeconfig(&self) -> PathBuf {
        self.state.join("kubeconfig")
    }

    fn pid_file(&self, node: &str, component: &str) -> PathBuf {
        self.state
            .join("pids")
            .join(format!("{node}.{component}.pid"))
    }

    fn log_file(&self, node: &str, component: &str) -> PathBuf {
        self.state
            .join("logs")
            .join(format!("{node}.{component}.log"))
    }

    /// The nodes recorded by `up` (none when no cluster is up).
    pub fn recorded_nodes(&self) -> Vec<String> {
        fs::read_to_string(self.nodes_file())
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Brings the nodes up and starts the control plane on the first; returns the API server's
    /// address once it answers. `progress` hears what is starting and what is ready.
    pub fn up(
        &self,
        options: &UpOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<SocketAddr, Error> {
        if !self.recorded_nodes().is_empty() {
            return Err(Error::AlreadyUp(self.state.clone()));
        }
        for component in COMPONENTS {
            let binary = options.bin_dir.join(component);
            if !binary.is_file() {
                return Err(Error::MissingBinary(binary));
            }
        }
        let apiserver = options.bin_dir.join("kube-apiserver");
        for dir in ["pids", "logs"] {
            let dir = self.state.join(dir);
            fs::create_dir_all(&dir).map_err(state_error(&dir))?;
        }
        // Recorded first, so a `down` after a failure half-way finds every node.
        let nodes_file = self.nodes_file();
        fs::write(&nodes_file, options.nodes.join("\n") + "\n")
            .map_err(state_error(&nodes_file))?;
        let mut addresses = Vec::new();
        for name in &options.nodes {
            progress(&format!("node {name}: joining the node network"));
            let node = self.network.up(name)?;
            progress(&format!("node {name}: {} (ready)", node.address));
            addresses.push((node, name));
        }
        let Some((master, name)) = addresses.first() else {
            return Err(Error::State {
                path: nodes_file,
                source: std::io::Error::other("no nodes asked for"),
            });
        };
        let listen = SocketAddr::from((master.address, API_PORT));
        let mut args = vec![
            format!("--insecure-bind-address={}", master.address),
            format!("--insecure-port={API_PORT}"),
            format!("--write-kubeconfig={}", self.kubeconfig().display()),
            // The controller manager runs the namespace controller and the garbage collector.
            "--disable-stopgap".to_owned(),
        ];
        let mut etcd_servers = options.etcd_servers.clone();
        if options.etcd {
            etcd_servers = vec![self.start_etcd(master, name, progress)?];
        }
        if !etcd_servers.is_empty() {
            args.push(format!("--etcd-servers={}", etcd_servers.join(",")));
        }
        progress(&format!("kube-apiserver on {name}: starting at {listen}"));
        let log = self.log_file(name, "kube-apiserver");
        self.start(master, name, &apiserver, &args)?;
        wait_until_answers(listen, API_READY_TIMEOUT).map_err(|waited| Error::NotReady {
            component: "kube-apiserver".to_owned(),
            node: (*name).clone(),
            waited,
            log,
        })?;
        progress(&format!("kube-apiserver on {name}: ready"));
        // The controllers and the scheduler only need the API server: they find everything
        // else through it, as in the seed's diagram (seed 004).
        let kubeconfig = format!("--kubeconfig={}", self.kubeconfig().display());
        for component in ["kube-controller-manager", "kube-scheduler"] {
            progress(&format!("{component} on {name}: starting"));
            let binary = options.bin_dir.join(component);
            let mut args = vec![kubeconfig.clone()];
            if component == "kube-controller-manager" {
                args.extend(options.controller_manager_args.iter().cloned());
            }
            self.start(master, name, &binary, &args)?;
        }
        // A kubelet on every node, the first included (seed 000's `get nodes` lists k8smaster),
        // one after the other: each node registers before the next starts, so node IPAM hands
        // out podCIDRs in node order (k8snode1 gets 10.244.1.0/24, as in the seed).
        let kubelet = options.bin_dir.join("kubelet");
        for (node, name) in &addresses {
            progress(&format!("kubelet on {name}: starting"));
            let dir = self.state.join("node-data").join(name.as_str());
            let args = vec![
                kubeconfig.clone(),
                format!("--hostname-override={name}"),
                format!("--node-ip={}", node.address),
                format!("--root-dir={}", dir.join("kubelet").display()),
                format!("--image-store={}", dir.join("images").display()),
            ];
            self.start(node, name, &kubelet, &args)?;
            wait_for_ready_nodes(listen, &[name.as_str()], NODES_READY_TIMEOUT, progress).map_err(
                |waited| Error::NotReady {
                    component: "kubelet".to_owned(),
                    node: (*name).clone(),
                    waited,
                    log: self.log_file(name, "kubelet"),
                },
            )?;
        }
        ready::mark_control_plane(listen, name).map_err(|why| Error::State {
            path: self.kubeconfig(),
            source: std::io::Error::other(format!("marking {name} as the control plane: {why}")),
        })?;
        progress(&format!("node {name}: control plane (tainted NoSchedule)"));
        Ok(listen)
    }

    /// Starts etcd on the control-plane node (clients on the node's address, its peer port on
    /// the node's loopback: a one-member cluster) and waits until it answers; its client URL.
    fn start_etcd(
        &self,
        node: &crate::node_network::Node,
        name: &str,
        progress: &mut dyn FnMut(&str),
    ) -> Result<String, Error> {
        let etcd = find_on_path("etcd").ok_or_else(|| Error::MissingBinary("etcd".into()))?;
        let client = SocketAddr::from((node.address, ETCD_PORT));
        let data = self.state.join("node-data").join(name).join("etcd");
        let args = vec![
            format!("--name={name}"),
            format!("--data-dir={}", data.display()),
            format!("--listen-client-urls=http://{client}"),
            format!("--advertise-client-urls=http://{client}"),
            "--listen-peer-urls=http://127.0.0.1:2380".to_owned(),
            "--initial-advertise-peer-urls=http://127.0.0.1:2380".to_owned(),
            format!("--initial-cluster={name}=http://127.0.0.1:2380"),
        ];
        progress(&format!("etcd on {name}: starting at {client}"));
        self.start(node, name, &etcd, &args)?;
        wait_until_answers(client, API_READY_TIMEOUT).map_err(|waited| Error::NotReady {
            component: "etcd".to_owned(),
            node: name.to_owned(),
            waited,
            log: self.log_file(name, "etcd"),
        })?;
        progress(&format!("etcd on {name}: ready"));
        Ok(format!("http://{client}"))
    }

    /// Starts one component on a node, with its pid file and log in the state directory.
    fn start(
        &self,
        node: &crate::node_network::Node,
        name: &str,
        binary: &Path,
        args: &[String],
    ) -> Result<(), Error> {
        let component = binary
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let log = self.log_file(name, &component);
        let pid_file = self.pid_file(name, &component);
        process::start(
            &node.netns,
            name,
            binary,
            args,
            &log,
            &pid_file,
            &self.state,
        )
        .map(drop)
        .map_err(state_error(&pid_file))
    }

    /// What runs, per node and component.
    pub fn status(&self) -> Vec<ComponentStatus> {
        let mut lines = Vec::new();
        let Ok(entries) = fs::read_dir(self.state.join("pids")) else {
            return lines;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some((node, component)) = file
                .strip_suffix(".pid")
                .and_then(|stem| stem.split_once('.'))
            else {
                continue;
            };
            let pid = process::read_pid_file(&entry.path())
                .filter(process::running)
                .map(|recorded| recorded.pid);
            lines.push(ComponentStatus {
                node: node.to_owned(),
                component: component.to_owned(),
                pid,
            });
        }
        lines.sort_by(|a, b| (&a.node, &a.component).cmp(&(&b.node, &b.component)));
        lines
    }

    /// Stops every component, takes every node down, removes the bridge and the state. Safe to
    /// run twice, and after a crash (whatever is gone already is skipped).
    pub fn down(&self, progress: &mut dyn FnMut(&str)) -> Result<(), Error> {
        let pids = self.state.join("pids");
        // Every program `up` started, read before the pid files go: the sweep below needs them.
        let files: Vec<PathBuf> = fs::read_dir(&pids)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "pid"))
            .collect();
        let mut programs: Vec<PathBuf> = Vec::new();
        for recorded in files.iter().filter_map(|path| process::read_pid_file(path)) {
            if !programs.contains(&recorded.program) {
                programs.push(recorded.program);
            }
        }
        // Kubelets first, all at once: they stop their pods while the API server still hears
        // them. Then the control plane.
        let (kubelets, control_plane): (Vec<PathBuf>, Vec<PathBuf>) = files
            .into_iter()
            .partition(|path| path.to_string_lossy().ends_with(".kubelet.pid"));
        for group in [kubelets, control_plane] {
            let stopped =
                process::stop_all(&group, process::STOP_GRACE).map_err(state_error(&pids))?;
            for path in stopped {
                let name = path.file_stem().unwrap_or_default().to_string_lossy();
                progress(&format!("stopped {name}"));
            }
        }
        // What a kubelet could not stop in time (or left when it crashed): its pods' helpers
        // and containers.
        let swept = process::sweep(&programs, &self.state).map_err(state_error(&self.state))?;
        if swept > 0 {
            progress(&format!("killed {swept} leftover pod process(es)"));
        }
        for node in self.recorded_nodes() {
            self.network.down(&node)?;
            progress(&format!("node {node}: gone"));
        }
        self.network.teardown()?;
        for leftover in ["nodes", "kubeconfig"] {
            let path = self.state.join(leftover);
            if let Err(error) = fs::remove_file(&path)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                return Err(state_error(&path)(error));
            }
        }
        for dir in ["pids", "node-network", "node-data"] {
            let path = self.state.join(dir);
            if let Err(error) = fs::remove_dir_all(&path)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                return Err(state_error(&path)(error));
            }
        }
        Ok(())
    }
}

/// The first `name` on `PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Polls a TCP connect until it succeeds or `timeout` passes (then: how long it waited).
fn wait_until_answers(address: SocketAddr, timeout: Duration) -> Result<(), Duration> {
    let started = Instant::now();
    loop {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(started.elapsed());
        }
        process::wait_a_little();
    }
}
