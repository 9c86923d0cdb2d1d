//! Step 6 in the REST layer: a Service gets its cluster IP and node ports when it is created,
//! keeps them when it is updated, and gives them back when it is deleted.
//!
//! kube-apiserver does this in the Service's own storage code, around the generic object
//! pipeline, and so do we: `allocate` runs on create after validation and before the write
//! (and is undone with `release` if the write fails), `keep_allocations` on update (with
//! `service_update.rs` for the updates that need new addresses), and `released` once a
//! Service is gone.

use std::net::Ipv4Addr;
use std::sync::Arc;

use serde_json::{Value, json};

use super::ApiState;
use crate::allocator::{self, ClusterIps, IpRange, NodePorts, PortRange};
use crate::registry::Resource;
use crate::status::{Status, StatusCause};
use crate::store::Backend;

/// The two allocators of a server, over its store.
#[derive(Debug)]
pub struct ServiceAllocators {
    /// `--service-cluster-ip-range`.
    pub ips: ClusterIps<Backend>,
    /// `--service-node-port-range`.
    pub ports: NodePorts<Backend>,
}

impl ServiceAllocators {
    /// Allocators of these ranges, keeping their state in `store`.
    pub fn new(store: Backend, ips: IpRange, ports: PortRange) -> Arc<Self> {
        Arc::new(Self {
            ips: ClusterIps::new(store.clone(), ips),
            ports: NodePorts::new(store, ports),
        })
    }
}

/// What a create allocated, to give back if the write fails.
#[derive(Debug, Default)]
pub(crate) struct Allocated {
    ips: Vec<Ipv4Addr>,
    ports: Vec<u16>,
}

pub(crate) fn is_service(resource: &Resource) -> bool {
    resource.group.is_empty() && resource.plural == "services"
}

pub(crate) fn service_type(object: &Value) -> &str {
    object
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
}

/// A 422 about one field of the Service, in upstream's words.
fn invalid(
    resource: &Resource,
    object: &Value,
    field: &str,
    value: &str,
    error: &allocator::Error,
) -> Status {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    invalid_named(resource, name, field, value, error)
}

/// [`invalid`] for the Service `name`.
pub(crate) fn invalid_named(
    resource: &Resource,
    name: &str,
    field: &str,
    value: &str,
    error: &allocator::Error,
) -> Status {
    let message = format!("Invalid value: {value}: {error}");
    Status::invalid(
        resource,
        name,
        vec![StatusCause {
            reason: "FieldValueInvalid".to_owned(),
            message,
            field: field.to_owned(),
        }],
    )
}

// ANCHOR: allocate
/// Gives a new Service its cluster IP (the one it asks for, or the next free one) and, for
/// NodePort and LoadBalancer Services, a node port per port. Headless (`clusterIP: None`) and
/// ExternalName Services get nothing.
pub(crate) async fn allocate(
    state: &ApiState,
    resource: &Resource,
    object: &mut Value,
) -> Result<Allocated, Status> {
    let mut allocated = Allocated::default();
    if !is_service(resource) || service_type(object) == "ExternalName" {
        return Ok(allocated);
    }
    let services = &state.services;
    let asked = object
        .pointer("/spec/clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if asked != "None" {
        let wanted = match asked.as_str() {
            "" => None,
            text => Some(text.parse::<Ipv4Addr>().map_err(|_| {
                let error = allocator::Error::OutOfRange {
                    what: "IP",
                    range: services.ips.range().to_string(),
                };
                invalid(
                    resource,
                    object,
                    "spec.clusterIPs[0]",
                    &format!("[\"{text}\"]"),
                    &error,
                )
            })?),
        };
        let ip = match services.ips.allocate(wanted).await {
            Ok(ip) => ip,
            Err(error) => {
                let shown = format!("[\"{asked}\"]");
                return Err(invalid(
                    resource,
                    object,
                    "spec.clusterIPs[0]",
                    &shown,
                    &error,
                ));
            }
        };
        allocated.ips.push(ip);
        let spec = &mut object["spec"];
        spec["clusterIP"] = json!(ip.to_string());
        spec["clusterIPs"] = json!([ip.to_string()]);
        spec["ipFamilies"] = json!(["IPv4"]);
        if spec.get("ipFamilyPolicy").is_none() {
            spec["ipFamilyPolicy"] = json!("SingleStack");
        }
    }
    if matches!(service_type(object), "NodePort" | "LoadBalancer") {
        let count = object
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for index in 0..count {
            let port = &mut object["spec"]["ports"][index];
            let wanted = port
                .get("nodePort")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok());
            match services.ports.allocate(wanted).await {
                Ok(node_port) => {
                    port["nodePort"] = json!(node_port);
                    allocated.ports.push(node_port);
                }
                Err(error) => {
                    release(state, allocated).await;
                    let field = format!("spec.ports[{index}].nodePort");
                    let shown = wanted.map_or_else(String::new, |p| p.to_string());
                    return Err(invalid(resource, object, &field, &shown, &error));
                }
            }
        }
    }
    Ok(allocated)
}
// ANCHOR_END: allocate

/// Gives back what a failed create allocated. Errors are logged: a leaked address is a
/// smaller harm than failing the request a second time.
pub(crate) async fn release(state: &ApiState, allocated: Allocated) {
    for ip in allocated.ips {
        if let Err(error) = state.services.ips.release(ip).await {
            tracing::warn!(%ip, %error, "failed to release a cluster IP");
        }
    }
    for port in allocated.ports {
        if let Err(error) = state.services.ports.release(port).await {
            tracing::warn!(port, %error, "failed to release a node port");
        }
    }
}

/// Gives back the addresses of a Service that is gone.
pub(crate) async fn released(state: &ApiState, resource: &Resource, object: &Value) {
    if !is_service(resource) {
        return;
    }
    let ips = object
        .pointer("/spec/clusterIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|text| text.parse().ok())
        .collect();
    let ports = object
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|port| port.get("nodePort").and_then(Value::as_u64))
        .filter_map(|port| u16::try_from(port).ok())
        .collect();
    release(state, Allocated { ips, ports }).await;
}

/// On update, a Service keeps what it was given: a client that sends the Service without
/// `clusterIP` (as `kubectl apply` of the original manifest does) or without a port's
/// `nodePort` gets the old ones, matched by port number and protocol.
pub(crate) fn keep_allocations(resource: &Resource, new: &mut Value, old: &Value) {
    if !is_service(resource) {
        return;
    }
    for field in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
        let missing = new
            .pointer(&format!("/spec/{field}"))
            .is_none_or(|value| value == "");
        if missing && let Some(kept) = old.pointer(&format!("/spec/{field}")) {
            new["spec"][field] = kept.clone();
        }
    }
    let old_ports = old
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(ports) = new.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
        for port in ports
            .iter_mut()
            .filter(|port| port.get("nodePort").is_none())
        {
            let same = old_ports.iter().find(|o| {
                o.get("port") == port.get("port") && o.get("protocol") == port.get("protocol")
            });
            if let Some(node_port) = same.and_then(|o| o.get("nodePort")) {
                port["nodePort"] = node_port.clone();
            }
        }
    }
}
