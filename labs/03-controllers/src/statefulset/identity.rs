//! A StatefulSet pod's stable identity: its ordinal name, its identity labels, its hostname in
//! the governing Service's subdomain, and the PersistentVolumeClaims it mounts (upstream
//! `stateful_set_utils.go`).
//!
//! Everything here is a function of the StatefulSet and an ordinal, never of the pod that
//! happens to exist: that is what makes the identity stable. `web-1` deleted comes back as
//! `web-1`, with hostname `web-1`, mounting the same claim `data-web-1`.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

/// The label holding the pod's name, so a Service can select exactly one member (upstream
/// `StatefulSetPodNameLabel`).
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";

/// The label holding the pod's ordinal (upstream `PodIndexLabel`, on by default since 1.28).
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// The label naming the ControllerRevision a pod was made from (upstream
/// `ControllerRevisionHashLabelKey`; for a StatefulSet the value is the revision's name).
pub const REVISION_LABEL: &str = "controller-revision-hash";

// ANCHOR: identity
/// The name of the pod with `ordinal`: `<statefulset>-<ordinal>`.
pub fn pod_name(set: &str, ordinal: i32) -> String {
    format!("{set}-{ordinal}")
}

/// The StatefulSet name and the ordinal in a pod's name (`web-12` is `("web", 12)`), or
/// `None` when the name does not end in `-<number>` (upstream `getParentNameAndOrdinal`).
pub fn parent_and_ordinal(pod_name: &str) -> Option<(&str, i32)> {
    let (parent, number) = pod_name.rsplit_once('-')?;
    if parent.is_empty() || number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((parent, number.parse().ok()?))
}

/// The pod's ordinal, if its name is a member name of `set` (upstream `isMemberOf` and
/// `getOrdinal`).
pub fn ordinal_in(set: &StatefulSet, pod: &Pod) -> Option<i32> {
    let name = pod.metadata.name.as_deref()?;
    let (parent, ordinal) = parent_and_ordinal(name)?;
    (Some(parent) == set.metadata.name.as_deref()).then_some(ordinal)
}

/// The claim a pod with `ordinal` gets from the claim template `template`:
/// `<template>-<statefulset>-<ordinal>` (upstream `getPersistentVolumeClaimName`).
pub fn claim_name(template: &str, set: &str, ordinal: i32) -> String {
    format!("{template}-{set}-{ordinal}")
}
// ANCHOR_END: identity

/// The revision a pod was made from (its [`REVISION_LABEL`]), if labelled.
pub fn pod_revision(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)
        .map(String::as_str)
}

/// The controller owner reference a StatefulSet puts on its pods.
pub fn controller_ref(set: &StatefulSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".to_owned(),
        kind: "StatefulSet".to_owned(),
        name: set.metadata.name.clone().unwrap_or_default(),
        uid: set.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The claims of the pod with `ordinal`, one per `volumeClaimTemplates` entry, labelled with
/// the selector's `matchLabels` (upstream `getPersistentVolumeClaims`). No owner reference:
/// with the default retention policy (`Retain`) a claim outlives its pod and its StatefulSet.
pub fn claims(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    let Some(spec) = set.spec.as_ref() else {
        return Vec::new();
    };
    let name = set.metadata.name.as_deref().unwrap_or_default();
    let selector_labels = spec.selector.match_labels.clone().unwrap_or_default();
    spec.volume_claim_templates
        .iter()
        .flatten()
        .map(|template| {
            let template_name = template.metadata.name.as_deref().unwrap_or_default();
            let mut claim = template.clone();
            let mut labels = claim.metadata.labels.take().unwrap_or_default();
            labels.extend(selector_labels.clone());
            claim.metadata = ObjectMeta {
                name: Some(claim_name(template_name, name, ordinal)),
                namespace: set.metadata.namespace.clone(),
                labels: Some(labels),
                annotations: claim.metadata.annotations.take(),
                ..ObjectMeta::default()
            };
            claim.status = None;
            claim
        })
        .collect()
}

// ANCHOR: new_pod
/// The pod with `ordinal` made from `template` (the template of `revision`): named
/// `<statefulset>-<ordinal>`, labelled with its name, its ordinal and `revision`, owned by the
/// StatefulSet, with hostname = its name and subdomain = `serviceName` (so it resolves as
/// `web-0.nginx.<namespace>.svc`), and one volume per claim template, named like the
/// template, mounting the pod's claim (upstream `newVersionedStatefulSetPod`).
pub fn new_pod(set: &StatefulSet, template: &PodTemplateSpec, revision: &str, ordinal: i32) -> Pod {
    // ANCHOR_END: new_pod
    // BEGIN SOLUTION step-4: name and identity labels from the ordinal, hostname and subdomain, the claims' volumes replacing same-named template volumes, the owner
    let set_name = set.metadata.name.as_deref().unwrap_or_default();
    let name = pod_name(set_name, ordinal);
    let template_meta = template.metadata.clone().unwrap_or_default();
    let mut labels: BTreeMap<String, String> = template_meta.labels.unwrap_or_default();
    labels.insert(POD_NAME_LABEL.to_owned(), name.clone());
    labels.insert(POD_INDEX_LABEL.to_owned(), ordinal.to_string());
    labels.insert(REVISION_LABEL.to_owned(), revision.to_owned());
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.hostname = Some(name.clone());
    spec.subdomain = set
        .spec
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .filter(|s| !s.is_empty());
    // The claims' volumes replace any template volume of the same name (upstream
    // `updateStorage`).
    let claim_volumes: Vec<Volume> = set
        .spec
        .iter()
        .flat_map(|s| s.volume_claim_templates.iter().flatten())
        .filter_map(|t| t.metadata.name.as_deref())
        .map(|template_name| Volume {
            name: template_name.to_owned(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(template_name, set_name, ordinal),
                read_only: None,
            }),
            ..Volume::default()
        })
        .collect();
    if !claim_volumes.is_empty() {
        let mut volumes = claim_volumes.clone();
        volumes.extend(
            spec.volumes
                .take()
                .unwrap_or_default()
                .into_iter()
                .filter(|v| !claim_volumes.iter().any(|c| c.name == v.name)),
        );
        spec.volumes = Some(volumes);
    }
    Pod {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: set.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: template_meta.annotations,
            owner_references: Some(vec![controller_ref(set)]),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    }
    // END SOLUTION
}
