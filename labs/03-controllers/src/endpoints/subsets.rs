//! The Endpoints object of a Service (upstream `endpoint.Controller.syncService`): its
//! `subsets`, each a set of addresses that share one list of ports.
//!
//! Every pod contributes, for each Service port it has, one address; pods whose named
//! `targetPort` resolves to different numbers end up in different subsets. Ready pods go to
//! `addresses`, the others to `notReadyAddresses` (kube-proxy sends traffic only to the
//! first). The result is sorted so that the same pods always give the same object and the
//! controller can tell "nothing changed" by comparing.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset, Pod, Service};

use super::{
    find_port, pod_ip, pod_is_ready, pod_node, pod_reference, publish_not_ready, should_include,
};

/// One port of an Endpoints subset for a Service port and its number on a pod.
fn endpoint_port(
    service_port: &k8s_openapi::api::core::v1::ServicePort,
    port: i32,
) -> EndpointPort {
    EndpointPort {
        name: service_port.name.clone().filter(|name| !name.is_empty()),
        port,
        protocol: Some(
            service_port
                .protocol
                .clone()
                .unwrap_or_else(|| "TCP".to_owned()),
        ),
        app_protocol: service_port.app_protocol.clone(),
    }
}

/// The address of a pod (ip, nodeName, targetRef).
fn endpoint_address(pod: &Pod) -> EndpointAddress {
    EndpointAddress {
        ip: pod_ip(pod),
        node_name: pod_node(pod),
        target_ref: Some(pod_reference(pod)),
        hostname: None,
    }
}

/// Addresses with equal port lists share a subset: the list's (name, port, protocol) is the key.
type PortKey = Vec<(Option<String>, i32, Option<String>)>;

/// Ready and not-ready addresses sharing one port list.
type Group = (Vec<EndpointAddress>, Vec<EndpointAddress>);

// ANCHOR: build_subsets
/// The subsets for `service` given the pods of its namespace that its selector matches: for
/// each pod that [`should_include`] (terminating ones excluded), its resolved ports (ports
/// it lacks are skipped; a Service without ports gives an address with none); addresses
/// grouped by identical port lists (upstream `RepackSubsets`), ready or not.
pub fn build_subsets(service: &Service, pods: &[Arc<Pod>]) -> Vec<EndpointSubset> {
    // BEGIN SOLUTION step-5: per included pod: ports = service ports resolved with find_port (skip unresolvable); group the pod's address by its port list, into ready or not-ready; then sort addresses by ip and turn groups into subsets
    let publish = publish_not_ready(service);
    let service_ports = service
        .spec
        .as_ref()
        .and_then(|spec| spec.ports.clone())
        .unwrap_or_default();
    let mut groups: BTreeMap<PortKey, (Vec<EndpointPort>, Group)> = BTreeMap::new();
    for pod in pods.iter().filter(|pod| should_include(pod, false)) {
        let ports: Vec<EndpointPort> = service_ports
            .iter()
            .filter_map(|service_port| {
                find_port(pod, service_port).map(|port| endpoint_port(service_port, port))
            })
            .collect();
        if ports.is_empty() && !service_ports.is_empty() {
            continue; // none of its ports exist on this pod
        }
        let key = ports
            .iter()
            .map(|port| (port.name.clone(), port.port, port.protocol.clone()))
            .collect();
        let (_, (ready, not_ready)) = groups
            .entry(key)
            .or_insert_with(|| (ports, Group::default()));
        if pod_is_ready(pod, publish) {
            ready.push(endpoint_address(pod));
        } else {
            not_ready.push(endpoint_address(pod));
        }
    }
    groups
        .into_values()
        .map(|(ports, (mut ready, mut not_ready))| {
            ready.sort_by(|a, b| a.ip.cmp(&b.ip));
            not_ready.sort_by(|a, b| a.ip.cmp(&b.ip));
            EndpointSubset {
                addresses: (!ready.is_empty()).then_some(ready),
                not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
                ports: (!ports.is_empty()).then_some(ports),
            }
        })
        .collect()
    // END SOLUTION
}
// ANCHOR_END: build_subsets
