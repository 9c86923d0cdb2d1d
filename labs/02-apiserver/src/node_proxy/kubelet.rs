//! Where a container runs: the pod, its container, its node, and that node's kubelet address.

use std::fmt;

use serde_json::Value;

use crate::registry::{self, Resource};
use crate::rest::ApiState;
use crate::status::Status;
use crate::store::{Store, registry_key};

/// The kubelet's port when the Node does not say (`--port` of the kubelet, 10250).
pub const DEFAULT_KUBELET_PORT: u16 = 10250;

/// The annotation naming the container `kubectl logs` and `kubectl exec` pick when the pod
/// has several and the user named none.
pub const DEFAULT_CONTAINER_ANNOTATION: &str = "kubectl.kubernetes.io/default-container";

/// How to reach one node's kubelet: a host (an IP address or a resolvable name) and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeletAddress {
    /// From the Node's `status.addresses`.
    pub host: String,
    /// From the Node's `status.daemonEndpoints.kubeletEndpoint.Port`.
    pub port: u16,
}

impl fmt::Display for KubeletAddress {
    /// `host:port`, with an IPv6 address in brackets, as URLs write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// One container of one scheduled pod, and the kubelet that runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerLocation {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub pod: String,
    /// The container's name (given, or defaulted by [`default_container`]).
    pub container: String,
    /// The pod's `spec.nodeName`.
    pub node: String,
    /// That node's kubelet.
    pub kubelet: KubeletAddress,
}

/// The names of every container of a pod, in the order upstream lists them: init containers,
/// then containers, then ephemeral containers.
pub fn container_names(pod: &Value) -> Vec<String> {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .filter_map(|list| pod["spec"][list].as_array())
        .flatten()
        .filter_map(|container| container["name"].as_str())
        .map(str::to_string)
        .collect()
}

/// The container a request is about: `requested` when given (it must exist), else the one the
/// [`DEFAULT_CONTAINER_ANNOTATION`] names, else the only container. Several containers and no
/// choice is a 400 listing them, as kube-apiserver words it:
/// `a container name must be specified for pod web, choose one of: [a b]`.
pub fn default_container(pod: &Value, requested: Option<&str>) -> Result<String, Status> {
    // BEGIN SOLUTION step-7: the container named, or the annotation's, or the only one
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let all = container_names(pod);
    if let Some(requested) = requested {
        if all.iter().any(|container| container == requested) {
            return Ok(requested.to_string());
        }
        return Err(Status::bad_request(format!(
            "container {requested} is not valid for pod {name}"
        )));
    }
    // kubectl reads this annotation itself and sends `container=`; honouring it here too
    // gives the same answer to clients that do not.
    let annotated = pod["metadata"]["annotations"][DEFAULT_CONTAINER_ANNOTATION].as_str();
    let regular: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|container| container["name"].as_str())
        .collect();
    if let Some(annotated) = annotated.filter(|annotated| regular.contains(annotated)) {
        return Ok(annotated.to_string());
    }
    match regular.as_slice() {
        [only] => Ok((*only).to_string()),
        [] => Err(Status::bad_request(format!(
            "a container name must be specified for pod {name}"
        ))),
        _ => Err(Status::bad_request(format!(
            "a container name must be specified for pod {name}, choose one of: [{}]",
            all.join(" ")
        ))),
    }
    // END SOLUTION
}

/// The kubelet of a Node: the first address of `status.addresses` by type preference, and
/// `status.daemonEndpoints.kubeletEndpoint.Port` (10250 when absent or 0).
///
/// The preference is InternalIP, Hostname, InternalDNS, ExternalIP, ExternalDNS: an address
/// first, because the lab's node names are not in any DNS (kube-apiserver's
/// `--kubelet-preferred-address-types` puts Hostname first; kubeadm clusters set InternalIP
/// first, as here).
pub fn kubelet_address(node: &Value) -> Result<KubeletAddress, Status> {
    // BEGIN SOLUTION step-7: the preferred address and the kubelet's port from the Node status
    const PREFERENCE: [&str; 5] = [
        "InternalIP",
        "Hostname",
        "InternalDNS",
        "ExternalIP",
        "ExternalDNS",
    ];
    let addresses = node["status"]["addresses"].as_array();
    let host = PREFERENCE.iter().find_map(|wanted| {
        addresses
            .into_iter()
            .flatten()
            .filter(|address| address["type"] == *wanted)
            .find_map(|address| address["address"].as_str().filter(|text| !text.is_empty()))
    });
    let Some(host) = host else {
        let name = node["metadata"]["name"].as_str().unwrap_or_default();
        return Err(Status::internal(format!(
            "node \"{name}\" has no address in status.addresses to reach its kubelet at"
        )));
    };
    let port = node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]
        .as_u64()
        .and_then(|port| u16::try_from(port).ok())
        .filter(|port| *port != 0)
        .unwrap_or(DEFAULT_KUBELET_PORT);
    Ok(KubeletAddress {
        host: host.to_string(),
        port,
    })
    // END SOLUTION
}

/// Finds where `container` (or the default container) of the pod `namespace/pod` runs: reads
/// the Pod (404 when missing), picks the container, requires `spec.nodeName` (400 `pod web does
/// not have a host assigned` before the scheduler has bound it), reads the Node and its kubelet
/// address.
pub async fn locate(
    state: &ApiState,
    namespace: &str,
    pod: &str,
    container: Option<&str>,
) -> Result<ContainerLocation, Status> {
    let pods = resource("pods")?;
    let object = read(state, pods, Some(namespace), pod).await?;
    let container = default_container(&object, container)?;
    let node = object["spec"]["nodeName"].as_str().unwrap_or_default();
    if node.is_empty() {
        return Err(Status::bad_request(format!(
            "pod {pod} does not have a host assigned"
        )));
    }
    let node_object = read(state, resource("nodes")?, None, node).await?;
    let kubelet = kubelet_address(&node_object)?;
    Ok(ContainerLocation {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container,
        node: node.to_string(),
        kubelet,
    })
}

/// A core/v1 resource of the registry.
fn resource(plural: &str) -> Result<&'static Resource, Status> {
    registry::lookup("", "v1", plural)
        .ok_or_else(|| Status::internal(format!("the registry has no {plural}")))
}

/// One stored object as JSON; 404 with the upstream message when it is not there.
async fn read(
    state: &ApiState,
    resource: &'static Resource,
    namespace: Option<&str>,
    name: &str,
) -> Result<Value, Status> {
    let key = registry_key(resource.storage_name(), namespace, name);
    let stored = state
        .store
        .get(&key)
        .await
        .map_err(|error| Status::from_store(error, resource, name))?;
    let Some(kv) = stored else {
        return Err(Status::not_found(resource, name));
    };
    serde_json::from_slice(&kv.value).map_err(Status::internal)
}

/// An error that is the kubelet's (or the way to it), as kube-apiserver reports it: code 500,
/// no reason, the Go-style sentence as the message (kubectl prints `Error from server: <it>`).
pub(crate) fn unreachable(message: String) -> Status {
    Status {
        code: 500,
        reason: "",
        message,
        details: None,
        continue_token: None,
    }
}
