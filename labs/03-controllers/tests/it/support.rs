//! Test support: a lab-02 apiserver in-process, the controllers, and a client, on one tokio
//! runtime, while the test's own thread waits with `labkit::poll_until`.

use std::net::SocketAddr;
use std::time::Duration;

use kube::Client;
use lab_03::manager::Config;
use tokio::runtime::Runtime;
use tokio::sync::watch;

/// How long a test waits for something to converge before failing.
pub(crate) const CONVERGE: Duration = Duration::from_secs(30);

/// A running lab-02 apiserver (embedded store) on its own runtime, stopped when dropped.
pub(crate) struct Cluster {
    /// The runtime the server, the controllers and the test's requests run on.
    pub(crate) runtime: Runtime,
    /// Where the server listens.
    pub(crate) addr: SocketAddr,
    /// A client for it.
    pub(crate) client: Client,
    stop: watch::Sender<bool>,
}

impl Cluster {
    /// Starts lab-02 on a free loopback port.
    pub(crate) fn start() -> Cluster {
        labkit::init_tracing();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let (stop, _) = watch::channel(false);
        let config = lab_02::server::Config {
            listen: "127.0.0.1:0".parse().expect("a loopback address"),
            ..Default::default()
        };
        let stopped = stop.subscribe();
        let (addr, client) = runtime.block_on(async {
            let server = lab_02::server::Server::bind(&config)
                .await
                .expect("lab-02 starts");
            let addr = server.local_addr();
            tokio::spawn(server.serve(until(stopped)));
            let client = Config::from_kubeconfig_yaml(&lab_02::server::kubeconfig(addr))
                .expect("lab-02's kubeconfig parses")
                .client()
                .await
                .expect("a client");
            (addr, client)
        });
        Cluster {
            runtime,
            addr,
            client,
            stop,
        }
    }

    /// The controller-manager's configuration for this server.
    pub(crate) fn config(&self) -> Config {
        Config::from_kubeconfig_yaml(&lab_02::server::kubeconfig(self.addr))
            .expect("lab-02's kubeconfig parses")
    }

    /// Starts the controller-manager with `controllers`; it stops with the cluster.
    pub(crate) fn start_controllers(&self, controllers: &[&str]) {
        let mut config = self.config();
        config.controllers = controllers.iter().map(|name| (*name).to_owned()).collect();
        let stopped = self.stop.subscribe();
        self.runtime.spawn(async move {
            if let Err(error) = lab_03::manager::run(config, until(stopped)).await {
                panic!("the controller-manager failed: {error}");
            }
        });
    }

    /// A future that completes when the cluster stops (for components the test starts).
    pub(crate) fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        until(self.stop.subscribe())
    }

    /// Runs `future` on the cluster's runtime and returns its output.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Polls `check` (run on the runtime) until it returns `Some`, failing after [`CONVERGE`].
    #[track_caller]
    pub(crate) fn wait_for<T, Fut>(&self, what: &str, mut check: impl FnMut() -> Fut) -> T
    where
        Fut: Future<Output = Option<T>>,
    {
        labkit::poll_until(CONVERGE, what, || self.runtime.block_on(check()))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
