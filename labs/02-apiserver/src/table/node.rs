//! The Node printer: STATUS from the Ready condition, ROLES from labels, and the wide columns
//! about the machine.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::core::{age_of, name_of};
use super::descriptions as doc;
use super::{Column, Printer, Row, TableError, decode};

/// `kubectl get nodes`.
pub(crate) static NODES: Printer = Printer {
    columns: &[
        Column::NAME,
        Column::string("Status", "The status of the node"),
        Column::string("Roles", "The roles of the node"),
        Column::AGE,
        Column::string("Version", doc::KUBELET_VERSION),
        Column::string("Internal-IP", doc::NODE_ADDRESSES).wide(),
        Column::string("External-IP", doc::NODE_ADDRESSES).wide(),
        Column::string("OS-Image", doc::OS_IMAGE).wide(),
        Column::string("Kernel-Version", doc::KERNEL_VERSION).wide(),
        Column::string("Container-Runtime", doc::CONTAINER_RUNTIME_VERSION).wide(),
    ],
    row: node_row,
};

fn node_row(object: &Value, now: Timestamp) -> Result<Row, TableError> {
    let node: Node = decode(object, "nodes")?;
    let status = node.status.clone().unwrap_or_default();
    // Ready or NotReady from the (last) Ready condition, Unknown without one; then
    // SchedulingDisabled for a cordoned node.
    let ready = status
        .conditions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .rev()
        .find(|c| c.type_ == "Ready");
    let mut states = vec![match ready {
        Some(c) if c.status == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        states.push("SchedulingDisabled");
    }
    let info = status.node_info.clone().unwrap_or_default();
    let address = |kind: &str| {
        status
            .addresses
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|a| a.type_ == kind)
            .map_or_else(|| "<none>".to_owned(), |a| a.address.clone())
    };
    let or_unknown = |s: String| {
        if s.is_empty() {
            "<unknown>".to_owned()
        } else {
            s
        }
    };
    Ok(Row::new(vec![
        name_of(&node.metadata),
        states.join(",").into(),
        roles(&node).into(),
        age_of(&node.metadata, now),
        info.kubelet_version.into(),
        address("InternalIP").into(),
        address("ExternalIP").into(),
        or_unknown(info.os_image).into(),
        or_unknown(info.kernel_version).into(),
        or_unknown(info.container_runtime_version).into(),
    ]))
}

/// `findNodeRoles`: the `<role>` of every `node-role.kubernetes.io/<role>` label and the value of
/// a `kubernetes.io/role` label, sorted and comma-separated; `<none>` without any.
fn roles(node: &Node) -> String {
    let mut roles = BTreeSet::new();
    for (key, value) in node.metadata.labels.iter().flatten() {
        if let Some(role) = key.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.insert(role.to_owned());
            }
        } else if key == "kubernetes.io/role" && !value.is_empty() {
            roles.insert(value.clone());
        }
    }
    if roles.is_empty() {
        "<none>".to_owned()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    }
}
