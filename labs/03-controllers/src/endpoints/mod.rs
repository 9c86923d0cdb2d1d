//! Endpoints and EndpointSlices: which pod IPs stand behind each Service.
//!
//! A Service is a name and a virtual IP; kube-proxy needs the real addresses behind it. Two
//! controllers watch Services and Pods and write them down (upstream `pkg/controller/endpoint`
//! and `pkg/controller/endpointslice`):
//!
//! ```text
//! Service web (selector app=web, port 80 -> targetPort "http")
//!   pods app=web: 10.244.1.5 ready (http=8080)   10.244.2.7 not ready   (no IP yet: skipped)
//!
//! Endpoints web:       subsets: [{addresses: [10.244.1.5], notReadyAddresses: [10.244.2.7],
//!                                 ports: [{port: 8080}]}]
//! EndpointSlice web-x: labels kubernetes.io/service-name=web, addressType IPv4, ports [8080]
//!                      endpoints: [{10.244.1.5 ready}, {10.244.2.7 not ready}]
//! ```
//!
//! The pure parts are here and in [`subsets`] and [`slices`]: which pods count and which port a
//! Service port means on a given pod (a named `targetPort` may be a different number on each
//! pod). [`controller`] is the loop both controllers share.

pub mod controller;
pub mod slices;
pub mod subsets;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ObjectReference, Pod, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::pods::is_ready;

/// Whether `labels` carry every pair of a Service's `spec.selector` (a map selector: equality
/// only). An empty selector is "no selector": a Service whose Endpoints someone else writes.
pub fn service_selects(
    selector: &BTreeMap<String, String>,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    !selector.is_empty()
        && selector
            .iter()
            .all(|(key, value)| labels.and_then(|labels| labels.get(key)) == Some(value))
}

/// The Service's selector, when it has a non-empty one (the controllers manage only those).
pub fn selector_of(service: &Service) -> Option<&BTreeMap<String, String>> {
    service
        .spec
        .as_ref()?
        .selector
        .as_ref()
        .filter(|selector| !selector.is_empty())
}

/// `spec.publishNotReadyAddresses`: every pod counts as ready (StatefulSet peers finding each
/// other before they are ready).
pub fn publish_not_ready(service: &Service) -> bool {
    service
        .spec
        .as_ref()
        .and_then(|spec| spec.publish_not_ready_addresses)
        .unwrap_or(false)
}

// ANCHOR: should_include
/// Whether `pod` belongs behind a Service at all (upstream `ShouldPodBeInEndpoints`): a pod
/// that has finished (`Succeeded` or `Failed`) does not; it needs an IP; a pod being deleted
/// only when `include_terminating` (EndpointSlices keep it, marked terminating, so that
/// kube-proxy can drain it).
pub fn should_include(pod: &Pod, include_terminating: bool) -> bool {
    let Some(status) = pod.status.as_ref() else {
        return false;
    };
    if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
        return false;
    }
    if status.pod_ip.as_deref().unwrap_or_default().is_empty() {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}
// ANCHOR_END: should_include

// ANCHOR: find_port
/// The port number `service_port` means on `pod` (upstream `podutil.FindPort`): a number
/// `targetPort` is that number; a named one is the `containerPort` of the container port with
/// that name and the same protocol, which may differ from pod to pod; no `targetPort` means
/// the Service's `port`. `None` when the pod has no such named port.
pub fn find_port(pod: &Pod, service_port: &ServicePort) -> Option<i32> {
    // BEGIN SOLUTION step-5: Int(n) -> n; String(name) -> search every container's ports for name == name and protocol (default TCP) equal; None -> port
    let protocol = service_port.protocol.as_deref().unwrap_or("TCP");
    match &service_port.target_port {
        None => Some(service_port.port),
        Some(IntOrString::Int(port)) => Some(*port),
        Some(IntOrString::String(name)) => {
            if let Ok(port) = name.parse::<i32>() {
                return Some(port);
            }
            pod.spec
                .as_ref()?
                .containers
                .iter()
                .flat_map(|container| container.ports.iter().flatten())
                .find(|port| {
                    port.name.as_deref() == Some(name.as_str())
                        && port.protocol.as_deref().unwrap_or("TCP") == protocol
                })
                .map(|port| port.container_port)
        }
    }
    // END SOLUTION
}
// ANCHOR_END: find_port

/// Whether the pod serves traffic: ready, or every address counts as ready.
pub fn pod_is_ready(pod: &Pod, publish_not_ready: bool) -> bool {
    publish_not_ready || is_ready(pod)
}

/// A `targetRef` to the pod (kind, namespace, name, uid).
pub fn pod_reference(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".to_owned()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        ..Default::default()
    }
}

/// The pod's IP (empty when it has none; [`should_include`] filters those out first).
pub fn pod_ip(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|status| status.pod_ip.clone())
        .unwrap_or_default()
}

/// The node the pod runs on.
pub fn pod_node(pod: &Pod) -> Option<String> {
    pod.spec
        .as_ref()?
        .node_name
        .clone()
        .filter(|node| !node.is_empty())
}
