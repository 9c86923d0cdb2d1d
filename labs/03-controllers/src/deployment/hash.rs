//! The `pod-template-hash`: how a Deployment names its ReplicaSets and tells the new one from
//! the old ones (upstream `controller.ComputeHash`, `EqualIgnoreHash`, `FindNewReplicaSet`).
//!
//! Every version of the pod template gets its own ReplicaSet, named `<deployment>-<hash>` and
//! labelled (and selecting) `pod-template-hash=<hash>`, so the pods of two versions never
//! match each other's ReplicaSet even though both match the Deployment's selector.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::replicas::{POD_TEMPLATE_HASH, by_creation};
use crate::history::safe_hash;

// ANCHOR: compute_hash
/// The `pod-template-hash` of a template (upstream `ComputeHash`): FNV-1a (32 bits) of the
/// template, then of `collision_count` as 8 little-endian bytes when set; the number's decimal
/// digits, each mapped to a letter of `bcdfghjklmnpqrstvwxz2456789`.
///
/// Upstream hashes Go's debug print of the struct; we hash its JSON, so the values differ
/// from a real cluster's but have the same properties: equal templates, equal hashes, and a
/// collision count that changes the hash when two templates collide.
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let json = serde_json::to_vec(template).unwrap_or_default();
    safe_hash(&json, collision_count)
}
// ANCHOR_END: compute_hash

/// A template's metadata without its `pod-template-hash` label (and with no label map at all
/// when that was the only label).
fn meta_without_hash(template: &PodTemplateSpec) -> Option<ObjectMeta> {
    let mut meta = template.metadata.clone()?;
    if let Some(labels) = meta.labels.as_mut() {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            meta.labels = None;
        }
    }
    Some(meta)
}

/// Whether two templates are the same but for the `pod-template-hash` label (upstream
/// `EqualIgnoreHash`): how a Deployment recognises the ReplicaSet of its current template.
/// The specs are compared first, in place: that is where two templates usually differ.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    a.spec == b.spec && meta_without_hash(a) == meta_without_hash(b)
}

fn template_of(rs: &ReplicaSet) -> Option<&PodTemplateSpec> {
    rs.spec.as_ref()?.template.as_ref()
}

/// The Deployment's pod template (empty when unset).
pub fn deployment_template(deployment: &Deployment) -> PodTemplateSpec {
    deployment
        .spec
        .as_ref()
        .map(|spec| spec.template.clone())
        .unwrap_or_default()
}

/// The ReplicaSet running the Deployment's current template: the oldest such, should there
/// be several (upstream `FindNewReplicaSet`).
pub fn find_new_replica_set(deployment: &Deployment, rss: &[ReplicaSet]) -> Option<ReplicaSet> {
    let unset = PodTemplateSpec::default();
    let template = deployment
        .spec
        .as_ref()
        .map_or(&unset, |spec| &spec.template);
    let mut sorted: Vec<&ReplicaSet> = rss.iter().collect();
    sorted.sort_by(|a, b| by_creation(a, b));
    sorted
        .into_iter()
        .find(|rs| template_of(rs).is_some_and(|t| equal_ignore_hash(t, template)))
        .cloned()
}

/// Every ReplicaSet but the new one (upstream `FindOldReplicaSets`, its second result).
pub fn find_old_replica_sets(deployment: &Deployment, rss: &[ReplicaSet]) -> Vec<ReplicaSet> {
    let new_uid = find_new_replica_set(deployment, rss).and_then(|rs| rs.metadata.uid);
    rss.iter()
        .filter(|rs| new_uid.is_none() || rs.metadata.uid != new_uid)
        .cloned()
        .collect()
}

/// The controller owner reference a Deployment puts on its ReplicaSets.
pub fn controller_ref(deployment: &Deployment) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".to_owned(),
        kind: "Deployment".to_owned(),
        name: deployment.metadata.name.clone().unwrap_or_default(),
        uid: deployment.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The new ReplicaSet for the Deployment's template (upstream `getNewReplicaSet`, the part
/// that builds it): named `<deployment>-<hash>`, the hash added to the template's labels and
/// to the selector, owned by the Deployment, with `replicas` pods and the Deployment's
/// `minReadySeconds`. Annotations are the caller's (revision, desired and max replicas).
pub fn new_replica_set(deployment: &Deployment, replicas: i32) -> ReplicaSet {
    let collision_count = deployment
        .status
        .as_ref()
        .and_then(|status| status.collision_count);
    let mut template = deployment_template(deployment);
    let hash = compute_hash(&template, collision_count);
    let meta = template.metadata.get_or_insert_default();
    meta.labels
        .get_or_insert_default()
        .insert(POD_TEMPLATE_HASH.to_owned(), hash.clone());
    let labels = meta.labels.clone();
    let spec = deployment.spec.clone().unwrap_or_default();
    let mut selector = spec.selector;
    selector
        .match_labels
        .get_or_insert_default()
        .insert(POD_TEMPLATE_HASH.to_owned(), hash.clone());
    let name = deployment.metadata.name.as_deref().unwrap_or_default();
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(format!("{name}-{hash}")),
            namespace: deployment.metadata.namespace.clone(),
            labels,
            owner_references: Some(vec![controller_ref(deployment)]),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    }
}
