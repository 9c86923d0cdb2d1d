//! The ReplicaSet controller: keeps `spec.replicas` pods matching a ReplicaSet's selector.
//!
//! The decisions are pure functions ([`decide`], [`ranking`], [`status`]); this module is the
//! thin loop around them (upstream `pkg/controller/replicaset`):
//!
//! ```text
//! ReplicaSet informer ─┐                        ┌─ sync("default/web"):
//!   (add/update/delete) ├─> queue of RS keys ──>│    read the RS, its pods and the orphans from the caches
//! Pod informer ────────┘   (a pod's owner,      │    claim: adopt orphans, release non-matching (PATCH)
//!   (add/update/delete)     or the RSs that     │    if expectations are satisfied: create (slow start) or delete
//!                           select an orphan)   │    write status (PUT .../status)
//!                                               └─
//! ```

pub mod decide;
pub mod ranking;
pub mod status;
mod sync;

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use labkit::Clock;

use crate::expectations::Expectations;
use crate::informer::{Cache, Change, Informer, object_key};
use crate::pods::{CONTROLLER_INDEX, controller_index, controller_of, selector_matches};
use crate::queue::{WorkQueue, run_workers};

/// Upstream's default `--concurrent-replicaset-syncs`.
pub const DEFAULT_WORKERS: usize = 5;

/// The ReplicaSet controller's shared state: the client, both caches, the queue and the
/// expectations. Clones share everything.
#[derive(Clone)]
pub struct ReplicaSetController {
    client: Client,
    replicasets: Cache<ReplicaSet>,
    pods: Cache<Pod>,
    queue: Arc<WorkQueue>,
    expectations: Arc<Expectations>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ReplicaSetController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaSetController")
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

/// Runs the ReplicaSet controller with `workers` workers until `shutdown` completes: two
/// informers (ReplicaSets and Pods, all namespaces), their handlers, and the workers, which
/// start once both caches have synced.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut rs_informer = Informer::new(Api::<ReplicaSet>::all(client.clone()));
    let mut pod_informer = Informer::new(Api::<Pod>::all(client.clone()));
    pod_informer
        .cache()
        .add_index(CONTROLLER_INDEX, controller_index::<Pod>);
    let controller = ReplicaSetController {
        client,
        replicasets: rs_informer.cache(),
        pods: pod_informer.cache(),
        queue: Arc::new(WorkQueue::new(clock.clone())),
        expectations: Arc::new(Expectations::new(clock.clone())),
        clock,
    };
    let handler = controller.clone();
    rs_informer.on_change(move |change| handler.replicaset_changed(change));
    let handler = controller.clone();
    pod_informer.on_change(move |change| handler.pod_changed(change));

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let wait = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let informers = tokio::spawn({
        let stopped = stopped.clone();
        async move {
            tokio::join!(
                rs_informer.run(wait(stopped.clone())),
                pod_informer.run(wait(stopped))
            );
        }
    });
    let workers_done = tokio::spawn({
        let controller = controller.clone();
        let mut stopped = stopped.clone();
        async move {
            // Upstream `WaitForCacheSync`: an empty cache would look like "no pods at all".
            while !(controller.replicasets.has_synced() && controller.pods.has_synced()) {
                tokio::select! {
                    _ = stopped.changed() => return,
                    () = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
                }
            }
            tracing::info!("replicaset controller: caches synced, starting {workers} workers");
            let queue = controller.queue.clone();
            run_workers(queue, workers, move |key| {
                let controller = controller.clone();
                async move { controller.sync(&key).await }
            })
            .await;
        }
    });
    shutdown.await;
    let _ = stop.send(true);
    controller.queue.shut_down();
    let _ = informers.await;
    let _ = workers_done.await;
}

impl ReplicaSetController {
    /// The ReplicaSet informer's handler: every change of a ReplicaSet means a sync of it.
    fn replicaset_changed(&self, change: &Change<ReplicaSet>) {
        match change {
            Change::Added(rs) => self.queue.add(&object_key(rs.as_ref())),
            Change::Updated { old, new } => {
                let key = object_key(new.as_ref());
                // Deleted and created again under the same name (seen as one update after a
                // relist): the old one's expectations would hold the new one back.
                if old.metadata.uid != new.metadata.uid {
                    self.expectations.delete(&key);
                }
                self.queue.add(&key);
            }
            Change::Deleted(rs) => {
                let key = object_key(rs.as_ref());
                self.expectations.delete(&key);
                self.queue.add(&key);
            }
        }
    }

    // ANCHOR: pod_changed
    /// The Pod informer's handler (upstream `addPod`, `updatePod`, `deletePod`): a pod with a
    /// ReplicaSet controller means a sync of that ReplicaSet (and, for a new pod, one observed
    /// creation; for a deleted one, one observed deletion); an orphan means a sync of every
    /// ReplicaSet whose selector matches it, which may adopt it.
    fn pod_changed(&self, change: &Change<Pod>) {
        match change {
            Change::Added(pod) => {
                if let Some(key) = self.owner_key(pod) {
                    if pod.metadata.deletion_timestamp.is_none() {
                        self.expectations.creation_observed(&key);
                    }
                    self.queue.add(&key);
                } else if controller_of(&pod.metadata).is_none() {
                    self.enqueue_selecting(pod);
                }
            }
            Change::Updated { old, new } => {
                if old.metadata.resource_version == new.metadata.resource_version {
                    return; // a relist that found nothing new
                }
                // Being deleted gracefully counts as deleted: it is no longer active.
                if new.metadata.deletion_timestamp.is_some()
                    && old.metadata.deletion_timestamp.is_none()
                    && let Some(key) = self.owner_key(new)
                {
                    self.expectations.deletion_observed(&key);
                }
                let old_key = self.owner_key(old);
                let new_key = self.owner_key(new);
                if let Some(old_key) = &old_key
                    && old_key_changed(old_key, new_key.as_deref())
                {
                    self.queue.add(old_key);
                }
                match new_key {
                    Some(key) => self.queue.add(&key),
                    None if controller_of(&new.metadata).is_none() => self.enqueue_selecting(new),
                    None => {}
                }
            }
            Change::Deleted(pod) => {
                if let Some(key) = self.owner_key(pod) {
                    if pod.metadata.deletion_timestamp.is_none() {
                        self.expectations.deletion_observed(&key);
                    }
                    self.queue.add(&key);
                }
            }
        }
    }
    // ANCHOR_END: pod_changed

    /// The key of the ReplicaSet that controls `pod`, if it is one we know (same UID).
    fn owner_key(&self, pod: &Pod) -> Option<String> {
        let owner = controller_of(&pod.metadata)?;
        if owner.kind != "ReplicaSet" {
            return None;
        }
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        let key = format!("{namespace}/{}", owner.name);
        let rs = self.replicasets.get(&key)?;
        (rs.metadata.uid.as_deref() == Some(owner.uid.as_str())).then_some(key)
    }

    /// Enqueues every ReplicaSet of the pod's namespace whose selector matches it.
    fn enqueue_selecting(&self, pod: &Pod) {
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        for rs in self.replicasets.list_namespace(namespace) {
            let Some(spec) = rs.spec.as_ref() else {
                continue;
            };
            if selector_matches(&spec.selector, pod.metadata.labels.as_ref()).unwrap_or(false) {
                self.queue.add(&object_key(rs.as_ref()));
            }
        }
    }
}

fn old_key_changed(old: &str, new: Option<&str>) -> bool {
    new != Some(old)
}
