//! Printers for the core kinds that are not Pods, Nodes or Events: Services, Endpoints,
//! Namespaces, ConfigMaps, Secrets, ServiceAccounts and PersistentVolumeClaims.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount,
    ServicePort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::descriptions as doc;
use super::{Column, Printer, Row, TableError, age, decode, format};

/// The AGE cell of an object.
pub(crate) fn age_of(meta: &ObjectMeta, now: Timestamp) -> Value {
    age::since(meta.creation_timestamp.as_ref().map(|t| &t.0), now).into()
}

/// The NAME cell of an object.
pub(crate) fn name_of(meta: &ObjectMeta) -> Value {
    meta.name.clone().unwrap_or_default().into()
}

/// `kubectl get services`.
pub(crate) static SERVICES: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Type", doc::SERVICE_TYPE),
        Column::string("Cluster-IP", doc::CLUSTER_IP),
        Column::string("External-IP", doc::EXTERNAL_IPS),
        Column::string("Port(s)", doc::SERVICE_PORTS),
        Column::AGE,
        Column::string("Selector", doc::SERVICE_SELECTOR).wide(),
    ],
    row: service_row,
};

fn service_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let service: Service = decode(object, "services")?;
    let spec = service.spec.clone().unwrap_or_default();
    // The first of clusterIPs, which the real server always fills in; an object that only has
    // the older single clusterIP field falls back to it.
    let cluster_ip = spec
        .cluster_ips
        .as_ref()
        .and_then(|ips| ips.first().cloned())
        .or_else(|| spec.cluster_ip.clone().filter(|ip| !ip.is_empty()))
        .unwrap_or_else(|| "<none>".to_owned());
    let mut ports = port_string(spec.ports.as_deref().unwrap_or_default());
    if ports.is_empty() {
        ports = "<none>".to_owned();
    }
    Ok(Row::new(vec![
        name_of(&service.metadata),
        spec.type_.clone().unwrap_or_default().into(),
        cluster_ip.into(),
        external_ip(&service).into(),
        ports.into(),
        age_of(&service.metadata, now),
        format::labels(spec.selector.as_ref()).into(),
    ]))
}

// ANCHOR: port_string
/// `makePortString`: each port as `port/protocol`, or `port:nodePort/protocol` when it has a
/// node port, comma-separated: `80/TCP,443:30443/TCP`.
pub(crate) fn port_string(ports: &[ServicePort]) -> String {
    // BEGIN SOLUTION step-5: "80/TCP" per port, "80:30080/TCP" when nodePort > 0 (protocol defaults to TCP), joined by commas
    ports
        .iter()
        .map(|port| {
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            match port.node_port {
                Some(node_port) if node_port > 0 => {
                    format!("{}:{node_port}/{protocol}", port.port)
                }
                _ => format!("{}/{protocol}", port.port),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
    // END SOLUTION
}
// ANCHOR_END: port_string

/// `getServiceExternalIP` (wide): the external IPs; for a LoadBalancer also the load balancer's
/// addresses, or `<pending>` while it has none; an ExternalName service's name.
fn external_ip(service: &Service) -> String {
    let spec = service.spec.clone().unwrap_or_default();
    let external_ips = spec.external_ips.unwrap_or_default();
    match spec.type_.as_deref().unwrap_or_default() {
        "ClusterIP" | "NodePort" if !external_ips.is_empty() => external_ips.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_owned(),
        "LoadBalancer" => {
            // A sorted set of the ingress points, IP or else hostname.
            let balancers: BTreeSet<String> = service
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
            let mut all: Vec<String> = balancers.into_iter().collect();
            all.extend(external_ips);
            if all.is_empty() {
                "<pending>".to_owned()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => spec.external_name.unwrap_or_default(),
        _ => "<unknown>".to_owned(),
    }
}

/// `kubectl get endpoints`.
pub(crate) static ENDPOINTS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Endpoints", doc::ENDPOINTS_SUBSETS),
        Column::AGE,
    ],
    row: endpoints_row,
};

fn endpoints_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let endpoints: Endpoints = decode(object, "endpoints")?;
    Ok(Row::new(vec![
        name_of(&endpoints.metadata),
        format_endpoints(&endpoints).into(),
        age_of(&endpoints.metadata, now),
    ]))
}

/// `formatEndpoints`: up to three `ip:port` pairs (just `ip` for a subset without ports), then
/// `" + N more..."`; `<none>` without subsets.
fn format_endpoints(endpoints: &Endpoints) -> String {
    const MAX: usize = 3;
    let subsets = endpoints.subsets.as_deref().unwrap_or_default();
    if subsets.is_empty() {
        return "<none>".to_owned();
    }
    let mut list: Vec<String> = Vec::new();
    let mut count = 0;
    for subset in subsets {
        let addresses = subset.addresses.as_deref().unwrap_or_default();
        let ports = subset.ports.as_deref().unwrap_or_default();
        if ports.is_empty() {
            count += addresses.len();
            list.extend(addresses.iter().map(|a| a.ip.clone()));
            continue;
        }
        for port in ports {
            count += addresses.len();
            for address in addresses {
                // net.JoinHostPort: an IPv6 address goes in brackets.
                let host = if address.ip.contains(':') {
                    format!("[{}]", address.ip)
                } else {
                    address.ip.clone()
                };
                list.push(format!("{host}:{}", port.port));
            }
        }
    }
    list.truncate(MAX);
    let joined = list.join(",");
    if count > MAX {
        format!("{joined} + {} more...", count - MAX)
    } else {
        joined
    }
}

/// `kubectl get namespaces`.
pub(crate) static NAMESPACES: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Status", "The status of the namespace"),
        Column::AGE,
    ],
    row: namespace_row,
};

fn namespace_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let namespace: Namespace = decode(object, "namespaces")?;
    let phase = namespace.status.and_then(|s| s.phase).unwrap_or_default();
    Ok(Row::new(vec![
        name_of(&namespace.metadata),
        phase.into(),
        age_of(&namespace.metadata, now),
    ]))
}

/// `kubectl get configmaps`.
pub(crate) static CONFIG_MAPS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Data", doc::CONFIG_MAP_DATA),
        Column::AGE,
    ],
    row: config_map_row,
};

fn config_map_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let config_map: ConfigMap = decode(object, "configmaps")?;
    let entries = config_map.data.as_ref().map_or(0, |d| d.len())
        + config_map.binary_data.as_ref().map_or(0, |d| d.len());
    Ok(Row::new(vec![
        name_of(&config_map.metadata),
        entries.into(),
        age_of(&config_map.metadata, now),
    ]))
}

/// `kubectl get secrets`.
pub(crate) static SECRETS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Type", doc::SECRET_TYPE),
        Column::string("Data", doc::SECRET_DATA),
        Column::AGE,
    ],
    row: secret_row,
};

fn secret_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let secret: Secret = decode(object, "secrets")?;
    Ok(Row::new(vec![
        name_of(&secret.metadata),
        secret.type_.clone().unwrap_or_default().into(),
        secret.data.as_ref().map_or(0, |d| d.len()).into(),
        age_of(&secret.metadata, now),
    ]))
}

/// `kubectl get serviceaccounts`.
pub(crate) static SERVICE_ACCOUNTS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Secrets", doc::SERVICE_ACCOUNT_SECRETS),
        Column::AGE,
    ],
    row: service_account_row,
};

fn service_account_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let account: ServiceAccount = decode(object, "serviceaccounts")?;
    Ok(Row::new(vec![
        name_of(&account.metadata),
        account.secrets.as_ref().map_or(0, |s| s.len()).into(),
        age_of(&account.metadata, now),
    ]))
}

/// `kubectl get persistentvolumeclaims`.
pub(crate) static PERSISTENT_VOLUME_CLAIMS: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Status", doc::PVC_PHASE),
        Column::string("Volume", doc::PVC_VOLUME_NAME),
        Column::string("Capacity", doc::PVC_CAPACITY),
        Column::string("Access Modes", doc::PVC_ACCESS_MODES),
        Column::string("StorageClass", "StorageClass of the pvc"),
        Column::string("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
        Column::AGE,
        Column::string("VolumeMode", doc::PVC_VOLUME_MODE).wide(),
    ],
    row: claim_row,
};

fn claim_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let claim: PersistentVolumeClaim = decode(object, "persistentvolumeclaims")?;
    let spec = claim.spec.clone().unwrap_or_default();
    let status = claim.status.clone().unwrap_or_default();
    let phase = if claim.metadata.deletion_timestamp.is_some() {
        "Terminating".to_owned()
    } else {
        status.phase.unwrap_or_default()
    };
    let volume = spec.volume_name.unwrap_or_default();
    // Capacity and access modes are the bound volume's, so only shown once bound.
    let (capacity, access_modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        let capacity = status
            .capacity
            .as_ref()
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.clone())
            .unwrap_or_else(|| "0".to_owned());
        (
            capacity,
            access_modes_string(status.access_modes.as_deref().unwrap_or_default()),
        )
    };
    // The beta annotation wins over spec.storageClassName (GetPersistentVolumeClaimClass).
    let class = claim
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("volume.beta.kubernetes.io/storage-class").cloned())
        .or(spec.storage_class_name)
        .unwrap_or_default();
    Ok(Row::new(vec![
        name_of(&claim.metadata),
        phase.into(),
        volume.into(),
        capacity.into(),
        access_modes.into(),
        class.into(),
        spec.volume_attributes_class_name
            .unwrap_or("<unset>".into())
            .into(),
        age_of(&claim.metadata, now),
        spec.volume_mode.unwrap_or("<unset>".into()).into(),
    ]))
}

/// `GetAccessModesAsString`: `RWO,ROX,RWX,RWOP`, in that order, each once.
fn access_modes_string(modes: &[String]) -> String {
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| modes.iter().any(|m| m == mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}
