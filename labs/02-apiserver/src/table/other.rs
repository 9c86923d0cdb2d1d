//! Printers for the other groups: Ingresses (networking.k8s.io), EndpointSlices
//! (discovery.k8s.io) and Leases (coordination.k8s.io).

use std::collections::BTreeSet;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::core::{age_of, name_of};
use super::descriptions as doc;
use super::{Column, Printer, Row, TableError, decode, format};

/// `kubectl get ingresses`.
pub(crate) static INGRESSES: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string(
            "Class",
            "The name of the IngressClass resource that should be used for additional configuration",
        ),
        Column::string(
            "Hosts",
            "Hosts that incoming requests are matched against before the ingress rule",
        ),
        Column::string(
            "Address",
            "Address is a list containing ingress points for the load-balancer",
        ),
        Column::string("Ports", "Ports of TLS configurations that open"),
        Column::AGE,
    ],
    row: ingress_row,
};

fn ingress_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let ingress: Ingress = decode(object, "ingresses")?;
    let spec = ingress.spec.clone().unwrap_or_default();
    // formatHosts: the first three non-empty hosts; once three are listed, " + N more..." where
    // N counts the *rules* beyond three (empty ones included, as upstream does); `*` when no
    // rule names a host.
    const MAX: usize = 3;
    let rules = spec.rules.as_deref().unwrap_or_default();
    let mut hosts: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == MAX {
            more = true;
        }
        match rule.host.as_deref() {
            Some(host) if !more && !host.is_empty() => hosts.push(host),
            _ => {}
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_owned()
    } else if more {
        format!("{} + {} more...", hosts.join(","), rules.len() - MAX)
    } else {
        hosts.join(",")
    };
    // The load balancer's ingress points, IP or else hostname, sorted and once each.
    let address: BTreeSet<String> = ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|i| {
            i.ip.clone()
                .filter(|ip| !ip.is_empty())
                .or_else(|| i.hostname.clone().filter(|h| !h.is_empty()))
        })
        .collect();
    let ports = if spec.tls.as_ref().is_some_and(|tls| !tls.is_empty()) {
        "80, 443"
    } else {
        "80"
    };
    Ok(Row::new(vec![
        name_of(&ingress.metadata),
        spec.ingress_class_name
            .clone()
            .unwrap_or("<none>".into())
            .into(),
        hosts.into(),
        address.into_iter().collect::<Vec<_>>().join(",").into(),
        ports.into(),
        age_of(&ingress.metadata, now),
    ]))
}

/// `kubectl get endpointslices`.
pub(crate) static ENDPOINT_SLICES: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("AddressType", doc::SLICE_ADDRESS_TYPE),
        Column::string("Ports", doc::SLICE_PORTS),
        Column::string("Endpoints", doc::SLICE_ENDPOINTS),
        Column::AGE,
    ],
    row: endpoint_slice_row,
};

fn endpoint_slice_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let slice: EndpointSlice = decode(object, "endpointslices")?;
    // A port is its number, else its name, else `*` (all ports).
    let ports: Vec<String> = slice
        .ports
        .iter()
        .flatten()
        .map(|p| match (p.port, &p.name) {
            (Some(port), _) => port.to_string(),
            (None, Some(name)) => name.clone(),
            (None, None) => "*".to_owned(),
        })
        .collect();
    let addresses: Vec<String> = slice
        .endpoints
        .iter()
        .flat_map(|e| e.addresses.iter().cloned())
        .collect();
    Ok(Row::new(vec![
        name_of(&slice.metadata),
        slice.address_type.clone().into(),
        format::list_with_more(&ports, 3).into(),
        format::list_with_more(&addresses, 3).into(),
        age_of(&slice.metadata, now),
    ]))
}

/// `kubectl get leases`.
pub(crate) static LEASES: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Holder", doc::LEASE_HOLDER),
        Column::AGE,
    ],
    row: lease_row,
};

fn lease_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let lease: Lease = decode(object, "leases")?;
    let holder = lease
        .spec
        .as_ref()
        .and_then(|s| s.holder_identity.clone())
        .unwrap_or_default();
    Ok(Row::new(vec![
        name_of(&lease.metadata),
        holder.into(),
        age_of(&lease.metadata, now),
    ]))
}
