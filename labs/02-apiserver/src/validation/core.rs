//! Core (`v1`) kinds other than Pods: Services, ConfigMaps and Secrets (their keys), PVCs,
//! Endpoints and Events. Namespaces, Nodes and ServiceAccounts have only metadata rules.

use std::collections::BTreeSet;

use serde_json::Value;

use super::meta::validate_labels;
use super::names;
use super::pod::{validate_port_num_or_name, validate_protocol};
use super::{Bad, Causes, arr_at, at, child, index, key, str_at};

/// The most bytes a ConfigMap's or Secret's data may hold (`MaxSecretSize`, 1 MiB).
pub(crate) const MAX_DATA_SIZE: usize = 1024 * 1024;

/// A Service (`ValidateService`): ports (unless headless or ExternalName), a known type and
/// session affinity.
pub(crate) fn validate_service(object: &Value, causes: &mut Causes) {
    let spec = object.get("spec").unwrap_or(&Value::Null);
    let service_type = str_at(spec, "type").unwrap_or("");
    let headless = str_at(spec, "clusterIP") == Some("None");
    let ports = arr_at(spec, "ports");
    if ports.is_empty() && !headless && service_type != "ExternalName" {
        causes.required("spec.ports".to_string(), "");
    }
    if service_type == "ExternalName" && str_at(spec, "externalName").unwrap_or("").is_empty() {
        causes.required("spec.externalName".to_string(), "");
    }
    // One port may go unnamed; with several, each needs a name so endpoints can tell them apart.
    let require_name = ports.len() > 1;
    let mut port_names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let at = index("spec.ports", i);
        let name = str_at(port, "name").unwrap_or("");
        if require_name && name.is_empty() {
            causes.required(child(&at, "name"), "");
        } else if !name.is_empty() {
            causes.invalid_each(&child(&at, "name"), name, names::is_dns1123_label(name));
            if !port_names.insert(name.to_string()) {
                causes.duplicate(child(&at, "name"), Bad::str(name));
            }
        }
        let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
        for msg in names::is_valid_port_num(number) {
            causes.invalid(child(&at, "port"), Bad::Int(number), &msg);
        }
        validate_protocol(port, &child(&at, "protocol"), causes);
        validate_port_num_or_name(port.get("targetPort"), &child(&at, "targetPort"), causes);
    }
    validate_labels(spec.get("selector"), "spec.selector", causes);
    let affinities = ["ClientIP", "None"];
    match str_at(spec, "sessionAffinity") {
        Some(a) if affinities.contains(&a) => {}
        None | Some("") => causes.required("spec.sessionAffinity".to_string(), ""),
        Some(a) => {
            causes.not_supported("spec.sessionAffinity".to_string(), Bad::str(a), &affinities)
        }
    }
    let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if !types.contains(&service_type) {
        causes.not_supported("spec.type".to_string(), Bad::str(service_type), &types);
    }
}

/// The keys of `data` and `binaryData` and their total size.
fn validate_data_keys(object: &Value, causes: &mut Causes) -> usize {
    let mut total = 0;
    for part in ["data", "binaryData"] {
        let Some(map) = object.get(part).and_then(Value::as_object) else {
            continue;
        };
        for (k, v) in map {
            causes.invalid_each(&key(part, k), k, names::is_config_map_key(k));
            total += v.as_str().map_or(0, str::len);
        }
    }
    total
}

/// A ConfigMap: valid keys, none in both `data` and `binaryData`, at most 1 MiB.
pub(crate) fn validate_config_map(object: &Value, causes: &mut Causes) {
    let total = validate_data_keys(object, causes);
    if let (Some(data), Some(binary)) = (
        object.get("data").and_then(Value::as_object),
        object.get("binaryData").and_then(Value::as_object),
    ) {
        for k in binary.keys().filter(|k| data.contains_key(*k)) {
            causes.invalid(
                "binaryData".to_string(),
                Bad::str(k),
                "duplicate of key present in data",
            );
        }
    }
    if total > MAX_DATA_SIZE {
        causes.too_long(String::new(), MAX_DATA_SIZE);
    }
}

/// A Secret: valid keys, at most 1 MiB, and the keys its `type` requires.
pub(crate) fn validate_secret(object: &Value, causes: &mut Causes) {
    let total = validate_data_keys(object, causes);
    let required: &[&str] = match str_at(object, "type").unwrap_or("") {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        _ => &[],
    };
    for k in required {
        if at(object, &["data", k]).is_none() {
            causes.required(key("data", k), "");
        }
    }
    if total > MAX_DATA_SIZE {
        causes.too_long("data".to_string(), MAX_DATA_SIZE);
    }
}

/// A PersistentVolumeClaim: access modes and a storage request.
pub(crate) fn validate_pvc(object: &Value, causes: &mut Causes) {
    let spec = object.get("spec").unwrap_or(&Value::Null);
    let modes = arr_at(spec, "accessModes");
    if modes.is_empty() {
        causes.required(
            "spec.accessModes".to_string(),
            "at least 1 access mode is required",
        );
    }
    let supported = [
        "ReadOnlyMany",
        "ReadWriteMany",
        "ReadWriteOnce",
        "ReadWriteOncePod",
    ];
    for mode in modes {
        let mode = mode.as_str().unwrap_or("");
        if !supported.contains(&mode) {
            causes.not_supported("spec.accessModes".to_string(), Bad::str(mode), &supported);
        }
    }
    if at(spec, &["resources", "requests", "storage"]).is_none() {
        causes.required("spec.resources[storage]".to_string(), "");
    }
    if let Some(mode) = str_at(spec, "volumeMode")
        && !["Block", "Filesystem"].contains(&mode)
    {
        causes.not_supported(
            "spec.volumeMode".to_string(),
            Bad::str(mode),
            &["Block", "Filesystem"],
        );
    }
}

/// Endpoints: every subset's ports have valid numbers and protocols.
pub(crate) fn validate_endpoints(object: &Value, causes: &mut Causes) {
    for (i, subset) in arr_at(object, "subsets").iter().enumerate() {
        let subset_path = index("subsets", i);
        for (j, address) in arr_at(subset, "addresses").iter().enumerate() {
            if str_at(address, "ip").unwrap_or("").is_empty() {
                let at = child(&index(&child(&subset_path, "addresses"), j), "ip");
                causes.required(at, "");
            }
        }
        for (j, port) in arr_at(subset, "ports").iter().enumerate() {
            let at = index(&child(&subset_path, "ports"), j);
            let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
            for msg in names::is_valid_port_num(number) {
                causes.invalid(child(&at, "port"), Bad::Int(number), &msg);
            }
            validate_protocol(port, &child(&at, "protocol"), causes);
        }
    }
}

/// An Event: the object it is about must be in the Event's own namespace.
pub(crate) fn validate_event(object: &Value, causes: &mut Causes) {
    let namespace = at(object, &["metadata", "namespace"])
        .and_then(Value::as_str)
        .unwrap_or("");
    let involved = at(object, &["involvedObject", "namespace"])
        .and_then(Value::as_str)
        .unwrap_or("");
    if !involved.is_empty() && involved != namespace {
        causes.invalid(
            "involvedObject.namespace".to_string(),
            Bad::str(involved),
            "does not match event.namespace",
        );
    }
}
