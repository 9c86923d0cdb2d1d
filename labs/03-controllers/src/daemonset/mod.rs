//! The DaemonSet controller: one pod per matching node, and a rolling update of them when the
//! template changes (upstream `pkg/controller/daemon`).
//!
//! ```text
//! DaemonSet informer ──┐                        ┌─ sync("kube-system/node-agent"):
//! Pod informer ────────┤                        │    history: the ControllerRevision of the
//!   (the pod's owner)   ├─> queue of DaemonSet ─>│      template (create or renumber it); its hash
//! Node informer ───────┤    keys                │    if expectations are satisfied:
//!   (every DaemonSet)   │                        │      daemon_actions: create a pinned pod on each
//! ControllerRevision ──┘                        │        node that needs one, delete the rest;
//!   informer (owner)                             │      if that had nothing to do: rolling_update
//!                                                │      truncate the history
//!                                                │    write status (PATCH .../status)
//!                                                └─
//! ```
//!
//! The decisions are pure ([`placement`], [`decide`], [`update`], [`revisions`]); this file
//! and `sync.rs` are the loop. Pods carry `controller-revision-hash`, the hash of the revision
//! they were made from; that is how the update tells old pods from new ones. Not here (yet):
//! adoption of orphans, the `pod-template-generation` label, and the back-off upstream waits
//! before replacing a failed daemon pod.

pub mod decide;
pub mod placement;
pub mod revisions;
mod sync;
pub mod update;

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::{Api, Client};
use labkit::Clock;

use crate::expectations::Expectations;
use crate::informer::{Cache, Change, Informer, object_key};
use crate::pods::controller_of;
use crate::queue::WorkQueue;
use crate::runner::Tasks;

/// Upstream's default `--concurrent-daemonset-syncs`.
pub const DEFAULT_WORKERS: usize = 2;

pub use self::sync::SyncError;

/// The controller's shared state. Clones share everything.
#[derive(Clone)]
struct DaemonSetController {
    client: Client,
    daemonsets: Cache<DaemonSet>,
    pods: Cache<Pod>,
    nodes: Cache<Node>,
    revisions: Cache<ControllerRevision>,
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
    let mut revision_informer = Informer::new(Api::<ControllerRevision>::all(client.clone()));
    let controller = DaemonSetController {
        client,
        daemonsets: ds_informer.cache(),
        pods: pod_informer.cache(),
        nodes: node_informer.cache(),
        revisions: revision_informer.cache(),
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

    let handler = controller.clone();
    revision_informer.on_change(move |change| {
        // A revision created, renumbered or deleted: its DaemonSet's history changed.
        let (Change::Added(revision)
        | Change::Updated { new: revision, .. }
        | Change::Deleted(revision)) = change;
        if let Some(key) = owner_key(&revision.metadata) {
            handler.queue.add(&key);
        }
    });

    let mut tasks = Tasks::new();
    tasks.informer(ds_informer);
    tasks.informer(pod_informer);
    tasks.informer(node_informer);
    tasks.informer(revision_informer);
    let synced = controller.clone();
    let worker = controller.clone();
    tasks.workers(
        "daemonset-controller",
        controller.queue.clone(),
        workers,
        move || {
            synced.daemonsets.has_synced()
                && synced.pods.has_synced()
                && synced.nodes.has_synced()
                && synced.revisions.has_synced()
        },
        || {},
        move |key| {
            let controller = worker.clone();
            async move { controller.sync(&key).await }
        },
    );
    tasks.run_until(shutdown).await;
}

/// The key of the DaemonSet controlling the object with `meta` (a pod, a revision), if any.
fn owner_key(meta: &ObjectMeta) -> Option<String> {
    let owner = controller_of(meta)?;
    let namespace = meta.namespace.as_deref().unwrap_or_default();
    (owner.kind == "DaemonSet").then(|| format!("{namespace}/{}", owner.name))
}

impl DaemonSetController {
    /// A pod changed: its DaemonSet syncs; a new or deleted pod is an observed expectation.
    fn pod_changed(&self, change: &Change<Pod>) {
        match change {
            Change::Added(pod) => {
                if let Some(key) = owner_key(&pod.metadata) {
                    self.expectations.creation_observed(&key);
                    self.queue.add(&key);
                }
            }
            Change::Updated { old, new } => {
                if new.metadata.deletion_timestamp.is_some()
                    && old.metadata.deletion_timestamp.is_none()
                    && let Some(key) = owner_key(&new.metadata)
                {
                    self.expectations.deletion_observed(&key);
                }
                if let Some(key) = owner_key(&new.metadata) {
                    self.queue.add(&key);
                }
            }
            Change::Deleted(pod) => {
                if let Some(key) = owner_key(&pod.metadata) {
                    if pod.metadata.deletion_timestamp.is_none() {
                        self.expectations.deletion_observed(&key);
                    }
                    self.queue.add(&key);
                }
            }
        }
    }
}
