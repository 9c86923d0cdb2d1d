//! A lab-02 apiserver in-process (embedded store, `lab_02::testing::LocalServer`) with lab-04's
//! scheduler running against it, while the test's own thread waits with `wait_for`; plus the
//! nodes, pods and events the tests make and read.

use std::future::Future;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use lab_02::testing::LocalServer;
use lab_03::manager::Config as ClientConfig;
use lab_04::scheduler;

/// A running lab-02 apiserver and a client for it (the scheduler joins with
/// [`Cluster::start_scheduler`]), stopped when dropped. Dereferences to the [`LocalServer`]
/// (`runtime`, `block_on`, `wait_for`, `stopped`).
pub(crate) struct Cluster {
    server: LocalServer,
    /// A client for the apiserver.
    pub(crate) client: Client,
    /// Why the scheduler stopped, if it did (a panic: an unfinished step's `todo!`, say).
    scheduler_failure: Arc<Mutex<Option<String>>>,
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
        let server = LocalServer::start();
        let config = ClientConfig::from_kubeconfig_yaml(&server.kubeconfig())
            .expect("lab-02's kubeconfig parses");
        let client = server.block_on(config.client()).expect("a client");
        Cluster {
            server,
            client,
            scheduler_failure: Arc::default(),
        }
    }

    /// Polls `check` until it gives a value, like [`LocalServer::wait_for`], but fails at once
    /// with the scheduler's own panic when the scheduler has stopped: waiting for a scheduler
    /// that is gone would only end in a timeout that hides why.
    pub(crate) fn wait_for<T, Fut>(&self, what: &str, mut check: impl FnMut() -> Fut) -> T
    where
        Fut: Future<Output = Option<T>>,
    {
        self.server.wait_for(what, || {
            let failure = self
                .scheduler_failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            if let Some(failure) = failure {
                panic!("the scheduler stopped while waiting for {what}: {failure}");
            }
            check()
        })
    }

    /// Starts the scheduler (default name), with or without preemption (step 5); it stops
    /// with the cluster.
    pub(crate) fn start_scheduler(&self, preemption: bool) {
        let client = ClientConfig::from_kubeconfig_yaml(&self.kubeconfig())
            .expect("lab-02's kubeconfig parses");
        let stopped = self.stopped();
        let scheduler = self.runtime.spawn(async move {
            let config = scheduler::Config {
                preemption,
                ..scheduler::Config::new(client)
            };
            if let Err(error) = scheduler::run(config, stopped).await {
                panic!("the scheduler failed: {error}");
            }
        });
        // A watcher keeps the scheduler's panic message for `wait_for`.
        let failure = self.scheduler_failure.clone();
        self.runtime.spawn(async move {
            if let Err(error) = scheduler.await
                && error.is_panic()
            {
                let panic = error.into_panic();
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "a panic".to_owned());
                *failure
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(message);
            }
        });
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

/// The pod's `spec.nodeName`, if bound.
pub(crate) fn node_name(pod: &Pod) -> Option<String> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .filter(|n| !n.is_empty())
}
