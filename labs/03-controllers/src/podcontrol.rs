//! Creating and deleting a controller's pods (upstream `controller.PodControlInterface` and
//! `slowStartBatch`), shared by the ReplicaSet, Job and DaemonSet controllers.
//!
//! Every controller that owns pods directly writes them the same careful way:
//!
//! - **Expectations first.** Before the first request, the controller records how many pods it
//!   is about to create or delete ([`Expectations`]), so a sync that runs before the informer
//!   has seen them does not act on a stale cache and do it all again.
//! - **Creations in slow-start batches** (1, 2, 4, ...: [`slow_start_batches`]). A quota or an
//!   admission webhook that refuses the first pod refuses the next 499 too: a batch with a
//!   failure stops the whole call, after one request instead of 500.
//! - **What will never happen is observed at once.** A creation that failed, or a batch never
//!   tried, will never show up in the informer; a deletion that failed (or found the pod gone)
//!   will not either. Each lowers the expectation now, so the next sync is not held back.
//! - **Deletions are of the pod we saw.** Each DELETE carries a UID precondition: a pod
//!   deleted and re-created under the same name meanwhile is not ours to delete. A pod that is
//!   already gone (404) is what we wanted.

use std::sync::Arc;

use futures_util::future::join_all;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, PostParams, Preconditions};
use kube::{Api, Client};

use crate::expectations::Expectations;
use crate::replicaset::decide::slow_start_batches;
use crate::request::is_not_found;

/// Why creating or deleting a controller's pods failed (the controller's key is retried).
#[derive(Debug, thiserror::Error)]
pub enum PodControlError {
    /// A creation failed; the batches after it were not tried.
    #[error("creating pods for {key}: {source}")]
    Create {
        /// The controller object's key (`namespace/name`).
        key: String,
        /// The apiserver's answer to the first creation that failed.
        #[source]
        source: kube::Error,
    },
    /// A deletion failed (not with 404: a pod already gone is fine).
    #[error("deleting pod {pod} of {key}: {source}")]
    Delete {
        /// The controller object's key (`namespace/name`).
        key: String,
        /// The pod's name.
        pod: String,
        /// The apiserver's answer.
        #[source]
        source: kube::Error,
    },
}

/// Delete options that delete only this incarnation of `pod`: a UID precondition, so a pod
/// deleted and re-created under the same name meanwhile is left alone (409).
pub fn only_this_pod(pod: &Pod) -> DeleteParams {
    DeleteParams {
        preconditions: Some(Preconditions {
            uid: pod.metadata.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    }
}

// ANCHOR: create_pods
/// Creates `pods` for the controller object `key` (each in its own namespace), recording the
/// creations in `expectations` first and sending them in [`slow_start_batches`]. The first
/// batch with a failure ends the call: its failures and every pod not tried are observed at
/// once, and the first error is returned.
pub async fn create_pods(
    client: &Client,
    expectations: &Expectations,
    key: &str,
    pods: &[Pod],
) -> Result<(), PodControlError> {
    if pods.is_empty() {
        return Ok(());
    }
    expectations.raise(key, pods.len(), 0);
    let params = PostParams::default();
    let mut rest = pods;
    for batch in slow_start_batches(pods.len()) {
        let (now, later) = rest.split_at(batch.min(rest.len()));
        rest = later;
        let results = join_all(now.iter().map(|pod| {
            let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
            let api = Api::<Pod>::namespaced(client.clone(), namespace);
            let params = &params;
            async move { api.create(params, pod).await }
        }))
        .await;
        let mut failure = None;
        for result in results {
            if let Err(error) = result {
                expectations.creation_observed(key);
                failure.get_or_insert(error);
            }
        }
        if let Some(source) = failure {
            // The batches not tried will never be observed either.
            for _ in rest {
                expectations.creation_observed(key);
            }
            return Err(PodControlError::Create {
                key: key.to_owned(),
                source,
            });
        }
    }
    Ok(())
}
// ANCHOR_END: create_pods

// ANCHOR: delete_pods
/// Deletes `pods` for the controller object `key`, all at once, recording the deletions in
/// `expectations` first. Each DELETE is conditional on the pod's UID; a pod already gone
/// (404) counts as deleted. Every deletion that failed is observed at once; the first
/// error other than 404 is returned.
pub async fn delete_pods(
    client: &Client,
    expectations: &Expectations,
    key: &str,
    pods: &[Arc<Pod>],
) -> Result<(), PodControlError> {
    // ANCHOR_END: delete_pods
    if pods.is_empty() {
        return Ok(());
    }
    expectations.raise(key, 0, pods.len());
    let results = join_all(pods.iter().map(|pod| async move {
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let result = Api::<Pod>::namespaced(client.clone(), namespace)
            .delete(name, &only_this_pod(pod))
            .await;
        (result, name)
    }))
    .await;
    let mut failure = None;
    for (result, name) in results {
        if let Err(error) = result {
            expectations.deletion_observed(key);
            if !is_not_found(&error) {
                failure.get_or_insert((error, name));
            }
        }
    }
    match failure {
        Some((source, pod)) => Err(PodControlError::Delete {
            key: key.to_owned(),
            pod: pod.to_owned(),
            source,
        }),
        None => Ok(()),
    }
}
