//! One sync of one pod key (upstream `podWorkers.UpdatePod` → `syncPod`, the status manager,
//! and the mirror pod manager): decide with [`super::decide::decide`], then act through the
//! runtime and the apiserver.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{HostIP, Pod};
use kube::Api;
use kube::api::{DeleteParams, Patch, PostParams, Preconditions};
use serde_json::json;

use super::Kubelet;
use super::agent::lock;
use super::decide::{PodAction, PodRecord, decide};
use super::runtime::{PodReport, StatusReporter};
use super::static_pods::{CONFIG_HASH, CONFIG_MIRROR, annotation, is_mirror, mirror_pod};
use crate::informer::{Change, object_key, split_key};
use crate::request::{RequestError, has_code, patch_status, request_failed};

/// Why a sync failed (the key is retried with back-off).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    /// The runtime refused the pod.
    #[error(transparent)]
    Runtime(#[from] super::RuntimeError),
    /// A request to the apiserver failed.
    #[error(transparent)]
    Api(#[from] RequestError),
}

/// The pod's `spec.nodeName`.
fn node_of(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref()?.node_name.as_deref()
}

impl Kubelet {
    /// The pod informer's handler: a change of a pod bound to this node queues its key
    /// (other pods are someone else's: hollow nodes share one informer over all pods).
    pub fn pod_changed(&self, change: &Change<Pod>) {
        let pod = match change {
            Change::Added(pod) | Change::Deleted(pod) => pod,
            Change::Updated { new, .. } => new,
        };
        if node_of(pod) == Some(self.config.node_name.as_str()) {
            self.queue.add(&object_key(pod.as_ref()));
        }
    }

    /// The pod wanted under `key` on this node: a static pod from a file, else the API's pod
    /// bound here (not a mirror pod: its static pod already runs).
    fn wanted(&self, key: &str) -> Option<Arc<Pod>> {
        if let Some(pod) = lock(&self.static_pods).get(key) {
            return Some(pod.clone());
        }
        let pod = self.pods.get(key)?;
        (node_of(&pod) == Some(self.config.node_name.as_str()) && !is_mirror(&pod)).then_some(pod)
    }

    /// Syncs the pod with this key: its actions, then its mirror pod if it is a static pod.
    pub(crate) async fn sync(self: &Arc<Self>, key: &str) -> Result<(), SyncError> {
        let wanted = self.wanted(key);
        let actions = decide(wanted.as_deref(), lock(&self.records).get(key));
        for action in actions {
            self.act(key, wanted.as_deref(), action).await?;
        }
        self.sync_mirror(key).await
    }

    async fn act(
        self: &Arc<Self>,
        key: &str,
        wanted: Option<&Pod>,
        action: PodAction,
    ) -> Result<(), SyncError> {
        let (namespace, name) = split_key(key);
        let pods: Api<Pod> =
            Api::namespaced(self.config.client.clone(), namespace.unwrap_or_default());
        match action {
            PodAction::Start => {
                let Some(pod) = wanted else { return Ok(()) };
                let record = PodRecord::starting(pod);
                let reporter = self.reporter(key, &record.uid);
                lock(&self.records).insert(key.to_owned(), record);
                tracing::debug!(node = %self.config.node_name, pod = %key, "starting");
                if let Err(error) = self.runtime.start_pod(pod, reporter) {
                    lock(&self.records).remove(key);
                    return Err(error.into());
                }
            }
            PodAction::Stop { grace } => {
                let uid = {
                    let mut records = lock(&self.records);
                    let Some(record) = records.get_mut(key) else {
                        return Ok(());
                    };
                    record.stopping = true;
                    record.uid.clone()
                };
                tracing::debug!(node = %self.config.node_name, pod = %key, ?grace, "stopping");
                self.runtime.stop_pod(&uid, grace);
            }
            PodAction::WriteStatus(status) => {
                if !self.status_target_exists(key) {
                    return Ok(()); // a static pod whose mirror is not there yet
                }
                let patch = json!({ "status": status });
                match patch_status(&self.config.client, &pods, name, &Patch::Merge(&patch)).await {
                    Ok(()) => {}
                    Err(error) if has_code(&error, 404) => return Ok(()),
                    Err(source) => {
                        return Err(request_failed("write the pod status")(source).into());
                    }
                }
                if let Some(record) = lock(&self.records).get_mut(key) {
                    record.written = Some(*status);
                }
            }
            PodAction::Delete => {
                let Some(uid) = wanted.and_then(|pod| pod.metadata.uid.clone()) else {
                    return Ok(());
                };
                delete_for_good(&pods, name, uid).await?;
            }
            PodAction::Forget => {
                lock(&self.records).remove(key);
            }
        }
        Ok(())
    }

    /// Whether the pod whose status we would write is in the API: the API pod itself (same
    /// UID), or the mirror of a static pod.
    fn status_target_exists(&self, key: &str) -> bool {
        let Some(api_pod) = self.pods.get(key) else {
            return !self.pods.has_synced();
        };
        if is_mirror(&api_pod) {
            return lock(&self.static_pods).contains_key(key);
        }
        let record_uid = lock(&self.records)
            .get(key)
            .map(|record| record.uid.clone());
        api_pod.metadata.uid == record_uid
    }

    /// A reporter for the pod `uid` under `key`: stores each report in the record (if it is
    /// still that pod) and queues a sync.
    fn reporter(self: &Arc<Self>, key: &str, uid: &str) -> StatusReporter {
        let kubelet = Arc::downgrade(self);
        let key = key.to_owned();
        StatusReporter::with_sink(
            uid,
            Arc::new(move |uid: &str, report: PodReport| {
                if let Some(kubelet) = kubelet.upgrade() {
                    kubelet.record_report(&key, uid, report);
                }
            }),
        )
    }

    fn record_report(&self, key: &str, uid: &str, report: PodReport) {
        let (mut status, finished) = match report {
            PodReport::Status(status) => (status, false),
            PodReport::Finished(status) => (status, true),
        };
        // The kubelet, not the runtime, knows the node's address.
        let host_ip = self.config.node_ip.to_string();
        status.host_ip = Some(host_ip.clone());
        status.host_ips = Some(vec![HostIP { ip: host_ip }]);
        {
            let mut records = lock(&self.records);
            let Some(record) = records.get_mut(key).filter(|record| record.uid == uid) else {
                return;
            };
            record.status = Some(status);
            record.finished |= finished;
        }
        self.queue.add(key);
    }

    /// Makes the API's mirror pods follow the static pods: create a missing mirror, replace
    /// one with an old hash, delete one whose static pod is gone. Waits for the pod cache
    /// (a mirror not seen yet may exist) and for the Node's UID (the mirror's owner).
    async fn sync_mirror(&self, key: &str) -> Result<(), SyncError> {
        let node_uid = lock(&self.node_uid).clone();
        let Some(node_uid) = node_uid.filter(|_| self.pods.has_synced()) else {
            return Ok(());
        };
        let static_pod = lock(&self.static_pods).get(key).cloned();
        let api_pod = self.pods.get(key);
        let (namespace, name) = split_key(key);
        let pods: Api<Pod> =
            Api::namespaced(self.config.client.clone(), namespace.unwrap_or_default());
        match (static_pod, api_pod) {
            (Some(static_pod), None) => {
                let mirror = mirror_pod(&static_pod, &self.config.node_name, &node_uid);
                match pods.create(&PostParams::default(), &mirror).await {
                    Ok(_) => {}
                    Err(error) if has_code(&error, 409) => {}
                    Err(source) => {
                        return Err(request_failed("create the mirror pod")(source).into());
                    }
                }
                // The new mirror has no status yet: write it again.
                if let Some(record) = lock(&self.records).get_mut(key) {
                    record.written = None;
                }
                tracing::info!(node = %self.config.node_name, pod = %key, "created mirror pod");
            }
            (Some(static_pod), Some(api_pod)) => {
                let outdated = is_mirror(&api_pod)
                    && annotation(&api_pod, CONFIG_MIRROR) != annotation(&static_pod, CONFIG_HASH);
                if outdated && api_pod.metadata.deletion_timestamp.is_none() {
                    let uid = api_pod.metadata.uid.clone().unwrap_or_default();
                    delete_for_good(&pods, name, uid).await?;
                }
            }
            (None, Some(api_pod)) => {
                let ours = node_of(&api_pod) == Some(self.config.node_name.as_str());
                if ours && is_mirror(&api_pod) && api_pod.metadata.deletion_timestamp.is_none() {
                    let uid = api_pod.metadata.uid.clone().unwrap_or_default();
                    delete_for_good(&pods, name, uid).await?;
                    tracing::info!(node = %self.config.node_name, pod = %key, "deleted orphaned mirror pod");
                }
            }
            (None, None) => {}
        }
        Ok(())
    }
}

/// Deletes `name` now (`gracePeriodSeconds: 0`) if it is still the pod `uid`.
async fn delete_for_good(pods: &Api<Pod>, name: &str, uid: String) -> Result<(), SyncError> {
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: Some(uid),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match pods.delete(name, &params).await {
        Ok(_) => Ok(()),
        Err(error) if has_code(&error, 404) || has_code(&error, 409) => Ok(()),
        Err(source) => Err(request_failed("delete the pod")(source).into()),
    }
}
