//! A DaemonSet's history (upstream `constructHistory` and `cleanupHistory`, in
//! `pkg/controller/daemon/update.go`), as pure functions over its ControllerRevisions.
//!
//! Each template the DaemonSet has had is one ControllerRevision whose data is the patch that
//! puts that template back: `{"spec": {"template": {..., "$patch": "replace"}}}`. That is
//! exactly what `kubectl rollout undo daemonset/NAME` sends (a strategic merge patch of the
//! revision's data onto the DaemonSet); the controller then finds the revision whose data
//! equals the DaemonSet's, and gives it the next number instead of making a copy.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use super::decide::REVISION_LABEL;
use crate::history::{HASH_LABEL, find_equal, next_revision, owned_by, sort_by_revision};

/// Upstream's default `spec.revisionHistoryLimit`: old revisions kept for rollbacks.
pub const DEFAULT_REVISION_HISTORY_LIMIT: i32 = 10;

// ANCHOR: revision_data
/// The data of the DaemonSet's current revision (upstream `getPatch`): its template, marked
/// `"$patch": "replace"` so that applying it as a strategic merge patch replaces the whole
/// template rather than merging into it.
pub fn revision_data(ds: &DaemonSet) -> Value {
    let template = ds.spec.as_ref().map(|spec| &spec.template);
    let mut template = serde_json::to_value(template).unwrap_or(Value::Null);
    if let Some(map) = template.as_object_mut() {
        map.insert("$patch".to_owned(), json!("replace"));
    }
    json!({ "spec": { "template": template } })
}
// ANCHOR_END: revision_data

/// The hash a revision stands for, which the pods made from it carry in
/// `controller-revision-hash`: its `controller.kubernetes.io/hash` label (or, for a revision
/// without one, what follows the owner's name in its own name).
pub fn revision_hash(revision: &ControllerRevision) -> String {
    let labels = revision.metadata.labels.as_ref();
    if let Some(hash) = labels.and_then(|l| l.get(HASH_LABEL).or_else(|| l.get(REVISION_LABEL))) {
        return hash.clone();
    }
    let name = revision.metadata.name.as_deref().unwrap_or_default();
    name.rsplit_once('-')
        .map_or(name, |(_, hash)| hash)
        .to_owned()
}

/// The DaemonSet's revisions, split as one sync needs them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The revision whose data is the DaemonSet's template now, if it exists yet (the newest
    /// when several do).
    pub current: Option<Arc<ControllerRevision>>,
    /// Every other revision of this DaemonSet, oldest first.
    pub old: Vec<Arc<ControllerRevision>>,
    /// The number the current revision must have: one past the highest old one.
    pub next_revision: i64,
}

/// Splits the revisions controlled by `ds` into the current one and the old ones (upstream
/// `constructHistory`, without its writes).
pub fn split_history(ds: &DaemonSet, revisions: &[Arc<ControllerRevision>]) -> History {
    let uid = ds.metadata.uid.as_deref().unwrap_or_default();
    let mine = owned_by(revisions, uid);
    let data = revision_data(ds);
    let mut equal = find_equal(&mine, &data);
    let current = equal.pop();
    let mut old: Vec<_> = mine
        .into_iter()
        .filter(|r| {
            current
                .as_ref()
                .is_none_or(|c| c.metadata.name != r.metadata.name)
        })
        .collect();
    sort_by_revision(&mut old);
    History {
        current,
        next_revision: next_revision(&old),
        old,
    }
}

/// The names of the old revisions some pod still carries the hash of: those are never
/// deleted, whatever the limit (upstream `cleanupHistory`'s live hashes).
pub fn live_revisions<'a>(old: &'a [Arc<ControllerRevision>], pods: &[Arc<Pod>]) -> Vec<&'a str> {
    old.iter()
        .filter(|revision| {
            let hash = revision_hash(revision);
            pods.iter().any(|pod| {
                pod.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(REVISION_LABEL))
                    == Some(&hash)
            })
        })
        .filter_map(|revision| revision.metadata.name.as_deref())
        .collect()
}

/// `spec.revisionHistoryLimit`, defaulted, as a count.
pub fn history_limit(ds: &DaemonSet) -> usize {
    let limit = ds
        .spec
        .as_ref()
        .and_then(|spec| spec.revision_history_limit)
        .unwrap_or(DEFAULT_REVISION_HISTORY_LIMIT);
    usize::try_from(limit).unwrap_or(0)
}

// ANCHOR: revisions_to_delete
/// The old revisions to delete so that at most `revisionHistoryLimit` remain (upstream
/// `cleanupHistory`): the oldest first, skipping those a pod still carries the hash of.
pub fn revisions_to_delete(
    ds: &DaemonSet,
    old: &[Arc<ControllerRevision>],
    pods: &[Arc<Pod>],
) -> Vec<Arc<ControllerRevision>> {
    // ANCHOR_END: revisions_to_delete
    let to_kill = old.len().saturating_sub(history_limit(ds));
    let live = live_revisions(old, pods);
    let mut oldest_first = old.to_vec();
    sort_by_revision(&mut oldest_first);
    oldest_first
        .into_iter()
        .filter(|r| !live.contains(&r.metadata.name.as_deref().unwrap_or_default()))
        .take(to_kill)
        .collect()
}
