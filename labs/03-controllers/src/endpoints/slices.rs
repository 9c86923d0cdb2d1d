//! The EndpointSlices of a Service (upstream `pkg/controller/endpointslice`, its `reconciler`).
//!
//! One Endpoints object per Service grows with every pod and is rewritten whole on every
//! change: at 5,000 pods that is megabytes sent to every kube-proxy for each pod that becomes
//! ready. EndpointSlices split it: at most [`MAX_ENDPOINTS_PER_SLICE`] endpoints per slice,
//! one list of ports per slice, found by the label `kubernetes.io/service-name`. Each
//! endpoint carries three conditions: `ready` (send new connections), `serving` (the pod's
//! readiness, even while it terminates) and `terminating`.
//!
//! [`desired_slices`] says what the slices should hold; [`reconcile`] compares that with the
//! slices that exist and says which to create, update and delete, reusing existing slices so
//! that a change touches as few objects as possible.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, Service, ServicePort};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::{find_port, pod_ip, pod_node, pod_reference, publish_not_ready, should_include};
use crate::pods::is_ready;

/// The label that ties a slice to its Service.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
/// The label that says which controller manages a slice.
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// This controller's value of [`LABEL_MANAGED_BY`].
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
/// Upstream's default `--max-endpoints-per-slice`.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

// ANCHOR: desired_slice
/// What one slice should hold: its ports and its endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredSlice {
    /// The ports, as resolved on its pods (`None` for a Service without ports).
    pub ports: Option<Vec<EndpointPort>>,
    /// The endpoints, sorted by address.
    pub endpoints: Vec<Endpoint>,
}
// ANCHOR_END: desired_slice

/// Endpoints with equal port lists share slices: the list's (name, port) pairs are the key.
type PortKey = Vec<(Option<String>, Option<i32>)>;

/// The slice port for a Service port and its number on a pod.
fn slice_port(service_port: &ServicePort, port: i32) -> EndpointPort {
    EndpointPort {
        name: service_port.name.clone().filter(|name| !name.is_empty()),
        port: Some(port),
        protocol: Some(
            service_port
                .protocol
                .clone()
                .unwrap_or_else(|| "TCP".to_owned()),
        ),
        app_protocol: service_port.app_protocol.clone(),
    }
}

/// The endpoint of a pod (upstream `podToEndpoint`): `serving` is readiness, `terminating`
/// is a deletion in progress, and `ready` is serving and not terminating; with
/// `publishNotReadyAddresses` all count as ready and serving.
fn pod_endpoint(pod: &Pod, publish: bool) -> Endpoint {
    let serving = publish || is_ready(pod);
    let terminating = pod.metadata.deletion_timestamp.is_some();
    let ready = publish || (serving && !terminating);
    Endpoint {
        addresses: vec![pod_ip(pod)],
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        }),
        node_name: pod_node(pod),
        target_ref: Some(pod_reference(pod)),
        ..Default::default()
    }
}

// ANCHOR: desired_slices
/// What the slices of `service` should hold, given the pods its selector matches: every pod
/// that [`should_include`] (terminating ones too) with an IPv4 address becomes an endpoint;
/// endpoints are grouped by their resolved port list, sorted by address, and cut into
/// slices of at most [`MAX_ENDPOINTS_PER_SLICE`]. No endpoint at all still gives one empty
/// slice (upstream's placeholder), so clients see "no endpoints" rather than "not yet".
pub fn desired_slices(service: &Service, pods: &[Arc<Pod>]) -> Vec<DesiredSlice> {
    let publish = publish_not_ready(service);
    let service_ports = service
        .spec
        .as_ref()
        .and_then(|spec| spec.ports.clone())
        .unwrap_or_default();
    let mut groups: BTreeMap<PortKey, (Vec<EndpointPort>, Vec<Endpoint>)> = BTreeMap::new();
    for pod in pods.iter().filter(|pod| should_include(pod, true)) {
        if pod_ip(pod).contains(':') {
            continue; // an IPv6 address belongs in an IPv6 slice
        }
        let ports: Vec<EndpointPort> = service_ports
            .iter()
            .filter_map(|service_port| {
                find_port(pod, service_port).map(|port| slice_port(service_port, port))
            })
            .collect();
        if ports.is_empty() && !service_ports.is_empty() {
            continue;
        }
        let key = ports
            .iter()
            .map(|port| (port.name.clone(), port.port))
            .collect();
        let entry = groups.entry(key).or_insert_with(|| (ports, Vec::new()));
        entry.1.push(pod_endpoint(pod, publish));
    }
    let mut slices = Vec::new();
    for (ports, mut endpoints) in groups.into_values() {
        endpoints.sort_by(|a, b| a.addresses.cmp(&b.addresses));
        for chunk in endpoints.chunks(MAX_ENDPOINTS_PER_SLICE) {
            slices.push(DesiredSlice {
                ports: (!ports.is_empty()).then(|| ports.clone()),
                endpoints: chunk.to_vec(),
            });
        }
    }
    if slices.is_empty() {
        slices.push(DesiredSlice {
            ports: None,
            endpoints: Vec::new(),
        });
    }
    slices
}
// ANCHOR_END: desired_slices

/// The labels of a slice: the Service's own (minus the two reserved ones), the Service's name,
/// this controller's name, and `service.kubernetes.io/headless` for a headless Service.
pub fn slice_labels(service: &Service) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = service
        .metadata
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| key != LABEL_SERVICE_NAME && key != LABEL_MANAGED_BY)
        .collect();
    labels.insert(
        LABEL_SERVICE_NAME.to_owned(),
        service.metadata.name.clone().unwrap_or_default(),
    );
    labels.insert(LABEL_MANAGED_BY.to_owned(), CONTROLLER_NAME.to_owned());
    let headless = service
        .spec
        .as_ref()
        .and_then(|spec| spec.cluster_ip.as_deref())
        == Some("None");
    if headless {
        labels.insert("service.kubernetes.io/headless".to_owned(), String::new());
    }
    labels
}

/// The owner reference a slice carries: its Service, as controller, so that the garbage
/// collector deletes the slices with the Service.
pub fn service_owner(service: &Service) -> OwnerReference {
    OwnerReference {
        api_version: "v1".to_owned(),
        kind: "Service".to_owned(),
        name: service.metadata.name.clone().unwrap_or_default(),
        uid: service.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// What to write: slices to create (with `generateName`), to update (whole, with their
/// `resourceVersion`), and the names of slices to delete.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SlicePlan {
    /// New slices.
    pub create: Vec<EndpointSlice>,
    /// Existing slices with new content.
    pub update: Vec<EndpointSlice>,
    /// Slices no longer needed.
    pub delete: Vec<String>,
}

impl SlicePlan {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.update.is_empty() && self.delete.is_empty()
    }
}

/// Whether `slice` already holds `desired` with `labels`.
fn holds(slice: &EndpointSlice, desired: &DesiredSlice, labels: &BTreeMap<String, String>) -> bool {
    slice.address_type == "IPv4"
        && slice.ports == desired.ports
        && slice.endpoints == desired.endpoints
        && slice.metadata.labels.as_ref() == Some(labels)
}

// ANCHOR: reconcile
/// Compares `desired` with the `existing` slices of the Service: a desired slice some
/// existing one already holds is left alone; each other desired slice reuses a leftover
/// existing slice (an update) or becomes a new one; leftover existing slices are deleted.
/// Nothing changed means an empty plan: no write at all.
pub fn reconcile(
    service: &Service,
    desired: Vec<DesiredSlice>,
    existing: &[Arc<EndpointSlice>],
) -> SlicePlan {
    // BEGIN SOLUTION step-5: first drop every desired slice an existing one holds (and that existing one); then pair the rest with leftover existing slices (update) or create; delete what is left
    let labels = slice_labels(service);
    let mut leftover: Vec<&Arc<EndpointSlice>> = existing.iter().collect();
    leftover.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let mut unmet = Vec::new();
    for slice in desired {
        match leftover.iter().position(|old| holds(old, &slice, &labels)) {
            Some(index) => {
                leftover.remove(index);
            }
            None => unmet.push(slice),
        }
    }
    let mut plan = SlicePlan::default();
    let mut reusable = leftover.into_iter();
    for slice in unmet {
        match reusable.next() {
            Some(old) => {
                let mut updated = new_slice(service, slice, &labels);
                updated.metadata.name = old.metadata.name.clone();
                updated.metadata.generate_name = None;
                updated.metadata.resource_version = old.metadata.resource_version.clone();
                plan.update.push(updated);
            }
            None => plan.create.push(new_slice(service, slice, &labels)),
        }
    }
    plan.delete = reusable
        .filter_map(|old| old.metadata.name.clone())
        .collect();
    plan
    // END SOLUTION
}
// ANCHOR_END: reconcile

/// A new slice of `service` holding `desired` (named by the server: `generateName`).
pub fn new_slice(
    service: &Service,
    desired: DesiredSlice,
    labels: &BTreeMap<String, String>,
) -> EndpointSlice {
    let name = service.metadata.name.clone().unwrap_or_default();
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: service.metadata.namespace.clone(),
            labels: Some(labels.clone()),
            owner_references: Some(vec![service_owner(service)]),
            ..Default::default()
        },
        address_type: "IPv4".to_owned(),
        endpoints: desired.endpoints,
        ports: desired.ports,
    }
}
