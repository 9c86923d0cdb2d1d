//! One sync of one Deployment (upstream `syncDeployment` and the rollouts it calls): read the
//! caches, decide with the pure modules, and write through the apiserver.
//!
//! Writes are merge patches: of a ReplicaSet's `spec.replicas` and annotations, of the
//! Deployment's `status` (through `/status`) and of its revision annotation. Upstream PUTs
//! whole objects and retries on conflict; a patch of just the fields this controller owns has
//! the same effect without the retries. (Upstream writes the Deployment's revision annotation
//! in its status update; lab-02's `/status`, like a strict reading of the API, keeps metadata
//! as stored, so it is a patch of its own here.)

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use super::DeploymentController;
use super::claim::claim_replica_sets;
use super::hash::{controller_ref, equal_ignore_hash, find_new_replica_set, find_old_replica_sets};
use super::history::{max_revision, set_new_replica_set_annotations};
use super::recreate::{old_pods_running, scale_down_old};
use super::replicas::{REVISION, deployment_replicas, rs_replicas, strategy_type};
use super::rolling::{Scale, new_rs_new_replicas, plan};
use super::scale::{is_scaling_event, scale};
use super::status::{
    FAILED_RS_CREATE, FOUND_NEW_RS, NEW_RS_CREATED, PROGRESSING, calculate_status, get_condition,
    is_complete, new_condition, paused_condition, progress_deadline, set_condition,
};
use crate::pods::{SelectorError, claimable, controller_of};
use crate::request::{RequestError, has_code, request_failed};

/// Why a sync failed (the key is retried with back-off).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    /// The Deployment's selector is unusable.
    #[error(transparent)]
    Selector(#[from] SelectorError),
    /// A request to the apiserver failed.
    #[error(transparent)]
    Api(#[from] RequestError),
    /// The new ReplicaSet's name is taken by another template: the collision count was raised.
    #[error("hash collision for {0}: retrying with a new pod-template-hash")]
    Collision(String),
}

impl DeploymentController {
    pub(super) fn rs_api(&self, deployment: &Deployment) -> Api<ReplicaSet> {
        let namespace = deployment.metadata.namespace.as_deref().unwrap_or_default();
        Api::namespaced(self.client.clone(), namespace)
    }

    pub(super) fn d_api(&self, deployment: &Deployment) -> Api<Deployment> {
        let namespace = deployment.metadata.namespace.as_deref().unwrap_or_default();
        Api::namespaced(self.client.clone(), namespace)
    }

    /// Syncs the Deployment with this key.
    pub(crate) async fn sync(&self, key: &str) -> Result<(), SyncError> {
        let Some(cached) = self.deployments.get(key) else {
            return Ok(()); // deleted: its ReplicaSets are the garbage collector's
        };
        let mut d = (*cached).clone();
        let spec = d.spec.clone().unwrap_or_default();
        if spec.selector == Default::default() {
            // A selector that selects everything would adopt every ReplicaSet in sight.
            tracing::warn!(deployment = key, "selects all pods: not syncing");
            let mut status = d.status.clone().unwrap_or_default();
            if status.observed_generation < d.metadata.generation {
                status.observed_generation = d.metadata.generation;
                self.write_status(&mut d, status).await?;
            }
            return Ok(());
        }
        let rss = self.claim(&d).await?;
        if d.metadata.deletion_timestamp.is_some() {
            // Being deleted: report, change nothing (upstream `syncStatusOnly`).
            let (new, old) = self.replica_sets_and_revision(&mut d, &rss, false).await?;
            let mut all = old;
            all.extend(new.clone());
            let status = calculate_status(&d, &all, new.as_ref(), self.clock.wall());
            return self.write_status(&mut d, status).await;
        }
        if let Some(condition) = paused_condition(&d, self.clock.wall()) {
            let mut status = d.status.clone().unwrap_or_default();
            set_condition(&mut status, condition);
            self.write_status(&mut d, status).await?;
        }
        if spec.paused == Some(true) {
            return self.sync_scale(&mut d, &rss, true).await;
        }
        let (new, old) = self.replica_sets_and_revision(&mut d, &rss, false).await?;
        let mut all = old.clone();
        all.extend(new);
        if is_scaling_event(&d, &all) {
            return self.sync_scale(&mut d, &rss, false).await;
        }
        if strategy_type(&d) == "Recreate" {
            self.rollout_recreate(&mut d, &rss).await
        } else {
            self.rollout_rolling(&mut d, &rss).await
        }
    }

    /// The ReplicaSets this Deployment owns after adopting orphans and releasing ones that no
    /// longer match (the adoption re-reads the Deployment first: a stale cache must not adopt
    /// for a Deployment that is gone).
    async fn claim(&self, d: &Deployment) -> Result<Vec<ReplicaSet>, SyncError> {
        let namespace = d.metadata.namespace.as_deref().unwrap_or_default();
        let uid = d.metadata.uid.as_deref().unwrap_or_default();
        let claims = claim_replica_sets(d, &claimable(&self.replicasets, uid, namespace))?;
        let mut owned = claims.owned;
        let api = self.rs_api(d);
        if !claims.adopt.is_empty() {
            let name = d.metadata.name.as_deref().unwrap_or_default();
            let fresh = self
                .d_api(d)
                .get(name)
                .await
                .map_err(request_failed(format!(
                    "re-reading Deployment {namespace}/{name}"
                )))?;
            if fresh.metadata.uid == d.metadata.uid && fresh.metadata.deletion_timestamp.is_none() {
                for rs in claims.adopt {
                    let patch = json!({"metadata": {
                        "ownerReferences": [controller_ref(d)], "uid": rs.metadata.uid}});
                    let rs_name = rs.metadata.name.clone().unwrap_or_default();
                    match api
                        .patch(&rs_name, &PatchParams::default(), &Patch::Strategic(patch))
                        .await
                    {
                        Ok(adopted) => owned.push(adopted),
                        Err(error) if has_code(&error, 404) => {}
                        Err(error) => {
                            return Err(request_failed(format!("adopting {rs_name}"))(error).into());
                        }
                    }
                }
            }
        }
        for rs in claims.release {
            let patch = json!({"metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": d.metadata.uid}],
                "uid": rs.metadata.uid}});
            let rs_name = rs.metadata.name.clone().unwrap_or_default();
            match api
                .patch(&rs_name, &PatchParams::default(), &Patch::Strategic(patch))
                .await
            {
                Ok(_) => {}
                Err(error) if has_code(&error, 404) => {}
                Err(error) => {
                    return Err(request_failed(format!("releasing {rs_name}"))(error).into());
                }
            }
        }
        Ok(owned)
    }

    /// The new ReplicaSet (created if `create` and missing) and the old ones, with the
    /// revision annotations brought up to date (upstream `getAllReplicaSetsAndSyncRevision`
    /// and `getNewReplicaSet`).
    async fn replica_sets_and_revision(
        &self,
        d: &mut Deployment,
        rss: &[ReplicaSet],
        create: bool,
    ) -> Result<(Option<ReplicaSet>, Vec<ReplicaSet>), SyncError> {
        let old = find_old_replica_sets(d, rss);
        let new_revision = max_revision(&old) + 1;
        let now = self.clock.wall();
        if let Some(existing) = find_new_replica_set(d, rss) {
            let mut rs = existing.clone();
            let changed = set_new_replica_set_annotations(d, &mut rs, new_revision, true);
            let min_ready = d.spec.as_ref().and_then(|s| s.min_ready_seconds);
            let rs_min_ready = rs.spec.as_ref().and_then(|s| s.min_ready_seconds);
            if changed || min_ready.unwrap_or(0) != rs_min_ready.unwrap_or(0) {
                let patch = json!({"metadata": {"annotations": rs.metadata.annotations},
                                   "spec": {"minReadySeconds": min_ready.unwrap_or(0)}});
                let updated = self.patch_rs(d, &rs, patch).await?;
                return Ok((Some(updated), old));
            }
            let revision = rs
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(REVISION))
                .cloned()
                .unwrap_or_default();
            self.set_deployment_revision(d, &revision).await?;
            let mut status = d.status.clone().unwrap_or_default();
            if progress_deadline(d).is_some() && get_condition(&status, PROGRESSING).is_none() {
                let name = rs.metadata.name.as_deref().unwrap_or_default();
                let message = format!("Found new replica set {name:?}");
                set_condition(
                    &mut status,
                    new_condition(PROGRESSING, "True", FOUND_NEW_RS, message, now),
                );
                self.write_status(d, status).await?;
            }
            return Ok((Some(rs), old));
        }
        if !create {
            return Ok((None, old));
        }
        let mut rs = super::hash::new_replica_set(d, 0);
        let mut all = old.clone();
        all.push(rs.clone());
        let replicas = new_rs_new_replicas(d, &all, &rs);
        if let Some(spec) = rs.spec.as_mut() {
            spec.replicas = Some(replicas);
        }
        set_new_replica_set_annotations(d, &mut rs, new_revision, false);
        let name = rs.metadata.name.clone().unwrap_or_default();
        let (created, existed) = match self.rs_api(d).create(&PostParams::default(), &rs).await {
            Ok(created) => (created, false),
            Err(error) if has_code(&error, 409) => {
                // Most often our own ReplicaSet, created by an earlier sync and not in the
                // cache yet: ask the apiserver, not the cache, or a lagging cache would look
                // like a hash collision.
                let found = self
                    .rs_api(d)
                    .get(&name)
                    .await
                    .map_err(request_failed(format!("reading ReplicaSet {name}")))?;
                let template = super::hash::deployment_template(d);
                let ours = (controller_of(&found.metadata).map(|o| &o.uid)
                    == d.metadata.uid.as_ref()
                    && found
                        .spec
                        .as_ref()
                        .and_then(|s| s.template.as_ref())
                        .is_some_and(|t| equal_ignore_hash(t, &template)))
                .then_some(found);
                match ours {
                    Some(found) => (found, true),
                    None => {
                        // Another template hashes to the same name: hash again, differently.
                        let mut status = d.status.clone().unwrap_or_default();
                        status.collision_count = Some(status.collision_count.unwrap_or(0) + 1);
                        self.write_status(d, status).await?;
                        return Err(SyncError::Collision(name));
                    }
                }
            }
            Err(error) => {
                if progress_deadline(d).is_some() {
                    let message = format!("Failed to create new replica set {name:?}: {error}");
                    let mut status = d.status.clone().unwrap_or_default();
                    let condition =
                        new_condition(PROGRESSING, "False", FAILED_RS_CREATE, message, now);
                    set_condition(&mut status, condition);
                    let _ = self.write_status(d, status).await;
                }
                return Err(request_failed(format!("creating ReplicaSet {name}"))(error).into());
            }
        };
        tracing::info!(rs = %name, replicas, "created the new replica set");
        self.set_deployment_revision(d, &new_revision.to_string())
            .await?;
        if !existed && progress_deadline(d).is_some() {
            let message = format!("Created new replica set {name:?}");
            let mut status = d.status.clone().unwrap_or_default();
            set_condition(
                &mut status,
                new_condition(PROGRESSING, "True", NEW_RS_CREATED, message, now),
            );
            self.write_status(d, status).await?;
        }
        Ok((Some(created), old))
    }

    /// A rolling update step (upstream `rolloutRolling`).
    async fn rollout_rolling(
        &self,
        d: &mut Deployment,
        rss: &[ReplicaSet],
    ) -> Result<(), SyncError> {
        let (new, old) = self.replica_sets_and_revision(d, rss, true).await?;
        let Some(new) = new else {
            return Ok(());
        };
        let scales = plan(d, &new, &old);
        self.apply(d, &old, Some(&new), &scales).await?;
        if scales.is_empty() && is_complete(d, &d.status.clone().unwrap_or_default()) {
            self.clean_history(d, &old).await?;
        }
        self.sync_rollout_status(d, &old, Some(&new)).await
    }

    /// A Recreate step (upstream `rolloutRecreate`): old ReplicaSets to 0; once no old pod
    /// runs, the new ReplicaSet (created only now) to `spec.replicas`.
    async fn rollout_recreate(
        &self,
        d: &mut Deployment,
        rss: &[ReplicaSet],
    ) -> Result<(), SyncError> {
        let (mut new, mut old) = self.replica_sets_and_revision(d, rss, false).await?;
        let downs = scale_down_old(&old);
        if !downs.is_empty() {
            self.apply(d, &old, new.as_ref(), &downs).await?;
            return self.sync_rollout_status(d, &old, new.as_ref()).await;
        }
        let namespace = d.metadata.namespace.as_deref().unwrap_or_default();
        let pods: Vec<Arc<Pod>> = self.pods.list_namespace(namespace);
        if old_pods_running(new.as_ref(), &old, &pods) {
            return self.sync_rollout_status(d, &old, new.as_ref()).await;
        }
        if new.is_none() {
            (new, old) = self.replica_sets_and_revision(d, rss, true).await?;
        }
        if let Some(rs) = &new {
            let desired = deployment_replicas(d);
            if rs_replicas(rs) != desired {
                let up = [Scale {
                    name: rs.metadata.name.clone().unwrap_or_default(),
                    replicas: desired,
                }];
                self.apply(d, &old, new.as_ref(), &up).await?;
            }
        }
        if is_complete(d, &d.status.clone().unwrap_or_default()) {
            self.clean_history(d, &old).await?;
        }
        self.sync_rollout_status(d, &old, new.as_ref()).await
    }

    /// Paused, being deleted, or `spec.replicas` changed: scale without rolling (upstream
    /// `sync`), clean the history of a paused Deployment, and write the status.
    async fn sync_scale(
        &self,
        d: &mut Deployment,
        rss: &[ReplicaSet],
        paused: bool,
    ) -> Result<(), SyncError> {
        let (new, old) = self.replica_sets_and_revision(d, rss, false).await?;
        let scales = scale(d, new.as_ref(), &old);
        self.apply(d, &old, new.as_ref(), &scales).await?;
        if paused {
            self.clean_history(d, &old).await?;
        }
        let mut all = old.clone();
        all.extend(new.clone());
        let status = calculate_status(d, &all, new.as_ref(), self.clock.wall());
        self.write_status(d, status).await
    }
}
