//! One sync of one DaemonSet (upstream `syncDaemonSet`): its history, then the pods the
//! decisions ask for, then the status.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::DaemonSetController;
use super::decide::{DaemonActions, calculate_status, controller_ref, daemon_actions, new_pod};
use super::revisions::{revision_data, revision_hash, revisions_to_delete, split_history};
use super::update::rolling_update;
use crate::history::{create_revision, delete_revisions, new_revision, renumber_revision};
use crate::informer::split_key;
use crate::podcontrol::{PodControlError, create_pods, delete_pods};
use crate::pods::controlled_by;
use crate::request::{RequestError, request_failed};

/// Why a sync failed (the key is retried with back-off).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Creating or deleting daemon pods failed.
    #[error(transparent)]
    Pods(#[from] PodControlError),
    /// A request to the apiserver failed.
    #[error(transparent)]
    Api(#[from] RequestError),
}

/// The DaemonSet's history as one sync uses it.
struct CurrentHistory {
    /// The revision of the template now.
    current: Arc<ControllerRevision>,
    /// The others, oldest first.
    old: Vec<Arc<ControllerRevision>>,
    /// The collision count the current revision's name was made with.
    collision_count: Option<i32>,
}

impl DaemonSetController {
    /// One sync of the DaemonSet with this key.
    pub(super) async fn sync(&self, key: &str) -> Result<(), SyncError> {
        let Some(ds) = self.daemonsets.get(key) else {
            self.expectations.delete(key);
            return Ok(());
        };
        if ds.metadata.deletion_timestamp.is_some() {
            // Its pods and revisions are the garbage collector's.
            return Ok(());
        }
        let (namespace, _) = split_key(key);
        let namespace = namespace.unwrap_or_default();
        let uid = ds.metadata.uid.as_deref().unwrap_or_default();
        let pods = controlled_by(self.pods.list_namespace(namespace), uid);
        let nodes = self.nodes.list();
        let history = self.construct_history(&ds, namespace).await?;
        let hash = revision_hash(&history.current);
        let now = self.clock.wall();
        if self.expectations.satisfied(key) {
            // The update only moves once the manage step has nothing left to do (upstream: its
            // writes leave the expectations unsatisfied until they are seen).
            let mut actions = daemon_actions(&ds, &nodes, &pods, &hash, now);
            if actions == DaemonActions::default() {
                actions = rolling_update(&ds, &nodes, &pods, &hash, now);
            }
            let new_pods: Vec<Pod> = actions
                .create_on
                .iter()
                .map(|node| new_pod(&ds, node, &hash))
                .collect();
            create_pods(&self.client, &self.expectations, key, &new_pods).await?;
            delete_pods(&self.client, &self.expectations, key, &actions.delete).await?;
            let doomed = revisions_to_delete(&ds, &history.old, &pods);
            let api = Api::<ControllerRevision>::namespaced(self.client.clone(), namespace);
            delete_revisions(&api, &doomed)
                .await
                .map_err(request_failed(format!("truncating the history of {key}")))?;
        }
        let mut status = calculate_status(&ds, &nodes, &pods, &hash, now);
        status.collision_count = history.collision_count;
        self.write_status(&ds, key, &status).await?;
        // Pods become available minReadySeconds after they became ready, with no event to
        // say so: look again then.
        let min_ready = ds.spec.as_ref().and_then(|s| s.min_ready_seconds);
        if let Some(seconds) = min_ready.filter(|s| *s > 0)
            && status.number_ready != status.number_available.unwrap_or(0)
        {
            let delay = Duration::from_secs(u64::from(seconds.unsigned_abs()));
            self.queue.add_after(key, delay);
        }
        Ok(())
    }

    /// Finds or makes the revision of the DaemonSet's template (upstream `constructHistory`):
    /// an existing one with the same data is renumbered to be the newest (a rollback), else a
    /// new one is created with the next number.
    async fn construct_history(
        &self,
        ds: &DaemonSet,
        namespace: &str,
    ) -> Result<CurrentHistory, SyncError> {
        let revisions = self.revisions.list_namespace(namespace);
        let history = split_history(ds, &revisions);
        let api = Api::<ControllerRevision>::namespaced(self.client.clone(), namespace);
        let collision_count = ds.status.as_ref().and_then(|s| s.collision_count);
        let name = ds.metadata.name.as_deref().unwrap_or_default();
        let current = match history.current {
            Some(current) if current.revision >= history.next_revision => current,
            Some(current) => Arc::new(
                renumber_revision(&api, &current, history.next_revision)
                    .await
                    .map_err(request_failed(format!("renumbering a revision of {name}")))?,
            ),
            None => {
                let template_labels = ds
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.metadata.as_ref())
                    .and_then(|m| m.labels.clone())
                    .unwrap_or_default();
                let revision = new_revision(
                    &controller_ref(ds),
                    namespace,
                    &template_labels,
                    revision_data(ds),
                    history.next_revision,
                    collision_count,
                );
                let (created, count) =
                    create_revision(&api, &revision, collision_count.unwrap_or(0))
                        .await
                        .map_err(request_failed(format!("creating a revision of {name}")))?;
                return Ok(CurrentHistory {
                    current: Arc::new(created),
                    old: history.old,
                    // Only a bumped count is recorded: an unset one stays unset.
                    collision_count: if count == collision_count.unwrap_or(0) {
                        collision_count
                    } else {
                        Some(count)
                    },
                });
            }
        };
        Ok(CurrentHistory {
            current,
            old: history.old,
            collision_count,
        })
    }

    /// Writes `status` through the status subresource unless it is what the DaemonSet says.
    async fn write_status(
        &self,
        ds: &DaemonSet,
        key: &str,
        status: &DaemonSetStatus,
    ) -> Result<(), SyncError> {
        if ds.status.as_ref() == Some(status) {
            return Ok(());
        }
        let (namespace, name) = split_key(key);
        let patch = Patch::Merge(json!({ "status": status }));
        match Api::<DaemonSet>::namespaced(self.client.clone(), namespace.unwrap_or_default())
            .patch_status(name, &PatchParams::default(), &patch)
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(error) => {
                Err(request_failed(format!("updating the status of {key}"))(error).into())
            }
        }
    }
}
