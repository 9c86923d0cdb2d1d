//! Which pods a StatefulSet owns (upstream `getPodsForStatefulSet` with its
//! `ControllerRefManager`): its own that still match, orphans to adopt, and pods to release.
//!
//! A StatefulSet is stricter than a ReplicaSet: an orphan is adopted only if it matches the
//! selector *and* its name is a member name (`web-<n>` for `web`). That is how
//! `kubectl delete sts web --cascade=orphan` followed by a new `web` keeps the pods running: the
//! new StatefulSet adopts `web-0`, `web-1`, ... instead of failing to create them (the names are
//! taken).

use std::sync::Arc;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;

use super::identity::{controller_ref, ordinal_in};
use crate::pods::{SelectorError, controller_of, selector_matches};

/// The pods of one namespace, sorted for one StatefulSet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    /// Controlled by the StatefulSet, member names, matching the selector.
    pub owned: Vec<Arc<Pod>>,
    /// Orphans (no controller) with a member name that match: to adopt.
    pub adopt: Vec<Arc<Pod>>,
    /// Controlled by the StatefulSet but no longer matching: to release.
    pub release: Vec<Arc<Pod>>,
}

/// Sorts `pods` for `set`: neither side being deleted for an adoption, and a StatefulSet being
/// deleted releases nothing.
pub fn claim_pods(set: &StatefulSet, pods: &[Arc<Pod>]) -> Result<Claims, SelectorError> {
    let selector = set
        .spec
        .as_ref()
        .map(|s| s.selector.clone())
        .unwrap_or_default();
    let uid = set.metadata.uid.as_deref().unwrap_or_default();
    let deleting = set.metadata.deletion_timestamp.is_some();
    let mut claims = Claims::default();
    for pod in pods {
        let member = ordinal_in(set, pod).is_some();
        let matches = selector_matches(&selector, pod.metadata.labels.as_ref())?;
        match controller_of(&pod.metadata) {
            Some(owner) if owner.uid == uid => {
                if matches && member {
                    claims.owned.push(pod.clone());
                } else if !deleting {
                    claims.release.push(pod.clone());
                }
            }
            Some(_) => {}
            None => {
                if matches && member && !deleting && pod.metadata.deletion_timestamp.is_none() {
                    claims.adopt.push(pod.clone());
                }
            }
        }
    }
    Ok(claims)
}

/// The StatefulSet's pods among `pods`: those it owns, plus the orphans it adopts; those it
/// owns that no longer match are released.
pub(crate) async fn claim(
    client: &Client,
    set: &StatefulSet,
    pods: &[Arc<Pod>],
) -> Result<Vec<Arc<Pod>>, kube::Error> {
    let claims =
        claim_pods(set, pods).map_err(|error| kube::Error::Service(error.to_string().into()))?;
    let mut pods = claims.owned;
    if !claims.adopt.is_empty() {
        // A stale cache must not adopt for a StatefulSet that is gone or going (upstream
        // `RecheckDeletionTimestamp`).
        let namespace = set.metadata.namespace.as_deref().unwrap_or_default();
        let name = set.metadata.name.as_deref().unwrap_or_default();
        let fresh = Api::<StatefulSet>::namespaced(client.clone(), namespace)
            .get(name)
            .await?;
        if fresh.metadata.uid == set.metadata.uid && fresh.metadata.deletion_timestamp.is_none() {
            pods.extend(adopt(client, set, &claims.adopt).await?);
        }
    }
    release(client, set, &claims.release).await?;
    Ok(pods)
}

/// Adopts `orphans` (a strategic merge patch adding the controller reference, on the condition
/// of the pod's UID) and returns the adopted pods; one gone meanwhile is skipped.
async fn adopt(
    client: &Client,
    set: &StatefulSet,
    orphans: &[Arc<Pod>],
) -> Result<Vec<Arc<Pod>>, kube::Error> {
    let namespace = set.metadata.namespace.as_deref().unwrap_or_default();
    let api = Api::<Pod>::namespaced(client.clone(), namespace);
    let owner = controller_ref(set);
    let mut adopted = Vec::new();
    for pod in orphans {
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let patch = json!({"metadata": {"ownerReferences": [owner], "uid": pod.metadata.uid}});
        match api
            .patch(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
        {
            Ok(pod) => adopted.push(Arc::new(pod)),
            Err(error) if super::already_done(&error) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(adopted)
}

/// Releases `pods` (a strategic merge patch deleting our owner reference by its UID).
async fn release(client: &Client, set: &StatefulSet, pods: &[Arc<Pod>]) -> Result<(), kube::Error> {
    let namespace = set.metadata.namespace.as_deref().unwrap_or_default();
    let api = Api::<Pod>::namespaced(client.clone(), namespace);
    for pod in pods {
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let patch = json!({"metadata": {
            "ownerReferences": [{"$patch": "delete", "uid": set.metadata.uid}],
            "uid": pod.metadata.uid,
        }});
        match api
            .patch(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
        {
            Ok(_) => {}
            Err(error) if super::already_done(&error) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
