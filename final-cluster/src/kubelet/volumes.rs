//! The ConfigMaps and Secrets a pod's volumes name, read from the API server before the pod
//! starts (upstream's `configmap` and `secret` volume plugins, through the kubelet's managers).
//!
//! Lab 01 writes a configMap or secret volume from objects it is handed
//! ([`VolumeSources`]); on a node those objects live in the API server. A required object that
//! does not exist (yet) keeps the pod `ContainerCreating`, retried until it appears, as a real
//! kubelet does (it reports `FailedMount` and retries); an `optional` one is an empty
//! directory. The files are written once, when the pod starts: a later change to the object
//! is not synced into a running pod.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
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
