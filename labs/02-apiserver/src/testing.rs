//! An API server for the tests of later labs: lab-02 on the embedded store, in-process, on a
//! free loopback port and a runtime of its own, stopped when dropped.
//!
//! Controllers (lab 03) and the scheduler (lab 04) are tested against the real server, not a
//! fake: each test starts one of these, runs its component on [`LocalServer::runtime`], and
//! waits on its own thread with [`LocalServer::wait_for`] (polling with a deadline).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::watch;

use crate::server::{self, Config, Server};

/// How long [`LocalServer::wait_for`] waits for something to converge before failing.
pub const CONVERGE: Duration = Duration::from_secs(30);

/// A running lab-02 server (embedded store) on its own runtime, stopped when dropped.
#[derive(Debug)]
pub struct LocalServer {
    /// The runtime the server runs on, and the components and requests of the test.
    pub runtime: Runtime,
    /// Where the server listens.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl LocalServer {
    /// Starts the server on a free loopback port. Panics if it cannot: this is test support.
    pub fn start() -> LocalServer {
        LocalServer::start_with(Config::default())
    }

    /// As [`LocalServer::start`] with `config` (its `listen` is replaced by a free loopback
    /// port). Lab 03's step-5 tests turn the stopgap off (`stopgap: false`) so that its
    /// namespace controller and garbage collector, not the server, finish deletions.
    pub fn start_with(config: Config) -> LocalServer {
        labkit::init_tracing();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let (stop, _) = watch::channel(false);
        let config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..config
        };
        let stopped = until(stop.subscribe());
        let addr = runtime.block_on(async {
            let server = Server::bind(&config).await.expect("lab-02 starts");
            let addr = server.local_addr();
            tokio::spawn(server.serve(stopped));
            addr
        });
        LocalServer {
            runtime,
            addr,
            stop,
        }
    }

    /// A kubeconfig for the server.
    pub fn kubeconfig(&self) -> String {
        server::kubeconfig(self.addr)
    }

    /// A future that completes when the server stops (the `shutdown` of components the test
    /// starts, so they stop with it).
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        until(self.stop.subscribe())
    }

    /// Runs `future` on the server's runtime and returns its output.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Polls `check` (run on the runtime) until it returns `Some`, failing after [`CONVERGE`].
    #[track_caller]
    pub fn wait_for<T, Fut>(&self, what: &str, mut check: impl FnMut() -> Fut) -> T
    where
        Fut: Future<Output = Option<T>>,
    {
        labkit::poll_until(CONVERGE, what, || self.runtime.block_on(check()))
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
