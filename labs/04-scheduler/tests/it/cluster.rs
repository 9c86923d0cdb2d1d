//! A lab-02 apiserver in-process (embedded store) with lab-04's scheduler running against it,
//! on one tokio runtime, while the test's own thread waits with `labkit::poll_until` (the
//! pattern of lab-03's tests).

use std::net::SocketAddr;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use lab_03::manager::Config as ClientConfig;
use lab_04::scheduler;
use tokio::runtime::Runtime;
use tokio::sync::watch;

/// How long a test waits for the scheduler to converge before failing.
pub(crate) const CONVERGE: Duration = Duration::from_secs(30);

/// A running lab-02 apiserver and scheduler, stopped when dropped.
pub(crate) struct Cluster {
    runtime: Runtime,
    addr: SocketAddr,
    /// A client for the apiserver.
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
            let client = ClientConfig::from_kubeconfig_yaml(&lab_02::server::kubeconfig(addr))
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

    /// Starts the scheduler (default name), with or without preemption (step 5); it stops
    /// with the cluster.
    pub(crate) fn start_scheduler(&self, preemption: bool) {
        let client = ClientConfig::from_kubeconfig_yaml(&lab_02::server::kubeconfig(self.addr))
            .expect("lab-02's kubeconfig parses");
        let stopped = until(self.stop.subscribe());
        self.runtime.spawn(async move {
            let config = scheduler::Config {
                preemption,
                ..scheduler::Config::new(client)
            };
            if let Err(error) = scheduler::run(config, stopped).await {
                panic!("the scheduler failed: {error}");
            }
        });
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

    /// Creates a node with `cpu` and `memory` allocatable (and 110 pods).
    pub(crate) fn create_node(&self, name: &str, cpu: &str, memory: &str) {
        let node: Node = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        }))
        .expect("a node");
        let status = serde_json::json!({"status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
        }});
        let nodes: Api<Node> = Api::all(self.client.clone());
        self.block_on(async {
            nodes
                .create(&PostParams::default(), &node)
                .await
                .expect("create node");
            // status is the kubelet's to write, through the status subresource.
            nodes
                .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
                .await
                .expect("node status");
        });
    }

    /// Creates a pod in `default` requesting `cpu` and `memory`, for `scheduler_name`.
    pub(crate) fn create_pod(&self, name: &str, cpu: &str, memory: &str, scheduler_name: &str) {
        self.create_pod_with_priority(name, cpu, memory, scheduler_name, 0);
    }

    /// [`Cluster::create_pod`] with `spec.priority` (as the Priority admission plugin would
    /// have set it from a PriorityClass).
    pub(crate) fn create_pod_with_priority(
        &self,
        name: &str,
        cpu: &str,
        memory: &str,
        scheduler_name: &str,
        priority: i32,
    ) {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "schedulerName": scheduler_name,
                "priority": priority,
                "containers": [{
                    "name": "app",
                    "image": "nginx",
                    "resources": {"requests": {"cpu": cpu, "memory": memory}},
                }],
            },
        }))
        .expect("a pod");
        self.block_on(self.pods().create(&PostParams::default(), &pod))
            .expect("create pod");
    }

    /// The pods of `default`.
    pub(crate) fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), "default")
    }

    /// The pod `name` of `default`, now.
    pub(crate) fn pod(&self, name: &str) -> Pod {
        self.block_on(self.pods().get(name)).expect("get pod")
    }

    /// The events about the pod `name` of `default`, now.
    pub(crate) async fn events_of(&self, name: &str) -> Vec<Event> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), "default");
        let list = events
            .list(&ListParams::default())
            .await
            .expect("list events");
        list.items
            .into_iter()
            .filter(|e| e.involved_object.name.as_deref() == Some(name))
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The pod's `spec.nodeName`, if bound.
pub(crate) fn node_name(pod: &Pod) -> Option<String> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .filter(|n| !n.is_empty())
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
