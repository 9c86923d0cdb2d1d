//! Controller history: the ControllerRevisions a StatefulSet or a DaemonSet keeps, one per
//! version of its pod template (upstream `pkg/controller/history`).
//!
//! A Deployment keeps its history in ReplicaSets. A StatefulSet and a DaemonSet own their pods
//! directly, so they record each template in a `ControllerRevision` instead: an immutable
//! snapshot (`data`) with a number (`revision`). Pods carry the `controller-revision-hash`
//! label of the revision they were made from, which is how the controller tells updated pods
//! from old ones; `kubectl rollout history` lists the revisions and `kubectl rollout undo`
//! patches the workload with one revision's `data`.
//!
//! A revision's name is `<owner>-<hash>`, the hash of its data (with the owner's
//! `collisionCount`, bumped when two different templates hash alike). Rolling back to an old
//! template does not make a new object: the old revision gets the next number.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

/// The label on a ControllerRevision that holds the hash of its data (upstream
/// `ControllerRevisionHashLabel`).
pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// How many times [`create_revision`] bumps the collision count before it gives up.
const MAX_COLLISIONS: i32 = 32;

/// The characters a hash is spelled with (upstream `rand.SafeEncodeString`): no vowels, so a
/// hash never spells a word, and no `0`, `1`, `3` that look like letters.
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// FNV-1a, 32 bits (Go's `hash/fnv.New32a`).
fn fnv32a(bytes: &[u8], mut hash: u32) -> u32 {
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(16_777_619);
    }
    hash
}

/// The short hash Kubernetes names things with (upstream `ComputeHash` and
/// `HashControllerRevision`): FNV-1a (32 bits) of `bytes`, then of `collision_count` as 8
/// little-endian bytes when set; the number's decimal digits, each mapped to a letter of
/// `bcdfghjklmnpqrstvwxz2456789`.
pub fn safe_hash(bytes: &[u8], collision_count: Option<i32>) -> String {
    let mut hash = fnv32a(bytes, 2_166_136_261);
    if let Some(count) = collision_count {
        let mut count_bytes = [0_u8; 8];
        count_bytes[..4].copy_from_slice(&u32::from_ne_bytes(count.to_ne_bytes()).to_le_bytes());
        hash = fnv32a(&count_bytes, hash);
    }
    hash.to_string()
        .bytes()
        .map(|digit| char::from(SAFE_ALPHABET[usize::from(digit) % SAFE_ALPHABET.len()]))
        .collect()
}

/// The hash of a revision's data (the value of [`HASH_LABEL`] and the end of its name).
pub fn data_hash(data: &Value, collision_count: Option<i32>) -> String {
    safe_hash(
        &serde_json::to_vec(data).unwrap_or_default(),
        collision_count,
    )
}

/// A new revision of `owner` holding `data` (upstream `NewControllerRevision`): named
/// `<owner>-<hash>`, labelled with the owner's template labels and the hash, owned by the
/// owner as its controller.
pub fn new_revision(
    owner: &OwnerReference,
    namespace: &str,
    template_labels: &BTreeMap<String, String>,
    data: Value,
    revision: i64,
    collision_count: Option<i32>,
) -> ControllerRevision {
    let hash = data_hash(&data, collision_count);
    let mut labels = template_labels.clone();
    labels.insert(HASH_LABEL.to_owned(), hash.clone());
    ControllerRevision {
        metadata: ObjectMeta {
            name: Some(format!("{}-{hash}", owner.name)),
            namespace: Some(namespace.to_owned()),
            labels: Some(labels),
            owner_references: Some(vec![owner.clone()]),
            ..ObjectMeta::default()
        },
        data: Some(RawExtension(data)),
        revision,
    }
}

/// The revision's data (`null` when it has none).
pub fn data_of(revision: &ControllerRevision) -> &Value {
    revision.data.as_ref().map_or(&Value::Null, |raw| &raw.0)
}

/// The revisions among `revisions` whose controller is the object with `uid`.
pub fn owned_by(revisions: &[Arc<ControllerRevision>], uid: &str) -> Vec<Arc<ControllerRevision>> {
    revisions
        .iter()
        .filter(|revision| {
            crate::pods::controller_of(&revision.metadata).is_some_and(|o| o.uid == uid)
        })
        .cloned()
        .collect()
}

/// Sorts revisions oldest first: by number, then by name (upstream `SortControllerRevisions`).
pub fn sort_by_revision(revisions: &mut [Arc<ControllerRevision>]) {
    revisions.sort_by(|a, b| {
        a.revision
            .cmp(&b.revision)
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
}

/// The revisions holding exactly `data`, oldest first (upstream `FindEqualRevisions`).
pub fn find_equal(
    revisions: &[Arc<ControllerRevision>],
    data: &Value,
) -> Vec<Arc<ControllerRevision>> {
    let mut equal: Vec<_> = revisions
        .iter()
        .filter(|revision| data_of(revision) == data)
        .cloned()
        .collect();
    sort_by_revision(&mut equal);
    equal
}

/// The number the next revision gets: one more than the highest (upstream
/// `nextRevision`), 1 for the first.
pub fn next_revision(revisions: &[Arc<ControllerRevision>]) -> i64 {
    revisions.iter().map(|r| r.revision).max().unwrap_or(0) + 1
}

/// The revisions to delete to keep at most `limit` that are not `live` (in use by a pod or
/// the owner's status): the oldest first (upstream `truncateHistory`).
pub fn history_to_delete(
    revisions: &[Arc<ControllerRevision>],
    live: &[&str],
    limit: usize,
) -> Vec<Arc<ControllerRevision>> {
    let mut history: Vec<_> = revisions
        .iter()
        .filter(|r| !live.contains(&r.metadata.name.as_deref().unwrap_or_default()))
        .cloned()
        .collect();
    sort_by_revision(&mut history);
    let extra = history.len().saturating_sub(limit);
    history.truncate(extra);
    history
}

/// Creates `revision`, or finds it already there (upstream `CreateControllerRevision`).
///
/// The name is the hash of the data, so "already exists" is either the same revision, made by
/// an earlier sync that did not see its own write yet (returned as it is), or another template
/// with the same hash: then the collision count goes up, which changes the hash, and we try
/// again. Returns the revision and the collision count used; the caller stores that count in
/// its status so the next hash is the same.
pub async fn create_revision(
    api: &Api<ControllerRevision>,
    revision: &ControllerRevision,
    mut collision_count: i32,
) -> Result<(ControllerRevision, i32), kube::Error> {
    let owner = revision
        .metadata
        .owner_references
        .iter()
        .flatten()
        .next()
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let data = data_of(revision);
    for _ in 0..MAX_COLLISIONS {
        let hash = data_hash(data, Some(collision_count));
        let mut attempt = revision.clone();
        attempt.metadata.name = Some(format!("{owner}-{hash}"));
        attempt
            .metadata
            .labels
            .get_or_insert_default()
            .insert(HASH_LABEL.to_owned(), hash);
        match api.create(&PostParams::default(), &attempt).await {
            Ok(created) => return Ok((created, collision_count)),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let name = attempt.metadata.name.as_deref().unwrap_or_default();
                let existing = api.get(name).await?;
                if data_of(&existing) == data {
                    return Ok((existing, collision_count));
                }
                collision_count += 1;
            }
            Err(error) => return Err(error),
        }
    }
    Err(kube::Error::Service(
        format!("{MAX_COLLISIONS} hash collisions creating a revision of {owner}").into(),
    ))
}

/// Gives an existing revision a new number (upstream `UpdateControllerRevision`): how an old
/// template becomes current again after `kubectl rollout undo`.
pub async fn renumber_revision(
    api: &Api<ControllerRevision>,
    revision: &ControllerRevision,
    number: i64,
) -> Result<ControllerRevision, kube::Error> {
    let name = revision.metadata.name.as_deref().unwrap_or_default();
    api.patch(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({ "revision": number })),
    )
    .await
}

/// Deletes revisions, ignoring those already gone.
pub async fn delete_revisions(
    api: &Api<ControllerRevision>,
    revisions: &[Arc<ControllerRevision>],
) -> Result<(), kube::Error> {
    for revision in revisions {
        let name = revision.metadata.name.as_deref().unwrap_or_default();
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(name: &str, number: i64, data: Value) -> Arc<ControllerRevision> {
        Arc::new(ControllerRevision {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            data: Some(RawExtension(data)),
            revision: number,
        })
    }

    #[test]
    fn equal_data_equal_hash_and_a_collision_count_changes_it() {
        let data =
            json!({ "spec": { "template": { "metadata": { "labels": { "app": "web" } } } } });
        assert_eq!(data_hash(&data, None), data_hash(&data.clone(), None));
        assert_ne!(data_hash(&data, Some(0)), data_hash(&data, Some(1)));
        assert!(
            data_hash(&data, None)
                .bytes()
                .all(|b| SAFE_ALPHABET.contains(&b))
        );
    }

    #[test]
    fn next_number_is_one_past_the_highest_and_equal_revisions_are_found() {
        let revisions = vec![
            revision("web-a", 1, json!(1)),
            revision("web-b", 3, json!(2)),
            revision("web-c", 2, json!(1)),
        ];
        assert_eq!(next_revision(&revisions), 4);
        assert_eq!(next_revision(&[]), 1);
        let equal = find_equal(&revisions, &json!(1));
        let names: Vec<_> = equal
            .iter()
            .map(|r| r.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["web-a", "web-c"]);
    }

    #[test]
    fn history_keeps_the_newest_and_never_a_live_revision() {
        let revisions: Vec<_> = (1..=5)
            .map(|n| revision(&format!("web-{n}"), n, json!(n)))
            .collect();
        let delete = history_to_delete(&revisions, &["web-1", "web-5"], 2);
        let names: Vec<_> = delete.iter().map(|r| r.revision).collect();
        assert_eq!(names, [2]);
        assert!(history_to_delete(&revisions, &[], 10).is_empty());
    }
}
