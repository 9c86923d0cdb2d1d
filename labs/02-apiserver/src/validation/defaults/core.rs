//! Core (`v1`) defaults other than Pods (`pkg/apis/core/v1/defaults.go`, and the Namespace
//! strategy's `PrepareForCreate`).

use serde_json::{Value, json};

use super::{items_mut, object_at, set_default};

/// `SetDefaults_Service`: a `ClusterIP` Service without session affinity; each port TCP with
/// `targetPort` = `port`; traffic policies `Cluster`.
pub(crate) fn default_service(service: &mut Value) {
    let Some(spec) = object_at(service, "spec") else {
        return;
    };
    set_default(spec, "sessionAffinity", json!("None"));
    set_default(spec, "type", json!("ClusterIP"));
    let service_type = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let affinity = spec
        .get("sessionAffinity")
        .and_then(Value::as_str)
        .unwrap_or("");
    if affinity == "ClientIP"
        && let Some(client_ip) =
            object_at(spec, "sessionAffinityConfig").and_then(|c| object_at(c, "clientIP"))
    {
        // Three hours, the real default stickiness.
        set_default(client_ip, "timeoutSeconds", json!(10800));
    }
    for port in items_mut(spec, "ports") {
        set_default(port, "protocol", json!("TCP"));
        let unset = match port.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            Some(Value::String(s)) => s.is_empty(),
            Some(_) => false,
        };
        if unset
            && let (Some(number), Some(map)) = (port.get("port").cloned(), port.as_object_mut())
        {
            map.insert("targetPort".to_string(), number);
        }
    }
    if matches!(service_type.as_str(), "NodePort" | "LoadBalancer") {
        set_default(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if matches!(
        service_type.as_str(),
        "ClusterIP" | "NodePort" | "LoadBalancer"
    ) {
        set_default(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if service_type == "LoadBalancer" {
        set_default(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
}

/// A Namespace: the `kubernetes.io/metadata.name` label (`SetDefaults_Namespace`), and the
/// `kubernetes` finalizer and `Active` phase its strategy sets on create. Only missing values
/// are filled: on update the namespace controller may have removed the finalizer.
pub(crate) fn default_namespace(namespace: &mut Value) {
    let name = namespace
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !name.is_empty()
        && let Some(labels) = object_at(namespace, "metadata").and_then(|m| object_at(m, "labels"))
        && let Some(map) = labels.as_object_mut()
    {
        map.insert("kubernetes.io/metadata.name".to_string(), json!(name));
    }
    if let Some(spec) = object_at(namespace, "spec") {
        set_default(spec, "finalizers", json!(["kubernetes"]));
    }
    if let Some(status) = object_at(namespace, "status") {
        set_default(status, "phase", json!("Active"));
    }
}

/// `SetDefaults_Secret`: type `Opaque`.
pub(crate) fn default_secret(secret: &mut Value) {
    let empty = secret
        .get("type")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    if empty && let Some(map) = secret.as_object_mut() {
        map.insert("type".to_string(), json!("Opaque"));
    }
}

/// `SetDefaults_EndpointPort`: TCP.
pub(crate) fn default_endpoints(endpoints: &mut Value) {
    for subset in items_mut(endpoints, "subsets") {
        for port in items_mut(subset, "ports") {
            set_default(port, "protocol", json!("TCP"));
        }
    }
}

/// `discovery/v1` `SetDefaults_EndpointPort`: an empty name and TCP.
pub(crate) fn default_endpoint_slice(slice: &mut Value) {
    for port in items_mut(slice, "ports") {
        set_default(port, "name", json!(""));
        set_default(port, "protocol", json!("TCP"));
    }
}

/// `SetDefaults_PersistentVolumeClaim(Spec)`: a filesystem volume, `Pending` until bound.
pub(crate) fn default_pvc(claim: &mut Value) {
    if let Some(spec) = object_at(claim, "spec") {
        set_default(spec, "volumeMode", json!("Filesystem"));
    }
    if let Some(status) = object_at(claim, "status") {
        set_default(status, "phase", json!("Pending"));
    }
}

/// `SetDefaults_PersistentVolume`: kept after release (`Retain`), a filesystem, `Pending`.
pub(crate) fn default_pv(volume: &mut Value) {
    if let Some(spec) = object_at(volume, "spec") {
        set_default(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
        set_default(spec, "volumeMode", json!("Filesystem"));
    }
    if let Some(status) = object_at(volume, "status") {
        set_default(status, "phase", json!("Pending"));
    }
}
