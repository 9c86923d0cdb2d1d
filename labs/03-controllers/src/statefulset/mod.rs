//! The StatefulSet controller: pods with a stable identity, started and stopped in order, each
//! with its own storage (upstream `pkg/controller/statefulset`).
//!
//! ```text
//! StatefulSet informer ──┐                     ┌─ sync("default/web"):
//! Pod informer ──────────┼─> queue of ────────>│    its pods (owned, member names) from the cache
//!   (the pod's owner)     │   StatefulSet keys  │    revisions: find or create the template's one
//! ControllerRevision ─────┘   (a cache only)    │    decide: deletions, then creations (claims first)
//!                                               │    write status; truncate the history
//!                                               └─
//! ```
//!
//! The decisions are pure ([`identity`], [`decide`](mod@decide), [`status`]); this file is
//! the loop; [`adopt`] sorts out which pods are the StatefulSet's, and `writes` creates and
//! deletes pods and claims, with an Event for each. Not here: the
//! `persistentVolumeClaimRetentionPolicy` other than the default `Retain` (claims are never
//! deleted), `spec.ordinals.start`, and `maxUnavailable` for rolling updates.

pub mod adopt;
pub mod decide;
pub mod identity;
pub mod status;
mod writes;

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use labkit::Clock;
use serde_json::json;

use self::decide::{Revisions, decide, min_ready_seconds};
use self::identity::{controller_ref, parent_and_ordinal, pod_revision};
use self::status::{calculate_status, revision_data};
use crate::events::EventRecorder;
use crate::history;
use crate::informer::{Cache, Change, Informer, object_key, split_key};
use crate::pods::controller_of;
use crate::queue::WorkQueue;
use crate::request::{RequestError, has_code, is_not_found, request_failed};
use crate::runner::Tasks;

/// Upstream's default `--concurrent-statefulset-syncs`.
pub const DEFAULT_WORKERS: usize = 5;

/// Revisions kept when `spec.revisionHistoryLimit` is unset (the API default).
const DEFAULT_HISTORY_LIMIT: i32 = 10;

/// Why a sync failed (the key is retried with back-off).
pub type SyncError = RequestError;

/// The controller's shared state. Clones share everything.
#[derive(Clone)]
struct StatefulSetController {
    client: Client,
    sets: Cache<StatefulSet>,
    pods: Cache<Pod>,
    revisions: Cache<ControllerRevision>,
    queue: Arc<WorkQueue>,
    events: EventRecorder,
    clock: Arc<dyn Clock>,
}

/// Runs the StatefulSet controller until `shutdown` completes: informers on StatefulSets,
/// Pods and ControllerRevisions, and `workers` workers once the caches have synced.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut set_informer = Informer::new(Api::<StatefulSet>::all(client.clone()));
    let mut pod_informer = Informer::new(Api::<Pod>::all(client.clone()));
    let revision_informer = Informer::new(Api::<ControllerRevision>::all(client.clone()));
    let controller = StatefulSetController {
        client: client.clone(),
        sets: set_informer.cache(),
        pods: pod_informer.cache(),
        revisions: revision_informer.cache(),
        queue: Arc::new(WorkQueue::new(clock.clone())),
        events: EventRecorder::new(client.clone(), "statefulset-controller", clock.clone()),
        clock,
    };
    let handler = controller.clone();
    set_informer.on_change(move |change| {
        let (Change::Added(set) | Change::Updated { new: set, .. } | Change::Deleted(set)) = change;
        handler.queue.add(&object_key(set.as_ref()));
    });
    let handler = controller.clone();
    pod_informer.on_change(move |change| {
        let (Change::Added(pod) | Change::Updated { new: pod, .. } | Change::Deleted(pod)) = change;
        if let Some(key) = owner_key(pod) {
            handler.queue.add(&key);
        } else if controller_of(&pod.metadata).is_none() {
            // An orphan: the StatefulSet its name says it belongs to may adopt it.
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
            if let Some((parent, _)) = parent_and_ordinal(name) {
                let key = format!("{namespace}/{parent}");
                if handler.sets.get(&key).is_some() {
                    handler.queue.add(&key);
                }
            }
        }
    });

    let mut tasks = Tasks::new();
    tasks.informer(set_informer);
    tasks.informer(pod_informer);
    tasks.informer(revision_informer);
    let synced = controller.clone();
    let worker = controller.clone();
    tasks.workers(
        "statefulset-controller",
        controller.queue.clone(),
        workers,
        move || {
            synced.sets.has_synced() && synced.pods.has_synced() && synced.revisions.has_synced()
        },
        || {},
        move |key| {
            let controller = worker.clone();
            async move { controller.sync(&key).await }
        },
    );
    tasks.run_until(shutdown).await;
}

/// The key of the StatefulSet controlling `pod`, if any.
fn owner_key(pod: &Pod) -> Option<String> {
    let owner = controller_of(&pod.metadata)?;
    let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
    (owner.kind == "StatefulSet").then(|| format!("{namespace}/{}", owner.name))
}

/// Whether a write failed only because the cache was behind: the object is already there
/// (409 on a create), already gone (404) or already replaced (409: the UID precondition).
fn already_done(error: &kube::Error) -> bool {
    has_code(error, 404) || has_code(error, 409)
}

/// The two revisions of one sync, and the collision count that named the update one.
struct SyncRevisions {
    current: Arc<ControllerRevision>,
    update: Arc<ControllerRevision>,
    collision_count: i32,
}

impl StatefulSetController {
    /// One sync of the StatefulSet with this key.
    async fn sync(&self, key: &str) -> Result<(), SyncError> {
        let Some(set) = self.sets.get(key) else {
            return Ok(());
        };
        let (namespace, _) = split_key(key);
        let namespace = namespace.unwrap_or_default();
        let uid = set.metadata.uid.clone().unwrap_or_default();
        let pods = adopt::claim(&self.client, &set, &self.pods.list_namespace(namespace))
            .await
            .map_err(request_failed(format!("claiming the pods of {key}")))?;
        let mut owned = history::owned_by(&self.revisions.list_namespace(namespace), &uid);
        let revisions = self.revisions(&set, &mut owned).await?;
        let names = Revisions {
            current: revisions
                .current
                .metadata
                .name
                .as_deref()
                .unwrap_or_default(),
            update: revisions
                .update
                .metadata
                .name
                .as_deref()
                .unwrap_or_default(),
        };
        let now = self.clock.wall();
        let actions = decide(&set, &pods, names, now);
        self.act(&set, &revisions, &actions).await?;

        let status = calculate_status(&set, &pods, names, revisions.collision_count, now);
        // Nothing changes when a ready pod becomes available: look again then (upstream
        // requeues after minReadySeconds too).
        let min_ready = u64::try_from(min_ready_seconds(&set)).unwrap_or(0);
        if min_ready > 0 && status.ready_replicas != status.available_replicas {
            self.queue.add_after(key, Duration::from_secs(min_ready));
        }
        if set.status.as_ref() != Some(&status) {
            let name = set.metadata.name.as_deref().unwrap_or_default();
            let patch = Patch::Merge(json!({ "status": status }));
            match Api::<StatefulSet>::namespaced(self.client.clone(), namespace)
                .patch_status(name, &PatchParams::default(), &patch)
                .await
            {
                Err(error) if !is_not_found(&error) => {
                    return Err(request_failed(format!("updating the status of {key}"))(
                        error,
                    ));
                }
                _ => {}
            }
        }
        self.truncate_history(&set, &pods, &owned, names).await
    }

    /// Finds or makes the revision of the StatefulSet's template (upstream
    /// `getStatefulSetRevisions`): the newest revision if it holds the same data; an older
    /// equal one renumbered to come last (a rollback); or a new one. The current revision is
    /// the one named in `status.currentRevision`, or the update one on the first sync.
    async fn revisions(
        &self,
        set: &StatefulSet,
        owned: &mut Vec<Arc<ControllerRevision>>,
    ) -> Result<SyncRevisions, SyncError> {
        let namespace = set.metadata.namespace.as_deref().unwrap_or_default();
        let name = set.metadata.name.as_deref().unwrap_or_default();
        let api = Api::<ControllerRevision>::namespaced(self.client.clone(), namespace);
        let mut collision_count = set
            .status
            .as_ref()
            .and_then(|s| s.collision_count)
            .unwrap_or(0);
        history::sort_by_revision(owned);
        let data = revision_data(set);
        let equal = history::find_equal(owned, &data);
        let newest = owned.last().map(|r| r.metadata.name.clone());
        let update = match equal.last() {
            Some(revision) if newest == Some(revision.metadata.name.clone()) => revision.clone(),
            Some(revision) => {
                let number = history::next_revision(owned);
                let renumbered = history::renumber_revision(&api, revision, number)
                    .await
                    .map_err(request_failed(format!("renumbering a revision of {name}")))?;
                Arc::new(renumbered)
            }
            None => {
                let labels = set
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.metadata.as_ref())
                    .and_then(|m| m.labels.clone())
                    .unwrap_or_default();
                let mut revision = history::new_revision(
                    &controller_ref(set),
                    namespace,
                    &labels,
                    data,
                    history::next_revision(owned),
                    Some(collision_count),
                );
                // The StatefulSet's annotations go along (upstream `newRevision`):
                // `kubernetes.io/change-cause` is what `kubectl rollout history` shows.
                revision.metadata.annotations = set.metadata.annotations.clone();
                let (created, count) = history::create_revision(&api, &revision, collision_count)
                    .await
                    .map_err(request_failed(format!("creating a revision of {name}")))?;
                collision_count = count;
                Arc::new(created)
            }
        };
        // Keep the list this sync truncates up to date with what it just wrote.
        owned.retain(|r| r.metadata.name != update.metadata.name);
        owned.push(update.clone());
        let current_name = set.status.as_ref().and_then(|s| s.current_revision.clone());
        let current = owned
            .iter()
            .find(|r| current_name.is_some() && r.metadata.name == current_name)
            .cloned()
            .unwrap_or_else(|| update.clone());
        Ok(SyncRevisions {
            current,
            update,
            collision_count,
        })
    }

    /// Deletes the oldest revisions beyond `revisionHistoryLimit`, never one a pod or the
    /// status uses (upstream `truncateHistory`).
    async fn truncate_history(
        &self,
        set: &StatefulSet,
        pods: &[Arc<Pod>],
        owned: &[Arc<ControllerRevision>],
        revisions: Revisions<'_>,
    ) -> Result<(), SyncError> {
        let mut live: Vec<&str> = pods.iter().filter_map(|p| pod_revision(p)).collect();
        live.extend([revisions.current, revisions.update]);
        let limit = set
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(DEFAULT_HISTORY_LIMIT);
        let doomed = history::history_to_delete(owned, &live, usize::try_from(limit).unwrap_or(0));
        let namespace = set.metadata.namespace.as_deref().unwrap_or_default();
        let api = Api::<ControllerRevision>::namespaced(self.client.clone(), namespace);
        history::delete_revisions(&api, &doomed)
            .await
            .map_err(request_failed(format!(
                "truncating the history of {}",
                set.metadata.name.as_deref().unwrap_or_default()
            )))
    }
}
