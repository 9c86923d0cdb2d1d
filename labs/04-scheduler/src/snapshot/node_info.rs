//! `NodeInfo`: one node as the scheduler sees it, what it offers and what is already spoken for.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Taint};
use thiserror::Error;

use super::pod_info::{HostPort, NonZero, PodInfo};
use super::resources::{PODS, ResourceError, Resources, read};
use crate::labels::{Labels, labels_of};

/// A node the scheduler cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NodeError {
    /// `metadata.name` is missing or empty.
    #[error("metadata.name: a node needs a name")]
    NoName,
    /// A quantity in `status.allocatable` is malformed.
    #[error(transparent)]
    Resource(#[from] ResourceError),
}

// ANCHOR: node_info
/// One node and the pods on it (`framework.NodeInfo`).
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// The Node object.
    pub node: Arc<Node>,
    /// `metadata.name`.
    pub name: String,
    /// `status.allocatable` without `pods`.
    pub allocatable: Resources,
    /// `status.allocatable.pods`: how many pods the kubelet accepts (0 when unset).
    pub allowed_pods: i64,
    /// The sum of the effective requests of the pods on the node.
    pub requested: Resources,
    /// The same with the scoring defaults for containers that request nothing.
    pub non_zero_requested: NonZero,
    /// The pods on the node, bound or assumed.
    pub pods: Vec<Arc<PodInfo>>,
    /// The host ports those pods use (one entry per use).
    pub used_ports: Vec<HostPort>,
    /// The images the node has (`status.images`), by normalised name, with their sizes.
    pub images: BTreeMap<String, i64>,
    /// How many of its pods have any inter-pod affinity or anti-affinity term.
    pub pods_with_affinity: usize,
    /// How many of its pods have required anti-affinity terms.
    pub pods_with_required_anti_affinity: usize,
    /// A copy of the node's labels, read by nearly every plugin for every node.
    labels: Labels,
}
// ANCHOR_END: node_info

impl NodeInfo {
    /// Reads a node, with no pods on it yet.
    pub fn new(node: Node) -> Result<Self, NodeError> {
        let mut info = NodeInfo {
            node: Arc::new(Node::default()),
            name: String::new(),
            allocatable: Resources::default(),
            allowed_pods: 0,
            requested: Resources::default(),
            non_zero_requested: NonZero::default(),
            pods: Vec::new(),
            used_ports: Vec::new(),
            images: BTreeMap::new(),
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            labels: Labels::new(),
        };
        info.set_node(node)?;
        Ok(info)
    }

    /// Replaces the Node object (an update event), keeping the pods.
    pub fn set_node(&mut self, node: Node) -> Result<(), NodeError> {
        let name = node
            .metadata
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or(NodeError::NoName)?;
        let status = node.status.as_ref();
        let allocatable = status.and_then(|s| s.allocatable.as_ref());
        self.allocatable = Resources::from_list(allocatable, "status.allocatable")?;
        self.allowed_pods = match allocatable.and_then(|a| a.get(PODS)) {
            Some(q) => read(PODS, q, "status.allocatable")?,
            None => 0,
        };
        self.images = BTreeMap::new();
        for image in status.and_then(|s| s.images.as_ref()).into_iter().flatten() {
            for image_name in image.names.iter().flatten() {
                self.images.insert(
                    normalized_image_name(image_name),
                    image.size_bytes.unwrap_or(0),
                );
            }
        }
        self.name = name;
        self.labels = labels_of(node.metadata.labels.as_ref()).clone();
        self.node = Arc::new(node);
        Ok(())
    }

    /// The node's labels.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The node's taints (`spec.taints`).
    pub fn taints(&self) -> &[Taint] {
        self.node
            .spec
            .as_ref()
            .and_then(|s| s.taints.as_deref())
            .unwrap_or(&[])
    }

    /// `spec.unschedulable` (set by `kubectl cordon`).
    pub fn unschedulable(&self) -> bool {
        self.node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
    }

    /// Accounts for a pod on this node: its requests, its ports, its affinity.
    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        // BEGIN SOLUTION step-1: add the pod's requests, non-zero requests and host ports
        self.requested.add(&pod.requests);
        self.non_zero_requested.milli_cpu += pod.non_zero.milli_cpu;
        self.non_zero_requested.memory += pod.non_zero.memory;
        self.used_ports.extend(pod.host_ports.iter().cloned());
        if pod.has_affinity() {
            self.pods_with_affinity += 1;
        }
        if !pod.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity += 1;
        }
        self.pods.push(pod);
        // END SOLUTION
    }

    /// Removes the pod `namespace/name` from this node, undoing [`NodeInfo::add_pod`]. Returns
    /// false if it was not here.
    pub fn remove_pod(&mut self, key: &str) -> bool {
        // BEGIN SOLUTION step-1: find the pod, subtract everything add_pod added
        let Some(index) = self.pods.iter().position(|p| p.key == key) else {
            return false;
        };
        let pod = self.pods.swap_remove(index);
        self.requested.sub(&pod.requests);
        self.non_zero_requested.milli_cpu -= pod.non_zero.milli_cpu;
        self.non_zero_requested.memory -= pod.non_zero.memory;
        for port in &pod.host_ports {
            if let Some(i) = self.used_ports.iter().position(|p| p == port) {
                self.used_ports.swap_remove(i);
            }
        }
        if pod.has_affinity() {
            self.pods_with_affinity -= 1;
        }
        if !pod.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity -= 1;
        }
        true
        // END SOLUTION
    }
}

/// An image name as the kubelet reports it: `nginx` and `nginx:latest` are the same image
/// (`normalizedImageName`). A name with a digest or a tag is kept as it is.
pub fn normalized_image_name(name: &str) -> String {
    let last_colon = name.rfind(':');
    let last_slash = name.rfind('/');
    if name.contains('@') || last_colon > last_slash {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}
