//! The snapshot: the scheduler's picture of the cluster, one [`NodeInfo`] per node.
//!
//! Informer events keep it current (a node added, updated or removed; a pod bound or deleted),
//! and so does the scheduler itself: once it has chosen a node for a pod it *assumes* the pod
//! there at once, before the binding reaches the API server, so the next pod in the queue
//! already sees that space as taken. Every change is incremental: adding a pod touches one
//! NodeInfo, never the whole cluster.

mod journal;
mod node_info;
mod pod_info;
mod resources;
mod terms;

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use thiserror::Error;

pub use journal::PodChange;
pub use node_info::{NodeError, NodeInfo, normalized_image_name};
pub use pod_info::{
    AffinityTerm, DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, HostPort, Namespaces, NonZero,
    PodError, PodInfo, SpreadConstraint, WeightedTerm, non_zero_requests, pod_requests,
};
pub use resources::{CPU, EPHEMERAL_STORAGE, MEMORY, PODS, ResourceError, Resources};

/// A snapshot change that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotError {
    /// The node cannot be read.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The pod cannot be read.
    #[error(transparent)]
    Pod(#[from] PodError),
    /// The pod has no `spec.nodeName`, so it belongs to no node yet.
    #[error("pod {0} is not bound to a node")]
    NotBound(String),
    /// The pod names a node the snapshot does not have.
    #[error("pod {pod} is on node {node:?}, which the snapshot does not have")]
    UnknownNode {
        /// `namespace/name`.
        pod: String,
        /// The node it names.
        node: String,
    },
    /// No such node.
    #[error("no node {0:?}")]
    NoSuchNode(String),
}

/// The scheduler's cache of nodes and the pods on them.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// In the order nodes were added: the order filters visit them.
    nodes: Vec<NodeInfo>,
    /// Node name -> index in `nodes`.
    index: HashMap<String, usize>,
    /// Pod key -> the node it is on.
    pod_nodes: HashMap<String, String>,
    /// Normalised image name -> how many nodes have it (ImageLocality spreads images).
    image_nodes: HashMap<String, usize>,
    /// The recent pod changes, for caches that outlive a cycle.
    journal: journal::Journal,
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// All nodes, in the order they were added.
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// One node by name.
    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }

    /// How many nodes have this (normalised) image.
    pub fn nodes_with_image(&self, image: &str) -> usize {
        self.image_nodes.get(image).copied().unwrap_or(0)
    }

    /// The node a pod (`namespace/name`) is on, if the snapshot has it.
    pub fn node_of_pod(&self, key: &str) -> Option<&str> {
        self.pod_nodes.get(key).map(String::as_str)
    }

    /// A number that changes with every change to the snapshot.
    pub fn generation(&self) -> u64 {
        self.journal.generation
    }

    /// The pod changes since `generation`, or `None` when they cannot be replayed (a node
    /// changed since, or it is too long ago): then a cache must recount.
    pub fn pod_changes_since(&self, generation: u64) -> Option<impl Iterator<Item = &PodChange>> {
        self.journal.since(generation)
    }

    /// A node appeared, or changed (an add for a name already known is an update).
    pub fn add_node(&mut self, node: Node) -> Result<(), SnapshotError> {
        self.journal.reset();
        let name = node.metadata.name.clone().unwrap_or_default();
        if let Some(&i) = self.index.get(&name) {
            let info = &mut self.nodes[i];
            forget_images(&mut self.image_nodes, info);
            let result = info.set_node(node);
            count_images(&mut self.image_nodes, info);
            return Ok(result?);
        }
        let info = NodeInfo::new(node)?;
        count_images(&mut self.image_nodes, &info);
        self.index.insert(info.name.clone(), self.nodes.len());
        self.nodes.push(info);
        Ok(())
    }

    /// A node changed.
    pub fn update_node(&mut self, node: Node) -> Result<(), SnapshotError> {
        self.add_node(node)
    }

    /// A node went away, with the pods the snapshot had on it.
    pub fn remove_node(&mut self, name: &str) -> Result<(), SnapshotError> {
        self.journal.reset();
        let i = self
            .index
            .remove(name)
            .ok_or_else(|| SnapshotError::NoSuchNode(name.to_string()))?;
        let info = self.nodes.remove(i);
        forget_images(&mut self.image_nodes, &info);
        for pod in &info.pods {
            self.pod_nodes.remove(&pod.key);
        }
        for (j, later) in self.nodes.iter().enumerate().skip(i) {
            self.index.insert(later.name.clone(), j);
        }
        Ok(())
    }

    /// A bound pod appeared or changed (its node is `spec.nodeName`).
    pub fn add_pod(&mut self, pod: Pod) -> Result<(), SnapshotError> {
        self.add_pod_info(Arc::new(PodInfo::new(pod)?))
    }

    /// [`Snapshot::add_pod`] for a pod already read.
    pub fn add_pod_info(&mut self, pod: Arc<PodInfo>) -> Result<(), SnapshotError> {
        let node = pod
            .node_name()
            .ok_or_else(|| SnapshotError::NotBound(pod.key.clone()))?
            .to_string();
        let i = *self
            .index
            .get(&node)
            .ok_or_else(|| SnapshotError::UnknownNode {
                pod: pod.key.clone(),
                node: node.clone(),
            })?;
        // An update: the old version leaves first (it may even have been on another node).
        self.remove_pod(&pod.key);
        self.pod_nodes.insert(pod.key.clone(), node);
        self.journal.record(PodChange::Added(i, Arc::clone(&pod)));
        self.nodes[i].add_pod(pod);
        Ok(())
    }

    /// A pod (`namespace/name`) was deleted. Returns false if the snapshot did not have it.
    pub fn remove_pod(&mut self, key: &str) -> bool {
        let Some(node) = self.pod_nodes.remove(key) else {
            return false;
        };
        let Some(&i) = self.index.get(&node) else {
            return false;
        };
        let Some(pod) = self.nodes[i].pods.iter().find(|p| p.key == key).cloned() else {
            return false;
        };
        self.journal.record(PodChange::Removed(i, pod));
        self.nodes[i].remove_pod(key)
    }

    /// Assumes a pod on a node: the scheduler's own decision, counted before the API server
    /// has confirmed the binding. [`Snapshot::remove_pod`] forgets it if the binding fails.
    pub fn assume(&mut self, pod: &PodInfo, node: &str) -> Result<(), SnapshotError> {
        if !self.index.contains_key(node) {
            return Err(SnapshotError::NoSuchNode(node.to_string()));
        }
        let mut bound = (*pod.pod).clone();
        bound.spec.get_or_insert_with(Default::default).node_name = Some(node.to_string());
        let mut info = pod.clone();
        info.pod = Arc::new(bound);
        self.add_pod_info(Arc::new(info))
    }
}

fn count_images(counts: &mut HashMap<String, usize>, node: &NodeInfo) {
    for image in node.images.keys() {
        *counts.entry(image.clone()).or_default() += 1;
    }
}

fn forget_images(counts: &mut HashMap<String, usize>, node: &NodeInfo) {
    for image in node.images.keys() {
        if let Some(count) = counts.get_mut(image) {
            *count -= 1;
            if *count == 0 {
                counts.remove(image);
            }
        }
    }
}
