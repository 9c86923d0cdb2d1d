//! The DaemonSet controller: one pod per matching node (upstream `pkg/controller/daemon`).
//!
//! ```text
//! DaemonSet informer ─┐                          ┌─ sync("kube-system/node-agent"):
//! Pod informer ───────┼─> queue of DaemonSet ───>│    its pods (owned, not deleting), every node
//!   (the pod's owner)  │   keys                   │    if expectations are satisfied: daemon_actions ->
//! Node informer ──────┘   (a node change:         │      create a pinned pod on each node that needs one, delete the rest
//!                           every DaemonSet)      │    write status (PATCH .../status)
//!                                                 └─
//! ```
//!
//! The decisions are pure ([`placement`], [`decide`]); this file is the loop. Not here (yet):
//! the rolling update of `updateStrategy` (pods of an old template are counted, not replaced),
//! ControllerRevisions, and adoption of orphans.

pub mod decide;
pub mod placement;

use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use labkit::Clock;
use serde_json::json;

use self::decide::{calculate_status, daemon_actions, new_pod};
use crate::expectations::Expectations;
use crate::informer::{Cache, Change, Informer, object_key, split_key};
use crate::podcontrol::{PodControlError, create_pods, delete_pods};
use crate::pods::controller_of;
use crate::queue::WorkQueue;
use crate::runner::Tasks;

/// Upstream's default `--concurrent-daemonset-syncs`.
pub const DEFAULT_WORKERS: usize = 2;

/// Why a sync failed (the key is retried with back-off).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Creating or deleting daemon pods failed.
    #[error(transparent)]
    Pods(#[from] PodControlError),
    /// Writing the DaemonSet's status failed.
    #[error("updating the status of {key}: {source}")]
    Status {
        /// The DaemonSet's key.
        key: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

/// The controller's shared state. Clones share everything.
#[derive(Clone)]
struct DaemonSetController {
    client: Client,
    daemonsets: Cache<DaemonSet>,
    pods: Cache<Pod>,
    nodes: Cache<Node>,
    queue: Arc<WorkQueue>,
    expectations: Arc<Expectations>,
    clock: Arc<dyn Clock>,
}

/// Runs the DaemonSet controller until `shutdown` completes: informers on DaemonSets, Pods
/// and Nodes, and `workers` workers once the caches have synced.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut ds_informer = Informer::new(Api::<DaemonSet>::all(client.clone()));
    let mut pod_informer = Informer::new(Api::<Pod>::all(client.clone()));
    let mut node_informer = Informer::new(Api::<Node>::all(client.clone()));
    let controller = DaemonSetController {
        client,
        daemonsets: ds_informer.cache(),
        pods: pod_informer.cache(),
        nodes: node_informer.cache(),
        queue: Arc::new(WorkQueue::new(clock.clone())),
        expectations: Arc::new(Expectations::new(clock.clone())),
        clock,
    };
    let handler = controller.clone();
    ds_informer.on_change(move |change| {
        let ds = match change {
            Change::Added(ds) | Change::Updated { new: ds, .. } => ds,
            Change::Deleted(ds) => {
                handler.expectations.delete(&object_key(ds.as_ref()));
                ds
            }
        };
        handler.queue.add(&object_key(ds.as_ref()));
    });
    let handler = controller.clone();
    pod_informer.on_change(move |change| handler.pod_changed(change));
    let handler = controller.clone();
    node_informer.on_change(move |_| {
        // A new node, a label or a taint: any DaemonSet may now want a pod there, or not.
        for ds in handler.daemonsets.list() {
            handler.queue.add(&object_key(ds.as_ref()));
        }
    });

    let mut tasks = Tasks::new();
    tasks.informer(ds_informer);
    tasks.informer(pod_informer);
    tasks.informer(node_informer);
    let synced = controller.clone();
    let worker = controller.clone();
    tasks.workers(
        "daemonset-controller",
        controller.queue.clone(),
        workers,
        move || {
            synced.daemonsets.has_synced() && synced.pods.has_synced() && synced.nodes.has_synced()
        },
        || {},
        move |key| {
            let controller = worker.clone();
            async move { controller.sync(&key).await }
        },
    );
    tasks.run_until(shutdown).await;
}

impl DaemonSetController {
    /// The key of the DaemonSet controlling `pod`, if any.
    fn owner_key(pod: &Pod) -> Option<String> {
        let owner = controller_of(&pod.metadata)?;
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        (owner.kind == "DaemonSet").then(|| format!("{namespace}/{}", owner.name))
    }

    /// A pod changed: its DaemonSet syncs; a new or deleted pod is an observed expectation.
    fn pod_changed(&self, change: &Change<Pod>) {
        match change {
            Change::Added(pod) => {
                if let Some(key) = Self::owner_key(pod) {
                    self.expectations.creation_observed(&key);
                    self.queue.add(&key);
                }
            }
            Change::Updated { old, new } => {
                if new.metadata.deletion_timestamp.is_some()
                    && old.metadata.deletion_timestamp.is_none()
                    && let Some(key) = Self::owner_key(new)
                {
                    self.expectations.deletion_observed(&key);
                }
                if let Some(key) = Self::owner_key(new) {
                    self.queue.add(&key);
                }
            }
            Change::Deleted(pod) => {
                if let Some(key) = Self::owner_key(pod) {
                    if pod.metadata.deletion_timestamp.is_none() {
                        self.expectations.deletion_observed(&key);
                    }
                    self.queue.add(&key);
                }
            }
        }
    }

    /// One sync of the DaemonSet with this key.
    async fn sync(&self, key: &str) -> Result<(), SyncError> {
        let Some(ds) = self.daemonsets.get(key) else {
            self.expectations.delete(key);
            return Ok(());
        };
        let (namespace, _) = split_key(key);
        let namespace = namespace.unwrap_or_default();
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let pods: Vec<Arc<Pod>> = self
            .pods
            .list_namespace(namespace)
            .into_iter()
            .filter(|pod| pod.metadata.deletion_timestamp.is_none())
            .filter(|pod| controller_of(&pod.metadata).is_some_and(|owner| owner.uid == uid))
            .collect();
        let nodes = self.nodes.list();
        if self.expectations.satisfied(key) && ds.metadata.deletion_timestamp.is_none() {
            let actions = daemon_actions(&ds, &nodes, &pods);
            let new_pods: Vec<Pod> = actions
                .create_on
                .iter()
                .map(|node| new_pod(&ds, node))
                .collect();
            create_pods(&self.client, &self.expectations, key, &new_pods).await?;
            delete_pods(&self.client, &self.expectations, key, &actions.delete).await?;
        }
        let status = calculate_status(&ds, &nodes, &pods, self.clock.wall());
        if ds.status.as_ref() != Some(&status) {
            let name = ds.metadata.name.as_deref().unwrap_or_default();
            let patch = Patch::Merge(json!({ "status": status }));
            match Api::<DaemonSet>::namespaced(self.client.clone(), namespace)
                .patch_status(name, &PatchParams::default(), &patch)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(source) => {
                    return Err(SyncError::Status {
                        key: key.to_owned(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }
}
