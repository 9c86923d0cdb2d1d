//! Static pods: pods a kubelet runs from files, without the apiserver, and the *mirror pods*
//! that make them visible in the API (upstream `pkg/kubelet/config/file.go` and
//! `pkg/kubelet/pod/mirror_client.go`).
//!
//! A control plane cannot be scheduled by a scheduler that does not run yet, so kubeadm writes
//! `kube-apiserver.yaml` & co. into `/etc/kubernetes/manifests` and the kubelet runs them on
//! its own. Once the apiserver answers, the kubelet creates a read-only copy of each, the
//! mirror pod, which is why `kubectl get pods -n kube-system` lists `kube-apiserver-<node>`:
//!
//! ```text
//! /etc/kubernetes/manifests/web.yaml   name: web   ──>  runs as    default/web-node1 (UID = hash)
//!                                                  ──>  mirror:    Pod default/web-node1 with
//!     annotations kubernetes.io/config.source=file, kubernetes.io/config.hash=<hash>,
//!                 kubernetes.io/config.mirror=<hash>; ownerReferences: the Node
//! ```
//!
//! The file is the truth: a changed file is a new pod (new hash, new UID: the old one stops,
//! the mirror is replaced); a removed file stops the pod and deletes the mirror; a mirror
//! deleted through the API comes back.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use sha2::{Digest as _, Sha256};

use crate::informer::object_key;

/// The annotation saying where a pod came from (`file`, `http`, or `api`).
pub const CONFIG_SOURCE: &str = "kubernetes.io/config.source";
/// The annotation holding the static pod's hash (its UID).
pub const CONFIG_HASH: &str = "kubernetes.io/config.hash";
/// The annotation that marks a mirror pod (its value is the hash too).
pub const CONFIG_MIRROR: &str = "kubernetes.io/config.mirror";

/// Why the manifest directory could not be read (a bad single file is skipped, not an error).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ManifestError(#[from] std::io::Error);

/// Whether `pod` is a mirror pod (it has the `kubernetes.io/config.mirror` annotation).
pub fn is_mirror(pod: &Pod) -> bool {
    annotation(pod, CONFIG_MIRROR).is_some()
}

/// One annotation of `pod`.
pub fn annotation<'a>(pod: &'a Pod, name: &str) -> Option<&'a str> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(name)
        .map(String::as_str)
}

/// Reads every `*.yaml`, `*.yml` and `*.json` file of `dir` as a static pod of `node`, by key.
/// A file that is not a Pod is logged and skipped: one bad manifest must not stop the others.
pub fn read_manifests(dir: &Path, node: &str) -> Result<HashMap<String, Arc<Pod>>, ManifestError> {
    let mut pods = HashMap::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|ext| ext.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .collect();
    paths.sort();
    for path in paths {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|error| error.to_string())
            .and_then(|text| static_pod(&text, node));
        match parsed {
            Ok(pod) => {
                pods.insert(object_key(&pod), Arc::new(pod));
            }
            Err(error) => {
                tracing::warn!(file = %path.display(), "skipping static pod manifest: {error}");
            }
        }
    }
    Ok(pods)
}

/// Turns a manifest into the pod the kubelet runs (upstream `applyDefaults` of the file
/// source): named `<name>-<node>`, namespace `default` unless given, bound to `node`, and a UID
/// and hash computed from the manifest and the node, so an unchanged file is the same pod.
pub fn static_pod(manifest: &str, node: &str) -> Result<Pod, String> {
    let mut pod: Pod = serde_yaml::from_str(manifest).map_err(|error| error.to_string())?;
    let name = pod
        .metadata
        .name
        .clone()
        .filter(|name| !name.is_empty())
        .ok_or("the pod has no metadata.name")?;
    let hash = {
        let mut digest = Sha256::new();
        digest.update(manifest.as_bytes());
        digest.update(node.as_bytes());
        let bytes = digest.finalize();
        bytes[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    };
    let meta = &mut pod.metadata;
    meta.name = Some(format!("{name}-{node}"));
    if meta.namespace.as_deref().is_none_or(str::is_empty) {
        meta.namespace = Some("default".to_owned());
    }
    meta.uid = Some(hash.clone());
    let annotations = meta.annotations.get_or_insert_with(BTreeMap::new);
    annotations.insert(CONFIG_SOURCE.to_owned(), "file".to_owned());
    annotations.insert(CONFIG_HASH.to_owned(), hash);
    pod.spec.get_or_insert_with(Default::default).node_name = Some(node.to_owned());
    pod.status = None;
    Ok(pod)
}

// ANCHOR: mirror_pod
/// The mirror pod of a static pod (upstream `CreateMirrorPod`): the same name, namespace,
/// labels and spec, the `kubernetes.io/config.mirror` annotation set to the hash, owned by the
/// Node (so it goes when the Node goes), and no UID (the apiserver gives it its own).
pub fn mirror_pod(static_pod: &Pod, node_name: &str, node_uid: &str) -> Pod {
    // BEGIN SOLUTION step-7: copy name, namespace, labels, annotations and spec; add config.mirror = the config.hash; owner reference to the Node (apiVersion v1, kind Node, controller true); no uid, no status
    let meta = &static_pod.metadata;
    let mut annotations = meta.annotations.clone().unwrap_or_default();
    let hash = annotations.get(CONFIG_HASH).cloned().unwrap_or_default();
    annotations.insert(CONFIG_MIRROR.to_owned(), hash);
    Pod {
        metadata: ObjectMeta {
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            labels: meta.labels.clone(),
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".to_owned(),
                kind: "Node".to_owned(),
                name: node_name.to_owned(),
                uid: node_uid.to_owned(),
                controller: Some(true),
                ..OwnerReference::default()
            }]),
            ..ObjectMeta::default()
        },
        spec: static_pod.spec.clone(),
        status: None,
    }
    // END SOLUTION
}
// ANCHOR_END: mirror_pod
