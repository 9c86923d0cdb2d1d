//! One in-process cluster for a run: lab-02 on its embedded store, lab-03's hollow nodes,
//! lab-04's scheduler and lab-03's controller-manager, all on this process's tokio runtime.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use kube::Client;
use lab_03::hollow::{HollowConfig, HollowNodes};
use lab_03::manager;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long the hollow nodes get to register.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(120);

/// A running cluster; [`Cluster::stop`] ends every part of it.
pub(crate) struct Cluster {
    /// A client of the bench's own (its watches, creates and patches).
    pub(crate) client: Client,
    nodes: HollowNodes,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

impl Cluster {
    /// Starts the apiserver, `nodes` hollow nodes (waiting until all registered), then the
    /// binder (lab-04's scheduler, or the test binder) and the `replicaset` and `deployment`
    /// controllers (upstream's 5 workers each).
    pub(crate) async fn start(
        nodes: usize,
        ready_after: Duration,
        test_binder: bool,
    ) -> Result<Cluster> {
        let (stop, _) = watch::channel(false);
        let mut tasks = Vec::new();
        let server_config = lab_02::server::Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..lab_02::server::Config::default()
        };
        let server = lab_02::server::Server::bind(&server_config)
            .await
            .context("starting lab-02")?;
        let kubeconfig = lab_02::server::kubeconfig(server.local_addr());
        let serve = server.serve(until(stop.subscribe()));
        tasks.push(tokio::spawn(async move {
            if let Err(error) = serve.await {
                eprintln!("lab-02 stopped: {error}");
            }
        }));

        let client_config = manager::Config::from_kubeconfig_yaml(&kubeconfig)?;
        let client = client_config.client().await?;
        let mut hollow = HollowConfig::new(nodes);
        hollow.ready_after = ready_after;
        let hollow_nodes = lab_03::hollow::start(&client, &hollow)?;
        let deadline = Instant::now() + REGISTER_TIMEOUT;
        while hollow_nodes.registered() < nodes {
            if Instant::now() > deadline {
                bail!(
                    "only {} of {nodes} hollow nodes registered in {REGISTER_TIMEOUT:?}",
                    hollow_nodes.registered()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // The binder after the nodes: its node cache then has all of them from the start.
        if test_binder {
            let names = hollow_nodes.names().to_vec();
            let binder = crate::binder::run(client.clone(), names, until(stop.subscribe()));
            tasks.push(tokio::spawn(binder));
        } else {
            let scheduler = lab_04::scheduler::run(
                lab_04::scheduler::Config::new(client_config.clone()),
                until(stop.subscribe()),
            );
            tasks.push(tokio::spawn(async move {
                if let Err(error) = scheduler.await {
                    eprintln!("the scheduler stopped: {error}");
                }
            }));
        }
        let controllers = manager::Config {
            controllers: vec!["replicaset".to_owned(), "deployment".to_owned()],
            ..client_config
        };
        let manager = manager::run(controllers, until(stop.subscribe()));
        tasks.push(tokio::spawn(async move {
            if let Err(error) = manager.await {
                eprintln!("the controller-manager stopped: {error}");
            }
        }));
        Ok(Cluster {
            client,
            nodes: hollow_nodes,
            stop,
            tasks,
        })
    }

    /// Stops the controllers, the scheduler, the nodes and the apiserver, and waits for them.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        self.nodes.stop().await;
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
