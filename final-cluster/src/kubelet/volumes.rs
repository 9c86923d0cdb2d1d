//! The ConfigMaps and Secrets a pod's volumes name, read from the API server before the pod
//! starts (upstream's `configmap` and `secret` volume plugins, through the kubelet's managers).
//!
//! Lab 01 writes a configMap or secret volume from objects it is handed
//! ([`VolumeSources`]); on a node those objects live in the API server. A required object that
//! does not exist (yet) keeps the pod `ContainerCreating`, retried until it appears, as a real
//! kubelet does (it reports `FailedMount` and retries); an `optional` one is an empty
//! directory. The files are written once, when the pod starts: a later change to the object
//! is not synced into a running pod.
//!
//! `persistentVolumeClaim` volumes (a StatefulSet's claims) need a storage system, which this
//! cluster does not have. The kubelet gives each claim a directory on its node instead,
//! `<root>/claims/<namespace>/<claim>`, made on first use and kept when the pod goes: the same
//! idea as the local-path provisioner of small clusters, without its PersistentVolumes (the
//! claims stay `Pending` in the API). A pod that comes back on the same node finds its data.

use std::collections::BTreeSet;
use std::path::Path;

use k8s_openapi::api::core::v1::{ConfigMap, HostPathVolumeSource, Pod, Secret};
use kube::{Api, Client};
use lab_01::volume::VolumeSources;
use tokio::runtime::Handle;

/// Reads volume objects through a client, from a pod's (non-async) thread.
#[derive(Clone)]
pub struct ApiVolumeSources {
    client: Client,
    handle: Handle,
}

/// The ConfigMap and Secret names a pod's volumes refer to (each with whether it is optional).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// ConfigMaps: (name, optional).
    pub config_maps: BTreeSet<(String, bool)>,
    /// Secrets: (name, optional).
    pub secrets: BTreeSet<(String, bool)>,
}

/// What the pod's `volumes` need from the API server.
pub fn wanted(pod: &Pod) -> Wanted {
    let mut wanted = Wanted::default();
    let volumes = pod.spec.as_ref().and_then(|spec| spec.volumes.as_ref());
    for volume in volumes.into_iter().flatten() {
        if let Some(source) = &volume.config_map {
            wanted
                .config_maps
                .insert((source.name.clone(), source.optional == Some(true)));
        }
        if let Some(source) = &volume.secret {
            let name = source.secret_name.clone().unwrap_or_default();
            wanted.secrets.insert((name, source.optional == Some(true)));
        }
    }
    wanted
}

/// `pod` with each `persistentVolumeClaim` volume turned into its node-local directory under
/// `claims_dir` (`<namespace>/<claim>`, created when missing).
pub fn claims_on_node(pod: &Pod, claims_dir: &Path) -> Pod {
    let mut pod = pod.clone();
    let namespace = pod
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    let volumes = pod.spec.as_mut().and_then(|spec| spec.volumes.as_mut());
    for volume in volumes.into_iter().flatten() {
        if let Some(claim) = volume.persistent_volume_claim.take() {
            let dir = claims_dir.join(&namespace).join(&claim.claim_name);
            volume.host_path = Some(HostPathVolumeSource {
                path: dir.to_string_lossy().into_owned(),
                type_: Some("DirectoryOrCreate".to_owned()),
            });
        }
    }
    pod
}

impl ApiVolumeSources {
    /// Reads through `client`, on the runtime of `handle` (the kubelet's).
    pub fn new(client: Client, handle: Handle) -> Self {
        ApiVolumeSources { client, handle }
    }

    /// The objects `pod`'s volumes need. `Err` says what is missing or failed: the pod waits
    /// and the caller tries again. Must not be called on a runtime thread (it blocks).
    pub fn fetch(&self, pod: &Pod) -> Result<VolumeSources, String> {
        let wanted = wanted(pod);
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let mut sources = VolumeSources::default();
        let config_maps: Api<ConfigMap> = Api::namespaced(self.client.clone(), namespace);
        for (name, optional) in &wanted.config_maps {
            if let Some(object) = self.get(&config_maps, name, *optional, "configmap")? {
                sources.config_maps.insert(name.clone(), object);
            }
        }
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        for (name, optional) in &wanted.secrets {
            if let Some(object) = self.get(&secrets, name, *optional, "secret")? {
                sources.secrets.insert(name.clone(), object);
            }
        }
        Ok(sources)
    }

    /// One object: `None` when it is optional and absent.
    fn get<K>(
        &self,
        api: &Api<K>,
        name: &str,
        optional: bool,
        kind: &str,
    ) -> Result<Option<K>, String>
    where
        K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        match self.handle.block_on(api.get_opt(name)) {
            Ok(Some(object)) => Ok(Some(object)),
            Ok(None) if optional => Ok(None),
            // The wording of upstream's FailedMount event.
            Ok(None) => Err(format!("{kind} \"{name}\" not found")),
            Err(error) => Err(format!("cannot read {kind} \"{name}\": {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_becomes_a_directory_of_its_namespace_on_the_node() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-0", "namespace": "shop"},
            "spec": {
                "containers": [{"name": "c", "image": "busybox"}],
                "volumes": [
                    {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}},
                    {"name": "scratch", "emptyDir": {}},
                ],
            },
        }))
        .expect("a pod");
        let local = claims_on_node(&pod, Path::new("/var/lib/kubelet/claims"));
        let volumes = local.spec.and_then(|spec| spec.volumes).expect("volumes");
        assert!(volumes[0].persistent_volume_claim.is_none());
        let host_path = volumes[0].host_path.clone().expect("a hostPath");
        assert_eq!(host_path.path, "/var/lib/kubelet/claims/shop/data-web-0");
        assert_eq!(host_path.type_.as_deref(), Some("DirectoryOrCreate"));
        assert!(volumes[1].empty_dir.is_some());
    }

    #[test]
    fn wanted_lists_config_maps_and_secrets_with_their_optional_flag() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "containers": [{"name": "c", "image": "busybox"}],
                "volumes": [
                    {"name": "conf", "configMap": {"name": "web-conf"}},
                    {"name": "extra", "configMap": {"name": "extra", "optional": true}},
                    {"name": "tls", "secret": {"secretName": "web-tls"}},
                    {"name": "scratch", "emptyDir": {}},
                ],
            },
        }))
        .expect("a pod");
        let wanted = wanted(&pod);
        assert_eq!(
            wanted.config_maps,
            BTreeSet::from([("extra".to_owned(), true), ("web-conf".to_owned(), false)])
        );
        assert_eq!(
            wanted.secrets,
            BTreeSet::from([("web-tls".to_owned(), false)])
        );
    }
}
