//! The Deployment controller: rolls a Deployment's pod template out through ReplicaSets, one
//! per template version (upstream `pkg/controller/deployment`).
//!
//! The decisions are pure functions ([`hash`], [`rolling`], [`recreate`], [`scale`],
//! [`status`], [`history`], [`claim`]); this module is the thin loop around them:
//!
//! ```text
//! Deployment informer ─┐                           ┌─ sync("default/web"):
//! ReplicaSet informer ─┼─> queue of Deployment ──> │   claim ReplicaSets (adopt, release)
//!   (its owner, or the │   keys                    │   paused or replicas changed: scale
//!   Deployments that   │                           │   else roll out: Recreate or RollingUpdate
//!   select an orphan)  │                           │   write status (conditions), clean history
//! Pod informer ────────┘ (deleted: its RS's owner) └─
//! ```
//!
//! The ReplicaSet controller, not this one, creates and deletes the pods.

pub mod claim;
pub mod hash;
pub mod history;
pub mod recreate;
pub mod replicas;
pub mod rolling;
pub mod scale;
pub mod status;
mod sync;
mod writes;

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use labkit::Clock;

use self::replicas::strategy_type;
use crate::informer::{Cache, Change, Informer, object_key};
use crate::pods::{CONTROLLER_INDEX, controller_index, controller_of, selector_matches};
use crate::queue::WorkQueue;
use crate::runner::Tasks;

/// Upstream's default `--concurrent-deployment-syncs`.
pub const DEFAULT_WORKERS: usize = 5;

/// The Deployment controller's shared state. Clones share everything.
#[derive(Clone)]
pub struct DeploymentController {
    client: Client,
    deployments: Cache<Deployment>,
    replicasets: Cache<ReplicaSet>,
    pods: Cache<Pod>,
    queue: Arc<WorkQueue>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DeploymentController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeploymentController")
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

/// Runs the Deployment controller with `workers` workers until `shutdown` completes: three
/// informers (Deployments, ReplicaSets, Pods), their handlers, and the workers, which start
/// once every cache has synced.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut d_informer = Informer::new(Api::<Deployment>::all(client.clone()));
    let mut rs_informer = Informer::new(Api::<ReplicaSet>::all(client.clone()));
    rs_informer
        .cache()
        .add_index(CONTROLLER_INDEX, controller_index::<ReplicaSet>);
    let mut pod_informer = Informer::new(Api::<Pod>::all(client.clone()));
    let controller = DeploymentController {
        client,
        deployments: d_informer.cache(),
        replicasets: rs_informer.cache(),
        pods: pod_informer.cache(),
        queue: Arc::new(WorkQueue::new(clock.clone())),
        clock,
    };
    let handler = controller.clone();
    d_informer.on_change(move |change| handler.deployment_changed(change));
    let handler = controller.clone();
    rs_informer.on_change(move |change| handler.replicaset_changed(change));
    let handler = controller.clone();
    pod_informer.on_change(move |change| handler.pod_changed(change));

    let mut tasks = Tasks::new();
    tasks.informer(d_informer);
    tasks.informer(rs_informer);
    tasks.informer(pod_informer);
    let synced = controller.clone();
    let worker = controller.clone();
    tasks.workers(
        "deployment-controller",
        controller.queue.clone(),
        workers,
        move || {
            synced.deployments.has_synced()
                && synced.replicasets.has_synced()
                && synced.pods.has_synced()
        },
        || {},
        move |key| {
            let controller = worker.clone();
            async move { controller.sync(&key).await }
        },
    );
    tasks.run_until(shutdown).await;
}

impl DeploymentController {
    /// Any change of a Deployment means a sync of it.
    fn deployment_changed(&self, change: &Change<Deployment>) {
        let deployment = match change {
            Change::Added(d) | Change::Deleted(d) | Change::Updated { new: d, .. } => d,
        };
        self.queue.add(&object_key(deployment.as_ref()));
    }

    /// A ReplicaSet with a Deployment controller means a sync of that Deployment (of the old
    /// one too when the owner changed); an orphan, a sync of every Deployment selecting it,
    /// which may adopt it (upstream `addReplicaSet`, `updateReplicaSet`, `deleteReplicaSet`).
    fn replicaset_changed(&self, change: &Change<ReplicaSet>) {
        match change {
            Change::Added(rs) | Change::Deleted(rs) => match self.owner_key(rs) {
                Some(key) => self.queue.add(&key),
                None if controller_of(&rs.metadata).is_none() => self.enqueue_selecting(rs),
                None => {}
            },
            Change::Updated { old, new } => {
                if let Some(old_key) = self.owner_key(old)
                    && self.owner_key(new).as_ref() != Some(&old_key)
                {
                    self.queue.add(&old_key);
                }
                match self.owner_key(new) {
                    Some(key) => self.queue.add(&key),
                    None if controller_of(&new.metadata).is_none() => self.enqueue_selecting(new),
                    None => {}
                }
            }
        }
    }

    /// A deleted pod may be the last old one a `Recreate` rollout waits for: sync the
    /// Deployment that owns its ReplicaSet (upstream `deletePod`). A `RollingUpdate` waits on
    /// its ReplicaSets' status instead, so a pod's deletion is no news to it.
    fn pod_changed(&self, change: &Change<Pod>) {
        let Change::Deleted(pod) = change else {
            return;
        };
        let Some(owner) = controller_of(&pod.metadata) else {
            return;
        };
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        if owner.kind == "ReplicaSet"
            && let Some(rs) = self.replicasets.get(&format!("{namespace}/{}", owner.name))
            && let Some(key) = self.owner_key(&rs)
            && self
                .deployments
                .get(&key)
                .is_some_and(|d| strategy_type(&d) == "Recreate")
        {
            self.queue.add(&key);
        }
    }

    /// The key of the Deployment controlling `rs`, if it is one we know (same UID).
    fn owner_key(&self, rs: &ReplicaSet) -> Option<String> {
        let owner = controller_of(&rs.metadata)?;
        if owner.kind != "Deployment" {
            return None;
        }
        let namespace = rs.metadata.namespace.as_deref().unwrap_or_default();
        let key = format!("{namespace}/{}", owner.name);
        let deployment = self.deployments.get(&key)?;
        (deployment.metadata.uid.as_deref() == Some(owner.uid.as_str())).then_some(key)
    }

    /// Enqueues every Deployment of the namespace whose selector matches the ReplicaSet.
    fn enqueue_selecting(&self, rs: &ReplicaSet) {
        let namespace = rs.metadata.namespace.as_deref().unwrap_or_default();
        for deployment in self.deployments.list_namespace(namespace) {
            let Some(spec) = deployment.spec.as_ref() else {
                continue;
            };
            if selector_matches(&spec.selector, rs.metadata.labels.as_ref()).unwrap_or(false) {
                self.queue.add(&object_key(deployment.as_ref()));
            }
        }
    }
}
