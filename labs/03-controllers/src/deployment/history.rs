//! Revisions and history (upstream `SetNewReplicaSetAnnotations`, `cleanupDeployment`): each
//! ReplicaSet is one revision of the Deployment; the old ones, scaled to 0, are the history
//! `kubectl rollout history` lists and `kubectl rollout undo` goes back to; only
//! `revisionHistoryLimit` of them are kept.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::replicas::{
    ANNOTATIONS_NOT_COPIED, REVISION, REVISION_HISTORY, by_revision, deployment_replicas,
    max_surge, revision, rs_replicas, set_replicas_annotations,
};

/// At most this many characters of `revision-history` are kept (upstream
/// `maxRevHistoryLengthInChars`).
pub const MAX_REVISION_HISTORY_CHARS: usize = 2000;

/// The highest revision among `rss` (upstream `MaxRevision`).
pub fn max_revision(rss: &[ReplicaSet]) -> i64 {
    rss.iter().map(revision).max().unwrap_or(0)
}

// ANCHOR: set_new_replica_set_annotations
/// Brings the new ReplicaSet's annotations up to date (upstream
/// `SetNewReplicaSetAnnotations`); whether anything changed:
///
/// - the Deployment's annotations, but for [`ANNOTATIONS_NOT_COPIED`] (so
///   `kubernetes.io/change-cause` travels with the revision it explains);
/// - `revision` raised to `new_revision` when lower; a ReplicaSet that had a revision and
///   gets a higher one is an old one rolled back to: its old number goes to
///   `revision-history`;
/// - for a ReplicaSet about to be created (`!exists`), `desired-replicas` and `max-replicas`.
pub fn set_new_replica_set_annotations(
    deployment: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: i64,
    exists: bool,
) -> bool {
    // BEGIN SOLUTION step-3: copy the Deployment's annotations (skipping the list); raise revision, moving the old one into revision-history; new RS: replicas annotations
    let mut changed = false;
    let annotations = rs.metadata.annotations.get_or_insert_default();
    for (key, value) in deployment.metadata.annotations.iter().flatten() {
        if ANNOTATIONS_NOT_COPIED.contains(&key.as_str()) || annotations.get(key) == Some(value) {
            continue;
        }
        annotations.insert(key.clone(), value.clone());
        changed = true;
    }
    let old_revision = annotations.get(REVISION).cloned();
    let old_number = match old_revision.as_deref() {
        None | Some("") => 0,
        Some(text) => match text.parse::<i64>() {
            Ok(number) => number,
            Err(_) => return false,
        },
    };
    if old_number < new_revision {
        annotations.insert(REVISION.to_owned(), new_revision.to_string());
        changed = true;
        if let Some(old) = old_revision.filter(|old| !old.is_empty()) {
            let history = annotations
                .get(REVISION_HISTORY)
                .cloned()
                .unwrap_or_default();
            let mut revisions: Vec<&str> = history.split(',').filter(|r| !r.is_empty()).collect();
            revisions.push(&old);
            while revisions.join(",").len() > MAX_REVISION_HISTORY_CHARS && revisions.len() > 1 {
                revisions.remove(0);
            }
            let joined = revisions.join(",");
            annotations.insert(REVISION_HISTORY.to_owned(), joined);
        }
    }
    if !exists {
        let desired = deployment_replicas(deployment);
        changed |= set_replicas_annotations(rs, desired, desired + max_surge(deployment));
    }
    changed
    // END SOLUTION
}
// ANCHOR_END: set_new_replica_set_annotations

// ANCHOR: history_to_delete
/// The old ReplicaSets to delete beyond `revisionHistoryLimit` (upstream
/// `cleanupDeployment`): of those not being deleted, the lowest revisions first, as many as
/// exceed the limit, skipping any that still has pods, asks for pods, or has a spec change
/// its controller has not seen yet. No limit set: keep everything.
pub fn history_to_delete(deployment: &Deployment, old: &[ReplicaSet]) -> Vec<String> {
    let Some(limit) = deployment
        .spec
        .as_ref()
        .and_then(|spec| spec.revision_history_limit)
    else {
        return Vec::new();
    };
    let mut cleanable: Vec<&ReplicaSet> = old
        .iter()
        .filter(|rs| rs.metadata.deletion_timestamp.is_none())
        .collect();
    let excess = i64::try_from(cleanable.len()).unwrap_or(i64::MAX) - i64::from(limit);
    if excess <= 0 {
        return Vec::new();
    }
    cleanable.sort_by(|a, b| by_revision(a, b));
    cleanable
        .into_iter()
        .take(usize::try_from(excess).unwrap_or(0))
        .filter(|rs| {
            let status = rs.status.clone().unwrap_or_default();
            status.replicas == 0
                && rs_replicas(rs) == 0
                && rs.metadata.generation.unwrap_or(0) <= status.observed_generation.unwrap_or(0)
        })
        .filter_map(|rs| rs.metadata.name.clone())
        .collect()
}
// ANCHOR_END: history_to_delete
