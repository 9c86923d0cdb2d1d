//! Test support: a lab-02 apiserver in-process (`lab_02::testing::LocalServer`), a client, and
//! the controllers, while the test's own thread waits with `wait_for`.

use std::ops::Deref;
use std::sync::Arc;

use kube::Client;
use lab_02::testing::LocalServer;
use lab_03::manager::Config;
use labkit::{Clock, Kubectl, KubectlOutput};

/// A running lab-02 apiserver (embedded store) and a client for it, stopped when dropped.
/// Dereferences to the [`LocalServer`] (`runtime`, `block_on`, `wait_for`, `stopped`).
pub(crate) struct Cluster {
    server: LocalServer,
    /// A client for it.
    pub(crate) client: Client,
}

impl Deref for Cluster {
    type Target = LocalServer;

    fn deref(&self) -> &LocalServer {
        &self.server
    }
}

impl Cluster {
    /// Starts lab-02 on a free loopback port.
    pub(crate) fn start() -> Cluster {
        Cluster::with_server(LocalServer::start())
    }

    /// Starts lab-02 with its stopgap off: namespace and cascading deletions are left to the
    /// controllers (step 5's tests prove ours do them, not the server).
    pub(crate) fn start_without_stopgap() -> Cluster {
        let config = lab_02::server::Config {
            stopgap: false,
            ..lab_02::server::Config::default()
        };
        Cluster::with_server(LocalServer::start_with(config))
    }

    fn with_server(server: LocalServer) -> Cluster {
        let config =
            Config::from_kubeconfig_yaml(&server.kubeconfig()).expect("lab-02's kubeconfig parses");
        let client = server.block_on(config.client()).expect("a client");
        Cluster { server, client }
    }

    /// The controller-manager's configuration for this server.
    pub(crate) fn config(&self) -> Config {
        Config::from_kubeconfig_yaml(&self.kubeconfig()).expect("lab-02's kubeconfig parses")
    }

    /// Starts the controller-manager with `controllers`; it stops with the cluster.
    pub(crate) fn start_controllers(&self, controllers: &[&str]) {
        self.start_manager(self.config(), controllers);
    }

    /// Starts the controller-manager with `controllers` reading the time from `clock` (a
    /// `FakeClock` for deadlines); it stops with the cluster.
    pub(crate) fn start_controllers_with_clock(&self, controllers: &[&str], clock: Arc<dyn Clock>) {
        let mut config = self.config();
        config.clock = clock;
        self.start_manager(config, controllers);
    }

    /// Starts the controller-manager with `config` and `controllers`.
    pub(crate) fn start_manager(&self, mut config: Config, controllers: &[&str]) {
        config.controllers = controllers.iter().map(|name| (*name).to_owned()).collect();
        let stopped = self.stopped();
        self.runtime.spawn(async move {
            if let Err(error) = lab_03::manager::run(config, stopped).await {
                panic!("the controller-manager failed: {error}");
            }
        });
    }
}

impl Cluster {
    /// The real kubectl of version 1.`minor` pointed at this server, with the kubeconfig file
    /// it reads (keep it alive as long as kubectl runs), or "not run" where that kubectl is not
    /// installed.
    pub(crate) fn kubectl(
        &self,
        minor: u32,
    ) -> Result<(Kubectl, tempfile::NamedTempFile), labkit::NotRun> {
        use std::io::Write as _;
        let kubectl = Kubectl::version(minor)?;
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(self.kubeconfig().as_bytes())
            .expect("the kubeconfig is written");
        Ok((kubectl.kubeconfig(file.path()), file))
    }
}

/// kubectl's standard output, after checking that it succeeded.
#[track_caller]
pub(crate) fn ok(output: &KubectlOutput) -> &str {
    assert!(
        output.success,
        "kubectl failed ({:?}): {}{}",
        output.code, output.stdout, output.stderr
    );
    &output.stdout
}

/// kubectl's `--timeout=<secs>s`, capped as the tests' own waits are (see
/// `labkit::poll::WAIT_CAP_ENV`): a stripped step's `rollout status` fails after the cap.
pub(crate) fn kubectl_timeout(secs: u64) -> String {
    let timeout = labkit::poll::capped(std::time::Duration::from_secs(secs));
    format!("--timeout={}s", timeout.as_secs())
}
