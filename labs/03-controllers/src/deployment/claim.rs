//! Which ReplicaSets a Deployment owns, adopts and releases (upstream
//! `ControllerRefManager.ClaimReplicaSets`): the same rules as a ReplicaSet claiming pods, one
//! level up.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use crate::pods::{SelectorError, controller_of, selector_matches};

/// The ReplicaSets a sync considers, once ownership is settled.
#[derive(Debug, Clone, Default)]
pub struct RsClaims {
    /// ReplicaSets this Deployment controls that match its selector.
    pub owned: Vec<ReplicaSet>,
    /// Orphans matching the selector: to adopt.
    pub adopt: Vec<ReplicaSet>,
    /// ReplicaSets this Deployment controls that no longer match: to release.
    pub release: Vec<ReplicaSet>,
}

/// Sorts the ReplicaSets of the Deployment's namespace: controlled by it and matching, owned;
/// controlled by it and not matching, released (unless the Deployment is being deleted); an
/// orphan that matches, adopted (unless either side is being deleted); the rest ignored.
pub fn claim_replica_sets(
    deployment: &Deployment,
    rss: &[Arc<ReplicaSet>],
) -> Result<RsClaims, SelectorError> {
    let selector = deployment
        .spec
        .as_ref()
        .map(|spec| spec.selector.clone())
        .unwrap_or_default();
    let uid = deployment.metadata.uid.as_deref().unwrap_or_default();
    let deleting = deployment.metadata.deletion_timestamp.is_some();
    let mut claims = RsClaims::default();
    for rs in rss {
        let matches = selector_matches(&selector, rs.metadata.labels.as_ref())?;
        match controller_of(&rs.metadata) {
            Some(owner) if owner.uid == uid => {
                if matches {
                    claims.owned.push((**rs).clone());
                } else if !deleting {
                    claims.release.push((**rs).clone());
                }
            }
            Some(_) => {}
            None => {
                if matches && !deleting && rs.metadata.deletion_timestamp.is_none() {
                    claims.adopt.push((**rs).clone());
                }
            }
        }
    }
    Ok(claims)
}
