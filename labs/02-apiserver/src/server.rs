//! The server: the router (one place that adds routes), start-up, and [`run`].
//!
//! `run(config, shutdown)` connects the store (embedded unless `--etcd-servers`), creates the
//! namespaces every cluster starts with, binds the listener, optionally writes a kubeconfig
//! for it, and serves until the `shutdown` future completes; then it stops accepting, lets the
//! requests in flight finish, and returns. Tests pass their own future; the binary passes
//! "Ctrl-C or SIGTERM".

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::json;
use tokio::net::TcpListener;

use crate::allocator::{DEFAULT_NODE_PORTS, DEFAULT_SERVICE_CIDR, IpRange, PortRange};
use crate::discovery;
use crate::registry;
use crate::rest::{self, ApiState};
use crate::status::Status;
use crate::store::etcd::{EtcdConfig, EtcdStore};
use crate::store::{self, Backend, Store, registry_key};

/// The namespaces a cluster has from the start (kube-apiserver's system namespaces).
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// How to start the server (the binary's flags).
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on (`--listen`, default `127.0.0.1:6443`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// Real etcd endpoints (`--etcd-servers`); empty means the embedded store.
    pub etcd_servers: Vec<String>,
    /// Where to write a kubeconfig for this server (`--write-kubeconfig`).
    pub write_kubeconfig: Option<PathBuf>,
    /// Cluster IPs of Services (`--service-cluster-ip-range`).
    pub service_cluster_ip_range: IpRange,
    /// Node ports of Services (`--service-node-port-range`).
    pub service_node_port_range: PortRange,
    /// Whether the server finishes namespace and cascading deletions itself ([`crate::stopgap`];
    /// on by default). Off (`--disable-stopgap`) when lab 03's namespace controller and garbage
    /// collector run, so they, not the stopgap, do that work.
    pub stopgap: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 6443)),
            etcd_servers: Vec::new(),
            write_kubeconfig: None,
            service_cluster_ip_range: IpRange::parse(DEFAULT_SERVICE_CIDR)
                .expect("the default service range parses"),
            service_node_port_range: PortRange::parse(DEFAULT_NODE_PORTS)
                .expect("the default node ports parse"),
            stopgap: true,
        }
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store could not be reached.
    #[error("failed to open the store")]
    Store(#[from] store::Error),
    /// Creating the system namespaces failed.
    #[error("failed to create the system namespaces: {0}")]
    Bootstrap(Status),
    /// The address could not be bound (in use, or not ours).
    #[error("failed to listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's answer.
        #[source]
        source: std::io::Error,
    },
    /// The kubeconfig could not be written.
    #[error("failed to write the kubeconfig {path}")]
    Kubeconfig {
        /// The file asked for.
        path: PathBuf,
        /// The operating system's answer.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("failed to serve")]
    Serve(#[source] std::io::Error),
}

// ANCHOR: router
/// Every route of the API server: discovery, `/version`, health and OpenAPI
/// ([`discovery::handlers::routes`]), then every resource URL (`rest::handle`); watch is a
/// query parameter of the list URLs, handled inside `rest`.
pub fn router(state: ApiState) -> Router {
    discovery::handlers::routes(Router::new())
        .route("/api/{*path}", any(discovery::handlers::api_or_resource))
        .route("/apis/{*path}", any(discovery::handlers::api_or_resource))
        .fallback(no_such_path)
        .with_state(state)
}
// ANCHOR_END: router

async fn no_such_path() -> Response {
    Status::no_such_path().into_response()
}

/// Creates the system namespaces and the `kubernetes` Service that do not exist yet, as
/// kube-apiserver does at start-up.
pub async fn bootstrap(state: &ApiState) -> Result<(), Status> {
    bootstrap_namespaces(state).await?;
    bootstrap_kubernetes_service(state).await
}

/// `default/kubernetes`: the Service at the first address of the service range (`10.96.0.1`),
/// through which pods reach the API server.
async fn bootstrap_kubernetes_service(state: &ApiState) -> Result<(), Status> {
    let Some(services) = registry::lookup("", "v1", "services") else {
        return Err(Status::internal("the registry has no services"));
    };
    let key = registry_key(services.storage_name(), Some("default"), "kubernetes");
    let exists = state
        .store
        .get(&key)
        .await
        .map_err(|error| Status::from_store(error, services, "kubernetes"))?;
    if exists.is_some() {
        return Ok(());
    }
    let ip = state.services.ips.kubernetes_service_ip();
    match state.services.ips.allocate(Some(ip)).await {
        // Taken already: a previous start allocated it and stopped before writing the Service.
        Ok(_) | Err(crate::allocator::Error::AlreadyAllocated { .. }) => {}
        Err(error) => return Err(Status::internal(format!("cannot allocate {ip}: {error}"))),
    }
    let object = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "uid": rest::new_uid()?,
            "creationTimestamp": rest::object_timestamp(state)?,
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": ip.to_string(),
            "clusterIPs": [ip.to_string()],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "sessionAffinity": "None",
            "internalTrafficPolicy": "Cluster",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
        },
        "status": {"loadBalancer": {}},
    });
    match state.store.create(&key, object.to_string().into()).await {
        Ok(_) | Err(store::Error::AlreadyExists { .. }) => Ok(()),
        Err(error) => Err(Status::from_store(error, services, "kubernetes")),
    }
}

/// The system namespaces that do not exist yet.
async fn bootstrap_namespaces(state: &ApiState) -> Result<(), Status> {
    let Some(namespaces) = registry::lookup("", "v1", "namespaces") else {
        return Err(Status::internal("the registry has no namespaces"));
    };
    for name in SYSTEM_NAMESPACES {
        let key = registry_key(namespaces.storage_name(), None, name);
        let created = rest::object_timestamp(state)?;
        let object = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "uid": rest::new_uid()?,
                "creationTimestamp": created,
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        });
        match state.store.create(&key, object.to_string().into()).await {
            Ok(_) | Err(store::Error::AlreadyExists { .. }) => {}
            Err(error) => return Err(Status::from_store(error, namespaces, name)),
        }
    }
    Ok(())
}

/// A bound, ready server: the listener is open (so its port is known) and the store ready.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    state: ApiState,
    addr: SocketAddr,
    stopgap: bool,
}

impl Server {
    /// Opens the store, creates the system namespaces, binds `config.listen` and writes the
    /// kubeconfig, if asked.
    pub async fn bind(config: &Config) -> Result<Server, ServerError> {
        let store = if config.etcd_servers.is_empty() {
            Backend::default()
        } else {
            let etcd = EtcdStore::connect(EtcdConfig::new(config.etcd_servers.clone())).await?;
            Backend::Etcd(etcd)
        };
        let state = ApiState::new(store).with_service_ranges(
            config.service_cluster_ip_range,
            config.service_node_port_range,
        );
        Server::bind_with(config, state).await
    }

    /// As [`Server::bind`], on a given state (tests pass a fake clock or a prepared store).
    pub async fn bind_with(config: &Config, state: ApiState) -> Result<Server, ServerError> {
        bootstrap(&state).await.map_err(ServerError::Bootstrap)?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
        if let Some(path) = &config.write_kubeconfig {
            write_kubeconfig(path, addr).map_err(|source| ServerError::Kubeconfig {
                path: path.clone(),
                source,
            })?;
        }
        Ok(Server {
            listener,
            state,
            addr,
            stopgap: config.stopgap,
        })
    }

    /// The address the server listens on (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight and returns.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        tracing::info!(addr = %self.addr, "serving");
        // Watch responses never end by themselves: tell them to, or the graceful shutdown
        // would wait for them forever.
        let watches = self.state.watch.shutdown.clone();
        let shutdown = async move {
            shutdown.await;
            watches.begin();
        };
        // Until lab 03's controllers exist, the server finishes namespace and cascading
        // deletions itself (`stopgap`); the task stops with the server.
        let stopgap = self
            .stopgap
            .then(|| tokio::spawn(crate::stopgap::run(self.state.clone())));
        // NamespaceLifecycle's cache, fed from the store while the server runs.
        let namespaces = self.state.namespaces.clone();
        let namespaces = tokio::spawn(namespaces.run(self.state.store.clone()));
        let served = axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(stopgap) = stopgap {
            stopgap.abort();
        }
        namespaces.abort();
        served.map_err(ServerError::Serve)?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Starts the server described by `config` and serves until `shutdown` completes.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    Server::bind(&config).await?.serve(shutdown).await
}

/// The kubeconfig of a server at `addr`: plain HTTP, no credentials, one context.
pub fn kubeconfig(addr: SocketAddr) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: lab-02
  cluster:
    server: http://{addr}
contexts:
- name: lab-02
  context:
    cluster: lab-02
    user: lab-02
    namespace: default
current-context: lab-02
users:
- name: lab-02
  user: {{}}
preferences: {{}}
"
    )
}

/// Writes [`kubeconfig`] to `path` in one step (a temporary file renamed over it), so whoever
/// waits for the file never reads half of it.
fn write_kubeconfig(path: &Path, addr: SocketAddr) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, kubeconfig(addr))?;
    std::fs::rename(&temporary, path)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM (what `kill` and systemd send): the `shutdown` of
/// the API server's binaries (`lab-02`, the final cluster's `kube-apiserver`).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
