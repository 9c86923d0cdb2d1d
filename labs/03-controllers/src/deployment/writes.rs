//! The writes of a Deployment sync: ReplicaSet sizes and annotations, the history cleanup,
//! the Deployment's revision annotation and its status. Each is a merge patch of the fields
//! this controller owns (see `sync.rs` for why patches, not PUTs).

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet};
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;

use crate::request::{has_code, patch_status, request_failed};

use super::DeploymentController;
use super::history::history_to_delete;
use super::replicas::{
    REVISION, deployment_replicas, max_surge, replicas_annotations_need_update, rs_replicas,
    set_replicas_annotations,
};
use super::rolling::Scale;
use super::status::{recheck_after, rollout_status};
use super::sync::SyncError;

impl DeploymentController {
    /// Writes the rollout status; when nothing changed, looks again when the progress
    /// deadline could have passed (upstream `syncRolloutStatus`, `requeueStuckDeployment`).
    pub(super) async fn sync_rollout_status(
        &self,
        d: &mut Deployment,
        old: &[ReplicaSet],
        new: Option<&ReplicaSet>,
    ) -> Result<(), SyncError> {
        let mut all = old.to_vec();
        all.extend(new.cloned());
        let now = self.clock.wall();
        let status = rollout_status(d, &all, new, now);
        if d.status.as_ref() == Some(&status) {
            if let Some(after) = recheck_after(d, &status, now) {
                self.queue.add_after(&crate::informer::object_key(d), after);
            }
            return Ok(());
        }
        self.write_status(d, status).await
    }

    /// Carries out `scales` (upstream `scaleReplicaSet`): each ReplicaSet's new size, with its
    /// `desired-replicas` / `max-replicas` annotations set to the Deployment's current ones.
    pub(super) async fn apply(
        &self,
        d: &Deployment,
        old: &[ReplicaSet],
        new: Option<&ReplicaSet>,
        scales: &[Scale],
    ) -> Result<(), SyncError> {
        let desired = deployment_replicas(d);
        let max = desired + max_surge(d);
        for scale in scales {
            let Some(rs) = old
                .iter()
                .chain(new)
                .find(|rs| rs.metadata.name.as_ref() == Some(&scale.name))
            else {
                continue;
            };
            if rs_replicas(rs) == scale.replicas
                && !replicas_annotations_need_update(rs, desired, max)
            {
                continue;
            }
            let mut updated = rs.clone();
            set_replicas_annotations(&mut updated, desired, max);
            tracing::info!(rs = %scale.name, from = rs_replicas(rs), to = scale.replicas, "scaling replica set");
            let patch = json!({"metadata": {"annotations": updated.metadata.annotations},
                               "spec": {"replicas": scale.replicas}});
            self.patch_rs(d, rs, patch).await?;
        }
        Ok(())
    }

    pub(super) async fn patch_rs(
        &self,
        d: &Deployment,
        rs: &ReplicaSet,
        patch: serde_json::Value,
    ) -> Result<ReplicaSet, SyncError> {
        let name = rs.metadata.name.clone().unwrap_or_default();
        let patched = self
            .rs_api(d)
            .patch(&name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .map_err(request_failed(format!("updating ReplicaSet {name}")))?;
        Ok(patched)
    }

    /// Deletes the old ReplicaSets beyond `revisionHistoryLimit`.
    pub(super) async fn clean_history(
        &self,
        d: &Deployment,
        old: &[ReplicaSet],
    ) -> Result<(), SyncError> {
        for name in history_to_delete(d, old) {
            match self.rs_api(d).delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(error) if has_code(&error, 404) => {}
                Err(error) => {
                    return Err(request_failed(format!("deleting ReplicaSet {name}"))(error).into());
                }
            }
        }
        Ok(())
    }

    /// Sets the Deployment's revision annotation (upstream `SetDeploymentRevision`).
    pub(super) async fn set_deployment_revision(
        &self,
        d: &mut Deployment,
        revision: &str,
    ) -> Result<(), SyncError> {
        let current = d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION));
        if current.map(String::as_str) == Some(revision) {
            return Ok(());
        }
        let name = d.metadata.name.clone().unwrap_or_default();
        let patch = json!({"metadata": {"annotations": {REVISION: revision}}});
        match self
            .d_api(d)
            .patch(&name, &PatchParams::default(), &Patch::Merge(patch))
            .await
        {
            Ok(_) => {}
            Err(error) if has_code(&error, 404) => return Ok(()),
            Err(error) => {
                return Err(
                    request_failed(format!("updating the revision of {name}"))(error).into(),
                );
            }
        }
        d.metadata
            .annotations
            .get_or_insert_default()
            .insert(REVISION.to_owned(), revision.to_owned());
        Ok(())
    }

    /// Writes `status` through `/status` (and keeps it in `d`, as upstream's later steps read
    /// it), unless it is what the Deployment already says.
    pub(super) async fn write_status(
        &self,
        d: &mut Deployment,
        status: DeploymentStatus,
    ) -> Result<(), SyncError> {
        if d.status.as_ref() == Some(&status) {
            return Ok(());
        }
        let namespace = d.metadata.namespace.clone().unwrap_or_default();
        let name = d.metadata.name.clone().unwrap_or_default();
        let patch = Patch::Merge(json!({ "status": status }));
        match patch_status(&self.client, &self.d_api(d), &name, &patch).await {
            Ok(()) => {}
            Err(error) if has_code(&error, 404) => {}
            Err(error) => {
                return Err(
                    request_failed(format!("updating the status of {namespace}/{name}"))(error)
                        .into(),
                );
            }
        }
        d.status = Some(status);
        Ok(())
    }
}
