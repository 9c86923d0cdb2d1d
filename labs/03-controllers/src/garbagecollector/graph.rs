//! The dependency graph (upstream `GraphBuilder`'s `uidToNode`): every object the informers
//! see, by UID, with the owners its `ownerReferences` name and, the other way round, the
//! dependents of each owner.
//!
//! ```text
//! Deployment web (uid d1) <── ReplicaSet web-5d8 (uid r1, owner d1) <── Pod web-5d8-x (owner r1)
//!                                                                  <── Pod web-5d8-y (owner r1)
//! dependents: d1 -> {r1}   r1 -> {x, y}
//! ```
//!
//! Owner references name a UID, not a name: an owner deleted and created again under the
//! same name is another owner, and its old dependents are orphans.

use std::collections::{BTreeSet, HashMap};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::dynamic::MetaObject;

/// One object of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its UID.
    pub uid: String,
    /// `apiVersion` and `kind`.
    pub api_version: String,
    /// The kind.
    pub kind: String,
    /// Its namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its `resourceVersion` (a precondition for the patches that edit it).
    pub resource_version: String,
    /// Its `metadata.ownerReferences`.
    pub owners: Vec<OwnerReference>,
    /// Its `metadata.finalizers`.
    pub finalizers: Vec<String>,
    /// Whether it has a `deletionTimestamp`.
    pub deleting: bool,
    /// The index of its resource in the discovered resources.
    pub resource: usize,
}

impl Node {
    /// The graph's view of an object of the resource with index `resource`.
    pub fn from_object(object: &MetaObject, resource: usize) -> Node {
        let meta = &object.metadata;
        Node {
            uid: meta.uid.clone().unwrap_or_default(),
            api_version: object.api_version.clone(),
            kind: object.kind.clone(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            resource_version: meta.resource_version.clone().unwrap_or_default(),
            owners: meta.owner_references.clone().unwrap_or_default(),
            finalizers: meta.finalizers.clone().unwrap_or_default(),
            deleting: meta.deletion_timestamp.is_some(),
            resource,
        }
    }

    /// Whether `finalizer` is in its finalizers.
    pub fn has_finalizer(&self, finalizer: &str) -> bool {
        self.finalizers.iter().any(|f| f == finalizer)
    }

    /// Being deleted and waiting for its dependents to go first (`foregroundDeletion`).
    pub fn deleting_dependents(&self) -> bool {
        self.deleting && self.has_finalizer(super::decide::FOREGROUND)
    }

    /// Its owner reference to `owner_uid`, if any.
    pub fn reference_to(&self, owner_uid: &str) -> Option<&OwnerReference> {
        self.owners.iter().find(|owner| owner.uid == owner_uid)
    }
}

/// The graph: nodes by UID and the dependents of each owner UID.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: HashMap<String, Node>,
    dependents: HashMap<String, BTreeSet<String>>,
}

impl Graph {
    /// Adds or replaces a node; returns the old one.
    pub fn upsert(&mut self, node: Node) -> Option<Node> {
        let old = self.remove(&node.uid);
        for owner in &node.owners {
            self.dependents
                .entry(owner.uid.clone())
                .or_default()
                .insert(node.uid.clone());
        }
        self.nodes.insert(node.uid.clone(), node);
        old
    }

    /// Removes a node (its dependents stay: they are now dangling, the collector's work).
    pub fn remove(&mut self, uid: &str) -> Option<Node> {
        let old = self.nodes.remove(uid)?;
        for owner in &old.owners {
            if let Some(dependents) = self.dependents.get_mut(&owner.uid) {
                dependents.remove(uid);
                if dependents.is_empty() {
                    self.dependents.remove(&owner.uid);
                }
            }
        }
        Some(old)
    }

    /// The node with `uid`.
    pub fn get(&self, uid: &str) -> Option<&Node> {
        self.nodes.get(uid)
    }

    /// The nodes whose owner references name `uid`.
    pub fn dependents(&self, uid: &str) -> Vec<Node> {
        self.dependents
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|dependent| self.nodes.get(dependent).cloned())
            .collect()
    }

    /// How many nodes there are.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}
