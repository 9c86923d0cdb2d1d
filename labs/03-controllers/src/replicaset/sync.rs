//! One sync of one ReplicaSet (upstream `syncReplicaSet` and `manageReplicas`): read the
//! caches, decide with [`super::decide`], and carry the decisions out through the apiserver.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::ReplicaSetController;
use super::decide::{ReplicaAction, claim_pods, controller_ref, new_pod, replica_action};
use super::status::calculate_status;
use crate::informer::split_key;
use crate::podcontrol::{PodControlError, create_pods, delete_pods};
use crate::pods::{SelectorError, claimable, is_active};
use crate::request::{RequestError, is_not_found, patch_status, request_failed};

/// Why a sync failed (the key is retried with back-off).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    /// The ReplicaSet's selector is unusable.
    #[error(transparent)]
    Selector(#[from] SelectorError),
    /// Creating or deleting pods failed.
    #[error(transparent)]
    Pods(#[from] PodControlError),
    /// A request to the apiserver failed.
    #[error(transparent)]
    Api(#[from] RequestError),
}

impl ReplicaSetController {
    /// Syncs the ReplicaSet with this key.
    pub(crate) async fn sync(&self, key: &str) -> Result<(), SyncError> {
        let Some(rs) = self.replicasets.get(key) else {
            // Deleted: its pods are the garbage collector's business.
            self.expectations.delete(key);
            return Ok(());
        };
        let (namespace, _) = split_key(key);
        let namespace = namespace.unwrap_or_default();
        let needs_sync =
            self.expectations.satisfied(key) && rs.metadata.deletion_timestamp.is_none();
        let uid = rs.metadata.uid.as_deref().unwrap_or_default();
        let mut active: Vec<Arc<Pod>> = claimable(&self.pods, uid, namespace);
        active.retain(|pod| is_active(pod));
        let claims = claim_pods(&rs, &active)?;
        let mut owned = claims.owned;
        owned.extend(self.adopt(&rs, claims.adopt).await?);
        self.release(&rs, claims.release).await?;

        let manage_error = if needs_sync {
            self.manage_replicas(&rs, key, &owned).await.err()
        } else {
            None
        };
        let now = self.clock.wall();
        let message = manage_error.as_ref().map(ToString::to_string);
        let status = calculate_status(&rs, &owned, message.as_deref(), now);
        self.write_status(&rs, status.clone()).await?;
        if let Some(error) = manage_error {
            return Err(error);
        }
        // Pods become available minReadySeconds after they became ready, with no event to
        // say so: look again then.
        let min_ready = rs
            .spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0);
        if min_ready > 0
            && status.ready_replicas == Some(status.replicas)
            && status.available_replicas != Some(status.replicas)
        {
            let delay = std::time::Duration::from_secs(u64::from(min_ready.unsigned_abs()));
            self.queue.add_after(key, delay);
        }
        Ok(())
    }

    /// Adopts orphans: a strategic-merge patch adding our controller reference, conditional
    /// on the pod's UID. Re-reads the ReplicaSet first (upstream `RecheckDeletionTimestamp`):
    /// a stale cache must not adopt for a ReplicaSet that is gone or going.
    async fn adopt(
        &self,
        rs: &ReplicaSet,
        orphans: Vec<Arc<Pod>>,
    ) -> Result<Vec<Arc<Pod>>, SyncError> {
        if orphans.is_empty() {
            return Ok(orphans);
        }
        let namespace = rs.metadata.namespace.as_deref().unwrap_or_default();
        let name = rs.metadata.name.as_deref().unwrap_or_default();
        let fresh = Api::<ReplicaSet>::namespaced(self.client.clone(), namespace)
            .get(name)
            .await
            .map_err(request_failed(format!(
                "re-reading ReplicaSet {namespace}/{name}"
            )))?;
        if fresh.metadata.uid != rs.metadata.uid || fresh.metadata.deletion_timestamp.is_some() {
            return Ok(Vec::new());
        }
        let pods = Api::<Pod>::namespaced(self.client.clone(), namespace);
        let owner = controller_ref(rs);
        let mut adopted = Vec::new();
        for pod in orphans {
            let pod_name = pod.metadata.name.as_deref().unwrap_or_default();
            let patch = json!({"metadata": {
                "ownerReferences": [owner],
                "uid": pod.metadata.uid,
            }});
            match pods
                .patch(pod_name, &PatchParams::default(), &Patch::Strategic(patch))
                .await
            {
                Ok(pod) => adopted.push(Arc::new(pod)),
                // Gone meanwhile: nothing to adopt.
                Err(error) if is_not_found(&error) => {}
                Err(error) => {
                    return Err(request_failed(format!("adopting pod {pod_name}"))(error).into());
                }
            }
        }
        Ok(adopted)
    }

    /// Releases pods that no longer match: a strategic-merge patch deleting our owner
    /// reference (by its merge key, the UID), conditional on the pod's UID.
    async fn release(&self, rs: &ReplicaSet, pods: Vec<Arc<Pod>>) -> Result<(), SyncError> {
        let namespace = rs.metadata.namespace.as_deref().unwrap_or_default();
        let api = Api::<Pod>::namespaced(self.client.clone(), namespace);
        for pod in pods {
            let pod_name = pod.metadata.name.as_deref().unwrap_or_default();
            let patch = json!({"metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": rs.metadata.uid}],
                "uid": pod.metadata.uid,
            }});
            match api
                .patch(pod_name, &PatchParams::default(), &Patch::Strategic(patch))
                .await
            {
                Ok(_) => {}
                Err(error) if is_not_found(&error) => {}
                Err(error) => {
                    return Err(request_failed(format!("releasing pod {pod_name}"))(error).into());
                }
            }
        }
        Ok(())
    }

    // ANCHOR: manage_replicas
    /// Creates or deletes pods as [`replica_action`] decides, through [`crate::podcontrol`]:
    /// expectations recorded first, creations in slow-start batches that stop at the first
    /// failure, and every creation or deletion that does not happen "observed" at once, so
    /// the expectations do not wait for it.
    async fn manage_replicas(
        &self,
        rs: &ReplicaSet,
        key: &str,
        owned: &[Arc<Pod>],
    ) -> Result<(), SyncError> {
        match replica_action(rs, owned, owned, self.clock.wall()) {
            ReplicaAction::Nothing => {}
            ReplicaAction::Create(count) => {
                let pods = vec![new_pod(rs); count];
                create_pods(&self.client, &self.expectations, key, &pods).await?;
            }
            ReplicaAction::Delete(pods) => {
                delete_pods(&self.client, &self.expectations, key, &pods).await?;
            }
        }
        Ok(())
    }
    // ANCHOR_END: manage_replicas

    /// Writes `status` through the status subresource, unless it is what the ReplicaSet
    /// already says. A merge patch of `status` alone: it cannot conflict with a user editing
    /// `spec` meanwhile (upstream PUTs and retries on conflict; the effect is the same).
    async fn write_status(
        &self,
        rs: &ReplicaSet,
        status: k8s_openapi::api::apps::v1::ReplicaSetStatus,
    ) -> Result<(), SyncError> {
        if rs.status.as_ref() == Some(&status) {
            return Ok(());
        }
        let namespace = rs.metadata.namespace.as_deref().unwrap_or_default();
        let name = rs.metadata.name.as_deref().unwrap_or_default();
        let api = Api::<ReplicaSet>::namespaced(self.client.clone(), namespace);
        let mut body = json!(status);
        // Absent means "leave as is" in a merge patch; null removes the old conditions.
        if status.conditions.is_none() {
            body["conditions"] = serde_json::Value::Null;
        }
        let patch = Patch::Merge(json!({ "status": body }));
        match patch_status(&self.client, &api, name, &patch).await {
            Ok(()) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) => Err(
                request_failed(format!("updating the status of {namespace}/{name}"))(error).into(),
            ),
        }
    }
}
